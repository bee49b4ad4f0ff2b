/*
 * Multiboot v1 header (Multiboot Specification 0.6.96, 3.1).  Linked into
 * selftest.elf and selftest-mb.elf, not into selftest-pvh.elf: QEMU's
 * -kernel tries Multiboot *before* PVH (hw/i386/x86.c x86_load_linux: "we
 * try multiboot first"), so an image with both boots through Multiboot
 * under QEMU; only an image without this header boots through PVH there.
 */
#include "defs.h"

	/* First thing in the image (it must lie in the first 8 KiB of the
	 * file, 4-byte aligned).  QEMU refuses ELF64 Multiboot kernels
	 * unless flag bit 16 (the "a.out kludge") is set; it then loads the
	 * file flat from load_addr, so file offsets must follow addresses
	 * (linker.ld, check-image.sh). */
	.section .multiboot, "a"
	.balign 4
mb_header:
	.long	MB_HEADER_MAGIC
	.long	MB_HEADER_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	.long	mb_header		/* header_addr */
	.long	__image_start		/* load_addr */
	.long	__load_end		/* load_end_addr: end of file-backed data */
	.long	__image_end		/* bss_end_addr: QEMU puts its info after this */
	.long	mb_entry32		/* entry_addr */

	.section .note.GNU-stack, "", @progbits
