/*
 * Local APIC (xAPIC MMIO, or x2APIC MSRs when the firmware already
 * switched to x2APIC mode) and the I/O APIC.
 *
 * The LAPIC timer is the only time source: periodic, divide by 16,
 * initial count TIMER_INITIAL_COUNT.  Nothing is calibrated against wall
 * time; a "tick" is whatever that count takes on the machine at hand.
 * The legacy 8259 PICs are masked (pic_mask_all) and so are LINT0/LINT1,
 * so a PIC left in virtual-wire mode by the firmware cannot deliver
 * anything.
 */
#include "arch.h"
#include "io.h"

#define LAPIC_ID	0x020
#define LAPIC_VERSION	0x030
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ESR	0x280
#define LAPIC_ICR_LOW	0x300
#define LAPIC_ICR_HIGH	0x310
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT_LINT0	0x350
#define LAPIC_LVT_LINT1	0x360
#define LAPIC_LVT_ERROR	0x370
#define LAPIC_TIMER_ICR	0x380
#define LAPIC_TIMER_CCR	0x390
#define LAPIC_TIMER_DCR	0x3e0

#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_EXTD	 (1ULL << 10)
#define LVT_MASKED	 (1U << 16)
#define LVT_PERIODIC	 (1U << 17)
#define SVR_ENABLE	 (1U << 8)
#define ICR_PENDING	 (1U << 12)
#define ICR_ASSERT	 (1U << 14)
#define ICR_LEVEL	 (1U << 15)
#define ICR_INIT	 (5U << 8)
#define ICR_STARTUP	 (6U << 8)

bool lapic_x2apic;

/*
 * Mask every 8259 input (OCW1 = 0xff on both chips), before the LAPIC's
 * LINT0 is masked.  SeaBIOS leaves the PIT ticking on IRQ0 through the PIC
 * and LINT0 in ExtINT mode; an IRQ0 raised before we mask LINT0 would stay
 * pending in QEMU's TCG and be "delivered" with a bogus vector at the
 * first STI (seen as a #GP with error code 0xfffffffffffffff2 on the first
 * user instruction).  Dropping the PIC's output first withdraws it.
 */
void pic_mask_all(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

static volatile uint32_t *lapic_reg(uint32_t reg)
{
	return (volatile uint32_t *)((uint8_t *)phys_to_virt(acpi_info.lapic_pa) + reg);
}

static uint32_t lapic_read(uint32_t reg)
{
	if (lapic_x2apic)
		return (uint32_t)rdmsr(0x800 + (reg >> 4));
	return *lapic_reg(reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (lapic_x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		*lapic_reg(reg) = v;
}

uint32_t lapic_id(void)
{
	if (lapic_x2apic)
		return lapic_read(LAPIC_ID);
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_read_esr(void)
{
	lapic_write(LAPIC_ESR, 0); /* latch the errors, then read them */
	return lapic_read(LAPIC_ESR);
}

void lapic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic_x2apic = (base & APIC_BASE_EXTD) != 0;

	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, VEC_APIC_ERROR);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_eoi();

	lapic_write(LAPIC_TIMER_DCR, 0x3); /* divide by 16 */
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
	lapic_write(LAPIC_TIMER_ICR, TIMER_INITIAL_COUNT);
}

static void icr_wait(void)
{
	if (lapic_x2apic)
		return; /* x2APIC ICR writes are not "pending" */
	while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
		cpu_relax();
}

static void icr_send(uint32_t apic_id, uint32_t low)
{
	icr_wait();
	if (lapic_x2apic) {
		wrmsr(0x830, ((uint64_t)apic_id << 32) | low);
	} else {
		lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
		lapic_write(LAPIC_ICR_LOW, low);
	}
	icr_wait();
}

void lapic_send_init(uint32_t apic_id)
{
	icr_send(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
}

void lapic_send_sipi(uint32_t apic_id, uint8_t vector)
{
	icr_send(apic_id, ICR_STARTUP | ICR_ASSERT | vector);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	icr_send(apic_id, ICR_ASSERT | vector); /* fixed delivery, physical */
}

/* ---- I/O APIC: nothing routed; mask every pin and report what is there. */

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10

static uint32_t ioapic_read(uint32_t reg)
{
	volatile uint32_t *base = phys_to_virt(acpi_info.ioapic_pa);

	base[IOAPIC_REGSEL / 4] = reg;
	return base[IOAPIC_WINDOW / 4];
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	volatile uint32_t *base = phys_to_virt(acpi_info.ioapic_pa);

	base[IOAPIC_REGSEL / 4] = reg;
	base[IOAPIC_WINDOW / 4] = v;
}

void ioapic_init(void)
{
	if (!acpi_info.ioapic_pa)
		acpi_info.ioapic_pa = IOAPIC_PHYS;
	uint32_t ver = ioapic_read(1);
	uint32_t pins = ((ver >> 16) & 0xff) + 1;

	if ((ver & 0xff) == 0xff) {
		printk("ioapic: none at 0x%lx", acpi_info.ioapic_pa);
		return;
	}
	for (uint32_t i = 0; i < pins; i++) {
		ioapic_write(0x10 + 2 * i, LVT_MASKED); /* masked, vector 0 */
		ioapic_write(0x11 + 2 * i, 0);
	}
	printk("ioapic: id %u at 0x%lx, %u pins, all masked", acpi_info.ioapic_id,
	       acpi_info.ioapic_pa, pins);
}
