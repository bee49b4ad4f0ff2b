/*
 * Page tables of the test region and the paging checks (SDM Vol. 3A
 * chapter 4 "Paging": 4.5 4-level paging, 4.7 page-fault exceptions,
 * 4.8 accessed and dirty flags, 4.10 TLBs / INVLPG).
 *
 * The boot code identity-maps 0-4 GiB with supervisor 2 MiB pages.  PML4
 * slot 1 (TEST_BASE = 512 GiB) belongs to the tests: 4 KiB pages for the
 * fault, ring-3 and A/D tests, one 2 MiB and one 1 GiB mapping.  Upper
 * levels there are U=1 so that the leaf decides.
 */
#include "arch.h"
#include "mem.h"
#include "selftest.h"
#include "trap.h"

extern uint64_t boot_pml4[512];
extern char __user_text_start[], __user_text_end[];

#define POOL_PAGES 24
static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static int pool_used;

/* Physical pages behind the test mappings. */
static uint8_t *pg_readonly, *pg_nx, *pg_rsvd, *pg_ustack, *pg_super, *pg_ad;
static uint8_t *pg_inv_a, *pg_inv_b;

/* Within the first 2 MiB so that the 2 MiB/1 GiB mappings of physical 0
 * can reach it. */
static volatile uint64_t low_marker = 0x2b2b2b2b00c0ffeeull;

void *page_alloc(void)
{
	if (pool_used >= POOL_PAGES) {
		fmt("selftest: fatal: page pool exhausted\n");
		outl(DEBUG_EXIT_PORT, 0x7f);
	}
	void *p = pool[pool_used++];
	memset(p, 0, 4096);
	return p;
}

/* Entry for `va` at `level` (4 = PML4E ... 1 = PTE), creating tables. */
uint64_t *pte_slot(uint64_t va, int level, int create)
{
	uint64_t *table = boot_pml4;
	for (int l = 4; l > level; l--) {
		uint64_t *e = &table[(va >> (12 + 9 * (l - 1))) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			*e = (uint64_t)page_alloc() | PTE_P | PTE_W | PTE_U;
		}
		table = (uint64_t *)(*e & 0x000ffffffffff000ull);
	}
	return &table[(va >> (12 + 9 * (level - 1))) & 511];
}

void map_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	*pte_slot(va, 1, 1) = pa | flags;
}

int cpu_has_1g_pages(void)
{
	uint32_t r[4];
	cpuid(0x80000001, 0, r);
	return (r[3] >> 26) & 1;
}

#define RSVD_BIT (1ull << 51)

void test_region_reset(void)
{
	map_page(TEST_PAGE(TP_READONLY), (uint64_t)pg_readonly, PTE_P | PTE_NX);
	map_page(TEST_PAGE(TP_NX), (uint64_t)pg_nx, PTE_P | PTE_NX);
	map_page(TEST_PAGE(TP_RSVD), (uint64_t)pg_rsvd, PTE_P | PTE_W | RSVD_BIT);
	uint64_t n = (uint64_t)(__user_text_end - __user_text_start) / 4096;
	for (uint64_t i = 0; i < n && i < 4; i++)
		map_page(TEST_PAGE(TP_USER_CODE + i), (uint64_t)__user_text_start + i * 4096,
			 PTE_P | PTE_U);
	map_page(TEST_PAGE(TP_USER_STACK), (uint64_t)pg_ustack, PTE_P | PTE_W | PTE_U | PTE_NX);
	map_page(TEST_PAGE(TP_SUPERVISOR), (uint64_t)pg_super, PTE_P | PTE_W | PTE_NX);
	map_page(TEST_PAGE(TP_AD), (uint64_t)pg_ad, PTE_P | PTE_W | PTE_NX);
	map_page(TEST_PAGE(TP_INVLPG), (uint64_t)pg_inv_a, PTE_P | PTE_W | PTE_NX);
	*pte_slot(TEST_2M_VA, 2, 1) = 0;
	*pte_slot(TEST_1G_VA, 3, 1) = 0;
	flush_tlb();
}

void test_region_init(void)
{
	pg_readonly = page_alloc();
	pg_nx = page_alloc();
	pg_rsvd = page_alloc();
	pg_ustack = page_alloc();
	pg_super = page_alloc();
	pg_ad = page_alloc();
	pg_inv_a = page_alloc();
	pg_inv_b = page_alloc();
	for (int i = 0; i < 512; i++)
		((uint64_t *)pg_readonly)[i] = 0x0101010101010101ull * (uint64_t)(i & 0xff);
	/* mov $0x600d, %eax; ret */
	static const uint8_t code[] = { 0xb8, 0x0d, 0x60, 0x00, 0x00, 0xc3 };
	memcpy(pg_nx, code, sizeof(code));
	*(uint64_t *)pg_inv_a = 0x1111;
	*(uint64_t *)pg_inv_b = 0x2222;
	test_region_reset();
}

static uint64_t read64(uint64_t va)
{
	return *(volatile uint64_t *)va;
}

static void write64(uint64_t va, uint64_t v)
{
	*(volatile uint64_t *)va = v;
}

/* The processor sets A in every paging-structure entry it uses and D in
 * the leaf on a write (SDM Vol. 3A 4.8). */
void t_paging_ad(void)
{
	uint64_t va = TEST_PAGE(TP_AD);
	uint64_t *pte = pte_slot(va, 1, 0), *pde = pte_slot(va, 2, 0);
	uint64_t *pdpte = pte_slot(va, 3, 0), *pml4e = pte_slot(va, 4, 0);
	*pte &= ~(PTE_A | PTE_D);
	*pde &= ~PTE_A;
	*pdpte &= ~PTE_A;
	*pml4e &= ~PTE_A;
	flush_tlb();
	(void)read64(va + 8);
	CHECK((*pte & (PTE_A | PTE_D)) == PTE_A, "PTE after read: A/D = %llu/%llu",
	      (unsigned long long)(*pte >> 5) & 1, (unsigned long long)(*pte >> 6) & 1);
	CHECK(*pde & PTE_A, "PDE.A clear after read");
	CHECK(*pdpte & PTE_A, "PDPTE.A clear after read");
	CHECK(*pml4e & PTE_A, "PML4E.A clear after read");
	write64(va + 8, 42);
	CHECK((*pte & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "PTE after write: A/D = %llu/%llu",
	      (unsigned long long)(*pte >> 5) & 1, (unsigned long long)(*pte >> 6) & 1);
	CHECK_EQ("value written", *(volatile uint64_t *)(pg_ad + 8), 42);
}

/* INVLPG (and a CR3 reload) make a changed PTE visible (SDM Vol. 3A 4.10.4.1). */
void t_paging_invlpg(void)
{
	uint64_t va = TEST_PAGE(TP_INVLPG);
	uint64_t *pte = pte_slot(va, 1, 0);
	CHECK_EQ("before", read64(va), 0x1111);
	*pte = (uint64_t)pg_inv_b | PTE_P | PTE_W | PTE_NX;
	invlpg(va);
	CHECK_EQ("after INVLPG", read64(va), 0x2222);
	*pte = (uint64_t)pg_inv_a | PTE_P | PTE_W | PTE_NX;
	flush_tlb();
	CHECK_EQ("after MOV CR3", read64(va), 0x1111);
	*pte = 0;
	invlpg(va);
	trap_expect(14);
	uint64_t site;
	__asm__ volatile(FAULT_SITE("movq (%1), %%rax") "leaq 1b(%%rip), %0"
			 : "=r"(site) : "r"(va) : "rax", "memory");
	CHECK_EQ("#PF after unmapping + INVLPG", fault_count, 1);
}

/* CR0.WP = 0: supervisor writes ignore R/W; WP = 1: they fault (SDM Vol. 3A 4.6.1). */
void t_paging_wp(void)
{
	uint64_t va = TEST_PAGE(TP_READONLY) + 0x100;
	trap_expect(14);
	write_cr0(read_cr0() & ~(uint64_t)CR0_WP);
	__asm__ volatile(FAULT_SITE("movq %1, (%0)") : : "r"(va), "r"(0x77ull) : "memory");
	write_cr0(read_cr0() | CR0_WP);
	CHECK_EQ("faults with WP=0", fault_count, 0);
	CHECK_EQ("value written with WP=0", *(volatile uint64_t *)(pg_readonly + 0x100), 0x77);
	__asm__ volatile(FAULT_SITE("movq %1, (%0)") : : "r"(va), "r"(0x88ull) : "memory");
	CHECK_EQ("faults with WP=1", fault_count, 1);
	if (fault_count >= 1)
		CHECK_EQ("#PF error code", fault_log[0].error, 3);
	CHECK_EQ("value after WP=1 write", *(volatile uint64_t *)(pg_readonly + 0x100), 0x77);
}

/* PDE with PS = 1 maps 2 MiB (SDM Vol. 3A 4.5.4). */
void t_paging_2m(void)
{
	uint64_t off = (uint64_t)&low_marker;
	CHECK(off < 0x200000, "marker at %#llx beyond 2 MiB", (unsigned long long)off);
	uint64_t *pde = pte_slot(TEST_2M_VA, 2, 1);
	*pde = 0 | PTE_P | PTE_W | PTE_PS | PTE_NX;
	invlpg(TEST_2M_VA + off);
	CHECK_EQ("read through 2 MiB page", read64(TEST_2M_VA + off), low_marker);
	write64(TEST_2M_VA + off, 0x2020202020ull);
	CHECK_EQ("write through 2 MiB page", low_marker, 0x2020202020ull);
	CHECK((*pde & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "2 MiB PDE A/D not both set: %#llx",
	      (unsigned long long)*pde);
	low_marker = 0x2b2b2b2b00c0ffeeull;
}

/* PDPTE with PS = 1 maps 1 GiB if CPUID.80000001H:EDX.Page1GB (SDM Vol. 3A 4.5.4). */
void t_paging_1g(void)
{
	if (!cpu_has_1g_pages()) {
		test_skip("no 1-GByte pages");
		return;
	}
	uint64_t off = (uint64_t)&low_marker;
	uint64_t *pdpte = pte_slot(TEST_1G_VA, 3, 1);
	*pdpte = 0 | PTE_P | PTE_W | PTE_PS | PTE_NX;
	invlpg(TEST_1G_VA + off);
	CHECK_EQ("read through 1 GiB page", read64(TEST_1G_VA + off), low_marker);
	write64(TEST_1G_VA + off, 0x1616161616ull);
	CHECK_EQ("write through 1 GiB page", low_marker, 0x1616161616ull);
	write64((uint64_t)pg_ad + 16, 0x0101161616ull);
	CHECK_EQ("read elsewhere in the 1 GiB page", read64(TEST_1G_VA + (uint64_t)pg_ad + 16), 0x0101161616ull);
	low_marker = 0x2b2b2b2b00c0ffeeull;
}
