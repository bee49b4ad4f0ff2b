/*
 * Kernel console on the COM1 16550 UART (polled output, no input).
 *
 * The UART is used as the firmware left it: like lib/console_serial.c we
 * only poll LSR.THRE and write THR, so the device contract stays the one
 * the corpus images use.
 *
 * Every line is written whole under console_lock, so lines from different
 * CPUs never interleave mid-line.  Process output is collected per task
 * until '\n' and then written as one line "[pid:name] text".
 */
#include "kernel.h"
#include "io.h"
#include "sched.h"

#define COM1_THR (COM1 + 0)
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20
#define LINE_MAX 256

static struct spinlock console_lock = SPINLOCK_INIT("console");

static void serial_putc(char c)
{
	while (!(inb(COM1_LSR) & LSR_THRE))
		cpu_relax();
	outb(COM1_THR, (uint8_t)c);
}

/* lib/fmt.c's console sink (unlocked, byte at a time); the kernel itself
 * only formats into buffers. */
void console_putc(char c)
{
	serial_putc(c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(s[i]);
}

void console_init(void)
{
	/* Nothing to program: see the comment at the top. */
}

/*
 * Write pieces as one line.  A CPU that already holds the lock (an NMI or a
 * panic in the middle of a line) writes without it rather than deadlock.
 */
static void write_line(const char *a, size_t na, const char *b, size_t nb)
{
	bool nested = spin_held_by_me(&console_lock);

	if (!nested)
		spin_lock(&console_lock);
	console_write(a, na);
	console_write(b, nb);
	if (nb == 0 || b[nb - 1] != '\n')
		serial_putc('\n');
	if (!nested)
		spin_unlock(&console_lock);
}

/* After a panic, other CPUs may be stopped while holding the lock. */
void console_emergency(void)
{
	console_lock.owner = 0;
}

void vprintk(const char *f, va_list ap)
{
	char line[LINE_MAX];
	int n = vsfmt(line, sizeof(line), f, ap);

	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	write_line(line, (size_t)n, "", 0);
}

void printk(const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vprintk(f, ap);
	va_end(ap);
}

static size_t task_prefix(struct task *t, char *buf, size_t size)
{
	int n = sfmt(buf, size, "[%d:%s] ", t->pid, t->name);
	return n < (int)size ? (size_t)n : size - 1;
}

static void emit_task_line(struct task *t)
{
	char prefix[40];

	write_line(prefix, task_prefix(t, prefix, sizeof(prefix)), t->linebuf, t->linelen);
	t->linelen = 0;
}

/* Write out a partial line (at exit, or before a kernel message). */
void console_task_flush(struct task *t)
{
	if (t->linelen != 0)
		emit_task_line(t);
}

/* Bytes a process wrote to fd 1/2: buffered until a newline. */
void console_task_write(struct task *t, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\n') {
			emit_task_line(t);
		} else if (c != '\r') {
			t->linebuf[t->linelen++] = c;
			if (t->linelen == LINEBUF_SIZE)
				emit_task_line(t); /* overlong line: split it */
		}
	}
}

/* A kernel message about a task, e.g. "[5:debugee] kernel: #BP ...". */
void task_printk(struct task *t, const char *f, ...)
{
	char line[LINE_MAX];
	char prefix[48];
	va_list ap;
	size_t np;
	int n;

	console_task_flush(t);
	np = task_prefix(t, prefix, sizeof(prefix) - 8);
	memcpy(prefix + np, "kernel: ", 8);
	np += 8;
	va_start(ap, f);
	n = vsfmt(line, sizeof(line), f, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	write_line(prefix, np, line, (size_t)n);
}
