/*
 * Tasks and the scheduler: one global FIFO run queue under rq_lock,
 * round-robin with a one-tick quantum, shared by all CPUs.
 *
 * Locking: rq_lock protects the run queue, every task's state/rq_next/
 * wake_tick/wait_pid, and the task list.  It is held across switch_to and
 * released by the task switched to (finish_switch), so a task that has
 * just been put back on the queue cannot be picked up by another CPU
 * before its registers are saved.  The kernel runs with interrupts off;
 * a CPU enables them only in the idle loop's "sti; hlt" (and user mode).
 */
#include "arch.h"

struct task init_task = {
	.next = &init_task,
	.prev = &init_task,
	.pid = 0,
	.state = TASK_RUNNING,
	.name = "swapper/0",
	.program = -1,
	.in_use = 1,
	.on_cpu = 1,
};

struct percpu percpu[MAX_CPUS] __attribute__((aligned(64)));
struct spinlock rq_lock = SPINLOCK_INIT("runqueue");
volatile uint64_t jiffies;

static struct task *rq_head, *rq_tail;
static struct task task_pool[MAX_TASKS];
static struct spinlock pool_lock = SPINLOCK_INIT("tasks");
static int32_t last_pid;

uint32_t this_cpu_index(void)
{
	return this_cpu()->cpu;
}

void sched_init_cpu(struct percpu *c, struct task *idle)
{
	c->self = c;
	c->idle = idle;
	c->current = idle;
	c->kstack_top = idle->kstack_top;
	c->tss.rsp[0] = idle->kstack_top;
	idle->cpu = (int32_t)c->cpu;
	idle->state = TASK_RUNNING;
	idle->on_cpu = 1;
}

static void rq_push(struct task *t)
{
	t->rq_next = NULL;
	if (rq_tail)
		rq_tail->rq_next = t;
	else
		rq_head = t;
	rq_tail = t;
}

static struct task *rq_pop(void)
{
	struct task *t = rq_head;

	if (t) {
		rq_head = t->rq_next;
		if (!rq_head)
			rq_tail = NULL;
		t->rq_next = NULL;
	}
	return t;
}

/* Make t runnable; wake one idle CPU with an IPI so it need not wait for
 * its next timer tick. */
void wake_locked(struct task *t)
{
	struct percpu *me = this_cpu();

	t->state = TASK_RUNNABLE;
	rq_push(t);
	__sync_synchronize(); /* rq store before idling load (see idle_loop) */
	for (uint32_t i = 0; i < ncpus_online; i++) {
		struct percpu *c = &percpu[i];

		if (c != me && READ_ONCE(c->idling)) {
			c->idling = 0;
			me->nr_ipis++;
			lapic_send_ipi(c->apic_id, VEC_RESCHED);
			break;
		}
	}
}

/* The CPU that ran prev has switched away from it: prev may now run
 * elsewhere (or be freed, if it is a zombie). */
void finish_switch(struct task *prev)
{
	WRITE_ONCE(prev->on_cpu, 0);
	spin_unlock(&rq_lock);
}

static void load_debug_regs(const struct task *t)
{
	write_dr7(0);
	write_dr0(t->dr0);
	write_dr7(t->dr7);
}

void schedule_locked(void)
{
	struct percpu *c = this_cpu();
	struct task *prev = c->current, *next;

	if (prev != c->idle && prev->state == TASK_RUNNING) {
		prev->state = TASK_RUNNABLE;
		rq_push(prev);
	}
	next = rq_pop();
	if (!next)
		next = c->idle;
	if (next == prev) {
		prev->state = TASK_RUNNING;
		spin_unlock(&rq_lock);
		return;
	}
	if (prev == c->idle)
		prev->state = TASK_RUNNABLE; /* idle is "ready" while not on the CPU */
	next->state = TASK_RUNNING;
	next->on_cpu = 1;
	next->cpu = (int32_t)c->cpu;
	next->nr_switches++;
	c->current = next;
	c->kstack_top = next->kstack_top;
	c->tss.rsp[0] = next->kstack_top;
	c->nr_switches++;
	if (read_cr3() != next->cr3)
		write_cr3(next->cr3);
	if (prev->dr7 || next->dr7)
		load_debug_regs(next);
	prev = switch_to(prev, next);
	finish_switch(prev);
}

void schedule(void)
{
	spin_lock(&rq_lock);
	schedule_locked();
}

/* CPU 0 keeps time; sleepers are few, so scan the task list. */
static void wake_sleepers(void)
{
	uint64_t now = jiffies;

	spin_lock(&rq_lock);
	for (struct task *t = init_task.next; t != &init_task; t = t->next)
		if (t->state == TASK_SLEEPING && t->wake_tick <= now)
			wake_locked(t);
	spin_unlock(&rq_lock);
}

/* LAPIC timer interrupt (EOI already sent). */
void sched_tick(struct trapframe *tf)
{
	struct percpu *c = this_cpu();

	c->ticks++;
	if (c->cpu == 0) {
		jiffies++;
		wake_sleepers();
	}
	/* Preempt user code, or leave the idle loop; the kernel itself is
	 * never interrupted anywhere else. */
	if ((c->current == c->idle || (tf->cs & 3) == 3) && READ_ONCE(rq_head))
		schedule();
}

void sched_resched_ipi(struct trapframe *tf)
{
	struct percpu *c = this_cpu();

	(void)tf;
	if (c->current == c->idle && READ_ONCE(rq_head))
		schedule();
}

void idle_loop(void)
{
	struct percpu *c = this_cpu();

	for (;;) {
		if (READ_ONCE(rq_head)) {
			schedule();
			continue;
		}
		/* Announce before the last look at the queue: a waker that
		 * queues after our look sees idling and sends an IPI. */
		__atomic_store_n(&c->idling, 1, __ATOMIC_SEQ_CST);
		if (!READ_ONCE(rq_head))
			sti_hlt();
		c->idling = 0;
	}
}

/* ---- task slots, pids and the task list ----------------------------- */

struct task *task_alloc(void)
{
	struct task *t = NULL;

	spin_lock(&pool_lock);
	for (int i = 0; i < MAX_TASKS; i++) {
		if (!task_pool[i].in_use) {
			t = &task_pool[i];
			memset(t, 0, sizeof(*t));
			t->in_use = 1;
			break;
		}
	}
	spin_unlock(&pool_lock);
	return t;
}

void task_release(struct task *t)
{
	spin_lock(&pool_lock);
	t->in_use = 0;
	spin_unlock(&pool_lock);
}

int task_next_pid(void)
{
	return __atomic_add_fetch(&last_pid, 1, __ATOMIC_SEQ_CST);
}

/* Append to the task list (rq_lock held). */
void task_link(struct task *t)
{
	t->next = &init_task;
	t->prev = init_task.prev;
	init_task.prev->next = t;
	init_task.prev = t;
}

static void task_unlink(struct task *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

struct task *task_find_locked(int pid)
{
	for (struct task *t = init_task.next; t != &init_task; t = t->next)
		if (t->pid == pid)
			return t;
	return NULL;
}

/* ---- exit and wait -------------------------------------------------- */

void do_exit(int code)
{
	struct task *t = current_task();
	struct task *init = NULL;

	console_task_flush(t);
	if (t->dr7) {
		t->dr7 = t->dr0 = 0;
		write_dr7(0);
	}
	spin_lock(&rq_lock);
	t->exit_code = code;
	t->state = TASK_ZOMBIE;
	if (t->pid == 1) {
		spin_unlock(&rq_lock);
		shutdown(code);
	}
	/* Orphans go to init (pid 1). */
	init = task_find_locked(1);
	for (struct task *o = init_task.next; o != &init_task; o = o->next)
		if (o->parent == t)
			o->parent = init ? init : &init_task;
	struct task *p = t->parent;
	if (p && p->state == TASK_SLEEPING && p->wait_pid == t->pid)
		wake_locked(p);
	schedule_locked();
	panic("exited task %d was scheduled again", t->pid);
}

long do_wait(int pid)
{
	struct task *me = current_task();

	spin_lock(&rq_lock);
	for (;;) {
		struct task *c = task_find_locked(pid);

		if (!c || c->parent != me) {
			spin_unlock(&rq_lock);
			return -ECHILD;
		}
		if (c->state == TASK_ZOMBIE) {
			if (READ_ONCE(c->on_cpu)) { /* still switching away */
				spin_unlock(&rq_lock);
				cpu_relax();
				spin_lock(&rq_lock);
				continue;
			}
			long code = c->exit_code;
			task_unlink(c);
			spin_unlock(&rq_lock);
			process_free(c);
			task_release(c);
			return code;
		}
		me->state = TASK_SLEEPING;
		me->wait_pid = pid;
		me->wake_tick = UINT64_MAX;
		schedule_locked();
		spin_lock(&rq_lock);
		me->wait_pid = 0;
	}
}
