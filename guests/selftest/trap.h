/*
 * Exception/interrupt dispatch for the self-test kernel.
 *
 * Every vector enters trap_dispatch() with a struct trap_frame.  A test
 * either installs a hook for a vector (interrupt counters, #DF, NMI, int
 * 0x80), or arms the vectors it expects to fault: the dispatcher then logs
 * the fault in fault_log[] and resumes at the instruction after the fault
 * site found in the fixup table (FAULT_SITE below), or at fault_resume if
 * one was set, or simply returns for trap-class events (#BP, #DB traps,
 * software interrupts).  Anything else aborts the current test with a
 * FAIL line (longjmp back into the harness).
 */
#ifndef SELFTEST_TRAP_H
#define SELFTEST_TRAP_H

#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

/* One logged event: the frame as the CPU pushed it, plus CR2/DR6 at
 * handler entry and where the frame was (to check stack switches). */
struct fault {
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
	uint64_t cr2, dr6;
	uint64_t frame_top;	/* address just above the CPU-pushed frame */
	uint64_t rax, rbx, rdi;
};

#define FAULT_LOG_SIZE 16
extern struct fault fault_log[FAULT_LOG_SIZE];
extern volatile int fault_count;
/* Resume point for a fault whose RIP has no fixup entry (NX fetch, bad
 * stack): set by the test right before the faulting instruction. */
extern volatile uint64_t fault_resume;

typedef void (*trap_hook)(struct trap_frame *f);

void trap_set_hook(int vector, trap_hook hook);
void trap_expect(int vector);		/* arm one vector */
void trap_reset(void);			/* disarm all, clear log, test hooks */
const char *vector_name(uint64_t vector);
void trap_frame_to_fault(const struct trap_frame *f, struct fault *out);

/*
 * Inline-asm fragment: the instruction `insn` may fault; if it does (and
 * its vector is armed), execution resumes right after it.  Labels 1 and 2
 * are defined: "lea 1b(%%rip), %0" after the fragment yields the site.
 */
#define FAULT_SITE(insn)						\
	"1: " insn "\n"							\
	"2:\n"								\
	".pushsection .fixup_table, \"a\"\n"				\
	".balign 8\n"							\
	".quad 1b, 2b\n"						\
	".popsection\n"

/* Set by harness: abort target for unexpected events. */
struct st_jmpbuf { uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip; };
int st_setjmp(struct st_jmpbuf *jb) __attribute__((returns_twice));
void st_longjmp(struct st_jmpbuf *jb, int val) __attribute__((noreturn));
extern struct st_jmpbuf test_abort_jb;
extern volatile int test_abort_armed;

/* CPU of the caller is the BSP (set when the AP starts). */
extern volatile uint32_t bsp_apic_id;
int this_cpu_is_bsp(void);



/* isr.S */
void iret_to_self(void);
uint64_t enter_user(uint64_t rip, uint64_t rsp, uint64_t rflags,
		    uint64_t a0, uint64_t a1, uint64_t a2);
extern char user_return[];
extern uint64_t user_return_rsp;
void syscall_entry(void);
#endif
