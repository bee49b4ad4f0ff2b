/*
 * Application processors: INIT-SIPI-SIPI through the real-mode trampoline
 * (trampoline.S) at TRAMPOLINE_BASE, one AP at a time in MADT order.
 * Each AP gets the next CPU index, prints "cpu N online" itself, and
 * waits for smp_release() before entering the scheduler, so the boot log
 * is in a fixed order.
 *
 * There is no time source to calibrate against, so the waits the MP
 * start-up protocol asks for are spin loops; emulators do not need them.
 */
#include "arch.h"

extern const uint8_t trampoline_start[], trampoline_end[];
extern uint64_t tramp_cr3, tramp_stack, tramp_percpu, tramp_entry;
extern uint8_t tramp_alive;

#define INIT_DELAY_SPINS 100000UL
#define SIPI_WAIT_SPINS 20000000UL
#define ONLINE_WAIT_SPINS 2000000000UL

volatile uint32_t smp_go;
uint32_t ncpus_online = 1;
static struct task ap_idle[MAX_CPUS];

/* The copy of a trampoline variable at TRAMPOLINE_BASE. */
static volatile void *tramp_var(const void *sym)
{
	return (uint8_t *)phys_to_virt(TRAMPOLINE_BASE) + ((const uint8_t *)sym - trampoline_start);
}

static void spin(uint64_t n)
{
	while (n--)
		cpu_relax();
}

static bool start_ap(struct percpu *c)
{
	volatile uint8_t *alive = tramp_var(&tramp_alive);

	*alive = 0;
	lapic_send_init(c->apic_id);
	spin(INIT_DELAY_SPINS);
	lapic_send_sipi(c->apic_id, SIPI_VECTOR);
	for (uint64_t i = 0; i < SIPI_WAIT_SPINS && !*alive; i++)
		cpu_relax();
	if (!*alive) /* the second SIPI of the MP protocol, only if needed */
		lapic_send_sipi(c->apic_id, SIPI_VECTOR);
	for (uint64_t i = 0; i < ONLINE_WAIT_SPINS; i++) {
		if (READ_ONCE(c->online))
			return true;
		cpu_relax();
	}
	return false;
}

void smp_boot(void)
{
	memcpy(phys_to_virt(TRAMPOLINE_BASE), trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	*(volatile uint64_t *)tramp_var(&tramp_cr3) = virt_to_phys(boot_pml4);
	*(volatile uint64_t *)tramp_var(&tramp_entry) = (uint64_t)ap_entry64;

	for (uint32_t i = 0; i < acpi_info.ncpus; i++) {
		uint32_t apic_id = acpi_info.apic_ids[i], idx = ncpus_online;

		if (apic_id == percpu[0].apic_id)
			continue;
		struct percpu *c = &percpu[idx];
		struct task *idle = &ap_idle[idx];
		uint64_t stack = alloc_pages(KSTACK_PAGES);

		if (!stack)
			panic("smp: no memory for an AP stack");
		c->cpu = idx;
		c->apic_id = apic_id;
		idle->pid = 0;
		idle->program = -1;
		idle->in_use = 1;
		sfmt(idle->name, sizeof(idle->name), "swapper/%u", idx);
		idle->cr3 = kernel_pml4_pa;
		idle->kstack_base = (uint64_t)phys_to_virt(stack);
		idle->kstack_top = idle->kstack_base + KSTACK_SIZE;
		sched_init_cpu(c, idle);

		*(volatile uint64_t *)tramp_var(&tramp_stack) = idle->kstack_top;
		*(volatile uint64_t *)tramp_var(&tramp_percpu) = (uint64_t)c;
		if (!start_ap(c)) {
			printk("smp: cpu %u (apic id %u) did not come online; not starting more", idx,
			       apic_id);
			break;
		}
		ncpus_online++;
	}
}

void smp_release(void)
{
	__atomic_store_n(&smp_go, 1, __ATOMIC_SEQ_CST);
}

void smp_stop_others(void)
{
	uint32_t me = this_cpu_index();

	for (uint32_t i = 0; i < ncpus_online; i++)
		if (i != me && percpu[i].online)
			lapic_send_ipi(percpu[i].apic_id, VEC_STOP);
}
