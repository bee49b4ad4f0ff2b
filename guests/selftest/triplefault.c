/*
 * triplefault.elf: load an empty IDT (limit 0) and raise an exception.
 * The gate is beyond the IDT limit: #GP(vector * 8 + 2); #GP's gate is
 * beyond the limit as well: #DF (contributory + contributory, SDM Vol. 3A
 * "Interrupt 8—Double Fault Exception (#DF)", table "Conditions for
 * Generating a Double Fault"); and #DF's gate too: the processor enters
 * shutdown ("If another exception occurs while attempting to call the
 * double-fault handler, the processor enters shutdown mode").
 *
 * Default trigger: INT3.  With "triplefault.ud2" on the command line
 * (QEMU -append): UD2 instead (kvm-pvm cannot emulate INT3 at CPL 0).
 *
 * Expected: QEMU with -no-reboot exits with status 0 right after the
 * first line; tsvmi reports the vCPU as crashed (triple fault).  The
 * second line appears only if no shutdown happened.
 */
#include <stdint.h>

#include "arch.h"
#include "defs.h"
#include "fmt.h"

extern uint32_t boot_proto, boot_info_ptr;

static const char *cmdline(void)
{
	if (!boot_info_ptr)
		return "";
	uint64_t pa = 0;
	if (boot_proto == BOOT_PVH && *(uint32_t *)(uint64_t)boot_info_ptr == PVH_MAGIC)
		pa = *(uint64_t *)((uint64_t)boot_info_ptr + 24);	/* cmdline_paddr */
	else if (boot_proto == BOOT_MULTIBOOT && (*(uint32_t *)(uint64_t)boot_info_ptr & 4))
		pa = *(uint32_t *)((uint64_t)boot_info_ptr + 16);	/* cmdline */
	return pa && pa < 0x100000000ull ? (const char *)pa : "";
}

static int has_word(const char *s, const char *w)
{
	for (const char *p = s; *p; p++) {
		if (p != s && p[-1] != ' ')
			continue;
		int i = 0;
		while (w[i] && p[i] == w[i])
			i++;
		if (!w[i] && (p[i] == 0 || p[i] == ' '))
			return 1;
	}
	return 0;
}

int selftest_main(void);
int selftest_main(void)
{
	int ud2 = has_word(cmdline(), "triplefault.ud2");
	fmt("triplefault: loading an empty IDT and executing %s\n", ud2 ? "ud2" : "int3");
	struct dtr empty = { 0, 0 };
	lidt(&empty);
	if (ud2)
		__asm__ volatile("ud2");
	else
		__asm__ volatile("int3");
	fmt("triplefault: FAIL still running after the exception\n");
	return 1;
}
