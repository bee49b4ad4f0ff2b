/* The demo OS's x86 helpers beyond the shared wrappers in lib/x86-insn.h. */
#ifndef OS_X86_H
#define OS_X86_H

#include <stdint.h>

#include "x86-insn.h"

/* STI's interrupt shadow makes "sti; hlt" free of the lost-wakeup race. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }


#endif
