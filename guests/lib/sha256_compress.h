/* The SHA-256 compression function (FIPS 180-4 §6.2.2), shared by the corpus. */
#ifndef SHA256_COMPRESS_H
#define SHA256_COMPRESS_H

#include <stdint.h>

/* Fold one 512-bit block, given as 16 message words, into the state h. */
void sha256_compress_words(uint32_t h[8], const uint32_t m[16]);

/* Fold one 64-byte block (big-endian words, as the standard stores them) into h. */
void sha256_compress(uint32_t h[8], const uint8_t block[64]);

#endif
