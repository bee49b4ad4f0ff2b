/*
 * Descriptor tables: one GDT shared by all CPUs (with a TSS descriptor per
 * CPU), one IDT, and a 64-bit TSS per CPU (RSP0 + IST stacks).
 *
 * GDT layout (selectors in include/layout.h; SYSCALL/SYSRET need exactly
 * this order, see STAR_VALUE):
 *   0x00 null            0x18 user code, 32-bit (unused; SYSRET layout)
 *   0x08 kernel code 64  0x20 user data
 *   0x10 kernel data     0x28 user code 64
 *   0x30 + 16*cpu: TSS of CPU cpu (16-byte system descriptor)
 * pvh.S loads this GDT in 32-bit mode, so the data descriptors are flat
 * 4 GiB ones and the table must be initialised data, not .bss.
 */
#include "arch.h"

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16))) = {
	[0] = 0,
	[1] = 0x00af9a000000ffff, /* kernel code: L=1, DPL 0 */
	[2] = 0x00cf92000000ffff, /* kernel data: flat, DPL 0 */
	[3] = 0x00cffa000000ffff, /* user code 32: D=1, DPL 3 */
	[4] = 0x00cff2000000ffff, /* user data: flat, DPL 3 */
	[5] = 0x00affa000000ffff, /* user code 64: L=1, DPL 3 */
};

struct idt_gate {
	uint16_t offset0;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset1;
	uint32_t offset2;
	uint32_t reserved;
} __attribute__((packed));

struct idt_gate idt[256] __attribute__((aligned(16)));

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define IST_STACK_PAGES 2

static void set_gate(int v, uint64_t handler, int ist, int dpl)
{
	struct idt_gate *g = &idt[v];

	g->offset0 = (uint16_t)handler;
	g->selector = KERNEL_CS;
	g->ist = (uint8_t)ist;
	g->type_attr = (uint8_t)(0x8e | (dpl << 5)); /* present 64-bit interrupt gate */
	g->offset1 = (uint16_t)(handler >> 16);
	g->offset2 = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		int ist = 0;

		switch (v) {
		case VEC_DF: ist = IST_DF; break;
		case VEC_NMI: ist = IST_NMI; break;
		case VEC_DB: ist = IST_DB; break;
		case VEC_MC: ist = IST_MC; break;
		default: break;
		}
		/* Only int3 may be raised by user code with an INT instruction. */
		set_gate(v, isr_table[v], ist, v == VEC_BP ? 3 : 0);
	}
}

static void set_tss_descriptor(uint32_t cpu, const struct tss *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;
	int i = TSS_SEL(cpu) / 8;

	gdt[i] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[i + 1] = base >> 32;
}

/*
 * Per-CPU: IST stacks, TSS, then load GDTR, segments, TR and IDTR.
 * FS and GS are left alone: loading a selector into GS would clear GS.base
 * on Intel (and keep it on AMD), and GS.base holds this CPU's percpu.
 */
void cpu_load_descriptors(struct percpu *c)
{
	struct table_ptr gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };
	struct table_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	for (int i = 1; i <= 4; i++) {
		uint64_t pa = alloc_pages(IST_STACK_PAGES);
		if (!pa)
			panic("desc: no memory for IST stacks");
		c->tss.ist[i] = (uint64_t)phys_to_virt(pa) + IST_STACK_PAGES * PAGE_SIZE;
	}
	c->tss.iomap_base = sizeof(struct tss); /* no I/O permission bitmap */
	set_tss_descriptor(c->cpu, &c->tss);

	__asm__ volatile(
		"lgdt %0\n\t"
		"movl %1, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"pushq %2\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"ltr %w3\n\t"
		"lidt %4"
		:
		: "m"(gdtr), "i"(KERNEL_DS), "i"(KERNEL_CS), "r"((uint16_t)TSS_SEL(c->cpu)), "m"(idtr)
		: "rax", "memory");
}
