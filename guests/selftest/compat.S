/*
 * 64-bit mode <-> compatibility mode round trips (SDM Vol. 3A 5.2.1
 * "Code-Segment Descriptor in 64-bit Mode", 9.8.5; APM Vol. 2 4.8.1).  Two trips, so that far JMP and far RET are
 * both used in both directions:
 *   1. 64 -> 32: JMP m16:32 (indirect far jump)
 *      32 -> 64: RET far with 32-bit operand size (LRETL)
 *   2. 64 -> 32: RET far with 64-bit operand size (LRETQ)
 *      32 -> 64: JMP ptr16:32 (direct far jump, not encodable in 64-bit mode)
 * The 32-bit code computes something whose result depends on running in
 * a 32-bit code segment: 0x48 is DEC EAX there (a REX.W prefix in 64-bit
 * mode), PUSH moves ESP by 4, LOOP counts with ECX.
 *
 * void compat_run(uint32_t n, uint32_t out[6])
 *   out[0] = (1 + 2 + ... + n) - 1      computed in trip 1
 *   out[1] = ESP delta of one PUSH      (4)
 *   out[2] = CS seen in compat mode     (SEL_KCODE32)
 *   out[3] = n * 3 - 1 via LEA/DEC      computed in trip 2
 *   out[4] = CS back in 64-bit mode     (SEL_KCODE64)
 *   out[5] = 1 if a 64-bit-only probe after return behaved as 64-bit
 * Upper halves of GPRs are undefined after compatibility mode (SDM Vol. 1
 * 3.4.1.1), so RSP and the callee-saved registers are restored from memory.
 */
#include "defs.h"

	.text
	.code64
	.globl	compat_run
	.type	compat_run, @function
compat_run:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsi, compat_out(%rip)
	movq	%rsp, compat_saved_rsp(%rip)
	movl	%edi, compat_n(%rip)

	/* Trip 1: 64 -> 32 through an m16:32 far pointer. */
	ljmpl	*compat_fptr(%rip)

	.code32
compat_trip1:
	movl	compat_n, %ecx
	xorl	%eax, %eax
1:	addl	%ecx, %eax
	loop	1b
	.byte	0x48			/* dec %eax */
	movl	%eax, compat_res + 0
	movl	%esp, %edx
	pushl	%eax
	movl	%esp, %ebx
	popl	%eax
	subl	%ebx, %edx
	movl	%edx, compat_res + 4
	movw	%cs, %ax
	movzwl	%ax, %eax
	movl	%eax, compat_res + 8
	/* 32 -> 64: far return with 32-bit operand size. */
	pushl	$SEL_KCODE64
	pushl	$compat_back1
	lretl

	.code64
compat_back1:
	movq	compat_saved_rsp(%rip), %rsp
	/* Trip 2: 64 -> 32 through LRETQ. */
	pushq	$SEL_KCODE32
	pushq	$compat_trip2
	lretq

	.code32
compat_trip2:
	movl	compat_n, %eax
	leal	(%eax,%eax,2), %eax
	.byte	0x48			/* dec %eax */
	movl	%eax, compat_res + 12
	ljmp	$SEL_KCODE64, $compat_back2

	.code64
compat_back2:
	movq	compat_saved_rsp(%rip), %rsp
	movw	%cs, %ax
	movzwl	%ax, %eax
	movl	%eax, compat_res + 16
	/* In 64-bit mode 48 ff c8 is DEC RAX: 0 -> all ones. */
	xorl	%eax, %eax
	.byte	0x48, 0xff, 0xc8
	xorl	%edx, %edx
	cmpq	$-1, %rax
	sete	%dl
	movl	%edx, compat_res + 20

	movq	compat_out(%rip), %rdi
	leaq	compat_res(%rip), %rsi
	movl	$6, %ecx
	rep movsl
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size	compat_run, . - compat_run

	.data
	.balign	8
compat_fptr:
	.long	compat_trip1
	.word	SEL_KCODE32
	.balign	8
compat_saved_rsp: .quad 0
compat_out:	.quad 0
compat_n:	.long 0
compat_res:	.long 0, 0, 0, 0, 0, 0

	.section .note.GNU-stack, "", @progbits
