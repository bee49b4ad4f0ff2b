/*
 * x86 port I/O helpers for the freestanding build.
 *
 * Only the serial console backend and the exit path use these; corpus
 * programs never touch hardware directly, so they stay portable to the
 * hosted (Linux) build.
 */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include <stdint.h>

/* "Nd": the port may be an 8-bit immediate or must be in %dx. */
static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline void outl(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

#endif
