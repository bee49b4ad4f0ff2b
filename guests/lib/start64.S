/*
 * Entry point of every freestanding corpus image.
 *
 * Boot protocol: Xen PVH (XEN_ELFNOTE_PHYS32_ENTRY), which both tsvmi and
 * `qemu-system-x86_64 -kernel` implement. The loader copies the PT_LOAD
 * segments to their physical addresses (the image links at 1 MiB) and enters
 * pvh_start32 in flat 32-bit protected mode with paging off and EBX pointing at
 * struct hvm_start_info (ignored here). The stub identity-maps the low 1 GiB
 * with 2 MiB pages, enables long mode and continues at _start in 64-bit mode.
 *
 * _start takes its own 64 KiB stack from .bss, zeroes .bss, calls main(),
 * then reports main's return value to QEMU's isa-debug-exit device (port
 * 0xf4). A 32-bit write of v there makes QEMU exit with status (v << 1) | 1,
 * so "main returned 0" appears as exit status 1.
 */

#define DEBUG_EXIT_PORT 0xf4
#define STACK_SIZE      0x10000


#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define MSR_EFER  0xc0000080
#define EFER_LME  0x100
#define CR0_PE_PG 0x80000001
#define CR4_PAE   0x20

	.section .note.Xen, "a", @note
	.balign	4
	.long	4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.long	pvh_start32

	.section .text.start, "ax", @progbits
	.code32
	.globl	pvh_start32
	.type	pvh_start32, @function
pvh_start32:
	cli
	cld
	/* PML4[0] -> PDPT[0] -> PD: 512 entries of 2 MiB (present, writable, PS). */
	movl	$boot_pdpt + 3, boot_pml4
	movl	$boot_pd + 3, boot_pdpt
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax
	movl	%eax, boot_pd(, %ecx, 8)
	incl	%ecx
	cmpl	$512, %ecx
	jb	1b
	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PE_PG, %eax
	movl	%eax, %cr0
	lgdt	boot_gdt_desc
	ljmp	$0x08, $_start
	.size	pvh_start32, . - pvh_start32

	.section .rodata
	.balign	8
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
boot_gdt_desc:
	.word	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt

	/* Outside .bss, which _start clears while these are in use; zero-filled by the loader. */
	.section .boot_tables, "aw", @nobits
	.balign	4096
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4096

	.section .text.start, "ax", @progbits
	.code64
	.globl	_start
	.type	_start, @function
_start:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	/*
	 * The image lives below 2 GiB (small code model), so symbol addresses
	 * fit in a sign-extended 32-bit immediate.
	 */
	movq	$stack_top, %rsp
	xorl	%ebp, %ebp		/* terminate frame-pointer chains */

	/*
	 * Zero .bss with a plain loop rather than "rep stosb" so the boot
	 * path needs only the most basic instructions.  The linker script
	 * makes both bounds 8-byte aligned and places the stack (section
	 * .boot_stack) after __bss_end, so it is not cleared.
	 */
	movq	$__bss_start, %rdi
	movq	$__bss_end, %rcx
	xorl	%eax, %eax
1:	cmpq	%rcx, %rdi
	jae	2f
	movq	%rax, (%rdi)
	addq	$8, %rdi
	jmp	1b
2:
	/* RSP is 16-byte aligned here, as the ABI requires before a call. */
	call	main

	/* Exit status: main's return value, to isa-debug-exit. */
	outl	%eax, $DEBUG_EXIT_PORT

	/* Not under QEMU/tsvmi (or the device is absent): stop for good. */
3:	cli
	hlt
	jmp	3b
	.size	_start, . - _start

	.section .boot_stack, "aw", @nobits
	.balign	16
stack_bottom:
	.skip	STACK_SIZE
stack_top:

	/* No executable stack wanted (silences ld's warning). */
	.section .note.GNU-stack, "", @progbits
