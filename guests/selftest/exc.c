/*
 * Exceptions through the 64-bit IDT (SDM Vol. 3A chapter 6 "Interrupt and
 * exception handling", 6.15 "Exception and interrupt reference").  Each
 * check arms the expected vector, runs the faulting instruction through a
 * FAULT_SITE (the dispatcher resumes after it) and compares the logged
 * frame: vector, error code, saved RIP, CR2.
 */
#include "arch.h"
#include "desc.h"
#include "selftest.h"
#include "trap.h"

#define NONCANONICAL 0x8000000000000000ull

static void check_one(int vector, uint64_t error, uint64_t rip)
{
	CHECK_EQ("exceptions taken", fault_count, 1);
	if (fault_count < 1)
		return;
	CHECK_EQ("vector", fault_log[0].vector, vector);
	CHECK_EQ("error code", fault_log[0].error, error);
	CHECK_EQ("saved RIP", fault_log[0].rip, rip);
	CHECK_EQ("saved CS", fault_log[0].cs, SEL_KCODE64);
}

/* #DE is a fault: RIP points at the DIV (SDM Vol. 3A 6.15 Interrupt 0). */
void t_exc_de(void)
{
	uint64_t site;
	uint32_t eax;
	trap_expect(0);
	__asm__ volatile("movl $7, %%eax\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 FAULT_SITE("divl %%ecx")
			 "leaq 1b(%%rip), %0"
			 : "=r"(site), "=a"(eax) : : "rcx", "rdx");
	check_one(0, 0, site);
	CHECK_EQ("EAX after faulting DIV", eax, 7);
}

void t_exc_ud(void)
{
	uint64_t site;
	trap_expect(6);
	__asm__ volatile(FAULT_SITE("ud2") "leaq 1b(%%rip), %0" : "=r"(site));
	check_one(6, 0, site);
}

/* #BP is a trap: the saved RIP is that of the next instruction, for both
 * INT3 (CC) and INT 3 (CD 03) (SDM Vol. 3A 6.15 Interrupt 3, Vol. 2A INT n). */
void t_exc_bp(void)
{
	uint64_t after1, after2;
	trap_expect(3);
	__asm__ volatile("int3\n1:\n\tleaq 1b(%%rip), %0" : "=r"(after1));
	__asm__ volatile(".byte 0xcd, 0x03\n1:\n\tleaq 1b(%%rip), %0" : "=r"(after2));
	CHECK_EQ("exceptions taken", fault_count, 2);
	if (fault_count < 2)
		return;
	CHECK_EQ("vector (int3)", fault_log[0].vector, 3);
	CHECK_EQ("saved RIP (int3)", fault_log[0].rip, after1);
	CHECK_EQ("vector (int 3)", fault_log[1].vector, 3);
	CHECK_EQ("saved RIP (int 3)", fault_log[1].rip, after2);
}

static void db_step_hook(struct trap_frame *f)
{
	if (fault_count < FAULT_LOG_SIZE)
		trap_frame_to_fault(f, &fault_log[fault_count]);
	fault_count++;
	f->rflags &= ~(uint64_t)RFLAGS_TF;
}

/* Single-step: after POPF sets TF, the instruction after POPF completes
 * and then #DB (trap) is taken with DR6.BS = 1 (SDM Vol. 3A 17.2.3,
 * 17.3.1.4: "the single-step trap occurs after the instruction that
 * follows the instruction that set TF"). */
void t_exc_db_step(void)
{
	uint64_t at;
	write_dr6(0xffff0ff0);
	trap_set_hook(1, db_step_hook);
	__asm__ volatile("pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "nop\n"
			 "1:\tnop\n\t"
			 "leaq 1b(%%rip), %0"
			 : "=r"(at) : : "memory", "cc");
	CHECK_EQ("#DB taken", fault_count, 1);
	if (fault_count < 1)
		return;
	CHECK_EQ("saved RIP", fault_log[0].rip, at);
	CHECK_EQ("DR6 BS/B0-3", fault_log[0].dr6 & 0x400f, 0x4000);
	CHECK(fault_log[0].rflags & RFLAGS_TF, "TF clear in the saved RFLAGS");
}

static volatile int hwbp_hits;
static void db_hwbp_hook(struct trap_frame *f)
{
	if (fault_count < FAULT_LOG_SIZE)
		trap_frame_to_fault(f, &fault_log[fault_count]);
	fault_count++;
	f->rflags |= RFLAGS_RF;	/* resume without re-triggering */
	if (++hwbp_hits > 3)
		write_dr7(0x400);	/* RF not honoured: stop the loop */
}

/* Instruction breakpoint: a fault, RIP = the breakpoint address, DR6.B0;
 * RF=1 in the saved RFLAGS lets the IRETQ'd instruction complete
 * (SDM Vol. 3A 17.2.3, 17.3.1.1). */
void t_exc_db_hwbp(void)
{
	uint64_t at;
	uint32_t count = 0;
	hwbp_hits = 0;
	write_dr6(0xffff0ff0);
	trap_set_hook(1, db_hwbp_hook);
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
			 "movq %%rax, %%dr0\n\t"
			 "movl $0x401, %%eax\n\t"
			 "movq %%rax, %%dr7\n"
			 "1:\tincl %1\n\t"
			 "movl $0x400, %%eax\n\t"
			 "movq %%rax, %%dr7\n\t"
			 "leaq 1b(%%rip), %0"
			 : "=r"(at), "+r"(count) : : "rax", "memory");
	CHECK_EQ("#DB taken", fault_count, 1);
	CHECK_EQ("breakpointed instruction executed", count, 1);
	if (fault_count < 1)
		return;
	CHECK_EQ("saved RIP", fault_log[0].rip, at);
	CHECK_EQ("DR6 B0-3", fault_log[0].dr6 & 0xf, 1);
}

/* Non-canonical data address: #GP(0), CR2 untouched (SDM Vol. 3A 6.15 Interrupt 13). */
void t_exc_gp_noncanonical(void)
{
	uint64_t site;
	write_cr2(0x5a5a5000);
	trap_expect(13);
	__asm__ volatile(FAULT_SITE("movq (%1), %%rax") "leaq 1b(%%rip), %0"
			 : "=r"(site) : "r"(NONCANONICAL) : "rax", "memory");
	check_one(13, 0, site);
	CHECK_EQ("CR2", read_cr2(), 0x5a5a5000);
}

/* Selector beyond the GDT limit: #GP(selector), error code = index and TI
 * with the RPL bits replaced by EXT/IDT = 0 (SDM Vol. 3A 6.13 "Error Code"). */
void t_exc_gp_selector(void)
{
	uint64_t site;
	trap_expect(13);
	__asm__ volatile(FAULT_SITE("movl %1, %%ds") "leaq 1b(%%rip), %0"
			 : "=r"(site) : "r"(0x1003) : "memory");
	check_one(13, 0x1000, site);
	CHECK_EQ("DS unchanged", read_ds(), SEL_KDATA);
}

/* Not-present data segment into DS: #NP(selector) (Vol. 2B MOV). */
void t_exc_np(void)
{
	uint64_t site;
	trap_expect(11);
	__asm__ volatile(FAULT_SITE("movl %1, %%ds") "leaq 1b(%%rip), %0"
			 : "=r"(site) : "r"(SEL_NPDATA) : "memory");
	check_one(11, SEL_NPDATA, site);
}

/* Not-present segment into SS: #SS(selector) (Vol. 2B MOV). */
void t_exc_ss(void)
{
	uint64_t site;
	trap_expect(12);
	__asm__ volatile(FAULT_SITE("movl %1, %%ss") "leaq 1b(%%rip), %0"
			 : "=r"(site) : "r"(SEL_NPDATA) : "memory");
	check_one(12, SEL_NPDATA, site);
	CHECK_EQ("SS unchanged", read_ss(), SEL_KDATA);
}

/* A non-canonical address in a stack reference (base RBP/RSP) is #SS(0)
 * in 64-bit mode, not #GP (SDM Vol. 2B MOV "64-Bit Mode Exceptions": #SS(0) "if a memory
 * address referencing the SS segment is in a non-canonical form"; Vol. 1
 * 3.3.7.1). */
void t_exc_ss_noncanonical(void)
{
	uint64_t site;
	trap_expect(12);
	trap_expect(13);	/* logged, so the report can name it */
	__asm__ volatile("pushq %%rbp\n\t"
			 "movq %1, %%rbp\n\t"
			 FAULT_SITE("movq (%%rbp), %%rax")
			 "popq %%rbp\n\t"
			 "leaq 1b(%%rip), %0"
			 : "=r"(site) : "r"(NONCANONICAL) : "rax", "memory");
	check_one(12, 0, site);
}

/* Page-fault error code bits (SDM Vol. 3A 4.7 "Page-Fault Exceptions"). */
#define PF_P	1
#define PF_W	2
#define PF_U	4
#define PF_RSVD	8
#define PF_I	16

static void check_pf(int i, uint64_t err, uint64_t cr2, uint64_t rip)
{
	if (fault_count <= i)
		return;
	const struct fault *f = &fault_log[i];
	if (f->vector != 14 || f->error != err || f->cr2 != cr2 || f->rip != rip)
		test_fail("fault %d: vector %llu error %#llx cr2 %#llx rip %#llx, want #PF error %#llx cr2 %#llx rip %#llx",
			  i, (unsigned long long)f->vector, (unsigned long long)f->error,
			  (unsigned long long)f->cr2, (unsigned long long)f->rip,
			  (unsigned long long)err, (unsigned long long)cr2, (unsigned long long)rip);
}

#define PF_READ(va, site)						\
	__asm__ volatile(FAULT_SITE("movq (%1), %%rax") "leaq 1b(%%rip), %0" \
			 : "=r"(site) : "r"(va) : "rax", "memory")
#define PF_WRITE(va, site)						\
	__asm__ volatile(FAULT_SITE("movq $1, (%1)") "leaq 1b(%%rip), %0" \
			 : "=r"(site) : "r"(va) : "memory")

void t_exc_pf_notpresent(void)
{
	uint64_t va = TEST_PAGE(TP_NOTPRESENT) + 0x18, s1, s2;
	trap_expect(14);
	PF_READ(va, s1);
	PF_WRITE(va + 8, s2);
	CHECK_EQ("faults", fault_count, 2);
	check_pf(0, 0, va, s1);
	check_pf(1, PF_W, va + 8, s2);
}

/* Supervisor write to a read-only page faults when CR0.WP = 1. */
void t_exc_pf_write_ro(void)
{
	uint64_t va = TEST_PAGE(TP_READONLY) + 0x20, s1, s2;
	trap_expect(14);
	PF_READ(va, s1);	/* allowed: no fault */
	PF_WRITE(va, s2);
	CHECK_EQ("faults", fault_count, 1);
	check_pf(0, PF_P | PF_W, va, s2);
	(void)s1;
}

/* Reserved bit (51) set in a PTE: RSVD and P set in the error code. */
void t_exc_pf_rsvd(void)
{
	uint64_t va = TEST_PAGE(TP_RSVD) + 0x30, s1;
	trap_expect(14);
	PF_READ(va, s1);
	CHECK_EQ("faults", fault_count, 1);
	check_pf(0, PF_P | PF_RSVD, va, s1);
}

/* Instruction fetch from an NX page (EFER.NXE = 1): error code I/D set,
 * CR2 = RIP = the fetch address.  The same page with NX = 0 runs. */
void t_exc_pf_nx(void)
{
	uint64_t va = TEST_PAGE(TP_NX);
	uint64_t *pte = pte_slot(va, 1, 0);
	uint64_t saved = *pte;
	trap_expect(14);

	*pte = saved & ~PTE_NX;
	invlpg(va);
	uint64_t r = 0;
	__asm__ volatile("call *%1" : "=a"(r) : "r"(va) : "memory", "rcx", "rdx",
			 "rsi", "rdi", "r8", "r9", "r10", "r11");
	CHECK_EQ("faults with NX=0", fault_count, 0);
	CHECK_EQ("code in the page returned", r, 0x600d);

	*pte = saved;
	invlpg(va);
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
			 "movq %%rax, fault_resume(%%rip)\n\t"
			 "jmp *%0\n"
			 "1:"
			 : : "r"(va) : "rax", "memory");
	CHECK_EQ("faults", fault_count, 1);
	check_pf(0, PF_P | PF_I, va, va);
}

/* A gate with IST = n switches to TSS.ISTn even without a privilege
 * change; the interrupted RSP is in the frame (SDM Vol. 3A 6.14.5).
 * #UD's gate gets IST1 for this check (an exception rather than INT n:
 * kvm-pvm cannot emulate INT n at CPL 0, see README). */
void t_exc_ist(void)
{
	uint64_t rsp;
	idt[6].ist = IST_TEST;
	trap_expect(6);
	for (int i = 0; i < 2; i++)
		__asm__ volatile("movq %%rsp, %0\n\t" FAULT_SITE("ud2") : "=&r"(rsp) : : "memory");
	idt_restore(6);
	CHECK_EQ("exceptions taken", fault_count, 2);
	if (fault_count < 2)
		return;
	for (int i = 0; i < 2; i++) {
		CHECK_EQ("frame top (TSS.IST1)", fault_log[i].frame_top, ist_stack_top[IST_TEST]);
		CHECK_EQ("interrupted RSP in frame", fault_log[i].rsp, rsp);
		CHECK_EQ("SS in frame", fault_log[i].ss, SEL_KDATA);
	}
}

volatile uint64_t df_resume_rip, df_resume_rsp;

static void df_hook(struct trap_frame *f)
{
	if (fault_count < FAULT_LOG_SIZE)
		trap_frame_to_fault(f, &fault_log[fault_count]);
	fault_count++;
	/* #DF is an abort: the saved CS:RIP need not be meaningful
	 * (SDM Vol. 3A 6.15 Interrupt 8).  Resume at the recorded context. */
	f->rip = df_resume_rip;
	f->rsp = df_resume_rsp;
	f->cs = SEL_KCODE64;
	f->ss = SEL_KDATA;
	f->rflags = 0x2;
}

static void check_df(uint64_t cr2_lo, uint64_t cr2_hi)
{
	CHECK_EQ("exceptions reaching a handler", fault_count, 1);
	if (fault_count < 1)
		return;
	CHECK_EQ("vector", fault_log[0].vector, 8);
	CHECK_EQ("#DF error code", fault_log[0].error, 0);
	CHECK_EQ("frame top (TSS.IST2)", fault_log[0].frame_top, ist_stack_top[IST_DF]);
	CHECK(fault_log[0].cr2 >= cr2_lo && fault_log[0].cr2 < cr2_hi,
	      "CR2 %#llx not in %#llx..%#llx", (unsigned long long)fault_log[0].cr2,
	      (unsigned long long)cr2_lo, (unsigned long long)cr2_hi);
}

/* #PF whose IDT gate is not present: the #NP raised while delivering it is
 * contributory, and page fault + contributory = #DF (SDM Vol. 3A Table 6-5). */
void t_exc_df(void)
{
	uint64_t va = TEST_PAGE(TP_NOTPRESENT) + 0x40;
	trap_set_hook(8, df_hook);
	idt[14].type_attr &= 0x7f;
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
			 "movq %%rax, df_resume_rip(%%rip)\n\t"
			 "movq %%rsp, df_resume_rsp(%%rip)\n\t"
			 "movq (%0), %%rax\n"
			 "1:"
			 : : "r"(va) : "rax", "memory");
	idt_restore(14);
	check_df(va, va + 1);
}

/* Stack overflow into an unmapped page: #UD cannot push its frame (#PF),
 * the #PF cannot push either (#PF during #PF delivery = #DF); #DF uses
 * IST2 and gets a good stack. */
void t_exc_df_stack(void)
{
	uint64_t bad = TEST_PAGE(TP_NOTPRESENT) + 0x800;
	trap_set_hook(8, df_hook);
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
			 "movq %%rax, df_resume_rip(%%rip)\n\t"
			 "movq %%rsp, df_resume_rsp(%%rip)\n\t"
			 "movq %0, %%rsp\n\t"
			 "ud2\n"
			 "1:"
			 : : "r"(bad) : "rax", "memory");
	check_df(TEST_PAGE(TP_NOTPRESENT), bad);
}
