/*
 * ACPI tables (ACPI 6.5 spec 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.12
 * MADT), the I/O APIC (82093AA datasheet: IOREGSEL/IOWIN, registers
 * 0x00 ID, 0x01 version, 0x10 + 2n redirection entries) and QEMU's
 * fw_cfg (docs/specs/fw_cfg.rst: selector 0x510, data 0x511; key 0x0000
 * signature "QEMU", key 0x0005 FW_CFG_NB_CPUS).
 */
#include "arch.h"
#include "mem.h"
#include "selftest.h"

struct platform plat;

struct __attribute__((packed)) rsdp {
	char signature[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;	/* revision >= 2 */
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
};

struct __attribute__((packed)) sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
};

static uint8_t sum(const void *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + ((const uint8_t *)p)[i]);
	return s;
}

static const struct rsdp *scan(uint64_t start, uint64_t end)
{
	for (uint64_t p = start; p + 20 <= end; p += 16)
		if (memcmp((const void *)p, "RSD PTR ", 8) == 0 && sum((const void *)p, 20) == 0)
			return (const void *)p;
	return NULL;
}

/* PVH hands over rsdp_paddr; otherwise search the EBDA's first KiB and
 * 0xE0000-0xFFFFF on 16-byte boundaries (ACPI 5.2.5.1). */
static const struct rsdp *find_rsdp(void)
{
	if (boot.rsdp)
		return (const void *)boot.rsdp;
	uint16_t seg;
	/* BDA word 0x40e: EBDA segment (asm: gcc objects to a constant
	 * pointer into "page zero"). */
	__asm__ volatile("movw 0x40e, %0" : "=r"(seg));
	uint64_t ebda = (uint64_t)seg << 4;
	const struct rsdp *r = NULL;
	if (ebda >= 0x80000 && ebda < 0xa0000)
		r = scan(ebda, ebda + 1024);
	return r ? r : scan(0xe0000, 0x100000);
}

static const struct rsdp *rsdp_ok;

void t_acpi_rsdp(void)
{
	const struct rsdp *r = find_rsdp();
	rsdp_ok = NULL;
	if (!r) {
		test_fail("no RSDP");
		return;
	}
	CHECK(memcmp(r->signature, "RSD PTR ", 8) == 0, "bad RSDP signature");
	CHECK_EQ("RSDP checksum", sum(r, 20), 0);
	if (r->revision >= 2) {
		CHECK(r->length >= 36, "RSDP length %u", r->length);
		CHECK_EQ("RSDP extended checksum", sum(r, r->length), 0);
	}
	CHECK(r->rsdt || (r->revision >= 2 && r->xsdt), "no RSDT/XSDT address");
	if (!test_failed())
		rsdp_ok = r;
}

static const struct sdt_header *find_table(const struct rsdp *r, const char *sig)
{
	const struct sdt_header *root;
	int wide = r->revision >= 2 && r->xsdt;
	root = wide ? (const void *)r->xsdt : (const void *)(uint64_t)r->rsdt;
	if (memcmp(root->signature, wide ? "XSDT" : "RSDT", 4) != 0 ||
	    sum(root, root->length) != 0) {
		test_fail("bad %s", wide ? "XSDT" : "RSDT");
		return NULL;
	}
	size_t n = (root->length - sizeof(*root)) / (wide ? 8 : 4);
	const uint8_t *ents = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = wide ? *(const uint64_t *)(ents + 8 * i) : *(const uint32_t *)(ents + 4 * i);
		const struct sdt_header *t = (const void *)a;
		if (memcmp(t->signature, sig, 4) == 0)
			return t;
	}
	return NULL;
}

void t_acpi_madt(void)
{
	plat.acpi_ok = 0;
	plat.ncpus = 0;
	if (!rsdp_ok) {
		test_fail("no valid RSDP");
		return;
	}
	const struct sdt_header *m = find_table(rsdp_ok, "APIC");
	if (!m) {
		test_fail("no MADT");
		return;
	}
	CHECK_EQ("MADT checksum", sum(m, m->length), 0);
	const uint8_t *p = (const uint8_t *)m;
	plat.lapic_addr = *(const uint32_t *)(p + 36);
	CHECK_EQ("MADT local APIC address", plat.lapic_addr, 0xfee00000);
	int ioapics = 0;
	for (uint32_t off = 44; off + 2 <= m->length;) {
		uint8_t type = p[off], len = p[off + 1];
		if (len < 2 || off + len > m->length) {
			test_fail("bad MADT entry at %u", off);
			break;
		}
		if (type == 0 && len >= 8) {		/* processor local APIC */
			uint32_t flags = *(const uint32_t *)(p + off + 4);
			if ((flags & 1) && plat.ncpus < MAX_CPUS)
				plat.apic_ids[plat.ncpus++] = p[off + 3];
		} else if (type == 9 && len >= 16) {	/* processor local x2APIC */
			uint32_t flags = *(const uint32_t *)(p + off + 8);
			if ((flags & 1) && plat.ncpus < MAX_CPUS)
				plat.apic_ids[plat.ncpus++] = *(const uint32_t *)(p + off + 4);
		} else if (type == 1 && len >= 12) {	/* I/O APIC */
			if (!ioapics++)
				plat.ioapic_addr = *(const uint32_t *)(p + off + 4);
		}
		off += len;
	}
	CHECK(plat.ncpus >= 1, "no enabled processors");
	int bsp_listed = 0;
	extern volatile uint32_t bsp_apic_id;
	for (int i = 0; i < plat.ncpus; i++)
		bsp_listed |= plat.apic_ids[i] == bsp_apic_id;
	CHECK(bsp_listed, "BSP APIC ID %u not in the MADT", bsp_apic_id);
	CHECK(ioapics >= 1, "no I/O APIC entry");
	plat.acpi_ok = !test_failed();
	test_note("%d cpu%s", plat.ncpus, plat.ncpus == 1 ? "" : "s");
}

static uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(plat.ioapic_addr, reg);
	return mmio_read32(plat.ioapic_addr + 0x10);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(plat.ioapic_addr, reg);
	mmio_write32(plat.ioapic_addr + 0x10, v);
}

void t_ioapic(void)
{
	if (!plat.ioapic_addr) {
		test_fail("no I/O APIC address from the MADT");
		return;
	}
	CHECK_EQ("I/O APIC address", plat.ioapic_addr, 0xfec00000);
	uint32_t ver = ioapic_read(1);
	uint32_t max = (ver >> 16) & 0xff;
	CHECK_EQ("max redirection entry", max, 23);
	for (uint32_t i = 0; i <= max && i < 24; i++)
		CHECK(ioapic_read(0x10 + 2 * i) & (1u << 16), "redirection entry %u not masked", i);
	uint32_t lo = ioapic_read(0x10 + 2 * 10), hi = ioapic_read(0x11 + 2 * 10);
	ioapic_write(0x10 + 2 * 10, (1u << 16) | 0x99);
	ioapic_write(0x11 + 2 * 10, 0x01000000);
	uint32_t lo2 = ioapic_read(0x10 + 2 * 10), hi2 = ioapic_read(0x11 + 2 * 10);
	ioapic_write(0x10 + 2 * 10, lo);
	ioapic_write(0x11 + 2 * 10, hi);
	CHECK_EQ("redirection entry 10 low", lo2 & 0x1ffff, (1u << 16) | 0x99);
	CHECK_EQ("redirection entry 10 high", hi2 & 0xff000000, 0x01000000);
}

#define FW_CFG_SEL	0x510
#define FW_CFG_DATA	0x511

static void fw_cfg_read(uint16_t key, void *buf, size_t n)
{
	outw(FW_CFG_SEL, key);
	for (size_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = inb(FW_CFG_DATA);
}

void t_fwcfg_signature(void)
{
	char sig[5] = { 0 };
	fw_cfg_read(0x0000, sig, 4);
	CHECK(memcmp(sig, "QEMU", 4) == 0, "signature %02x %02x %02x %02x",
	      (uint8_t)sig[0], (uint8_t)sig[1], (uint8_t)sig[2], (uint8_t)sig[3]);
}

void t_fwcfg_cpus(void)
{
	uint16_t n = 0;
	fw_cfg_read(0x0005, &n, 2);
	if (!plat.acpi_ok) {
		test_fail("fw_cfg says %u cpus, no MADT to compare with", n);
		return;
	}
	CHECK(n == plat.ncpus, "fw_cfg %u cpus, MADT %d", n, plat.ncpus);
}
