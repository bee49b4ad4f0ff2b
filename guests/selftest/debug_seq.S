/*
 * Instruction sequences for the dbg-* checks (debug.c).  Each sequence is
 * a function (SysV ABI: RBX, RBP, R12-R15 preserved) whose instruction
 * boundaries carry global labels, so that debug.c can compare the saved
 * RIP of every #DB with the boundary it must be reported at.
 *
 * A sequence that single-steps turns TF on with POPFQ (or IRETQ) and off
 * again with POPFQ; the #DB hook in debug.c leaves TF alone unless the
 * check asks it to clear it.  Label naming: <seq>_<n> is the n-th
 * boundary; <seq>_end is the boundary after the last stepped instruction.
 */
#include "defs.h"

#define TF	0x100

/* A global label at the current boundary. */
#define L(name)	.globl name; name:

/* TF on (no trap after the POPFQ itself: SDM Vol. 3B 17.3.1.4). */
.macro	TF_ON
	pushfq
	orq	$TF, (%rsp)
	popfq
.endm

/* TF off: PUSHFQ, AND, POPFQ -- three stepped instructions; the POPFQ
 * starts with TF = 1, so a trap follows it too (its end label). */
.macro	TF_OFF a, b, c, end
L(\a)	pushfq
L(\b)	andq	$~TF, (%rsp)
L(\c)	popfq
L(\end)
.endm

	.text
	.code64

/*
 * dbg-step-seq: several kinds of instruction, each stepped.  After the
 * CALL the trap is reported at the callee's first instruction, after the
 * RET back at the caller; CPUID, IN, OUT and RDMSR are instructions a
 * hypervisor typically emulates.
 */
	.globl	dbg_seq_step
	.type	dbg_seq_step, @function
dbg_seq_step:
	pushq	%rbx
	TF_ON
L(dbg_step_0)	nop
L(dbg_step_1)	movl	$5, %eax
L(dbg_step_2)	addl	%eax, %eax
L(dbg_step_3)	leaq	8(%rsp), %rdx
L(dbg_step_4)	pushq	%rax
L(dbg_step_5)	popq	%rcx
L(dbg_step_6)	jmp	1f
	ud2
1:
L(dbg_step_7)	call	dbg_step_fn
L(dbg_step_8)	testl	%eax, %eax
L(dbg_step_9)	jz	2f			/* not taken */
L(dbg_step_10)	xorl	%eax, %eax
L(dbg_step_11)	cpuid
L(dbg_step_12)	movl	$0x2e8, %edx		/* unassigned port */
L(dbg_step_13)	inb	%dx, %al
L(dbg_step_14)	outb	%al, %dx
L(dbg_step_15)	movl	$0xc0000080, %ecx	/* IA32_EFER */
L(dbg_step_16)	rdmsr
2:
	TF_OFF	dbg_step_17, dbg_step_18, dbg_step_19, dbg_step_end
	popq	%rbx
	ret
	.size	dbg_seq_step, . - dbg_seq_step

	.globl	dbg_step_fn
dbg_step_fn:
	ret

/* dbg-step-set-tf: POPFQ sets TF; the trap follows the *next* instruction. */
	.globl	dbg_seq_popf
	.type	dbg_seq_popf, @function
dbg_seq_popf:
	pushfq
	orq	$TF, (%rsp)
L(dbg_popf_0)	popfq
L(dbg_popf_1)	nop
	TF_OFF	dbg_popf_2, dbg_popf_3, dbg_popf_4, dbg_popf_end
	ret
	.size	dbg_seq_popf, . - dbg_seq_popf

/* ... and IRETQ loading TF from its frame: same rule. */
	.globl	dbg_seq_iretq
	.type	dbg_seq_iretq, @function
dbg_seq_iretq:
	movq	%rsp, %rax
	pushq	$SEL_KDATA
	pushq	%rax
	pushfq
	orq	$TF, (%rsp)
	pushq	$SEL_KCODE64
	leaq	dbg_iret_1(%rip), %rax
	pushq	%rax
L(dbg_iret_0)	iretq
L(dbg_iret_1)	nop
	TF_OFF	dbg_iret_2, dbg_iret_3, dbg_iret_4, dbg_iret_end
	ret
	.size	dbg_seq_iretq, . - dbg_seq_iretq

/*
 * dbg-step-int: INT3, INT 0x80 (DPL 3 gate) and INT 0x81 (DPL 0 gate) with
 * TF = 1 at CPL 0.  Delivery clears TF, so the handler is not stepped; its
 * IRETQ restores TF = 1 and, like any instruction that sets TF, is not
 * followed by a trap: the next trap comes after the instruction after
 * the INT.
 */
	.globl	dbg_seq_int
	.type	dbg_seq_int, @function
dbg_seq_int:
	TF_ON
L(dbg_int_0)	nop
L(dbg_int_1)	int3
L(dbg_int_2)	nop
L(dbg_int_3)	int	$VEC_SYSCALL80
L(dbg_int_4)	nop
L(dbg_int_5)	int	$VEC_DPL0
L(dbg_int_6)	nop
	TF_OFF	dbg_int_7, dbg_int_8, dbg_int_9, dbg_int_end
	ret
	.size	dbg_seq_int, . - dbg_seq_int

/* dbg-step-sti: the STI interrupt shadow does not hold back the trap. */
	.globl	dbg_seq_sti
	.type	dbg_seq_sti, @function
dbg_seq_sti:
	cli
	TF_ON
L(dbg_sti_0)	sti
L(dbg_sti_1)	nop
L(dbg_sti_2)	cli
	TF_OFF	dbg_sti_3, dbg_sti_4, dbg_sti_5, dbg_sti_end
	ret
	.size	dbg_seq_sti, . - dbg_seq_sti

/*
 * dbg-step-movss: MOV SS (register and memory forms) blocks debug
 * exceptions until the boundary after the *next* instruction: no trap at
 * dbg_movss_1 / dbg_movss_4, one trap at dbg_movss_2 / dbg_movss_5.
 */
	.globl	dbg_seq_movss
	.type	dbg_seq_movss, @function
dbg_seq_movss:
	movw	%ss, %ax
	TF_ON
L(dbg_movss_0)	movw	%ax, %ss
L(dbg_movss_1)	nop
L(dbg_movss_2)	nop
L(dbg_movss_3)	movw	dbg_ss_value(%rip), %ss
L(dbg_movss_4)	nop
	TF_OFF	dbg_movss_5, dbg_movss_6, dbg_movss_7, dbg_movss_end
	ret
	.size	dbg_seq_movss, . - dbg_seq_movss

/* dbg-movss-databp: a data breakpoint on MOV SS's memory operand is
 * reported after the instruction that follows MOV SS. */
	.globl	dbg_seq_movss_bp
	.type	dbg_seq_movss_bp, @function
dbg_seq_movss_bp:
L(dbg_mssbp_0)	movw	dbg_ss_value(%rip), %ss
L(dbg_mssbp_1)	nop
L(dbg_mssbp_2)	nop
L(dbg_mssbp_end)
	ret
	.size	dbg_seq_movss_bp, . - dbg_seq_movss_bp

/* dbg-icebp: INT1 (F1) and INT 1 (CD 01). */
	.globl	dbg_seq_icebp
	.type	dbg_seq_icebp, @function
dbg_seq_icebp:
L(dbg_icebp_0)	.byte	0xf1
L(dbg_icebp_1)	nop
L(dbg_icebp_2)	int	$1
L(dbg_icebp_3)	ret
	.size	dbg_seq_icebp, . - dbg_seq_icebp

/*
 * dbg-hwbp-two: EAX counts executions.  dbg_hw2_0 and dbg_hw2_1 take the
 * two breakpoints; dbg_hw2_loop runs twice (a breakpoint there must hit
 * both times: RF only covers the one instruction it was set for).
 */
	.globl	dbg_seq_hw2
	.type	dbg_seq_hw2, @function
dbg_seq_hw2:
	xorl	%eax, %eax
L(dbg_hw2_0)	incl	%eax
L(dbg_hw2_1)	incl	%eax
	movl	$2, %ecx
L(dbg_hw2_loop)	incl	%eax
	decl	%ecx
	jnz	dbg_hw2_loop
	ret
	.size	dbg_seq_hw2, . - dbg_seq_hw2

/*
 * dbg-step-rep: REP MOVSB (RDI = dst, RSI = src, 3 bytes) stepped: a trap
 * after every iteration, RIP at the REP MOVSB until the last one.
 */
	.globl	dbg_seq_rep
	.type	dbg_seq_rep, @function
dbg_seq_rep:
	movl	$3, %ecx
	TF_ON
L(dbg_rep_0)	nop
L(dbg_rep_1)	rep movsb
	TF_OFF	dbg_rep_2, dbg_rep_3, dbg_rep_4, dbg_rep_end
	ret
	.size	dbg_seq_rep, . - dbg_seq_rep

/* dbg-data-rep: REP STOSB of ESI bytes of 0xab at RDI (no TF). */
	.globl	dbg_seq_stos
	.type	dbg_seq_stos, @function
dbg_seq_stos:
	movl	%esi, %ecx
	movb	$0xab, %al
L(dbg_stos_0)	rep stosb
L(dbg_stos_end)
	ret
	.size	dbg_seq_stos, . - dbg_seq_stos

	.data
	.balign	8
	.globl	dbg_ss_value
dbg_ss_value:	.word	SEL_KDATA

/*
 * Ring-3 programs (mapped at TEST_PAGE(TP_USER_CODE) like user_prog.S).
 *
 * dbg_user_syscall: TF on, then SYSCALL (SYS_TEST) as the instruction
 * after the POPFQ; the kernel SYSRETs with R11 = the user RFLAGS (TF = 1).
 * Leaves through SYSCALL (SYS_EXIT, RDI = 0x7e57).
 */
	.section .user_text, "ax", @progbits
	.globl	dbg_user_syscall, dbg_user_sysret_0, dbg_user_sysret_1
dbg_user_syscall:
	movl	$SYS_TEST, %eax
	TF_ON
	syscall
dbg_user_sysret_0:
	nop
dbg_user_sysret_1:
	nop
	pushfq
	andq	$~TF, (%rsp)
	popfq
	movl	$0x7e57, %edi
	movl	$SYS_EXIT, %eax
	syscall
	ud2

/* dbg_user_icebp: INT1 at CPL 3 through the DPL 0 #DB gate, then exit
 * by UD2 with RAX = SYS_EXIT. */
	.globl	dbg_user_icebp, dbg_user_icebp_1
dbg_user_icebp:
	xorl	%eax, %eax
	.byte	0xf1
dbg_user_icebp_1:
	movl	$0x1ceb, %edi
	movl	$SYS_EXIT, %eax
	ud2

	.section .note.GNU-stack, "", @progbits
