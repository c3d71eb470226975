/* The temporal stage's state, shared by core/temporal.c (matching and
 * blending) and core/temporal_settle.c (the denoised output's part).
 * Private to the core. */
#ifndef VAE_TEMPORAL_IMPL_H
#define VAE_TEMPORAL_IMPL_H

#include "vae_temporal.h"

#define CELL VAE_TEMPORAL_CELL
#define BLOCK VAE_TEMPORAL_BLOCK
#define MEAN_ABS 0.79788456f    /* E|n| / σ for Gaussian n */

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define CLAMP(v, lo, hi) ((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))

struct VaeTemporal {
  int w, h, n_planes, sx, sy;
  int pw[3], ph[3];             /* plane sizes */
  uint16_t *acc[3][2];          /* (ph, pw) the average, last and new, in
                                 * units of 1 / VAE_TK_ACC_ONE */
  int cur;                      /* acc[p][cur] is the last frame's */
  uint8_t *ref;                 /* (h, w) the last average's luma, rounded */
  uint8_t *dref[3][2];          /* (ph, pw) the caller's denoised planes:
                                 * the last frame's, and this frame's once
                                 * settled (temporal_settle.c) */
  int dcur;                     /* dref[p][dcur] is the last frame's */
  int feedback;                 /* the search matches dref[0][dcur] and
                                 * its pyramid, not ref's */
  int cfeedback, cnext;         /* dref[1, 2][dcur] hold the last frame's
                                 * chroma; this frame's will */
  uint8_t *href;                /* (hh, hw) what the search matches, at
                                 * half resolution */
  uint8_t *qref;                /* (qh, qw) and at quarter resolution */
  int hw, hh, qw, qh;
  int bw, bh;                   /* motion blocks */
  int *mv, *mv_last;            /* (bh, bw, 2) this and the last frame's
                                 * vectors */
  int gw, gh;                   /* cells */
  float *ratio;                 /* (gh, gw) difference / noise's */
  float *bias;                  /* (bh, bw) the prediction's error variance
                                 * beyond its noise, the block's mean */
  float *shear;                 /* (bh, bw) shear (), this frame's */
  int *from;                    /* (gh, gw) the cell the match came from */
  float *var[2];                /* (gh, gw) the average's error variance */
  int16_t *alpha;               /* (gh, gw) this frame's weight
                                 * (vae_tk_weight) */
  float *level;                 /* (gh, gw) leftover noise / input's */
  int *n_fresh;                 /* (bh) cells afresh per block row */
  float sigma;
  float gain;                   /* the levels' scale */
  float settle_scale;           /* the settle's thresholds' */
  int valid, fresh;
  int simd;                     /* kernels: 0 plain C, 1 SSE2, 2 AVX2 */
};

/* Whether the block (x0, y0, bw × bh) shifted by hv half pixels, and the
 * pixels its interpolation reads, lie in the plane. */
static inline int
vae_temporal_half_fits (const VaeTemporal *t, int x0, int y0, int bw, int bh,
    const int *hv)
{
  return x0 + (hv[0] >> 1) >= 0 && x0 + ((hv[0] + 1) >> 1) + bw <= t->w
      && y0 + (hv[1] >> 1) >= 0 && y0 + ((hv[1] + 1) >> 1) + bh <= t->h;
}

/* Block rows [r0, r1)'s part of luma's half and quarter planes (the
 * search's pyramid) from luma (w × h). */
void vae_temporal_halve_rows (VaeTemporal *t, const uint8_t *luma, int r0,
    int r1);

#endif
