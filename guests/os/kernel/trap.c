/*
 * Interrupt and exception dispatch.
 *
 * User mode (CPL 3):
 *   #BP  (int3)      report "#BP int3 at rip=<address of the int3>", resume
 *                    after it;
 *   #DB  single-step report each trap; after STEP_LIMIT traps clear TF in
 *                    the saved RFLAGS;
 *   #DB  DR0..3 hit  report the hit, DR6 and the watched value; continue;
 *   any other exception: report and kill the process (exit code 128+vector).
 * Kernel mode: #DB and #BP are reported and ignored (a debugger may leave
 * them behind); any other exception is a panic with a register dump.
 */
#include "arch.h"

#define STEP_LIMIT 4
#define DR6_BS (1ULL << 14)
#define DR6_BN 0xfULL
#define DR6_CLEAR 0xffff0ff0ULL /* all status bits clear */

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
	"reserved 27", "#HV hypervisor injection", "#VC VMM communication", "#SX security",
	"reserved 31",
};

static void dump_frame(const struct trapframe *tf)
{
	printk("  rip=%016lx cs=%04lx rflags=%08lx rsp=%016lx ss=%04lx", tf->rip, tf->cs,
	       tf->rflags, tf->rsp, tf->ss);
	printk("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	printk("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx", tf->rsi, tf->rdi, tf->rbp, tf->r8);
	printk("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx", tf->r9, tf->r10, tf->r11, tf->r12);
	printk("  r13=%016lx r14=%016lx r15=%016lx", tf->r13, tf->r14, tf->r15);
	printk("  cr2=%016lx cr3=%016lx vector=%lu error=%lx", read_cr2(), read_cr3(), tf->vector,
	       tf->error);
}

static void kernel_fault(const struct trapframe *tf)
{
	struct task *t = current_task();

	printk("kernel: %s in kernel mode on cpu %u (task %d %s)",
	       tf->vector < 32 ? exception_names[tf->vector] : "?", this_cpu()->cpu, t->pid, t->name);
	dump_frame(tf);
	panic("unhandled kernel exception %lu", tf->vector);
}

static uint64_t read_user_value(struct task *t, uint64_t addr, uint64_t dr7)
{
	static const uint8_t lens[4] = { 1, 2, 8, 4 };
	uint64_t len = lens[(dr7 >> 18) & 3], v = 0;

	if (vm_user_range_ok(t->cr3, addr, len))
		memcpy(&v, (const void *)addr, len);
	return v;
}

static void debug_trap(struct trapframe *tf)
{
	uint64_t dr6 = read_dr6();
	struct task *t = current_task();

	write_dr6(DR6_CLEAR); /* DR6 status bits are sticky */
	if ((tf->cs & 3) != 3) {
		/* E.g. SYSCALL executed with TF set traps on the first kernel
		 * instruction: drop TF and carry on. */
		if (dr6 & DR6_BS)
			tf->rflags &= ~(uint64_t)RFLAGS_TF;
		printk("kernel: #DB in kernel mode at rip=0x%lx dr6=0x%lx (ignored)", tf->rip, dr6);
		return;
	}
	if (dr6 & DR6_BN) {
		t->watch_hits++;
		task_printk(t, "#DB watchpoint hit %u: dr6=0x%lx (B0=%lu) addr=0x%lx value=%lu rip=0x%lx",
			    t->watch_hits, dr6, dr6 & 1, t->dr0, read_user_value(t, t->dr0, t->dr7),
			    tf->rip);
	}
	if (dr6 & DR6_BS) {
		t->steps++;
		task_printk(t, "#DB single-step %u: rip=0x%lx", t->steps, tf->rip);
		if (t->steps % STEP_LIMIT == 0) {
			tf->rflags &= ~(uint64_t)RFLAGS_TF;
			task_printk(t, "#DB TF cleared after %u single-step traps", STEP_LIMIT);
		}
	}
	if (!(dr6 & (DR6_BS | DR6_BN)))
		task_printk(t, "#DB with dr6=0x%lx: no single-step or watchpoint bit", dr6);
}

static void breakpoint_trap(struct trapframe *tf)
{
	struct task *t = current_task();

	if ((tf->cs & 3) != 3) {
		printk("kernel: #BP in kernel mode at rip=0x%lx (ignored)", tf->rip - 1);
		return;
	}
	t->breakpoints++;
	/* A trap: RIP is already past the one-byte int3. */
	task_printk(t, "#BP int3 at rip=0x%lx (breakpoint %u)", tf->rip - 1, t->breakpoints);
}

static void user_exception(struct trapframe *tf)
{
	struct task *t = current_task();

	if (tf->vector == VEC_PF)
		task_printk(t, "killed by %s at rip=0x%lx cr2=0x%lx error=0x%lx",
			    exception_names[tf->vector], tf->rip, read_cr2(), tf->error);
	else
		task_printk(t, "killed by %s at rip=0x%lx error=0x%lx", exception_names[tf->vector],
			    tf->rip, tf->error);
	do_exit(128 + (int)tf->vector);
}

void trap_dispatch(struct trapframe *tf)
{
	tf->vector &= 0xff; /* stubs push vectors >= 128 as imm32: already exact */

	switch (tf->vector) {
	case VEC_TIMER:
		lapic_eoi();
		sched_tick(tf);
		return;
	case VEC_RESCHED:
		lapic_eoi();
		sched_resched_ipi(tf);
		return;
	case VEC_STOP:
		lapic_eoi();
		for (;;) {
			cli();
			hlt();
		}
	case VEC_SPURIOUS:
		return; /* no EOI for spurious interrupts */
	case VEC_APIC_ERROR:
		printk("kernel: local APIC error on cpu %u: esr=0x%x", this_cpu()->cpu, lapic_read_esr());
		lapic_eoi();
		return;
	case VEC_NMI:
		printk("kernel: NMI on cpu %u at rip=0x%lx", this_cpu()->cpu, tf->rip);
		return;
	case VEC_DB:
		debug_trap(tf);
		return;
	case VEC_BP:
		breakpoint_trap(tf);
		return;
	default:
		break;
	}
	if (tf->vector >= 32) {
		printk("kernel: unexpected interrupt vector %lu on cpu %u", tf->vector, this_cpu()->cpu);
		lapic_eoi();
		return;
	}
	if ((tf->cs & 3) == 3 && tf->vector != VEC_DF && tf->vector != VEC_MC)
		user_exception(tf);
	else
		kernel_fault(tf);
}
