/*
 * Tasks, per-CPU data and the scheduler.
 *
 * Introspection contract: every task is on a circular doubly-linked list
 * rooted at the global `init_task` (pid 0, the boot CPU's idle context).
 * `next`/`prev` are at offsets 0 and 8 and point at the start of the
 * neighbouring struct task, so "container_of" is a no-op.  The other idle
 * tasks (one per AP) are not on the list, like Linux's.  The exact field
 * offsets are in build/os/offsets.json.
 */
#ifndef OS_SCHED_H
#define OS_SCHED_H

#include "kernel.h"
#include "spinlock.h"

#define TASK_NAME_LEN 16
#define KSTACK_PAGES 4
#define KSTACK_SIZE (KSTACK_PAGES * PAGE_SIZE)
#define LINEBUF_SIZE 160
#define MAX_TASKS 64

/* Saved user/kernel state on interrupt, exception or SYSCALL entry. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector; /* VEC_SYSCALL for SYSCALL frames */
	uint64_t error;	 /* hardware error code, or 0 */
	/* the hardware interrupt frame (built by hand for SYSCALL) */
	uint64_t rip, cs, rflags, rsp, ss;
};

struct task {
	struct task *next;	/* task list: the next task (not a link field) */
	struct task *prev;
	int32_t pid;
	int32_t state;		/* TASK_RUNNING .. TASK_ZOMBIE */
	char name[TASK_NAME_LEN];
	uint64_t cr3;		/* physical address of this task's PML4 */
	struct task *parent;
	int32_t exit_code;
	int32_t cpu;		/* CPU it runs / last ran on */
	uint64_t ksp;		/* saved kernel RSP while switched out */
	uint64_t kstack_top;	/* RSP0: top of the kernel stack */
	uint64_t kstack_base;	/* lowest address of the kernel stack */
	struct task *rq_next;	/* run-queue link */
	uint64_t wake_tick;	/* TASK_SLEEPING: wake when jiffies >= this */
	int32_t wait_pid;	/* TASK_SLEEPING in wait(): the awaited child */
	volatile int32_t on_cpu; /* 1 until a CPU has switched away from it */
	int32_t program;	/* program index it was spawned from, -1 = kernel */
	int32_t in_use;		/* task slot allocated */
	uint64_t dr0, dr7;	/* debug registers of this task (watch()) */
	uint32_t steps;		/* user single-step traps taken */
	uint32_t watch_hits;	/* user data-watchpoint traps taken */
	uint32_t breakpoints;	/* user int3 traps taken */
	uint32_t linelen;
	uint64_t nr_syscalls;
	uint64_t nr_switches;	/* times switched in */
	char linebuf[LINEBUF_SIZE]; /* console output not yet ended by '\n' */
};

/* Hardware TSS (64-bit), SDM vol. 3 §8.7 */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[8]; /* ist[0] unused: IST numbering starts at 1 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* One per CPU, reached through GS.base in the kernel. */
struct percpu {
	struct percpu *self;	/* %gs:0 */
	uint64_t user_rsp;	/* SYSCALL entry scratch */
	uint64_t kstack_top;	/* RSP for SYSCALL entry = current->kstack_top */
	struct task *current;
	uint32_t cpu;		/* index 0..ncpus-1 (0 = boot CPU) */
	uint32_t apic_id;
	struct task *idle;
	volatile uint32_t idling; /* in the idle loop's hlt */
	uint32_t online;
	uint64_t ticks;		/* timer interrupts on this CPU */
	uint64_t nr_switches;
	uint64_t nr_syscalls;
	uint64_t nr_ipis;
	struct tss tss __attribute__((aligned(16)));
};

extern struct task init_task;
extern struct percpu percpu[MAX_CPUS];
extern struct spinlock rq_lock;
extern volatile uint64_t jiffies;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

static inline struct task *current_task(void)
{
	return this_cpu()->current;
}

/* sched.c */
void sched_init_cpu(struct percpu *c, struct task *idle);
void schedule(void);
void schedule_locked(void); /* rq_lock held on entry, released on return */
void wake_locked(struct task *t);
void sched_tick(struct trapframe *tf);
void sched_resched_ipi(struct trapframe *tf);
NORETURN void idle_loop(void);
NORETURN void do_exit(int code);
long do_wait(int pid);
struct task *task_alloc(void);
void task_release(struct task *t);
void task_link(struct task *t);
struct task *task_find_locked(int pid);
int task_next_pid(void);

/* C functions entered from assembly (pvh.S, entry.S) */
void kmain(uint64_t start_info_pa);
void ap_main(struct percpu *c);
long syscall_dispatch(struct trapframe *tf);
void finish_switch(struct task *prev);

/* main.c: init (pid 1) has exited; print the stats and end the run */
NORETURN void shutdown(int code);

/* entry.S */
struct task *switch_to(struct task *prev, struct task *next);
void task_first_run(void);
void syscall_entry(void);
void ap_entry64(void);
extern uint64_t isr_table[256];

/* process.c */
long process_spawn(int program, struct task *parent);
void process_free(struct task *t);

#endif
