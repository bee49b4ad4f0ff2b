/*
 * printf-style formatter; see fmt.h for the supported subset.
 *
 * All output goes through a small "sink" with a function pointer, so the
 * same engine serves both the console and in-memory buffers.
 */
#include "fmt.h"

#include <limits.h>
#include <stdint.h>

struct sink {
	void (*put)(struct sink *s, char c);
	char *buf;   /* buffer sinks only */
	size_t size; /* buffer capacity including the NUL */
	size_t len;  /* characters produced so far (also past the end) */
};

static void put_console(struct sink *s, char c)
{
	console_putc(c);
	s->len++;
}

static void put_buffer(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void put_repeat(struct sink *s, char c, int n)
{
	while (n-- > 0)
		s->put(s, c);
}

static void put_string(struct sink *s, const char *str, int n)
{
	for (int i = 0; i < n; i++)
		s->put(s, str[i]);
}

enum {
	F_LEFT = 1 << 0,  /* '-' */
	F_ZERO = 1 << 1,  /* '0' */
	F_PLUS = 1 << 2,  /* '+' */
	F_SPACE = 1 << 3, /* ' ' */
	F_ALT = 1 << 4,   /* '#' */
};

struct spec {
	unsigned flags;
	int width;     /* 0 when absent */
	int precision; /* -1 when absent */
};

/* Pad a finished field of `len` characters to the requested width. */
static void put_padded(struct sink *s, const struct spec *sp, const char *str,
		       int len)
{
	int pad = sp->width > len ? sp->width - len : 0;

	if (!(sp->flags & F_LEFT))
		put_repeat(s, ' ', pad);
	put_string(s, str, len);
	if (sp->flags & F_LEFT)
		put_repeat(s, ' ', pad);
}

/*
 * Emit one integer conversion.  The field is laid out as
 *   [spaces] sign prefix [zeros] digits [spaces]
 * where leading zeros come from the precision or, without a precision,
 * from the '0' flag filling the width.
 */
static void put_integer(struct sink *s, const struct spec *sp,
			unsigned long long value, int negative, unsigned base,
			int upper, int is_signed)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24]; /* 22 octal digits cover 64 bits */
	int ndigits = 0;
	char sign = 0;
	const char *prefix = "";
	int nprefix = 0;

	/* Digits, least significant first.  Precision 0 and value 0 print none. */
	if (value != 0 || sp->precision != 0) {
		do {
			tmp[ndigits++] = digits[value % base];
			value /= base;
		} while (value != 0);
	}

	if (negative)
		sign = '-';
	else if (is_signed && (sp->flags & F_PLUS))
		sign = '+';
	else if (is_signed && (sp->flags & F_SPACE))
		sign = ' ';

	if (sp->flags & F_ALT) {
		if (base == 16 && ndigits > 0 && !(ndigits == 1 && tmp[0] == '0')) {
			prefix = upper ? "0X" : "0x";
			nprefix = 2;
		} else if (base == 8 && (ndigits == 0 || tmp[ndigits - 1] != '0') &&
			   sp->precision <= ndigits) {
			/* '#' with octal guarantees a leading zero. */
			prefix = "0";
			nprefix = 1;
		}
	}

	int zeros = sp->precision > ndigits ? sp->precision - ndigits : 0;
	int len = (sign ? 1 : 0) + nprefix + zeros + ndigits;
	int pad = sp->width > len ? sp->width - len : 0;

	/* C: the '0' flag is ignored with '-' or with an explicit precision. */
	if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->precision < 0) {
		zeros += pad;
		pad = 0;
	}

	if (!(sp->flags & F_LEFT))
		put_repeat(s, ' ', pad);
	if (sign)
		s->put(s, sign);
	put_string(s, prefix, nprefix);
	put_repeat(s, '0', zeros);
	while (ndigits > 0)
		s->put(s, tmp[--ndigits]);
	if (sp->flags & F_LEFT)
		put_repeat(s, ' ', pad);
}

enum length { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_MAX };

static long long arg_signed(va_list *ap, enum length l)
{
	switch (l) {
	case L_CHAR:
		return (signed char)va_arg(*ap, int);
	case L_SHORT:
		return (short)va_arg(*ap, int);
	case L_LONG:
		return va_arg(*ap, long);
	case L_LLONG:
		return va_arg(*ap, long long);
	case L_SIZE:
		return (long long)va_arg(*ap, size_t);
	case L_MAX:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

static unsigned long long arg_unsigned(va_list *ap, enum length l)
{
	switch (l) {
	case L_CHAR:
		return (unsigned char)va_arg(*ap, unsigned);
	case L_SHORT:
		return (unsigned short)va_arg(*ap, unsigned);
	case L_LONG:
		return va_arg(*ap, unsigned long);
	case L_LLONG:
		return va_arg(*ap, unsigned long long);
	case L_SIZE:
		return va_arg(*ap, size_t);
	case L_MAX:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

static int parse_int(const char **p)
{
	int n = 0;

	while (**p >= '0' && **p <= '9') {
		if (n < INT_MAX / 10)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return n;
}

/* The engine.  va_list is passed by pointer so helpers can consume it. */
static void format(struct sink *s, const char *f, va_list *ap)
{
	while (*f) {
		if (*f != '%') {
			s->put(s, *f++);
			continue;
		}
		const char *start = f++;
		struct spec sp = { 0, 0, -1 };

		for (;; f++) {
			if (*f == '-')
				sp.flags |= F_LEFT;
			else if (*f == '0')
				sp.flags |= F_ZERO;
			else if (*f == '+')
				sp.flags |= F_PLUS;
			else if (*f == ' ')
				sp.flags |= F_SPACE;
			else if (*f == '#')
				sp.flags |= F_ALT;
			else
				break;
		}

		if (*f == '*') {
			int w = va_arg(*ap, int);
			f++;
			if (w < 0) { /* negative width means left-justify */
				sp.flags |= F_LEFT;
				w = w == INT_MIN ? INT_MAX : -w;
			}
			sp.width = w;
		} else {
			sp.width = parse_int(&f);
		}

		if (*f == '.') {
			f++;
			if (*f == '*') {
				int pr = va_arg(*ap, int);
				f++;
				sp.precision = pr < 0 ? -1 : pr; /* negative: absent */
			} else {
				sp.precision = parse_int(&f);
			}
		}

		enum length l = L_INT;
		switch (*f) {
		case 'h':
			f++;
			l = L_SHORT;
			if (*f == 'h') {
				f++;
				l = L_CHAR;
			}
			break;
		case 'l':
			f++;
			l = L_LONG;
			if (*f == 'l') {
				f++;
				l = L_LLONG;
			}
			break;
		case 'z':
			f++;
			l = L_SIZE;
			break;
		case 'j':
			f++;
			l = L_MAX;
			break;
		default:
			break;
		}

		switch (*f) {
		case 'd':
		case 'i': {
			long long v = arg_signed(ap, l);
			/* Negate in unsigned arithmetic: correct for LLONG_MIN too. */
			unsigned long long mag =
				v < 0 ? -(unsigned long long)v : (unsigned long long)v;
			put_integer(s, &sp, mag, v < 0, 10, 0, 1);
			break;
		}
		case 'u':
			put_integer(s, &sp, arg_unsigned(ap, l), 0, 10, 0, 0);
			break;
		case 'x':
		case 'X':
			put_integer(s, &sp, arg_unsigned(ap, l), 0, 16, *f == 'X', 0);
			break;
		case 'o':
			put_integer(s, &sp, arg_unsigned(ap, l), 0, 8, 0, 0);
			break;
		case 'p': {
			struct spec psp = sp;
			psp.flags |= F_ALT;
			uintptr_t v = (uintptr_t)va_arg(*ap, void *);
			if (v == 0) { /* "#x" would drop the 0x for zero */
				put_padded(s, &sp, "0x0", 3);
				break;
			}
			put_integer(s, &psp, v, 0, 16, 0, 0);
			break;
		}
		case 'c': {
			char c = (char)va_arg(*ap, int);
			put_padded(s, &sp, &c, 1);
			break;
		}
		case 's': {
			const char *str = va_arg(*ap, const char *);
			int n = 0;
			if (!str)
				str = "(null)";
			/* Never read past `precision` characters: may be unterminated. */
			while ((sp.precision < 0 || n < sp.precision) && str[n])
				n++;
			put_padded(s, &sp, str, n);
			break;
		}
		case '%':
			s->put(s, '%');
			break;
		default:
			/* Unknown or truncated conversion: print it verbatim. */
			if (*f == '\0') {
				put_string(s, start, (int)(f - start));
				return;
			}
			put_string(s, start, (int)(f - start) + 1);
			break;
		}
		f++;
	}
}

int vfmt(const char *f, va_list ap)
{
	struct sink s = { put_console, NULL, 0, 0 };
	va_list copy;

	va_copy(copy, ap);
	format(&s, f, &copy);
	va_end(copy);
	return (int)s.len;
}

int fmt(const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vfmt(f, ap);
	va_end(ap);
	return n;
}

int vsfmt(char *buf, size_t size, const char *f, va_list ap)
{
	struct sink s = { put_buffer, buf, size, 0 };
	va_list copy;

	va_copy(copy, ap);
	format(&s, f, &copy);
	va_end(copy);
	if (size > 0)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

int sfmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsfmt(buf, size, f, ap);
	va_end(ap);
	return n;
}
