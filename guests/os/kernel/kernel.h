/* Kernel-wide definitions: memory helpers, console, panic. */
#ifndef OS_KERNEL_H
#define OS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"
#include "mem.h"
#include "layout.h"
#include "syscalls.h"

#define PAGE_SIZE 4096UL
#define PAGE_ALIGN_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NORETURN __attribute__((noreturn))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(PHYSMAP_BASE + pa);
}

/* Works for both the direct map and the kernel image mapping. */
static inline uint64_t virt_to_phys(const void *v)
{
	uint64_t a = (uint64_t)v;
	return a >= KERNEL_VMA ? a - KERNEL_VMA : a - PHYSMAP_BASE;
}

/* linker symbols */
extern char __kernel_start[], __kernel_end[], __bss_start[], __bss_end[];

/* console.c: whole lines, never interleaved with another CPU's line */
void console_init(void);
void printk(const char *fmt, ...) PRINTF(1, 2);
void vprintk(const char *fmt, va_list ap) PRINTF(1, 0);
struct task;
void task_printk(struct task *t, const char *fmt, ...) PRINTF(2, 3);
void console_task_write(struct task *t, const char *buf, size_t len);
void console_task_flush(struct task *t);
void console_emergency(void);

/* main.c */
NORETURN void panic(const char *fmt, ...) PRINTF(1, 2);
NORETURN void machine_exit(uint32_t code);
extern uint32_t ncpus_online;

#endif
