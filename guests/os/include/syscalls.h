/*
 * The system-call numbers: the one list shared by the kernel's
 * sys_call_table, the user-side wrappers and offsets.json.
 *
 * ABI (Linux x86-64 style): SYSCALL with RAX = number, arguments in RDI,
 * RSI, RDX, R10, R8, R9; the result comes back in RAX (negative = -errno);
 * RCX and R11 are clobbered, every other register is preserved.
 *
 *   X(number, name, arguments)
 */
#ifndef OS_SYSCALLS_H
#define OS_SYSCALLS_H

#define SYSCALL_LIST(X)							\
	X(0, write, "fd, buf, len -> len | -errno (fd 1 and 2 = console)")	\
	X(1, getpid, "-> pid")						\
	X(2, yield, "-> 0")						\
	X(3, sleep, "ticks -> 0")					\
	X(4, exit, "code -> does not return")				\
	X(5, spawn, "program_index -> pid | -errno")			\
	X(6, wait, "pid -> exit code of that child | -errno")		\
	X(7, watch, "addr, len -> 0 | -errno (DR0 write watchpoint; addr 0 = off)") \
	X(8, getcpu, "-> index of the CPU running the caller")		\
	X(9, ticks, "-> timer ticks since boot")

#define SYS_write	0
#define SYS_getpid	1
#define SYS_yield	2
#define SYS_sleep	3
#define SYS_exit	4
#define SYS_spawn	5
#define SYS_wait	6
#define SYS_watch	7
#define SYS_getcpu	8
#define SYS_ticks	9
#define NR_SYSCALLS	10

/* Program indexes for spawn() (the order of kernel/programs.S). */
#define PROG_INIT	0
#define PROG_BENCH	1
#define PROG_TICKER	2
#define PROG_DEBUGEE	3
#define PROG_FAULTER	4
#define NR_PROGRAMS	5

/* errno values (Linux numbering) */
#define ESRCH	3
#define EBADF	9
#define ECHILD	10
#define ENOMEM	12
#define EFAULT	14
#define EINVAL	22
#define ENOSYS	38

/* Task states (struct task.state) */
#define TASK_RUNNING	0	/* on a CPU right now */
#define TASK_RUNNABLE	1	/* in the run queue */
#define TASK_SLEEPING	2	/* sleep(ticks) or wait(pid) */
#define TASK_ZOMBIE	3	/* exited, not yet reaped by wait() */

#endif
