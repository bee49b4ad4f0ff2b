/*
 * Structure offsets for the assembly sources and for offsets.json.
 * Compiled with -S only (never linked): each DEFINE leaves a line
 *   ->KIND GROUP NAME VALUE
 * in the assembly, which tools/mkoffsets.sh turns into asm-offsets.h
 * (KIND ASM) and the JSON description (KIND JSON).  Because this is
 * compiled with the kernel's own flags, the numbers are exact.
 */
#include "arch.h"

#define EMIT(kind, group, name, val) \
	__asm__ volatile("\n.ascii \"->" kind " " #group " " #name " %c0\"" : : "i"((long)(val)))
#define ASM(name, val) EMIT("ASM", -, name, val)
#define JSON(group, name, val) EMIT("JSON", group, name, val)
#define FIELD(group, type, field) JSON(group, field, offsetof(type, field))
#define FIELD_SIZE(group, type, field) JSON(group, field, sizeof(((type *)0)->field))

void asm_offsets(void);
void asm_offsets(void)
{
	ASM(TASK_KSP, offsetof(struct task, ksp));
	ASM(PCPU_SELF, offsetof(struct percpu, self));
	ASM(PCPU_USER_RSP, offsetof(struct percpu, user_rsp));
	ASM(PCPU_KSTACK_TOP, offsetof(struct percpu, kstack_top));
	ASM(PCPU_CURRENT, offsetof(struct percpu, current));
	ASM(TRAPFRAME_SIZE, sizeof(struct trapframe));

	JSON(task, size, sizeof(struct task));
	FIELD(task, struct task, next);
	FIELD(task, struct task, prev);
	FIELD(task, struct task, pid);
	FIELD(task, struct task, state);
	FIELD(task, struct task, name);
	FIELD(task, struct task, cr3);
	FIELD(task, struct task, parent);
	FIELD(task, struct task, exit_code);
	FIELD(task, struct task, cpu);
	FIELD(task, struct task, ksp);
	FIELD(task, struct task, kstack_top);
	FIELD(task, struct task, kstack_base);
	FIELD(task, struct task, wake_tick);
	FIELD(task, struct task, on_cpu);
	FIELD(task, struct task, program);
	FIELD(task, struct task, dr0);
	FIELD(task, struct task, dr7);
	FIELD(task, struct task, steps);
	FIELD(task, struct task, watch_hits);
	FIELD(task, struct task, breakpoints);
	FIELD(task, struct task, nr_syscalls);
	FIELD(task, struct task, nr_switches);

	FIELD_SIZE(task_field_size, struct task, next);
	FIELD_SIZE(task_field_size, struct task, prev);
	FIELD_SIZE(task_field_size, struct task, pid);
	FIELD_SIZE(task_field_size, struct task, state);
	FIELD_SIZE(task_field_size, struct task, name);
	FIELD_SIZE(task_field_size, struct task, cr3);
	FIELD_SIZE(task_field_size, struct task, parent);
	FIELD_SIZE(task_field_size, struct task, exit_code);
	FIELD_SIZE(task_field_size, struct task, cpu);

	JSON(task_states, running, TASK_RUNNING);
	JSON(task_states, runnable, TASK_RUNNABLE);
	JSON(task_states, sleeping, TASK_SLEEPING);
	JSON(task_states, zombie, TASK_ZOMBIE);

	JSON(percpu, size, sizeof(struct percpu));
	JSON(percpu, count, MAX_CPUS);
	FIELD(percpu, struct percpu, self);
	FIELD(percpu, struct percpu, user_rsp);
	FIELD(percpu, struct percpu, kstack_top);
	FIELD(percpu, struct percpu, current);
	FIELD(percpu, struct percpu, cpu);
	FIELD(percpu, struct percpu, apic_id);
	FIELD(percpu, struct percpu, idle);
	FIELD(percpu, struct percpu, online);
	FIELD(percpu, struct percpu, ticks);
	FIELD(percpu, struct percpu, nr_switches);
	FIELD(percpu, struct percpu, nr_syscalls);
	FIELD(percpu, struct percpu, tss);

	JSON(trapframe, size, sizeof(struct trapframe));
	FIELD(trapframe, struct trapframe, r15);
	FIELD(trapframe, struct trapframe, r14);
	FIELD(trapframe, struct trapframe, r13);
	FIELD(trapframe, struct trapframe, r12);
	FIELD(trapframe, struct trapframe, r11);
	FIELD(trapframe, struct trapframe, r10);
	FIELD(trapframe, struct trapframe, r9);
	FIELD(trapframe, struct trapframe, r8);
	FIELD(trapframe, struct trapframe, rbp);
	FIELD(trapframe, struct trapframe, rdi);
	FIELD(trapframe, struct trapframe, rsi);
	FIELD(trapframe, struct trapframe, rdx);
	FIELD(trapframe, struct trapframe, rcx);
	FIELD(trapframe, struct trapframe, rbx);
	FIELD(trapframe, struct trapframe, rax);
	FIELD(trapframe, struct trapframe, vector);
	FIELD(trapframe, struct trapframe, error);
	FIELD(trapframe, struct trapframe, rip);
	FIELD(trapframe, struct trapframe, cs);
	FIELD(trapframe, struct trapframe, rflags);
	FIELD(trapframe, struct trapframe, rsp);
	FIELD(trapframe, struct trapframe, ss);

#define SYSCALL_NUMBER(n, name, doc) JSON(syscalls, name, n);
	SYSCALL_LIST(SYSCALL_NUMBER)

	JSON(programs, init, PROG_INIT);
	JSON(programs, bench, PROG_BENCH);
	JSON(programs, ticker, PROG_TICKER);
	JSON(programs, debugee, PROG_DEBUGEE);
	JSON(programs, faulter, PROG_FAULTER);

	JSON(layout, kernel_phys, KERNEL_PHYS);
	JSON(layout, user_base, USER_BASE);
	JSON(layout, user_stack_top, USER_STACK_TOP);
	JSON(layout, user_cs, USER_CS);
	JSON(layout, user_ds, USER_DS);
	JSON(layout, kernel_cs, KERNEL_CS);
	JSON(layout, kernel_ds, KERNEL_DS);
	JSON(layout, vec_timer, VEC_TIMER);
	JSON(layout, vec_resched, VEC_RESCHED);
	JSON(layout, vec_stop, VEC_STOP);
	JSON(layout, vec_spurious, VEC_SPURIOUS);
	JSON(layout, vec_syscall_frame, VEC_SYSCALL);
	JSON(layout, timer_initial_count, TIMER_INITIAL_COUNT);
	JSON(layout, timer_divide, 16);
}
