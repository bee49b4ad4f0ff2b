/*
 * trap_dispatch(): the C side of every IDT vector.  See trap.h.
 */
#include <stddef.h>

#include "arch.h"
#include "apic.h"
#include "desc.h"
#include "selftest.h"
#include "trap.h"

struct fault fault_log[FAULT_LOG_SIZE];
volatile int fault_count;
volatile uint64_t fault_resume;

static trap_hook hooks[256];
static uint8_t armed[256];

struct st_jmpbuf test_abort_jb;
volatile int test_abort_armed;
volatile uint32_t bsp_apic_id;

/* Unexpected events on the AP: it cannot abort a BSP test, so it parks. */
volatile uint64_t ap_unexpected_vector = ~0ull;
volatile uint64_t ap_unexpected_rip;

struct fixup { uint64_t site, resume; };
extern const struct fixup __fixup_start[], __fixup_end[];
extern char __user_text_start[], __user_text_end[];

static const char *const names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "rsvd15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "rsvd22", "rsvd23",
	"rsvd24", "rsvd25", "rsvd26", "rsvd27", "#HV", "#VC", "#SX", "rsvd31",
};

const char *vector_name(uint64_t vector)
{
	return vector < 32 ? names[vector] : "interrupt";
}

void trap_set_hook(int vector, trap_hook hook)
{
	hooks[vector] = hook;
}

void trap_expect(int vector)
{
	armed[vector] = 1;
}

void trap_reset(void)
{
	for (int i = 0; i < 256; i++) {
		armed[i] = 0;
		if (i != VEC_SPURIOUS)
			hooks[i] = NULL;
	}
	fault_count = 0;
	fault_resume = 0;
}

/* IA32_APIC_BASE.BSP is per processor and needs no APIC mode. */
int this_cpu_is_bsp(void)
{
	return (rdmsr(MSR_APIC_BASE) & APIC_BASE_BSP) != 0;
}

void trap_frame_to_fault(const struct trap_frame *f, struct fault *out)
{
	out->vector = f->vector;
	out->error = f->error;
	out->rip = f->rip;
	out->cs = f->cs;
	out->rflags = f->rflags;
	out->rsp = f->rsp;
	out->ss = f->ss;
	out->cr2 = read_cr2();
	out->dr6 = read_dr6();
	out->frame_top = (uint64_t)(&f->ss + 1);
	out->rax = f->rax;
	out->rbx = f->rbx;
	out->rdi = f->rdi;
}

/* Ring-3 code runs from an alias of .user_text; map RIPs both ways. */
static uint64_t user_to_link(uint64_t rip)
{
	uint64_t size = (uint64_t)(__user_text_end - __user_text_start);
	uint64_t base = TEST_PAGE(TP_USER_CODE);
	if (rip >= base && rip < base + size)
		return rip - base + (uint64_t)__user_text_start;
	return rip;
}

static uint64_t link_to_user(uint64_t addr, uint64_t like)
{
	if (user_to_link(like) != like)
		return addr - (uint64_t)__user_text_start + TEST_PAGE(TP_USER_CODE);
	return addr;
}

static uint64_t fixup_lookup(uint64_t rip)
{
	uint64_t link = user_to_link(rip);
	for (const struct fixup *x = __fixup_start; x < __fixup_end; x++)
		if (x->site == link)
			return link_to_user(x->resume, rip);
	return 0;
}

/* Trap-class events: the saved RIP already points past the instruction. */
static int is_trap_class(uint64_t vector)
{
	return vector == 3 || vector == 4 || vector == 1 || vector >= 32;
}

static void unexpected(struct trap_frame *f)
{
	if (!this_cpu_is_bsp()) {
		ap_unexpected_vector = f->vector;
		ap_unexpected_rip = f->rip;
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	test_fail("unexpected %s (vector %llu) error %#llx at rip %#llx cs %#llx cr2 %#llx",
		  vector_name(f->vector), (unsigned long long)f->vector,
		  (unsigned long long)f->error, (unsigned long long)f->rip,
		  (unsigned long long)f->cs, (unsigned long long)read_cr2());
	if (test_abort_armed) {
		test_abort_armed = 0;
		st_longjmp(&test_abort_jb, 1);
	}
	/* Outside a test: nothing sensible to return to. */
	fmt("selftest: fatal: unexpected %s outside a test\n", vector_name(f->vector));
	outl(DEBUG_EXIT_PORT, 0x7f);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	uint64_t v = f->vector;

	if (hooks[v]) {
		hooks[v](f);
		return;
	}
	if (!armed[v] || !this_cpu_is_bsp()) {
		unexpected(f);
		return;
	}
	if (fault_count < FAULT_LOG_SIZE)
		trap_frame_to_fault(f, &fault_log[fault_count]);
	fault_count++;

	uint64_t resume = fixup_lookup(f->rip);
	if (resume) {
		f->rip = resume;
	} else if (fault_resume) {
		f->rip = fault_resume;
		fault_resume = 0;
	} else if (!is_trap_class(v)) {
		/* Returning would re-execute the faulting instruction forever. */
		unexpected(f);
	}
}
