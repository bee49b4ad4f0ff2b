/*
 * Boot information: PVH start info (xen/include/public/arch-x86/hvm/
 * start_info.h) or the Multiboot v1 information structure (Multiboot
 * Specification 0.6.96, section 3.3).  Copied out at the very start, before
 * anything can overwrite the loader's structures (QEMU puts the Multiboot
 * information right after bss_end_addr; the trampoline goes to 0x8000).
 */
#include <stddef.h>

#include "mem.h"
#include "selftest.h"

extern uint32_t boot_proto, boot_info_ptr, boot_magic;

struct boot_info boot;

struct __attribute__((packed)) hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries, reserved;
};

struct __attribute__((packed)) hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

struct __attribute__((packed)) mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct __attribute__((packed)) mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
};

#define MB_INFO_MEM	(1u << 0)
#define MB_INFO_CMDLINE	(1u << 2)
#define MB_INFO_MMAP	(1u << 6)

static void copy_cmdline(uint64_t pa)
{
	if (!pa || pa >= 0x100000000ull)
		return;
	const char *s = (const char *)pa;
	size_t i;
	for (i = 0; i < sizeof(boot.cmdline) - 1 && s[i]; i++)
		boot.cmdline[i] = s[i];
	boot.cmdline[i] = 0;
}

static void add_region(uint64_t addr, uint64_t size, uint32_t type)
{
	if (boot.nmemmap < MAX_MEMMAP) {
		boot.memmap[boot.nmemmap].addr = addr;
		boot.memmap[boot.nmemmap].size = size;
		boot.memmap[boot.nmemmap].type = type;
		boot.nmemmap++;
	}
}

void boot_info_copy(void)
{
	boot.proto = (int)boot_proto;
	if (!boot_info_ptr)
		return;
	if (boot.proto == BOOT_PVH) {
		const struct hvm_start_info *si = (const void *)(uint64_t)boot_info_ptr;
		boot.magic = si->magic;
		boot.version = si->version;
		boot.flags = si->flags;
		if (si->magic != PVH_MAGIC)
			return;
		boot.rsdp = si->rsdp_paddr;
		copy_cmdline(si->cmdline_paddr);
		if (si->version >= 1 && si->memmap_paddr) {
			const struct hvm_memmap_entry *e = (const void *)si->memmap_paddr;
			for (uint32_t i = 0; i < si->memmap_entries; i++)
				add_region(e[i].addr, e[i].size, e[i].type);
		}
	} else if (boot.proto == BOOT_MULTIBOOT) {
		const struct mb_info *mi = (const void *)(uint64_t)boot_info_ptr;
		boot.magic = boot_magic;
		boot.flags = mi->flags;
		if (boot_magic != MB_BOOT_MAGIC)
			return;
		if (mi->flags & MB_INFO_CMDLINE)
			copy_cmdline(mi->cmdline);
		if (mi->flags & MB_INFO_MMAP) {
			uint64_t p = mi->mmap_addr, end = p + mi->mmap_length;
			while (p + sizeof(struct mb_mmap) <= end) {
				const struct mb_mmap *m = (const void *)p;
				add_region(m->addr, m->len, m->type);
				p += m->size + 4;
			}
		}
	}
}

void t_boot_protocol(void)
{
	CHECK(boot_info_ptr != 0, "no boot information pointer in EBX");
	if (boot.proto == BOOT_PVH) {
		test_note("pvh");
		CHECK_EQ("start_info.magic", boot.magic, PVH_MAGIC);
		CHECK(boot.version >= 1, "start_info.version %u has no memory map", boot.version);
		/* SIF_PRIVILEGED..SIF_VIRT_P2M_4TOOLS and SIF_PM_MASK
		 * (xen/include/public/xen.h); nothing else is defined. */
		CHECK((boot.flags & ~0xff1fu) == 0, "start_info.flags %#x has undefined bits", boot.flags);
	} else if (boot.proto == BOOT_MULTIBOOT) {
		test_note("multiboot");
		CHECK_EQ("EAX at entry", boot.magic, MB_BOOT_MAGIC);
		/* We asked for memory information (header flag 1): the
		 * loader must provide mem_lower/mem_upper and a map. */
		CHECK((boot.flags & MB_INFO_MEM) != 0, "info.flags %#x lacks mem_*", boot.flags);
		CHECK((boot.flags & MB_INFO_MMAP) != 0, "info.flags %#x lacks mmap_*", boot.flags);
	} else {
		test_fail("entered through neither entry point (proto %d)", boot.proto);
	}
}

static int ram_covers(uint64_t start, uint64_t end)
{
	for (int i = 0; i < boot.nmemmap; i++) {
		const struct memmap_entry *e = &boot.memmap[i];
		if (e->type == 1 && e->addr <= start && end <= e->addr + e->size)
			return 1;
	}
	return 0;
}

void t_boot_memmap(void)
{
	CHECK(boot.nmemmap > 0, "no memory map");
	if (boot.nmemmap == 0)
		return;
	CHECK(ram_covers((uint64_t)__image_start, (uint64_t)__image_end),
	      "kernel %p-%p not inside one RAM region", (void *)__image_start, (void *)__image_end);
	CHECK(ram_covers(TRAMPOLINE_BASE, TRAMPOLINE_BASE + 0x1000),
	      "trampoline page %#x not RAM", TRAMPOLINE_BASE);
	for (int i = 0; i < boot.nmemmap; i++)
		for (int j = i + 1; j < boot.nmemmap; j++) {
			const struct memmap_entry *a = &boot.memmap[i], *b = &boot.memmap[j];
			if (a->size && b->size && a->addr < b->addr + b->size && b->addr < a->addr + a->size)
				test_fail("regions %d and %d overlap", i, j);
		}
}
