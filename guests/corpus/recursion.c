/*
 * Recursion: Ackermann, naive Fibonacci, Towers of Hanoi, mutual recursion
 * (Hofstadter Female/Male sequences, even/odd, and a recursive-descent
 * expression evaluator) and N-queens backtracking.
 *
 * Exercises call/ret, stack frames and callee-saved registers.  Depths
 * stay well inside the 64 KiB stack even at -O0 (deepest: even/odd at
 * 600 frames).
 */
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"

static unsigned long calls;

static NOINLINE uint64_t ackermann(uint64_t m, uint64_t n)
{
	calls++;
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ackermann(m - 1, 1);
	return ackermann(m - 1, ackermann(m, n - 1));
}

static NOINLINE uint64_t fib(unsigned n)
{
	calls++;
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* Towers of Hanoi: print the first moves, hash all of them. */
static uint32_t hanoi_hash;
static unsigned long hanoi_moves;

static NOINLINE void hanoi(int n, char from, char to, char via)
{
	if (n == 0)
		return;
	hanoi(n - 1, from, via, to);
	hanoi_moves++;
	hanoi_hash = (hanoi_hash ^ (uint32_t)(n << 16 | from << 8 | to)) * 16777619u;
	if (hanoi_moves <= 7)
		fmt("  move %lu: disk %d %c -> %c\n", hanoi_moves, n, from, to);
	hanoi(n - 1, via, to, from);
}

/* Hofstadter: F(0) = 1, M(0) = 0, F(n) = n - M(F(n-1)), M(n) = n - F(M(n-1)). */
static int hof_m(int n);

static NOINLINE int hof_f(int n)
{
	calls++;
	return n == 0 ? 1 : n - hof_m(hof_f(n - 1));
}

static NOINLINE int hof_m(int n)
{
	calls++;
	return n == 0 ? 0 : n - hof_f(hof_m(n - 1));
}

static int is_odd(unsigned n);

static NOINLINE int is_even(unsigned n)
{
	return n == 0 ? 1 : is_odd(n - 1);
}

static NOINLINE int is_odd(unsigned n)
{
	return n == 0 ? 0 : is_even(n - 1);
}

/* Recursive descent:  expr := term {(+|-) term};  term := unary {(*|/|%) unary};
 * unary := '-' unary | primary;  primary := number | '(' expr ')'. */
struct parser {
	const char *p;
	int error;
};

static int64_t parse_expr(struct parser *ps);

static void skip_spaces(struct parser *ps)
{
	while (*ps->p == ' ')
		ps->p++;
}

static int64_t parse_primary(struct parser *ps)
{
	int64_t v = 0;

	skip_spaces(ps);
	if (*ps->p == '(') {
		ps->p++;
		v = parse_expr(ps);
		skip_spaces(ps);
		if (*ps->p == ')')
			ps->p++;
		else
			ps->error = 1;
		return v;
	}
	if (*ps->p < '0' || *ps->p > '9') {
		ps->error = 1;
		return 0;
	}
	while (*ps->p >= '0' && *ps->p <= '9')
		v = v * 10 + (*ps->p++ - '0');
	return v;
}

static int64_t parse_unary(struct parser *ps)
{
	skip_spaces(ps);
	if (*ps->p == '-') {
		ps->p++;
		return -parse_unary(ps);
	}
	return parse_primary(ps);
}

static int64_t parse_term(struct parser *ps)
{
	int64_t v = parse_unary(ps);

	for (;;) {
		skip_spaces(ps);
		char op = *ps->p;
		if (op != '*' && op != '/' && op != '%')
			return v;
		ps->p++;
		int64_t r = parse_unary(ps);
		if (op == '*')
			v *= r;
		else if (r == 0)
			ps->error = 1;
		else if (op == '/')
			v /= r;
		else
			v %= r;
	}
}

static int64_t parse_expr(struct parser *ps)
{
	int64_t v = parse_term(ps);

	for (;;) {
		skip_spaces(ps);
		char op = *ps->p;
		if (op != '+' && op != '-')
			return v;
		ps->p++;
		int64_t r = parse_term(ps);
		v = op == '+' ? v + r : v - r;
	}
}

/* N-queens: count placements, column/diagonal occupancy as bitmasks. */
static NOINLINE unsigned queens(int n, int row, uint32_t cols, uint32_t d1,
				uint32_t d2)
{
	unsigned count = 0;

	calls++;
	if (row == n)
		return 1;
	for (int c = 0; c < n; c++) {
		uint32_t cb = 1u << c, b1 = 1u << (row + c), b2 = 1u << (row - c + n);
		if ((cols & cb) || (d1 & b1) || (d2 & b2))
			continue;
		count += queens(n, row + 1, cols | cb, d1 | b1, d2 | b2);
	}
	return count;
}

int main(void)
{
	int failures = 0;

	fmt("recursion\n");

	for (uint64_t m = 0; m <= 3; m++) {
		fmt("  ackermann(%lu, n):", m);
		for (uint64_t n = 0; n <= 4; n++) {
			calls = 0;
			uint64_t r = ackermann(m, n);
			fmt(" %lu[%lu]", r, calls);
		}
		fmt("\n");
	}
	calls = 0;
	failures += ackermann(2, 3) != 9 || ackermann(3, 3) != 61;

	for (unsigned n = 0; n <= 24; n += 6) {
		calls = 0;
		uint64_t r = fib(n);
		fmt("  fib(%u) = %lu in %lu calls\n", n, r, calls);
	}
	failures += fib(24) != 46368;

	hanoi(12, 'A', 'C', 'B');
	fmt("  hanoi(12): %lu moves, hash %08x\n", hanoi_moves, hanoi_hash);
	failures += hanoi_moves != 4095;

	fmt("  hofstadter F:");
	for (int n = 0; n < 20; n++)
		fmt(" %d", hof_f(n));
	fmt("\n  hofstadter M:");
	for (int n = 0; n < 20; n++)
		fmt(" %d", hof_m(n));
	fmt("\n");

	fmt("  even/odd:");
	for (unsigned n = 595; n <= 600; n++)
		fmt(" %u:%s", n, is_even(n) ? "even" : "odd");
	fmt("\n");

	static const char *const exprs[] = {
		"1 + 2 * 3",
		"(1 + 2) * 3",
		"-(4 - 10) * -(-3)",
		"100 / 7 % 5 - 2 * (3 - (8 - 1) * 2)",
		"((((((((((1+1)*2)+1)*2)+1)*2)+1)*2)+1)*2)",
		"123456789 * 1000 / 3 - 42",
		"2 * (3 + ",
	};
	for (size_t i = 0; i < ARRAY_SIZE(exprs); i++) {
		struct parser ps = { exprs[i], 0 };
		int64_t v = parse_expr(&ps);
		skip_spaces(&ps);
		if (*ps.p != '\0')
			ps.error = 1;
		if (ps.error)
			fmt("  %-44s => syntax error\n", exprs[i]);
		else
			fmt("  %-44s => %ld\n", exprs[i], v);
	}

	static const unsigned known[] = { 1, 1, 0, 0, 2, 10, 4, 40, 92 };
	for (int n = 1; n <= 8; n++) {
		calls = 0;
		unsigned r = queens(n, 0, 0, 0, 0);
		fmt("  %d-queens: %u solutions, %lu calls\n", n, r, calls);
		failures += r != known[n];
	}

	fmt("%s\n", failures ? "SOME RECURSION WRONG" : "all recursion ok");
	return failures;
}
