/*
 * Application processor start-up with INIT-SIPI-SIPI and a fixed IPI in
 * both directions (SDM Vol. 3A 8.4.4 "MP Initialization Example",
 * 10.6 "Issuing interprocessor interrupts").  The AP prints nothing; the
 * BSP checks what it recorded.
 */
#include "apic.h"
#include "arch.h"
#include "desc.h"
#include "mem.h"
#include "selftest.h"
#include "trap.h"

extern char trampoline_start[], trampoline_end[];
extern char tr_gdtr[], tr_cr3[], tr_stack[], tr_entry[], tr_cs16[];

#define TR_PTR(sym) ((void *)(uint64_t)(TRAMPOLINE_BASE + ((sym) - trampoline_start)))

static uint8_t ap_stack[16384] __attribute__((aligned(16)));
static volatile int ap_ready;
static volatile uint32_t ap_seen_id;
static volatile uint64_t ap_cr0, ap_cr4, ap_efer;
static volatile int ap_ipi_count, bsp_ipi_count;
static uint32_t ap_id;

extern volatile uint64_t ap_unexpected_vector, ap_unexpected_rip;

void ap_main(void);
void ap_main(void)
{
	desc_load_ap();
	xapic_write(APIC_LVT_LINT0, LVT_MASKED);
	xapic_write(APIC_LVT_LINT1, LVT_MASKED);
	xapic_write(APIC_LVT_TIMER, LVT_MASKED);
	xapic_write(APIC_TPR, 0);
	xapic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
	ap_cr0 = read_cr0();
	ap_cr4 = read_cr4();
	ap_efer = rdmsr(MSR_EFER);
	ap_seen_id = xapic_read(APIC_ID) >> 24;
	__atomic_store_n(&ap_ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* Runs on the AP: count, answer the BSP, EOI. */
static void ap_ipi_hook(struct trap_frame *f)
{
	(void)f;
	ap_ipi_count++;
	xapic_write(APIC_ICR_HI, bsp_apic_id << 24);
	xapic_write(APIC_ICR_LO, ICR_FIXED | VEC_BSP_IPI);
	for (unsigned i = 0; i < SPIN_LONG && (xapic_read(APIC_ICR_LO) & ICR_PENDING); i++)
		cpu_relax();
	xapic_write(APIC_EOI, 0);
}

static void bsp_ipi_hook(struct trap_frame *f)
{
	(void)f;
	bsp_ipi_count++;
	lapic_eoi();
}

static int find_ap(void)
{
	for (int i = 0; i < plat.ncpus; i++)
		if (plat.apic_ids[i] != bsp_apic_id) {
			ap_id = plat.apic_ids[i];
			return 1;
		}
	return 0;
}

void t_ap_startup(void)
{
	if (!plat.acpi_ok) {
		test_fail("no MADT: acpi-madt did not run or failed");
		return;
	}
	if (plat.ncpus < 2 || !find_ap()) {
		test_skip("1 cpu");
		return;
	}
	memcpy((void *)(uint64_t)TRAMPOLINE_BASE, trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	struct dtr g;
	sgdt(&g);
	*(uint16_t *)TR_PTR(tr_gdtr) = g.limit;
	*(uint32_t *)((uint8_t *)TR_PTR(tr_gdtr) + 2) = (uint32_t)g.base;
	*(uint64_t *)TR_PTR(tr_cr3) = read_cr3();
	*(uint64_t *)TR_PTR(tr_stack) = (uint64_t)(ap_stack + sizeof(ap_stack));
	*(uint64_t *)TR_PTR(tr_entry) = (uint64_t)ap_main;

	/* INIT (assert, edge), then START-UP twice (SDM Vol. 3A 8.4.4.1). */
	CHECK(lapic_send_ipi(ap_id, ICR_INIT | ICR_ASSERT), "INIT not accepted");
	for (unsigned i = 0; i < 10000; i++)
		cpu_relax();
	for (int sipi = 0; sipi < 2 && !ap_ready; sipi++) {
		CHECK(lapic_send_ipi(ap_id, ICR_STARTUP | ICR_ASSERT | (TRAMPOLINE_BASE >> 12)),
		      "START-UP not accepted");
		for (unsigned i = 0; i < SPIN_LONG / 10 && !ap_ready; i++)
			cpu_relax();
	}
	for (unsigned i = 0; i < SPIN_LONG && !ap_ready; i++)
		cpu_relax();
	if (!ap_ready) {
		test_fail("AP %u did not come up", ap_id);
		return;
	}
	CHECK_EQ("AP APIC ID", ap_seen_id, ap_id);
	CHECK_EQ("AP real-mode CS", *(uint16_t *)TR_PTR(tr_cs16), TRAMPOLINE_BASE >> 4);
	CHECK((ap_efer & (EFER_LME | EFER_LMA | EFER_NXE)) == (EFER_LME | EFER_LMA | EFER_NXE),
	      "AP EFER %#llx", (unsigned long long)ap_efer);
	CHECK((ap_cr0 & (CR0_PG | CR0_PE)) == (CR0_PG | CR0_PE), "AP CR0 %#llx",
	      (unsigned long long)ap_cr0);
	test_note("AP %u", ap_id);
}

void t_ipi_fixed(void)
{
	if (plat.ncpus < 2) {
		test_skip("1 cpu");
		return;
	}
	if (!ap_ready) {
		test_fail("AP not running");
		return;
	}
	ap_ipi_count = 0;
	bsp_ipi_count = 0;
	trap_set_hook(VEC_AP_IPI, ap_ipi_hook);
	trap_set_hook(VEC_BSP_IPI, bsp_ipi_hook);
	CHECK(lapic_send_ipi(ap_id, ICR_FIXED | VEC_AP_IPI), "IPI to the AP not accepted");
	sti();
	for (unsigned i = 0; i < SPIN_LONG && bsp_ipi_count == 0; i++)
		cpu_relax();
	cli();
	CHECK_EQ("IPIs received by the AP", ap_ipi_count, 1);
	CHECK_EQ("IPIs received back by the BSP", bsp_ipi_count, 1);
	if (ap_unexpected_vector != ~0ull)
		test_fail("AP took unexpected vector %llu at %#llx",
			  (unsigned long long)ap_unexpected_vector, (unsigned long long)ap_unexpected_rip);
}
