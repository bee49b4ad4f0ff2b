/* Writes to address 0: the kernel must kill it (exit code 128 + 14) and go on. */
#include "ulib.h"

int main(void)
{
	uintptr_t addr = 0;

	__asm__("" : "+r"(addr)); /* hide the null pointer from the optimiser */
	printf("writing to address 0x%lx\n", (unsigned long)addr);
	__asm__ volatile(".globl faulter_store\nfaulter_store:\n\tmovl $1, (%0)" : : "r"(addr) : "memory");
	printf("still alive after the store: the kernel did not kill me\n");
	return 1;
}
