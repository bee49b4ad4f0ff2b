/*
 * GDT, IDT and TSS of the self-test kernel.
 */
#ifndef SELFTEST_DESC_H
#define SELFTEST_DESC_H

#include <stdint.h>

#include "defs.h"

struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t ist[8];	/* ist[1..7]; ist[0] is the reserved quadword at 0x1c */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes (SDM Vol. 3A Figure 7-11)");

struct __attribute__((packed)) idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;	/* P | DPL | 0 | type (0xE interrupt gate) */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

extern uint64_t gdt[GDT_ENTRIES];
extern struct idt_gate idt[256];
extern struct tss64 bsp_tss, ap_tss;
extern uint64_t ist_stack_top[4];	/* [IST_*] of the BSP */
extern uint64_t rsp0_stack_top;

#define GATE_INTR	0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define GATE_INTR_DPL3	0xee

void desc_init(void);
void desc_load_ap(void);		/* on the AP: IDT and its own TSS */
void idt_set(int vector, uint64_t handler, uint8_t type_attr, int ist);
void idt_restore(int vector);		/* back to the boot-time gate */
void load_kernel_segments(void);	/* DS/ES/SS = kernel data, FS/GS null */
void gdt_set_system(int sel, const void *base, uint32_t limit, int type);

#endif
