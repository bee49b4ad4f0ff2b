/*
 * Xen PVH entry note (xen/include/public/elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY
 * = 18).  Its presence makes QEMU's -kernel (and tsvmi) boot the image
 * through PVH; selftest-mb.elf is linked without this object so that QEMU
 * falls back to the Multiboot header.  The descriptor is 8 bytes, as in
 * Linux (_ASM_PTR): QEMU reads a size_t from it for ELF64 images.
 */
	.section .note.Xen, "a", @note
	.balign	4
	.long	4			/* namesz: "Xen\0" */
	.long	8			/* descsz */
	.long	18			/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz	"Xen"
	.balign	4
	.quad	pvh_entry32
	.balign	4

	.section .note.GNU-stack, "", @progbits
