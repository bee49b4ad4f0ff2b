/* Small compiler helpers shared by the corpus programs. */
#ifndef GUEST_COMPILER_H
#define GUEST_COMPILER_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NOINLINE __attribute__((noinline))

/*
 * Make gcc forget what it knows about a value, so that arithmetic on
 * constant inputs really happens at run time instead of being folded
 * away at -O2.  Costs no instructions.
 */
#define OPAQUE(x) __asm__("" : "+r"(x))

#endif
