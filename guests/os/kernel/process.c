/*
 * User processes: an address space (own PML4, kernel half shared), the
 * program's ELF segments at their link addresses, a user stack below
 * USER_STACK_TOP, a kernel stack whose top holds the trapframe that
 * enters ring 3 at the ELF entry point.
 */
#include "arch.h"

struct program {
	const char *name;
	const uint8_t *start, *end;
};
extern const struct program programs[NR_PROGRAMS];

/* ELF64 (System V gABI), only what a static executable needs. */
struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD 1

/* Copy len bytes into the user space of pml4 at va (pages exist). */
static void copy_to_space(uint64_t pml4, uint64_t va, const uint8_t *src, uint64_t len)
{
	while (len) {
		uint64_t off = va & (PAGE_SIZE - 1), n = PAGE_SIZE - off;
		if (n > len)
			n = len;
		memcpy((uint8_t *)phys_to_virt(vm_user_lookup(pml4, va)) + off, src, n);
		va += n;
		src += n;
		len -= n;
	}
}

static long map_range(uint64_t pml4, uint64_t va, uint64_t len)
{
	for (uint64_t p = va & ~(PAGE_SIZE - 1); p < va + len; p += PAGE_SIZE) {
		if (vm_user_lookup(pml4, p))
			continue; /* segments may share a page */
		uint64_t pa = alloc_pages(1);
		if (!pa)
			return -ENOMEM;
		if (vm_map_user_page(pml4, p, pa) < 0) {
			free_pages(pa, 1);
			return -ENOMEM;
		}
	}
	return 0;
}

static long load_elf(uint64_t pml4, const uint8_t *img, size_t size, uint64_t *entry)
{
	const struct elf64_ehdr *eh = (const void *)img;

	if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) != 0 || eh->ident[4] != 2 ||
	    eh->machine != 62 || eh->type != 2 || eh->phentsize != sizeof(struct elf64_phdr) ||
	    eh->phoff + (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size)
		return -EINVAL;
	for (int i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph = (const void *)(img + eh->phoff + i * sizeof(*ph));

		if (ph->type != PT_LOAD || ph->memsz == 0)
			continue;
		if (ph->vaddr < USER_BASE || ph->memsz > USER_STACK_TOP ||
		    ph->vaddr + ph->memsz > USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE ||
		    ph->filesz > ph->memsz || ph->offset + ph->filesz > size)
			return -EINVAL;
		long r = map_range(pml4, ph->vaddr, ph->memsz);
		if (r < 0)
			return r;
		copy_to_space(pml4, ph->vaddr, img + ph->offset, ph->filesz);
		/* the rest up to memsz (.bss) is already zero: fresh pages */
	}
	*entry = eh->entry;
	return 0;
}

long process_spawn(int program, struct task *parent)
{
	if (program < 0 || program >= NR_PROGRAMS)
		return -EINVAL;
	const struct program *prog = &programs[program];
	struct task *t = task_alloc();
	uint64_t entry = 0, kstack;
	long r;

	if (!t)
		return -ENOMEM;
	t->program = program;
	t->parent = parent;
	for (int i = 0; i < TASK_NAME_LEN - 1 && prog->name[i]; i++)
		t->name[i] = prog->name[i];

	t->cr3 = vm_new_space();
	kstack = alloc_pages(KSTACK_PAGES);
	if (!t->cr3 || !kstack) {
		r = -ENOMEM;
		goto fail;
	}
	t->kstack_base = (uint64_t)phys_to_virt(kstack);
	t->kstack_top = t->kstack_base + KSTACK_SIZE;

	r = load_elf(t->cr3, prog->start, (size_t)(prog->end - prog->start), &entry);
	if (r == 0)
		r = map_range(t->cr3, USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE,
			      USER_STACK_PAGES * PAGE_SIZE);
	if (r < 0)
		goto fail;

	/* First entry to ring 3: the frame isr_exit pops, and below it what
	 * switch_to pops (six callee-saved registers and the return address). */
	struct trapframe *tf = (struct trapframe *)(t->kstack_top - sizeof(*tf));
	tf->rip = entry;
	tf->cs = USER_CS;
	tf->rflags = RFLAGS_IF | 0x2;
	tf->rsp = USER_STACK_TOP;
	tf->ss = USER_DS;
	uint64_t *sp = (uint64_t *)tf;
	*--sp = (uint64_t)task_first_run;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	t->ksp = (uint64_t)sp;

	spin_lock(&rq_lock);
	t->pid = task_next_pid();
	task_link(t);
	wake_locked(t);
	spin_unlock(&rq_lock);
	return t->pid;

fail:
	process_free(t);
	task_release(t);
	return r;
}

/* Free what a (reaped or never started) process owns, except its slot. */
void process_free(struct task *t)
{
	if (t->cr3) {
		vm_free_space(t->cr3);
		t->cr3 = 0;
	}
	if (t->kstack_base) {
		free_pages(virt_to_phys((void *)t->kstack_base), KSTACK_PAGES);
		t->kstack_base = t->kstack_top = 0;
	}
}
