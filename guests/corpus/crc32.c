/*
 * CRC-32 (IEEE 802.3, reflected poly 0xedb88320) and CRC-32C (Castagnoli,
 * 0x82f63b78), each computed three ways that must agree:
 *   bitwise         one shift/conditional-xor per bit
 *   table           classic 256-entry table, one byte per step
 *   slice-by-4      four tables, 32-bit loads, four bytes per step
 */
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"
#include "mem.h"

#define POLY_IEEE 0xedb88320u
#define POLY_CASTAGNOLI 0x82f63b78u

struct crc {
	const char *name;
	uint32_t poly;
	uint32_t table[4][256];
};

static uint32_t crc_bitwise(uint32_t poly, uint32_t crc, const uint8_t *p,
			    size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (poly & -(crc & 1));
	}
	return ~crc;
}

static void crc_init(struct crc *c, const char *name, uint32_t poly)
{
	c->name = name;
	c->poly = poly;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t r = i;
		for (int k = 0; k < 8; k++)
			r = r & 1 ? (r >> 1) ^ poly : r >> 1;
		c->table[0][i] = r;
	}
	/* table[k][i]: CRC of byte i followed by k zero bytes. */
	for (int k = 1; k < 4; k++)
		for (int i = 0; i < 256; i++)
			c->table[k][i] = (c->table[k - 1][i] >> 8) ^
					 c->table[0][c->table[k - 1][i] & 0xff];
}

static uint32_t crc_table(const struct crc *c, uint32_t crc, const uint8_t *p,
			  size_t n)
{
	crc = ~crc;
	while (n--)
		crc = (crc >> 8) ^ c->table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

static uint32_t crc_slice4(const struct crc *c, uint32_t crc, const uint8_t *p,
			   size_t n)
{
	crc = ~crc;
	for (; n >= 4; n -= 4, p += 4) {
		uint32_t w;
		memcpy(&w, p, 4); /* unaligned little-endian load */
		crc ^= w;
		crc = c->table[3][crc & 0xff] ^ c->table[2][(crc >> 8) & 0xff] ^
		      c->table[1][(crc >> 16) & 0xff] ^ c->table[0][crc >> 24];
	}
	while (n--)
		crc = (crc >> 8) ^ c->table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

static struct crc ieee, castagnoli;
static uint8_t data[4096 + 3];
static int failures;

static void check(const struct crc *c, const char *label, const uint8_t *p,
		  size_t n, int have_expect, uint32_t expect)
{
	uint32_t a = crc_bitwise(c->poly, 0, p, n);
	uint32_t b = crc_table(c, 0, p, n);
	uint32_t d = crc_slice4(c, 0, p, n);
	int ok = a == b && b == d && (!have_expect || a == expect);

	failures += !ok;
	fmt("%-7s %-22s len %4zu  crc %08x  %s\n", c->name, label, n, a,
	    ok ? "ok" : "MISMATCH");
	if (!ok)
		fmt("        bitwise %08x table %08x slice4 %08x expect %08x\n",
		    a, b, d, expect);
}

int main(void)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	uint32_t x = 0x12345678;

	crc_init(&ieee, "CRC32", POLY_IEEE);
	crc_init(&castagnoli, "CRC32C", POLY_CASTAGNOLI);

	fmt("CRC tables (first entries):\n");
	for (int i = 0; i < 8; i++)
		fmt("  [%d] %08x %08x\n", i, ieee.table[0][i],
		    castagnoli.table[0][i]);
	fmt("  [255] %08x %08x\n", ieee.table[0][255], castagnoli.table[0][255]);

	/* Pseudo-random test data (xorshift32). */
	for (size_t i = 0; i < sizeof(data); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (uint8_t)x;
	}

	check(&ieee, "empty", (const uint8_t *)"", 0, 1, 0);
	check(&ieee, "\"123456789\"", (const uint8_t *)"123456789", 9, 1,
	      0xcbf43926);
	check(&ieee, "quick brown fox", (const uint8_t *)fox, sizeof(fox) - 1, 1,
	      0x414fa339);
	check(&castagnoli, "\"123456789\"", (const uint8_t *)"123456789", 9, 1,
	      0xe3069283);

	/* All alignments and tail lengths of the slice-by-4 loop. */
	for (size_t off = 0; off < 4; off++) {
		for (size_t n = 4093; n <= 4096; n++) {
			char label[32];
			sfmt(label, sizeof(label), "random+%zu", off);
			check(&ieee, label, data + off, n - off, 0, 0);
			check(&castagnoli, label, data + off, n - off, 0, 0);
		}
	}

	/* Incremental: CRC of pieces chained == CRC of the whole. */
	uint32_t whole = crc_table(&ieee, 0, data, 4096);
	uint32_t chained = 0;
	for (size_t off = 0, step = 1; off < 4096; off += step, step = step * 3 % 257) {
		size_t n = 4096 - off < step ? 4096 - off : step;
		chained = crc_slice4(&ieee, chained, data + off, n);
	}
	failures += whole != chained;
	fmt("incremental %08x vs whole %08x  %s\n", chained, whole,
	    whole == chained ? "ok" : "MISMATCH");

	fmt("%s\n", failures ? "SOME CRCS WRONG" : "all crcs ok");
	return failures;
}
