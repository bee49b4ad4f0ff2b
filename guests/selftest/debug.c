/*
 * The debug architecture (SDM Vol. 3B chapter 17 "Debug, Branch Profile,
 * TSC, and Intel Resource Director Technology Features", 17.2 "Debug
 * Registers", 17.3 "Debug Exceptions"), in the manner of kvm-unit-tests
 * x86/debug.c: single-step traps (TF) at every boundary and their
 * interaction with POPF/IRET, INT n, STI and MOV SS; INT1; general
 * detect; instruction, data and I/O breakpoints; DR4/DR5 aliasing;
 * reserved DR6/DR7 bits; TF across SYSCALL and SYSRET.
 *
 * Every #DB goes through db_hook(), which logs the frame and DR6 as seen
 * at handler entry.  Sequences with labelled boundaries are in
 * debug_seq.S.  Each check starts from DR0-DR3 = 0, DR7 = 0x400,
 * DR6 = 0xffff0ff0 (its architectural "clear" value) and puts the same
 * values back, with CR4.DE as found and TF clear, so that a failure does
 * not leak into the next check.
 */
#include "arch.h"
#include "desc.h"
#include "selftest.h"
#include "trap.h"

#define DR6_INIT	0xffff0ff0ull	/* no condition recorded */
#define DR6_BD		(1ull << 13)
#define DR6_BS		(1ull << 14)
#define DR7_INIT	0x400ull
#define DR7_GD		(1ull << 13)
#define CR4_DE		(1ull << 3)

/* DR7 R/Wn (SDM Vol. 3B 17.2.4). */
#define RW_EXEC		0
#define RW_WRITE	1
#define RW_IO		2
#define RW_RW		3

/* ---- debug-register access ------------------------------------------ */

static uint64_t read_dr(int n)
{
	uint64_t v = 0;
	switch (n) {
	case 0: __asm__ volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: __asm__ volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%dr3, %0" : "=r"(v)); break;
	case 6: __asm__ volatile("mov %%dr6, %0" : "=r"(v)); break;
	case 7: __asm__ volatile("mov %%dr7, %0" : "=r"(v)); break;
	}
	return v;
}

static void write_dr(int n, uint64_t v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v) : "memory"); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v) : "memory"); break;
	case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(v) : "memory"); break;
	case 3: __asm__ volatile("mov %0, %%dr3" : : "r"(v) : "memory"); break;
	case 6: __asm__ volatile("mov %0, %%dr6" : : "r"(v) : "memory"); break;
	case 7: __asm__ volatile("mov %0, %%dr7" : : "r"(v) : "memory"); break;
	}
}

/* DR7 enabling breakpoint n (local enable Ln) with R/W and LEN (bytes). */
static uint64_t dr7_bp(int n, int rw, int len)
{
	static const uint8_t lenenc[9] = { 0, 0, 1, 0, 3, 0, 0, 0, 2 };
	return (1ull << (2 * n)) | ((uint64_t)rw << (16 + 4 * n)) |
	       ((uint64_t)lenenc[len] << (18 + 4 * n));
}

static void clear_tf(void)
{
	__asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
}

static int have_de(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return (r[3] >> 2) & 1;
}

/* ---- the event log ------------------------------------------------- */

struct dbg_ev {
	uint64_t vec, rip, cs, rflags, rsp, ss, dr6, rcx, mem;
	uint64_t handler_tf;	/* TF while the handler ran (must be 0) */
};

#define MAX_EV 40
static struct dbg_ev ev[MAX_EV];
static volatile int nev;

#define DBF_CLEAR_DR6	1	/* DR6 = DR6_INIT after reading it */
#define DBF_SET_RF	2	/* RF = 1 in the frame (instruction breakpoints) */
#define DBF_CLEAR_TF	4	/* TF = 0 in the frame: stop stepping */
static volatile int db_flags;
static volatile uint64_t *volatile db_peek;	/* memory read at each event */

static void log_event(struct trap_frame *f, uint64_t dr6)
{
	int k = nev;
	if (k < MAX_EV) {
		struct dbg_ev *e = &ev[k];
		e->vec = f->vector;
		e->rip = f->rip;
		e->cs = f->cs;
		e->rflags = f->rflags;
		e->rsp = f->rsp;
		e->ss = f->ss;
		e->dr6 = dr6;
		e->rcx = f->rcx;
		e->mem = db_peek ? *db_peek : 0;
		e->handler_tf = read_rflags() & RFLAGS_TF;
	}
	nev = k + 1;
}

static void db_hook(struct trap_frame *f)
{
	log_event(f, read_dr6());
	if (db_flags & DBF_CLEAR_DR6)
		write_dr6(DR6_INIT);
	if (db_flags & DBF_SET_RF)
		f->rflags |= RFLAGS_RF;
	if (db_flags & DBF_CLEAR_TF)
		f->rflags &= ~(uint64_t)RFLAGS_TF;
	if (nev >= MAX_EV) {		/* runaway: stop everything */
		f->rflags &= ~(uint64_t)RFLAGS_TF;
		write_dr7(DR7_INIT);
	}
}

/* Software interrupts (INT3, INT n): logged with DR6 as it is. */
static void sw_hook(struct trap_frame *f)
{
	log_event(f, read_dr6());
}

static uint64_t saved_cr4;

static void dbg_begin(int flags)
{
	saved_cr4 = read_cr4();
	write_dr7(DR7_INIT);
	for (int n = 0; n < 4; n++)
		write_dr(n, 0);
	write_dr6(DR6_INIT);
	nev = 0;
	db_flags = flags;
	db_peek = 0;
	trap_set_hook(1, db_hook);
}

static void dbg_end(void)
{
	clear_tf();
	write_dr7(DR7_INIT);
	for (int n = 0; n < 4; n++)
		write_dr(n, 0);
	write_dr6(DR6_INIT);
	write_cr4(saved_cr4);
	db_peek = 0;
}

/* ---- comparing the log with the expected events -------------------- */

struct want {
	uint64_t vec, rip, dr6;	/* dr6: the full value at handler entry */
};

static void fmt_one(char *b, size_t sz, size_t *len, uint64_t vec, uint64_t rip,
		    uint64_t dr6, uint64_t base)
{
	char v[8];
	if (*len >= sz - 1)
		return;
	if (vec == 1 || vec == 3 || vec == 13)
		sfmt(v, sizeof(v), "%s", vec == 1 ? "DB" : vec == 3 ? "BP" : "GP");
	else
		sfmt(v, sizeof(v), "v%llx", (unsigned long long)vec);
	int n;
	if (rip >= base && rip - base < 0x10000)
		n = sfmt(b + *len, sz - *len, " %s@+%llx/%llx", v, (unsigned long long)(rip - base),
			 (unsigned long long)(dr6 & 0xe00f));
	else
		n = sfmt(b + *len, sz - *len, " %s@%llx/%llx", v, (unsigned long long)rip,
			 (unsigned long long)(dr6 & 0xe00f));
	*len += (size_t)n;
	if (*len > sz - 1)
		*len = sz - 1;
}

/* One FAIL for the whole sequence: got vs. want, RIPs relative to base,
 * DR6 shown as its BD/BS/BT/B0-B3 bits. */
static void expect_events(const char *what, const struct want *w, int nw, uint64_t base)
{
	int ok = nev == nw;
	for (int i = 0; ok && i < nw; i++)
		ok = ev[i].vec == w[i].vec && ev[i].rip == w[i].rip && ev[i].dr6 == w[i].dr6;
	if (ok)
		return;
	char got[160], want[160];
	size_t g = 0, x = 0;
	got[0] = want[0] = 0;
	for (int i = 0; i < nev && i < MAX_EV; i++)
		fmt_one(got, sizeof(got), &g, ev[i].vec, ev[i].rip, ev[i].dr6, base);
	for (int i = 0; i < nw; i++)
		fmt_one(want, sizeof(want), &x, w[i].vec, w[i].rip, w[i].dr6, base);
	test_fail("%s: got%s, want%s", what, got, want);
	for (int i = 0; i < nev && i < nw && i < MAX_EV; i++)
		if (ev[i].vec == w[i].vec && ev[i].rip == w[i].rip && ev[i].dr6 != w[i].dr6) {
			test_fail("event %d DR6 %#llx, want %#llx", i,
				  (unsigned long long)ev[i].dr6, (unsigned long long)w[i].dr6);
			break;
		}
}

static void expect_handlers_untraced(void)
{
	for (int i = 0; i < nev && i < MAX_EV; i++)
		if (ev[i].handler_tf) {
			test_fail("event %d: TF set inside the handler", i);
			return;
		}
}

/* A single-step #DB at label; a software interrupt taken while stepping
 * (DR6 then still holds the BS of the steps before it). */
#define DB_STEP(label)	{ 1, (uint64_t)(label), DR6_INIT | DR6_BS }
#define SW(vec, label)	{ (vec), (uint64_t)(label), DR6_INIT | DR6_BS }

/* ---- dbg-int3 ------------------------------------------------------- */

static void bp_return_hook(struct trap_frame *f)
{
	log_event(f, read_dr6());
	f->rax += 0x100;	/* visible after the IRETQ */
}

/* INT3 at CPL 0, handler returns: execution goes on after the INT3 with
 * the handler's register change; #BP leaves DR6 alone (Vol. 3A 6.15
 * Interrupt 3; Vol. 3B 17.3.2). */
void t_dbg_int3(void)
{
	uint64_t after, rax;
	dbg_begin(0);
	trap_set_hook(3, bp_return_hook);
	__asm__ volatile("movl $1, %%eax\n\t"
			 "int3\n"
			 "1:\taddl $2, %%eax\n\t"
			 "leaq 1b(%%rip), %0"
			 : "=r"(after), "=&a"(rax) : : "memory");
	dbg_end();
	CHECK_EQ("#BP taken", nev, 1);
	CHECK_EQ("RAX after the handler", rax, 0x103);
	if (nev >= 1) {
		CHECK_EQ("vector", ev[0].vec, 3);
		CHECK_EQ("saved RIP", ev[0].rip, after);
		CHECK_EQ("DR6 in the handler", ev[0].dr6, DR6_INIT);
	}
}

/* ---- dbg-icebp ------------------------------------------------------- */

extern char dbg_seq_icebp[], dbg_icebp_0[], dbg_icebp_1[], dbg_icebp_2[], dbg_icebp_3[];
void dbg_seq_icebp_fn(void) __asm__("dbg_seq_icebp");

extern char __user_text_start[];
extern char dbg_user_icebp[], dbg_user_icebp_1[];
extern char dbg_user_syscall[], dbg_user_sysret_0[], dbg_user_sysret_1[];
#define USER_VA(sym) (TEST_PAGE(TP_USER_CODE) + (uint64_t)((sym) - __user_text_start))
#define USER_STACK_TOP (TEST_PAGE(TP_USER_STACK) + 0xff0)

static uint64_t user_exit_rdi;

static void back_to_kernel(struct trap_frame *f)
{
	user_exit_rdi = f->rdi;
	f->rax = f->rdi;
	f->rip = (uint64_t)user_return;
	f->cs = SEL_KCODE64;
	f->ss = SEL_KDATA;
	f->rsp = user_return_rsp;
	f->rflags = 0x2;
}

/* #UD or #GP from ring 3 ends the ring-3 program (logged if not the exit). */
static void user_exit_hook(struct trap_frame *f)
{
	if (f->vector != 6 || f->rax != SYS_EXIT || (f->cs & 3) != 3)
		log_event(f, read_dr6());
	back_to_kernel(f);
}

/*
 * INT1 (F1): a trap-class #DB, RIP after the F1, no DR6 condition bit
 * set (Vol. 2A INT n/INTO/INT3/INT1: "generates a debug exception (#DB)
 * without setting any bits in DR6"; Vol. 3A 6.15 Interrupt 1).  INT 1
 * (CD 01) is a software interrupt to vector 1, DR6 untouched as well.
 * From CPL 3, INT1 is delivered through the DPL 0 #DB gate: the gate's
 * DPL is checked only for INT n, INT3 and INTO (INT n Operation: "IF
 * software interrupt (* Generated by INT n, INT3, or INTO; does not apply
 * to INT1 *)").
 */
/* #UD: at CPL 3 the end of the ring-3 program; at CPL 0 (an emulator
 * that does not know F1) logged and skipped. */
static void icebp_ud_hook(struct trap_frame *f)
{
	if ((f->cs & 3) == 3) {
		user_exit_hook(f);
		return;
	}
	log_event(f, read_dr6());
	f->rip += 1;
}

void t_dbg_icebp(void)
{
	dbg_begin(0);
	trap_set_hook(6, icebp_ud_hook);
	dbg_seq_icebp_fn();
	const struct want w[] = {
		{ 1, (uint64_t)dbg_icebp_1, DR6_INIT },
		{ 1, (uint64_t)dbg_icebp_3, DR6_INIT },
	};
	expect_events("CPL 0", w, 2, (uint64_t)dbg_seq_icebp);

	nev = 0;
	trap_set_hook(13, user_exit_hook);
	uint64_t r = enter_user(USER_VA(dbg_user_icebp), USER_STACK_TOP, 0x2, 0, 0, 0);
	dbg_end();
	const struct want u[] = { { 1, USER_VA(dbg_user_icebp_1), DR6_INIT } };
	expect_events("CPL 3", u, 1, USER_VA(dbg_user_icebp));
	CHECK_EQ("ring-3 program result", r, 0x1ceb);
	if (nev >= 1)
		CHECK_EQ("CPL 3 #DB: frame CS", ev[0].cs, SEL_UCODE64 | 3);
}

/* ---- single-step ----------------------------------------------------- */

void dbg_seq_step_fn(void) __asm__("dbg_seq_step");
extern char dbg_seq_step[], dbg_step_fn[], dbg_step_1[], dbg_step_2[], dbg_step_3[],
	dbg_step_4[], dbg_step_5[], dbg_step_6[], dbg_step_7[], dbg_step_8[],
	dbg_step_9[], dbg_step_10[], dbg_step_11[], dbg_step_12[], dbg_step_13[],
	dbg_step_14[], dbg_step_15[], dbg_step_16[], dbg_step_17[], dbg_step_18[],
	dbg_step_19[], dbg_step_end[];

/*
 * TF = 1: a single-step #DB (trap) after every instruction, reported at
 * the next boundary -- the CALL's target, the RET's return address, past
 * an untaken JZ -- with DR6.BS.  The handler never clears DR6: BS is
 * sticky and the breakpoint bits B0-B3 stay 0, so DR6 reads the same at
 * every event.  The POPF that clears TF started with TF = 1 and is
 * followed by a trap too (Vol. 3B 17.3.1.4, 17.2.3).
 */
void t_dbg_step_seq(void)
{
	dbg_begin(0);
	dbg_seq_step_fn();
	dbg_end();
	const struct want w[] = {
		DB_STEP(dbg_step_1), DB_STEP(dbg_step_2), DB_STEP(dbg_step_3),
		DB_STEP(dbg_step_4), DB_STEP(dbg_step_5), DB_STEP(dbg_step_6),
		DB_STEP(dbg_step_7), DB_STEP(dbg_step_fn), DB_STEP(dbg_step_8),
		DB_STEP(dbg_step_9), DB_STEP(dbg_step_10), DB_STEP(dbg_step_11),
		DB_STEP(dbg_step_12), DB_STEP(dbg_step_13), DB_STEP(dbg_step_14),
		DB_STEP(dbg_step_15), DB_STEP(dbg_step_16), DB_STEP(dbg_step_17),
		DB_STEP(dbg_step_18), DB_STEP(dbg_step_19), DB_STEP(dbg_step_end),
	};
	expect_events("steps", w, sizeof(w) / sizeof(w[0]), (uint64_t)dbg_seq_step);
	for (int i = 0; i < nev && i < MAX_EV; i++) {
		int last = i == nev - 1;
		if (((ev[i].rflags & RFLAGS_TF) == 0) != last) {
			test_fail("event %d: saved RFLAGS %#llx", i, (unsigned long long)ev[i].rflags);
			break;
		}
	}
	expect_handlers_untraced();
}

void dbg_seq_popf_fn(void) __asm__("dbg_seq_popf");
void dbg_seq_iretq_fn(void) __asm__("dbg_seq_iretq");
extern char dbg_seq_popf[], dbg_popf_2[], dbg_popf_3[], dbg_popf_4[], dbg_popf_end[];
extern char dbg_seq_iretq[], dbg_iret_2[], dbg_iret_3[], dbg_iret_4[], dbg_iret_end[];

/*
 * The instruction that sets TF is not followed by a trap; the one after
 * it is: POPFQ, and IRETQ loading TF from the frame (Vol. 3B 17.3.1.4:
 * "The processor will not generate this exception after the instruction
 * that sets the TF flag").
 */
void t_dbg_step_set_tf(void)
{
	dbg_begin(0);
	dbg_seq_popf_fn();
	const struct want p[] = {
		DB_STEP(dbg_popf_2), DB_STEP(dbg_popf_3), DB_STEP(dbg_popf_4), DB_STEP(dbg_popf_end),
	};
	expect_events("POPFQ", p, 4, (uint64_t)dbg_seq_popf);

	nev = 0;
	write_dr6(DR6_INIT);
	dbg_seq_iretq_fn();
	dbg_end();
	const struct want q[] = {
		DB_STEP(dbg_iret_2), DB_STEP(dbg_iret_3), DB_STEP(dbg_iret_4), DB_STEP(dbg_iret_end),
	};
	expect_events("IRETQ", q, 4, (uint64_t)dbg_seq_iretq);
}

void dbg_seq_int_fn(void) __asm__("dbg_seq_int");
extern char dbg_seq_int[], dbg_int_1[], dbg_int_2[], dbg_int_3[], dbg_int_4[], dbg_int_5[],
	dbg_int_6[], dbg_int_7[], dbg_int_8[], dbg_int_9[], dbg_int_end[];

/*
 * INT3, INT n through a DPL 3 and a DPL 0 gate, stepped at CPL 0: the
 * interrupt clears TF after saving RFLAGS (TF = 1 in the frame), so the
 * handler is not stepped and no #DB is taken on its first instruction;
 * its IRETQ sets TF again and, as an instruction that sets TF, is not
 * followed by a trap: the next #DB comes after the instruction that
 * follows the INT (Vol. 3A 6.12.1.2: the processor "clears the TF flag
 * after it saves the contents of the EFLAGS register on the stack";
 * Vol. 3B 17.3.1.4).
 */
void t_dbg_step_int(void)
{
	dbg_begin(0);
	trap_set_hook(3, sw_hook);
	trap_set_hook(VEC_SYSCALL80, sw_hook);
	trap_set_hook(VEC_DPL0, sw_hook);
	dbg_seq_int_fn();
	dbg_end();
	const struct want w[] = {
		DB_STEP(dbg_int_1), SW(3, dbg_int_2), DB_STEP(dbg_int_3),
		SW(VEC_SYSCALL80, dbg_int_4), DB_STEP(dbg_int_5), SW(VEC_DPL0, dbg_int_6),
		DB_STEP(dbg_int_7), DB_STEP(dbg_int_8), DB_STEP(dbg_int_9), DB_STEP(dbg_int_end),
	};
	expect_events("events", w, sizeof(w) / sizeof(w[0]), (uint64_t)dbg_seq_int);
	for (int i = 0; i < nev && i < MAX_EV; i++)
		if (ev[i].vec != 1 && !(ev[i].rflags & RFLAGS_TF))
			test_fail("vector %#llx: TF clear in the saved RFLAGS", (unsigned long long)ev[i].vec);
	expect_handlers_untraced();
}

void dbg_seq_sti_fn(void) __asm__("dbg_seq_sti");
extern char dbg_seq_sti[], dbg_sti_1[], dbg_sti_2[], dbg_sti_3[], dbg_sti_4[], dbg_sti_5[],
	dbg_sti_end[];

/*
 * STI's interrupt shadow blocks interrupts, not debug exceptions: the
 * trap comes right after the STI (Vol. 2B STI; Vol. 3A 6.8.3 names only
 * MOV SS/POP SS as blocking #DB).
 */
void t_dbg_step_sti(void)
{
	dbg_begin(0);
	dbg_seq_sti_fn();
	dbg_end();
	const struct want w[] = {
		DB_STEP(dbg_sti_1), DB_STEP(dbg_sti_2), DB_STEP(dbg_sti_3),
		DB_STEP(dbg_sti_4), DB_STEP(dbg_sti_5), DB_STEP(dbg_sti_end),
	};
	expect_events("steps", w, 6, (uint64_t)dbg_seq_sti);
	CHECK(!(read_rflags() & RFLAGS_IF), "IF set after the sequence");
}

void dbg_seq_movss_fn(void) __asm__("dbg_seq_movss");
extern char dbg_seq_movss[], dbg_movss_2[], dbg_movss_3[], dbg_movss_5[], dbg_movss_6[],
	dbg_movss_7[], dbg_movss_end[];

/*
 * MOV SS (register and memory forms) holds back debug exceptions, the
 * single-step trap included, until the boundary after the next
 * instruction: one #DB (BS) with RIP past both (Vol. 3A 6.8.3 "Masking
 * Exceptions and Interrupts When Switching Stacks"; Vol. 2B MOV).
 * POP SS does the same but is invalid in 64-bit mode.
 */
void t_dbg_step_movss(void)
{
	dbg_begin(0);
	dbg_seq_movss_fn();
	dbg_end();
	const struct want w[] = {
		DB_STEP(dbg_movss_2), DB_STEP(dbg_movss_3), DB_STEP(dbg_movss_5),
		DB_STEP(dbg_movss_6), DB_STEP(dbg_movss_7), DB_STEP(dbg_movss_end),
	};
	expect_events("steps", w, 6, (uint64_t)dbg_seq_movss);
	CHECK_EQ("SS", read_ss(), SEL_KDATA);
}

void dbg_seq_rep_fn(void *dst, const void *src) __asm__("dbg_seq_rep");
extern char dbg_seq_rep[], dbg_rep_1[], dbg_rep_2[], dbg_rep_3[], dbg_rep_4[], dbg_rep_end[];

/*
 * REP MOVSB stepped: a trap after each iteration, RIP at the REP MOVSB
 * (RCX counting down) until the last one (Vol. 2B REP: an iteration
 * boundary is where the instruction is suspended for an exception or
 * interrupt, "the EIP register points to the string instruction"; Vol.
 * 3B 17.3.1.4).
 */
void t_dbg_step_rep(void)
{
	static uint8_t src[4] = { 1, 2, 3, 4 }, dst[4];
	dbg_begin(0);
	dbg_seq_rep_fn(dst, src);
	dbg_end();
	const struct want w[] = {
		DB_STEP(dbg_rep_1), DB_STEP(dbg_rep_1), DB_STEP(dbg_rep_1), DB_STEP(dbg_rep_2),
		DB_STEP(dbg_rep_3), DB_STEP(dbg_rep_4), DB_STEP(dbg_rep_end),
	};
	expect_events("steps", w, 7, (uint64_t)dbg_seq_rep);
	static const uint64_t rcx[4] = { 3, 2, 1, 0 };
	for (int i = 0; i < 4 && i < nev; i++)
		if (ev[i].rcx != rcx[i]) {
			test_fail("event %d: RCX %llu, want %llu", i,
				  (unsigned long long)ev[i].rcx, (unsigned long long)rcx[i]);
			break;
		}
	CHECK(dst[0] == 1 && dst[1] == 2 && dst[2] == 3 && dst[3] == 0, "bytes copied %u %u %u %u",
	      dst[0], dst[1], dst[2], dst[3]);
}

/* ---- instruction breakpoints ------------------------------------------ */

uint32_t dbg_seq_hw2_fn(void) __asm__("dbg_seq_hw2");
extern char dbg_seq_hw2[], dbg_hw2_0[], dbg_hw2_1[], dbg_hw2_loop[];

/*
 * Instruction breakpoints in DR0 and DR1 on consecutive instructions:
 * two #DB faults, RIP = the breakpoint, DR6.B0 then DR6.B1 (the handler
 * clears DR6 and sets RF in the frame).  RF covers one instruction: the
 * processor clears it when that instruction completes, so the second
 * breakpoint, and a breakpoint met again in a loop, still hit.  Both
 * registers on the same instruction: one #DB with B0 and B1 (Vol. 3B
 * 17.2.3, 17.3.1.1; Vol. 3A 2.3 "RF").
 */
void t_dbg_hwbp_two(void)
{
	dbg_begin(DBF_CLEAR_DR6 | DBF_SET_RF);
	uint64_t base = (uint64_t)dbg_seq_hw2;

	write_dr(0, (uint64_t)dbg_hw2_0);
	write_dr(1, (uint64_t)dbg_hw2_1);
	write_dr7(DR7_INIT | dr7_bp(0, RW_EXEC, 1) | (2ull << 2) /* G1 */);
	uint32_t c = dbg_seq_hw2_fn();
	write_dr7(DR7_INIT);
	const struct want a[] = {
		{ 1, (uint64_t)dbg_hw2_0, DR6_INIT | 1 }, { 1, (uint64_t)dbg_hw2_1, DR6_INIT | 2 },
	};
	expect_events("DR0, DR1", a, 2, base);
	CHECK_EQ("instructions executed (DR0, DR1)", c, 4);

	nev = 0;
	write_dr(1, (uint64_t)dbg_hw2_0);
	write_dr7(DR7_INIT | dr7_bp(0, RW_EXEC, 1) | dr7_bp(1, RW_EXEC, 1));
	c = dbg_seq_hw2_fn();
	write_dr7(DR7_INIT);
	const struct want b[] = { { 1, (uint64_t)dbg_hw2_0, DR6_INIT | 3 } };
	expect_events("DR0 = DR1", b, 1, base);
	CHECK_EQ("instructions executed (DR0 = DR1)", c, 4);

	nev = 0;
	write_dr(2, (uint64_t)dbg_hw2_loop);
	write_dr7(DR7_INIT | dr7_bp(2, RW_EXEC, 1));
	c = dbg_seq_hw2_fn();
	dbg_end();
	const struct want l[] = {
		{ 1, (uint64_t)dbg_hw2_loop, DR6_INIT | 4 }, { 1, (uint64_t)dbg_hw2_loop, DR6_INIT | 4 },
	};
	expect_events("DR2 in a loop", l, 2, base);
	CHECK_EQ("instructions executed (loop)", c, 4);
}

/* ---- general detect --------------------------------------------------- */

static volatile int gd_depth, gd_nested, gd_stray, gd_n;
static volatile uint64_t gd_rip[2], gd_dr6[2], gd_dr7[2], gd_dr1[2];

/* Length of a MOV to/from DRn at p (optional REX), 0 if it is not one. */
static int movdr_len(const uint8_t *p)
{
	int i = (p[0] & 0xf0) == 0x40;
	if (p[i] == 0x0f && (p[i + 1] == 0x21 || p[i + 1] == 0x23))
		return i + 3;
	return 0;
}

/*
 * #DB for general detect.  Reading DR6/DR7 here is only possible because
 * the processor cleared DR7.GD on entry; if it did not, every MOV DR in
 * here faults again: such a nested #DB is counted and the MOV skipped
 * (outputs keep their sentinel), instead of recursing until the stack
 * runs out.  MOV DRs from elsewhere (the harness restoring DR7 while GD
 * is stuck) are skipped as well.
 */
static void gd_hook(struct trap_frame *f)
{
	int len = movdr_len((const uint8_t *)f->rip);
	if (gd_depth) {
		gd_nested++;
		f->rip += len ? len : 1;
		return;
	}
	int k = gd_n;
	if (k >= 2) {
		gd_stray++;
		if (len)
			f->rip += len;
		else
			f->rflags &= ~(uint64_t)RFLAGS_TF;
		return;
	}
	gd_depth = 1;
	uint64_t dr6 = ~0ull, dr7 = ~0ull, dr1 = ~0ull;
	__asm__ volatile("mov %%dr6, %0" : "+r"(dr6));
	__asm__ volatile("mov %%dr7, %0" : "+r"(dr7));
	__asm__ volatile("mov %%dr1, %0" : "+r"(dr1));
	gd_depth = 0;
	gd_rip[k] = f->rip;
	gd_dr6[k] = dr6;
	gd_dr7[k] = dr7;
	gd_dr1[k] = dr1;
	gd_n = k + 1;
}

/*
 * DR7.GD = 1: the next MOV from or to a debug register is a #DB fault
 * (RIP at the MOV, not executed yet) with DR6.BD; the processor clears GD
 * on entry so the handler can use the debug registers, and the MOV then
 * runs when the handler returns (Vol. 3B 17.2.4 "GD", 17.3.1.3
 * "General-Detect Exception Condition").  BD, like BS, is sticky.
 */
void t_dbg_gd(void)
{
	uint64_t site1, site2, val;
	dbg_begin(0);
	trap_set_hook(1, gd_hook);
	gd_depth = gd_nested = gd_stray = gd_n = 0;
	write_dr(0, 0x12345000);
	write_dr7(DR7_INIT | DR7_GD);
	__asm__ volatile("1:\tmov %%dr0, %0\n\t"
			 "leaq 1b(%%rip), %1"
			 : "=r"(val), "=r"(site1) : : "memory");
	write_dr7(DR7_INIT | DR7_GD);
	__asm__ volatile("1:\tmov %1, %%dr1\n\t"
			 "leaq 1b(%%rip), %0"
			 : "=r"(site2) : "r"(0x6000ull) : "memory");
	uint64_t dr1 = read_dr(1), dr7 = read_dr(7);
	trap_set_hook(1, db_hook);
	dbg_end();

	CHECK(!gd_nested, "MOV DR inside the #DB handler faulted again (%d times): GD not cleared on entry",
	      gd_nested);
	CHECK(!gd_stray, "%d more #DBs", gd_stray);
	CHECK_EQ("#DB taken", gd_n, 2);
	CHECK_EQ("DR0 read once the MOV ran", val, 0x12345000);
	CHECK_EQ("DR1 after the MOV ran", dr1, 0x6000);
	CHECK_EQ("DR7 after", dr7, DR7_INIT);
	uint64_t site[2] = { site1, site2 };
	for (int k = 0; k < gd_n && k < 2; k++) {
		if (gd_rip[k] != site[k])
			test_fail("#DB %d: RIP %#llx, want the MOV at %#llx", k,
				  (unsigned long long)gd_rip[k], (unsigned long long)site[k]);
		if (gd_dr6[k] != (DR6_INIT | DR6_BD))
			test_fail("#DB %d: DR6 %#llx, want %#llx", k, (unsigned long long)gd_dr6[k],
				  (unsigned long long)(DR6_INIT | DR6_BD));
		if (gd_dr7[k] != DR7_INIT)
			test_fail("#DB %d: DR7 in the handler %#llx, want %#llx (GD cleared)", k,
				  (unsigned long long)gd_dr7[k], (unsigned long long)DR7_INIT);
	}
	if (gd_n >= 2)
		CHECK_EQ("DR1 in the handler (MOV not yet executed)", gd_dr1[1], 0);
}

/* ---- data breakpoints --------------------------------------------------- */

enum { LD, ST, RMW };

static uint8_t wbuf[64] __attribute__((aligned(64)));
#define WX ((uint64_t)(wbuf + 16))

/* One access of `size` bytes at addr; returns the RIP after it. */
static uint64_t access_once(int kind, int size, uint64_t addr, uint64_t v)
{
	uint64_t after;
#define ACC(insn) __asm__ volatile(insn "\n1:\n\tleaq 1b(%%rip), %0" \
				   : "=&r"(after), "+a"(v) : "r"(addr) : "memory", "cc")
	switch (kind * 16 + size) {
	case LD * 16 + 1: ACC("movb (%2), %%al"); break;
	case LD * 16 + 2: ACC("movw (%2), %%ax"); break;
	case LD * 16 + 4: ACC("movl (%2), %%eax"); break;
	case LD * 16 + 8: ACC("movq (%2), %%rax"); break;
	case ST * 16 + 1: ACC("movb %%al, (%2)"); break;
	case ST * 16 + 2: ACC("movw %%ax, (%2)"); break;
	case ST * 16 + 4: ACC("movl %%eax, (%2)"); break;
	case ST * 16 + 8: ACC("movq %%rax, (%2)"); break;
	case RMW * 16 + 4: ACC("addl $1, (%2)"); break;
	default: after = 0; break;
	}
#undef ACC
	return after;
}

struct dcase {
	uint8_t rw, len;	/* breakpoint: R/W, LEN (bytes) at WX + bpoff */
	int8_t bpoff;
	uint8_t kind, size;	/* access: kind, size at WX + accoff */
	int8_t accoff;
	uint8_t hit;
};

/* Run cases; breakpoint register n = case index mod 4 (all four used). */
static void run_dcases(const struct dcase *c, int n)
{
	static const char *const kname[] = { "load", "store", "rmw" };
	static const char *const rwname[] = { "x", "w", "io", "rw" };
	for (int i = 0; i < n; i++) {
		int r = i % 4;
		dbg_begin(DBF_CLEAR_DR6);
		write_dr(r, WX + c[i].bpoff);
		write_dr7(DR7_INIT | dr7_bp(r, c[i].rw, c[i].len));
		uint64_t after = access_once(c[i].kind, c[i].size, WX + c[i].accoff, 0);
		write_dr7(DR7_INIT);
		int ok;
		if (c[i].hit)
			ok = nev == 1 && ev[0].vec == 1 && ev[0].rip == after &&
			     ev[0].dr6 == (DR6_INIT | (1u << r));
		else
			ok = nev == 0;
		if (!ok)
			test_fail("DR%d %s len %u @%+d, %s%u @%+d: %d #DB (rip %s, DR6 %#llx), want %s",
				  r, rwname[c[i].rw], c[i].len, c[i].bpoff, kname[c[i].kind],
				  c[i].size, c[i].accoff, nev,
				  nev ? (ev[0].rip == after ? "next insn" : "wrong") : "-",
				  nev ? (unsigned long long)ev[0].dr6 : 0ull,
				  c[i].hit ? "1 after the access" : "none");
		dbg_end();
	}
}

/*
 * R/W = 01 (data writes), LEN 1/2/4/8 at an aligned address: a store of
 * the same size is reported after it (trap: RIP = next instruction, the
 * memory already written) with DR6.Bn; a load is not; a read-modify-
 * write is (Vol. 3B 17.2.4 R/Wn, LENn; 17.2.5; 17.3.1.2).
 */
void t_dbg_data_write(void)
{
	static const struct dcase c[] = {
		{ RW_WRITE, 1, 0, ST, 1, 0, 1 }, { RW_WRITE, 2, 0, ST, 2, 0, 1 },
		{ RW_WRITE, 4, 0, ST, 4, 0, 1 }, { RW_WRITE, 8, 0, ST, 8, 0, 1 },
		{ RW_WRITE, 1, 0, LD, 1, 0, 0 }, { RW_WRITE, 2, 0, LD, 2, 0, 0 },
		{ RW_WRITE, 4, 0, LD, 4, 0, 0 }, { RW_WRITE, 8, 0, LD, 8, 0, 0 },
		{ RW_WRITE, 4, 0, RMW, 4, 0, 1 },
	};
	run_dcases(c, sizeof(c) / sizeof(c[0]));

	/* The store is complete when the trap is taken. */
	dbg_begin(DBF_CLEAR_DR6);
	*(volatile uint64_t *)WX = 0;
	db_peek = (volatile uint64_t *)WX;
	write_dr(3, WX);
	write_dr7(DR7_INIT | dr7_bp(3, RW_WRITE, 8));
	access_once(ST, 8, WX, 0x1122334455667788ull);
	dbg_end();
	CHECK_EQ("#DB for the store", nev, 1);
	if (nev >= 1)
		CHECK_EQ("memory seen by the handler", ev[0].mem, 0x1122334455667788ull);
}

/* R/W = 11 (data reads or writes): loads and stores of each size hit. */
void t_dbg_data_rw(void)
{
	static const struct dcase c[] = {
		{ RW_RW, 1, 0, LD, 1, 0, 1 }, { RW_RW, 2, 0, LD, 2, 0, 1 },
		{ RW_RW, 4, 0, LD, 4, 0, 1 }, { RW_RW, 8, 0, LD, 8, 0, 1 },
		{ RW_RW, 1, 0, ST, 1, 0, 1 }, { RW_RW, 2, 0, ST, 2, 0, 1 },
		{ RW_RW, 4, 0, ST, 4, 0, 1 }, { RW_RW, 8, 0, ST, 8, 0, 1 },
		{ RW_RW, 8, 8, LD, 8, 0, 0 }, { RW_RW, 8, 0, LD, 8, 8, 0 },
	};
	run_dcases(c, sizeof(c) / sizeof(c[0]));
}

/*
 * Partial overlap: an access hits if any of its bytes is in the watched
 * range, also when it starts before the range or is larger than it;
 * bytes next to the range do not (Vol. 3B 17.2.5 "Breakpoint Field
 * Recognition": "A data breakpoint for reading or writing data is
 * triggered if any of the bytes participating in an access is within the
 * range defined by a breakpoint address register and its LENn field",
 * Table 17-3).
 */
void t_dbg_data_partial(void)
{
	static const struct dcase c[] = {
		{ RW_WRITE, 2, 0, ST, 1, 1, 1 }, { RW_WRITE, 2, 0, ST, 1, 2, 0 },
		{ RW_WRITE, 2, 0, ST, 1, -1, 0 }, { RW_WRITE, 2, 0, ST, 2, -1, 1 },
		{ RW_WRITE, 4, 0, ST, 2, 2, 1 }, { RW_WRITE, 4, 0, ST, 1, 3, 1 },
		{ RW_WRITE, 4, 0, ST, 1, 4, 0 }, { RW_WRITE, 4, 0, ST, 8, -4, 1 },
		{ RW_WRITE, 8, 0, ST, 1, 7, 1 }, { RW_WRITE, 8, 0, ST, 4, 4, 1 },
		{ RW_WRITE, 8, 0, ST, 1, 8, 0 }, { RW_WRITE, 8, 0, ST, 8, -8, 0 },
		{ RW_RW, 1, 0, LD, 8, -4, 1 }, { RW_RW, 4, 0, LD, 8, -4, 1 },
		{ RW_RW, 4, 0, LD, 1, -1, 0 }, { RW_RW, 8, 0, LD, 2, 7, 1 },
	};
	run_dcases(c, sizeof(c) / sizeof(c[0]));
}

void dbg_seq_stos_fn(void *dst, uint32_t count) __asm__("dbg_seq_stos");
extern char dbg_seq_stos[], dbg_stos_0[], dbg_stos_end[];

/*
 * REP STOSB over a watched byte: the trap comes after the iteration that
 * wrote it, with RIP still at the REP STOSB and RCX = the iterations
 * left; the rest then completes without another #DB (Vol. 3B 17.3.1.2:
 * repeated string instructions report a data breakpoint after the
 * iteration that accessed the location; Vol. 2B REP).
 */
void t_dbg_data_rep(void)
{
	dbg_begin(DBF_CLEAR_DR6);
	for (int i = 0; i < 16; i++)
		wbuf[i] = 0;
	write_dr(1, (uint64_t)wbuf + 5);
	write_dr7(DR7_INIT | dr7_bp(1, RW_WRITE, 1));
	dbg_seq_stos_fn(wbuf, 8);
	dbg_end();
	const struct want w[] = { { 1, (uint64_t)dbg_stos_0, DR6_INIT | 2 } };
	expect_events("REP STOSB", w, 1, (uint64_t)dbg_seq_stos);
	if (nev >= 1)
		CHECK_EQ("RCX at the #DB", ev[0].rcx, 2);
	int n = 0;
	for (int i = 0; i < 16; i++)
		n += wbuf[i] == 0xab;
	CHECK_EQ("bytes stored", n, 8);
}

/*
 * DR6.BS/BD/BT are never cleared by the processor (Vol. 3B 17.2.3:
 * "The remaining contents of the DR6 register are never cleared by the
 * processor"): a data-breakpoint #DB with BS left set by software still
 * shows BS (and B1); with DR6 cleared it shows B1 only.  A store that is
 * single-stepped and hits a data breakpoint gives one #DB reporting both
 * conditions, BS and B1 (17.3: "the debug exception may report multiple
 * conditions").
 */
void t_dbg_dr6_sticky(void)
{
	uint64_t after;
	dbg_begin(0);
	write_dr(1, WX);
	write_dr7(DR7_INIT | dr7_bp(1, RW_WRITE, 4));
	write_dr6(DR6_INIT | DR6_BS);
	after = access_once(ST, 4, WX, 1);
	const struct want a[] = { { 1, after, DR6_INIT | DR6_BS | 2 } };
	expect_events("BS left set", a, 1, after);

	nev = 0;
	write_dr6(DR6_INIT);
	after = access_once(ST, 4, WX, 2);
	const struct want b[] = { { 1, after, DR6_INIT | 2 } };
	expect_events("DR6 cleared", b, 1, after);

	nev = 0;
	write_dr6(DR6_INIT);
	db_flags = DBF_CLEAR_TF;
	__asm__ volatile("pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "movl $3, (%1)\n"
			 "1:\tleaq 1b(%%rip), %0"
			 : "=&r"(after) : "r"(WX) : "memory", "cc");
	dbg_end();
	const struct want c[] = { { 1, after, DR6_INIT | DR6_BS | 2 } };
	expect_events("stepped store", c, 1, after);
}

void dbg_seq_movss_bp_fn(void) __asm__("dbg_seq_movss_bp");
extern char dbg_seq_movss_bp[], dbg_mssbp_2[], dbg_ss_value[];

/*
 * A data breakpoint on MOV SS's memory operand is held back with the rest
 * of the debug exceptions until after the next instruction: one #DB with
 * B0, RIP past the instruction that follows MOV SS (Vol. 3A 6.8.3; Vol.
 * 2B MOV: "...the processor inhibits ... debug exceptions ... until
 * the instruction boundary following the next instruction").
 */
void t_dbg_movss_databp(void)
{
	dbg_begin(DBF_CLEAR_DR6);
	write_dr(0, (uint64_t)dbg_ss_value);
	write_dr7(DR7_INIT | dr7_bp(0, RW_RW, 2));
	dbg_seq_movss_bp_fn();
	dbg_end();
	const struct want w[] = { { 1, (uint64_t)dbg_mssbp_2, DR6_INIT | 1 } };
	expect_events("MOV SS, NOP", w, 1, (uint64_t)dbg_seq_movss_bp);
}

/* ---- I/O breakpoints --------------------------------------------------- */

#define IO_PORT 0x2e8	/* unassigned (io.c): reads 0xff, writes dropped */

struct iocase {
	uint8_t len;		/* breakpoint LEN at IO_PORT + bpoff */
	uint8_t bpoff;
	uint8_t size;		/* IN/OUT of size at IO_PORT + ioff (through DX) */
	uint8_t ioff;
	uint8_t out;
	uint8_t hit;
};

/* IN/OUT through DX; returns the RIP after the instruction. */
static uint64_t io_dx(int out, int size, uint16_t port)
{
	uint64_t after;
	uint32_t v = 0;
#define IO(insn) __asm__ volatile(insn "\n1:\n\tleaq 1b(%%rip), %0" \
				  : "=&r"(after), "+a"(v) : "d"(port) : "memory")
	switch (out * 16 + size) {
	case 1: IO("inb %%dx, %%al"); break;
	case 2: IO("inw %%dx, %%ax"); break;
	case 4: IO("inl %%dx, %%eax"); break;
	case 16 + 1: IO("outb %%al, %%dx"); break;
	case 16 + 2: IO("outw %%ax, %%dx"); break;
	case 16 + 4: IO("outl %%eax, %%dx"); break;
	default: after = 0; break;
	}
#undef IO
	return after;
}

/*
 * I/O breakpoints (R/W = 10) need CR4.DE = 1 (with DE = 0 the encoding is
 * undefined, not tested).  DRn holds the port; IN and OUT that touch a
 * port in the range trap after the instruction with DR6.Bn (Vol. 3B
 * 17.2.4 R/Wn "10 -- Break on I/O reads or writes", 17.2.5, 17.3.1.2).
 */
void t_dbg_io(void)
{
	if (!have_de()) {
		test_skip("no DE");
		return;
	}
	static const struct iocase c[] = {
		{ 1, 2, 1, 2, 1, 1 }, { 1, 2, 1, 2, 0, 1 }, { 1, 2, 1, 3, 0, 0 },
		{ 1, 2, 1, 1, 1, 0 }, { 2, 2, 1, 3, 0, 1 }, { 2, 2, 2, 2, 1, 1 },
		{ 4, 0, 1, 3, 0, 1 }, { 4, 0, 4, 0, 1, 1 }, { 4, 0, 1, 4, 1, 0 },
		{ 1, 3, 2, 2, 0, 1 }, { 1, 4, 4, 0, 1, 0 },
	};
	dbg_begin(DBF_CLEAR_DR6);
	write_cr4(saved_cr4 | CR4_DE);
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int r = i % 4;
		nev = 0;
		write_dr(r, IO_PORT + c[i].bpoff);
		write_dr7(DR7_INIT | dr7_bp(r, RW_IO, c[i].len));
		uint64_t after = io_dx(c[i].out, c[i].size, (uint16_t)(IO_PORT + c[i].ioff));
		write_dr7(DR7_INIT);
		write_dr(r, 0);
		int ok = c[i].hit ? nev == 1 && ev[0].rip == after && ev[0].dr6 == (DR6_INIT | (1u << r))
				  : nev == 0;
		if (!ok)
			test_fail("DR%d = port %#x len %u, %s%u port %#x: %d #DB (rip %s, DR6 %#llx), want %s",
				  r, IO_PORT + c[i].bpoff, c[i].len, c[i].out ? "out" : "in", c[i].size,
				  IO_PORT + c[i].ioff, nev,
				  nev ? (ev[0].rip == after ? "next insn" : "wrong") : "-",
				  nev ? (unsigned long long)ev[0].dr6 : 0ull,
				  c[i].hit ? "1 after the instruction" : "none");
	}
	dbg_end();
}

/* ---- DR4/DR5, reserved bits ---------------------------------------------- */

/*
 * CR4.DE = 0: DR4 and DR5 are aliases of DR6 and DR7, for reads and
 * writes (Vol. 3B 17.2.2 "Debug Registers DR4 and DR5").
 */
void t_dbg_dr4_dr5(void)
{
	uint64_t v4, v5;
	dbg_begin(0);
	write_cr4(saved_cr4 & ~CR4_DE);
	write_dr6(DR6_INIT | DR6_BS | 1);
	__asm__ volatile("mov %%dr4, %0" : "=r"(v4));
	CHECK_EQ("DR4 (DR6 written)", v4, DR6_INIT | DR6_BS | 1);
	__asm__ volatile("mov %0, %%dr4" : : "r"(DR6_INIT | 2));
	CHECK_EQ("DR6 (DR4 written)", read_dr6(), DR6_INIT | 2);
	/* An execute breakpoint on a data word that is never fetched. */
	write_dr(0, WX);
	__asm__ volatile("mov %0, %%dr5" : : "r"(DR7_INIT | 1) : "memory");
	CHECK_EQ("DR7 (DR5 written)", read_dr(7), DR7_INIT | 1);
	__asm__ volatile("mov %%dr5, %0" : "=r"(v5));
	CHECK_EQ("DR5", v5, DR7_INIT | 1);
	dbg_end();
}

/*
 * CR4.DE = 1: any MOV from or to DR4/DR5 is #UD and changes nothing
 * (Vol. 3B 17.2.2; Vol. 2B MOV—Move to/from Debug Registers: "#UD If
 * CR4.DE[bit 3] = 1 (debug extensions) and a MOV instruction is executed
 * involving DR4 or DR5").  Skipped without CPUID.01H:EDX.DE, where
 * CR4.DE is reserved.
 */
void t_dbg_dr4_dr5_de(void)
{
	uint64_t s[4];
	if (!have_de()) {
		test_skip("no DE");
		return;
	}
	dbg_begin(0);
	write_cr4(saved_cr4 | CR4_DE);
	trap_expect(6);
	__asm__ volatile(FAULT_SITE("mov %%dr4, %%rax") "leaq 1b(%%rip), %0" : "=r"(s[0]) : : "rax");
	__asm__ volatile(FAULT_SITE("mov %%dr5, %%rax") "leaq 1b(%%rip), %0" : "=r"(s[1]) : : "rax");
	__asm__ volatile("movq %1, %%rax\n\t" FAULT_SITE("mov %%rax, %%dr4") "leaq 1b(%%rip), %0"
			 : "=r"(s[2]) : "r"(DR6_INIT | 4) : "rax");
	__asm__ volatile("movq %1, %%rax\n\t" FAULT_SITE("mov %%rax, %%dr5") "leaq 1b(%%rip), %0"
			 : "=r"(s[3]) : "r"(DR7_INIT | 1) : "rax", "memory");
	uint64_t dr6 = read_dr6(), dr7 = read_dr(7);
	dbg_end();
	static const char *const what[] = { "read DR4", "read DR5", "write DR4", "write DR5" };
	CHECK_EQ("#UD taken", fault_count, 4);
	for (int i = 0; i < 4 && i < fault_count; i++)
		if (fault_log[i].vector != 6 || fault_log[i].rip != s[i])
			test_fail("%s: %s at %#llx", what[i], vector_name(fault_log[i].vector),
				  (unsigned long long)fault_log[i].rip);
	CHECK_EQ("DR6 after the #UD writes", dr6, DR6_INIT);
	CHECK_EQ("DR7 after the #UD writes", dr7, DR7_INIT);
}

/*
 * Bits 63:32 of DR6 and DR7 are reserved: a MOV writing a 1 there is
 * #GP(0) and changes nothing (Vol. 3B 17.2.6 "Debug Registers and Intel
 * 64 Processors"; Vol. 2B MOV—Move to/from Debug Registers, 64-bit mode
 * exceptions).  They read as 0.
 */
void t_dbg_dr_reserved(void)
{
	static const struct { int dr; uint64_t v; } c[] = {
		{ 6, DR6_INIT | (1ull << 32) }, { 6, DR6_INIT | (1ull << 63) },
		{ 7, DR7_INIT | (1ull << 32) }, { 7, DR7_INIT | (1ull << 63) },
	};
	uint64_t site[4];
	dbg_begin(0);
	trap_expect(13);
	for (int i = 0; i < 4; i++) {
		if (c[i].dr == 6)
			__asm__ volatile(FAULT_SITE("mov %1, %%dr6") "leaq 1b(%%rip), %0"
					 : "=r"(site[i]) : "r"(c[i].v) : "memory");
		else
			__asm__ volatile(FAULT_SITE("mov %1, %%dr7") "leaq 1b(%%rip), %0"
					 : "=r"(site[i]) : "r"(c[i].v) : "memory");
	}
	uint64_t dr6 = read_dr6(), dr7 = read_dr(7);
	dbg_end();
	CHECK_EQ("#GP taken", fault_count, 4);
	for (int i = 0; i < 4 && i < fault_count; i++)
		if (fault_log[i].vector != 13 || fault_log[i].error != 0 || fault_log[i].rip != site[i])
			test_fail("DR%d = %#llx: %s(%#llx) at %#llx, want #GP(0) at the MOV", c[i].dr,
				  (unsigned long long)c[i].v, vector_name(fault_log[i].vector),
				  (unsigned long long)fault_log[i].error, (unsigned long long)fault_log[i].rip);
	CHECK_EQ("DR6 after", dr6, DR6_INIT);
	CHECK_EQ("DR7 after", dr7, DR7_INIT);
}

/* ---- SYSCALL / SYSRET ------------------------------------------------- */

static struct { uint64_t magic, user_rsp, kstack_top; } dbg_percpu;
static uint8_t dbg_sys_stack[4096] __attribute__((aligned(16)));

#define FMASK_NO_TF	0x40600ull	/* IF DF AC */
#define FMASK_TF	0x40700ull	/* TF IF DF AC */

/* One ring-3 run of dbg_user_syscall: TF on, SYSCALL, SYSRET, exit by
 * SYSCALL.  Every #DB is logged and ends stepping (TF cleared in the
 * frame); #DB uses IST1 so that one taken at CPL 0 right after SYSCALL
 * (still on the user stack) gets a known stack. */
static uint64_t run_syscall_prog(uint64_t fmask)
{
	dbg_percpu.magic = 0;
	dbg_percpu.kstack_top = (uint64_t)(dbg_sys_stack + sizeof(dbg_sys_stack));
	wrmsr(MSR_STAR, ((uint64_t)SEL_UCODE32 << 48) | ((uint64_t)SEL_KCODE64 << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, fmask);
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)&dbg_percpu);
	idt[1].ist = IST_TEST;
	trap_set_hook(6, user_exit_hook);
	trap_set_hook(13, user_exit_hook);
	nev = 0;
	db_flags = DBF_CLEAR_DR6 | DBF_CLEAR_TF;
	uint64_t r = enter_user(USER_VA(dbg_user_syscall), USER_STACK_TOP, 0x2, 0, 0, 0);
	idt_restore(1);
	return r;
}

/*
 * SYSCALL with TF = 1 and IA32_FMASK not clearing TF: the single-step
 * trap is decided by RFLAGS as SYSCALL leaves it, and taken at CPL 0
 * before the first instruction of the handler (saved RIP = IA32_LSTAR,
 * CS = STAR[47:32], RSP still the user's, SS = STAR[47:32] + 8).  With
 * TF in FMASK there is no #DB in the kernel at all (Vol. 2B SYSCALL
 * Operation: "RFLAGS ← RFLAGS AND NOT(IA32_FMASK)"; Vol. 3B 17.3.1.4;
 * Xen XSA-204 relies on exactly this).
 */
void t_dbg_syscall_tf(void)
{
	dbg_begin(0);
	uint64_t r = run_syscall_prog(FMASK_NO_TF);
	CHECK_EQ("ring-3 program result (FMASK without TF)", r, 0x7e57);
	int k = 0, found = 0;
	for (int i = 0; i < nev && i < MAX_EV; i++) {
		if ((ev[i].cs & 3) != 0)
			continue;
		k++;
		if (ev[i].vec != 1 || ev[i].rip != (uint64_t)syscall_entry || ev[i].cs != SEL_KCODE64 ||
		    ev[i].ss != SEL_KDATA || ev[i].rsp != USER_STACK_TOP ||
		    ev[i].dr6 != (DR6_INIT | DR6_BS) || !(ev[i].rflags & RFLAGS_TF))
			test_fail("CPL 0 event %d: vector %llu rip %#llx cs %#llx ss %#llx rsp %#llx rflags %#llx DR6 %#llx",
				  i, (unsigned long long)ev[i].vec, (unsigned long long)ev[i].rip,
				  (unsigned long long)ev[i].cs, (unsigned long long)ev[i].ss,
				  (unsigned long long)ev[i].rsp, (unsigned long long)ev[i].rflags,
				  (unsigned long long)ev[i].dr6);
		else
			found = 1;
	}
	CHECK(k == 1 && found, "%d #DBs at CPL 0 with FMASK.TF = 0, want 1 at IA32_LSTAR", k);

	r = run_syscall_prog(FMASK_TF);
	dbg_end();
	CHECK_EQ("ring-3 program result (FMASK with TF)", r, 0x7e57);
	k = 0;
	for (int i = 0; i < nev && i < MAX_EV; i++)
		if ((ev[i].cs & 3) == 0) {
			if (!k)
				test_fail("FMASK.TF = 1: #DB at CPL 0, rip %#llx", (unsigned long long)ev[i].rip);
			k++;
		}
}

/*
 * SYSRET loading TF = 1 from R11: the trap is taken at once, at CPL 3,
 * with RIP = RCX (the instruction after the SYSCALL, not yet executed) --
 * "as if" the SYSCALL had been stepped.  SYSRET differs here from IRET
 * and POPF, which are followed by one more instruction (Linux
 * arch/x86/entry: "SYSRET can restore TF, but unlike IRET, restoring TF
 * results in a trap from userspace immediately after SYSRET"; QEMU
 * target/i386: "The TF bit is checked after the sysret insn completes").
 * FMASK clears TF, so no #DB is taken in the kernel.
 */
void t_dbg_sysret_tf(void)
{
	dbg_begin(0);
	uint64_t r = run_syscall_prog(FMASK_TF);
	dbg_end();
	CHECK_EQ("ring-3 program result", r, 0x7e57);
	int k = 0;
	for (int i = 0; i < nev && i < MAX_EV; i++) {
		if ((ev[i].cs & 3) != 3)
			continue;
		if (k++)
			continue;
		uint64_t base = USER_VA(dbg_user_syscall);
		if (ev[i].vec != 1 || ev[i].rip != USER_VA(dbg_user_sysret_0) ||
		    ev[i].cs != (SEL_UCODE64 | 3) || ev[i].dr6 != (DR6_INIT | DR6_BS))
			test_fail("#DB after SYSRET: vector %llu rip +%#llx cs %#llx DR6 %#llx, want #DB at +%#llx (RCX) cs %#x DR6 %#llx",
				  (unsigned long long)ev[i].vec, (unsigned long long)(ev[i].rip - base),
				  (unsigned long long)ev[i].cs, (unsigned long long)ev[i].dr6,
				  (unsigned long long)(USER_VA(dbg_user_sysret_0) - base), SEL_UCODE64 | 3,
				  (unsigned long long)(DR6_INIT | DR6_BS));
	}
	CHECK(k == 1, "%d #DBs at CPL 3, want 1", k);
}
