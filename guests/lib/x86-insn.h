/*
 * Thin inline wrappers around x86-64 system instructions, shared by the
 * freestanding guests (the demo OS and the self-test kernel).
 */
#ifndef GUESTS_X86_INSN_H
#define GUESTS_X86_INSN_H

#include <stdint.h>

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#define X86_DEFINE_CR(n)						\
	static inline uint64_t read_cr##n(void)				\
	{								\
		uint64_t v;						\
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));	\
		return v;						\
	}								\
	static inline void write_cr##n(uint64_t v)			\
	{								\
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
X86_DEFINE_CR(0)
X86_DEFINE_CR(2)
X86_DEFINE_CR(3)
X86_DEFINE_CR(4)
X86_DEFINE_CR(8)
#undef X86_DEFINE_CR

#define X86_DEFINE_DR(n)						\
	static inline uint64_t read_dr##n(void)				\
	{								\
		uint64_t v;						\
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(v));	\
		return v;						\
	}								\
	static inline void write_dr##n(uint64_t v)			\
	{								\
		__asm__ volatile("mov %0, %%db" #n : : "r"(v));		\
	}
X86_DEFINE_DR(0)
X86_DEFINE_DR(6)
X86_DEFINE_DR(7)
#undef X86_DEFINE_DR

static inline uint64_t read_rflags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

#endif
