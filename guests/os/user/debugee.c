/*
 * Uses the debug features on itself, with global labels at each site so a
 * test can compare the kernel's reports with this program's symbols:
 *   debugee_int3          the int3 (kernel: "#BP int3 at rip=<this>")
 *   debugee_step_region   first instruction executed with TF set
 *   debugee_store1/2      the watched writes; debugee_after_store1/2 are
 *                         the trap RIPs the kernel reports
 */
#include "ulib.h"

extern const char debugee_int3[], debugee_step_region[], debugee_after_store1[],
	debugee_after_store2[];

static volatile uint64_t watched __attribute__((aligned(8)));

int main(void)
{
	uint64_t counter = 0, seen;

	printf("start\n");
	printf("int3 at 0x%lx\n", (unsigned long)debugee_int3);
	__asm__ volatile(".globl debugee_int3\ndebugee_int3:\n\tint3" ::: "memory");
	printf("resumed after int3\n");

	/*
	 * TF on for eight increments; the kernel clears TF after four
	 * single-step traps, and the popfq at the end clears it anyway.
	 * (-mno-red-zone: pushfq below RSP is safe.)
	 */
	printf("single-step region at 0x%lx\n", (unsigned long)debugee_step_region);
	__asm__ volatile(
		"pushfq\n\t"
		"orq $0x100, (%%rsp)\n\t"
		"popfq\n"
		".globl debugee_step_region\n"
		"debugee_step_region:\n\t"
		"incq %0\n\t"
		"incq %0\n\t"
		"incq %0\n\t"
		"incq %0\n\t"
		"incq %0\n\t"
		"incq %0\n\t"
		"incq %0\n\t"
		"incq %0\n\t"
		"pushfq\n\t"
		"andq $~0x100, (%%rsp)\n\t"
		"popfq"
		: "+r"(counter)
		:
		: "cc", "memory");
	printf("single-step region done: counter=%lu\n", (unsigned long)counter);

	long r = watch(&watched, sizeof(watched));
	printf("watch(0x%lx, 8) = %ld; stores end at 0x%lx and 0x%lx\n", (unsigned long)&watched, r,
	       (unsigned long)debugee_after_store1, (unsigned long)debugee_after_store2);
	__asm__ volatile(
		".globl debugee_store1, debugee_after_store1\n"
		"debugee_store1:\n\t"
		"movq $1, %0\n"
		"debugee_after_store1:\n"
		".globl debugee_store2, debugee_after_store2\n"
		"debugee_store2:\n\t"
		"movq $2, %0\n"
		"debugee_after_store2:"
		: "=m"(watched)
		:
		: "memory");
	seen = watched; /* a read: no trap */
	watch(NULL, 0);
	watched = 3; /* no longer watched: no trap */
	printf("done: read %lu, final value %lu\n", (unsigned long)seen, (unsigned long)watched);
	return 0;
}
