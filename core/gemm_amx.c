/* AMX tile kernels: 32 × 32 blocks of the int8 and bf16 products.
 *
 * The tiles' configuration goes around them (vae_gemm_amx_begin, _end).
 *
 * int8 (Intel Sapphire Rapids and later): tdpbusd multiplies a tile of A,
 * 16 rows × 64 bytes, by a tile of B, 16 quads along k × 16 columns × 4
 * bytes, into a tile of 16 × 16 int32 sums, the same exact sums as
 * vpdpbusd's, 16 384 multiply-adds per instruction.  The VNNI panels serve
 * as they are: rows of 32 columns × 4 bytes, so the two halves of a panel
 * are two B tiles with a row stride of 128 bytes.  A block is 32 rows × 32
 * columns (two A tiles, two B tiles, four C tiles: all eight, each 16 × 64
 * bytes) for k a multiple of 64; the sums go through memory to the VNNI
 * kernels' epilogue.  The last m % 32 rows run as one more block on a
 * zero-padded copy of them (run_i8 in gemm_i8.c), where the VNNI kernels
 * would take twice as long a row.
 *
 * bf16: tdpbf16ps multiplies a tile of A, 16 rows × 32 bf16, by a tile of
 * B, 16 pairs along k × 16 columns, into 16 × 16 float sums, 8192
 * multiply-adds an instruction against vdpbf16ps's 32. */
#include "gemm_impl.h"

#ifdef GEMM_X86
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
 * the flag's test out of vae_gemm_amx_32's loop itself. */
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

__attribute__ ((target (AMX_TARGET), noinline)) void
vae_gemm_amx_32 (int k, const void *a_, int lda, const void *p_, void *c_,
    int ldc, int w, const Epi *e, const float *bias, const float *mult,
    const void *rx)
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
  epi_i8_init (&q8, e, w, bias, mult);
  int rows = e->rows ? e->rows : 32, r = 0;
  if (e->out8 && !e->lrow && w == 32) /* a loop for each value of the flag */
    r = e->bounded ? amx_codes_rows (&q8, acc, rows, c_, ldc, 1)
        : amx_codes_rows (&q8, acc, rows, c_, ldc, 0);
  for (; r < rows; r++)
    epi_i8_row (e, &q8, _mm512_load_si512 (acc[r]), _mm512_load_si512
        (acc[r] + 16), c_, ldc, r, rx);
}

/* 32 rows × 32 columns of C in float from bf16 A and panels of pairs, as
 * vae_gemm_amx_32 does it: four C tiles, k a multiple of 32 (the panels'
 * rows of pairs are 128 bytes: two B tiles side by side), the sums through
 * memory to the vdpbf16ps kernels' epilogue. */
#define AMX_BF16_TARGET BF16_TARGET ",amx-tile,amx-bf16"
__attribute__ ((target (AMX_BF16_TARGET), noinline)) void
vae_gemm_amx_bf16_32 (int k, const void *a_, int lda, const void *p_,
    void *c_, int ldc, int w, const Epi *e, const float *bias,
    const float *mult, const void *x8)
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

__attribute__ ((target (AMX_TARGET))) void
vae_gemm_amx_begin (void)
{
  _tile_loadconfig (&amx_config);
}

__attribute__ ((target (AMX_TARGET))) void
vae_gemm_amx_end (void)
{
  _tile_release ();
}
#endif
