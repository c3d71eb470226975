/* bf16 GEMM: the denoiser's bf16 products and training's bf16 operands.
 *
 * vdpbf16ps, and AMX tiles for training where the CPU has them.
 *
 * The denoiser's products in bfloat16 where the CPU has AVX512_BF16:
 * vdpbf16ps multiplies pairs of bf16 and adds both products into a float
 * lane, twice the multiply-adds per instruction of vfmadd231ps.  A
 * (patches, hidden activations) and B (weights) are rounded to bf16, 8
 * significant bits; the sums stay in float.  B's panels hold pairs along
 * k: [n/32][k/2][32][2].  A's rows are bf16 with an even lda, their
 * element k (k odd) zero; C is written as float or, for a hidden layer
 * that feeds the next product, rounded to bf16 (RNE).  As in the float
 * kernels each element of C is one chain over k in order, so its value
 * does not depend on m or on the rows beside it.
 *
 * Mixed-precision training (VAE_PRECISION_BF16 in VaeTrainOpts): each dense
 * layer's three products, y = x·Wᵀ, dW = dyᵀ·x and dx = dy·W, take their
 * operands rounded to bf16 (to nearest, ties to even) and sum in float, as
 * the denoiser's bf16 path does; weights, Adam's moments, activations and
 * gradients stay float.  The operands are rounded and laid out afresh for
 * every product (the weights change every step), in one vector pass each:
 * rows (A of y and dx), pairs of rows interleaved (A of dW, for the
 * transposed kernel) and panels of pairs along k from B given k × n (x for
 * dW, W for dx) or n × k (W for y). */
#include "gemm_impl.h"

#include <string.h>

/* The training products take AMX-BF16 where the CPU has it
 * (vae_gemm_pack_bf16_nk, _kn with k padded to whole tile rows); the
 * denoiser's bf16 path keeps vdpbf16ps, whose sums do not depend on the
 * rows beside them. */
int
vae_gemm_bf16_k (int k)
{
  int q = vae_gemm_bf16_amx () ? 32 : 2;
  return (k + q - 1) / q * q;
}

uint16_t
vae_bf16_from_float (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u)        /* NaN stays NaN */
    return (uint16_t) ((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t) (u >> 16);
}

float
vae_bf16_to_float (uint16_t h)
{
  uint32_t u = (uint32_t) h << 16;
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

size_t
vae_gemm_packed_bf16 (int n, int k)
{
  return (size_t) ((n + 31) / 32 * 32) * (size_t) ((k + 1) / 2 * 2);
}

#ifdef GEMM_X86
#define KERNEL_BF16(NAME, MR, PIDX)                                          \
  __attribute__ ((target (BF16_TARGET), noinline)) static void               \
  NAME (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,    \
      int w, const Epi *e, const float *bias, const float *mult,              \
      const void *x8)                                                         \
  {                                                                           \
    (void) mult;                                                              \
    (void) x8;                                                                \
    const uint16_t *restrict a = a_, *restrict p = p_;                        \
    __mmask16 m0, m1;                                                         \
    __m512 acc[MR][2];                                                        \
    masks512 (w, &m0, &m1);                                                   \
    _Pragma ("GCC unroll 16")                                                 \
    for (int r = 0; r < MR; r++)                                              \
      acc[r][0] = acc[r][1] = _mm512_setzero_ps ();                           \
    for (int q = 0; q < k / 2; q++) {                                         \
      __m512bh b0 = (__m512bh) _mm512_load_si512 (p + (size_t) q * 64);      \
      __m512bh b1 = (__m512bh) _mm512_load_si512 (p + (size_t) q * 64 + 32); \
      _Pragma ("GCC unroll 16")                                               \
      for (int r = 0; r < MR; r++) {                                          \
        int32_t pair;                                                         \
        memcpy (&pair, a + (PIDX), sizeof pair);                              \
        __m512bh av = (__m512bh) _mm512_set1_epi32 (pair);                    \
        acc[r][0] = _mm512_dpbf16_ps (acc[r][0], av, b0);                     \
        acc[r][1] = _mm512_dpbf16_ps (acc[r][1], av, b1);                     \
      }                                                                       \
    }                                                                         \
    __m512 c0 = _mm512_setzero_ps (), c1 = c0;                                \
    if (bias) {                                                               \
      c0 = _mm512_maskz_loadu_ps (m0, bias);                                  \
      c1 = _mm512_maskz_loadu_ps (m1, bias + 16);                             \
    }                                                                         \
    _Pragma ("GCC unroll 16")                                                 \
    for (int r = 0; r < MR; r++) {                                            \
      __m512 v0, v1;                                                          \
      if (e->out16) {                                                         \
        uint16_t *hr = (uint16_t *) c_ + (size_t) r * ldc;                    \
        epi512 (e, acc[r][0], acc[r][1], NULL, m0, m1, c0, c1, &v0, &v1);     \
        _mm256_mask_storeu_epi16 (hr, m0,                                     \
            (__m256i) _mm512_cvtneps_pbh (v0));                               \
        _mm256_mask_storeu_epi16 (hr + 16, m1,                                \
            (__m256i) _mm512_cvtneps_pbh (v1));                               \
      } else {                                                                \
        float *cr = (float *) c_ + (size_t) r * ldc;                          \
        epi512 (e, acc[r][0], acc[r][1], cr, m0, m1, c0, c1, &v0, &v1);       \
        _mm512_mask_storeu_ps (cr, m0, v0);                                   \
        _mm512_mask_storeu_ps (cr + 16, m1, v1);                              \
      }                                                                       \
    }                                                                         \
  }
/* A's pair (A(r, 2q), A(r, 2q + 1)): in its row (A bf16, even lda), or for
 * op(A) = Aᵀ (training's dW = dyᵀ·x) the 32-bit word q·lda + r of
 * vae_bf16_pairs' layout */
#define PAIR_ROWS (size_t) r * lda + 2 * q
#define PAIR_COLS 2 * ((size_t) q * lda + r)
KERNEL_BF16 (bf16_8, 8, PAIR_ROWS)
KERNEL_BF16 (bf16_4, 4, PAIR_ROWS)
KERNEL_BF16 (bf16_2, 2, PAIR_ROWS)
KERNEL_BF16 (bf16_1, 1, PAIR_ROWS)
KERNEL_BF16 (bf16t_8, 8, PAIR_COLS)
KERNEL_BF16 (bf16t_4, 4, PAIR_COLS)
KERNEL_BF16 (bf16t_2, 2, PAIR_COLS)
KERNEL_BF16 (bf16t_1, 1, PAIR_COLS)

static const KernelSet set_bf16 = { 32, { 8, 4, 2, 1 },
  { bf16_8, bf16_4, bf16_2, bf16_1 }, { bf16t_8, bf16t_4, bf16t_2, bf16t_1 },
  2, 4, 0 };

/* 32 rows at a time on AMX tiles, the rest on vdpbf16ps */
static const KernelSet set_amx_bf16 = { 32, { 32, 8, 4, 2, 1 },
  { vae_gemm_amx_bf16_32, bf16_8, bf16_4, bf16_2, bf16_1 }, { NULL }, 2, 4,
  0 };

/* amx: float C of a product that may take the tiles (32 rows and more) */
static void
run_bf16 (int amx, int m, const uint16_t *a, int lda, const VaeGemmB *pb,
    void *c, int ldc, const Epi *e)
{
  if (m < 1 || pb->n < 1)
    return;
  if (amx && pb->isa == VAE_GEMM_AMX && m >= 32) {
    vae_gemm_amx_begin ();
    vae_gemm_kernels (&set_amx_bf16, m, a, lda, pb, pb->h, c, ldc, e);
    vae_gemm_amx_end ();
    return;
  }
  vae_gemm_kernels (&set_bf16, m, a, lda, pb, pb->h, c, ldc, e);
}
#endif

void
vae_gemm_run_bf16 (int m, const uint16_t *a, int lda, const VaeGemmB *pb,
    float alpha, float *c, uint16_t *ch, int ldc, int relu,
    const float *bias)
{
#ifdef GEMM_X86
  Epi e = { 0, relu, bias == NULL && ch == NULL, ch != NULL, alpha, bias,
    0, NULL, NULL, 0, 0.0f, 0, 0, NULL, NULL };
  run_bf16 (ch == NULL, m, a, lda, pb, ch ? (void *) ch : (void *) c, ldc,
      &e);
#else
  (void) m; (void) a; (void) lda; (void) pb; (void) alpha; (void) c;
  (void) ch; (void) ldc; (void) relu; (void) bias;
#endif
}

#ifdef GEMM_X86
/* 32 floats of row r0 and of row r1 (NULL: zeros), w ≤ 32 of them real,
 * to 32 words of pairs (r0[j], r1[j]) at dst (64 bf16) */
__attribute__ ((target (BF16_TARGET), always_inline)) static inline void
interleave32 (uint16_t *dst, const float *r0, const float *r1, int w)
{
  static const uint16_t lo[32] = { 0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37,
    6, 38, 7, 39, 8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15,
    47 };
  __mmask16 m0, m1;
  __m512i ilo, ihi, a, b;
  masks512 (w, &m0, &m1);
  ilo = _mm512_loadu_si512 (lo);
  ihi = _mm512_add_epi16 (ilo, _mm512_set1_epi16 (16));
  a = (__m512i) _mm512_cvtne2ps_pbh (_mm512_maskz_loadu_ps (m1, r0 + 16),
      _mm512_maskz_loadu_ps (m0, r0));
  b = r1 == NULL ? _mm512_setzero_si512 () : (__m512i) _mm512_cvtne2ps_pbh
      (_mm512_maskz_loadu_ps (m1, r1 + 16), _mm512_maskz_loadu_ps (m0, r1));
  _mm512_storeu_si512 (dst, _mm512_permutex2var_epi16 (a, ilo, b));
  _mm512_storeu_si512 (dst + 32, _mm512_permutex2var_epi16 (a, ihi, b));
}

__attribute__ ((target (BF16_TARGET))) static void
rows_bf16 (uint16_t *dst, int ldd, const float *src, int lds, int rows,
    int cols)
{
  for (int i = 0; i < rows; i++) {
    const float *s = src + (size_t) i * lds;
    uint16_t *d = dst + (size_t) i * ldd;
    for (int j0 = 0; j0 < ldd; j0 += 32) {
      int w = cols - j0 < 0 ? 0 : cols - j0 > 32 ? 32 : cols - j0;
      int wd = ldd - j0 > 32 ? 32 : ldd - j0;
      __mmask16 m0, m1;
      masks512 (w, &m0, &m1);
      __m512i v = (__m512i) _mm512_cvtne2ps_pbh (_mm512_maskz_loadu_ps (m1,
              s + j0 + 16), _mm512_maskz_loadu_ps (m0, s + j0));
      _mm512_mask_storeu_epi16 (d + j0, (__mmask32) (wd == 32 ? 0xffffffffu
              : (1u << wd) - 1), v);
    }
  }
}

__attribute__ ((target (BF16_TARGET))) static void
pairs_bf16 (uint16_t *dst, int ldd, const float *src, int lds, int rows,
    int cols)
{
  for (int q = 0; q < (rows + 1) / 2; q++) {
    const float *r0 = src + (size_t) 2 * q * lds;
    const float *r1 = 2 * q + 1 < rows ? r0 + lds : NULL;
    uint16_t *d = dst + (size_t) q * ldd * 2;
    int j0 = 0;
    for (; j0 + 32 <= ldd; j0 += 32)
      interleave32 (d + 2 * j0, r0 + j0, r1 ? r1 + j0 : NULL, cols - j0 < 0
          ? 0 : cols - j0 > 32 ? 32 : cols - j0);
    for (; j0 < ldd; j0++) {
      d[2 * j0] = j0 < cols ? vae_bf16_from_float (r0[j0]) : 0;
      d[2 * j0 + 1] = j0 < cols && r1 ? vae_bf16_from_float (r1[j0]) : 0;
    }
  }
}

/* B n × k (a layer's weights) to the panels [n/32][k/2][32][2]: per
 * panel, blocks of 8 rows × 16 values of k, each row's 8 pairs rounded in
 * one instruction, the block's words transposed in registers */
__attribute__ ((target (BF16_TARGET))) static void
pack_nk_bf16 (uint16_t *buf, const float *b, int n, int k, int kp, int ldb)
{
  int kq = kp / 2;
  for (int j0 = 0; j0 < n; j0 += 32) {
    uint16_t *panel = buf + (size_t) j0 * kp;
    for (int q0 = 0; q0 < kq; q0 += 8) {
      int kn = k - 2 * q0 > 16 ? 16 : k - 2 * q0 > 0 ? k - 2 * q0 : 0;
      __mmask16 mk = (__mmask16) ((1u << kn) - 1);
      float tmp[8 * 8] __attribute__ ((aligned (32)));
      int qn = kq - q0 > 8 ? 8 : kq - q0;
      for (int jj = 0; jj < 32; jj += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; i++)
          r[i] = j0 + jj + i < n ? (__m256) _mm512_cvtneps_pbh
              (_mm512_maskz_loadu_ps (mk, b + (size_t) (j0 + jj + i) * ldb
                      + 2 * q0)) : _mm256_setzero_ps ();
        if (qn == 8) {
          transpose8_store (r, (float *) (panel + ((size_t) q0 * 32 + jj)
                  * 2), 32);
        } else {
          transpose8_store (r, tmp, 8);
          for (int t = 0; t < qn; t++)
            memcpy (panel + ((size_t) (q0 + t) * 32 + jj) * 2, tmp + 8 * t,
                8 * sizeof (float));
        }
      }
    }
  }
}

/* B k × n to panels [n/32][k/2][32][2]: each pair of B's rows interleaved,
 * 32 columns at a time */
__attribute__ ((target (BF16_TARGET))) static void
pack_kn_bf16 (uint16_t *buf, const float *b, int n, int k, int kp, int ldb)
{
  for (int q = 0; q < kp / 2; q++) {
    const float *r0 = b + (size_t) 2 * q * ldb;
    const float *r1 = 2 * q + 1 < k ? r0 + ldb : NULL;
    for (int j0 = 0; j0 < n; j0 += 32) {
      uint16_t *d = buf + (size_t) j0 * kp + (size_t) q * 64;
      if (2 * q < k)
        interleave32 (d, r0 + j0, r1 ? r1 + j0 : NULL, n - j0 > 32 ? 32
            : n - j0);
      else                    /* the padding past k */
        memset (d, 0, 64 * sizeof (uint16_t));
    }
  }
}

/* srcᵀ rounded: dst row j (ldd elements) = column j of src, zero past
 * rows; each pair of src rows interleaved 32 columns at a time as
 * pack_kn_bf16 does, then the 32-bit words scattered to their rows */
__attribute__ ((target (BF16_TARGET))) static void
trans_bf16 (uint16_t *dst, int ldd, const float *src, int lds, int rows,
    int cols)
{
  uint32_t *d = (uint32_t *) dst;
  size_t ld = (size_t) ldd / 2;
  for (int q = 0; q < ldd / 2; q++) {
    const float *r0 = src + (size_t) 2 * q * lds;
    const float *r1 = 2 * q + 1 < rows ? r0 + lds : NULL;
    for (int j0 = 0; j0 < cols; j0 += 32) {
      uint32_t w[32] __attribute__ ((aligned (64)));
      int n = cols - j0 > 32 ? 32 : cols - j0;
      if (2 * q < rows)
        interleave32 ((uint16_t *) w, r0 + j0, r1 ? r1 + j0 : NULL, n);
      else
        memset (w, 0, sizeof w);
      for (int j = 0; j < n; j++)
        d[(size_t) (j0 + j) * ld + q] = w[j];
    }
  }
}
#endif

void
vae_bf16_rows (uint16_t *dst, int ldd, const float *src, int lds, int rows,
    int cols)
{
#ifdef GEMM_X86
  rows_bf16 (dst, ldd, src, lds, rows, cols);
#else
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < ldd; j++)
      dst[(size_t) i * ldd + j] = j < cols
          ? vae_bf16_from_float (src[(size_t) i * lds + j]) : 0;
#endif
}

void
vae_bf16_trans (uint16_t *dst, int ldd, const float *src, int lds, int rows,
    int cols)
{
#ifdef GEMM_X86
  trans_bf16 (dst, ldd, src, lds, rows, cols);
#else
  for (int j = 0; j < cols; j++)
    for (int i = 0; i < ldd; i++)
      dst[(size_t) j * ldd + i] = i < rows
          ? vae_bf16_from_float (src[(size_t) i * lds + j]) : 0;
#endif
}

void
vae_bf16_pairs (uint16_t *dst, int ldd, const float *src, int lds, int rows,
    int cols)
{
#ifdef GEMM_X86
  pairs_bf16 (dst, ldd, src, lds, rows, cols);
#else
  (void) dst; (void) ldd; (void) src; (void) lds; (void) rows; (void) cols;
#endif
}

/* kp: k padded (even; zero past k).  train: the training products, which
 * take AMX where kp is whole tile rows */
static void
pb_bf16 (VaeGemmB *pb, uint16_t *buf, const float *b, int n, int kp, int ldb,
    int train)
{
  pb->n = n;
  pb->k = kp;
  pb->ldb = ldb;
  pb->b = b;
  pb->isa = train && kp % 32 == 0 && vae_gemm_bf16_amx () ? VAE_GEMM_AMX
      : VAE_GEMM_AVX512;
  pb->p = NULL;
  pb->h = buf;
}

void
vae_gemm_pack_bf16 (VaeGemmB *pb, uint16_t *buf, const float *b, int n,
    int k, int ldb)
{
  pb_bf16 (pb, buf, b, n, (k + 1) / 2 * 2, ldb, 0);
#ifdef GEMM_X86
  pack_nk_bf16 (buf, b, n, k, pb->k, ldb);
#endif
}

void
vae_gemm_pack_bf16_nk (VaeGemmB *pb, uint16_t *buf, const float *b, int n,
    int k, int kp, int ldb)
{
  pb_bf16 (pb, buf, b, n, kp, ldb, 1);
#ifdef GEMM_X86
  pack_nk_bf16 (buf, b, n, k, kp, ldb);
#endif
}

void
vae_gemm_pack_bf16_kn (VaeGemmB *pb, uint16_t *buf, const float *b, int n,
    int k, int kp, int ldb)
{
  pb_bf16 (pb, buf, b, n, kp, ldb, 1);
#ifdef GEMM_X86
  pack_kn_bf16 (buf, b, n, k, kp, ldb);
#endif
}

void
vae_gemm_run_bf16_ta (int ta, int m, const uint16_t *a, int lda,
    const VaeGemmB *pb, float alpha, float *c, int ldc, int accumulate)
{
#ifdef GEMM_X86
  Epi e = { ta, 0, accumulate, 0, alpha, NULL, 0, NULL, NULL, 0, 0.0f, 0,
    0, NULL, NULL };
  run_bf16 (!ta, m, a, lda, pb, c, ldc, &e);
#else
  (void) ta; (void) m; (void) a; (void) lda; (void) pb; (void) alpha;
  (void) c; (void) ldc; (void) accumulate;
#endif
}
