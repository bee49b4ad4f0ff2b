/*
 * Console backend for the hosted (Linux) reference build: stdout via
 * write(2).  Output is line-buffered by hand (no stdio), and whatever is
 * left is flushed by a destructor, which runs when main() returns.
 */
#include "console.h"

#include <errno.h>
#include <unistd.h>

static char buf[4096];
static size_t len;

static void flush(void)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(STDOUT_FILENO, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* stdout is gone; nothing sensible to do */
		done += (size_t)n;
	}
	len = 0;
}

__attribute__((destructor)) static void flush_at_exit(void)
{
	flush();
}

void console_putc(char c)
{
	buf[len++] = c;
	if (c == '\n' || len == sizeof(buf))
		flush();
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_putc(s[i]);
}
