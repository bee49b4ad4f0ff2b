/*
 * Console backend for the freestanding image: polled 16550 UART (COM1).
 *
 * The UART is used as firmware left it; we do not program the baud-rate
 * divisor.  That keeps the device contract minimal (only THR writes and
 * LSR reads) and avoids setting LCR.DLAB, which would turn a THR write
 * into a divisor-latch write on emulators that model DLAB.
 */
#include "console.h"
#include "io.h"

#define COM1_THR 0x3f8 /* transmit holding register (write) */
#define COM1_LSR 0x3fd /* line status register (read) */
#define LSR_THRE 0x20  /* THR empty: ready to accept a byte */

void console_putc(char c)
{
	/* Wait like a real driver would; an emulated UART reports empty. */
	while (!(inb(COM1_LSR) & LSR_THRE))
		;
	outb(COM1_THR, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_putc(s[i]);
}
