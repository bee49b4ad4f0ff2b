/*
 * AP start-up trampoline (SDM Vol. 3A 8.4 "Multiple-Processor (MP)
 * Initialization", 9.9 "Mode Switching").  smp.c copies it to
 * TRAMPOLINE_BASE and fills in tr_gdtr/tr_cr3/tr_stack/tr_entry; the
 * START-UP IPI with vector TRAMPOLINE_BASE >> 12 starts the AP in real
 * mode at CS = 0x0800, IP = 0.  It goes 16 -> 32 -> 64 bit with the BSP's
 * GDT and page tables and calls tr_entry (ap_main) on tr_stack.
 * Only constant differences of labels are used, so the code runs from
 * its copy.
 */
#include "defs.h"

#define TR(sym) (TRAMPOLINE_BASE + ((sym) - trampoline_start))

	.section .trampoline, "a", @progbits
	.code16
	.globl	trampoline_start
trampoline_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	movw	%ax, tr_cs16 - trampoline_start
	lgdtl	tr_gdtr - trampoline_start
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_KCODE32, $TR(tr32)

	.code32
tr32:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movl	TR(tr_cr3), %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$0x20, %eax		/* PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx
	rdmsr
	orl	$0x901, %eax		/* NXE | LME | SCE */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010001, %eax	/* PG | WP | PE */
	movl	%eax, %cr0
	ljmp	$SEL_KCODE64, $TR(tr64)

	.code64
tr64:
	movq	TR(tr_stack), %rsp
	movq	TR(tr_entry), %rax
	xorl	%ebp, %ebp
	call	*%rax
1:	cli
	hlt
	jmp	1b

	.balign	8
	.globl	tr_gdtr, tr_cr3, tr_stack, tr_entry, tr_cs16
tr_gdtr:	.word	0
		.long	0
	.balign	8
tr_cr3:		.quad	0
tr_stack:	.quad	0
tr_entry:	.quad	0
tr_cs16:	.word	0
	.globl	trampoline_end
trampoline_end:

	.section .note.GNU-stack, "", @progbits
