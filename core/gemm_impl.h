/* Private to the GEMM files: the kernels' shared types and inline parts. */
#ifndef VAE_GEMM_IMPL_H
#define VAE_GEMM_IMPL_H

#include "vae_private.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GEMM_X86 1
#include <immintrin.h>
#endif

static inline int
nr_of (VaeGemmIsa isa)
{
  return isa >= VAE_GEMM_AVX512 ? 32 : 16;
}

/* What a kernel does with its block's sums (the epilogue) and how it reads
 * A; set once per product. */
typedef struct {
  int ta, relu, load_c;       /* ta: op(A) = Aᵀ */
  int out16;                  /* C is bf16 (the bf16 kernels) */
  float alpha;
  const float *bias;
  int out8;                   /* C is 8-bit codes (the int8 kernels) */
  const float *mult;          /* the int8 kernels' per-column scale */
  const uint8_t *x8;          /* int8: C = acc·mult + x8·xa + bias */
  int ldx;
  float xa;
  int rows;                   /* AMX int8: rows of the block stored (0: all) */
  int bounded;                /* int8 codes: every acc·mult + bias lies in
                               * (−2³⁰, 2³⁰) (run_i8 checks), so the packs'
                               * saturation alone clamps */
  /* int8 on AVX-512 and AMX: v = acc·mult + bias, then v + f·w with each
   * row's f (lrow) and each column's w (lcol), into codes (out8: v + ½
   * truncated, clamped to [0, 255]) or (out16) ReLU in bf16 */
  const float *lrow, *lcol;
} Epi;

/* A block of rows of C (float, or bf16 when e->out16) against one packed
 * panel; A and the panel hold floats or bf16 as the kernel set says.
 * rx: the block's first row of e->x8, or of e->lrow (a float each). */
typedef void KernelFn (int k, const void *a, int lda, const void *p,
    void *c, int ldc, int w, const Epi *e, const float *bias,
    const float *mult, const void *rx);
typedef KernelFn *Kernel;

/* An instruction set's kernels: panel width, and row blocks from the
 * tallest down, for A in place and transposed (NULL: none); the bytes of
 * an element of A and of the panels; the panels' bytes a pass over A
 * takes at once. */
typedef struct {
  int nr, mr[5];
  Kernel rows[5], cols[5];
  int esize;
  int col_step;               /* bytes from one row of op(A) = Aᵀ to the next */
  int group;                  /* 0: 256 KiB, a share of L2 */
} KernelSet;

/* Panels in groups of at most 256 KiB (L2), row blocks within a group,
 * panels within a row block: the block's rows of A and C stay in L1 while
 * the group streams from L2.  panels: pb's, of the set's element type.
 * Inline, so that a caller's constant set folds into the loops. */
static inline void
vae_gemm_kernels (const KernelSet *ks, int m, const void *a, int lda,
    const VaeGemmB *pb, const void *panels, void *c, int ldc, const Epi *e)
{
  int n = pb->n, k = pb->k, nr = ks->nr;
  size_t es = (size_t) ks->esize, ec = e->out8 ? 1 : e->out16 ? 2 : 4;
  size_t gb = ks->group ? (size_t) ks->group : 262144;
  int group = (int) (gb / ((size_t) k * nr * es)) * nr;
  group = group < nr ? nr : group;
  for (int g0 = 0; g0 < n; g0 += group) {
    int g1 = g0 + group < n ? g0 + group : n;
    for (int i = 0; i < m;) {
      int q = 0;
      while (ks->mr[q] > m - i)
        q++;
      Kernel kern = e->ta ? ks->cols[q] : ks->rows[q];
      const char *ai = (const char *) a + (e->ta ? (size_t) i * ks->col_step
          : (size_t) i * lda * es);
      for (int j0 = g0; j0 < g1; j0 += nr)
        kern (k, ai, lda, (const char *) panels + (size_t) j0 * k * es,
            (char *) c + ((size_t) i * ldc + j0) * ec, ldc,
            n - j0 < nr ? n - j0 : nr, e, e->bias ? e->bias + j0 : NULL,
            e->mult ? e->mult + j0 : NULL,
            e->x8 ? (const void *) (e->x8 + (size_t) i * e->ldx + j0)
            : e->lrow ? (const void *) (e->lrow + i) : NULL);
      i += ks->mr[q];
    }
  }
}

/* gemm.c: the float panels, B as k × n (b_nk = 0) or n × k (b_nk = 1), and
 * their product with A. */
void vae_gemm_pack_tb (VaeGemmB *pb, float *buf, const float *b, int n,
    int k, int ldb, int b_nk, VaeGemmIsa isa);
void vae_gemm_run_epi (int m, const float *a, int lda, const VaeGemmB *pb,
    float *c, int ldc, const Epi *e);

/* blas.c: the same product on OpenBLAS, bias and ReLU as the kernels'
 * epilogue applies them */
void vae_gemm_run_blas (int m, const float *a, int lda, const VaeGemmB *pb,
    float alpha, float *c, int ldc, int relu, const float *bias);
/* blas.c: C = β·C + α·op(A)·op(B), or C = bias + α·op(A)·op(B) when bias
 * is given; then max(·, 0) if relu; on OpenBLAS. */
void vae_blas_epi (int ta, int tb, int m, int n, int k, float alpha,
    const float *a, int lda, const float *b, int ldb, float beta,
    const float *bias, int relu, float *c, int ldc);

#ifdef GEMM_X86
#define BF16_TARGET "avx512f,avx512bf16,avx512bw,avx512vl"
/* with AVX512_BF16 for the int8 epilogue's bf16 output, which only the
 * mixed path asks for, on CPUs that have it */
#define VNNI_TARGET "avx512f,avx512vnni,avx512bw,avx512vl,avx512bf16"

/* gemm_amx.c: 32 rows × 32 columns of C on AMX tiles, int8 (the VNNI
 * panels) and bf16 (the vdpbf16ps panels), between a begin and an end that
 * configure and release the tiles */
KernelFn vae_gemm_amx_32, vae_gemm_amx_bf16_32;
void vae_gemm_amx_begin (void);
void vae_gemm_amx_end (void);

/* dst[t·ld + r] = r[r][t]: an 8 × 8 block of 32-bit words transposed in
 * registers (unpack, shuffle, permute) */
__attribute__ ((target ("avx2"), always_inline)) static inline void
transpose8_store (const __m256 r[8], float *dst, int ld)
{
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps (r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps (r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps (t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps (t[i], t[i + 2], 0xee);
    u[i + 2] = _mm256_shuffle_ps (t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps (t[i + 1], t[i + 3], 0xee);
  }
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps (dst + (size_t) i * ld, _mm256_permute2f128_ps (u[i],
            u[i + 4], 0x20));
    _mm256_storeu_ps (dst + (size_t) (i + 4) * ld, _mm256_permute2f128_ps
        (u[i], u[i + 4], 0x31));
  }
}

/* The AVX-512 kernels' shared parts (fp32 and bf16): the masks of a
 * panel's w real columns, and one row's epilogue, v = C + α·acc (load_c)
 * or bias + α·acc, then ReLU. */
__attribute__ ((target ("avx512f"), always_inline)) static inline void
masks512 (int w, __mmask16 *m0, __mmask16 *m1)
{
  *m0 = (__mmask16) (w >= 16 ? 0xffff : (1u << w) - 1);
  *m1 = (__mmask16) (w >= 32 ? 0xffff : w > 16 ? (1u << (w - 16)) - 1 : 0);
}

__attribute__ ((target ("avx512f"), always_inline)) static inline void
epi512 (const Epi *e, __m512 a0, __m512 a1, const float *cr, __mmask16 m0,
    __mmask16 m1, __m512 c0, __m512 c1, __m512 *v0, __m512 *v1)
{
  const __m512 al = _mm512_set1_ps (e->alpha), z = _mm512_setzero_ps ();
  *v0 = _mm512_fmadd_ps (a0, al, e->load_c ? _mm512_maskz_loadu_ps (m0, cr)
      : c0);
  *v1 = _mm512_fmadd_ps (a1, al, e->load_c ? _mm512_maskz_loadu_ps (m1,
          cr + 16) : c1);
  if (e->relu) {
    *v0 = _mm512_max_ps (*v0, z);
    *v1 = _mm512_max_ps (*v1, z);
  }
}

__attribute__ ((target ("avx2,fma"))) static inline __m256i
lane_mask (int w)             /* lanes [0, w) set, w in [0, 8] */
{
  const __m256i idx = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 (w), idx);
}

/* The int8 epilogue of one row on AVX-512 (the VNNI and AMX kernels):
 * the panel's scales, biases and masks, set once per block, then each
 * row's accumulators into floats or codes. */
typedef struct {
  __m512 s0, s1, c0, c1, l0, l1;
  __mmask16 m0, m1;
  __mmask32 m32;
} EpiI8;

__attribute__ ((target (VNNI_TARGET), always_inline)) static inline void
epi_i8_init (EpiI8 *q, const Epi *e, int w, const float *bias,
    const float *mult)
{
  masks512 (w, &q->m0, &q->m1);
  q->m32 = (__mmask32) (w >= 32 ? 0xffffffffu : (1u << w) - 1);
  q->s0 = _mm512_maskz_loadu_ps (q->m0, mult);
  q->s1 = _mm512_maskz_loadu_ps (q->m1, mult + 16);
  q->c0 = q->c1 = q->l0 = q->l1 = _mm512_setzero_ps ();
  if (bias) {
    q->c0 = _mm512_maskz_loadu_ps (q->m0, bias);
    q->c1 = _mm512_maskz_loadu_ps (q->m1, bias + 16);
  }
  if (e->lrow) {              /* the panel's columns: mult is e->mult's */
    const float *lc = e->lcol + (mult - e->mult);
    q->l0 = _mm512_maskz_loadu_ps (q->m0, lc);
    q->l1 = _mm512_maskz_loadu_ps (q->m1, lc + 16);
  }
}

/* Row r with its level (Epi's lrow, if any): codes, or ReLU in bf16.  The
 * operations of the float epilogue and then of the denoiser's level pass
 * (denoise_i8.c, denoise_bf16.c), so the same bits as the two steps. */
__attribute__ ((target (VNNI_TARGET), always_inline)) static inline void
epi_i8_level_row (const Epi *e, const EpiI8 *q, __m512i a0, __m512i a1,
    void *c_, int ldc, int r, const float *lrow)
{
  const __m512 zero = _mm512_setzero_ps ();
  __m512 v0 = _mm512_fmadd_ps (_mm512_cvtepi32_ps (a0), q->s0, q->c0);
  __m512 v1 = _mm512_fmadd_ps (_mm512_cvtepi32_ps (a1), q->s1, q->c1);
  if (lrow) {
    const __m512 f = _mm512_set1_ps (lrow[r]);
    v0 = _mm512_fmadd_ps (f, q->l0, v0);
    v1 = _mm512_fmadd_ps (f, q->l1, v1);
  }
  if (e->out16) {
    uint16_t *cr = (uint16_t *) c_ + (size_t) r * ldc;
    _mm256_mask_storeu_epi16 (cr, q->m0, (__m256i) _mm512_cvtneps_pbh
        (_mm512_max_ps (v0, zero)));
    _mm256_mask_storeu_epi16 (cr + 16, q->m1, (__m256i) _mm512_cvtneps_pbh
        (_mm512_max_ps (v1, zero)));
  } else {
    uint8_t *cr = (uint8_t *) c_ + (size_t) r * ldc;
    const __m512 half = _mm512_set1_ps (0.5f), top = _mm512_set1_ps (255.0f);
    __m512i i0 = _mm512_cvttps_epi32 (_mm512_min_ps (_mm512_max_ps
            (_mm512_add_ps (v0, half), zero), top));
    __m512i i1 = _mm512_cvttps_epi32 (_mm512_min_ps (_mm512_max_ps
            (_mm512_add_ps (v1, half), zero), top));
    _mm_mask_storeu_epi8 (cr, q->m0, _mm512_cvtepi32_epi8 (i0));
    _mm_mask_storeu_epi8 (cr + 16, q->m1, _mm512_cvtepi32_epi8 (i1));
  }
}

__attribute__ ((target (VNNI_TARGET), always_inline)) static inline void
epi_i8_row (const Epi *e, const EpiI8 *q, __m512i a0, __m512i a1, void *c_,
    int ldc, int r, const void *rx)
{
  const uint8_t *x8 = e->x8 ? rx : NULL;
  if (e->lrow || e->out16) {
    epi_i8_level_row (e, q, a0, a1, c_, ldc, r, e->lrow ? rx : NULL);
    return;
  }
  if (e->out8) {
    uint8_t *cr = (uint8_t *) c_ + (size_t) r * ldc;
    const __m512 top = _mm512_set1_ps (255.0f);
    const __m512i zero = _mm512_setzero_si512 ();
    __m512 v0 = _mm512_fmadd_ps (_mm512_cvtepi32_ps (a0), q->s0, q->c0);
    __m512 v1 = _mm512_fmadd_ps (_mm512_cvtepi32_ps (a1), q->s1, q->c1);
    /* as on AVX2: min (255, v) keeps NaN, which converts to INT_MIN; max
     * with 0, then the unsigned saturating narrowing */
    __m512i i0 = _mm512_max_epi32 (_mm512_cvtps_epi32 (_mm512_min_ps (top,
                v0)), zero);
    __m512i i1 = _mm512_max_epi32 (_mm512_cvtps_epi32 (_mm512_min_ps (top,
                v1)), zero);
    __m256i bytes = _mm256_inserti128_si256 (_mm256_castsi128_si256
        (_mm512_cvtusepi32_epi8 (i0)), _mm512_cvtusepi32_epi8 (i1), 1);
    _mm256_mask_storeu_epi8 (cr, q->m32, bytes);
  } else {
    float *cr = (float *) c_ + (size_t) r * ldc;
    __m512 d0 = q->c0, d1 = q->c1;
    if (x8) {                 /* the residual's input codes, x8·xa + bias */
      __m256i xv = _mm256_maskz_loadu_epi8 (q->m32, x8 + (size_t) r
          * e->ldx);
      const __m512 xa = _mm512_set1_ps (e->xa);
      d0 = _mm512_fmadd_ps (_mm512_cvtepi32_ps (_mm512_cvtepu8_epi32
              (_mm256_castsi256_si128 (xv))), xa, q->c0);
      d1 = _mm512_fmadd_ps (_mm512_cvtepi32_ps (_mm512_cvtepu8_epi32
              (_mm256_extracti128_si256 (xv, 1))), xa, q->c1);
    } else if (e->load_c) {
      d0 = _mm512_maskz_loadu_ps (q->m0, cr);
      d1 = _mm512_maskz_loadu_ps (q->m1, cr + 16);
    }
    __m512 v0 = _mm512_fmadd_ps (_mm512_cvtepi32_ps (a0), q->s0, d0);
    __m512 v1 = _mm512_fmadd_ps (_mm512_cvtepi32_ps (a1), q->s1, d1);
    _mm512_mask_storeu_ps (cr, q->m0, v0);
    _mm512_mask_storeu_ps (cr + 16, q->m1, v1);
  }
}

/* Two rows' codes, all 32 columns real: min (255, v) in float as
 * epi_i8_row does (NaN and out-of-range values convert to INT_MIN), then
 * the saturating packs to int16 and to unsigned bytes clamp at 0 and keep
 * [0, 255]: epi_i8_row's bytes in half the narrowing instructions (the
 * 512-bit unsigned narrowing is two port-5 micro-ops each on Intel's
 * cores, where this epilogue bounds AMX's int8 kernel).  bounded (Epi's
 * flag): every v is finite and within ±2³⁰, so it converts to round(v)
 * and the packs clamp it to the same byte without the min, one
 * instruction in five of this epilogue.  The packs work within 128-bit
 * lanes; one permutation puts row r in the low 32 bytes and row r + 1 in
 * the high. */
__attribute__ ((target (VNNI_TARGET), always_inline)) static inline void
epi_i8_codes2 (const EpiI8 *q, __m512i a00, __m512i a01, __m512i a10,
    __m512i a11, uint8_t *cr, int ldc, int bounded)
{
  const __m512 top = _mm512_set1_ps (255.0f);
  const __m512i order = _mm512_setr_epi32 (0, 4, 8, 12, 1, 5, 9, 13, 2, 6,
      10, 14, 3, 7, 11, 15);
#define FMA(A, S, C) _mm512_fmadd_ps (_mm512_cvtepi32_ps (A), q->S, q->C)
#define CODE(A, S, C) _mm512_cvtps_epi32 (bounded ? FMA (A, S, C)            \
        : _mm512_min_ps (top, FMA (A, S, C)))
  __m512i b = _mm512_permutexvar_epi32 (order, _mm512_packus_epi16
      (_mm512_packs_epi32 (CODE (a00, s0, c0), CODE (a01, s1, c1)),
          _mm512_packs_epi32 (CODE (a10, s0, c0), CODE (a11, s1, c1))));
#undef CODE
#undef FMA
  _mm256_storeu_si256 ((void *) cr, _mm512_castsi512_si256 (b));
  _mm256_storeu_si256 ((void *) (cr + ldc), _mm512_extracti64x4_epi64 (b,
          1));
}

/* epi_i8_codes2 for rows with levels (Epi's lrow: f0 and f1 the two
 * rows'): epi_i8_level_row's operations up to w = v + f·l + ½, then
 * truncated and clamped by the packs: the same bytes.  min (255, w) keeps
 * NaN, which converts to INT_MIN and packs to 0, the byte max (w, 0)
 * gives; w ≤ −1 truncates to a negative, which packs to 0 too; w in
 * (−1, 255] truncates as the clamped w does. */
__attribute__ ((target (VNNI_TARGET), always_inline)) static inline void
epi_i8_level_codes2 (const EpiI8 *q, __m512i a00, __m512i a01, __m512i a10,
    __m512i a11, float f0, float f1, uint8_t *cr, int ldc)
{
  const __m512 top = _mm512_set1_ps (255.0f), half = _mm512_set1_ps (0.5f);
  const __m512 g0 = _mm512_set1_ps (f0), g1 = _mm512_set1_ps (f1);
  const __m512i order = _mm512_setr_epi32 (0, 4, 8, 12, 1, 5, 9, 13, 2, 6,
      10, 14, 3, 7, 11, 15);
#define W(A, S, C, L, G) _mm512_add_ps (_mm512_fmadd_ps (G, q->L,             \
          _mm512_fmadd_ps (_mm512_cvtepi32_ps (A), q->S, q->C)), half)
#define CODE(A, S, C, L, G) _mm512_cvttps_epi32 (_mm512_min_ps (top,          \
          W (A, S, C, L, G)))
  __m512i b = _mm512_permutexvar_epi32 (order, _mm512_packus_epi16
      (_mm512_packs_epi32 (CODE (a00, s0, c0, l0, g0), CODE (a01, s1, c1, l1,
                  g0)), _mm512_packs_epi32 (CODE (a10, s0, c0, l0, g1),
              CODE (a11, s1, c1, l1, g1))));
#undef CODE
#undef W
  _mm256_storeu_si256 ((void *) cr, _mm512_castsi512_si256 (b));
  _mm256_storeu_si256 ((void *) (cr + ldc), _mm512_extracti64x4_epi64 (b,
          1));
}
#endif

#endif
