/*
 * Memory and string primitives.  Declared here with their standard
 * prototypes so the same corpus source builds both ways: the hosted build
 * links glibc's versions, the freestanding build links lib/string.c.
 * (This header is not called string.h so it never shadows the system one.)
 */
#ifndef GUEST_MEM_H
#define GUEST_MEM_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
