/*
 * x86-64 system-instruction helpers for the self-test kernel.
 * Everything is inline assembly with "memory" clobbers where the
 * instruction has effects the compiler cannot see.
 */
#ifndef SELFTEST_ARCH_H
#define SELFTEST_ARCH_H

#include <stdint.h>

#include "io.h"

/* MSR indices (SDM Vol. 4). */
#define MSR_TSC			0x00000010
#define MSR_APIC_BASE		0x0000001b
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_FMASK		0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103
#define MSR_X2APIC_ID		0x00000802
#define MSR_X2APIC_VERSION	0x00000803
#define MSR_X2APIC_TPR		0x00000808
#define MSR_X2APIC_EOI		0x0000080b
#define MSR_X2APIC_ISR0		0x00000810
#define MSR_X2APIC_SELF_IPI	0x0000083f

#define EFER_SCE	(1u << 0)
#define EFER_LME	(1u << 8)
#define EFER_LMA	(1u << 10)
#define EFER_NXE	(1u << 11)

#define CR0_PE		(1u << 0)
#define CR0_WP		(1u << 16)
#define CR0_AM		(1u << 18)
#define CR0_PG		(1u << 31)
#define CR4_PAE		(1u << 5)

#define RFLAGS_CF	(1u << 0)
#define RFLAGS_TF	(1u << 8)
#define RFLAGS_IF	(1u << 9)
#define RFLAGS_DF	(1u << 10)
#define RFLAGS_RF	(1u << 16)
#define RFLAGS_AC	(1u << 18)

#include "x86-insn.h"

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}


/* Let an already pending interrupt in: STI's shadow covers the NOP,
 * delivery happens after it, then interrupts are masked again. */
static inline void irq_window(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void flush_tlb(void)
{
	write_cr3(read_cr3());
}

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

static inline void lgdt(const struct dtr *d) { __asm__ volatile("lgdt %0" : : "m"(*d)); }
static inline void lidt(const struct dtr *d) { __asm__ volatile("lidt %0" : : "m"(*d)); }
static inline void sgdt(struct dtr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct dtr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }

static inline void ltr(uint16_t sel) { __asm__ volatile("ltr %0" : : "r"(sel) : "memory"); }
static inline uint16_t str(void)
{
	uint16_t v;
	__asm__ volatile("str %0" : "=r"(v));
	return v;
}
static inline void lldt(uint16_t sel) { __asm__ volatile("lldt %0" : : "r"(sel) : "memory"); }
static inline uint16_t sldt(void)
{
	uint16_t v;
	__asm__ volatile("sldt %0" : "=r"(v));
	return v;
}

#define READ_SEG(name)							\
	static inline uint16_t read_##name(void)			\
	{								\
		uint16_t v;						\
		__asm__ volatile("mov %%" #name ", %0" : "=r"(v));	\
		return v;						\
	}
READ_SEG(cs)
READ_SEG(ds)
READ_SEG(ss)
READ_SEG(fs)
READ_SEG(gs)
#undef READ_SEG

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

#endif
