/*
 * Port I/O (SDM Vol. 1 chapter 18; Vol. 2A IN/INS, Vol. 2B OUT/OUTS).
 *
 * The UART scratch register (COM1 + 7, 0x3ff) is the one byte-wide
 * read/write register every 16550 has.  Only byte accesses go to the
 * UART: QEMU 7.2 aborts on a 16- or 32-bit access to it
 * (hw/char/serial.c: assert(size == 1 && addr < 8)).  Word and dword
 * IN/OUT use a port nothing decodes instead: reads of unassigned ports
 * return all ones on the PC platform, writes are dropped.
 */
#include "arch.h"
#include "mem.h"
#include "selftest.h"

#define SCR 0x3ff
#define UNUSED_PORT 0x2e8	/* COM4: absent on this platform */

void t_io_scratch(void)
{
	static const uint8_t pattern[] = { 0xa5, 0x5a, 0x00, 0xff, 0x3c };
	for (unsigned i = 0; i < sizeof(pattern); i++) {
		outb(SCR, pattern[i]);
		CHECK(inb(SCR) == pattern[i], "scratch %#x read back as %#x", pattern[i], inb(SCR));
	}
	/* DX-form and immediate-form encodings of the same access. */
	uint8_t v;
	__asm__ volatile("movb $0xc3, %%al; outb %%al, %%dx; xorl %%eax, %%eax; inb %%dx, %%al"
			 : "=a"(v) : "d"(SCR));
	CHECK_EQ("OUT/IN DX", v, 0xc3);
	__asm__ volatile("movb $0x96, %%al; outb %%al, $0xff; xorl %%eax, %%eax; inb $0xff, %%al"
			 : "=a"(v));
	CHECK_EQ("port 0xff (unassigned) byte", v, 0xff);

	/* All sizes on an unassigned port: IN is all ones, OUT is dropped
	 * (and does not reach the UART). */
	outb(SCR, 0x42);
	outb(UNUSED_PORT, 0x11);
	outw(UNUSED_PORT, 0x2222);
	outl(UNUSED_PORT, 0x33333333);
	CHECK_EQ("unassigned port byte", inb(UNUSED_PORT), 0xff);
	CHECK_EQ("unassigned port word", inw(UNUSED_PORT), 0xffff);
	CHECK_EQ("unassigned port dword", inl(UNUSED_PORT), 0xffffffff);
	uint32_t rax = 0x12345678;
	__asm__ volatile("inw %%dx, %%ax" : "+a"(rax) : "d"(UNUSED_PORT));
	CHECK_EQ("IN AX keeps EAX[31:16]", rax, 0x1234ffff);
	rax = 0x12345678;
	__asm__ volatile("inb %%dx, %%al" : "+a"(rax) : "d"(UNUSED_PORT));
	CHECK_EQ("IN AL keeps EAX[31:8]", rax, 0x123456ff);
	CHECK_EQ("scratch after unassigned writes", inb(SCR), 0x42);
}

void t_io_string_in(void)
{
	uint8_t buf[24];
	uint64_t rdi, rcx;

	memset(buf, 0, sizeof(buf));
	__asm__ volatile("rep insb" : "=D"(rdi), "=c"(rcx)
			 : "0"(buf + 4), "1"(8ull), "d"(UNUSED_PORT) : "memory");
	CHECK_EQ("REP INSB RDI", rdi, (uint64_t)(buf + 12));
	CHECK_EQ("REP INSB RCX", rcx, 0);
	for (int i = 0; i < 24; i++)
		CHECK(buf[i] == (i >= 4 && i < 12 ? 0xff : 0), "REP INSB byte %d = %#x", i, buf[i]);

	memset(buf, 0, sizeof(buf));
	__asm__ volatile("rep insw" : "=D"(rdi), "=c"(rcx)
			 : "0"(buf), "1"(3ull), "d"(UNUSED_PORT) : "memory");
	CHECK_EQ("REP INSW RDI", rdi, (uint64_t)(buf + 6));
	__asm__ volatile("rep insl" : "=D"(rdi), "=c"(rcx)
			 : "0"(buf + 8), "1"(2ull), "d"(UNUSED_PORT) : "memory");
	CHECK_EQ("REP INSD RDI", rdi, (uint64_t)(buf + 16));
	for (int i = 0; i < 24; i++)
		CHECK(buf[i] == ((i < 6 || (i >= 8 && i < 16)) ? 0xff : 0), "INSW/INSD byte %d = %#x", i, buf[i]);

	/* DF = 1: INS stores downwards. */
	memset(buf, 0, sizeof(buf));
	outb(SCR, 0x5c);
	__asm__ volatile("std; rep insb; cld" : "=D"(rdi), "=c"(rcx)
			 : "0"(buf + 7), "1"(4ull), "d"(SCR) : "memory");
	CHECK_EQ("STD REP INSB RDI", rdi, (uint64_t)(buf + 3));
	for (int i = 0; i < 24; i++)
		CHECK(buf[i] == (i >= 4 && i < 8 ? 0x5c : 0), "STD REP INSB byte %d = %#x", i, buf[i]);
}

void t_io_string_out(void)
{
	static const uint8_t bytes[] = { 0x11, 0x22, 0x33 };
	uint64_t rsi, rcx;
	__asm__ volatile("rep outsb" : "=S"(rsi), "=c"(rcx)
			 : "0"(bytes), "1"(3ull), "d"(SCR) : "memory");
	CHECK_EQ("REP OUTSB RSI", rsi, (uint64_t)(bytes + 3));
	CHECK_EQ("REP OUTSB RCX", rcx, 0);
	CHECK_EQ("scratch after REP OUTSB", inb(SCR), 0x33);
	__asm__ volatile("std; rep outsb; cld" : "=S"(rsi), "=c"(rcx)
			 : "0"(bytes + 2), "1"(3ull), "d"(SCR) : "memory");
	CHECK_EQ("STD REP OUTSB RSI", rsi, (uint64_t)bytes - 1);
	CHECK_EQ("scratch after STD REP OUTSB", inb(SCR), 0x11);
	if (test_failed())
		return;
	/* The "ok" of this line goes out through REP OUTSB to the THR:
	 * wait until the transmitter is empty (LSR.TEMT), then two bytes
	 * fit in the 16550's holding register + shift register. */
	for (unsigned i = 0; i < SPIN_LONG && (inb(0x3fd) & 0x60) != 0x60; i++)
		cpu_relax();
	static const char ok[] = "ok";
	__asm__ volatile("rep outsb" : "=S"(rsi), "=c"(rcx)
			 : "0"(ok), "1"(2ull), "d"(0x3f8) : "memory");
	test_output_ok_printed = 1;
}
