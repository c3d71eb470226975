/* C += α·A·Bᵀ for the patch denoiser's products, with B packed once: a
 * register-blocked FMA kernel (AVX-512 or AVX2), or cblas_sgemm where
 * neither is available.
 *
 * Why not always OpenBLAS: it picks its kernels from the CPU model, and a
 * model it does not know gets its generic SSE3 ("Prescott") kernels.
 * Debian 12's OpenBLAS 0.3.21 does that on Emerald Rapids Xeons: 33 GFLOPS
 * on one core there, against an FMA ceiling of 95 (AVX2) and 175
 * (AVX-512).  The denoiser's products always have the same form (patches ×
 * patch × hidden, hidden × patch), so a kernel chosen from the CPU's
 * features, not its model, covers them; all other GEMMs stay with
 * OpenBLAS.  On that CPU the kernels reach 164–172 GFLOPS (AVX-512) and
 * 85–87 (AVX2) on one core for the default model's shapes.
 *
 * B is packed in panels of NR columns, [n/NR][k][NR], zero-padded past n.
 * The kernel keeps an MR × NR block of C in registers (AVX-512: 8 × 32 in
 * 16 zmm; AVX2: 6 × 16 in 12 ymm), broadcasts A straight from its rows and
 * streams the panel (k·NR floats: 8 KiB at k = 64, 56 KiB at k = 448).
 * Packing A as well measured slower: the transposition cost as much as the
 * narrow output layer's FMAs.  Each element of C is one chain of FMAs over
 * k in order, then C + α·acc, so its value depends neither on m, nor on
 * the rows computed beside it, nor on AVX2 against AVX-512. */
#include "vae_private.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GEMM_X86 1
#include <immintrin.h>
#endif

/* The CPU's best kernel, or a lesser one that VAE_GEMM names (blas, avx2,
 * avx512): a diagnostic, so OpenBLAS and the kernels can be compared in
 * the same build. */
VaeGemmIsa
vae_gemm_best_isa (void)
{
  static int isa = -1;
  if (isa < 0) {
    const char *env = getenv ("VAE_GEMM");
    int best = VAE_GEMM_BLAS;
#ifdef GEMM_X86
    __builtin_cpu_init ();
    if (__builtin_cpu_supports ("avx512f"))
      best = VAE_GEMM_AVX512;
    else if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
      best = VAE_GEMM_AVX2;
#endif
    if (env != NULL && strcmp (env, "blas") == 0)
      best = VAE_GEMM_BLAS;
    else if (env != NULL && strcmp (env, "avx2") == 0 && best > VAE_GEMM_AVX2)
      best = VAE_GEMM_AVX2;
    isa = best;
  }
  return (VaeGemmIsa) isa;
}

static int
nr_of (VaeGemmIsa isa)
{
  return isa == VAE_GEMM_AVX512 ? 32 : 16;
}

size_t
vae_gemm_packed_floats (int n, int k)
{
  return (size_t) ((n + 31) / 32 * 32) * k;
}

void
vae_gemm_pack (VaeGemmB *pb, float *buf, const float *b, int n, int k,
    int ldb, VaeGemmIsa isa)
{
  int nr = nr_of (isa);
  pb->n = n;
  pb->k = k;
  pb->ldb = ldb;
  pb->b = b;
  pb->isa = isa;
  pb->p = buf;
  if (isa == VAE_GEMM_BLAS)
    return;
  for (int j0 = 0; j0 < n; j0 += nr) {
    float *panel = buf + (size_t) j0 * k;
    for (int kk = 0; kk < k; kk++)
      for (int jj = 0; jj < nr; jj++)
        panel[(size_t) kk * nr + jj] = j0 + jj < n
            ? b[(size_t) (j0 + jj) * ldb + kk] : 0.0f;
  }
}

#ifdef GEMM_X86
/* mr rows of A (lda) as [k][mr]: the kernel's broadcasts then walk one
 * pointer, which leaves the registers to the accumulators. */
/* One MR-row block against one panel; mr and the column count are
 * constants after inlining into the switch below, so the accumulators stay
 * in registers. */
#define KERNEL_AVX512(NAME, MR, AIDX)                                          \
  __attribute__ ((target ("avx512f"), noinline)) static void                 \
  NAME (int k, const float *restrict a, int lda,                              \
      const float *restrict p, float alpha, float *restrict c, int ldc,      \
      __mmask16 m0, __mmask16 m1, int relu)                                   \
  {                                                                           \
    __m512 acc[MR][2];                                                        \
    _Pragma ("GCC unroll 16")                                               \
    for (int r = 0; r < MR; r++)                                              \
      acc[r][0] = acc[r][1] = _mm512_setzero_ps ();                           \
    for (int kk = 0; kk < k; kk++) {                                          \
      __m512 b0 = _mm512_load_ps (p + (size_t) kk * 32);                      \
      __m512 b1 = _mm512_load_ps (p + (size_t) kk * 32 + 16);                 \
      _Pragma ("GCC unroll 16")                                               \
    for (int r = 0; r < MR; r++) {                                          \
        __m512 av = _mm512_set1_ps (a[AIDX]);                                 \
        acc[r][0] = _mm512_fmadd_ps (av, b0, acc[r][0]);                      \
        acc[r][1] = _mm512_fmadd_ps (av, b1, acc[r][1]);                      \
      }                                                                       \
    }                                                                         \
    const __m512 al = _mm512_set1_ps (alpha), z = _mm512_setzero_ps ();       \
    _Pragma ("GCC unroll 16")                                               \
    for (int r = 0; r < MR; r++) {                                            \
      float *cr = c + (size_t) r * ldc;                                       \
      __m512 v0 = _mm512_fmadd_ps (acc[r][0], al,                             \
          _mm512_maskz_loadu_ps (m0, cr));                                    \
      __m512 v1 = _mm512_fmadd_ps (acc[r][1], al,                             \
          _mm512_maskz_loadu_ps (m1, cr + 16));                               \
      if (relu) {                                                             \
        v0 = _mm512_max_ps (v0, z);                                           \
        v1 = _mm512_max_ps (v1, z);                                           \
      }                                                                       \
      _mm512_mask_storeu_ps (cr, m0, v0);                                     \
      _mm512_mask_storeu_ps (cr + 16, m1, v1);                                \
    }                                                                         \
  }
#define ROWS (size_t) r * lda + kk
KERNEL_AVX512 (row512_8, 8, ROWS)
KERNEL_AVX512 (row512_4, 4, ROWS)
KERNEL_AVX512 (row512_2, 2, ROWS)
KERNEL_AVX512 (row512_1, 1, ROWS)

/* Row blocks outer, panels inner: the block's rows of A and C stay in L1
 * while the packed B streams from L2. */
__attribute__ ((target ("avx512f"))) static void
gemm_avx512 (int m, const float *a, int lda, const VaeGemmB *pb, float alpha,
    float *c, int ldc, int relu)
{
  int n = pb->n, k = pb->k;
  for (int i = 0; i < m;) {
    int r = m - i, mr = r >= 8 ? 8 : r >= 4 ? 4 : r >= 2 ? 2 : 1;
    const float *ai = a + (size_t) i * lda;
    for (int j0 = 0; j0 < n; j0 += 32) {
      const float *p = pb->p + (size_t) j0 * k;
      float *ci = c + (size_t) i * ldc + j0;
      int w = n - j0 < 32 ? n - j0 : 32;
      __mmask16 m0 = (__mmask16) (w >= 16 ? 0xffff : (1u << w) - 1);
      __mmask16 m1 = (__mmask16) (w >= 32 ? 0xffff : w > 16
          ? (1u << (w - 16)) - 1 : 0);
      switch (mr) {
        case 8: row512_8 (k, ai, lda, p, alpha, ci, ldc, m0, m1, relu); break;
        case 4: row512_4 (k, ai, lda, p, alpha, ci, ldc, m0, m1, relu); break;
        case 2: row512_2 (k, ai, lda, p, alpha, ci, ldc, m0, m1, relu); break;
        default: row512_1 (k, ai, lda, p, alpha, ci, ldc, m0, m1, relu); break;
      }
    }
    i += mr;
  }
}

#define KERNEL_AVX2(NAME, MR, AIDX)                                            \
  __attribute__ ((target ("avx2,fma"), noinline)) static void                \
  NAME (int k, const float *restrict a, int lda,                              \
      const float *restrict p, float alpha, float *restrict c, int ldc,      \
      __m256i m0, __m256i m1, int relu)                                       \
  {                                                                           \
    __m256 acc[MR][2];                                                        \
    _Pragma ("GCC unroll 16")                                               \
    for (int r = 0; r < MR; r++)                                              \
      acc[r][0] = acc[r][1] = _mm256_setzero_ps ();                           \
    for (int kk = 0; kk < k; kk++) {                                          \
      __m256 b0 = _mm256_load_ps (p + (size_t) kk * 16);                      \
      __m256 b1 = _mm256_load_ps (p + (size_t) kk * 16 + 8);                  \
      _Pragma ("GCC unroll 16")                                               \
    for (int r = 0; r < MR; r++) {                                          \
        __m256 av = _mm256_broadcast_ss (a + AIDX);                           \
        acc[r][0] = _mm256_fmadd_ps (av, b0, acc[r][0]);                      \
        acc[r][1] = _mm256_fmadd_ps (av, b1, acc[r][1]);                      \
      }                                                                       \
    }                                                                         \
    const __m256 al = _mm256_set1_ps (alpha), z = _mm256_setzero_ps ();       \
    _Pragma ("GCC unroll 16")                                               \
    for (int r = 0; r < MR; r++) {                                            \
      float *cr = c + (size_t) r * ldc;                                       \
      __m256 v0 = _mm256_fmadd_ps (acc[r][0], al,                             \
          _mm256_maskload_ps (cr, m0));                                       \
      __m256 v1 = _mm256_fmadd_ps (acc[r][1], al,                             \
          _mm256_maskload_ps (cr + 8, m1));                                   \
      if (relu) {                                                             \
        v0 = _mm256_max_ps (v0, z);                                           \
        v1 = _mm256_max_ps (v1, z);                                           \
      }                                                                       \
      _mm256_maskstore_ps (cr, m0, v0);                                       \
      _mm256_maskstore_ps (cr + 8, m1, v1);                                   \
    }                                                                         \
  }
KERNEL_AVX2 (row256_6, 6, ROWS)
KERNEL_AVX2 (row256_4, 4, ROWS)
KERNEL_AVX2 (row256_2, 2, ROWS)
KERNEL_AVX2 (row256_1, 1, ROWS)

__attribute__ ((target ("avx2,fma"))) static __m256i
lane_mask (int w)             /* lanes [0, w) set, w in [0, 8] */
{
  const __m256i idx = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 (w), idx);
}

__attribute__ ((target ("avx2,fma"))) static void
gemm_avx2 (int m, const float *a, int lda, const VaeGemmB *pb, float alpha,
    float *c, int ldc, int relu)
{
  int n = pb->n, k = pb->k;
  for (int i = 0; i < m;) {
    int r = m - i, mr = r >= 6 ? 6 : r >= 4 ? 4 : r >= 2 ? 2 : 1;
    const float *ai = a + (size_t) i * lda;
    for (int j0 = 0; j0 < n; j0 += 16) {
      const float *p = pb->p + (size_t) j0 * k;
      float *ci = c + (size_t) i * ldc + j0;
      int w = n - j0 < 16 ? n - j0 : 16;
      __m256i m0 = lane_mask (w > 8 ? 8 : w), m1 = lane_mask (w > 8 ? w - 8 : 0);
      switch (mr) {
        case 6: row256_6 (k, ai, lda, p, alpha, ci, ldc, m0, m1, relu); break;
        case 4: row256_4 (k, ai, lda, p, alpha, ci, ldc, m0, m1, relu); break;
        case 2: row256_2 (k, ai, lda, p, alpha, ci, ldc, m0, m1, relu); break;
        default: row256_1 (k, ai, lda, p, alpha, ci, ldc, m0, m1, relu); break;
      }
    }
    i += mr;
  }
}
#endif

void
vae_gemm_run (int m, const float *a, int lda, const VaeGemmB *pb, float alpha,
    float *c, int ldc, int relu)
{
  if (m < 1 || pb->n < 1)
    return;
#ifdef GEMM_X86
  if (pb->isa == VAE_GEMM_AVX512) {
    gemm_avx512 (m, a, lda, pb, alpha, c, ldc, relu);
    return;
  }
  if (pb->isa == VAE_GEMM_AVX2) {
    gemm_avx2 (m, a, lda, pb, alpha, c, ldc, relu);
    return;
  }
#endif
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, m, pb->n, pb->k,
      alpha, a, lda, pb->b, pb->ldb, 1.0f, c, ldc);
  if (relu)
    for (int i = 0; i < m; i++)
      for (int j = 0; j < pb->n; j++) {
        float *v = c + (size_t) i * ldc + j;
        *v = *v > 0.0f ? *v : 0.0f;
      }
}
