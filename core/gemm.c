/* Float GEMM: B packed into panels, the AVX-512 and AVX2 FMA kernels.
 *
 * C += α·A·Bᵀ for the patch denoiser's products: a register-blocked FMA
 * kernel (AVX-512 or AVX2), or cblas_sgemm where neither is available
 * (blas.c).
 *
 * Why not always OpenBLAS: it picks its kernels from the CPU model, and a
 * model it does not know gets its generic SSE3 ("Prescott") kernels.
 * Debian 12's OpenBLAS 0.3.21 does that on Emerald Rapids Xeons, far below
 * the FMA ceiling.  The denoiser's products always have the same form
 * (patches × patch × hidden, hidden × patch), so a kernel chosen from the
 * CPU's features, not its model, covers them; all other GEMMs stay with
 * OpenBLAS.
 *
 * B is packed in panels of NR columns, [n/NR][k][NR], zero-padded past n.
 * The kernel keeps an MR × NR block of C in registers (AVX-512: 8 × 32 in
 * 16 zmm; AVX2: 6 × 16 in 12 ymm), broadcasts A straight from its rows and
 * streams the panel (k·NR floats: 8 KiB at k = 64, 56 KiB at k = 448).
 * Packing A as well measured slower: the transposition cost as much as the
 * narrow output layer's FMAs.  Each element of C is one chain of FMAs over
 * k in order, then C + α·acc, so its value depends neither on m, nor on
 * the rows computed beside it, nor on AVX2 against AVX-512. */
#include "gemm_impl.h"

#include <string.h>

size_t
vae_gemm_packed_floats (int n, int k)
{
  return (size_t) ((n + 31) / 32 * 32) * k;
}

#ifdef GEMM_X86
/* dst[t·ld + r] = b[r·ldb + t] for an 8 × 8 block: eight rows of B in, its
 * eight columns out */
__attribute__ ((target ("avx2,fma"))) static void
transpose8 (const float *b, int ldb, float *dst, int ld)
{
  __m256 r[8];
  for (int i = 0; i < 8; i++)
    r[i] = _mm256_loadu_ps (b + (size_t) i * ldb);
  transpose8_store (r, dst, ld);
}
#endif

/* b_nk: B is (n × k), ldb, as a layer's weights (op(B) = Bᵀ); else B is
 * (k × n), ldb (op(B) = B). */
void
vae_gemm_pack_tb (VaeGemmB *pb, float *buf, const float *b, int n,
    int k, int ldb, int b_nk, VaeGemmIsa isa)
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
  if (!b_nk) {
    /* B is k × n: row by row, each row's slices to the panels in turn,
     * so B streams through the cache in order; whole slices are fixed-size
     * copies the compiler makes vector moves (a variable memcpy became
     * rep movsq, slow for 64 bytes) */
    for (int kk = 0; kk < k; kk++) {
      const float *src = b + (size_t) kk * ldb;
      for (int j0 = 0; j0 < n; j0 += nr) {
        float *dst = buf + (size_t) j0 * k + (size_t) kk * nr;
        int w = n - j0 < nr ? n - j0 : nr;
        if (w == 16 && nr == 16) {
          memcpy (dst, src + j0, 16 * sizeof (float));
        } else if (w == 32 && nr == 32) {
          memcpy (dst, src + j0, 32 * sizeof (float));
        } else {
          memcpy (dst, src + j0, (size_t) w * sizeof (float));
          for (int jj = w; jj < nr; jj++)
            dst[jj] = 0.0f;
        }
      }
    }
    return;
  }
  for (int j0 = 0; j0 < n; j0 += nr) {
    float *panel = buf + (size_t) j0 * k;
    int w = n - j0 < nr ? n - j0 : nr;
    /* B is n × k: blocks of 8 values along k from each of the panel's
     * rows, so the rows' cache lines are read in order; whole 8 × 8
     * blocks transposed in registers */
    for (int k0 = 0; k0 < k; k0 += 8) {
      int kn = k - k0 < 8 ? k - k0 : 8, jj = 0;
#ifdef GEMM_X86
      if (kn == 8)
        for (; jj + 8 <= w; jj += 8)
          transpose8 (b + (size_t) (j0 + jj) * ldb + k0, ldb, panel
              + (size_t) k0 * nr + jj, nr);
#endif
      for (; jj < nr; jj++) {
        const float *br = b + (size_t) (j0 + jj) * ldb + k0;
        float *pc = panel + (size_t) k0 * nr + jj;
        for (int t = 0; t < kn; t++)
          pc[(size_t) t * nr] = jj < w ? br[t] : 0.0f;
      }
    }
  }
}

void
vae_gemm_pack (VaeGemmB *pb, float *buf, const float *b, int n, int k,
    int ldb, VaeGemmIsa isa)
{
  vae_gemm_pack_tb (pb, buf, b, n, k, ldb, 1, isa);
}

#ifdef GEMM_X86
/* One block of MR rows of C against one panel, w ≤ NR of its columns
 * real.  The accumulators start at zero and run over k in order; the
 * epilogue is C + α·acc (load_c), else bias + α·acc (bias NULL: 0), then
 * max(·, 0) if relu.  A's element (r, kk) is a[AIDX]: its rows in place,
 * or its columns (op(A) = Aᵀ).  bias is the panel's own slice. */
#define KERNEL_AVX512(NAME, MR, AIDX)                                          \
  __attribute__ ((target ("avx512f"), noinline)) static void                 \
  NAME (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,    \
      int w, const Epi *e, const float *bias, const float *mult,              \
      const void *x8)                                                         \
  {                                                                           \
    (void) mult;                                                              \
    (void) x8;                                                                \
    const float *restrict a = a_, *restrict p = p_;                           \
    float *restrict c = c_;                                                   \
    __mmask16 m0, m1;                                                         \
    __m512 acc[MR][2];                                                        \
    masks512 (w, &m0, &m1);                                                   \
    _Pragma ("GCC unroll 16")                                                 \
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
    __m512 c0 = _mm512_setzero_ps (), c1 = c0;                                \
    if (bias) {                                                               \
      c0 = _mm512_maskz_loadu_ps (m0, bias);                                  \
      c1 = _mm512_maskz_loadu_ps (m1, bias + 16);                             \
    }                                                                         \
    _Pragma ("GCC unroll 16")                                                 \
    for (int r = 0; r < MR; r++) {                                            \
      float *cr = c + (size_t) r * ldc;                                       \
      __m512 v0, v1;                                                          \
      epi512 (e, acc[r][0], acc[r][1], cr, m0, m1, c0, c1, &v0, &v1);         \
      _mm512_mask_storeu_ps (cr, m0, v0);                                     \
      _mm512_mask_storeu_ps (cr + 16, m1, v1);                                \
    }                                                                         \
  }
#define ROWS (size_t) r * lda + kk
#define COLS (size_t) kk * lda + r
KERNEL_AVX512 (row512_12, 12, ROWS)
KERNEL_AVX512 (row512_8, 8, ROWS)
KERNEL_AVX512 (row512_4, 4, ROWS)
KERNEL_AVX512 (row512_2, 2, ROWS)
KERNEL_AVX512 (row512_1, 1, ROWS)
KERNEL_AVX512 (col512_12, 12, COLS)
KERNEL_AVX512 (col512_8, 8, COLS)
KERNEL_AVX512 (col512_4, 4, COLS)
KERNEL_AVX512 (col512_2, 2, COLS)
KERNEL_AVX512 (col512_1, 1, COLS)

#define KERNEL_AVX2(NAME, MR, AIDX)                                            \
  __attribute__ ((target ("avx2,fma"), noinline)) static void                \
  NAME (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,    \
      int w, const Epi *e, const float *bias, const float *mult,              \
      const void *x8)                                                         \
  {                                                                           \
    (void) mult;                                                              \
    (void) x8;                                                                \
    const float *restrict a = a_, *restrict p = p_;                           \
    float *restrict c = c_;                                                   \
    const __m256i m0 = lane_mask (w > 8 ? 8 : w);                             \
    const __m256i m1 = lane_mask (w > 8 ? w - 8 : 0);                         \
    __m256 acc[MR][2];                                                        \
    _Pragma ("GCC unroll 16")                                                 \
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
    const __m256 al = _mm256_set1_ps (e->alpha), z = _mm256_setzero_ps ();    \
    __m256 c0 = z, c1 = z;                                                    \
    if (bias) {                                                               \
      c0 = _mm256_maskload_ps (bias, m0);                                     \
      c1 = _mm256_maskload_ps (bias + 8, m1);                                 \
    }                                                                         \
    _Pragma ("GCC unroll 16")                                                 \
    for (int r = 0; r < MR; r++) {                                            \
      float *cr = c + (size_t) r * ldc;                                       \
      __m256 v0 = _mm256_fmadd_ps (acc[r][0], al,                             \
          e->load_c ? _mm256_maskload_ps (cr, m0) : c0);                      \
      __m256 v1 = _mm256_fmadd_ps (acc[r][1], al,                             \
          e->load_c ? _mm256_maskload_ps (cr + 8, m1) : c1);                  \
      if (e->relu) {                                                          \
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
KERNEL_AVX2 (col256_6, 6, COLS)
KERNEL_AVX2 (col256_4, 4, COLS)
KERNEL_AVX2 (col256_2, 2, COLS)
KERNEL_AVX2 (col256_1, 1, COLS)

static const KernelSet set_avx512 = { 32, { 12, 8, 4, 2, 1 },
  { row512_12, row512_8, row512_4, row512_2, row512_1 },
  { col512_12, col512_8, col512_4, col512_2, col512_1 }, 4, 4, 0 };
static const KernelSet set_avx2 = { 16, { 6, 4, 2, 1 },
  { row256_6, row256_4, row256_2, row256_1 },
  { col256_6, col256_4, col256_2, col256_1 }, 4, 4, 0 };
#endif

void
vae_gemm_run_epi (int m, const float *a, int lda, const VaeGemmB *pb,
    float *c, int ldc, const Epi *e)
{
#ifdef GEMM_X86
  if (pb->isa == VAE_GEMM_AVX512 || pb->isa == VAE_GEMM_AVX2)
    vae_gemm_kernels (pb->isa == VAE_GEMM_AVX512 ? &set_avx512 : &set_avx2, m,
        a, lda, pb, pb->p, c, ldc, e);
#else
  (void) m; (void) a; (void) lda; (void) pb; (void) c; (void) ldc; (void) e;
#endif
}

void
vae_gemm_run (int m, const float *a, int lda, const VaeGemmB *pb, float alpha,
    float *c, int ldc, int relu, const float *bias)
{
  Epi e = { 0, relu, bias == NULL, 0, alpha, bias, 0, NULL, NULL, 0, 0.0f,
    0, 0, NULL, NULL };
  if (m < 1 || pb->n < 1)
    return;
  if (pb->isa != VAE_GEMM_BLAS)
    vae_gemm_run_epi (m, a, lda, pb, c, ldc, &e);
  else
    vae_gemm_run_blas (m, a, lda, pb, alpha, c, ldc, relu, bias);
}
