/*
 * Kernel entry and exit paths: interrupt/exception stubs, SYSCALL/SYSRET,
 * the context switch, and the first entry of APs and of new tasks.
 *
 * Every entry builds a struct trapframe (sched.h) on the kernel stack:
 *   r15 .. rax (15 GPRs), vector, error code, then RIP CS RFLAGS RSP SS.
 * GS.base holds the CPU's struct percpu while in the kernel; SWAPGS
 * exchanges it with IA32_KERNEL_GS_BASE (the user GS.base, always 0)
 * on every transition from/to ring 3.
 */
#include "layout.h"
#include "asm-offsets.h"

	.macro PUSH_REGS
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	.endm

	.macro POP_REGS
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	.endm

/* ---- interrupt and exception stubs, one per vector ------------------- */

/* Vectors with a hardware error code (SDM vol. 3 table 6-1, #CP/#VC/#SX). */
#define HAS_ERROR(v) ((v) == 8 || (v) == 10 || (v) == 11 || (v) == 12 || \
	(v) == 13 || (v) == 14 || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)
/* Vectors on an IST stack: may arrive with any GS (see isr_paranoid). */
#define PARANOID(v) ((v) == VEC_DB || (v) == VEC_NMI || (v) == VEC_DF || (v) == VEC_MC)

	.altmacro
	.macro ISR_STUB v
	.balign 16
isr_stub_\v:
	.if HAS_ERROR(\v)
	.else
	pushq	$0			/* no error code: keep the frame uniform */
	.endif
	pushq	$\v
	.if PARANOID(\v)
	jmp	isr_paranoid
	.else
	jmp	isr_common
	.endif
	.endm

	.macro ISR_ADDR v
	.quad	isr_stub_\v
	.endm

	.text
	.globl	isr_stubs
isr_stubs:
	.set	vec, 0
	.rept	256
	ISR_STUB %vec
	.set	vec, vec + 1
	.endr

	.section .rodata
	.balign 8
	.globl	isr_table
isr_table:
	.set	vec, 0
	.rept	256
	ISR_ADDR %vec
	.set	vec, vec + 1
	.endr
	.noaltmacro

	.text
/*
 * Ordinary vectors: they come either from ring 3 (swap GS) or from the
 * kernel, which only ever runs with interrupts enabled in the idle loop.
 * Stack at entry: vector, error, RIP, CS, ...
 */
	.globl	isr_common, isr_exit
	.type	isr_common, @function
isr_common:
	testb	$3, 24(%rsp)
	jz	1f
	swapgs
1:	PUSH_REGS
	cld
	movq	%rsp, %rdi
	call	trap_dispatch
isr_exit:
	POP_REGS
	testb	$3, 24(%rsp)		/* CS of the frame we return to */
	jz	2f
	swapgs
2:	addq	$16, %rsp		/* vector, error code */
	iretq
	.size	isr_common, . - isr_common

/*
 * #DB, NMI, #DF, #MC run on IST stacks and may hit anywhere, including the
 * instructions between SYSCALL and SWAPGS: decide by GS.base itself (kernel
 * percpu addresses are negative), like Linux's paranoid_entry.  These
 * handlers never schedule.
 */
	.type	isr_paranoid, @function
isr_paranoid:
	PUSH_REGS
	cld
	movl	$MSR_GS_BASE, %ecx
	rdmsr
	xorl	%ebx, %ebx
	testl	%edx, %edx
	js	1f
	swapgs
	movl	$1, %ebx
1:	movq	%rsp, %rdi
	call	trap_dispatch
	testl	%ebx, %ebx
	jz	2f
	swapgs
2:	POP_REGS
	addq	$16, %rsp
	iretq
	.size	isr_paranoid, . - isr_paranoid

/* ---- SYSCALL ---------------------------------------------------------- */
/*
 * SYSCALL: RCX = user RIP, R11 = user RFLAGS; RFLAGS &= ~FMASK (IF, TF, DF,
 * AC, NT cleared); still on the user stack.  We build the same trapframe
 * as an interrupt (vector VEC_SYSCALL) on this task's kernel stack and
 * call syscall_dispatch, which returns the result in RAX and also stores
 * it in the frame.  Every syscall that returns does so through
 * syscall_exit, with the return value in RAX at that label.
 */
	.globl	syscall_entry, syscall_exit
	.type	syscall_entry, @function
syscall_entry:
	swapgs
	movq	%rsp, %gs:PCPU_USER_RSP
	movq	%gs:PCPU_KSTACK_TOP, %rsp
	pushq	$USER_DS		/* SS */
	pushq	%gs:PCPU_USER_RSP	/* RSP */
	pushq	%r11			/* RFLAGS */
	pushq	$USER_CS		/* CS */
	pushq	%rcx			/* RIP */
	pushq	$0			/* error code */
	pushq	$VEC_SYSCALL		/* vector */
	PUSH_REGS
	movq	%rsp, %rdi
	call	syscall_dispatch
syscall_exit:
	POP_REGS			/* RAX = the frame's RAX = return value */
	addq	$16, %rsp
	/* Return to the frame's RIP/RFLAGS/RSP (the kernel may change them). */
	movq	0(%rsp), %rcx
	movq	16(%rsp), %r11
	movq	24(%rsp), %rsp
	swapgs
	sysretq
	.size	syscall_entry, . - syscall_entry

/* ---- context switch --------------------------------------------------- */
/*
 * struct task *switch_to(struct task *prev, struct task *next)
 * Saves the callee-saved registers on prev's kernel stack, switches to
 * next's, and returns (in next's context) the task that ran before it on
 * this CPU.  Called with rq_lock held and interrupts off.
 */
	.globl	switch_to
	.type	switch_to, @function
switch_to:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, TASK_KSP(%rdi)
	movq	TASK_KSP(%rsi), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	movq	%rdi, %rax
	ret
	.size	switch_to, . - switch_to

/* A new task's kernel stack "returns" here from switch_to (RAX = prev),
 * above a trapframe that enters user mode. */
	.globl	task_first_run
	.type	task_first_run, @function
task_first_run:
	movq	%rax, %rdi
	call	finish_switch
	jmp	isr_exit
	.size	task_first_run, . - task_first_run

/* APs arrive from the trampoline: 64-bit, boot page tables, RSP set,
 * RDI = struct percpu *. */
	.globl	ap_entry64
	.type	ap_entry64, @function
ap_entry64:
	xorl	%ebp, %ebp
	call	ap_main
	ud2
	.size	ap_entry64, . - ap_entry64
