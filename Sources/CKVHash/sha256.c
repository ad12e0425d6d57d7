/*
 * sha256.c - one-shot SHA-256 (FIPS 180-4) for kvreplay, plus base64.
 *
 * Two implementations:
 *   - x86-64 SHA extensions ("SHA-NI": SHA256RNDS2 / SHA256MSG1 / SHA256MSG2),
 *     compiled with target("sha,sse4.1,ssse3") and selected once at run time
 *     from CPUID (leaf 7 EBX bit 29 = SHA, leaf 1 ECX bits 19/9 = SSE4.1/SSSE3).
 *     Setting the environment variable KV_SHA256_NO_SHANI=1 before the first
 *     hash forces the portable path (for testing/benchmarking).
 *   - portable C (any architecture, any endianness).
 *
 * The hot case is one-shot hashing of short messages (40-120 bytes): no heap
 * allocation; on the SHA-NI path the state stays in registers for the whole
 * message and the padded final block(s) are assembled in registers (no stack
 * buffer round trip, see shani_oneshot).
 *
 * Written for kvreplay from FIPS 180-4 and Intel's SHA extensions documentation.
 */
#include "ckvhash.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define KV_HAVE_X86_SHANI 1
#else
#define KV_HAVE_X86_SHANI 0
#endif

#define KV_ALWAYS_INLINE inline __attribute__((always_inline))

/* FIPS 180-4 section 4.2.2: first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t K256[64] __attribute__((aligned(16))) = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

/* FIPS 180-4 section 5.3.3: initial hash value H(0). */
static const uint32_t IV256[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

static KV_ALWAYS_INLINE uint32_t load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static KV_ALWAYS_INLINE void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static KV_ALWAYS_INLINE void store_be64(uint8_t *p, uint64_t v) {
    store_be32(p, (uint32_t)(v >> 32));
    store_be32(p + 4, (uint32_t)v);
}

/*
 * Builds the padded final block(s) for a message of `len` bytes whose last
 * `rem` (< 64) bytes are at `tail`: tail || 0x80 || zeros || bitlen (BE64).
 * Returns the number of blocks written to buf (1 or 2).
 */
static KV_ALWAYS_INLINE size_t build_tail(uint8_t buf[128], const uint8_t *tail, size_t rem, size_t len) {
    size_t nblocks = (rem + 9 <= 64) ? 1 : 2;
    size_t total = nblocks * 64;
    if (rem) memcpy(buf, tail, rem);
    buf[rem] = 0x80;
    memset(buf + rem + 1, 0, total - 8 - (rem + 1));
    store_be64(buf + total - 8, (uint64_t)len << 3);
    return nblocks;
}

static KV_ALWAYS_INLINE void digest_from_state(const uint32_t st[8], uint8_t out[32]) {
    for (int i = 0; i < 8; i++) store_be32(out + 4 * i, st[i]);
}

/* ------------------------------------------------------------------------- */
/* Portable implementation                                                    */
/* ------------------------------------------------------------------------- */

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BSIG0(x) (ROR32(x, 2) ^ ROR32(x, 13) ^ ROR32(x, 22))
#define BSIG1(x) (ROR32(x, 6) ^ ROR32(x, 11) ^ ROR32(x, 25))
#define SSIG0(x) (ROR32(x, 7) ^ ROR32(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROR32(x, 17) ^ ROR32(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

/* One round; the caller rotates the variable names instead of the values. */
#define PROUND(a, b, c, d, e, f, g, h, i)                                   \
    do {                                                                    \
        uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + K256[i] + W[i];       \
        uint32_t t2_ = BSIG0(a) + MAJ(a, b, c);                             \
        (d) += t1_;                                                         \
        (h) = t1_ + t2_;                                                    \
    } while (0)

static KV_ALWAYS_INLINE void portable_block(uint32_t st[8], const uint8_t *p) {
    uint32_t W[64];
    for (int i = 0; i < 16; i++) W[i] = load_be32(p + 4 * i);
    for (int i = 16; i < 64; i++) W[i] = SSIG1(W[i - 2]) + W[i - 7] + SSIG0(W[i - 15]) + W[i - 16];

    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    for (int i = 0; i < 64; i += 8) {
        PROUND(a, b, c, d, e, f, g, h, i + 0);
        PROUND(h, a, b, c, d, e, f, g, i + 1);
        PROUND(g, h, a, b, c, d, e, f, i + 2);
        PROUND(f, g, h, a, b, c, d, e, i + 3);
        PROUND(e, f, g, h, a, b, c, d, i + 4);
        PROUND(d, e, f, g, h, a, b, c, i + 5);
        PROUND(c, d, e, f, g, h, a, b, i + 6);
        PROUND(b, c, d, e, f, g, h, a, i + 7);
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d;
    st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

static void portable_oneshot(const void *data, size_t len, uint32_t st[8]) {
    const uint8_t *p = (const uint8_t *)data;
    memcpy(st, IV256, sizeof(IV256));
    size_t full = len / 64;
    for (size_t i = 0; i < full; i++) portable_block(st, p + 64 * i);
    uint8_t buf[128];
    size_t rem = len - full * 64;
    size_t nb = build_tail(buf, p + full * 64, rem, len);
    portable_block(st, buf);
    if (nb == 2) portable_block(st, buf + 64);
}

void kv_sha256_portable(const void *data, size_t len, uint8_t out[32]) {
    uint32_t st[8];
    portable_oneshot(data, len, st);
    digest_from_state(st, out);
}

uint64_t kv_sha256_prefix_u64_portable(const void *data, size_t len) {
    uint32_t st[8];
    portable_oneshot(data, len, st);
    return ((uint64_t)st[0] << 32) | st[1];
}

/* ------------------------------------------------------------------------- */
/* x86-64 SHA-NI implementation                                              */
/* ------------------------------------------------------------------------- */

#if KV_HAVE_X86_SHANI

#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/*
 * The SHA256RNDS2 instruction keeps the working variables in two registers:
 *   ABEF = {A, B, E, F} (A in the highest 32-bit lane, F in the lowest)
 *   CDGH = {C, D, G, H}
 * rnds2(CDGH, ABEF, WK) performs two rounds using the low 64 bits of WK
 * (W[t] + K[t] in lane 0, W[t+1] + K[t+1] in lane 1) and returns the new ABEF;
 * the old ABEF is the new CDGH.
 */

/* Four rounds with message words Wv (lanes = W[4k..4k+3]) and constants K[4k..]. */
#define SHANI_4ROUNDS(Wv, k)                                                      \
    do {                                                                          \
        __m128i wk_ = _mm_add_epi32((Wv), _mm_load_si128((const __m128i *)&K256[4 * (k)])); \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_);                            \
        wk_ = _mm_shuffle_epi32(wk_, 0x0E);                                       \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, wk_);                            \
    } while (0)

/*
 * Message schedule for four words W[t..t+3], t = 4k, from the four previous
 * groups Wm4 = W[t-16..t-13], Wm3 = W[t-12..t-9], Wm2 = W[t-8..t-5],
 * Wm1 = W[t-4..t-1]. The result overwrites Wm4.
 *   msg1(Wm4, Wm3)          = W[t-16+j] + s0(W[t-15+j])
 *   alignr(Wm1, Wm2, 4)     = W[t-7+j]
 *   msg2(x, Wm1)            = x + s1(W[t-2+j]) (using the new words for j >= 2)
 */
#define SHANI_SCHED(Wm4, Wm3, Wm2, Wm1)                                           \
    (Wm4) = _mm_sha256msg2_epu32(                                                 \
        _mm_add_epi32(_mm_sha256msg1_epu32((Wm4), (Wm3)), _mm_alignr_epi8((Wm1), (Wm2), 4)), (Wm1))

/* Compresses one block given as four vectors of message words (already big-endian
 * decoded: lane j of w0 = W[j], of w1 = W[4 + j], ...). */
SHANI_TARGET static KV_ALWAYS_INLINE void shani_compress(__m128i *abef_io, __m128i *cdgh_io,
                                                         __m128i w0, __m128i w1, __m128i w2, __m128i w3) {
    __m128i abef = *abef_io, cdgh = *cdgh_io;
    const __m128i abef_save = abef, cdgh_save = cdgh;

    SHANI_4ROUNDS(w0, 0);
    SHANI_4ROUNDS(w1, 1);
    SHANI_4ROUNDS(w2, 2);
    SHANI_4ROUNDS(w3, 3);

    SHANI_SCHED(w0, w1, w2, w3); SHANI_4ROUNDS(w0, 4);
    SHANI_SCHED(w1, w2, w3, w0); SHANI_4ROUNDS(w1, 5);
    SHANI_SCHED(w2, w3, w0, w1); SHANI_4ROUNDS(w2, 6);
    SHANI_SCHED(w3, w0, w1, w2); SHANI_4ROUNDS(w3, 7);

    SHANI_SCHED(w0, w1, w2, w3); SHANI_4ROUNDS(w0, 8);
    SHANI_SCHED(w1, w2, w3, w0); SHANI_4ROUNDS(w1, 9);
    SHANI_SCHED(w2, w3, w0, w1); SHANI_4ROUNDS(w2, 10);
    SHANI_SCHED(w3, w0, w1, w2); SHANI_4ROUNDS(w3, 11);

    SHANI_SCHED(w0, w1, w2, w3); SHANI_4ROUNDS(w0, 12);
    SHANI_SCHED(w1, w2, w3, w0); SHANI_4ROUNDS(w1, 13);
    SHANI_SCHED(w2, w3, w0, w1); SHANI_4ROUNDS(w2, 14);
    SHANI_SCHED(w3, w0, w1, w2); SHANI_4ROUNDS(w3, 15);

    *abef_io = _mm_add_epi32(abef, abef_save);
    *cdgh_io = _mm_add_epi32(cdgh, cdgh_save);
}

/* pshufb mask: big-endian 32-bit words -> lanes. */
#define SHANI_BSWAP32_MASK() _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL)

/* Sliding-window tables for the partial final chunk (see shani_oneshot). */
static const uint8_t SHANI_TAIL_SHUF[32] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};
static const uint8_t SHANI_TAIL_PAD[32] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/*
 * Hashes the whole message; leaves the final state as {A,B,C,D} / {E,F,G,H}
 * (lane 0 = A resp. E, i.e. memory order).
 *
 * The padded final block(s) are assembled in registers, not in a stack buffer:
 * writing the tail to memory with narrow stores and reading it back with 16-byte
 * loads defeats store-to-load forwarding and costs ~15 ns per hash in latency.
 * The tail (rem < 64 bytes) is split into 16-byte chunks c0..c3: chunks fully
 * inside the message are loaded directly; the chunk q = rem / 16 holding the end
 * of the message takes its k = rem % 16 last bytes from a 16-byte load ending at
 * the end of the message (no over-read), shifted down with pshufb, and gets the
 * 0x80 terminator at byte k; later chunks are zero; the bit length goes into
 * bytes 8..15 of the last chunk of the last block. When rem >= 56 a second block
 * is needed, and it is always zeros followed by the length.
 */
SHANI_TARGET static KV_ALWAYS_INLINE void shani_oneshot(const void *data, size_t len, __m128i *abcd, __m128i *efgh) {
    const uint8_t *p = (const uint8_t *)data;
    const __m128i bswap = SHANI_BSWAP32_MASK();
    /* IV in memory order: lanes {a,b,c,d} and {e,f,g,h}. */
    __m128i t = _mm_loadu_si128((const __m128i *)&IV256[0]);    /* d c b a (high..low) */
    __m128i cdgh = _mm_loadu_si128((const __m128i *)&IV256[4]); /* h g f e */
    t = _mm_shuffle_epi32(t, 0xB1);                             /* c d a b */
    cdgh = _mm_shuffle_epi32(cdgh, 0x1B);                       /* e f g h */
    __m128i abef = _mm_alignr_epi8(t, cdgh, 8);                 /* a b e f */
    cdgh = _mm_blend_epi16(cdgh, t, 0xF0);                      /* c d g h */

    size_t full = len / 64;
    for (size_t i = 0; i < full; i++) {
        const uint8_t *b = p + 64 * i;
        shani_compress(&abef, &cdgh,
                       _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 0)), bswap),
                       _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 16)), bswap),
                       _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 32)), bswap),
                       _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 48)), bswap));
    }

    const uint8_t *tail = p + full * 64;
    size_t rem = len - full * 64;
    size_t q = rem >> 4, k = rem & 15;

    /* The last k message bytes, moved to bytes 0..k-1, then 0x80 at byte k. */
    __m128i last16;
    if (__builtin_expect(len >= 16, 1)) {
        last16 = _mm_loadu_si128((const __m128i *)(p + len - 16));
    } else {
        /* Short message: assemble the 16 bytes ending at p + len without reading outside. */
        uint64_t lo = 0, hi = 0;
        for (size_t i = 0; i < len; i++) {
            size_t pos = 16 - len + i;
            if (pos < 8) lo |= (uint64_t)p[i] << (8 * pos);
            else hi |= (uint64_t)p[i] << (8 * (pos - 8));
        }
        last16 = _mm_set_epi64x((long long)hi, (long long)lo);
    }
    __m128i part = _mm_or_si128(
        _mm_shuffle_epi8(last16, _mm_loadu_si128((const __m128i *)(SHANI_TAIL_SHUF + 16 - k))),
        _mm_loadu_si128((const __m128i *)(SHANI_TAIL_PAD + 16 - k)));

    const __m128i zero = _mm_setzero_si128();
    __m128i c0 = zero, c1 = zero, c2 = zero, c3 = zero;
    switch (q) {
    case 0:
        c0 = part;
        break;
    case 1:
        c0 = _mm_loadu_si128((const __m128i *)(tail + 0));
        c1 = part;
        break;
    case 2:
        c0 = _mm_loadu_si128((const __m128i *)(tail + 0));
        c1 = _mm_loadu_si128((const __m128i *)(tail + 16));
        c2 = part;
        break;
    default:
        c0 = _mm_loadu_si128((const __m128i *)(tail + 0));
        c1 = _mm_loadu_si128((const __m128i *)(tail + 16));
        c2 = _mm_loadu_si128((const __m128i *)(tail + 32));
        c3 = part;
        break;
    }
    uint64_t bits = (uint64_t)len << 3;
    /* Byte-swapped form of "bytes 8..15 = big-endian bit length": lane 2 = high word, lane 3 = low. */
    const __m128i lenw = _mm_set_epi32((int)(uint32_t)bits, (int)(uint32_t)(bits >> 32), 0, 0);
    c0 = _mm_shuffle_epi8(c0, bswap);
    c1 = _mm_shuffle_epi8(c1, bswap);
    c2 = _mm_shuffle_epi8(c2, bswap);
    c3 = _mm_shuffle_epi8(c3, bswap);
    if (rem + 9 <= 64) {
        shani_compress(&abef, &cdgh, c0, c1, c2, _mm_or_si128(c3, lenw));
    } else {
        shani_compress(&abef, &cdgh, c0, c1, c2, c3);
        shani_compress(&abef, &cdgh, zero, zero, zero, lenw);
    }

    t = _mm_shuffle_epi32(abef, 0x1B);         /* f e b a */
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);      /* d c h g */
    *abcd = _mm_blend_epi16(t, cdgh, 0xF0);    /* d c b a */
    *efgh = _mm_alignr_epi8(cdgh, t, 8);       /* h g f e */
}

SHANI_TARGET static void shani_digest(const void *data, size_t len, uint8_t out[32]) {
    const __m128i bswap = SHANI_BSWAP32_MASK();
    __m128i abcd, efgh;
    shani_oneshot(data, len, &abcd, &efgh);
    _mm_storeu_si128((__m128i *)(out + 0), _mm_shuffle_epi8(abcd, bswap));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(efgh, bswap));
}

SHANI_TARGET static uint64_t shani_prefix_u64(const void *data, size_t len) {
    __m128i abcd, efgh;
    shani_oneshot(data, len, &abcd, &efgh);
    /* low 64 bits = a | b << 32 ; want a << 32 | b */
    uint64_t ab = (uint64_t)_mm_cvtsi128_si64(abcd);
    return (ab << 32) | (ab >> 32);
}

static int detect_shani(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 19)) || !(c & (1u << 9))) return 0; /* SSE4.1, SSSE3 */
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (int)((b >> 29) & 1u); /* SHA */
}

#endif /* KV_HAVE_X86_SHANI */

/* ------------------------------------------------------------------------- */
/* Dispatch                                                                   */
/* ------------------------------------------------------------------------- */

/* -1 = not yet determined. Benign race: every thread computes the same value. */
static int g_shani_available = -1;
static int g_shani_selected = -1;

int kv_sha256_shani_available(void) {
    int v = __atomic_load_n(&g_shani_available, __ATOMIC_RELAXED);
    if (v < 0) {
#if KV_HAVE_X86_SHANI
        v = detect_shani();
#else
        v = 0;
#endif
        __atomic_store_n(&g_shani_available, v, __ATOMIC_RELAXED);
    }
    return v;
}

static int select_shani_slow(void) {
    int v = kv_sha256_shani_available();
    const char *env = getenv("KV_SHA256_NO_SHANI");
    if (env && env[0] && !(env[0] == '0' && env[1] == 0)) v = 0;
    __atomic_store_n(&g_shani_selected, v, __ATOMIC_RELAXED);
    return v;
}

static KV_ALWAYS_INLINE int use_shani(void) {
    int v = __atomic_load_n(&g_shani_selected, __ATOMIC_RELAXED);
    if (__builtin_expect(v < 0, 0)) v = select_shani_slow();
    return v;
}

int kv_sha256_uses_shani(void) { return use_shani(); }

void kv_sha256_shani(const void *data, size_t len, uint8_t out[32]) {
#if KV_HAVE_X86_SHANI
    if (kv_sha256_shani_available()) { shani_digest(data, len, out); return; }
#endif
    kv_sha256_portable(data, len, out);
}

uint64_t kv_sha256_prefix_u64_shani(const void *data, size_t len) {
#if KV_HAVE_X86_SHANI
    if (kv_sha256_shani_available()) return shani_prefix_u64(data, len);
#endif
    return kv_sha256_prefix_u64_portable(data, len);
}

void kv_sha256(const void *data, size_t len, uint8_t out[32]) {
#if KV_HAVE_X86_SHANI
    if (use_shani()) { shani_digest(data, len, out); return; }
#endif
    kv_sha256_portable(data, len, out);
}

uint64_t kv_sha256_prefix_u64(const void *data, size_t len) {
#if KV_HAVE_X86_SHANI
    if (use_shani()) return shani_prefix_u64(data, len);
#endif
    return kv_sha256_prefix_u64_portable(data, len);
}

/* ------------------------------------------------------------------------- */
/* Incremental SHA-256 (for content hashes of large inputs read in chunks)    */
/* ------------------------------------------------------------------------- */

#if KV_HAVE_X86_SHANI
/* Compresses n whole blocks into the state st[0..7] = {a..h}. */
SHANI_TARGET static void shani_blocks(uint32_t st[8], const uint8_t *p, size_t n) {
    const __m128i bswap = SHANI_BSWAP32_MASK();
    __m128i t = _mm_loadu_si128((const __m128i *)&st[0]);    /* d c b a */
    __m128i cdgh = _mm_loadu_si128((const __m128i *)&st[4]); /* h g f e */
    t = _mm_shuffle_epi32(t, 0xB1);
    cdgh = _mm_shuffle_epi32(cdgh, 0x1B);
    __m128i abef = _mm_alignr_epi8(t, cdgh, 8);
    cdgh = _mm_blend_epi16(cdgh, t, 0xF0);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b = p + 64 * i;
        shani_compress(&abef, &cdgh,
                       _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 0)), bswap),
                       _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 16)), bswap),
                       _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 32)), bswap),
                       _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 48)), bswap));
    }
    t = _mm_shuffle_epi32(abef, 0x1B);
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&st[0], _mm_blend_epi16(t, cdgh, 0xF0));
    _mm_storeu_si128((__m128i *)&st[4], _mm_alignr_epi8(cdgh, t, 8));
}
#endif

static void ctx_blocks(uint32_t st[8], const uint8_t *p, size_t n) {
#if KV_HAVE_X86_SHANI
    if (use_shani()) { shani_blocks(st, p, n); return; }
#endif
    for (size_t i = 0; i < n; i++) portable_block(st, p + 64 * i);
}

void kv_sha256_init(kv_sha256_ctx *ctx) {
    memcpy(ctx->state, IV256, sizeof(IV256));
    ctx->total = 0;
    ctx->buffered = 0;
}

void kv_sha256_update(kv_sha256_ctx *ctx, const void *data, size_t len) {
    const uint8_t *p = (const uint8_t *)data;
    ctx->total += len;
    if (ctx->buffered) {
        size_t take = 64 - ctx->buffered;
        if (take > len) take = len;
        memcpy(ctx->buffer + ctx->buffered, p, take);
        ctx->buffered += take;
        p += take;
        len -= take;
        if (ctx->buffered < 64) return;
        ctx_blocks(ctx->state, ctx->buffer, 1);
        ctx->buffered = 0;
    }
    size_t full = len / 64;
    if (full) ctx_blocks(ctx->state, p, full);
    p += full * 64;
    len -= full * 64;
    if (len) { memcpy(ctx->buffer, p, len); ctx->buffered = len; }
}

void kv_sha256_final(kv_sha256_ctx *ctx, uint8_t out[32]) {
    uint8_t buf[128];
    size_t nb = build_tail(buf, ctx->buffer, ctx->buffered, (size_t)ctx->total);
    ctx_blocks(ctx->state, buf, nb);
    digest_from_state(ctx->state, out);
}

/* ------------------------------------------------------------------------- */
/* MurmurHash64A                                                              */
/* ------------------------------------------------------------------------- */

uint64_t kv_hash64(const void *data, size_t len, uint64_t seed) {
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    uint64_t h = seed ^ ((uint64_t)len * m);
    const uint8_t *p = (const uint8_t *)data;
    const uint8_t *end = p + (len & ~(size_t)7);
    while (p != end) {
        uint64_t k;
        memcpy(&k, p, 8);
        p += 8;
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    switch (len & 7) {
    case 7: h ^= (uint64_t)p[6] << 48; /* fall through */
    case 6: h ^= (uint64_t)p[5] << 40; /* fall through */
    case 5: h ^= (uint64_t)p[4] << 32; /* fall through */
    case 4: h ^= (uint64_t)p[3] << 24; /* fall through */
    case 3: h ^= (uint64_t)p[2] << 16; /* fall through */
    case 2: h ^= (uint64_t)p[1] << 8; /* fall through */
    case 1: h ^= (uint64_t)p[0]; h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

/* ------------------------------------------------------------------------- */
/* base64                                                                     */
/* ------------------------------------------------------------------------- */

static const char B64[64] = {
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P',
    'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'a', 'b', 'c', 'd', 'e', 'f',
    'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v',
    'w', 'x', 'y', 'z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '/',
};

size_t kv_base64_encode(const uint8_t *in, size_t len, char *out) {
    size_t i = 0, o = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = B64[v & 63];
    }
    size_t rem = len - i;
    if (rem == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (rem == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = '=';
    }
    return o;
}

void kv_idlist_hash8(const void *data, size_t len, char out[8]) {
    uint8_t d[32];
    kv_sha256(data, len, d);
    kv_base64_encode(d, 6, out); /* 6 bytes -> exactly 8 characters, no padding */
}
