/*
 * Model-specific registers (SDM Vol. 4 chapter 2; Vol. 3A 2.2.1 EFER,
 * 5.8.8 SYSCALL MSRs, 3.4.4.1 FS/GS bases; Vol. 2B RDTSCP, SWAPGS).
 */
#include "arch.h"
#include "selftest.h"
#include "trap.h"

void t_msr_efer(void)
{
	uint64_t efer = rdmsr(MSR_EFER);
	uint64_t want = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	CHECK_EQ("EFER & (SCE|LME|LMA|NXE)", efer & want, want);
	/* SCE can be toggled; the value reads back. */
	wrmsr(MSR_EFER, efer & ~(uint64_t)EFER_SCE);
	uint64_t off = rdmsr(MSR_EFER);
	wrmsr(MSR_EFER, efer);
	CHECK_EQ("EFER after clearing SCE", off, efer & ~(uint64_t)EFER_SCE);
	CHECK_EQ("EFER restored", rdmsr(MSR_EFER), efer);
}

void t_msr_syscall(void)
{
	static const struct { uint32_t msr; uint64_t v; const char *name; } regs[] = {
		{ MSR_STAR, 0x0023001000000000ull, "STAR" },
		{ MSR_STAR, 0x12345678abcdef01ull, "STAR" },
		{ MSR_LSTAR, 0xffffffff81234560ull, "LSTAR" },
		{ MSR_LSTAR, 0x00007fffffffe000ull, "LSTAR" },
		{ MSR_CSTAR, 0xffff800000abc000ull, "CSTAR" },
		{ MSR_FMASK, 0x47700, "FMASK" },
		{ MSR_FMASK, 0x0, "FMASK" },
	};
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		uint64_t old = rdmsr(regs[i].msr);
		wrmsr(regs[i].msr, regs[i].v);
		uint64_t got = rdmsr(regs[i].msr);
		wrmsr(regs[i].msr, old);
		CHECK_EQ(regs[i].name, got, regs[i].v);
	}
}

static uint64_t fs_area[2] = { 0x1122334455667788ull, 0x99aabbccddeeff00ull };
static uint64_t gs_area[2] = { 0x0102030405060708ull, 0x1112131415161718ull };
static uint64_t kgs_area[2] = { 0x2122232425262728ull, 0x3132333435363738ull };

void t_msr_segbase(void)
{
	uint64_t v;
	wrmsr(MSR_FS_BASE, (uint64_t)fs_area);
	CHECK_EQ("FS_BASE", rdmsr(MSR_FS_BASE), (uint64_t)fs_area);
	__asm__ volatile("movq %%fs:0, %0" : "=r"(v));
	CHECK_EQ("fs:[0]", v, fs_area[0]);
	wrmsr(MSR_FS_BASE, (uint64_t)fs_area + 8);
	__asm__ volatile("movq %%fs:0, %0" : "=r"(v));
	CHECK_EQ("fs:[0] after moving FS_BASE", v, fs_area[1]);

	wrmsr(MSR_GS_BASE, (uint64_t)gs_area);
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)kgs_area);
	CHECK_EQ("GS_BASE", rdmsr(MSR_GS_BASE), (uint64_t)gs_area);
	CHECK_EQ("KERNEL_GS_BASE", rdmsr(MSR_KERNEL_GS_BASE), (uint64_t)kgs_area);
	__asm__ volatile("movq %%gs:8, %0" : "=r"(v));
	CHECK_EQ("gs:[8]", v, gs_area[1]);
	__asm__ volatile("swapgs; movq %%gs:8, %0; swapgs" : "=r"(v));
	CHECK_EQ("gs:[8] after SWAPGS", v, kgs_area[1]);
	__asm__ volatile("swapgs");
	CHECK_EQ("GS_BASE after SWAPGS", rdmsr(MSR_GS_BASE), (uint64_t)kgs_area);
	CHECK_EQ("KERNEL_GS_BASE after SWAPGS", rdmsr(MSR_KERNEL_GS_BASE), (uint64_t)gs_area);
	__asm__ volatile("swapgs");

	/* A canonical upper-half base reads back unchanged. */
	wrmsr(MSR_FS_BASE, 0xffff800000001000ull);
	CHECK_EQ("FS_BASE upper half", rdmsr(MSR_FS_BASE), 0xffff800000001000ull);
	wrmsr(MSR_FS_BASE, 0);
}

/* RDTSC never goes backwards on one CPU; IA32_TIME_STAMP_COUNTER is the
 * same counter (SDM Vol. 3B 17.17). */
void t_msr_tsc(void)
{
	uint64_t first = rdtsc(), prev = first;
	int backwards = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t t = rdtsc();
		if (t < prev)
			backwards++;
		prev = t;
	}
	CHECK(backwards == 0, "RDTSC went backwards %d times", backwards);
	CHECK(prev > first, "RDTSC did not advance over 1000 reads");
	uint64_t a = rdtsc(), m = rdmsr(MSR_TSC), b = rdtsc();
	/* (No counter values in the message: they are timing.) */
	CHECK(a <= m, "RDMSR(IA32_TSC) below a preceding RDTSC%s", m == 0 ? " (reads 0)" : "");
	CHECK(m <= b, "RDMSR(IA32_TSC) above a following RDTSC");
}

void t_msr_rdtscp(void)
{
	uint32_t r[4];
	cpuid(0x80000001, 0, r);
	if (!(r[3] & (1u << 27))) {
		test_skip("no RDTSCP");
		return;
	}
	uint64_t old = rdmsr(MSR_TSC_AUX);
	wrmsr(MSR_TSC_AUX, 0x1234);
	CHECK_EQ("TSC_AUX", rdmsr(MSR_TSC_AUX), 0x1234);
	uint32_t lo, hi, aux;
	uint64_t before = rdtsc();
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	uint64_t t = ((uint64_t)hi << 32) | lo;
	wrmsr(MSR_TSC_AUX, old);
	CHECK_EQ("RDTSCP ECX", aux, 0x1234);
	CHECK(t >= before, "RDTSCP earlier than a preceding RDTSC");
}
