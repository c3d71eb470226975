/* int8 GEMM: 8-bit codes by 7-bit weights, exact, on VNNI, AVX2 or C.
 *
 * AMX takes blocks of 32 rows where the CPU has it (gemm_amx.c).
 *
 * The denoiser's int8 path (quant.c): A holds 8-bit unsigned codes (pixels,
 * activations), B 7-bit signed weights (|b| ≤ VAE_QUANT_WMAX), and every
 * product sums exactly in int32.  On AVX2, vpmaddubsw multiplies 32 pairs
 * of bytes and adds each pair into an int16 (exact: 2 · 255 · 64 < 2¹⁵),
 * vpmaddwd against ones adds those pairs into int32 lanes: four products
 * per lane in two instructions, and then vpaddd into the accumulator —
 * 32 multiply-adds in 3 instructions against vfmadd231ps's 8 in one.
 * B's panels hold quads along k: [n/16][k4/4][16][4] bytes, k4 = k
 * rounded up to 4, zero past n and k; A's rows need lda ≥ k4 readable
 * bytes (what lies past k is multiplied by zero).  The epilogue is v =
 * acc · mult[j] + (C or add[j]) in one fused multiply-add, then either C =
 * v (float) or the code clamp(round(v), 0, 255) (round to nearest even).
 *
 * Where the CPU has AVX512_VNNI, vpdpbusd does all three steps in one
 * instruction on 64 bytes: 64 multiply-adds into 16 int32 lanes, exact as
 * well (no int16 stage).  Its panels are 32 columns wide, [n/32][k4/4][32]
 * [4], and a block is 8 rows × 32 columns in 16 zmm accumulators.
 * Where it also has AMX-INT8, tdpbusd runs blocks of 32 rows on the same
 * panels (gemm_amx.c).  Integer sums are exact, so the AMX, VNNI and AVX2
 * kernels and the plain C loop give the same bits. */
#include "gemm_impl.h"

#include <math.h>
#include <string.h>

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
      const void *x8)                                                         \
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
          const uint8_t *xr = (const uint8_t *) x8 + (size_t) r * e->ldx;     \
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
 * and two products fit the 16 ymm registers (6 rows spill, and ran slower) */
static const KernelSet set_i8 = { 16, { 4, 2, 1, 1 },
  { i8_4, i8_2, i8_1, i8_1 }, { NULL, NULL, NULL, NULL }, 1, 1, 0 };

/* acc += the products of a (unsigned bytes) and b (signed), in asm: GCC 12
 * copies the accumulator around each _mm512_dpbusd_epi32 (two register
 * moves per instruction in the 8-row kernel's loop) */
__attribute__ ((target (VNNI_TARGET), always_inline)) static inline __m512i
dpbusd (__m512i acc, __m512i a, __m512i b)
{
  __asm__ ("vpdpbusd %2, %1, %0" : "+v" (acc) : "v" (a), "v" (b));
  return acc;
}

#define KERNEL_VNNI(NAME, MR)                                                  \
  __attribute__ ((target (VNNI_TARGET), noinline)) static void               \
  NAME (int k, const void *a_, int lda, const void *p_, void *c_, int ldc,    \
      int w, const Epi *e, const float *bias, const float *mult,              \
      const void *x8)                                                         \
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
    epi_i8_init (&q8, e, w, bias, mult);                                      \
    if (MR % 2 == 0 && e->out8 && !e->lrow && w == 32) {                      \
      _Pragma ("GCC unroll 16")                                               \
      for (int r = 0; r + 1 < MR; r += 2)                                     \
        epi_i8_codes2 (&q8, acc[r][0], acc[r][1], acc[r + 1][0],              \
            acc[r + 1][1], (uint8_t *) c_ + (size_t) r * ldc, ldc,            \
            e->bounded);                                                      \
      return;                                                                 \
    }                                                                         \
    if (MR % 2 == 0 && e->out8 && e->lrow && w == 32) {                       \
      const float *lr = x8;   /* the block's levels */                        \
      _Pragma ("GCC unroll 16")                                               \
      for (int r = 0; r + 1 < MR; r += 2)                                     \
        epi_i8_level_codes2 (&q8, acc[r][0], acc[r][1], acc[r + 1][0],        \
            acc[r + 1][1], lr[r], lr[r + 1], (uint8_t *) c_ + (size_t) r      \
            * ldc, ldc);                                                      \
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

/* the largest k whose last rows run on AMX from a copy on the stack */
#define AMX_TAIL_K 1024

/* Blocks of 32 rows on AMX, the rest on VNNI; panels 16 KiB at a time, a
 * third of L1d, so that L1d also holds a block's A rows, sums and codes
 * while a pass runs (faster on the default model's layers, any size from
 * 10 to 16 KiB alike; the VNNI kernel gains nothing from it). */
static const KernelSet set_amx = { 32, { 32, 8, 4, 2, 1 },
  { vae_gemm_amx_32, vnni_8, vnni_4, vnni_2, vnni_1 }, { NULL }, 1, 1,
  16384 };
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

#ifdef GEMM_X86
/* The product on the panels' kernels with epilogue e into out (es bytes an
 * element): AMX's blocks of 32 rows and VNNI for the rest, or VNNI, or
 * AVX2. */
static void
run_i8_kernels (int m, const uint8_t *a, int lda, const VaeGemmB *pb,
    Epi *e, void *out, size_t es, int ldc)
{
  if (pb->isa == VAE_GEMM_AMX && pb->k % 64 == 0 && m >= 32) {
    int m32 = m / 32 * 32;
    char *tail_out = (char *) out + (size_t) m32 * ldc * es;
    vae_gemm_amx_begin ();
    vae_gemm_kernels (&set_amx, m32, a, lda, pb, pb->q, out, ldc, e);
    if (e->x8)
      e->x8 += (size_t) m32 * e->ldx;
    if (e->lrow)
      e->lrow += m32;
    if (m > m32 && pb->k <= AMX_TAIL_K) {
      /* the last m % 32 rows: one more AMX block on a copy of them
       * (rows past m zero), storing only theirs, where the VNNI kernels
       * would take twice as long a row */
      uint8_t tail[32 * AMX_TAIL_K] __attribute__ ((aligned (64)));
      for (int r = 0; r < 32; r++) {
        if (m32 + r < m)
          memcpy (tail + (size_t) r * pb->k, a + (size_t) (m32 + r) * lda,
              (size_t) pb->k);
        else
          memset (tail + (size_t) r * pb->k, 0, (size_t) pb->k);
      }
      e->rows = m - m32;
      vae_gemm_kernels (&set_amx, 32, tail, pb->k, pb, pb->q, tail_out, ldc,
          e);
    } else if (m > m32) {
      vae_gemm_kernels (&set_vnni, m - m32, a + (size_t) m32 * lda, lda, pb,
          pb->q, tail_out, ldc, e);
    }
    vae_gemm_amx_end ();
  } else {
    vae_gemm_kernels (pb->isa >= VAE_GEMM_AVX512 ? &set_vnni : &set_i8, m, a,
        lda, pb, pb->q, out, ldc, e);
  }
}
#endif

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
          mult, add), NULL, NULL };
    run_i8_kernels (m, a, lda, pb, &e, c8 ? (void *) c8 : (void *) c,
        c8 ? 1 : sizeof (float), ldc);
    return;
  }
#endif
  run_i8_c (m, a, lda, pb, mult, add, x8, ldx, xa, c, c8, ldc);
}

int
vae_gemm_run_i8_level (int m, const uint8_t *a, int lda, const VaeGemmB *pb,
    const float *mult, const float *add, const float *f, const float *w,
    uint8_t *c8, uint16_t *c16, int ldc)
{
#ifdef GEMM_X86
  if (pb->isa >= VAE_GEMM_AVX512 && (f != NULL || c16 != NULL)
      && (c16 == NULL || vae_gemm_bf16_available ())) {
    Epi e = { 0, 0, 0, c16 != NULL, 1.0f, add, c16 == NULL, mult, NULL, 0,
      0.0f, 0, 0, f, w };
    if (m > 0 && pb->n > 0)
      run_i8_kernels (m, a, lda, pb, &e, c16 ? (void *) c16 : (void *) c8,
          c16 ? sizeof (uint16_t) : 1, ldc);
    return 1;
  }
#endif
  return 0;
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
