/*
 * Formatter test cases, shared by corpus/format.c (which prints the
 * results) and tools/fmt_vs_libc.c (which compares them with glibc's
 * snprintf).  Each line is CASE(format, args...); every case must have
 * the same meaning for fmt and for C printf.
 */

/* %d / %i */
CASE("[%d]", 0);
CASE("[%d]", 42);
CASE("[%d]", -42);
CASE("[%i]", 123456789);
CASE("[%d]", INT_MAX);
CASE("[%d]", INT_MIN);
CASE("[%5d]", 42);
CASE("[%-5d]", 42);
CASE("[%05d]", 42);
CASE("[%05d]", -42);
CASE("[%+d]", 42);
CASE("[%+d]", -42);
CASE("[%+d]", 0);
CASE("[% d]", 42);
CASE("[% d]", -42);
CASE("[%+05d]", 42);
CASE("[% 05d]", 42);
CASE("[%.3d]", 7);
CASE("[%.3d]", -7);
CASE("[%.0d]", 0);
CASE("[%5.0d]", 0);
CASE("[%+.0d]", 0);
CASE("[%8.3d]", -7);
CASE("[%-8.3d]", -7);
CASE("[%2d]", 12345);
CASE("[%hd]", -1);
CASE("[%hd]", 40000);
CASE("[%hhd]", 200);

/*
 * C says the '0' flag is ignored with '-' or with a precision.  gcc warns
 * about such literal formats, so these two are passed through a variable.
 */
{
	const char *ignored_zero = "[%-05d]";
	CASE(ignored_zero, -42);
	ignored_zero = "[%08.3d]";
	CASE(ignored_zero, 7);
}

/* %u */
CASE("[%u]", 0u);
CASE("[%u]", 4294967295u);
CASE("[%10u]", 1234u);
CASE("[%-10u]", 1234u);
CASE("[%010u]", 1234u);
CASE("[%hu]", 70000);
CASE("[%hhu]", 300);

/* %x %X %o */
CASE("[%x]", 255u);
CASE("[%X]", 255u);
CASE("[%x]", 0u);
CASE("[%x]", 0xffffffffu);
CASE("[%#x]", 255u);
CASE("[%#X]", 255u);
CASE("[%#x]", 0u);
CASE("[%#010x]", 255u);
CASE("[%#10x]", 255u);
CASE("[%-#10x]", 255u);
CASE("[%08x]", 0xdeadbeefu);
CASE("[%.6x]", 0xabcu);
CASE("[%#.6x]", 0xabcu);
CASE("[%o]", 8u);
CASE("[%#o]", 8u);
CASE("[%#o]", 0u);
CASE("[%#.0o]", 0u);
CASE("[%#5o]", 63u);
CASE("[%.4o]", 8u);

/* long, long long, size_t, intmax_t */
CASE("[%ld]", LONG_MIN);
CASE("[%ld]", LONG_MAX);
CASE("[%lu]", ULONG_MAX);
CASE("[%lx]", 0xfedcba9876543210ul);
CASE("[%lX]", 0xfedcba9876543210ul);
CASE("[%016lx]", 1ul);
CASE("[%#lx]", 0x100000ul);
CASE("[%20ld]", -1l);
CASE("[%-20ld]", -1l);
CASE("[%020ld]", -123456789012345l);
CASE("[%lld]", LLONG_MIN);
CASE("[%llu]", ULLONG_MAX);
CASE("[%llx]", 0x8000000000000000ull);
CASE("[%zu]", (size_t)4096);
CASE("[%zx]", (size_t)-1);
CASE("[%jd]", (intmax_t)-5);
CASE("[%ju]", (uintmax_t)UINT64_MAX);

/* %c */
CASE("[%c]", 'A');
CASE("[%3c]", 'B');
CASE("[%-3c]", 'C');
CASE("[%c%c%c]", 'x', 'y', 'z');

/* %s */
CASE("[%s]", "hello");
CASE("[%s]", "");
CASE("[%10s]", "hello");
CASE("[%-10s]", "hello");
CASE("[%.3s]", "hello");
CASE("[%.0s]", "hello");
CASE("[%10.3s]", "hello");
CASE("[%-10.3s]", "hello");
CASE("[%.10s]", "hi");
CASE("[%3s]", "longer than width");

/* %p (non-NULL: glibc prints NULL as "(nil)") */
CASE("[%p]", (void *)0x1000);
CASE("[%p]", (void *)0xffff800000000000ul);
CASE("[%20p]", (void *)0x100000);
CASE("[%-20p]", (void *)0x100000);

/* %% and star arguments */
CASE("[%%]");
CASE("[100%%]");
CASE("[%d%%]", 50);
CASE("[%*d]", 6, 42);
CASE("[%-*d]", 6, 42);
CASE("[%*d]", -6, 42);
CASE("[%.*d]", 4, 7);
CASE("[%.*d]", -1, 7);
CASE("[%*.*d]", 8, 4, -7);
CASE("[%.*s]", 2, "abcdef");
CASE("[%*s]", 4, "ab");

/* mixed */
CASE("[%d-%s-%x-%c-%lu]", -1, "two", 3u, '4', 5ul);
CASE("%s=%08lx (%+ld) %5.1s|", "reg", 0xbadc0ffeul, -3l, "xyz");
