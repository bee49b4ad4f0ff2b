/*
 * Entry of the self-test kernel (and of triplefault.elf).
 *
 * Two boot protocols lead here, both in 32-bit protected mode with paging
 * off and an unspecified stack:
 *   - Xen PVH: entry point from the XEN_ELFNOTE_PHYS32_ENTRY note
 *     (pvh_note.S), EBX = physical address of struct hvm_start_info;
 *   - Multiboot v1: the header in mb_header.S, EAX = 0x2BADB002, EBX =
 *     physical address of the multiboot information structure.
 * The code records what it was given, loads our GDT, zeroes .bss,
 * identity-maps the low 4 GiB with 2 MiB pages, enables long mode
 * (SDM Vol. 3A 9.8.5 "Initializing IA-32e Mode") and calls
 * selftest_main().  Its return value goes to isa-debug-exit (port 0xf4).
 */
#include "defs.h"

	.section .text.entry, "ax", @progbits
	.code32
	.globl	pvh_entry32
	.type	pvh_entry32, @function
pvh_entry32:
	cli
	cld
	movl	%ebx, boot_info_ptr
	movl	$BOOT_PVH, boot_proto
	jmp	common32
	.size	pvh_entry32, . - pvh_entry32

	.globl	mb_entry32
	.type	mb_entry32, @function
mb_entry32:
	cli
	cld
	movl	%ebx, boot_info_ptr
	movl	%eax, boot_magic
	movl	$BOOT_MULTIBOOT, boot_proto
	.size	mb_entry32, . - mb_entry32

common32:
	/* What the loader handed us, for the modes check.  All of these
	 * variables live in .data: .bss is cleared below. */
	movl	%cr0, %eax
	movl	%eax, entry_cr0
	movl	%cr4, %eax
	movl	%eax, entry_cr4
	movw	%cs, %ax
	movw	%ax, entry_cs
	/* The loader's GDT, to look at its CS descriptor later.  (Not LAR:
	 * the GDT may live in option-ROM space, and KVM cannot emulate LAR
	 * when the descriptor read has to be emulated.) */
	sgdtl	entry_gdtr
	/* Executing in a 32-bit code segment?  0x48 is DEC EAX in 16- and
	 * 32-bit code (DEC AX with 16-bit operand size) and a REX.W prefix
	 * in 64-bit mode: only a 32-bit segment leaves EAX = 0xffff. */
	movl	$0x10000, %eax
	.byte	0x48			/* dec %eax */
	movl	%eax, entry_dec_probe

	lgdt	gdt_ptr
	ljmp	$SEL_KCODE32, $1f
1:	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs

	/* Zero .bss (page tables and stacks included). */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl
	movl	$boot_stack_top, %esp

	/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 2 MiB pages covering
	 * 0..4 GiB.  The top GiB (LAPIC, I/O APIC) is uncacheable
	 * (PCD|PWT).  Upper-level entries have U=0: the identity map is
	 * supervisor-only at the PML4/PDPT level. */
	movl	$boot_pdpt + 0x3, boot_pml4
	movl	$boot_pd + 0x3, %eax
	xorl	%ecx, %ecx
2:	movl	%eax, boot_pdpt(,%ecx,8)
	addl	$0x1000, %eax
	incl	%ecx
	cmpl	$4, %ecx
	jb	2b
	xorl	%ecx, %ecx
3:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax		/* P | W | PS */
	cmpl	$1536, %ecx
	jb	4f
	orl	$0x18, %eax		/* PWT | PCD above 3 GiB */
4:	movl	%eax, boot_pd(,%ecx,8)
	incl	%ecx
	cmpl	$2048, %ecx
	jb	3b

	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$0x20, %eax		/* CR4.PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx	/* IA32_EFER */
	rdmsr
	orl	$0x901, %eax		/* NXE | LME | SCE */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010001, %eax	/* PG | WP | PE */
	movl	%eax, %cr0
	ljmp	$SEL_KCODE64, $long64

	.code64
long64:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp
	call	selftest_main
	outl	%eax, $DEBUG_EXIT_PORT
5:	cli
	hlt
	jmp	5b

	.data
	.balign	4
	.globl	boot_proto, boot_info_ptr, boot_magic
	.globl	entry_cr0, entry_cr4, entry_cs, entry_gdtr, entry_dec_probe
boot_proto:	.long 0
boot_info_ptr:	.long 0
boot_magic:	.long 0
entry_cr0:	.long 0
entry_cr4:	.long 0
entry_dec_probe: .long 0
entry_cs:	.word 0
	.balign	8
	.word	0
entry_gdtr:	.word 0		/* limit, then 32-bit base */
		.long 0

	/* The one GDT, used from the first instruction after the loader
	 * to the end (the AP loads it too).  The TSS and LDT descriptors
	 * are filled in by desc.c. */
	.balign	16
	.globl	gdt, gdt_ptr
gdt:
	.quad	0			/* 0x00 null */
	.quad	0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad	0x00cf92000000ffff	/* 0x10 kernel data */
	.quad	0x00cffa000000ffff	/* 0x18 user code, 32-bit */
	.quad	0x00cff2000000ffff	/* 0x20 user data */
	.quad	0x00affa000000ffff	/* 0x28 user code, 64-bit */
	.quad	0x00cf9a000000ffff	/* 0x30 kernel code, 32-bit */
	.quad	0			/* 0x38 unused */
	.quad	0, 0			/* 0x40 TSS (BSP) */
	.quad	0x00cf12000000ffff	/* 0x50 data, not present */
	.quad	0, 0			/* 0x58 LDT */
	.quad	0, 0			/* 0x68 TSS (AP) */
gdt_end:
	.balign	8
	.word	0			/* so that the base is 8-byte aligned */
gdt_ptr:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.bss
	.balign	4096
	.globl	boot_pml4
boot_pml4:	.skip	4096
boot_pdpt:	.skip	4096
boot_pd:	.skip	4 * 4096
	.balign	16
boot_stack:	.skip	0x8000
	.globl	boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
