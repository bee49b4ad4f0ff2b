/* The hardware-facing modules: boot info, ACPI, memory, descriptors, APIC, SMP. */
#ifndef OS_ARCH_H
#define OS_ARCH_H

#include "sched.h"

#define BOOT_MAX_REGIONS 32
#define BOOT_CMDLINE_MAX 256

struct mem_region {
	uint64_t addr, size;
	uint32_t type; /* 1 = RAM (E820 numbering) */
};

struct boot_info {
	uint64_t start_info_pa;
	uint32_t version;
	uint64_t rsdp_pa;		/* 0 if the loader gave none */
	char cmdline[BOOT_CMDLINE_MAX];
	uint32_t nregions;
	struct mem_region regions[BOOT_MAX_REGIONS];
};

extern struct boot_info boot_info;

/* boot.c: copy what we need out of struct hvm_start_info */
void boot_info_parse(uint64_t start_info_pa);

/* acpi.c: CPUs and interrupt controllers from the MADT */
struct acpi_info {
	uint64_t rsdp_pa;
	const char *rsdp_source;
	uint32_t ncpus;
	uint32_t apic_ids[MAX_CPUS];
	uint64_t lapic_pa;
	uint64_t ioapic_pa;		/* 0 if none */
	uint32_t ioapic_id;
	uint32_t ioapic_gsi_base;
};
extern struct acpi_info acpi_info;
void acpi_init(void);

/* mm.c: physical pages */
void mm_init(void);
uint64_t alloc_pages(size_t n);	/* zeroed; 0 when out of memory */
void free_pages(uint64_t pa, size_t n);
extern uint64_t mm_total_pages, mm_free_pages;

/* vm.c: page tables */
#define PTE_P	(1ULL << 0)
#define PTE_W	(1ULL << 1)
#define PTE_U	(1ULL << 2)
#define PTE_PWT	(1ULL << 3)
#define PTE_PCD	(1ULL << 4)
#define PTE_PS	(1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL
extern uint64_t kernel_pml4_pa;
extern uint64_t boot_pml4[512];
void vm_init(void);
uint64_t vm_new_space(void);
int vm_map_user_page(uint64_t pml4_pa, uint64_t va, uint64_t pa);
uint64_t vm_user_lookup(uint64_t pml4_pa, uint64_t va);
bool vm_user_range_ok(uint64_t pml4_pa, uint64_t va, uint64_t len);
void vm_free_space(uint64_t pml4_pa);

/* desc.c: GDT, TSS, IDT */
void idt_init(void);
void cpu_load_descriptors(struct percpu *c);

/* apic.c */
void pic_mask_all(void);
void lapic_init_cpu(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint8_t vector);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
uint32_t lapic_read_esr(void);
void ioapic_init(void);
extern bool lapic_x2apic;

/* smp.c */
void smp_boot(void);
void smp_release(void);
void smp_stop_others(void);
extern volatile uint32_t smp_go;

/* syscall.c */
void syscall_init_cpu(void);

/* trap.c */
void trap_dispatch(struct trapframe *tf);

#endif
