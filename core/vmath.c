/* Vector kernels that round exactly like their scalar C counterparts, so a
 * training run gives the same bits whichever path runs.
 *
 * vae_expf_n: expf over an array.  glibc's expf (the algorithm of ARM's
 * optimized-routines, in glibc since 2.28) works in double: k = round(x·32/ln2),
 * 2^(k/32) from a 32-entry table, a cubic for the rest, one rounding to float
 * at the end.  Where the CPU has FMA and AVX2, glibc runs that code built
 * with FMA contraction (__expf_fma); the AVX2 path here is the same
 * operations, the same constants and the same fused multiply-adds, four
 * doubles at a time, so every result is bit-identical (tests/core/test_vmath.c
 * compares them; all 2^32 inputs were compared once, see the commit).  The
 * table entries are 2^(i/32) with the bits of i << 47 subtracted, as glibc
 * stores them.  Blocks of 8 with an input outside glibc's own fast path
 * (|x| ≥ 88: overflow, underflow, inf, NaN) take the scalar expf.  With
 * another libm the results are still expf's to within its error, not its
 * bits. */
#include "vae_private.h"

#include <math.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VAE_HAVE_X86_VEC 1
#include <immintrin.h>
#endif

#ifdef VAE_HAVE_X86_VEC
static const uint64_t exp2f_tab[32] = {
  0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f,
  0x3fef9301d0125b51, 0x3fef72b83c7d517b, 0x3fef54873168b9aa,
  0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715,
  0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
  0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429,
  0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74,
  0x3feea11473eb0187, 0x3feea589994cce13, 0x3feeace5422aa0db,
  0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
  0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c,
  0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
  0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};

static inline double
dbits (uint64_t u)
{
  union { uint64_t u; double d; } c = { .u = u };
  return c.d;
}

__attribute__ ((target ("avx2,fma")))
static inline __m128
exp4_avx2 (__m128 x)
{
  const __m256d invln2n = _mm256_set1_pd (dbits (0x40471547652b82feULL));
  const __m256d shift = _mm256_set1_pd (dbits (0x4338000000000000ULL));
  const __m256d c0 = _mm256_set1_pd (dbits (0x3ebc6af84b912394ULL));
  const __m256d c1 = _mm256_set1_pd (dbits (0x3f2ebfce50fac4f3ULL));
  const __m256d c2 = _mm256_set1_pd (dbits (0x3f962e42ff0c52d6ULL));
  const __m256d one = _mm256_set1_pd (1.0);
  __m256d xd = _mm256_cvtps_pd (x);
  __m256d kd = _mm256_fmadd_pd (invln2n, xd, shift);
  __m256i ki = _mm256_castpd_si256 (kd);
  __m256d r, z, r2, y, s;
  __m256i t;
  kd = _mm256_sub_pd (kd, shift);
  r = _mm256_fmsub_pd (invln2n, xd, kd);
  t = _mm256_i64gather_epi64 ((const long long *) exp2f_tab,
      _mm256_and_si256 (ki, _mm256_set1_epi64x (31)), 8);
  t = _mm256_add_epi64 (t, _mm256_slli_epi64 (ki, 47));
  s = _mm256_castsi256_pd (t);
  z = _mm256_fmadd_pd (c0, r, c1);
  r2 = _mm256_mul_pd (r, r);
  y = _mm256_fmadd_pd (c2, r, one);
  y = _mm256_fmadd_pd (z, r2, y);
  y = _mm256_mul_pd (y, s);
  return _mm256_cvtpd_ps (y);
}

__attribute__ ((target ("avx2,fma")))
static void
expf_n_avx2 (float *y, const float *x, size_t n)
{
  size_t i = 0;
  /* glibc's own test for its main path: the top 12 bits of |x| at most
   * 0x42a (|x| < 88), here for a whole block of 8. */
  const __m256i lim = _mm256_set1_epi32 (0x42b);
  const __m256i m7ff = _mm256_set1_epi32 (0x7ff);
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps (x + i);
    __m256i top = _mm256_and_si256 (_mm256_srli_epi32 (
            _mm256_castps_si256 (v), 20), m7ff);
    if (_mm256_movemask_epi8 (_mm256_cmpgt_epi32 (lim, top)) != -1) {
      for (size_t k = i; k < i + 8; k++)
        y[k] = expf (x[k]);
      continue;
    }
    _mm_storeu_ps (y + i, exp4_avx2 (_mm256_castps256_ps128 (v)));
    _mm_storeu_ps (y + i + 4, exp4_avx2 (_mm256_extractf128_ps (v, 1)));
  }
  for (; i < n; i++)
    y[i] = expf (x[i]);
}

static int
have_avx2_fma (void)
{
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init ();
    cached = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
  }
  return cached;
}
#endif

void
vae_expf_n (float *y, const float *x, size_t n)
{
#ifdef VAE_HAVE_X86_VEC
  if (have_avx2_fma ()) {
    expf_n_avx2 (y, x, n);
    return;
  }
#endif
  for (size_t i = 0; i < n; i++)
    y[i] = expf (x[i]);
}

int
vae_vec_fma_available (void)
{
#ifdef VAE_HAVE_X86_VEC
  return have_avx2_fma ();
#else
  return 0;
#endif
}
