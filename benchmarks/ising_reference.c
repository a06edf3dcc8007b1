/* Reference C implementation of the multi-spin-coded checkerboard Metropolis kernel
 * (physlens.ising.kernels), for bench_ising.py to measure the numba kernel against.
 *
 * Same algorithm and exactness: 64 replicas per uint64 word; sites split by sublattice
 * (colour c, row y, word i holds site x = 2i + ((y + c) & 1)), padded to a multiple of 8
 * words; 8 words per step with 8 independent xoshiro256** streams as lanes; every replica
 * bit compares its own fresh uniform bits with the binary expansion of p4 = e^-4beta or
 * p8 = e^-8beta, most significant first, until every bit of the 8 words is decided (at most
 * 64 bits: exact to 2^-64). Even L only.
 *
 * Build: cc -O3 -march=native -shared -fPIC ising_reference.c -o libising_reference.so
 * With AVX-512F the acceptance loop is written in intrinsics (8 x 64-bit lanes per zmm);
 * otherwise in GCC/clang vector extensions (8 lanes as two 4-lane vectors: ymm with AVX2).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#define LANES 8

/* 8 when the AVX-512 intrinsics path was compiled, 0 for the vector-extension one. */
int ising_ref_simd_lanes(void) {
#ifdef __AVX512F__
    return LANES;
#else
    return 0;
#endif
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* flip (dE <= 0), eq1 (one anti-aligned neighbour), eq0 (none) of one row of colour s. */
static void classify_row(const uint64_t *restrict s, const uint64_t *restrict o, int y, int L,
                         int H, int shift, uint64_t *restrict row, uint64_t *restrict flip,
                         uint64_t *restrict eq1, uint64_t *restrict eq0) {
    int yu = y > 0 ? y - 1 : L - 1, yd = y < L - 1 ? y + 1 : 0;
    const uint64_t *on = o + (size_t)y * H, *ou = o + (size_t)yu * H, *od = o + (size_t)yd * H;
    if (shift < 0) {
        row[0] = on[H - 1];
        memcpy(row + 1, on, (size_t)(H - 1) * 8);
    } else {
        memcpy(row, on + 1, (size_t)(H - 1) * 8);
        row[H - 1] = on[0];
    }
    const uint64_t *sn = s + (size_t)y * H;
    size_t f0 = (size_t)y * H;
    for (int i = 0; i < H; i++) {
        uint64_t w = sn[i];
        uint64_t d1 = w ^ on[i], d2 = w ^ row[i], d3 = w ^ ou[i], d4 = w ^ od[i];
        uint64_t x1 = d1 ^ d2, c1 = d1 & d2, x2 = d3 ^ d4, c2 = d3 & d4;
        flip[f0 + i] = c1 | c2 | (x1 & x2);
        eq1[f0 + i] = (x1 ^ x2) & ~(c1 | c2);
        eq0[f0 + i] = ~(d1 | d2 | d3 | d4);
    }
}

#ifdef __AVX512F__
/* Acceptance of all padded words of one colour, 8 words per vector; state in registers. */
static void accept_colour(uint64_t *restrict s, const uint64_t *restrict flip,
                          const uint64_t *restrict eq1, const uint64_t *restrict eq0, size_t npad,
                          uint64_t *restrict st, const uint64_t *p4, const uint64_t *p8) {
    __m512i s0 = _mm512_loadu_si512(st), s1 = _mm512_loadu_si512(st + 8);
    __m512i s2 = _mm512_loadu_si512(st + 16), s3 = _mm512_loadu_si512(st + 24);
    for (size_t base = 0; base < npad; base += LANES) {
        __m512i e1 = _mm512_loadu_si512(eq1 + base), e0 = _mm512_loadu_si512(eq0 + base);
        __m512i und = _mm512_or_si512(e1, e0), acc = _mm512_setzero_si512();
        for (int k = 0; k < 64 && _mm512_test_epi64_mask(und, und); k++) {
            /* xoshiro256**: result = rotl(s1 * 5, 7) * 9 (multiplies as shift-adds) */
            __m512i m5 = _mm512_add_epi64(s1, _mm512_slli_epi64(s1, 2));
            __m512i rr = _mm512_rol_epi64(m5, 7);
            __m512i r = _mm512_add_epi64(rr, _mm512_slli_epi64(rr, 3));
            __m512i t = _mm512_slli_epi64(s1, 17);
            s2 = _mm512_xor_si512(s2, s0);
            s3 = _mm512_xor_si512(s3, s1);
            s1 = _mm512_xor_si512(s1, s2);
            s0 = _mm512_xor_si512(s0, s3);
            s2 = _mm512_xor_si512(s2, t);
            s3 = _mm512_rol_epi64(s3, 45);
            __m512i thr = _mm512_or_si512(_mm512_and_si512(_mm512_set1_epi64((long long)p4[k]), e1),
                                          _mm512_and_si512(_mm512_set1_epi64((long long)p8[k]), e0));
            /* uniform bit 0 < threshold bit 1: accept; equal bits: still undecided */
            acc = _mm512_or_si512(acc, _mm512_andnot_si512(r, _mm512_and_si512(und, thr)));
            und = _mm512_andnot_si512(_mm512_xor_si512(thr, r), und);
        }
        __m512i w = _mm512_loadu_si512(s + base);
        w = _mm512_xor_si512(w, _mm512_or_si512(_mm512_loadu_si512(flip + base), acc));
        _mm512_storeu_si512(s + base, w);
    }
    _mm512_storeu_si512(st, s0);
    _mm512_storeu_si512(st + 8, s1);
    _mm512_storeu_si512(st + 16, s2);
    _mm512_storeu_si512(st + 24, s3);
}
#else
/* GCC/clang vector extensions: the 8 lanes as two 4 x 64-bit vectors (ymm with AVX2). */
typedef uint64_t v4u __attribute__((vector_size(32)));

static inline v4u vload(const uint64_t *p) {
    v4u v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void accept_colour(uint64_t *restrict s, const uint64_t *restrict flip,
                          const uint64_t *restrict eq1, const uint64_t *restrict eq0, size_t npad,
                          uint64_t *restrict st, const uint64_t *p4, const uint64_t *p8) {
    v4u s0[2], s1[2], s2[2], s3[2], e1[2], e0[2], und[2], acc[2];
    for (int h = 0; h < 2; h++) {
        s0[h] = vload(st + 4 * h), s1[h] = vload(st + 8 + 4 * h);
        s2[h] = vload(st + 16 + 4 * h), s3[h] = vload(st + 24 + 4 * h);
    }
    for (size_t base = 0; base < npad; base += LANES) {
        for (int h = 0; h < 2; h++) {
            e1[h] = vload(eq1 + base + 4 * h), e0[h] = vload(eq0 + base + 4 * h);
            und[h] = e1[h] | e0[h], acc[h] = und[h] ^ und[h];
        }
        for (int k = 0; k < 64; k++) {
            v4u u = und[0] | und[1];
            if (!(u[0] | u[1] | u[2] | u[3])) break;
            for (int h = 0; h < 2; h++) {
                v4u m5 = s1[h] + (s1[h] << 2), rr = (m5 << 7) | (m5 >> 57), r = rr + (rr << 3);
                v4u t = s1[h] << 17;
                s2[h] ^= s0[h];
                s3[h] ^= s1[h];
                s1[h] ^= s2[h];
                s0[h] ^= s3[h];
                s2[h] ^= t;
                s3[h] = (s3[h] << 45) | (s3[h] >> 19);
                v4u thr = (p4[k] & e1[h]) | (p8[k] & e0[h]);
                acc[h] |= und[h] & thr & ~r;
                und[h] &= ~(thr ^ r);
            }
        }
        for (int h = 0; h < 2; h++) {
            v4u w = vload(s + base + 4 * h) ^ (vload(flip + base + 4 * h) | acc[h]);
            memcpy(s + base + 4 * h, &w, sizeof w);
        }
    }
    for (int h = 0; h < 2; h++) {
        memcpy(st + 4 * h, &s0[h], sizeof(v4u)), memcpy(st + 8 + 4 * h, &s1[h], sizeof(v4u));
        memcpy(st + 16 + 4 * h, &s2[h], sizeof(v4u)), memcpy(st + 24 + 4 * h, &s3[h], sizeof(v4u));
    }
}
#endif

/* n_sweeps sweeps of the (L, L) lattice `lat` (in place); st: 4 x 8 xoshiro256** words
 * (row r = state word r of the 8 lanes), p4/p8: 64 words each, all-ones or zero.
 * Returns 0, or -1 for odd L or failed allocation. */
int ising_ref_sweeps(uint64_t *lat, int L, uint64_t *st, const uint64_t *p4, const uint64_t *p8,
                     long n_sweeps) {
    if (L < 2 || L % 2) return -1;
    int H = L / 2;
    size_t n = (size_t)L * H, npad = (n + LANES - 1) / LANES * LANES;
    uint64_t *buf = calloc(5 * npad + (size_t)H, 8);
    if (!buf) return -1;
    uint64_t *sub[2] = {buf, buf + npad}, *flip = buf + 2 * npad, *eq1 = buf + 3 * npad,
             *eq0 = buf + 4 * npad, *row = buf + 5 * npad;
    for (int c = 0; c < 2; c++)
        for (int y = 0; y < L; y++)
            for (int i = 0; i < H; i++) sub[c][(size_t)y * H + i] = lat[(size_t)y * L + 2 * i + ((y + c) & 1)];
    for (long sweep = 0; sweep < n_sweeps; sweep++)
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < L; y++)
                classify_row(sub[c], sub[1 - c], y, L, H, ((y + c) & 1) ? 1 : -1, row, flip, eq1, eq0);
            accept_colour(sub[c], flip, eq1, eq0, npad, st, p4, p8);
        }
    for (int c = 0; c < 2; c++)
        for (int y = 0; y < L; y++)
            for (int i = 0; i < H; i++) lat[(size_t)y * L + 2 * i + ((y + c) & 1)] = sub[c][(size_t)y * H + i];
    free(buf);
    return 0;
}
