/*
 * Spinlocks: test-and-test-and-set on `lock cmpxchg`, storing the owner's
 * CPU index + 1 so a CPU can tell that it already holds a lock (the
 * console uses that to print from NMI/panic context without deadlock).
 *
 * The kernel runs with interrupts disabled (interrupt gates, SYSCALL
 * FMASK), so no lock is ever taken from an interrupt that interrupted its
 * holder on the same CPU: no irqsave variants are needed.
 */
#ifndef OS_SPINLOCK_H
#define OS_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "x86.h"

struct spinlock {
	volatile uint32_t owner; /* 0 = free, else CPU index + 1 */
	const char *name;
};

#define SPINLOCK_INIT(n) { 0, n }

uint32_t this_cpu_index(void);

static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t expected = 0, me = this_cpu_index() + 1;

	__asm__ volatile("lock cmpxchgl %2, %1"
			 : "+a"(expected), "+m"(l->owner)
			 : "r"(me)
			 : "memory", "cc");
	return expected == 0;
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l)) {
		while (l->owner != 0)
			cpu_relax();
	}
}

static inline void spin_unlock(struct spinlock *l)
{
	/* x86 stores are release stores; the barrier stops gcc reordering. */
	barrier();
	l->owner = 0;
}

static inline bool spin_held_by_me(const struct spinlock *l)
{
	return l->owner == this_cpu_index() + 1;
}

#endif
