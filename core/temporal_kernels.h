/* The temporal stage's inner loops (core/temporal_kernels.c): sums of
 * differences, the half-pixel prediction, the blend of a run of samples
 * (and of a row of runs) and the mix of the settled output, each in plain
 * C and, where `sse2` is set, in SSE2 (at 2 the blend, and the sums
 * against four-pixel means, in AVX2).  All give the same results to the
 * bit.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef VAE_TEMPORAL_KERNELS_H
#define VAE_TEMPORAL_KERNELS_H

#include <stdint.h>

/* Sum of absolute differences of two w × h byte blocks. */
int vae_tk_sad (int sse2, const uint8_t *a, int as, const uint8_t *b, int bs,
    int w, int h);

/* out[j nx + i] = the sum of absolute differences of b and the block of r
 * at column i, row j: nx × ny shifts at once.  Each row of r that a block
 * covers must be readable VAE_TK_GRID_READ bytes from column 0 (pad the
 * plane's end). */
#define VAE_TK_GRID_READ 16
void vae_tk_sad_grid (int sse2, const uint8_t *b, int bs, const uint8_t *r,
    int rs, int w, int h, int nx, int ny, int *out);

/* The 4 × 4 cells of two blocks, rows 16 bytes apart: each cell's sum of
 * absolute and of squared differences, cells row by row, cw × ch cells
 * (whole cells only). */
void vae_tk_cell_sums (int sse2, const uint8_t *a, const uint8_t *b, int cw,
    int ch, int *sad, int *ssd);

/* dst (w / 2 × h / 2, rows ds apart) = the rounded means of src's 2 × 2
 * squares (w × h, rows ss apart). */
void vae_tk_halve (int sse2, const uint8_t *src, int ss, int w, int h,
    uint8_t *dst, int ds);

/* pred (rows 16 apart) = bw × bh pixels of r (rows rs apart) at (fx, fy)
 * half pixels, fx and fy 0 or 1: the rounded mean of the 1, 2 or 4 pixels
 * around. */
void vae_tk_predict (int sse2, const uint8_t *r, int rs, int fx, int fy,
    int bw, int bh, uint8_t *pred);

/* The sum of absolute differences of b (rows 16 apart) and the bw × bh
 * pixels vae_tk_predict would give for r, rs, fx and fy; those pixels go
 * to pred (rows 16 apart) unless it is NULL. */
int vae_tk_sad_predict (int sse2, const uint8_t *b, const uint8_t *r,
    int rs, int fx, int fy, int bw, int bh, uint8_t *pred);

/* pred (rows 16 apart) = w × h samples of r (rows rs apart) at (fx, fy)
 * quarter samples, fx and fy 0 to 3: bilinear, rounded; the column and
 * row beyond are read only where their weight is not 0. */
void vae_tk_predict_q (int sse2, const uint8_t *r, int rs, int fx, int fy,
    int w, int h, uint8_t *pred);

/* The running average's samples: 8-bit units times VAE_TK_ACC_ONE,
 * rounded (16 bits: half the memory floats take, and the stage is bound by
 * its memory). */
#define VAE_TK_ACC_ONE 64

/* A blend weight a in [0, 1] as the blend takes it: a · 2¹⁵ rounded, at
 * most 2¹⁵ − 1, which moves a sample all the way (vae_tk_blend_run). */
#define VAE_TK_WEIGHT_ONE 32767
static inline int16_t
vae_tk_weight (float a)
{
  float q = a * 32768.0f + 0.5f;
  return (int16_t) (!(a < 1.0f) || q >= VAE_TK_WEIGHT_ONE
      ? VAE_TK_WEIGHT_ONE : a > 0.0f ? (int) q : 0);
}

/* n[x] = p + a (s[x] − p) for x in [0, k), in 16-bit fixed point on the
 * average's units (VAE_TK_ACC_ONE a level): p the average at (fx, fy)
 * quarter samples from row0 and row1 (row1 is read, so it must exist),
 * each quarter step a rounded mean as pavgw takes it (vae_tk_lerp4); a
 * the weight of x's cell, cells[x >> cshift] (vae_tk_weight), applied as
 * pmulhrsw rounds: (d · a + 2¹⁴) >> 15.  A weight of VAE_TK_WEIGHT_ONE
 * gives s[x] exactly.  s is a run of samples step bytes apart.  The run
 * that vae_tk_blend_row inlines, on its own for the tests. */
void vae_tk_blend_run (int sse2, uint16_t *n, const uint8_t *s, int step,
    const uint16_t *row0, const uint16_t *row1, int fx, int fy,
    const int16_t *cells, int cshift, int k);

/* One plane of the blend as vae_tk_blend_row reads it. */
typedef struct {
  const uint16_t *prev;         /* the average, w × h */
  int w, h;                     /* the plane's size */
  int sx, sy;                   /* its subsampling against the luma */
  int lw, block, cell;          /* the luma's width, its block and cell
                                 * (powers of 2) */
} VaeTkBlendPlane;

/* Row y of a plane's blend: each block's run of samples (block >> sx of
 * them) moved from the average along its vector vrow[2 (lx / block)] (in
 * half luma pixels; lx the run's first luma column) to the frame by each
 * cell's weight, arow[lx / cell] on.  Runs whose bilinear reads leave the
 * plane go sample by sample, clamped to it.  n: the row's w new averages;
 * s: its samples, step bytes apart. */
void vae_tk_blend_row (int sse2, const VaeTkBlendPlane *bp, int y,
    uint16_t *n, const uint8_t *s, int step, const int *vrow,
    const int16_t *arow);

/* a to b by f quarters (f 0 to 3) in means rounded up: (a + b + 1) >> 1,
 * once for a half, twice for a quarter */
static inline int
vae_tk_lerp4 (int a, int b, int f)
{
  int m = (a + b + 1) >> 1;
  return f == 0 ? a : f == 1 ? (a + m + 1) >> 1 : f == 2 ? m
      : (m + b + 1) >> 1;
}

/* one sample of vae_tk_blend_run: p the average, v the sample in the
 * average's units, a the weight */
static inline uint16_t
vae_tk_blend1 (int p, int v, int a)
{
  return (uint16_t) (p + (((v - p) * a + 0x4000) >> 15));
}

/* o[x] = (o[x] (256 − k[x]) + p[x] k[x] + 128) >> 8 for x in [0, n): o
 * moved towards p by k / 256 (k from 0 to 256).  o is a run of bytes
 * step apart, p contiguous. */
void vae_tk_mix (int sse2, uint8_t *o, int step, const uint8_t *p,
    const uint16_t *k, int n);

#endif
