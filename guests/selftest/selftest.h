/*
 * The self-test harness: every check is a function run by main.c, which
 * prints "selftest: <name>: " before it and "ok", "ok (<note>)",
 * "skip (<reason>)" or "FAIL <details>" after it.
 */
#ifndef SELFTEST_H
#define SELFTEST_H

#include <stdint.h>

#include "defs.h"
#include "fmt.h"

/* Record a failure (several are joined with "; "). */
void test_fail(const char *format, ...) FMT_PRINTF(1, 2);
/* Text after "ok": must be deterministic (same under QEMU and tsvmi). */
void test_note(const char *format, ...) FMT_PRINTF(1, 2);
/* The check cannot run on this machine (e.g. 1 CPU, feature absent). */
void test_skip(const char *format, ...) FMT_PRINTF(1, 2);
int test_failed(void);
/* Set by a check that wrote its own "ok" (io-string-out, via REP OUTSB). */
extern int test_output_ok_printed;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			test_fail(__VA_ARGS__);				\
	} while (0)

#define CHECK_EQ(what, got, want)					\
	do {								\
		unsigned long long got_ = (unsigned long long)(got);	\
		unsigned long long want_ = (unsigned long long)(want);	\
		if (got_ != want_)					\
			test_fail("%s = %#llx, want %#llx", (what), got_, want_); \
	} while (0)

/* Bounded waits: iteration counts, never wall time. */
#define SPIN_LONG	50000000u	/* waiting for something that must come */
#define SPIN_SHORT	200000u		/* checking that nothing comes */

/* Boot information, copied out of the loader's structures early. */
#define MAX_MEMMAP 32
struct memmap_entry { uint64_t addr, size; uint32_t type; };
struct boot_info {
	int proto;			/* BOOT_PVH / BOOT_MULTIBOOT */
	uint32_t magic;			/* PVH start-info magic or Multiboot EAX */
	uint32_t version;		/* PVH start-info version */
	uint32_t flags;			/* PVH or Multiboot flags */
	uint64_t rsdp;			/* PVH rsdp_paddr (0 if none) */
	int nmemmap;
	struct memmap_entry memmap[MAX_MEMMAP];
	char cmdline[256];
};
extern struct boot_info boot;
void boot_info_copy(void);
extern char __image_start[], __image_end[];

/* Results of ACPI parsing, used by fw_cfg, APIC and SMP checks. */
#define MAX_CPUS 16
struct platform {
	int acpi_ok;
	int ncpus;			/* enabled processors in the MADT */
	uint32_t apic_ids[MAX_CPUS];
	uint64_t lapic_addr;
	uint64_t ioapic_addr;		/* 0 if none */
};
extern struct platform plat;

/* Page-table helpers (paging.c). */
#define PTE_P	(1ull << 0)
#define PTE_W	(1ull << 1)
#define PTE_U	(1ull << 2)
#define PTE_PWT	(1ull << 3)
#define PTE_PCD	(1ull << 4)
#define PTE_A	(1ull << 5)
#define PTE_D	(1ull << 6)
#define PTE_PS	(1ull << 7)
#define PTE_NX	(1ull << 63)
void *page_alloc(void);
uint64_t *pte_slot(uint64_t va, int level, int create);	/* level 1 = PTE */
void map_page(uint64_t va, uint64_t pa, uint64_t flags);
void test_region_init(void);
void test_region_reset(void);
int cpu_has_1g_pages(void);

#endif
