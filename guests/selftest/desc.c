/*
 * IDT, TSS and LDT set-up (SDM Vol. 3A 6.14 "Exception and Interrupt
 * Handling in 64-bit Mode", 7.7 "Task Management in 64-bit Mode").
 */
#include <stddef.h>

#include "arch.h"
#include "desc.h"
#include "mem.h"

struct idt_gate idt[256] __attribute__((aligned(16)));
struct tss64 bsp_tss __attribute__((aligned(16)));
struct tss64 ap_tss __attribute__((aligned(16)));

/* An LDT with one flat data descriptor at index 1 (selector 0x0c). */
uint64_t ldt[2] __attribute__((aligned(16))) = { 0, 0x00cf92000000ffff };

#define STACK_SIZE 0x2000
static uint8_t ist_stacks[4][STACK_SIZE] __attribute__((aligned(16)));
static uint8_t rsp0_stack[STACK_SIZE] __attribute__((aligned(16)));
static uint8_t ap_ist_stacks[4][STACK_SIZE] __attribute__((aligned(16)));
uint64_t ist_stack_top[4];
uint64_t rsp0_stack_top;

extern const uint64_t isr_stub_table[256];

void idt_set(int vector, uint64_t handler, uint8_t type_attr, int ist)
{
	struct idt_gate *g = &idt[vector];
	g->offset_lo = (uint16_t)handler;
	g->selector = SEL_KCODE64;
	g->ist = (uint8_t)ist;
	g->type_attr = type_attr;
	g->offset_mid = (uint16_t)(handler >> 16);
	g->offset_hi = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

static void idt_default(int v)
{
	uint8_t type = v == VEC_SYSCALL80 ? GATE_INTR_DPL3 : GATE_INTR;
	int ist = 0;
	if (v == 8)
		ist = IST_DF;
	else if (v == 2)
		ist = IST_NMI;
	idt_set(v, isr_stub_table[v], type, ist);
}

void idt_restore(int vector)
{
	idt_default(vector);
}

/* 16-byte system descriptor: TSS (type 9) or LDT (type 2). */
void gdt_set_system(int sel, const void *base, uint32_t limit, int type)
{
	uint64_t b = (uint64_t)base;
	uint64_t lo = (limit & 0xffff) | ((b & 0xffffff) << 16) |
		      ((uint64_t)type << 40) | (1ull << 47) |
		      ((uint64_t)((limit >> 16) & 0xf) << 48) |
		      ((b >> 24) & 0xff) << 56;
	gdt[sel / 8] = lo;
	gdt[sel / 8 + 1] = b >> 32;
}

void load_kernel_segments(void)
{
	__asm__ volatile(
		"movl %0, %%ds\n\t"
		"movl %0, %%es\n\t"
		"movl %0, %%ss\n\t"
		"movl %1, %%fs\n\t"
		"movl %1, %%gs\n\t"
		: : "r"(SEL_KDATA), "r"(0) : "memory");
}

static void tss_init(struct tss64 *t, uint8_t (*stacks)[STACK_SIZE])
{
	memset(t, 0, sizeof(*t));
	for (int i = 1; i < 4; i++)
		t->ist[i] = (uint64_t)(stacks[i] + STACK_SIZE);
	/* No I/O permission bitmap: the base lies beyond the limit, so
	 * ring-3 IN/OUT with IOPL 0 raises #GP (SDM Vol. 1 18.5.2). */
	t->iomap_base = sizeof(*t);
}

void desc_init(void)
{
	for (int v = 0; v < 256; v++)
		idt_default(v);
	struct dtr idtr = { sizeof(idt) - 1, (uint64_t)idt };
	lidt(&idtr);

	tss_init(&bsp_tss, ist_stacks);
	rsp0_stack_top = (uint64_t)(rsp0_stack + STACK_SIZE);
	bsp_tss.rsp[0] = rsp0_stack_top;
	for (int i = 1; i < 4; i++)
		ist_stack_top[i] = bsp_tss.ist[i];
	gdt_set_system(SEL_TSS, &bsp_tss, sizeof(bsp_tss) - 1, 9);
	ltr(SEL_TSS);

	tss_init(&ap_tss, ap_ist_stacks);
	gdt_set_system(SEL_AP_TSS, &ap_tss, sizeof(ap_tss) - 1, 9);

	gdt_set_system(SEL_LDT, ldt, sizeof(ldt) - 1, 2);
	lldt(0);
}

void desc_load_ap(void)
{
	struct dtr idtr = { sizeof(idt) - 1, (uint64_t)idt };
	lidt(&idtr);
	ltr(SEL_AP_TSS);
}
