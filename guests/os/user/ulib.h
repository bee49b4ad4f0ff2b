/* The user-side library: system-call wrappers and printf. */
#ifndef OS_ULIB_H
#define OS_ULIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"
#include "mem.h"
#include "syscalls.h"

static inline long syscall3(long nr, long a0, long a1, long a2)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long write(int fd, const void *buf, size_t len)
{
	return syscall3(SYS_write, fd, (long)buf, (long)len);
}
static inline long getpid(void) { return syscall3(SYS_getpid, 0, 0, 0); }
static inline long yield(void) { return syscall3(SYS_yield, 0, 0, 0); }
static inline long sleep_ticks(long ticks) { return syscall3(SYS_sleep, ticks, 0, 0); }
static inline long spawn(int program) { return syscall3(SYS_spawn, program, 0, 0); }
static inline long wait_pid(long pid) { return syscall3(SYS_wait, pid, 0, 0); }
static inline long watch(const volatile void *addr, size_t len)
{
	return syscall3(SYS_watch, (long)addr, (long)len, 0);
}
static inline long getcpu(void) { return syscall3(SYS_getcpu, 0, 0, 0); }
static inline long ticks(void) { return syscall3(SYS_ticks, 0, 0, 0); }
__attribute__((noreturn)) static inline void exit(int code)
{
	syscall3(SYS_exit, code, 0, 0);
	__builtin_unreachable();
}

/* Formats into a buffer and writes it with one write(1, ...). */
int printf(const char *format, ...) FMT_PRINTF(1, 2);

#endif
