/*
 * Physical page allocator: one bit per 4 KiB page (1 = in use) over the
 * first MM_LIMIT bytes of physical memory, first-fit, under one lock.
 *
 * Free at start: the RAM regions of the boot memory map above the kernel
 * image.  Everything below the end of the image (real-mode area, AP
 * trampoline, the image itself with its .bss) is never handed out.
 */
#include "arch.h"

#define MM_LIMIT (1ULL << 30) /* manage at most 1 GiB */
#define MM_PAGES (MM_LIMIT / PAGE_SIZE)

static uint64_t bitmap[MM_PAGES / 64];
static struct spinlock mm_lock = SPINLOCK_INIT("mm");
static uint64_t hint;
uint64_t mm_total_pages, mm_free_pages;

static bool page_used(uint64_t pfn)
{
	return bitmap[pfn / 64] & (1ULL << (pfn % 64));
}

static void set_used(uint64_t pfn, bool used)
{
	if (used)
		bitmap[pfn / 64] |= 1ULL << (pfn % 64);
	else
		bitmap[pfn / 64] &= ~(1ULL << (pfn % 64));
}

void mm_init(void)
{
	uint64_t floor = PAGE_ALIGN_UP(virt_to_phys(__kernel_end));

	memset(bitmap, 0xff, sizeof(bitmap));
	for (uint32_t i = 0; i < boot_info.nregions; i++) {
		const struct mem_region *r = &boot_info.regions[i];
		uint64_t lo = PAGE_ALIGN_UP(r->addr), hi = (r->addr + r->size) & ~(PAGE_SIZE - 1);

		if (r->type != 1)
			continue;
		if (lo < floor)
			lo = floor;
		if (hi > MM_LIMIT)
			hi = MM_LIMIT;
		for (uint64_t pa = lo; pa < hi; pa += PAGE_SIZE) {
			set_used(pa / PAGE_SIZE, false);
			mm_total_pages++;
		}
	}
	mm_free_pages = mm_total_pages;
	hint = floor / PAGE_SIZE;
	if (mm_total_pages < 256)
		panic("mm: only %lu free pages", mm_total_pages);
}

static uint64_t find_run(uint64_t from, uint64_t to, size_t n)
{
	uint64_t run = 0;

	for (uint64_t pfn = from; pfn < to; pfn++) {
		run = page_used(pfn) ? 0 : run + 1;
		if (run == n)
			return pfn + 1 - n;
	}
	return 0;
}

uint64_t alloc_pages(size_t n)
{
	uint64_t pfn;

	spin_lock(&mm_lock);
	pfn = find_run(hint, MM_PAGES, n);
	if (!pfn)
		pfn = find_run(0, MM_PAGES, n);
	if (pfn) {
		for (size_t i = 0; i < n; i++)
			set_used(pfn + i, true);
		mm_free_pages -= n;
		hint = pfn + n;
	}
	spin_unlock(&mm_lock);
	if (!pfn)
		return 0;
	memset(phys_to_virt(pfn * PAGE_SIZE), 0, n * PAGE_SIZE);
	return pfn * PAGE_SIZE;
}

void free_pages(uint64_t pa, size_t n)
{
	uint64_t pfn = pa / PAGE_SIZE;

	spin_lock(&mm_lock);
	for (size_t i = 0; i < n; i++) {
		if (!page_used(pfn + i))
			panic("mm: double free of page 0x%lx", (pfn + i) * PAGE_SIZE);
		set_used(pfn + i, false);
	}
	mm_free_pages += n;
	spin_unlock(&mm_lock);
}
