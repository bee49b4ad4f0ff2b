/*
 * AP start-up trampoline.  smp.c copies [trampoline_start, trampoline_end)
 * to TRAMPOLINE_BASE (0x8000), fills in the four quadwords at the end and
 * sends INIT-SIPI-SIPI with vector TRAMPOLINE_BASE >> 12.  The AP starts in
 * real mode at CS:IP = 0800:0000 and goes 16 -> 32 -> 64 bit:
 *
 *   real mode:  note that we are alive, load the trampoline's GDT, CR0.PE
 *   32-bit:     CR4.PAE, CR3 = boot PML4 (has the identity map), EFER.LME,
 *               CR0.PG
 *   64-bit:     RSP = tramp_stack, RDI = tramp_percpu, jump to tramp_entry
 *               (ap_entry64 in the higher half, which loads the real GDT)
 *
 * The code is position-dependent on TRAMPOLINE_BASE: T(x) is the address
 * of label x in the copy.
 */
#include "layout.h"

#define T(x) ((x) - trampoline_start + TRAMPOLINE_BASE)
#define TR_CODE32 0x08
#define TR_DATA   0x10
#define TR_CODE64 0x18

	.section .rodata.trampoline, "a", @progbits
	.balign 16
	.globl	trampoline_start, trampoline_end
	.globl	tramp_alive, tramp_cr3, tramp_stack, tramp_percpu, tramp_entry

	.code16
trampoline_start:
	cli
	cld
	movb	$1, %cs:(tramp_alive - trampoline_start)
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	T(tramp_gdtr)
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$TR_CODE32, $T(tramp32)

	.code32
tramp32:
	movl	$TR_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	T(tramp_cr3), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0
	ljmp	$TR_CODE64, $T(tramp64)

	.code64
tramp64:
	movq	T(tramp_stack), %rsp
	movq	T(tramp_percpu), %rdi
	jmpq	*T(tramp_entry)

	.balign 8
tramp_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code, flat */
	.quad	0x00cf92000000ffff	/* 0x10: data, flat */
	.quad	0x00af9a000000ffff	/* 0x18: 64-bit code */
tramp_gdtr:
	.word	4 * 8 - 1
	.long	T(tramp_gdt)

	.balign 8
tramp_cr3:	.quad 0		/* physical address of the boot PML4 */
tramp_stack:	.quad 0		/* initial RSP (kernel virtual) */
tramp_percpu:	.quad 0		/* struct percpu * of this AP */
tramp_entry:	.quad 0		/* ap_entry64 */
tramp_alive:	.byte 0		/* set by the AP's first instruction */
	.balign 8
trampoline_end:
