/*
 * A generic qsort (our own: median-of-three quicksort, insertion sort for
 * small ranges, recursion only into the smaller half) driven by comparator
 * function pointers, sorting ints, structs and strings.
 *
 * Exercises indirect calls, byte-granular element swaps of arbitrary size,
 * signed/unsigned comparisons and deep-ish call chains.
 */
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"
#include "mem.h"

typedef int (*cmp_fn)(const void *, const void *);

static unsigned long compares;

static void swap_bytes(unsigned char *a, unsigned char *b, size_t size)
{
	while (size--) {
		unsigned char t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

static void insertion_sort(unsigned char *base, size_t n, size_t size,
			   cmp_fn cmp)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			unsigned char *cur = base + j * size;
			compares++;
			if (cmp(cur - size, cur) <= 0)
				break;
			swap_bytes(cur - size, cur, size);
		}
}

static void qsort_generic(void *base_, size_t n, size_t size, cmp_fn cmp)
{
	unsigned char *base = base_;

	while (n > 8) {
		unsigned char *lo = base;
		unsigned char *mid = base + (n / 2) * size;
		unsigned char *hi = base + (n - 1) * size;

		/* Median of three ends up at mid, with *lo <= *mid <= *hi. */
		compares += 3;
		if (cmp(mid, lo) < 0)
			swap_bytes(mid, lo, size);
		if (cmp(hi, mid) < 0) {
			swap_bytes(hi, mid, size);
			if (cmp(mid, lo) < 0)
				swap_bytes(mid, lo, size);
		}

		/* Park the pivot just below hi; lo and hi are sentinels. */
		unsigned char *pivot = hi - size;
		swap_bytes(mid, pivot, size);

		/* Hoare-style partition of (lo, pivot). */
		unsigned char *i = lo, *j = pivot;
		for (;;) {
			do {
				i += size;
				compares++;
			} while (cmp(i, pivot) < 0);
			do {
				j -= size;
				compares++;
			} while (cmp(pivot, j) < 0);
			if (i >= j)
				break;
			swap_bytes(i, j, size);
		}
		swap_bytes(i, pivot, size);

		/* Recurse into the smaller side, loop on the larger: O(log n) stack. */
		size_t left = (size_t)(i - base) / size;
		size_t right = n - left - 1;
		if (left < right) {
			qsort_generic(base, left, size, cmp);
			base = i + size;
			n = right;
		} else {
			qsort_generic(i + size, right, size, cmp);
			n = left;
		}
	}
	insertion_sort(base, n, size, cmp);
}

/* ---- comparators ---- */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y); /* never overflows, unlike x - y */
}

static int cmp_int_desc(const void *a, const void *b)
{
	return cmp_int(b, a);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

struct record {
	int16_t key;
	uint8_t tag;
	char name[9];
	uint32_t id; /* unique: makes the order total, so output is stable */
};

static int cmp_record(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- helpers ---- */

static uint32_t rng = 2463534242u;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static int is_sorted(const void *base_, size_t n, size_t size, cmp_fn cmp)
{
	const unsigned char *base = base_;

	for (size_t i = 1; i < n; i++)
		if (cmp(base + (i - 1) * size, base + i * size) > 0)
			return 0;
	return 1;
}

static uint64_t checksum_ints(const int *a, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a over the values */

	for (size_t i = 0; i < n; i++) {
		h ^= (uint32_t)a[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int failures;

static void verdict(const char *what, int ok)
{
	failures += !ok;
	fmt("  %-34s %s\n", what, ok ? "sorted" : "NOT SORTED");
}

#define N_INTS 2000

static int ints[N_INTS];

static void sort_ints(const char *label, size_t n, cmp_fn cmp)
{
	compares = 0;
	qsort_generic(ints, n, sizeof(int), cmp);
	fmt("%s: n=%zu compares=%lu checksum=%016lx\n", label, n, compares,
	    checksum_ints(ints, n));
	verdict(label, is_sorted(ints, n, sizeof(int), cmp));
}

int main(void)
{
	static struct record recs[300];
	static uint64_t wide[500];
	static const char *words[] = {
		"switch", "case", "default", "while", "for", "do", "if",
		"else", "return", "goto", "break", "continue", "struct",
		"union", "enum", "typedef", "static", "extern", "const",
		"volatile", "register", "auto", "inline", "restrict",
		"sizeof", "int", "char", "long", "short", "unsigned",
		"signed", "void", "_Bool", "_Alignas", "_Atomic",
	};

	fmt("generic qsort\n");

	/* Random ints, including negatives and duplicates. */
	for (size_t i = 0; i < N_INTS; i++)
		ints[i] = (int)(next_rand() % 20001) - 10000;
	sort_ints("random ints asc", N_INTS, cmp_int);
	fmt("  first:");
	for (int i = 0; i < 8; i++)
		fmt(" %d", ints[i]);
	fmt("\n  last: ");
	for (int i = N_INTS - 8; i < N_INTS; i++)
		fmt(" %d", ints[i]);
	fmt("\n");
	sort_ints("same ints desc", N_INTS, cmp_int_desc);
	sort_ints("already sorted (desc)", N_INTS, cmp_int_desc);
	sort_ints("reverse sorted", N_INTS, cmp_int);

	for (size_t i = 0; i < N_INTS; i++)
		ints[i] = (int)(next_rand() % 3);
	sort_ints("three distinct values", N_INTS, cmp_int);
	for (size_t i = 0; i < N_INTS; i++)
		ints[i] = 42;
	sort_ints("all equal", N_INTS, cmp_int);
	for (size_t i = 0; i < N_INTS; i++)
		ints[i] = (i & 1) ? (int)i : -(int)i;
	sort_ints("organ pipe", N_INTS, cmp_int);

	/* Tiny arrays: the insertion-sort path and the n <= 1 edge cases. */
	for (size_t n = 0; n <= 12; n++) {
		for (size_t i = 0; i < n; i++)
			ints[i] = (int)(next_rand() % 100);
		qsort_generic(ints, n, sizeof(int), cmp_int);
		if (!is_sorted(ints, n, sizeof(int), cmp_int))
			failures++;
	}
	fmt("tiny arrays n=0..12: %s\n", failures ? "FAILED" : "sorted");

	/* 64-bit unsigned keys: top bit set must sort above small values. */
	for (size_t i = 0; i < ARRAY_SIZE(wide); i++)
		wide[i] = (uint64_t)next_rand() << 32 | next_rand();
	compares = 0;
	qsort_generic(wide, ARRAY_SIZE(wide), sizeof(wide[0]), cmp_u64);
	fmt("u64 keys: compares=%lu min=%016lx max=%016lx\n", compares, wide[0],
	    wide[ARRAY_SIZE(wide) - 1]);
	verdict("u64 keys", is_sorted(wide, ARRAY_SIZE(wide), sizeof(wide[0]),
				       cmp_u64));

	/* 16-byte records sorted by (key, name, id). */
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++) {
		struct record *r = &recs[i];
		uint32_t v = next_rand();
		r->key = (int16_t)((int)(v % 41) - 20);
		r->tag = (uint8_t)(v >> 8);
		for (int k = 0; k < 8; k++)
			r->name[k] = (char)('a' + (next_rand() % 4));
		r->name[8] = '\0';
		r->id = (uint32_t)i;
	}
	compares = 0;
	qsort_generic(recs, ARRAY_SIZE(recs), sizeof(recs[0]), cmp_record);
	fmt("records (%zu bytes each): compares=%lu\n", sizeof(recs[0]),
	    compares);
	for (size_t i = 0; i < ARRAY_SIZE(recs); i += 37)
		fmt("  [%3zu] key %3d name %s id %3u tag %02x\n", i, recs[i].key,
		    recs[i].name, recs[i].id, recs[i].tag);
	verdict("records", is_sorted(recs, ARRAY_SIZE(recs), sizeof(recs[0]),
				      cmp_record));

	/* Pointers to strings. */
	qsort_generic(words, ARRAY_SIZE(words), sizeof(words[0]), cmp_str);
	fmt("words:");
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		fmt("%s%s", i % 10 ? " " : "\n  ", words[i]);
	fmt("\n");
	verdict("words", is_sorted(words, ARRAY_SIZE(words), sizeof(words[0]),
				    cmp_str));

	fmt("%s\n", failures ? "SOME SORTS FAILED" : "all sorts ok");
	return failures;
}
