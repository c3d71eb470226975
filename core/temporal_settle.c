/* The temporal stage's part after the denoiser: the denoised luma settled
 * against the last one along the motion, and kept as the next frame's
 * reference (vae_temporal.h). */
#include "vae_temporal.h"
#include "vae_private.h"
#include "temporal_kernels.h"
#include "temporal_impl.h"

#include <string.h>

/* A cell whose mean absolute difference from the last output moved along
 * its block's vector is below SETTLE_LO σ takes SETTLE of it, none from
 * SETTLE_HI σ, in between in proportion (a sweep on flower and Foreman:
 * -10% and -7% flicker, +0.07 and +0.05 dB) */
#define SETTLE 0.5f
#define SETTLE_LO 0.1f
#define SETTLE_HI 0.25f

/* Block (bx, by) of out moved towards the last output along this frame's
 * vector, cell by cell. */
static void
settle_block (VaeTemporal *t, const VaePlane *out, int bx, int by)
{
  int x0 = bx * BLOCK, y0 = by * BLOCK;
  int bw = MIN (BLOCK, t->w - x0), bh = MIN (BLOCK, t->h - y0);
  const int *hv = t->mv_last + ((size_t) by * t->bw + bx) * 2;
  const uint8_t *r;
  uint8_t blk[BLOCK * BLOCK], pred[BLOCK * BLOCK];
  uint16_t k[BLOCK / CELL];
  int sad[16], ssd[16];

  if (!vae_temporal_half_fits (t, x0, y0, bw, bh, hv))
    return;
  r = t->dref[t->dcur] + (size_t) (y0 + (hv[1] >> 1)) * t->w + x0
      + (hv[0] >> 1);
  vae_tk_predict (t->use_sse2, r, t->w, hv[0] & 1, hv[1] & 1, bw, bh, pred);
  memset (blk, 0, sizeof blk);
  for (int y = 0; y < bh; y++) {
    const uint8_t *o = out->data + (size_t) (y0 + y) * out->stride
        + (size_t) x0 * out->step;
    for (int x = 0; x < bw; x++)
      blk[y * BLOCK + x] = o[(size_t) x * out->step];
    for (int x = bw; x < BLOCK; x++)     /* pixels outside count nothing */
      pred[y * BLOCK + x] = 0;
  }
  for (int y = bh; y < BLOCK; y++)
    memset (pred + y * BLOCK, 0, BLOCK);
  vae_tk_cell_sums (t->use_sse2, blk, pred, 4, 4, sad, ssd);
  for (int cy = 0; cy * CELL < bh; cy++) {
    int ch = MIN (CELL, bh - cy * CELL);
    for (int cx = 0; cx < BLOCK / CELL; cx++) {
      int cw = MIN (CELL, bw - cx * CELL);
      float m, b;
      if (cw < 1) {
        k[cx] = 0;
        continue;
      }
      m = (float) sad[cy * 4 + cx] / ((float) (cw * ch) * t->sigma);
      b = SETTLE * CLAMP ((SETTLE_HI - m) / (SETTLE_HI - SETTLE_LO), 0.0f,
          1.0f);
      k[cx] = (uint16_t) (256.0f * b + 0.5f);
    }
    for (int y = cy * CELL; y < cy * CELL + ch; y++)
      vae_tk_mix (t->use_sse2, out->data + (size_t) (y0 + y) * out->stride
          + (size_t) x0 * out->step, out->step, pred + y * BLOCK, k, bw);
  }
}

/* Block rows [r0, r1) of out into the new reference and its pyramid,
 * settled first when smooth is set and there is a past to settle on. */
static void
keep_rows (VaeTemporal *t, const VaePlane *out, int smooth, int r0, int r1)
{
  uint8_t *next = t->dref[!t->dcur];
  int y1 = MIN (r1 * BLOCK, t->h);

  smooth = smooth && t->feedback && t->valid && !t->fresh
      && t->sigma >= 0.5f;
  for (int by = r0; by < r1 && smooth; by++)
    for (int bx = 0; bx < t->bw; bx++)
      settle_block (t, out, bx, by);
  for (int y = r0 * BLOCK; y < y1; y++) {
    const uint8_t *o = out->data + (size_t) y * out->stride;
    uint8_t *d = next + (size_t) y * t->w;
    if (out->step == 1)
      memcpy (d, o, (size_t) t->w);
    else
      for (int x = 0; x < t->w; x++)
        d[x] = o[(size_t) x * out->step];
  }
  vae_temporal_halve_rows (t, next, r0, r1);
}

void
vae_temporal_settle (VaeTemporal *t, const VaePlane *out, int r0, int r1)
{
  keep_rows (t, out, 1, r0, r1);
}

void
vae_temporal_settle_done (VaeTemporal *t)
{
  t->dcur = !t->dcur;
  t->feedback = 1;
}

void
vae_temporal_set_reference (VaeTemporal *t, const VaePlane *luma)
{
  keep_rows (t, luma, 0, 0, t->bh);
  vae_temporal_settle_done (t);
}
