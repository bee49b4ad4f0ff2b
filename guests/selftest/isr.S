/*
 * Interrupt/exception entry stubs, the common trap path, and the small
 * context-switching routines the tests need: setjmp/longjmp for aborting
 * a test from a handler, IRETQ-to-self, entering ring 3, SYSCALL entry.
 *
 * Trap frame (struct trap_frame in trap.h), lowest address first:
 *   r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax
 *   vector error | rip cs rflags rsp ss   (pushed by the CPU)
 * Vectors without a CPU-pushed error code get a 0 pushed by the stub.
 * In 64-bit mode the CPU aligns RSP to 16 before pushing its frame
 * (SDM Vol. 3A 6.14.2), so RSP is 16-byte aligned at the C call.
 */
#include "defs.h"

	.text
	.code64

/* Vectors with a CPU error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX
 * (SDM Vol. 3A Table 6-1 / APM Vol. 2 Table 8-1). */
.macro	STUB vec
	.balign	16
isr_\vec:
	.if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || \
	    (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || \
	    (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	isr_common
.endm

.macro	STUB_ADDR vec
	.quad	isr_\vec
.endm

	.globl	isr_stubs_begin
isr_stubs_begin:
	.altmacro
	.set	v, 0
	.rept	256
	STUB	%v
	.set	v, v + 1
	.endr
	.noaltmacro

isr_common:
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
	movq	%rsp, %rdi
	cld
	call	trap_dispatch
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
	addq	$16, %rsp
	iretq

	/* Table of stub addresses for desc.c (each stub is 16-byte aligned
	 * and shorter than 16 bytes, but a table keeps that an assumption
	 * of this file only). */
	.section .rodata
	.balign	8
	.globl	isr_stub_table
isr_stub_table:
	.altmacro
	.set	v, 0
	.rept	256
	STUB_ADDR %v
	.set	v, v + 1
	.endr
	.noaltmacro
	.text

/* int st_setjmp(struct st_jmpbuf *jb); void st_longjmp(jb, int val) */
	.globl	st_setjmp
	.type	st_setjmp, @function
st_setjmp:
	movq	%rbx, 0(%rdi)
	movq	%rbp, 8(%rdi)
	movq	%r12, 16(%rdi)
	movq	%r13, 24(%rdi)
	movq	%r14, 32(%rdi)
	movq	%r15, 40(%rdi)
	leaq	8(%rsp), %rax
	movq	%rax, 48(%rdi)
	movq	(%rsp), %rax
	movq	%rax, 56(%rdi)
	xorl	%eax, %eax
	ret
	.size	st_setjmp, . - st_setjmp

	.globl	st_longjmp
	.type	st_longjmp, @function
st_longjmp:
	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	48(%rdi), %rsp
	movl	%esi, %eax
	jmpq	*56(%rdi)
	.size	st_longjmp, . - st_longjmp

/* void iret_to_self(void): an IRETQ to the next instruction at CPL 0.
 * Ends NMI blocking left behind when a handler was abandoned
 * (SDM Vol. 3A 6.7.1: blocking lasts until the next IRET). */
	.globl	iret_to_self
	.type	iret_to_self, @function
iret_to_self:
	movq	%rsp, %rax
	pushq	$SEL_KDATA
	pushq	%rax
	pushfq
	pushq	$SEL_KCODE64
	leaq	1f(%rip), %rax
	pushq	%rax
	iretq
1:	ret
	.size	iret_to_self, . - iret_to_self

/*
 * uint64_t enter_user(uint64_t rip, uint64_t rsp, uint64_t rflags,
 *                     uint64_t a0, uint64_t a1, uint64_t a2):
 * IRETQ to ring 3 (CS 0x2b, SS 0x23) with RDI, RSI, RDX = a0, a1, a2.  The ring-3 program comes back
 * through int 0x80 or SYSCALL with RAX = SYS_EXIT; the kernel side then
 * resumes at user_return at CPL 0 with RAX = the result.
 */
	.globl	enter_user
	.type	enter_user, @function
enter_user:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, user_return_rsp(%rip)
	pushq	$(SEL_UDATA | 3)
	pushq	%rsi
	pushq	%rdx
	pushq	$(SEL_UCODE64 | 3)
	pushq	%rdi
	movq	%rcx, %rdi
	movq	%r8, %rsi
	movq	%r9, %rdx
	iretq
	.globl	user_return
user_return:
	movq	user_return_rsp(%rip), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size	enter_user, . - enter_user

/*
 * SYSCALL entry (IA32_LSTAR).  Arrives at CPL 0 on the user stack with
 * RCX = user RIP, R11 = user RFLAGS, RFLAGS &= ~IA32_FMASK (SDM Vol. 2B
 * SYSCALL).  SWAPGS makes the kernel's per-CPU area (IA32_KERNEL_GS_BASE)
 * addressable through GS: %gs:0 magic, %gs:8 saved user RSP, %gs:16
 * kernel stack top (struct syscall_percpu in user.c).  Everything seen
 * on entry is stored in syscall_seen for the test to check.
 */
	.globl	syscall_entry
	.type	syscall_entry, @function
syscall_entry:
	swapgs
	movq	%rsp, %gs:8
	movq	%gs:16, %rsp
	pushfq
	popq	syscall_seen+0(%rip)		/* rflags in the kernel */
	movq	%rcx, syscall_seen+8(%rip)
	movq	%r11, syscall_seen+16(%rip)
	movq	%gs:0, %r10
	movq	%r10, syscall_seen+24(%rip)	/* magic through the new GS */
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	movl	$0xc0000101, %ecx		/* GS_BASE after SWAPGS */
	rdmsr
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%rax, syscall_seen+32(%rip)
	movl	$0xc0000102, %ecx		/* KERNEL_GS_BASE after SWAPGS */
	rdmsr
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%rax, syscall_seen+40(%rip)
	movw	%cs, %ax
	movzwq	%ax, %rax
	movq	%rax, syscall_seen+48(%rip)
	movw	%ss, %ax
	movzwq	%ax, %rax
	movq	%rax, syscall_seen+56(%rip)
	movq	%gs:8, %rax
	movq	%rax, syscall_seen+64(%rip)	/* user RSP */
	incq	syscall_seen+72(%rip)		/* count */
	popq	%rdx
	popq	%rcx
	popq	%rax
	cmpq	$SYS_EXIT, %rax
	je	1f
	movq	%gs:8, %rsp
	swapgs
	sysretq
1:	swapgs
	movq	%rdi, %rax
	jmp	user_return
	.size	syscall_entry, . - syscall_entry

	.data
	.balign	8
	.globl	user_return_rsp
user_return_rsp:	.quad 0
	.globl	syscall_seen
syscall_seen:	.skip	80

	.section .note.GNU-stack, "", @progbits
