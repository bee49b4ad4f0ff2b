/*
 * ACPI: just enough to find the CPUs and interrupt controllers (MADT).
 *
 * The RSDP comes from hvm_start_info.rsdp_paddr; without one we scan the
 * BIOS area 0xE0000..0xFFFFF on 16-byte boundaries (ACPI 6.4 §5.2.5.1).
 * RSDT/XSDT and the MADT are read through the direct map (phys < 4 GiB).
 */
#include "arch.h"

struct acpi_info acpi_info;

struct rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	/* revision >= 2 */
	uint32_t length;
	uint64_t xsdt;
	uint8_t xchecksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem[6];
	char oem_table[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

static uint8_t sum_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static const struct rsdp *rsdp_at(uint64_t pa)
{
	const struct rsdp *r = phys_to_virt(pa);

	if (memcmp(r->signature, "RSD PTR ", 8) != 0 || sum_bytes(r, 20) != 0)
		return NULL;
	return r;
}

static const struct rsdp *find_rsdp(void)
{
	const struct rsdp *r;

	if (boot_info.rsdp_pa && (r = rsdp_at(boot_info.rsdp_pa))) {
		acpi_info.rsdp_pa = boot_info.rsdp_pa;
		acpi_info.rsdp_source = "start_info";
		return r;
	}
	for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16) {
		if ((r = rsdp_at(pa))) {
			acpi_info.rsdp_pa = pa;
			acpi_info.rsdp_source = "bios-scan";
			return r;
		}
	}
	return NULL;
}

static const struct sdt_header *table_at(uint64_t pa)
{
	const struct sdt_header *h;

	if (pa == 0 || pa >= PHYSMAP_SIZE)
		return NULL;
	h = phys_to_virt(pa);
	if (h->length < sizeof(*h) || pa + h->length > PHYSMAP_SIZE)
		return NULL;
	if (sum_bytes(h, h->length) != 0)
		printk("acpi: %.4s at 0x%lx has a bad checksum (used anyway)", h->signature, pa);
	return h;
}

static const struct sdt_header *find_table(const struct rsdp *r, const char sig[4])
{
	bool x = r->revision >= 2 && r->xsdt;
	const struct sdt_header *root = table_at(x ? r->xsdt : r->rsdt);
	size_t width = x ? 8 : 4;

	if (!root)
		return NULL;
	size_t n = (root->length - sizeof(*root)) / width;
	const uint8_t *e = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, e + i * width, width);
		const struct sdt_header *h = table_at(pa);
		if (h && memcmp(h->signature, sig, 4) == 0)
			return h;
	}
	return NULL;
}

static void add_cpu(uint32_t apic_id)
{
	for (uint32_t i = 0; i < acpi_info.ncpus; i++)
		if (acpi_info.apic_ids[i] == apic_id)
			return;
	if (acpi_info.ncpus < MAX_CPUS)
		acpi_info.apic_ids[acpi_info.ncpus++] = apic_id;
	else
		printk("acpi: more than %d CPUs, ignoring apic id %u", MAX_CPUS, apic_id);
}

static void parse_madt(const struct sdt_header *m)
{
	const uint8_t *p = (const uint8_t *)m + 44, *end = (const uint8_t *)m + m->length;
	uint32_t lapic32;

	memcpy(&lapic32, (const uint8_t *)m + 36, 4);
	acpi_info.lapic_pa = lapic32;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		uint32_t flags, id;

		switch (p[0]) {
		case 0: /* Processor Local APIC: uid, apic id, flags */
			memcpy(&flags, p + 4, 4);
			if (flags & 3) /* enabled or online-capable */
				add_cpu(p[3]);
			break;
		case 1: /* I/O APIC: id, reserved, address, GSI base */
			if (!acpi_info.ioapic_pa) {
				uint32_t addr;
				memcpy(&addr, p + 4, 4);
				memcpy(&acpi_info.ioapic_gsi_base, p + 8, 4);
				acpi_info.ioapic_pa = addr;
				acpi_info.ioapic_id = p[2];
			}
			break;
		case 5: /* Local APIC address override */
			memcpy(&acpi_info.lapic_pa, p + 4, 8);
			break;
		case 9: /* Processor Local x2APIC: reserved, x2apic id, flags, uid */
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
			if (flags & 3)
				add_cpu(id);
			break;
		default:
			break;
		}
		p += p[1];
	}
}

void acpi_init(void)
{
	const struct rsdp *r = find_rsdp();
	const struct sdt_header *madt;

	acpi_info.lapic_pa = LAPIC_PHYS;
	if (!r) {
		printk("acpi: no RSDP found; assuming one CPU");
		return;
	}
	madt = find_table(r, "APIC");
	printk("acpi: rsdp at 0x%lx (%s), revision %u, %s", acpi_info.rsdp_pa,
	       acpi_info.rsdp_source, r->revision, r->revision >= 2 && r->xsdt ? "xsdt" : "rsdt");
	if (!madt) {
		printk("acpi: no MADT; assuming one CPU");
		return;
	}
	parse_madt(madt);
	printk("acpi: madt lists %u cpu%s, local apic 0x%lx, io apic 0x%lx", acpi_info.ncpus,
	       acpi_info.ncpus == 1 ? "" : "s", acpi_info.lapic_pa, acpi_info.ioapic_pa);
}
