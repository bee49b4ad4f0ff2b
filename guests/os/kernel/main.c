/*
 * Boot sequence, per-CPU set-up, shutdown and panic.
 *
 *   kmain (boot CPU, from pvh.S)         ap_main (each AP, from ap_entry64)
 *     percpu 0 / GS.base                   GS.base
 *     start info, ACPI, memory, paging     cpu_setup
 *     IDT, cpu_setup, I/O APIC             "cpu N online"
 *     "cpu 0 online", start the APs        wait for smp_release()
 *     spawn init (pid 1), smp_release()    idle_loop
 *     idle_loop
 */
#include "arch.h"
#include "io.h"

#define OS_VERSION "0.1"
#define PANIC_EXIT_CODE 0x7e /* QEMU exit status 253 */

extern char boot_stack_top[];

/* Everything a CPU needs before it can take interrupts and run tasks. */
static void cpu_setup(struct percpu *c)
{
	cpu_load_descriptors(c);
	write_cr3(kernel_pml4_pa); /* drop the boot identity map */
	write_dr7(0);
	syscall_init_cpu();
	lapic_init_cpu();
	c->apic_id = lapic_id();
}

void kmain(uint64_t start_info_pa)
{
	struct percpu *c = &percpu[0];

	c->self = c;
	c->cpu = 0;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	init_task.kstack_top = (uint64_t)boot_stack_top;
	init_task.kstack_base = init_task.kstack_top - KSTACK_SIZE;
	sched_init_cpu(c, &init_task);

	console_init();
	console_write("\n", 1); /* end whatever line the firmware left open */
	printk("tsvmi-os %s: x86-64 demo kernel, PVH boot", OS_VERSION);
	boot_info_parse(start_info_pa);
	printk("boot: hvm_start_info at 0x%lx, version %u, cmdline \"%s\"", start_info_pa,
	       boot_info.version, boot_info.cmdline);
	acpi_init();
	mm_init();
	printk("mem: %lu KiB free for pages, kernel at 0x%lx-0x%lx (physical)",
	       mm_free_pages * PAGE_SIZE / 1024, virt_to_phys(__kernel_start),
	       virt_to_phys(__kernel_end));
	vm_init();
	init_task.cr3 = kernel_pml4_pa;
	idt_init();
	pic_mask_all();
	cpu_setup(c);
	ioapic_init();
	printk("cpu 0 online (apic id %u%s)", c->apic_id, lapic_x2apic ? ", x2apic" : "");
	c->online = 1;

	smp_boot();
	printk("smp: %u cpu%s online", ncpus_online, ncpus_online == 1 ? "" : "s");

	long pid = process_spawn(PROG_INIT, &init_task);
	if (pid != 1)
		panic("could not start init: %ld", pid);
	printk("sched: init started as pid 1; timer tick = %u LAPIC counts / 16", TIMER_INITIAL_COUNT);
	smp_release();
	idle_loop();
}

void ap_main(struct percpu *c)
{
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	cpu_setup(c);
	printk("cpu %u online (apic id %u%s)", c->cpu, c->apic_id, lapic_x2apic ? ", x2apic" : "");
	__atomic_store_n(&c->online, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&smp_go, __ATOMIC_ACQUIRE))
		cpu_relax();
	idle_loop();
}

void machine_exit(uint32_t code)
{
	/* QEMU isa-debug-exit: status (code << 1) | 1; tsvmi: code. */
	outl(DEBUG_EXIT_PORT, code);
	for (;;) {
		cli();
		hlt();
	}
}

/* init (pid 1) has exited: the run is over. */
void shutdown(int code)
{
	uint64_t switches = 0, syscalls = 0;

	smp_stop_others();
	for (uint32_t i = 0; i < ncpus_online; i++) {
		struct percpu *p = &percpu[i];

		printk("stats: cpu %u: ticks=%lu switches=%lu syscalls=%lu ipis=%lu", i, p->ticks,
		       p->nr_switches, p->nr_syscalls, p->nr_ipis);
		switches += p->nr_switches;
		syscalls += p->nr_syscalls;
	}
	printk("stats: total: cpus=%u jiffies=%lu switches=%lu syscalls=%lu free_pages=%lu/%lu",
	       ncpus_online, jiffies, switches, syscalls, mm_free_pages, mm_total_pages);
	printk("shutdown: init exited with code %d", code);
	machine_exit((uint32_t)code);
}

void panic(const char *f, ...)
{
	static volatile uint32_t panicking;
	char msg[200];
	va_list ap;

	cli();
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST)) {
		for (;;)
			hlt(); /* another CPU is already panicking */
	}
	va_start(ap, f);
	vsfmt(msg, sizeof(msg), f, ap);
	va_end(ap);
	smp_stop_others();
	for (volatile int i = 0; i < 1000000; i++)
		; /* let the others stop */
	console_emergency();
	printk("PANIC on cpu %u: %s", this_cpu_index(), msg);
	machine_exit(PANIC_EXIT_CODE);
}
