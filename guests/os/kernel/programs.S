/*
 * The user programs, embedded as whole ELF files (linked at USER_BASE by
 * os/user/user.ld, debug info stripped).  `programs` is the table that
 * spawn(index) uses; its order is PROG_* in include/syscalls.h.
 */
	.macro PROGRAM name
	.section .rodata.progname, "a", @progbits
prog_name_\name:
	.asciz	"\name"
	.section .rodata.progelf, "a", @progbits
	.balign 16
	.globl	prog_\name\()_elf
prog_\name\()_elf:
	.incbin	"\name\().elf"
prog_\name\()_end:
	.endm

	PROGRAM init
	PROGRAM bench
	PROGRAM ticker
	PROGRAM debugee
	PROGRAM faulter

	.macro ENTRY name
	.quad	prog_name_\name, prog_\name\()_elf, prog_\name\()_end
	.endm

	/* struct program { const char *name; const uint8_t *start, *end; } */
	.section .rodata
	.balign 8
	.globl	programs
programs:
	ENTRY init
	ENTRY bench
	ENTRY ticker
	ENTRY debugee
	ENTRY faulter
