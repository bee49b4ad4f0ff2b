/*
 * Compiler runtime helpers for the freestanding build (the part of libgcc
 * we need; the image is linked with -nostdlib, so nothing else provides it).
 *
 * Baseline x86-64 has no POPCNT instruction, so gcc lowers
 * __builtin_popcount{,l,ll} to a call to __popcountdi2.  The branch-free
 * SWAR version below contains no loop that gcc could turn back into a
 * popcount call.
 */
#include <stdint.h>

int __popcountdi2(uint64_t x);

int __popcountdi2(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (int)((x * 0x0101010101010101ull) >> 56);
}
