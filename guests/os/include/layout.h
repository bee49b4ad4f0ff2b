/*
 * Constants shared by the kernel's C and assembly sources (and, for the
 * user/kernel ABI, by the user programs).  No C declarations outside the
 * !__ASSEMBLER__ block, so any .S file may include this.
 */
#ifndef OS_LAYOUT_H
#define OS_LAYOUT_H

/* ---- virtual memory layout ------------------------------------------- */

/* The kernel image: virtual KERNEL_VMA + p maps physical p (0..1 GiB). */
#define KERNEL_VMA	0xffffffff80000000
#define KERNEL_PHYS	0x100000		/* load address: 1 MiB */
/* Direct map of physical 0..4 GiB (2 MiB pages; 3..4 GiB uncached). */
#define PHYSMAP_BASE	0xffff800000000000
#define PHYSMAP_SIZE	0x100000000

/* User address space: the low half, PML4 entries 0..255. */
#define USER_BASE	0x400000		/* user programs link here */
#define USER_STACK_TOP	0x800000		/* initial user RSP */
#define USER_STACK_PAGES 4
#define USER_LIMIT	0x0000800000000000	/* first non-user address */

/* ---- physical memory used at fixed addresses ------------------------- */

#define TRAMPOLINE_BASE	0x8000			/* AP real-mode start-up code */
#define SIPI_VECTOR	(TRAMPOLINE_BASE >> 12)

/* ---- segment selectors (GDT layout, see kernel/desc.c) --------------- */

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define USER32_CS	0x1b	/* 0x18 | RPL 3: compat-mode code, unused */
#define USER_DS		0x23	/* 0x20 | RPL 3 */
#define USER_CS		0x2b	/* 0x28 | RPL 3 */
#define TSS_SEL(cpu)	(0x30 + 16 * (cpu))	/* 16-byte system descriptors */
#define GDT_ENTRIES	(6 + 2 * MAX_CPUS)

/* STAR[47:32] -> SYSCALL CS = 0x08, SS = 0x10;
 * STAR[63:48] = 0x1b -> SYSRET64 CS = 0x1b + 16 = 0x2b, SS = 0x1b + 8 = 0x23 */
#define STAR_VALUE	((0x1bULL << 48) | ((unsigned long long)KERNEL_CS << 32))

#define MAX_CPUS	16

/* ---- interrupt vectors ----------------------------------------------- */

#define VEC_DB		1
#define VEC_NMI		2
#define VEC_BP		3
#define VEC_DF		8
#define VEC_GP		13
#define VEC_PF		14
#define VEC_MC		18
#define VEC_TIMER	0x20	/* LAPIC timer */
#define VEC_RESCHED	0xf0	/* IPI: "the run queue has work" */
#define VEC_STOP	0xf1	/* IPI: "stop this CPU" (panic, shutdown) */
#define VEC_APIC_ERROR	0xfe
#define VEC_SPURIOUS	0xff
#define VEC_SYSCALL	0x100	/* pseudo-vector stored in SYSCALL frames */

/* IST slots (TSS.IST1..7) */
#define IST_DF		1
#define IST_NMI		2
#define IST_DB		3
#define IST_MC		4

/* ---- MSRs and control bits ------------------------------------------- */

#define MSR_APIC_BASE	0x1b
#define MSR_EFER	0xc0000080
#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_CSTAR	0xc0000083
#define MSR_FMASK	0xc0000084
#define MSR_FS_BASE	0xc0000100
#define MSR_GS_BASE	0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#define EFER_SCE	(1 << 0)
#define EFER_LME	(1 << 8)

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)

#define RFLAGS_TF	(1 << 8)
#define RFLAGS_IF	(1 << 9)
#define RFLAGS_DF	(1 << 10)
#define RFLAGS_NT	(1 << 14)
#define RFLAGS_AC	(1 << 18)
/* SYSCALL clears these (Linux's choice: TF, DF, IF, IOPL, AC, NT). */
#define SYSCALL_FMASK	0x47700

/* ---- devices --------------------------------------------------------- */

#define COM1		0x3f8
#define DEBUG_EXIT_PORT	0xf4
#define LAPIC_PHYS	0xfee00000
#define IOAPIC_PHYS	0xfec00000

/* LAPIC timer: divide by 16, periodic, this initial count = one tick. */
#define TIMER_INITIAL_COUNT 100000

/* ---- PVH -------------------------------------------------------------- */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC	0x336ec578

#endif
