/*
 * SHA-256 (FIPS 180-4) of fixed messages, checked against known digests.
 *
 * Exercises 32-bit rotates, shifts and adds, big-endian loads/stores and
 * the message-buffering logic (messages of 0, 1 and several blocks, and
 * data fed in uneven pieces).
 */
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"
#include "mem.h"
#include "sha256_compress.h"

struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	size_t fill;    /* bytes buffered in block[] */
	uint64_t total; /* message length in bytes */
};

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof(iv));
	s->fill = 0;
	s->total = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->total += len;
	while (len > 0) {
		size_t n = 64 - s->fill;
		if (n > len)
			n = len;
		memcpy(s->block + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill == 64) {
			sha256_compress(s->h, s->block);
			s->fill = 0;
		}
	}
}

static void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->total * 8;

	/* 0x80, zeros up to 56 mod 64, then the 64-bit big-endian length. */
	s->block[s->fill++] = 0x80;
	if (s->fill > 56) {
		memset(s->block + s->fill, 0, 64 - s->fill);
		sha256_compress(s->h, s->block);
		s->fill = 0;
	}
	memset(s->block + s->fill, 0, 56 - s->fill);
	store_be32(s->block + 56, (uint32_t)(bits >> 32));
	store_be32(s->block + 60, (uint32_t)bits);
	sha256_compress(s->h, s->block);

	for (int i = 0; i < 8; i++)
		store_be32(out + 4 * i, s->h[i]);
}

static void to_hex(const uint8_t *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int failures;

static void report(const char *label, struct sha256 *s, const char *expect)
{
	uint8_t digest[32];
	char hex[65];

	sha256_final(s, digest);
	to_hex(digest, sizeof(digest), hex);
	int ok = strcmp(hex, expect) == 0;
	failures += !ok;
	fmt("%-28s %s %s\n", label, hex, ok ? "ok" : "MISMATCH");
}

static void digest_string(const char *label, const char *msg, const char *expect)
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, msg, strlen(msg));
	report(label, &s, expect);
}

int main(void)
{
	static uint8_t buf[1000];
	struct sha256 s;

	fmt("SHA-256\n");

	digest_string("\"\"", "",
		      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_string("\"abc\"", "abc",
		      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	digest_string("448-bit NIST message",
		      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	digest_string("896-bit NIST message",
		      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	digest_string("quick brown fox",
		      "The quick brown fox jumps over the lazy dog",
		      "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");

	/* 1000 x 'a', fed in pieces of 1, 2, 3, ... bytes. */
	memset(buf, 'a', sizeof(buf));
	sha256_init(&s);
	for (size_t off = 0, step = 1; off < sizeof(buf); off += step, step++) {
		size_t n = sizeof(buf) - off < step ? sizeof(buf) - off : step;
		sha256_update(&s, buf + off, n);
	}
	report("1000 x 'a' (uneven pieces)", &s,
	       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");

	/* Lengths 55/56/63/64/65 straddle the padding boundary. */
	static const struct {
		size_t len;
		const char *digest;
	} edges[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
		char label[32];
		sha256_init(&s);
		sha256_update(&s, buf, edges[i].len);
		sfmt(label, sizeof(label), "%zu x 'a'", edges[i].len);
		report(label, &s, edges[i].digest);
	}

	fmt("%s\n", failures ? "SOME DIGESTS WRONG" : "all digests ok");
	return failures;
}
