/*
 * A small printf-style formatter, used by every corpus program for output.
 *
 * It is deliberately printf-compatible for the subset it implements, so
 * gcc's -Wformat checks the call sites and tools/fmt_vs_libc.c can compare
 * it against glibc's snprintf:
 *
 *   flags       '-' '0' '+' ' ' '#'
 *   width       decimal or '*'
 *   precision   '.' decimal or '.*'   (minimum digits / maximum chars)
 *   length      hh h l ll z j
 *   conversion  d i u x X o c s p %
 *
 * Differences from glibc: %p of NULL prints "0x0" rather than "(nil)",
 * and there is no floating point at all (the freestanding build has no
 * FPU/SSE state).
 */
#ifndef GUEST_FMT_H
#define GUEST_FMT_H

#include <stdarg.h>
#include <stddef.h>

#include "console.h"

#define FMT_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Format to the console; returns the number of characters written. */
int fmt(const char *format, ...) FMT_PRINTF(1, 2);
int vfmt(const char *format, va_list ap) FMT_PRINTF(1, 0);

/*
 * Format into buf (snprintf semantics): at most size-1 characters plus a
 * terminating NUL are stored; returns the length the full output would have.
 */
int sfmt(char *buf, size_t size, const char *format, ...) FMT_PRINTF(3, 4);
int vsfmt(char *buf, size_t size, const char *format, va_list ap)
	FMT_PRINTF(3, 0);

#endif
