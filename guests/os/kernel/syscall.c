/*
 * System calls: SYSCALL/SYSRET set-up and the handlers.
 *
 * syscall_entry (entry.S) saves a trapframe and calls syscall_dispatch,
 * which indexes sys_call_table[RAX] with the arguments RDI, RSI, RDX, R10,
 * R8, R9.  The numbers, and what each call does, are in include/syscalls.h.
 */
#include "arch.h"

typedef long (*syscall_fn)(long, long, long, long, long, long);

#define SYSCALL_DEFINE(name)                                                        \
	static long sys_##name(long a0, long a1, long a2, long a3, long a4, long a5); \
	static long sys_##name(long a0 __attribute__((unused)),                     \
			       long a1 __attribute__((unused)),                     \
			       long a2 __attribute__((unused)),                     \
			       long a3 __attribute__((unused)),                     \
			       long a4 __attribute__((unused)),                     \
			       long a5 __attribute__((unused)))

#define MAX_WRITE (64 * 1024)

/* write(fd, buf, len): fd 1 and 2 go to the console, as whole lines. */
SYSCALL_DEFINE(write)
{
	struct task *t = current_task();

	if (a0 != 1 && a0 != 2)
		return -EBADF;
	if (a2 < 0 || a2 > MAX_WRITE)
		return -EINVAL;
	if (!vm_user_range_ok(t->cr3, (uint64_t)a1, (uint64_t)a2))
		return -EFAULT;
	console_task_write(t, (const char *)a1, (size_t)a2);
	return a2;
}

SYSCALL_DEFINE(getpid)
{
	return current_task()->pid;
}

SYSCALL_DEFINE(yield)
{
	schedule();
	return 0;
}

/* sleep(ticks): at least `ticks` timer ticks of CPU 0 (jiffies). */
SYSCALL_DEFINE(sleep)
{
	struct task *t = current_task();

	if (a0 <= 0) {
		schedule();
		return 0;
	}
	spin_lock(&rq_lock);
	t->state = TASK_SLEEPING;
	t->wake_tick = jiffies + (uint64_t)a0;
	schedule_locked();
	return 0;
}

SYSCALL_DEFINE(exit)
{
	do_exit((int)(a0 & 0xff));
}

SYSCALL_DEFINE(spawn)
{
	return process_spawn((int)a0, current_task());
}

SYSCALL_DEFINE(wait)
{
	return do_wait((int)a0);
}

/*
 * watch(addr, len): make DR0 a write watchpoint on [addr, addr+len) of the
 * caller (len 1, 2, 4 or 8, addr aligned to len); watch(0, 0) removes it.
 * DR0/DR7 are per task: the scheduler loads them on every switch.
 */
SYSCALL_DEFINE(watch)
{
	struct task *t = current_task();
	uint64_t addr = (uint64_t)a0, len = (uint64_t)a1, lenbits;

	if (addr == 0) {
		t->dr0 = t->dr7 = 0;
		write_dr7(0);
		task_printk(t, "watch: DR0 watchpoint removed");
		return 0;
	}
	switch (len) {
	case 1: lenbits = 0; break;
	case 2: lenbits = 1; break;
	case 4: lenbits = 3; break;
	case 8: lenbits = 2; break;
	default: return -EINVAL;
	}
	if (addr & (len - 1))
		return -EINVAL;
	if (!vm_user_range_ok(t->cr3, addr, len))
		return -EFAULT;
	t->dr0 = addr;
	t->dr7 = (1ULL << 0)		/* L0: enable DR0 locally */
		 | (1ULL << 16)		/* R/W0 = 01: data writes */
		 | (lenbits << 18);	/* LEN0 */
	write_dr7(0);
	write_dr0(t->dr0);
	write_dr7(t->dr7);
	task_printk(t, "watch: DR0=0x%lx len %lu, DR7=0x%lx", t->dr0, len, t->dr7);
	return 0;
}

SYSCALL_DEFINE(getcpu)
{
	return this_cpu()->cpu;
}

SYSCALL_DEFINE(ticks)
{
	return (long)jiffies;
}

/* Indexed by syscall number: the symbol introspection tools look up. */
#define TABLE_ENTRY(n, name, doc) [n] = sys_##name,
const syscall_fn sys_call_table[NR_SYSCALLS] = { SYSCALL_LIST(TABLE_ENTRY) };

long syscall_dispatch(struct trapframe *tf)
{
	uint64_t nr = tf->rax;
	long ret = -ENOSYS;

	current_task()->nr_syscalls++;
	this_cpu()->nr_syscalls++;
	if (nr < NR_SYSCALLS)
		ret = sys_call_table[nr]((long)tf->rdi, (long)tf->rsi, (long)tf->rdx,
					 (long)tf->r10, (long)tf->r8, (long)tf->r9);
	tf->rax = (uint64_t)ret;
	return ret;
}

void syscall_init_cpu(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, STAR_VALUE);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_CSTAR, (uint64_t)syscall_entry); /* no compat-mode processes */
	wrmsr(MSR_FMASK, SYSCALL_FMASK);
	wrmsr(MSR_KERNEL_GS_BASE, 0); /* the user GS.base */
}
