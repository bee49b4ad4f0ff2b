/* User program entry: RSP = USER_STACK_TOP (16-byte aligned); exit(main()). */
#include "syscalls.h"

	.section .text.start, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	xorl	%ebp, %ebp
	call	main
	movl	%eax, %edi
	movl	$SYS_exit, %eax
	syscall
	ud2
	.size	_start, . - _start
