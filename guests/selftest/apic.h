/*
 * Local APIC access (SDM Vol. 3A chapter 10 "Advanced Programmable
 * Interrupt Controller (APIC)"; register offsets from Table 10-1).
 * lapic_read/lapic_write follow the BSP's mode (xAPIC MMIO or x2APIC
 * MSRs 0x800 + offset/16); the AP uses xapic_read/xapic_write.
 */
#ifndef SELFTEST_APIC_H
#define SELFTEST_APIC_H

#include <stdint.h>

#define APIC_ID		0x020
#define APIC_VER	0x030
#define APIC_TPR	0x080
#define APIC_PPR	0x0a0
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_LVT_ERROR	0x370
#define APIC_TIMER_INIT	0x380
#define APIC_TIMER_CUR	0x390
#define APIC_TIMER_DIV	0x3e0

#define LVT_MASKED	(1u << 16)
#define LVT_PERIODIC	(1u << 17)
#define ICR_FIXED	(0u << 8)
#define ICR_NMI		(4u << 8)
#define ICR_INIT	(5u << 8)
#define ICR_STARTUP	(6u << 8)
#define ICR_PENDING	(1u << 12)
#define ICR_ASSERT	(1u << 14)
#define ICR_LEVEL	(1u << 15)
#define ICR_SELF	(1u << 18)

#define APIC_BASE_BSP	(1ull << 8)
#define APIC_BASE_EXTD	(1ull << 10)
#define APIC_BASE_EN	(1ull << 11)

extern uint64_t lapic_base;
extern int x2apic_mode;

uint32_t xapic_read(uint32_t reg);
void xapic_write(uint32_t reg, uint32_t v);
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
uint32_t lapic_id(void);
void lapic_eoi(void);
int lapic_send_ipi(uint32_t dest, uint32_t icr_lo);	/* 0 if delivery stuck */
int lapic_vector_bit(uint32_t base_reg, int vector);	/* ISR/IRR/TMR bit */
void apic_init(void);
void apic_quiesce(void);

#endif
