#include "ulib.h"

/* lib/fmt.c's console sink; user programs use printf, which buffers. */
void console_putc(char c)
{
	write(1, &c, 1);
}

void console_write(const char *s, size_t n)
{
	write(1, s, n);
}

int printf(const char *f, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsfmt(buf, sizeof(buf), f, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	write(1, buf, (size_t)n);
	return n;
}
