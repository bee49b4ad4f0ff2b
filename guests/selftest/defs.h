/*
 * Constants shared by the self-test kernel's C and assembly sources.
 * Only #defines: this file is included from .S files too.
 */
#ifndef SELFTEST_DEFS_H
#define SELFTEST_DEFS_H

/*
 * GDT layout.  0x18/0x20/0x28 follow the SYSCALL/SYSRET convention
 * (SDM Vol. 2B SYSRET: CS = STAR[63:48] + 16, SS = STAR[63:48] + 8):
 * STAR[63:48] = 0x18 gives user SS 0x23 and user 64-bit CS 0x2b;
 * STAR[47:32] = 0x08 gives kernel CS 0x08 and kernel SS 0x10.
 */
#define SEL_KCODE64	0x08	/* ring 0, 64-bit code (L=1) */
#define SEL_KDATA	0x10	/* ring 0, flat data, B=1 */
#define SEL_UCODE32	0x18	/* ring 3, 32-bit code (SYSRET 32-bit target, unused) */
#define SEL_UDATA	0x20	/* ring 3, flat data */
#define SEL_UCODE64	0x28	/* ring 3, 64-bit code */
#define SEL_KCODE32	0x30	/* ring 0, 32-bit code: boot, AP start-up, compat test */
#define SEL_TSS		0x40	/* 64-bit TSS of the BSP (16-byte descriptor) */
#define SEL_NPDATA	0x50	/* data segment with P=0: #NP / #SS tests */
#define SEL_LDT		0x58	/* LDT descriptor (16 bytes) */
#define SEL_AP_TSS	0x68	/* 64-bit TSS of the AP (16 bytes) */
#define GDT_ENTRIES	15	/* 8-byte slots, through 0x70 */

/* Boot protocol through which the image was entered. */
#define BOOT_PVH	1
#define BOOT_MULTIBOOT	2

#define PVH_MAGIC	0x336ec578	/* hvm_start_info.magic */
#define MB_BOOT_MAGIC	0x2BADB002	/* EAX at a Multiboot v1 entry */
#define MB_HEADER_MAGIC	0x1BADB002
/* Header flags: bit 1 = want memory info, bit 16 = address fields valid
 * (needed for QEMU to load an ELF64 image through Multiboot). */
#define MB_HEADER_FLAGS	0x00010002

/* Interrupt stack table slots (TSS.IST1..). */
#define IST_TEST	1	/* given to #UD's gate by exc-ist */
#define IST_DF		2	/* #DF */
#define IST_NMI		3	/* NMI */

/* Vectors used by the tests. */
#define VEC_TIMER	0x40
#define VEC_LOW		0x48	/* priority class 4 */
#define VEC_MID		0x50	/* priority class 5 */
#define VEC_MID2	0x58	/* priority class 5 */
#define VEC_HIGH	0x68	/* priority class 6 */
#define VEC_SELF_IPI	0x60
#define VEC_AP_IPI	0x70	/* BSP -> AP */
#define VEC_BSP_IPI	0x71	/* AP -> BSP */
#define VEC_X2APIC	0x78
#define VEC_SYSCALL80	0x80	/* DPL 3 gate: ring-3 "system call" */
#define VEC_DPL0	0x81	/* DPL 0 gate: INT from ring 3 must #GP */
#define VEC_SPURIOUS	0xff

/* Requests of the ring-3 programs (RAX at int 0x80 / syscall). */
#define SYS_EXIT	60	/* return to the kernel; RDI = result */
#define SYS_TEST	1	/* syscall test: record and SYSRET */

/* Test region: PML4 slot 1, everything the paging/ring-3 tests map. */
#define TEST_BASE	0x0000008000000000
#define TEST_PAGE(n)	(TEST_BASE + (n) * 0x1000)
#define TP_NOTPRESENT	0	/* never mapped */
#define TP_READONLY	1	/* supervisor, read-only */
#define TP_NX		2	/* supervisor, contains code, NX=1 */
#define TP_RSVD		3	/* PTE with a reserved bit (51) set */
#define TP_USER_CODE	4	/* 4..7: alias of .text.user, U=1 */
#define TP_USER_STACK	8	/* U=1, writable */
#define TP_SUPERVISOR	9	/* U=0, writable: ring-3 access must #PF */
#define TP_AD		10	/* accessed/dirty test page */
#define TP_INVLPG	11	/* remapped by the INVLPG test */
#define TEST_2M_VA	(TEST_BASE + 0x200000)		/* PD slot 1 */
#define TEST_1G_VA	(TEST_BASE + 0x40000000)	/* PDPT slot 1 */

/* AP start-up trampoline: real-mode code copied here (SIPI vector 0x08). */
#define TRAMPOLINE_BASE	0x8000

#define DEBUG_EXIT_PORT	0xf4

#endif
