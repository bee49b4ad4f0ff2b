/*
 * Page tables.  The kernel half (PML4 entries 256..511) comes from the boot
 * page tables built in pvh.S and is shared by every address space:
 *   PML4[256] -> direct map of physical 0..4 GiB (2 MiB pages)
 *   PML4[511] -> kernel image: 0xffffffff80000000 + p -> p, p < 1 GiB
 * The boot PML4 also has PML4[0] = identity map of 0..4 GiB, needed only
 * while a CPU switches to long mode (BSP in pvh.S, APs in the trampoline);
 * the kernel's own PML4 (kernel_pml4_pa) has no user half at all.
 *
 * Each process gets a PML4 whose low half maps its pages with 4 KiB
 * PTEs, user-accessible and writable (no NX: EFER.NXE stays off).
 */
#include "arch.h"

uint64_t kernel_pml4_pa;

static uint64_t *table(uint64_t pa)
{
	return phys_to_virt(pa & PTE_ADDR);
}

void vm_init(void)
{
	kernel_pml4_pa = alloc_pages(1);
	if (!kernel_pml4_pa)
		panic("vm: no page for the kernel PML4");
	uint64_t *pml4 = table(kernel_pml4_pa);
	for (int i = 256; i < 512; i++)
		pml4[i] = boot_pml4[i];
}

uint64_t vm_new_space(void)
{
	uint64_t pa = alloc_pages(1);

	if (!pa)
		return 0;
	uint64_t *pml4 = table(pa), *k = table(kernel_pml4_pa);
	for (int i = 256; i < 512; i++)
		pml4[i] = k[i];
	return pa;
}

/* Walk (and with create, build) the tables down to the PTE for va. */
static uint64_t *walk(uint64_t pml4_pa, uint64_t va, bool create)
{
	uint64_t *t = table(pml4_pa);

	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];

		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t pa = alloc_pages(1);
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W | PTE_U;
		} else if ((*e & PTE_PS) || !(*e & PTE_U)) {
			return NULL; /* not a user mapping */
		}
		t = table(*e);
	}
	return &t[(va >> 12) & 511];
}

int vm_map_user_page(uint64_t pml4_pa, uint64_t va, uint64_t pa)
{
	if (va >= USER_LIMIT || (va & (PAGE_SIZE - 1)))
		return -EINVAL;
	uint64_t *pte = walk(pml4_pa, va, true);
	if (!pte)
		return -ENOMEM;
	*pte = pa | PTE_P | PTE_W | PTE_U;
	return 0;
}

/* Physical address of the user page containing va, or 0. */
uint64_t vm_user_lookup(uint64_t pml4_pa, uint64_t va)
{
	if (va >= USER_LIMIT)
		return 0;
	uint64_t *pte = walk(pml4_pa, va, false);
	if (!pte || (*pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U))
		return 0;
	return *pte & PTE_ADDR;
}

bool vm_user_range_ok(uint64_t pml4_pa, uint64_t va, uint64_t len)
{
	if (len == 0)
		return true;
	if (va >= USER_LIMIT || len > USER_LIMIT - va)
		return false;
	for (uint64_t p = va & ~(PAGE_SIZE - 1); p < va + len; p += PAGE_SIZE)
		if (!vm_user_lookup(pml4_pa, p))
			return false;
	return true;
}

static void free_level(uint64_t pa, int level)
{
	uint64_t *t = table(pa);

	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1)
			free_level(t[i] & PTE_ADDR, level - 1);
		else
			free_pages(t[i] & PTE_ADDR, 1);
	}
	free_pages(pa, 1);
}

/* Free a process's pages and tables (never loaded in any CR3 by now). */
void vm_free_space(uint64_t pml4_pa)
{
	uint64_t *pml4 = table(pml4_pa);

	for (int i = 0; i < 256; i++)
		if (pml4[i] & PTE_P)
			free_level(pml4[i] & PTE_ADDR, 3);
	free_pages(pml4_pa, 1);
}
