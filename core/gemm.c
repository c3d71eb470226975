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
#include "gemm_impl.h"

#include <cblas.h>
#include <math.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

static int
nr_of (VaeGemmIsa isa)
{
  return isa >= VAE_GEMM_AVX512 ? 32 : 16;
}

size_t
vae_gemm_packed_floats (int n, int k)
{
  return (size_t) ((n + 31) / 32 * 32) * k;
}

#ifdef GEMM_X86
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
static void
pack (VaeGemmB *pb, float *buf, const float *b, int n, int k, int ldb,
    int b_nk, VaeGemmIsa isa)
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
  pack (pb, buf, b, n, k, ldb, 1, isa);
}

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
} Epi;

#ifdef GEMM_X86
/* One block of MR rows of C against one panel, w ≤ NR of its columns
 * real.  The accumulators start at zero and run over k in order; the
 * epilogue is C + α·acc (load_c), else bias + α·acc (bias NULL: 0), then
 * max(·, 0) if relu.  A's element (r, kk) is a[AIDX]: its rows in place,
 * or its columns (op(A) = Aᵀ).  bias is the panel's own slice. */
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

#define KERNEL_AVX512(NAME, MR, AIDX)                                          \
  __attribute__ ((target ("avx512f"), noinline)) static void                 \
  NAME (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,    \
      int w, const Epi *e, const float *bias, const float *mult,              \
      const uint8_t *x8)                                                      \
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

__attribute__ ((target ("avx2,fma"))) static inline __m256i
lane_mask (int w)             /* lanes [0, w) set, w in [0, 8] */
{
  const __m256i idx = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 (w), idx);
}

#define KERNEL_AVX2(NAME, MR, AIDX)                                            \
  __attribute__ ((target ("avx2,fma"), noinline)) static void                \
  NAME (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,    \
      int w, const Epi *e, const float *bias, const float *mult,              \
      const uint8_t *x8)                                                      \
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

/* A block of rows of C (float, or bf16 when e->out16) against one packed
 * panel; A and the panel hold floats or bf16 as the kernel set says. */
typedef void (*Kernel) (int k, const void *a, int lda, const void *p,
    void *c, int ldc, int w, const Epi *e, const float *bias,
    const float *mult, const uint8_t *x8);

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

static const KernelSet set_avx512 = { 32, { 12, 8, 4, 2, 1 },
  { row512_12, row512_8, row512_4, row512_2, row512_1 },
  { col512_12, col512_8, col512_4, col512_2, col512_1 }, 4, 4, 0 };
static const KernelSet set_avx2 = { 16, { 6, 4, 2, 1 },
  { row256_6, row256_4, row256_2, row256_1 },
  { col256_6, col256_4, col256_2, col256_1 }, 4, 4, 0 };

/* Panels in groups of at most 256 KiB (L2), row blocks within a group,
 * panels within a row block: the block's rows of A and C stay in L1 while
 * the group streams from L2.  panels: pb's, of the set's element type. */
static void
gemm_kernels (const KernelSet *ks, int m, const void *a, int lda,
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
            e->x8 ? e->x8 + (size_t) i * e->ldx + j0 : NULL);
      i += ks->mr[q];
    }
  }
}
#endif

/* ------------------------------------------------------- bfloat16 kernels
 *
 * The denoiser's products in bfloat16 where the CPU has AVX512_BF16:
 * vdpbf16ps multiplies pairs of bf16 and adds both products into a float
 * lane, twice the multiply-adds per instruction of vfmadd231ps (measured
 * 2.0× on AMD Zen 4).  A (patches, hidden activations) and B (weights) are
 * rounded to bf16, 8 significant bits; the sums stay in float.  B's panels
 * hold pairs along k: [n/32][k/2][32][2].  A's rows are bf16 with an even
 * lda, their element k (k odd) zero; C is written as float or, for a
 * hidden layer that feeds the next product, rounded to bf16 (RNE).  As in
 * the float kernels each element of C is one chain over k in order, so its
 * value does not depend on m or on the rows beside it. */

#ifdef GEMM_X86
static void amx_begin (void);
static void amx_end (void);
static const KernelSet set_amx_bf16;
#endif

/* AMX-BF16 (Intel Sapphire Rapids and later): tdpbf16ps multiplies a tile
 * of A, 16 rows × 32 bf16, by a tile of B, 16 pairs along k × 16 columns,
 * into 16 × 16 float sums, 8192 multiply-adds an instruction against
 * vdpbf16ps's 32.  The training products take it (vae_gemm_pack_bf16_nk,
 * _kn with k padded to whole tile rows, vae_gemm_bf16_k); the denoiser's
 * bf16 path keeps vdpbf16ps, whose sums do not depend on the rows beside
 * them.  VAE_GEMM_BF16=avx512 keeps vdpbf16ps for training too. */
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
#define BF16_TARGET "avx512f,avx512bf16,avx512bw,avx512vl"
#define KERNEL_BF16(NAME, MR, PIDX)                                          \
  __attribute__ ((target (BF16_TARGET), noinline)) static void               \
  NAME (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,    \
      int w, const Epi *e, const float *bias, const float *mult,              \
      const uint8_t *x8)                                                      \
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
#endif

void
vae_gemm_run_bf16 (int m, const uint16_t *a, int lda, const VaeGemmB *pb,
    float alpha, float *c, uint16_t *ch, int ldc, int relu,
    const float *bias)
{
#ifdef GEMM_X86
  Epi e = { 0, relu, bias == NULL && ch == NULL, ch != NULL, alpha, bias,
    0, NULL, NULL, 0, 0.0f, 0, 0 };
  if (m < 1 || pb->n < 1)
    return;
  if (pb->isa == VAE_GEMM_AMX && ch == NULL && m >= 32) {
    amx_begin ();
    gemm_kernels (&set_amx_bf16, m, a, lda, pb, pb->h, c, ldc, &e);
    amx_end ();
    return;
  }
  gemm_kernels (&set_bf16, m, a, lda, pb, pb->h, ch ? (void *) ch
      : (void *) c, ldc, &e);
#else
  (void) m; (void) a; (void) lda; (void) pb; (void) alpha; (void) c;
  (void) ch; (void) ldc; (void) relu; (void) bias;
#endif
}

/* ------------------------------------------ bfloat16 training products
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

/* B n × k (a layer's weights) to the panels [n/32][k/2][32][2]: per panel, blocks of 8 rows × 16 values of k, each row's 8 pairs
 * rounded in one instruction, the block's words transposed in registers */
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
    0 };
  if (m < 1 || pb->n < 1)
    return;
  if (pb->isa == VAE_GEMM_AMX && !ta && m >= 32) {
    amx_begin ();
    gemm_kernels (&set_amx_bf16, m, a, lda, pb, pb->h, c, ldc, &e);
    amx_end ();
    return;
  }
  gemm_kernels (&set_bf16, m, a, lda, pb, pb->h, c, ldc, &e);
#else
  (void) ta; (void) m; (void) a; (void) lda; (void) pb; (void) alpha;
  (void) c; (void) ldc; (void) accumulate;
#endif
}

static void
relu_rows (float *c, int m, int n, int ldc)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      float *v = c + (size_t) i * ldc + j;
      *v = *v > 0.0f ? *v : 0.0f;
    }
}

static void
run (int m, const float *a, int lda, const VaeGemmB *pb, float *c, int ldc,
    const Epi *e)
{
#ifdef GEMM_X86
  if (pb->isa == VAE_GEMM_AVX512 || pb->isa == VAE_GEMM_AVX2)
    gemm_kernels (pb->isa == VAE_GEMM_AVX512 ? &set_avx512 : &set_avx2, m,
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
    0, 0 };
  if (m < 1 || pb->n < 1)
    return;
  if (pb->isa != VAE_GEMM_BLAS) {
    run (m, a, lda, pb, c, ldc, &e);
    return;
  }
  if (bias)
    for (int i = 0; i < m; i++)
      memcpy (c + (size_t) i * ldc, bias, (size_t) pb->n * sizeof (float));
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, m, pb->n, pb->k,
      alpha, a, lda, pb->b, pb->ldb, 1.0f, c, ldc);
  if (relu)
    relu_rows (c, m, pb->n, ldc);
}

/* OpenBLAS (pthreads build) exports this for its fork handler: it ends the
 * worker threads, and the next threaded call starts them again.  Weak: a
 * BLAS without it leaves it NULL. */
extern int blas_thread_shutdown_ (void) __attribute__ ((weak));

void
vae_blas_threads (int n)
{
  static GMutex lock;
  openblas_set_num_threads (n > 0 ? n : 1);
  if (n <= 1 && blas_thread_shutdown_ != NULL) {
    g_mutex_lock (&lock);
    blas_thread_shutdown_ ();
    g_mutex_unlock (&lock);
  }
}

/* Each thread's buffer for the packed B of vae_sgemm: grown, never shrunk,
 * freed when the thread ends. */
static GPrivate pack_buf = G_PRIVATE_INIT (free);
static GPrivate pack_cap = G_PRIVATE_INIT (NULL);

/* C = β·C + α·op(A)·op(B), or with bias: C = bias + α·op(A)·op(B); then
 * max(·, 0) if relu.  The bias rides in the kernels' epilogue, exactly as
 * a C holding it and β = 1 would (the same fused multiply-add). */
static void
sgemm_epi (int ta, int tb, int m, int n, int k, float alpha, const float *a,
    int lda, const float *b, int ldb, float beta, const float *bias,
    int relu, float *c, int ldc)
{
  VaeGemmIsa isa = vae_gemm_best_isa ();
  VaeGemmB pb;
  float *buf = NULL;
  size_t need, cap;

  if (m < 1 || n < 1)
    return;
  /* fewer than 8 columns would leave most of the kernel's lanes idle */
  if (isa != VAE_GEMM_BLAS && k >= 1 && n >= 8 && (beta == 0.0f
          || beta == 1.0f)) {
    need = vae_gemm_packed_floats (n, k);
    buf = g_private_get (&pack_buf);
    cap = GPOINTER_TO_SIZE (g_private_get (&pack_cap));
    if (buf == NULL || cap < need) {
      cap = need + need / 4;
      buf = vae_aligned_alloc (cap * sizeof (float));
      if (buf != NULL) {      /* out of memory: OpenBLAS needs none here */
        g_private_replace (&pack_buf, buf);
        g_private_set (&pack_cap, GSIZE_TO_POINTER (cap));
      }
    }
  }
  if (buf == NULL) {
    if (bias) {
      for (int i = 0; i < m; i++)
        memcpy (c + (size_t) i * ldc, bias, (size_t) n * sizeof (float));
      beta = 1.0f;
    }
    cblas_sgemm (CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
        tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta,
        c, ldc);
    if (relu)
      relu_rows (c, m, n, ldc);
    return;
  }
  pack (&pb, buf, b, n, k, ldb, tb, isa);
  Epi e = { ta, relu, bias == NULL && beta != 0.0f, 0, alpha, bias, 0, NULL,
    NULL, 0, 0.0f, 0, 0 };
  run (m, a, lda, &pb, c, ldc, &e);
}

void
vae_sgemm (int ta, int tb, int m, int n, int k, float alpha, const float *a,
    int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
  sgemm_epi (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, NULL, 0, c, ldc);
}

void
vae_sgemm_bias (int tb, int m, int n, int k, const float *a, int lda,
    const float *b, int ldb, const float *bias, int relu, float *c, int ldc)
{
  sgemm_epi (0, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, bias, relu, c, ldc);
}

/* ------------------------------------------------------------ int8 kernels
 *
 * The denoiser's int8 path (quant.c): A holds 8-bit unsigned codes (pixels,
 * activations), B 7-bit signed weights (|b| ≤ VAE_QUANT_WMAX), and every
 * product sums exactly in int32.  On AVX2, vpmaddubsw multiplies 32 pairs
 * of bytes and adds each pair into an int16 (exact: 2 · 255 · 64 < 2¹⁵),
 * vpmaddwd against ones adds those pairs into int32 lanes: four products
 * per lane in two instructions, and then vpaddd into the accumulator —
 * 32 multiply-adds in 3 instructions against vfmadd231ps's 8 in one
 * (measured 2.1× the multiply-adds per second on AMD Zen 3).  B's panels
 * hold quads along k: [n/16][k4/4][16][4] bytes, k4 = k rounded up to 4,
 * zero past n and k; A's rows need lda ≥ k4 readable bytes (what lies
 * past k is multiplied by zero).  The epilogue is v = acc · mult[j] + (C or
 * add[j]) in one fused multiply-add, then either C = v (float) or the code
 * clamp(round(v), 0, 255) (round to nearest even).
 *
 * Where the CPU has AVX512_VNNI, vpdpbusd does all three steps in one
 * instruction on 64 bytes: 64 multiply-adds into 16 int32 lanes, exact as
 * well (no int16 stage).  Its panels are 32 columns wide, [n/32][k4/4][32]
 * [4], and a block is 8 rows × 32 columns in 16 zmm accumulators.
 * Where it also has AMX-INT8, tdpbusd runs blocks of 32 rows on the same
 * panels (below).  Integer sums are exact, so the AMX, VNNI and AVX2
 * kernels and the plain C loop give the same bits. */

size_t
vae_gemm_packed_i8 (int n, int k)
{
  return (size_t) ((n + 31) / 32 * 32) * (size_t) ((k + 3) / 4 * 4);
}

void
vae_gemm_pack_i8 (VaeGemmB *pb, int8_t *buf, const int8_t *b, int n, int k,
    int ldb)
{
  int k4 = (k + 3) / 4 * 4;
  pb->n = n;
  pb->k = k4;
  pb->ldb = ldb;
  pb->b = NULL;
  pb->p = NULL;
  pb->h = NULL;
  pb->q = buf;
  pb->isa = vae_gemm_i8_isa ();
  int nr = nr_of (pb->isa);
  for (int j0 = 0; j0 < n; j0 += nr) {
    int8_t *panel = buf + (size_t) j0 * k4;
    for (int kk = 0; kk < k4; kk++)
      for (int jj = 0; jj < nr; jj++)
        panel[((size_t) (kk / 4) * nr + jj) * 4 + kk % 4] = j0 + jj < n
            && kk < k ? b[(size_t) (j0 + jj) * ldb + kk] : 0;
  }
}

static inline uint8_t
code_of (float v)
{
  float r = nearbyintf (v);
  return (uint8_t) (r >= 255.0f ? 255.0f : r > 0.0f ? r : 0.0f);
}

#ifdef GEMM_X86
#define KERNEL_I8(NAME, MR)                                                    \
  __attribute__ ((target ("avx2,fma"), noinline)) static void                \
  NAME (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,    \
      int w, const Epi *e, const float *bias, const float *mult,              \
      const uint8_t *x8)                                                      \
  {                                                                           \
    const uint8_t *restrict a = a_;                                           \
    const int8_t *restrict p = p_;                                            \
    const __m256i ones = _mm256_set1_epi16 (1);                               \
    __m256i acc[MR][2];                                                       \
    _Pragma ("GCC unroll 16")                                                 \
    for (int r = 0; r < MR; r++)                                              \
      acc[r][0] = acc[r][1] = _mm256_setzero_si256 ();                        \
    _Pragma ("GCC unroll 2")                                                  \
    for (int q = 0; q < k / 4; q++) {                                         \
      __m256i b0 = _mm256_load_si256 ((const void *) (p + (size_t) q * 64));  \
      __m256i b1 = _mm256_load_si256 ((const void *) (p + (size_t) q * 64     \
              + 32));                                                         \
      _Pragma ("GCC unroll 16")                                               \
      for (int r = 0; r < MR; r++) {                                          \
        int32_t quad;                                                         \
        memcpy (&quad, a + (size_t) r * lda + 4 * q, sizeof quad);            \
        __m256i av = _mm256_set1_epi32 (quad);                                \
        acc[r][0] = _mm256_add_epi32 (acc[r][0], _mm256_madd_epi16            \
            (_mm256_maddubs_epi16 (av, b0), ones));                           \
        acc[r][1] = _mm256_add_epi32 (acc[r][1], _mm256_madd_epi16            \
            (_mm256_maddubs_epi16 (av, b1), ones));                           \
      }                                                                       \
    }                                                                         \
    /* the masks only now: live across the loop they cost registers */    \
    const __m256i m0 = lane_mask (w > 8 ? 8 : w);                             \
    const __m256i m1 = lane_mask (w > 8 ? w - 8 : 0);                         \
    const __m256 s0 = _mm256_maskload_ps (mult, m0);                          \
    const __m256 s1 = _mm256_maskload_ps (mult + 8, m1);                      \
    __m256 c0 = _mm256_setzero_ps (), c1 = c0;                                \
    if (bias) {                                                               \
      c0 = _mm256_maskload_ps (bias, m0);                                     \
      c1 = _mm256_maskload_ps (bias + 8, m1);                                 \
    }                                                                         \
    _Pragma ("GCC unroll 16")                                                 \
    for (int r = 0; r < MR; r++) {                                            \
      if (e->out8) {                                                          \
        uint8_t *cr = (uint8_t *) c_ + (size_t) r * ldc;                      \
        const __m256 top = _mm256_set1_ps (255.0f);                           \
        __m256 v0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (acc[r][0]), s0, c0); \
        __m256 v1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (acc[r][1]), s1, c1); \
        /* min (255, v) keeps NaN (the second operand), which converts to \
         * INT_MIN; the saturating packs then clamp below at 0 */          \
        __m256i i0 = _mm256_cvtps_epi32 (_mm256_min_ps (top, v0));            \
        __m256i i1 = _mm256_cvtps_epi32 (_mm256_min_ps (top, v1));            \
        __m256i t = _mm256_permute4x64_epi64 (_mm256_packs_epi32 (i0, i1),    \
            0xd8);                                                            \
        __m128i bytes = _mm_packus_epi16 (_mm256_castsi256_si128 (t),         \
            _mm256_extracti128_si256 (t, 1));                                 \
        if (w == 16) {                                                        \
          _mm_storeu_si128 ((void *) cr, bytes);                              \
        } else {                                                              \
          uint8_t tmp[16];                                                    \
          _mm_storeu_si128 ((void *) tmp, bytes);                             \
          memcpy (cr, tmp, (size_t) w);                                       \
        }                                                                     \
      } else {                                                                \
        float *cr = (float *) c_ + (size_t) r * ldc;                          \
        __m256 d0 = c0, d1 = c1;                                              \
        if (x8) {             /* the residual's input codes, x8·xa + bias */  \
          uint8_t xb[16];                                                     \
          const uint8_t *xr = x8 + (size_t) r * e->ldx;                       \
          if (w < 16) {                                                       \
            memset (xb, 0, sizeof xb);                                        \
            memcpy (xb, xr, (size_t) w);                                      \
            xr = xb;                                                          \
          }                                                                   \
          __m128i xv = _mm_loadu_si128 ((const void *) xr);                   \
          const __m256 xa = _mm256_set1_ps (e->xa);                           \
          d0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_cvtepu8_epi32      \
                  (xv)), xa, c0);                                             \
          d1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_cvtepu8_epi32      \
                  (_mm_srli_si128 (xv, 8))), xa, c1);                         \
        } else if (e->load_c) {                                               \
          d0 = _mm256_maskload_ps (cr, m0);                                   \
          d1 = _mm256_maskload_ps (cr + 8, m1);                               \
        }                                                                     \
        __m256 v0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (acc[r][0]), s0, d0); \
        __m256 v1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (acc[r][1]), s1, d1); \
        _mm256_maskstore_ps (cr, m0, v0);                                     \
        _mm256_maskstore_ps (cr + 8, m1, v1);                                 \
      }                                                                       \
    }                                                                         \
  }
KERNEL_I8 (i8_4, 4)
KERNEL_I8 (i8_2, 2)
KERNEL_I8 (i8_1, 1)

/* 4 rows: 8 accumulators, the two panel vectors, the ones, the broadcast
 * and two products fit the 16 ymm registers (6 rows spilled, measured
 * 85 against 118 G operations a second at k = 64) */
static const KernelSet set_i8 = { 16, { 4, 2, 1, 1 },
  { i8_4, i8_2, i8_1, i8_1 }, { NULL, NULL, NULL, NULL }, 1, 1, 0 };

#define VNNI_TARGET "avx512f,avx512vnni,avx512bw,avx512vl"
/* acc += the products of a (unsigned bytes) and b (signed), in asm: GCC 12
 * copies the accumulator around each _mm512_dpbusd_epi32 (two register
 * moves per instruction in the 8-row kernel's loop) */
__attribute__ ((target (VNNI_TARGET), always_inline)) static inline __m512i
dpbusd (__m512i acc, __m512i a, __m512i b)
{
  __asm__ ("vpdpbusd %2, %1, %0" : "+v" (acc) : "v" (a), "v" (b));
  return acc;
}

/* The int8 epilogue of one row on AVX-512 (the VNNI and AMX kernels):
 * the panel's scales, biases and masks, set once per block, then each
 * row's accumulators into floats or codes. */
typedef struct {
  __m512 s0, s1, c0, c1;
  __mmask16 m0, m1;
  __mmask32 m32;
} EpiI8;

__attribute__ ((target (VNNI_TARGET), always_inline)) static inline void
epi_i8_init (EpiI8 *q, int w, const float *bias, const float *mult)
{
  masks512 (w, &q->m0, &q->m1);
  q->m32 = (__mmask32) (w >= 32 ? 0xffffffffu : (1u << w) - 1);
  q->s0 = _mm512_maskz_loadu_ps (q->m0, mult);
  q->s1 = _mm512_maskz_loadu_ps (q->m1, mult + 16);
  q->c0 = q->c1 = _mm512_setzero_ps ();
  if (bias) {
    q->c0 = _mm512_maskz_loadu_ps (q->m0, bias);
    q->c1 = _mm512_maskz_loadu_ps (q->m1, bias + 16);
  }
}

__attribute__ ((target (VNNI_TARGET), always_inline)) static inline void
epi_i8_row (const Epi *e, const EpiI8 *q, __m512i a0, __m512i a1, void *c_,
    int ldc, int r, const uint8_t *x8)
{
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

#define KERNEL_VNNI(NAME, MR)                                                  \
  __attribute__ ((target (VNNI_TARGET), noinline)) static void               \
  NAME (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,    \
      int w, const Epi *e, const float *bias, const float *mult,              \
      const uint8_t *x8)                                                      \
  {                                                                           \
    const uint8_t *restrict a = a_;                                           \
    const int8_t *restrict p = p_;                                            \
    __m512i acc[MR][2];                                                       \
    EpiI8 q8;                                                                 \
    _Pragma ("GCC unroll 16")                                                 \
    for (int r = 0; r < MR; r++)                                              \
      acc[r][0] = acc[r][1] = _mm512_setzero_si512 ();                        \
    for (int q = 0; q < k / 4; q++) {                                         \
      __m512i b0 = _mm512_load_si512 ((const void *) (p + (size_t) q * 128)); \
      __m512i b1 = _mm512_load_si512 ((const void *) (p + (size_t) q * 128    \
              + 64));                                                         \
      _Pragma ("GCC unroll 16")                                               \
      for (int r = 0; r < MR; r++) {                                          \
        int32_t quad;                                                         \
        memcpy (&quad, a + (size_t) r * lda + 4 * q, sizeof quad);            \
        __m512i av = _mm512_set1_epi32 (quad);                                \
        acc[r][0] = dpbusd (acc[r][0], av, b0);                               \
        acc[r][1] = dpbusd (acc[r][1], av, b1);                               \
      }                                                                       \
    }                                                                         \
    epi_i8_init (&q8, w, bias, mult);                                         \
    if (MR % 2 == 0 && e->out8 && w == 32) {                                  \
      _Pragma ("GCC unroll 16")                                               \
      for (int r = 0; r + 1 < MR; r += 2)                                     \
        epi_i8_codes2 (&q8, acc[r][0], acc[r][1], acc[r + 1][0],              \
            acc[r + 1][1], (uint8_t *) c_ + (size_t) r * ldc, ldc,            \
            e->bounded);                                                      \
      return;                                                                 \
    }                                                                         \
    _Pragma ("GCC unroll 16")                                                 \
    for (int r = 0; r < MR; r++)                                              \
      epi_i8_row (e, &q8, acc[r][0], acc[r][1], c_, ldc, r, x8);              \
  }
KERNEL_VNNI (vnni_8, 8)
KERNEL_VNNI (vnni_4, 4)
KERNEL_VNNI (vnni_2, 2)
KERNEL_VNNI (vnni_1, 1)

static const KernelSet set_vnni = { 32, { 8, 4, 2, 1 },
  { vnni_8, vnni_4, vnni_2, vnni_1 }, { NULL, NULL, NULL, NULL }, 1, 1, 0 };

/* AMX (Intel Sapphire Rapids and later): tdpbusd multiplies a tile of A,
 * 16 rows × 64 bytes, by a tile of B, 16 quads along k × 16 columns × 4
 * bytes, into a tile of 16 × 16 int32 sums, the same exact sums as
 * vpdpbusd's, 16 384 multiply-adds per instruction.  The VNNI panels serve
 * as they are: rows of 32 columns × 4 bytes, so the two halves of a panel
 * are two B tiles with a row stride of 128 bytes.  A block is 32 rows × 32
 * columns (two A tiles, two B tiles, four C tiles: all eight, each 16 × 64
 * bytes) for k a multiple of 64; the sums go through memory to the VNNI
 * kernels' epilogue.  The last m % 32 rows run as one more block on a
 * zero-padded copy of them (run_i8), where the VNNI kernels would take
 * twice as long a row. */
#define AMX_TARGET VNNI_TARGET ",amx-tile,amx-int8"

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} TileConfig;

static const TileConfig amx_config __attribute__ ((aligned (64))) = { 1, 0,
  { 0 }, { 64, 64, 64, 64, 64, 64, 64, 64 },
  { 16, 16, 16, 16, 16, 16, 16, 16 } };

/* The codes of rows [0, rows) of an AMX block's sums in pairs; the pairs'
 * end returned.  bounded is a constant at each call: GCC does not take
 * the flag's test out of amx_32's loop itself (5% slower). */
__attribute__ ((target (VNNI_TARGET), always_inline)) static inline int
amx_codes_rows (const EpiI8 *q, int32_t (*acc)[32], int rows, void *c_,
    int ldc, int bounded)
{
  int r = 0;
  for (; r + 1 < rows; r += 2)
    epi_i8_codes2 (q, _mm512_load_si512 (acc[r]), _mm512_load_si512
        (acc[r] + 16), _mm512_load_si512 (acc[r + 1]), _mm512_load_si512
        (acc[r + 1] + 16), (uint8_t *) c_ + (size_t) r * ldc, ldc, bounded);
  return r;
}

__attribute__ ((target (AMX_TARGET), noinline)) static void
amx_32 (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,
    int w, const Epi *e, const float *bias, const float *mult,
    const uint8_t *x8)
{
  const uint8_t *a = a_;
  const int8_t *p = p_;
  int32_t acc[32][32] __attribute__ ((aligned (64)));
  EpiI8 q8;
  _tile_zero (0);
  _tile_zero (1);
  _tile_zero (2);
  _tile_zero (3);
  for (int kk = 0; kk < k; kk += 64) {
    _tile_loadd (4, a + kk, lda);
    _tile_loadd (5, a + (size_t) 16 * lda + kk, lda);
    _tile_loadd (6, p + (size_t) kk * 32, 128);
    _tile_loadd (7, p + (size_t) kk * 32 + 64, 128);
    _tile_dpbusd (0, 4, 6);
    _tile_dpbusd (1, 4, 7);
    _tile_dpbusd (2, 5, 6);
    _tile_dpbusd (3, 5, 7);
  }
  _tile_stored (0, acc[0], 128);
  _tile_stored (1, acc[0] + 16, 128);
  _tile_stored (2, acc[16], 128);
  _tile_stored (3, acc[16] + 16, 128);
  /* GCC's tile intrinsics do not tell the compiler they write memory */
  __asm__ volatile ("" : : "r" (acc) : "memory");
  epi_i8_init (&q8, w, bias, mult);
  int rows = e->rows ? e->rows : 32, r = 0;
  if (e->out8 && w == 32)     /* a loop for each value of the flag */
    r = e->bounded ? amx_codes_rows (&q8, acc, rows, c_, ldc, 1)
        : amx_codes_rows (&q8, acc, rows, c_, ldc, 0);
  for (; r < rows; r++)
    epi_i8_row (e, &q8, _mm512_load_si512 (acc[r]), _mm512_load_si512
        (acc[r] + 16), c_, ldc, r, x8);
}

/* the largest k whose last rows run on AMX from a copy on the stack */
#define AMX_TAIL_K 1024

/* Panels 16 KiB at a time, a third of L1d, so that L1d also holds a
 * block's A rows, sums and codes while a pass runs (1024 × 64 by 64 × 448
 * into codes, the default model's first layer: 47.1 -> 44.2 us median on
 * AMX; 1024 × 448 by 448 × 64: 20.6 -> 19.0; 10 to 16 KiB alike; the
 * VNNI kernel gains nothing from it). */
static const KernelSet set_amx = { 32, { 32, 8, 4, 2, 1 },
  { amx_32, vnni_8, vnni_4, vnni_2, vnni_1 }, { NULL }, 1, 1, 16384 };

/* 32 rows × 32 columns of C in float from bf16 A and panels of pairs, as
 * amx_32 does it: four C tiles, k a multiple of 32 (the panels' rows of
 * pairs are 128 bytes: two B tiles side by side), the sums through memory
 * to the vdpbf16ps kernels' epilogue. */
#define AMX_BF16_TARGET BF16_TARGET ",amx-tile,amx-bf16"
__attribute__ ((target (AMX_BF16_TARGET), noinline)) static void
amx_bf16_32 (int k, const void *a_, int lda, const void *p_, void *c_,
    int ldc, int w, const Epi *e, const float *bias, const float *mult,
    const uint8_t *x8)
{
  (void) mult;
  (void) x8;
  const uint16_t *a = a_, *p = p_;
  float acc[32][32] __attribute__ ((aligned (64)));
  __mmask16 m0, m1;
  __m512 c0 = _mm512_setzero_ps (), c1 = c0;
  _tile_zero (0);
  _tile_zero (1);
  _tile_zero (2);
  _tile_zero (3);
  for (int kk = 0; kk < k; kk += 32) {
    _tile_loadd (4, a + kk, 2 * lda);
    _tile_loadd (5, a + (size_t) 16 * lda + kk, 2 * lda);
    _tile_loadd (6, p + (size_t) kk * 32, 128);
    _tile_loadd (7, p + (size_t) kk * 32 + 32, 128);
    _tile_dpbf16ps (0, 4, 6);
    _tile_dpbf16ps (1, 4, 7);
    _tile_dpbf16ps (2, 5, 6);
    _tile_dpbf16ps (3, 5, 7);
  }
  _tile_stored (0, acc[0], 128);
  _tile_stored (1, acc[0] + 16, 128);
  _tile_stored (2, acc[16], 128);
  _tile_stored (3, acc[16] + 16, 128);
  __asm__ volatile ("" : : "r" (acc) : "memory");
  masks512 (w, &m0, &m1);
  if (bias) {
    c0 = _mm512_maskz_loadu_ps (m0, bias);
    c1 = _mm512_maskz_loadu_ps (m1, bias + 16);
  }
  for (int r = 0; r < 32; r++) {
    float *cr = (float *) c_ + (size_t) r * ldc;
    __m512 v0, v1;
    epi512 (e, _mm512_load_ps (acc[r]), _mm512_load_ps (acc[r] + 16), cr,
        m0, m1, c0, c1, &v0, &v1);
    _mm512_mask_storeu_ps (cr, m0, v0);
    _mm512_mask_storeu_ps (cr + 16, m1, v1);
  }
}

static const KernelSet set_amx_bf16 = { 32, { 32, 8, 4, 2, 1 },
  { amx_bf16_32, bf16_8, bf16_4, bf16_2, bf16_1 }, { NULL }, 2, 4, 0 };

__attribute__ ((target (AMX_TARGET))) static void
amx_begin (void)
{
  _tile_loadconfig (&amx_config);
}

__attribute__ ((target (AMX_TARGET))) static void
amx_end (void)
{
  _tile_release ();
}

#endif

/* The same sums and epilogue in plain C, on the same panels. */
static void
run_i8_c (int m, const uint8_t *a, int lda, const VaeGemmB *pb,
    const float *mult, const float *add, const uint8_t *x8, int ldx,
    float xa, float *c, uint8_t *c8, int ldc)
{
  int n = pb->n, k4 = pb->k, nr = nr_of (pb->isa);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      const int8_t *panel = pb->q + (size_t) (j / nr) * nr * k4;
      int32_t acc = 0;
      float v, d;
      for (int kk = 0; kk < k4; kk++)
        acc += (int32_t) a[(size_t) i * lda + kk]
            * panel[((size_t) (kk / 4) * nr + j % nr) * 4 + kk % 4];
      d = add ? add[j] : 0.0f;
      if (x8)
        d = fmaf ((float) x8[(size_t) i * ldx + j], xa, d);
      else if (!add && !c8)
        d = c[(size_t) i * ldc + j];
      v = fmaf ((float) acc, mult[j], d);
      if (c8)
        c8[(size_t) i * ldc + j] = code_of (v);
      else
        c[(size_t) i * ldc + j] = v;
    }
}

/* 1 when every acc·mult[j] + add[j] of these panels is finite and within
 * ±2³⁰: |acc| ≤ k · 255 · VAE_QUANT_WMAX (the codes and weights' ranges),
 * and the bound, 2²⁹ in double, leaves room for float's rounding of acc
 * and of the fused multiply-add.  O(n) a call, against
 * the product's m·n·k. */
static int
codes_bounded (const VaeGemmB *pb, const float *mult, const float *add)
{
  double amax = (double) pb->k * 255.0 * VAE_QUANT_WMAX;
  for (int j = 0; j < pb->n; j++) {
    double v = fabs ((double) mult[j]) * amax + fabs ((double) add[j]);
    if (!(v < 0x1p29))
      return 0;
  }
  return 1;
}

static void
run_i8 (int m, const uint8_t *a, int lda, const VaeGemmB *pb,
    const float *mult, const float *add, const uint8_t *x8, int ldx,
    float xa, float *c, uint8_t *c8, int ldc)
{
  if (m < 1 || pb->n < 1)
    return;
#ifdef GEMM_X86
  if (pb->isa != VAE_GEMM_BLAS) {
    Epi e = { 0, 0, add == NULL && c8 == NULL && x8 == NULL, 0, 1.0f, add,
      c8 != NULL, mult, x8, ldx, xa, 0, c8 && add && mult && codes_bounded (pb,
          mult, add) };
    void *out = c8 ? (void *) c8 : (void *) c;
    if (pb->isa == VAE_GEMM_AMX && pb->k % 64 == 0 && m >= 32) {
      int m32 = m / 32 * 32;
      amx_begin ();
      gemm_kernels (&set_amx, m32, a, lda, pb, pb->q, out, ldc, &e);
      if (x8)
        e.x8 = x8 + (size_t) m32 * ldx;
      if (m > m32 && pb->k <= AMX_TAIL_K) {
        /* the last m % 32 rows: one more AMX block on a copy of them
         * (rows past m zero), storing only theirs, where the VNNI kernels
         * would take twice as long a row */
        uint8_t tail[32 * AMX_TAIL_K] __attribute__ ((aligned (64)));
        size_t es = c8 ? 1 : sizeof (float);
        for (int r = 0; r < 32; r++) {
          if (m32 + r < m)
            memcpy (tail + (size_t) r * pb->k, a + (size_t) (m32 + r) * lda,
                (size_t) pb->k);
          else
            memset (tail + (size_t) r * pb->k, 0, (size_t) pb->k);
        }
        e.rows = m - m32;
        gemm_kernels (&set_amx, 32, tail, pb->k, pb, pb->q, (char *) out
            + (size_t) m32 * ldc * es, ldc, &e);
      } else if (m > m32) {
        gemm_kernels (&set_vnni, m - m32, a + (size_t) m32 * lda, lda, pb,
            pb->q, (char *) out + (size_t) m32 * ldc * (c8 ? 1
                : sizeof (float)), ldc, &e);
      }
      amx_end ();
    } else {
      gemm_kernels (pb->isa >= VAE_GEMM_AVX512 ? &set_vnni : &set_i8, m, a,
          lda, pb, pb->q, out, ldc, &e);
    }
    return;
  }
#endif
  run_i8_c (m, a, lda, pb, mult, add, x8, ldx, xa, c, c8, ldc);
}

void
vae_gemm_run_i8 (int m, const uint8_t *a, int lda, const VaeGemmB *pb,
    const float *mult, const float *add, float *c, uint8_t *c8, int ldc)
{
  run_i8 (m, a, lda, pb, mult, add, NULL, 0, 0.0f, c, c8, ldc);
}

void
vae_gemm_run_i8_x (int m, const uint8_t *a, int lda, const VaeGemmB *pb,
    const float *mult, const float *add, const uint8_t *x8, int ldx,
    float xa, float *c, int ldc)
{
  run_i8 (m, a, lda, pb, mult, add, x8, ldx, xa, c, NULL, ldc);
}
