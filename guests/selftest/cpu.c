/*
 * Checks of processor modes, CPUID and descriptor-table instructions.
 */
#include "arch.h"
#include "apic.h"
#include "desc.h"
#include "mem.h"
#include "selftest.h"
#include "trap.h"

extern uint32_t entry_cr0, entry_cr4, entry_dec_probe;
extern uint16_t entry_cs;
extern struct __attribute__((packed)) { uint16_t limit; uint32_t base; } entry_gdtr;
void compat_run(uint32_t n, uint32_t out[6]);

/* Xen PVH (arch-x86/hvm/start_info.h) and Multiboot 3.2 "Machine state":
 * 32-bit protected mode, paging off, CS a 32-bit code segment (D = 1,
 * SDM Vol. 3A 3.4.5 "Segment Descriptors"). */
void t_mode_entry32(void)
{
	CHECK(entry_cr0 & CR0_PE, "CR0 at entry %#x: PE clear", entry_cr0);
	CHECK(!(entry_cr0 & CR0_PG), "CR0 at entry %#x: PG set", entry_cr0);
	/* The loader's CS descriptor: present (47), code (43), D (54). */
	if ((uint32_t)(entry_cs | 7) > entry_gdtr.limit || (entry_cs & 4)) {
		test_fail("CS %#x at entry outside the GDT (limit %#x)", entry_cs, entry_gdtr.limit);
	} else {
		uint64_t d = *(volatile uint64_t *)((uint64_t)entry_gdtr.base + (entry_cs & ~7u));
		CHECK((d >> 47) & (d >> 43) & 1, "CS %#x at entry is not a present code segment (%#llx)",
		      entry_cs, (unsigned long long)d);
		CHECK((d >> 54) & 1, "CS %#x at entry is not 32-bit (%#llx)", entry_cs,
		      (unsigned long long)d);
	}
	CHECK_EQ("DEC EAX probe at entry", entry_dec_probe, 0xffff);
}

/* SDM Vol. 3A 9.8.5 "Initializing IA-32e Mode": IA32_EFER.LMA = 1 once CR0.PG is set with LME. */
void t_mode_long(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4(), efer = rdmsr(MSR_EFER);
	CHECK((cr0 & (CR0_PE | CR0_PG | CR0_WP)) == (CR0_PE | CR0_PG | CR0_WP),
	      "CR0 = %#llx", (unsigned long long)cr0);
	CHECK(cr4 & CR4_PAE, "CR4 = %#llx: PAE clear", (unsigned long long)cr4);
	CHECK((efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
	      "EFER = %#llx: LME/LMA", (unsigned long long)efer);
	CHECK_EQ("CS", read_cs(), SEL_KCODE64);
	uint64_t rax;
	__asm__ volatile("xorl %%eax, %%eax\n\t"
			 ".byte 0x48, 0xff, 0xc8" /* dec %rax */
			 : "=a"(rax));
	CHECK_EQ("REX.W DEC probe", rax, ~0ull);
}

void t_mode_compat(void)
{
	uint32_t out[6] = { 0 };
	compat_run(100, out);
	CHECK_EQ("sum 1..100 - 1 in compat mode", out[0], 5049);
	CHECK_EQ("PUSH size in compat mode", out[1], 4);
	CHECK_EQ("CS in compat mode", out[2], SEL_KCODE32);
	CHECK_EQ("3n - 1 in compat mode", out[3], 299);
	CHECK_EQ("CS after return", out[4], SEL_KCODE64);
	CHECK_EQ("64-bit probe after return", out[5], 1);
}

void t_cpuid_vendor(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	CHECK(r[0] >= 1, "max basic leaf %u", r[0]);
	char v[13];
	memcpy(v, &r[1], 4);
	memcpy(v + 4, &r[3], 4);
	memcpy(v + 8, &r[2], 4);
	v[12] = 0;
	for (int i = 0; i < 12; i++)
		CHECK(v[i] >= 0x20 && v[i] < 0x7f, "vendor byte %d = %#x", i, (unsigned char)v[i]);
	cpuid(0x80000000, 0, r);
	CHECK(r[0] >= 0x80000001, "max extended leaf %#x", r[0]);
}

void t_cpuid_features(void)
{
	static const struct { int ext; int bit; const char *name; } need[] = {
		{ 0, 4, "TSC" }, { 0, 5, "MSR" }, { 0, 6, "PAE" }, { 0, 8, "CX8" },
		{ 0, 9, "APIC" }, { 0, 15, "CMOV" },
		{ 1, 11, "SYSCALL" }, { 1, 20, "NX" }, { 1, 29, "LM" },
	};
	uint32_t l1[4], e1[4];
	cpuid(1, 0, l1);
	cpuid(0x80000001, 0, e1);
	for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		uint32_t edx = need[i].ext ? e1[3] : l1[3];
		CHECK(edx & (1u << need[i].bit), "%s missing", need[i].name);
	}
	/* CPUID.1:EBX[31:24] is the initial APIC ID (SDM Vol. 2A CPUID). */
	CHECK_EQ("CPUID.1 initial APIC ID", l1[1] >> 24, lapic_id());
}

void t_dt_gdt_idt(void)
{
	struct dtr d;
	sgdt(&d);
	CHECK_EQ("SGDT limit", d.limit, GDT_ENTRIES * 8 - 1);
	CHECK_EQ("SGDT base", d.base, (uint64_t)gdt);
	sidt(&d);
	CHECK_EQ("SIDT limit", d.limit, sizeof(idt) - 1);
	CHECK_EQ("SIDT base", d.base, (uint64_t)idt);

	/* Load other values and read them back (interrupts are off and
	 * nothing may fault until the real tables are back). */
	static uint64_t gdt_copy[GDT_ENTRIES] __attribute__((aligned(16)));
	memcpy(gdt_copy, gdt, sizeof(gdt_copy));
	struct dtr g = { GDT_ENTRIES * 8 - 1, (uint64_t)gdt_copy };
	struct dtr i = { 0x123, 0xffff800012345000ull };
	struct dtr g2, i2, orig_g, orig_i;
	sgdt(&orig_g);
	sidt(&orig_i);
	lgdt(&g);
	lidt(&i);
	sgdt(&g2);
	sidt(&i2);
	lidt(&orig_i);
	lgdt(&orig_g);
	CHECK(g2.limit == g.limit && g2.base == g.base, "SGDT after LGDT: %#x/%#llx",
	      g2.limit, (unsigned long long)g2.base);
	CHECK(i2.limit == i.limit && i2.base == i.base, "SIDT after LIDT: %#x/%#llx",
	      i2.limit, (unsigned long long)i2.base);
}

/* SDM Vol. 3A 7.2.2 "TSS Descriptor", Vol. 2A LTR: LTR marks the TSS busy; LTR of a busy TSS or of
 * a non-TSS descriptor is #GP(selector). */
void t_dt_tr(void)
{
	CHECK_EQ("STR", str(), SEL_TSS);
	CHECK_EQ("TSS descriptor type", (gdt[SEL_TSS / 8] >> 40) & 0xf, 0xb);
	trap_expect(13);
	uint16_t sels[2] = { SEL_TSS, SEL_KDATA };
	for (int i = 0; i < 2; i++)
		__asm__ volatile(FAULT_SITE("ltr %0") : : "r"(sels[i]) : "memory");
	CHECK_EQ("faults", fault_count, 2);
	CHECK_EQ("LTR busy TSS #GP error", fault_log[0].error, SEL_TSS);
	CHECK_EQ("LTR data segment #GP error", fault_log[1].error, SEL_KDATA);
	CHECK_EQ("STR after", str(), SEL_TSS);
}

/* LLDT with a null selector leaves LDTR unusable; a TI=1 selector then
 * faults with #GP(selector) (SDM Vol. 2A LLDT, Vol. 2B MOV). */
void t_dt_ldt(void)
{
	CHECK_EQ("SLDT initially", sldt(), 0);
	lldt(SEL_LDT);
	CHECK_EQ("SLDT after LLDT", sldt(), SEL_LDT);
	uint16_t ds;
	uint32_t val;
	static const uint32_t probe = 0x1dc0ffee;
	__asm__ volatile("movl %2, %%ds\n\t"
			 "movl %%ds:(%3), %1\n\t"
			 "movw %%ds, %0\n\t"
			 "movl %4, %%ds"
			 : "=&r"(ds), "=&r"(val)
			 : "r"(0x0c), "r"(&probe), "r"(SEL_KDATA) : "memory");
	CHECK_EQ("DS loaded from the LDT", ds, 0x0c);
	CHECK_EQ("read through LDT segment", val, probe);
	lldt(0);
	CHECK_EQ("SLDT after LLDT 0", sldt(), 0);
	trap_expect(13);
	__asm__ volatile(FAULT_SITE("movl %0, %%ds") : : "r"(0x0c) : "memory");
	CHECK_EQ("faults", fault_count, 1);
	CHECK_EQ("#GP error", fault_log[0].error, 0x0c);
}

static int lar(uint32_t sel, uint32_t *ar)
{
	uint8_t zf;
	__asm__ volatile("lar %2, %0; setz %1" : "=r"(*ar), "=q"(zf) : "r"(sel));
	return zf;
}

static int lsl(uint32_t sel, uint32_t *limit)
{
	uint8_t zf;
	__asm__ volatile("lsl %2, %0; setz %1" : "=r"(*limit), "=q"(zf) : "r"(sel));
	return zf;
}

/* SDM Vol. 2A LAR/LSL: access rights masked with 00FxFF00H (bits 19:16
 * undefined, not compared); LSL returns the byte-granular limit. */
void t_dt_lar_lsl(void)
{
	static const struct { uint32_t sel; uint32_t ar; } want[] = {
		{ SEL_KCODE64, 0x00a09a00 }, { SEL_KDATA, 0x00c09200 },
		{ SEL_UCODE64, 0x00a0fa00 }, { SEL_KCODE32, 0x00c09a00 },
		{ SEL_TSS, 0x00008b00 }, { SEL_LDT, 0x00008200 },
	};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t ar = 0;
		int ok = lar(want[i].sel, &ar);
		/* Ignore the accessed bit (bit 8) of code/data segments. */
		uint32_t mask = want[i].sel == SEL_TSS || want[i].sel == SEL_LDT ? 0x00f0ff00 : 0x00f0fe00;
		CHECK(ok && (ar & mask) == want[i].ar, "LAR %#x: zf %d ar %#x want %#x",
		      want[i].sel, ok, ar & mask, want[i].ar);
	}
	uint32_t ar, limit;
	CHECK(!lar(0, &ar), "LAR null selector set ZF");
	CHECK(!lar(0x1000, &ar), "LAR beyond GDT limit set ZF");
	CHECK(lsl(SEL_KDATA, &limit) && limit == 0xffffffff, "LSL data %#x", limit);
	CHECK(lsl(SEL_TSS, &limit) && limit == sizeof(struct tss64) - 1, "LSL TSS %#x", limit);
}
