/* Four BLAKE2b compressions at once, one per 64-bit lane of AVX2 registers.
 *
 * A probe batch digests hundreds of short values, each one final block after the
 * key block, all from the same keyed state (one per kind, or the per-set layer's).
 * Running four of them side by side is the same arithmetic as compress() in
 * _blake2b.h, lane by lane: no reordering of the algorithm, so the digests are the
 * reference's bit for bit (tests/fingerprints/test_native.py holds both paths to
 * hashlib). On a CPU without AVX2, or a compiler other than GCC/Clang on x86-64,
 * LP_X4 is 0 and the callers use compress() alone.
 */
#ifndef LEAKPRINT_BLAKE2B_X4_H
#define LEAKPRINT_BLAKE2B_X4_H

#include "_blake2b.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define LP_X4 1
#include <immintrin.h>

/* Whether this CPU runs the four-lane form (asked once per process). */
static int lp_x4_available(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return known;
}

/* G of RFC 7693 on four lanes; rotations by 32, 24 and 16 are byte shuffles, by 63
 * a shift and an add. */
#define GX(a, b, c, d, x, y)                                                   \
    do {                                                                       \
        a = _mm256_add_epi64(_mm256_add_epi64(a, b), x);                       \
        d = _mm256_shuffle_epi32(_mm256_xor_si256(d, a), _MM_SHUFFLE(2, 3, 0, 1)); \
        c = _mm256_add_epi64(c, d);                                            \
        b = _mm256_shuffle_epi8(_mm256_xor_si256(b, c), rot24);                \
        a = _mm256_add_epi64(_mm256_add_epi64(a, b), y);                       \
        d = _mm256_shuffle_epi8(_mm256_xor_si256(d, a), rot16);                \
        c = _mm256_add_epi64(c, d);                                            \
        b = _mm256_xor_si256(b, c);                                            \
        b = _mm256_or_si256(_mm256_srli_epi64(b, 63), _mm256_add_epi64(b, b)); \
    } while (0)

/* The last compression of four messages that start from the same state ``h``:
 * ``blocks[k]`` is lane k's final 128-byte block (zero-padded), ``t[k]`` its byte
 * count; the first 16 bytes of each lane's result go to ``out[k]``. */
__attribute__((target("avx2"))) static void compress_x4_last(
    const uint64_t h[8], const uint8_t *const blocks[4], const uint64_t t[4],
    uint8_t *const out[4]) {
    const __m256i rot24 = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10,
                                           3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
    const __m256i rot16 = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9,
                                           2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
    __m256i m[16], v[16];
    for (int i = 0; i < 16; i++)
        m[i] = _mm256_setr_epi64x((long long)load64(blocks[0] + 8 * i),
                                  (long long)load64(blocks[1] + 8 * i),
                                  (long long)load64(blocks[2] + 8 * i),
                                  (long long)load64(blocks[3] + 8 * i));
    for (int i = 0; i < 8; i++) {
        v[i] = _mm256_set1_epi64x((long long)h[i]);
        v[i + 8] = _mm256_set1_epi64x((long long)IV[i]);
    }
    v[12] = _mm256_xor_si256(v[12], _mm256_setr_epi64x((long long)t[0], (long long)t[1],
                                                       (long long)t[2], (long long)t[3]));
    v[14] = _mm256_xor_si256(v[14], _mm256_set1_epi64x(-1)); /* the last block */
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = SIGMA[r];
        GX(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
        GX(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
        GX(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
        GX(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
        GX(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
        GX(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
        GX(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
        GX(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
    }
    uint64_t w0[4], w1[4];
    _mm256_storeu_si256((__m256i *)w0, _mm256_xor_si256(_mm256_set1_epi64x((long long)h[0]),
                                                        _mm256_xor_si256(v[0], v[8])));
    _mm256_storeu_si256((__m256i *)w1, _mm256_xor_si256(_mm256_set1_epi64x((long long)h[1]),
                                                        _mm256_xor_si256(v[1], v[9])));
    for (int k = 0; k < 4; k++) { /* little-endian: the first two words' bytes */
        memcpy(out[k], &w0[k], 8);
        memcpy(out[k] + 8, &w1[k], 8);
    }
}
#undef GX

#else
#define LP_X4 0
#endif

#endif
