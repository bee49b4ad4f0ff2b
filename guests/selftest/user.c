/*
 * Privilege transitions: IRETQ to ring 3, back through an interrupt gate
 * with DPL 3 and through SYSCALL/SYSRET (SDM Vol. 3A 6.12.1.1 "Protection
 * of Exception- and Interrupt-Handler Procedures", 6.14.2 "64-Bit Mode
 * Stack Frame", 6.14.4 "Stack Switching in IA-32e Mode", 5.8.8 "Fast
 * System Calls in 64-Bit Mode"; Vol. 2B SYSCALL, SYSRET, SWAPGS).
 */
#include "arch.h"
#include "desc.h"
#include "selftest.h"
#include "trap.h"

extern char __user_text_start[];
extern char user_int80_prog[], user_int80_after[], user_gp_prog[], user_pf_prog[];
extern char user_syscall_prog[], user_syscall_ret[], user_syscall_exit_prog[];

#define USER_VA(sym) (TEST_PAGE(TP_USER_CODE) + (uint64_t)((sym) - __user_text_start))
#define USER_STACK_TOP (TEST_PAGE(TP_USER_STACK) + 0xff0)

static struct trap_frame exit_frame;
static uint64_t exit_frame_top;
static uint16_t exit_handler_ss;

static void return_to_kernel(struct trap_frame *f)
{
	f->rax = f->rdi;
	f->rip = (uint64_t)user_return;
	f->cs = SEL_KCODE64;
	f->ss = SEL_KDATA;
	f->rsp = user_return_rsp;
	f->rflags = 0x2;
}

/* int 0x80: record the ring-3 state; SYS_EXIT returns to enter_user's
 * caller by rewriting the frame into a CPL-0 IRETQ to user_return. */
static void int80_hook(struct trap_frame *f)
{
	exit_frame = *f;
	exit_frame_top = (uint64_t)(&f->ss + 1);
	exit_handler_ss = read_ss();
	if (f->rax == SYS_EXIT)
		return_to_kernel(f);
}

/* UD2 at CPL 3 with RAX = SYS_EXIT: the ordinary way out of ring 3. */
static void ud_exit_hook(struct trap_frame *f)
{
	if ((f->cs & 3) != 3 || f->rax != SYS_EXIT) {
		test_fail("#UD at rip %#llx cs %#llx", (unsigned long long)f->rip,
			  (unsigned long long)f->cs);
		return_to_kernel(f);
		return;
	}
	exit_frame = *f;
	return_to_kernel(f);
}

static uint64_t run_user(const char *prog, uint64_t rflags, uint64_t a0, uint64_t a1, uint64_t a2)
{
	trap_set_hook(VEC_SYSCALL80, int80_hook);
	trap_set_hook(6, ud_exit_hook);
	exit_frame.rax = ~0ull;
	return enter_user(USER_VA(prog), USER_STACK_TOP, rflags, a0, a1, a2);
}

void t_ring3_int80(void)
{
	/* A distinctive RSP0 proves the stack really comes from the TSS. */
	uint64_t rsp0 = rsp0_stack_top - 0x100;
	bsp_tss.rsp[0] = rsp0;
	uint64_t r = run_user(user_int80_prog, 0x2, 0, 0, 0);
	CHECK_EQ("vector that left ring 3", exit_frame.vector, VEC_SYSCALL80);
	CHECK_EQ("result", r, 0x1234);
	CHECK_EQ("CS in ring 3", exit_frame.rbx, SEL_UCODE64 | 3);
	CHECK_EQ("SS in ring 3", exit_frame.r12, SEL_UDATA | 3);
	CHECK_EQ("RSP in ring 3", exit_frame.r13, USER_STACK_TOP);
	CHECK_EQ("frame CS", exit_frame.cs, SEL_UCODE64 | 3);
	CHECK_EQ("frame SS", exit_frame.ss, SEL_UDATA | 3);
	CHECK_EQ("frame RSP", exit_frame.rsp, USER_STACK_TOP);
	CHECK_EQ("frame RIP", exit_frame.rip, USER_VA(user_int80_after));
	CHECK_EQ("frame top = TSS.RSP0", exit_frame_top, rsp0);
	/* 64-bit mode: an inter-privilege interrupt loads SS with a null
	 * selector whose RPL is the new CPL (SDM Vol. 3A 6.14.4). */
	CHECK_EQ("SS in handler", exit_handler_ss, 0);
}

void t_ring3_gp(void)
{
	trap_expect(13);
	uint64_t r = run_user(user_gp_prog, 0x2, 0, 0, 0);
	CHECK_EQ("result", r, 0);
	static const uint64_t want[] = { 0, 0, 0, VEC_DPL0 * 8 + 2, 0, 0 };
	static const char *const what[] = { "CLI", "HLT", "IN", "INT 0x81", "MOV CR0", "RDMSR" };
	CHECK_EQ("faults", fault_count, 6);
	for (int i = 0; i < 6 && i < fault_count; i++) {
		if (fault_log[i].vector != 13 || fault_log[i].error != want[i] ||
		    fault_log[i].cs != (SEL_UCODE64 | 3))
			test_fail("%s: vector %llu error %#llx cs %#llx, want #GP(%#llx) from CPL 3",
				  what[i], (unsigned long long)fault_log[i].vector,
				  (unsigned long long)fault_log[i].error,
				  (unsigned long long)fault_log[i].cs, (unsigned long long)want[i]);
	}
}

void t_ring3_pf(void)
{
	uint64_t sup = TEST_PAGE(TP_SUPERVISOR) + 0x10;
	uint64_t np = TEST_PAGE(TP_NOTPRESENT) + 0x20;
	uint64_t kern = (uint64_t)__user_text_start;
	trap_expect(14);
	uint64_t r = run_user(user_pf_prog, 0x2, sup, np, kern);
	CHECK_EQ("result", r, 0);
	static const struct { uint64_t err, cr2; const char *what; } want[4] = {
		{ 5, 0, "read supervisor page" }, { 7, 0, "write supervisor page" },
		{ 4, 0, "read not-present page" }, { 5, 0, "read kernel identity map" },
	};
	uint64_t cr2[4] = { sup, sup, np, kern };
	CHECK_EQ("faults", fault_count, 4);
	for (int i = 0; i < 4 && i < fault_count; i++) {
		if (fault_log[i].vector != 14 || fault_log[i].error != want[i].err ||
		    fault_log[i].cr2 != cr2[i])
			test_fail("%s: vector %llu error %#llx cr2 %#llx, want #PF error %#llx cr2 %#llx",
				  want[i].what, (unsigned long long)fault_log[i].vector,
				  (unsigned long long)fault_log[i].error,
				  (unsigned long long)fault_log[i].cr2,
				  (unsigned long long)want[i].err, (unsigned long long)cr2[i]);
	}
}

/* Kernel per-CPU area reached through GS after SWAPGS (isr.S). */
struct syscall_percpu {
	uint64_t magic, user_rsp, kstack_top;
};
static struct syscall_percpu percpu;
static uint8_t syscall_stack[4096] __attribute__((aligned(16)));

extern volatile struct {
	uint64_t rflags, rcx, r11, gs0, gs_base, kernel_gs_base, cs, ss, user_rsp, count;
} syscall_seen;

#define FMASK_VALUE	0x47700ull	/* TF IF DF IOPL NT AC, as Linux */
#define USER_GS_BASE	0x00007f0000001000ull
#define PERCPU_MAGIC	0x5ca11ab1e0000001ull

void t_syscall_sysret(void)
{
	percpu.magic = PERCPU_MAGIC;
	percpu.kstack_top = (uint64_t)(syscall_stack + sizeof(syscall_stack));
	syscall_seen.count = 0;
	wrmsr(MSR_STAR, ((uint64_t)SEL_UCODE32 << 48) | ((uint64_t)SEL_KCODE64 << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, FMASK_VALUE);
	wrmsr(MSR_GS_BASE, USER_GS_BASE);
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)&percpu);

	uint64_t r = run_user(user_syscall_prog, 0x202, 0, 0, 0);
	CHECK_EQ("result", r, 0x5678);
	CHECK_EQ("SYSCALLs seen", syscall_seen.count, 1);
	uint64_t user_flags = exit_frame.r14;
	CHECK((user_flags & 0x40600) == 0x40600, "user RFLAGS %#llx lack IF/DF/AC",
	      (unsigned long long)user_flags);
	CHECK_EQ("RCX at entry", syscall_seen.rcx, USER_VA(user_syscall_ret));
	CHECK_EQ("R11 at entry", syscall_seen.r11, user_flags);
	CHECK_EQ("RFLAGS at entry", syscall_seen.rflags, user_flags & ~FMASK_VALUE);
	CHECK_EQ("CS at entry", syscall_seen.cs, SEL_KCODE64);
	CHECK_EQ("SS at entry", syscall_seen.ss, SEL_KDATA);
	CHECK_EQ("RSP at entry", syscall_seen.user_rsp, USER_STACK_TOP);
	CHECK_EQ("%gs:0 after SWAPGS", syscall_seen.gs0, PERCPU_MAGIC);
	CHECK_EQ("GS_BASE after SWAPGS", syscall_seen.gs_base, (uint64_t)&percpu);
	CHECK_EQ("KERNEL_GS_BASE after SWAPGS", syscall_seen.kernel_gs_base, USER_GS_BASE);
	CHECK_EQ("RFLAGS after SYSRET", exit_frame.rbx, user_flags);
	CHECK_EQ("CS after SYSRET", exit_frame.r12, SEL_UCODE64 | 3);
	CHECK_EQ("SS after SYSRET", exit_frame.r13, SEL_UDATA | 3);
	CHECK_EQ("GS_BASE at the end", rdmsr(MSR_GS_BASE), USER_GS_BASE);
	CHECK_EQ("KERNEL_GS_BASE at the end", rdmsr(MSR_KERNEL_GS_BASE), (uint64_t)&percpu);

	/* Second program: leave ring 3 through SYSCALL itself. */
	r = run_user(user_syscall_exit_prog, 0x202, 0, 0, 0);
	CHECK_EQ("result via SYSCALL exit", r, 0x9abc);
	CHECK_EQ("SYSCALLs seen", syscall_seen.count, 2);
	CHECK(!(read_rflags() & RFLAGS_IF), "IF set after SYSCALL exit");
}
