/*
 * The Xen PVH boot protocol's start-of-day information
 * (xen/include/public/arch-x86/hvm/start_info.h).  Copied into kernel
 * memory first thing, so the page allocator may reuse wherever the loader
 * put it.
 */
#include "arch.h"

struct hvm_start_info {
	uint32_t magic;		/* HVM_START_MAGIC */
	uint32_t version;	/* 0 or 1 */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* version >= 1 */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

struct boot_info boot_info;

void boot_info_parse(uint64_t pa)
{
	const struct hvm_start_info *si = phys_to_virt(pa);

	if (si->magic != HVM_START_MAGIC)
		panic("boot: bad hvm_start_info magic 0x%x at 0x%lx (not booted through PVH?)",
		      si->magic, pa);
	boot_info.start_info_pa = pa;
	boot_info.version = si->version;
	boot_info.rsdp_pa = si->rsdp_paddr;

	if (si->cmdline_paddr) {
		const char *s = phys_to_virt(si->cmdline_paddr);
		size_t i;

		for (i = 0; i + 1 < sizeof(boot_info.cmdline) && s[i]; i++)
			boot_info.cmdline[i] = s[i];
		boot_info.cmdline[i] = 0;
	}

	if (si->version >= 1 && si->memmap_paddr && si->memmap_entries) {
		const struct hvm_memmap_table_entry *e = phys_to_virt(si->memmap_paddr);
		uint32_t n = si->memmap_entries;

		if (n > BOOT_MAX_REGIONS)
			n = BOOT_MAX_REGIONS;
		for (uint32_t i = 0; i < n; i++) {
			boot_info.regions[i].addr = e[i].addr;
			boot_info.regions[i].size = e[i].size;
			boot_info.regions[i].type = e[i].type;
		}
		boot_info.nregions = n;
	} else {
		/* No memory map (start_info version 0): assume 32 MiB of RAM. */
		boot_info.regions[0] = (struct mem_region){ 0x100000, 31 << 20, 1 };
		boot_info.nregions = 1;
		printk("boot: no memory map in hvm_start_info, assuming RAM at 1..32 MiB");
	}
}
