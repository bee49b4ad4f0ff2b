/*
 * PVH entry (Xen's XEN_ELFNOTE_PHYS32_ENTRY boot protocol, as QEMU's
 * `-kernel` and tsvmi implement it):
 *
 *   32-bit protected mode, paging off, flat CS/DS/ES/SS, interrupts off,
 *   EBX = physical address of struct hvm_start_info.
 *
 * The kernel is linked at KERNEL_VMA + physical, so until paging is on
 * every absolute address here goes through PA().  Steps:
 *   1. load our GDT (flat data segments), zero .bss;
 *   2. build the boot page tables (see vm.c for the layout):
 *        PML4[0]   -> identity map 0..4 GiB   (for the mode switch only)
 *        PML4[256] -> direct map 0..4 GiB     (PHYSMAP_BASE)
 *        PML4[511] -> kernel image, 1 GiB     (KERNEL_VMA)
 *      with 2 MiB pages; 3..4 GiB (LAPIC, I/O APIC) uncached;
 *   3. CR4.PAE, CR3, EFER.LME, CR0.PG -> long mode; far jump to 64-bit;
 *   4. jump to the higher half, switch to the boot stack, kmain(EBX).
 */
#include "layout.h"

#define PA(x) ((x) - KERNEL_VMA)
#define BOOT_STACK_SIZE 16384

/* ---- the ELF note that makes this image PVH-bootable ------------------ */
	.section .note.Xen, "a", @note
	.balign 4
	.long	4			/* namesz: "Xen\0" */
	.long	8			/* descsz: 64-bit value, as Linux does */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.balign 4
	.quad	PA(pvh_start)
	.balign 4

/* ---- 32-bit entry ---------------------------------------------------- */
	.section .text.boot, "ax", @progbits
	.code32
	.globl	pvh_start
	.type	pvh_start, @function
pvh_start:
	cli
	cld
	movl	%ebx, %esi		/* keep hvm_start_info across the switch */

	lgdt	PA(boot_gdtr32)
	movl	$KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	/* CS stays the loader's 32-bit segment until the jump to 64-bit:
	 * our 0x08 is a long-mode descriptor (a 16-bit one without LMA). */
	/* zero .bss (page aligned, whole pages) */
	movl	$PA(__bss_start), %edi
	movl	$PA(__bss_end), %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	/* 2048 PDEs, 2 MiB each: physical 0..4 GiB */
	movl	$PA(boot_pd), %edi
	xorl	%ecx, %ecx
2:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax		/* P | W | PS */
	cmpl	$1536, %ecx
	jb	3f
	orl	$0x18, %eax		/* >= 3 GiB: PWT | PCD (MMIO) */
3:	movl	%eax, (%edi,%ecx,8)
	incl	%ecx
	cmpl	$2048, %ecx
	jb	2b

	/* PDPT of the direct map: 4 x 1 GiB */
	movl	$PA(boot_pdpt_dm), %edi
	movl	$PA(boot_pd) + 3, %eax
	xorl	%ecx, %ecx
4:	movl	%eax, (%edi,%ecx,8)
	addl	$4096, %eax
	incl	%ecx
	cmpl	$4, %ecx
	jb	4b

	/* PDPT of the kernel image: entry 510 (-2 GiB) -> physical 0..1 GiB */
	movl	$PA(boot_pd) + 3, PA(boot_pdpt_k) + 510 * 8
	movl	$PA(boot_pdpt_dm) + 3, PA(boot_pml4) + 0 * 8
	movl	$PA(boot_pdpt_dm) + 3, PA(boot_pml4) + 256 * 8
	movl	$PA(boot_pdpt_k) + 3, PA(boot_pml4) + 511 * 8

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$PA(boot_pml4), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP | CR0_PE), %eax
	movl	%eax, %cr0
	ljmp	$KERNEL_CS, $PA(pvh_long)

	.code64
pvh_long:
	movabsq	$pvh_high, %rax
	jmp	*%rax
pvh_high:
	lgdt	boot_gdtr64(%rip)
	leaq	boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	movl	%esi, %edi		/* kmain(start_info physical address) */
	call	kmain
5:	cli
	hlt
	jmp	5b
	.size	pvh_start, . - pvh_start

/* ---- data ------------------------------------------------------------ */
	.section .rodata
	.balign 8
boot_gdtr32:
	.word	GDT_ENTRIES * 8 - 1
	.long	PA(gdt)
	.balign 8
boot_gdtr64:
	.word	GDT_ENTRIES * 8 - 1
	.quad	gdt

	.section .bss
	.balign 4096
	.globl	boot_pml4, boot_stack_top
boot_pml4:	.skip 4096
boot_pdpt_dm:	.skip 4096
boot_pdpt_k:	.skip 4096
boot_pd:	.skip 4 * 4096
boot_stack:	.skip BOOT_STACK_SIZE
boot_stack_top:
