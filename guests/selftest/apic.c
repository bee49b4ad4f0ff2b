/*
 * Local APIC: set-up, the timer, interrupt priority, EOI, self-IPIs, NMI
 * (SDM Vol. 3A chapter 10 "Advanced Programmable Interrupt Controller",
 * 6.7.1 "Handling Multiple NMIs"; Vol. 2B STI for the interrupt shadow).
 *
 * Every wait is a loop bounded by an iteration count; nothing depends on
 * how fast time passes.  The timer runs at divide-by-1 with an initial
 * count of 100000 (one-shot) or 500000 (periodic): 100 us / 500 us under
 * QEMU's 1 GHz APIC clock.  The periodic period stays above KVM's
 * minimum (min_timer_period_us = 200): KVM stretches shorter periods,
 * and the current-count register then exceeds the initial count.
 */
#include "apic.h"
#include "arch.h"
#include "desc.h"
#include "selftest.h"
#include "trap.h"

uint64_t lapic_base = 0xfee00000;
int x2apic_mode;

uint32_t xapic_read(uint32_t reg)
{
	return mmio_read32(lapic_base + reg);
}

void xapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(lapic_base + reg, v);
}

uint32_t lapic_read(uint32_t reg)
{
	if (x2apic_mode)
		return (uint32_t)rdmsr(0x800 + (reg >> 4));
	return xapic_read(reg);
}

void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic_mode)
		wrmsr(0x800 + (reg >> 4), v);
	else
		xapic_write(reg, v);
}

uint32_t lapic_id(void)
{
	if (x2apic_mode)
		return (uint32_t)rdmsr(MSR_X2APIC_ID);
	return xapic_read(APIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

int lapic_vector_bit(uint32_t base_reg, int vector)
{
	return (lapic_read(base_reg + 0x10 * (uint32_t)(vector / 32)) >> (vector % 32)) & 1;
}

int lapic_send_ipi(uint32_t dest, uint32_t icr_lo)
{
	if (x2apic_mode) {
		/* One 64-bit write, no delivery-status bit (SDM Vol. 3A 10.12.9). */
		wrmsr(0x830, ((uint64_t)dest << 32) | icr_lo);
		return 1;
	}
	xapic_write(APIC_ICR_HI, dest << 24);
	xapic_write(APIC_ICR_LO, icr_lo);
	for (unsigned i = 0; i < SPIN_LONG; i++) {
		if (!(xapic_read(APIC_ICR_LO) & ICR_PENDING))
			return 1;
		cpu_relax();
	}
	return 0;
}

static volatile int spurious_count;
static void spurious_hook(struct trap_frame *f)
{
	(void)f;
	spurious_count++;	/* no EOI for the spurious vector (SDM Vol. 3A 10.9) */
}

static void eoi_all(void)
{
	for (int i = 0; i < 64; i++) {
		int any = 0;
		for (int r = 0; r < 8; r++)
			any |= lapic_read(APIC_ISR + 0x10 * r) != 0;
		if (!any)
			break;
		lapic_eoi();
	}
}

void apic_init(void)
{
	lapic_base = rdmsr(MSR_APIC_BASE) & 0x000ffffffffff000ull;
	bsp_apic_id = lapic_id();
	/* Firmware left LINT0 in ExtINT mode (8259 PIC) and LINT1 as NMI:
	 * mask both, so nothing but our own sources can interrupt. */
	lapic_write(APIC_LVT_LINT0, LVT_MASKED);
	lapic_write(APIC_LVT_LINT1, LVT_MASKED);
	lapic_write(APIC_LVT_ERROR, LVT_MASKED | 0xfe);
	lapic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_write(APIC_TIMER_INIT, 0);
	lapic_write(APIC_TPR, 0);
	lapic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
	trap_set_hook(VEC_SPURIOUS, spurious_hook);
	eoi_all();
}

static void drain_hook(struct trap_frame *f)
{
	(void)f;
	lapic_eoi();
}

/* After every check: timer off, TPR 0, nothing pending or in service. */
void apic_quiesce(void)
{
	lapic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_write(APIC_TIMER_INIT, 0);
	write_cr8(0);
	eoi_all();
	for (int v = 0x20; v < 0xff; v++)
		trap_set_hook(v, drain_hook);
	sti();
	for (unsigned i = 0; i < 1000; i++)
		cpu_relax();
	cli();
	eoi_all();
}

/* ---- helpers for the checks ---------------------------------------- */

struct irq_rec {
	volatile int count;
	volatile uint64_t rip, rax, cs, frame_top;
	volatile int eoi;		/* handler sends EOI */
};
static struct irq_rec rec[256];

static void rec_hook(struct trap_frame *f)
{
	struct irq_rec *r = &rec[f->vector];
	r->count++;
	r->rip = f->rip;
	r->rax = f->rax;
	r->cs = f->cs;
	r->frame_top = (uint64_t)(&f->ss + 1);
	if (r->eoi)
		lapic_eoi();
}

static void rec_arm(int vector, int eoi)
{
	rec[vector].count = 0;
	rec[vector].rip = 0;
	rec[vector].eoi = eoi;
	trap_set_hook(vector, rec_hook);
}

/* Wait with IF = 1 until rec[vector].count >= n (bounded). */
static int wait_count(int vector, int n, unsigned limit)
{
	unsigned i = 0;
	sti();
	while (rec[vector].count < n && i++ < limit)
		cpu_relax();
	cli();
	return rec[vector].count >= n;
}

/* Wait with IF = 0 until the vector is requested in the IRR. */
static int wait_irr(int vector)
{
	for (unsigned i = 0; i < SPIN_LONG; i++) {
		if (lapic_vector_bit(APIC_IRR, vector))
			return 1;
		cpu_relax();
	}
	return 0;
}

static void self_ipi(int vector)
{
	if (!lapic_send_ipi(0, ICR_SELF | ICR_FIXED | (uint32_t)vector))
		test_fail("ICR delivery status stuck sending vector %#x", vector);
}

/* ---- checks ---------------------------------------------------------- */

void t_apic_base(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	CHECK_EQ("IA32_APIC_BASE address", base & 0x000ffffffffff000ull, 0xfee00000);
	CHECK(base & APIC_BASE_EN, "APIC globally disabled: %#llx", (unsigned long long)base);
	CHECK(base & APIC_BASE_BSP, "BSP flag clear: %#llx", (unsigned long long)base);
	CHECK(!(base & APIC_BASE_EXTD), "x2APIC already enabled");
	uint32_t ver = lapic_read(APIC_VER);
	/* Integrated APIC (version 1xH), at least the 6 LVT entries through
	 * LVT Error (max LVT entry >= 5; SDM Vol. 3A 10.4.8). */
	CHECK((ver & 0xf0) == 0x10, "version register %#x", ver);
	CHECK(((ver >> 16) & 0xff) >= 5, "max LVT entry %u", (ver >> 16) & 0xff);
	CHECK_EQ("SVR", lapic_read(APIC_SVR) & 0x1ff, 0x100 | VEC_SPURIOUS);
	lapic_write(APIC_TPR, 0x20);
	CHECK_EQ("TPR read-back", lapic_read(APIC_TPR) & 0xff, 0x20);
	lapic_write(APIC_TPR, 0);
	CHECK_EQ("PPR with nothing in service", lapic_read(APIC_PPR) & 0xff, 0);
}

static int timer_works;

/* One-shot mode: one interrupt when the count reaches 0, then the
 * current count stays 0 (SDM Vol. 3A 10.5.4). */
void t_apic_timer_oneshot(void)
{
	timer_works = 0;
	rec_arm(VEC_TIMER, 1);
	lapic_write(APIC_TIMER_DIV, 0xb);	/* divide by 1 */
	lapic_write(APIC_LVT_TIMER, VEC_TIMER);
	lapic_write(APIC_TIMER_INIT, 100000);
	CHECK(lapic_read(APIC_TIMER_CUR) <= 100000, "current count above initial count");
	CHECK_EQ("LVT timer", lapic_read(APIC_LVT_TIMER) & 0x3ffff, VEC_TIMER);
	if (!wait_count(VEC_TIMER, 1, SPIN_LONG)) {
		test_fail("no timer interrupt (current count %#x)", lapic_read(APIC_TIMER_CUR));
		return;
	}
	wait_count(VEC_TIMER, 2, SPIN_SHORT);
	CHECK_EQ("timer interrupts", rec[VEC_TIMER].count, 1);
	CHECK_EQ("current count after expiry", lapic_read(APIC_TIMER_CUR), 0);
	CHECK_EQ("interrupted CS", rec[VEC_TIMER].cs, SEL_KCODE64);
	timer_works = !test_failed();
}

#define PERIODIC_COUNT 500000

/* Periodic mode reloads the initial count (SDM Vol. 3A 10.5.4). */
void t_apic_timer_periodic(void)
{
	rec_arm(VEC_TIMER, 1);
	lapic_write(APIC_TIMER_DIV, 0xb);
	lapic_write(APIC_LVT_TIMER, VEC_TIMER | LVT_PERIODIC);
	lapic_write(APIC_TIMER_INIT, PERIODIC_COUNT);
	int ok = wait_count(VEC_TIMER, 3, SPIN_LONG);
	CHECK(ok, "%d timer interrupts, want >= 3", rec[VEC_TIMER].count);
	uint32_t cur = lapic_read(APIC_TIMER_CUR);
	CHECK(cur <= PERIODIC_COUNT, "current count %#x above initial count", cur);
	CHECK_EQ("LVT timer mode", (lapic_read(APIC_LVT_TIMER) >> 17) & 3, 1);
	/* Stop it: writing 0 to the initial count stops the timer. */
	lapic_write(APIC_TIMER_INIT, 0);
	lapic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	wait_count(VEC_TIMER, 1000, SPIN_SHORT);	/* let a raced one in */
	int n = rec[VEC_TIMER].count;
	wait_count(VEC_TIMER, 1000, SPIN_SHORT);
	CHECK_EQ("interrupts after stopping", rec[VEC_TIMER].count - n, 0);
	CHECK_EQ("current count after stopping", lapic_read(APIC_TIMER_CUR), 0);
}

/* STI; HLT: the pending timer interrupt ends the halt and is delivered
 * with the saved RIP after HLT (SDM Vol. 2A HLT; STI shadow). */
void t_apic_hlt(void)
{
	if (!timer_works) {
		test_fail("one-shot timer did not work: not halting");
		return;
	}
	uint64_t after;
	rec_arm(VEC_TIMER, 1);
	lapic_write(APIC_TIMER_DIV, 0xb);
	lapic_write(APIC_LVT_TIMER, VEC_TIMER);
	lapic_write(APIC_TIMER_INIT, 100000);
	__asm__ volatile("sti\n\thlt\n1:\tcli\n\tleaq 1b(%%rip), %0" : "=r"(after) : : "memory");
	CHECK_EQ("timer interrupts", rec[VEC_TIMER].count, 1);
	CHECK_EQ("saved RIP", rec[VEC_TIMER].rip, after);
}

/* STI shadow: with an interrupt already pending, STI; INC: the interrupt
 * arrives after the INC retires, not before (SDM Vol. 2B STI: "interrupts
 * are not recognized until after the instruction following STI"). */
void t_apic_sti_shadow(void)
{
	uint64_t after, eax;
	rec_arm(VEC_SELF_IPI, 1);
	self_ipi(VEC_SELF_IPI);
	CHECK(wait_irr(VEC_SELF_IPI), "IPI never pending in the IRR");
	__asm__ volatile("xorl %%eax, %%eax\n\t"
			 "sti\n\t"
			 "incl %%eax\n"
			 "1:\tcli\n\t"
			 "leaq 1b(%%rip), %0"
			 : "=r"(after), "=a"(eax) : : "memory");
	CHECK_EQ("interrupts", rec[VEC_SELF_IPI].count, 1);
	CHECK_EQ("saved RIP (after the shadowed instruction)", rec[VEC_SELF_IPI].rip, after);
	CHECK_EQ("EAX at the interrupt", rec[VEC_SELF_IPI].rax, 1);
}

/* CLI (IF = 0) holds a fixed interrupt pending in the IRR. */
void t_apic_cli(void)
{
	rec_arm(VEC_SELF_IPI, 1);
	self_ipi(VEC_SELF_IPI);
	CHECK(wait_irr(VEC_SELF_IPI), "IPI never pending in the IRR");
	for (unsigned i = 0; i < SPIN_SHORT; i++)
		cpu_relax();
	CHECK_EQ("interrupts with IF=0", rec[VEC_SELF_IPI].count, 0);
	CHECK(lapic_vector_bit(APIC_IRR, VEC_SELF_IPI), "IRR bit lost");
	irq_window();
	CHECK_EQ("interrupts after STI", rec[VEC_SELF_IPI].count, 1);
	CHECK(!lapic_vector_bit(APIC_IRR, VEC_SELF_IPI), "IRR bit still set");
	CHECK(!lapic_vector_bit(APIC_ISR, VEC_SELF_IPI), "ISR bit still set after EOI");
}

/* Without EOI the vector stays in service and PPR blocks interrupts of
 * the same or lower priority class; EOI clears it (SDM Vol. 3A 10.8.4, 10.8.5). */
void t_apic_eoi(void)
{
	rec_arm(VEC_MID, 0);
	rec_arm(VEC_LOW, 1);
	self_ipi(VEC_MID);
	CHECK(wait_irr(VEC_MID), "vector %#x never pending", VEC_MID);
	irq_window();
	CHECK_EQ("vector 0x50 delivered", rec[VEC_MID].count, 1);
	CHECK(lapic_vector_bit(APIC_ISR, VEC_MID), "ISR bit of 0x50 clear before EOI");
	CHECK_EQ("PPR while 0x50 in service", lapic_read(APIC_PPR) & 0xf0, 0x50);
	self_ipi(VEC_LOW);
	CHECK(wait_irr(VEC_LOW), "vector %#x never pending", VEC_LOW);
	wait_count(VEC_LOW, 1, SPIN_SHORT);
	CHECK_EQ("0x48 delivered while 0x50 in service", rec[VEC_LOW].count, 0);
	lapic_eoi();
	CHECK(!lapic_vector_bit(APIC_ISR, VEC_MID), "ISR bit of 0x50 set after EOI");
	irq_window();
	CHECK_EQ("0x48 delivered after EOI", rec[VEC_LOW].count, 1);
	CHECK_EQ("PPR at the end", lapic_read(APIC_PPR) & 0xff, 0);
}

/* CR8 is TPR[7:4] (SDM Vol. 3A 10.8.6.1); an interrupt is delivered only if its
 * priority class is above the processor priority class (10.8.3.1). */
void t_apic_tpr(void)
{
	rec_arm(VEC_MID2, 1);
	rec_arm(VEC_HIGH, 1);
	write_cr8(5);
	CHECK_EQ("TPR after CR8 = 5", lapic_read(APIC_TPR) & 0xff, 0x50);
	self_ipi(VEC_MID2);
	self_ipi(VEC_HIGH);
	CHECK(wait_irr(VEC_MID2), "vector %#x never pending", VEC_MID2);
	wait_count(VEC_HIGH, 1, SPIN_LONG);
	wait_count(VEC_MID2, 1, SPIN_SHORT);
	CHECK_EQ("0x68 with TPR 0x50", rec[VEC_HIGH].count, 1);
	CHECK_EQ("0x58 with TPR 0x50", rec[VEC_MID2].count, 0);
	write_cr8(0);
	irq_window();
	CHECK_EQ("0x58 after CR8 = 0", rec[VEC_MID2].count, 1);
	lapic_write(APIC_TPR, 0x30);
	CHECK_EQ("CR8 after TPR = 0x30", read_cr8(), 3);
	lapic_write(APIC_TPR, 0);
	CHECK_EQ("CR8 after TPR = 0", read_cr8(), 0);
}

/* Self-IPI through the "self" shorthand and through a physical
 * destination equal to our own APIC ID (SDM Vol. 3A 10.6.1). */
void t_apic_self_ipi(void)
{
	rec_arm(VEC_SELF_IPI, 1);
	self_ipi(VEC_SELF_IPI);
	wait_count(VEC_SELF_IPI, 1, SPIN_LONG);
	CHECK_EQ("interrupts after shorthand self", rec[VEC_SELF_IPI].count, 1);
	if (!lapic_send_ipi(lapic_id(), ICR_FIXED | VEC_SELF_IPI))
		test_fail("ICR delivery status stuck");
	wait_count(VEC_SELF_IPI, 2, SPIN_LONG);
	CHECK_EQ("interrupts after physical destination", rec[VEC_SELF_IPI].count, 2);
	CHECK_EQ("ESR", (lapic_write(APIC_ESR, 0), lapic_read(APIC_ESR)), 0);
}

/* ---- NMI ------------------------------------------------------------- */

static volatile int nmi_count, nmi_nested, nmi_resend;
static volatile uint64_t nmi_rip[2], nmi_frame_top;

static void send_self_nmi(void)
{
	/* NMI with the "self" shorthand is not a valid ICR combination
	 * (SDM Vol. 3A 10.6.1, table "Valid Combinations for the Pentium 4
	 * and Intel Xeon Processors' Local xAPIC Interrupt Command
	 * Register"): address our own APIC ID instead. */
	if (!lapic_send_ipi(lapic_id(), ICR_NMI))
		test_fail("ICR delivery status stuck sending NMI");
}

static void nmi_hook(struct trap_frame *f)
{
	int n = ++nmi_count;
	if (n <= 2)
		nmi_rip[n - 1] = f->rip;
	nmi_frame_top = (uint64_t)(&f->ss + 1);
	if (n == 1 && nmi_resend) {
		send_self_nmi();
		for (unsigned i = 0; i < SPIN_SHORT; i++) {
			if (nmi_count != 1)
				nmi_nested = 1;
			cpu_relax();
		}
	}
}

void t_nmi_self(void)
{
	nmi_count = 0;
	nmi_resend = 0;
	trap_set_hook(2, nmi_hook);
	send_self_nmi();
	for (unsigned i = 0; i < SPIN_LONG && nmi_count == 0; i++)
		cpu_relax();
	CHECK_EQ("NMIs with IF=0", nmi_count, 1);
	CHECK_EQ("NMI frame on TSS.IST3", nmi_frame_top, ist_stack_top[IST_NMI]);
}

/* NMIs are blocked from NMI delivery until the next IRET (SDM Vol. 3A 6.7.1):
 * a second NMI sent inside the handler is held pending and delivered
 * right after the handler's IRETQ. */
void t_nmi_blocking(void)
{
	nmi_count = 0;
	nmi_nested = 0;
	nmi_resend = 1;
	nmi_rip[0] = nmi_rip[1] = 0;
	trap_set_hook(2, nmi_hook);
	send_self_nmi();
	for (unsigned i = 0; i < SPIN_LONG && nmi_count < 2; i++)
		cpu_relax();
	CHECK_EQ("NMIs", nmi_count, 2);
	CHECK(!nmi_nested, "second NMI delivered inside the first handler");
	/* The held NMI is taken at the first instruction boundary after the
	 * IRETQ: it interrupts the very instruction the first NMI did. */
	CHECK_EQ("RIP of second NMI = RIP of first", nmi_rip[1], nmi_rip[0]);
}

/* ---- x2APIC ---------------------------------------------------------- */

/* x2APIC mode: registers become MSRs 0x800+, the ID is 32 bits wide,
 * SELF IPI register (SDM Vol. 3A 10.12).  Left enabled: this is the last APIC
 * check (leaving x2APIC needs a full APIC disable, 10.12.5). */
void t_x2apic(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 21))) {
		test_skip("no x2APIC");
		return;
	}
	uint32_t id = lapic_id(), ver = lapic_read(APIC_VER);
	uint64_t base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
	x2apic_mode = 1;
	CHECK_EQ("IA32_APIC_BASE.EXTD", (rdmsr(MSR_APIC_BASE) >> 10) & 3, 3);
	CHECK_EQ("x2APIC ID", rdmsr(MSR_X2APIC_ID), id);
	CHECK_EQ("x2APIC version", rdmsr(MSR_X2APIC_VERSION), ver);
	wrmsr(MSR_X2APIC_TPR, 0x20);
	CHECK_EQ("CR8 after x2APIC TPR = 0x20", read_cr8(), 2);
	wrmsr(MSR_X2APIC_TPR, 0);
	rec_arm(VEC_X2APIC, 1);
	wrmsr(MSR_X2APIC_SELF_IPI, VEC_X2APIC);
	wait_count(VEC_X2APIC, 1, SPIN_LONG);
	CHECK_EQ("interrupts after SELF IPI", rec[VEC_X2APIC].count, 1);
	lapic_send_ipi(id, ICR_FIXED | VEC_X2APIC);
	wait_count(VEC_X2APIC, 2, SPIN_LONG);
	CHECK_EQ("interrupts after ICR", rec[VEC_X2APIC].count, 2);
}
