/*
 * The one I/O interface shared by every corpus program.
 *
 * Two backends implement it and the Makefile picks one at link time:
 *   console_serial.c  freestanding image: 16550 UART at I/O port 0x3f8
 *   console_host.c    hosted Linux program: write(2) to stdout
 * Both emit exactly the bytes they are given (no "\n" -> "\r\n"
 * translation), so serial output can be compared byte-for-byte with the
 * hosted program's stdout.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stddef.h>

void console_putc(char c);
void console_write(const char *s, size_t n);

#endif
