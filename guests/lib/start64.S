/*
 * Entry point of every freestanding corpus image.
 *
 * Boot contract (what the tsvmi loader provides):
 *   - PT_LOAD segments loaded at their p_paddr; the image links at 1 MiB;
 *   - the low 1 GiB identity-mapped (2 MiB pages), so vaddr == paddr;
 *   - 64-bit long mode, CPL 0, interrupts disabled;
 *   - RSP valid but unspecified, RDI = 0 (both ignored here).
 *
 * We take our own 64 KiB stack from .bss, zero .bss, call main(), then
 * report main's return value to QEMU's isa-debug-exit device (port 0xf4).
 * A 32-bit write of v there makes QEMU exit with status (v << 1) | 1, so
 * "main returned 0" appears as exit status 1.  An emulator should simply
 * treat the value written to 0xf4 as main's return value.
 */

#define DEBUG_EXIT_PORT 0xf4
#define STACK_SIZE      0x10000

	.section .text.start, "ax", @progbits
	.code64
	.globl	_start
	.type	_start, @function
_start:
	cli
	/* SysV ABI: direction flag clear on function entry (rep movs/stos). */
	cld
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
