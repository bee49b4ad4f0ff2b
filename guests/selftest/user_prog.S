/*
 * Ring-3 programs.  (user_prog.S) They live in .user_text, which paging.c maps again at
 * TEST_PAGE(TP_USER_CODE) with U=1; they run from that alias, so they use
 * only relative jumps and registers (no kernel data is reachable).
 * Arguments arrive in RDI, RSI, RDX (see enter_user in isr.S).  Each
 * program returns to the kernel with RAX = SYS_EXIT, RDI = result through
 * UD2 (#UD from CPL 3 with RAX = SYS_EXIT is the exit request, see
 * user.c) -- except the programs that test int 0x80 and SYSCALL, which
 * leave through those.  So a broken int 0x80 or SYSCALL path fails only
 * its own check.
 */
#include "defs.h"

/* An instruction expected to fault; the kernel resumes after it. */
.macro	FAULTING insn:vararg
1:	\insn
2:
	.pushsection .fixup_table, "a"
	.balign	8
	.quad	1b, 2b
	.popsection
.endm

.macro	EXIT
	movl	$SYS_EXIT, %eax
	ud2
.endm

	.section .user_text, "ax", @progbits
	.code64

/* CPL, SS and RSP as seen in ring 3 go back in RBX, R12, R13. */
	.globl	user_int80_prog, user_int80_after
user_int80_prog:
	movw	%cs, %bx
	movzwl	%bx, %ebx
	movw	%ss, %r12w
	movzwl	%r12w, %r12d
	movq	%rsp, %r13
	movq	$0x1234, %rdi
	movl	$SYS_EXIT, %eax
	int	$VEC_SYSCALL80
user_int80_after:
	ud2

/* Privileged instructions at CPL 3: each is #GP(0) (SDM Vol. 3A 5.9
 * "Privileged Instructions"; Vol. 1 18.5 for IN with IOPL < CPL and no
 * I/O bitmap); INT n through a DPL 0 gate is #GP(vector * 8 + 2) (Vol. 2A
 * INT n, Vol. 3A 6.12.1.1). */
	.globl	user_gp_prog
user_gp_prog:
	FAULTING cli
	FAULTING hlt
	FAULTING inb $0x80, %al
	FAULTING int $VEC_DPL0
	FAULTING movq %cr0, %rax
	FAULTING rdmsr
	xorl	%edi, %edi
	EXIT

/* RDI = supervisor page in the test region, RSI = not-present page,
 * RDX = kernel (identity map, U=0 at the PML4 level). */
	.globl	user_pf_prog
user_pf_prog:
	FAULTING movq (%rdi), %rax
	FAULTING movq %rax, (%rdi)
	FAULTING movq (%rsi), %rax
	FAULTING movq (%rdx), %rax
	xorl	%edi, %edi
	EXIT

/* SYSCALL with IF, DF and AC set; after SYSRET report RFLAGS (RBX), CS
 * (R12), SS (R13), RFLAGS before SYSCALL (R14). */
	.globl	user_syscall_prog, user_syscall_ret
user_syscall_prog:
	pushfq
	orq	$0x40400, (%rsp)	/* AC | DF */
	popfq
	pushfq
	popq	%r14
	movl	$SYS_TEST, %eax
	syscall
user_syscall_ret:
	pushfq
	popq	%rbx
	cld
	pushfq
	andq	$~0x40000, (%rsp)
	popfq
	movw	%cs, %r12w
	movzwl	%r12w, %r12d
	movw	%ss, %r13w
	movzwl	%r13w, %r13d
	movq	$0x5678, %rdi
	EXIT

/* Leave through SYSCALL instead of int 0x80. */
	.globl	user_syscall_exit_prog
user_syscall_exit_prog:
	movq	$0x9abc, %rdi
	movl	$SYS_EXIT, %eax
	syscall
	ud2

	.section .note.GNU-stack, "", @progbits
