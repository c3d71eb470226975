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
 * SETTLE_HI σ, in between in proportion; the chroma under it by the same
 * difference against CHROMA_LO and CHROMA_HI.  Both pairs scale by the
 * model's figure (vae_temporal_set_settle_scale).  A sweep on flower and
 * Foreman, grey and colour: models/README.md. */
#define SETTLE 0.5f
#define SETTLE_LO 0.1f
#define SETTLE_HI 0.25f
#define CHROMA_LO 0.3f
#define CHROMA_HI 0.5f

/* The luma settles along its block's vector refined: both outputs are
 * denoised, so the block's sums against the last output place it more
 * surely than the match against the noisy frame did.  The vector moves by
 * half pixels while that lowers the sum, at most REFINE_STEPS times.  The
 * chroma and the next frame's search keep the matched vector: fed back,
 * the refined one cost the 1920×1080 street clip (models/README.md). */
#define REFINE_STEPS 2
#define REFINE_SPAN (2 * REFINE_STEPS + 1)

/* The weight of a cell, in 1/256, whose difference is m σ (branchless,
 * so that a loop over cells vectorises). */
static inline uint16_t
weight (float m, float lo, float hi)
{
  float x = (hi - m) / (hi - lo);
  x = x > 0.0f ? x : 0.0f;
  x = x < 1.0f ? x : 1.0f;
  return (uint16_t) (256.0f * SETTLE * x + 0.5f);
}

/* Chroma plane p's samples under block (bx, by) moved towards the last
 * output's along the block's vector (in quarter samples), each by the
 * chroma weight of its luma cell, k (4 × 4 cells, row by row). */
static void
settle_chroma (VaeTemporal *t, const VaePlane *out, int p, int bx, int by,
    const uint16_t k[16])
{
  const int *v = t->mv_last + ((size_t) by * t->bw + bx) * 2;
  int sx = t->sx, sy = t->sy, w = t->pw[p], h = t->ph[p];
  int x0 = (bx * BLOCK) >> sx, y0 = (by * BLOCK) >> sy;
  int bw = MIN (BLOCK >> sx, w - x0), bh = MIN (BLOCK >> sy, h - y0);
  int qx = sx ? v[0] : 2 * v[0], qy = sy ? v[1] : 2 * v[1];
  int px = x0 + (qx >> 2), py = y0 + (qy >> 2), fx = qx & 3, fy = qy & 3;
  uint8_t pred[BLOCK * BLOCK];
  uint16_t kr[BLOCK];

  if (bw < 1 || bh < 1 || px < 0 || py < 0 || px + bw + (fx > 0) > w
      || py + bh + (fy > 0) > h)
    return;
  vae_tk_predict_q (t->simd, t->dref[p][t->dcur] + (size_t) py * w + px,
      w, fx, fy, bw, bh, pred);
  for (int y = 0; y < bh; y++) {
    const uint16_t *kc = k + 4 * MIN ((y << sy) / CELL, 3);
    if (y == 0 || (y << sy) % CELL == 0)
      for (int x = 0; x < bw; x++)
        kr[x] = kc[MIN ((x << sx) / CELL, 3)];
    vae_tk_mix (t->simd, out->data + (size_t) (y0 + y) * out->stride
        + (size_t) x0 * out->step, out->step, pred + y * BLOCK, kr, bw);
  }
}

/* The last output's luma at (x0, y0) shifted by hv half pixels, rounded
 * down to whole ones. */
static const uint8_t *
last_at (const VaeTemporal *t, int x0, int y0, const int *hv)
{
  return t->dref[0][t->dcur] + (size_t) (y0 + (hv[1] >> 1)) * t->w + x0
      + (hv[0] >> 1);
}

/* blk's sum of absolute differences against the last output under the
 * block at (x0, y0), bw × bh, shifted by hv half pixels; that prediction
 * into pred. */
static int
sad_last (const VaeTemporal *t, const uint8_t *blk, int x0, int y0, int bw,
    int bh, const int *hv, uint8_t *pred)
{
  return vae_tk_sad_predict (t->simd, blk, last_at (t, x0, y0, hv), t->w,
      hv[0] & 1, hv[1] & 1, bw, bh, pred);
}

/* hv (which fits) moved by half pixels while that lowers blk's sum of
 * absolute differences against the last output; each sum is taken once.
 * Returns the last output's pixels at the final hv (rows BLOCK apart), one
 * of the two blocks of buf: each sum's prediction goes to the one not
 * holding the best, and the two swap when the sum is the best yet (a sum
 * taken before never is: it was no better than the best then). */
static uint8_t *
refine (const VaeTemporal *t, const uint8_t *blk, int x0, int y0, int bw,
    int bh, int *hv, uint8_t buf[2][BLOCK * BLOCK])
{
  int memo[REFINE_SPAN * REFINE_SPAN], o[2] = { hv[0], hv[1] }, best;
  uint8_t *p = buf[0], *s = buf[1];

  for (int i = 0; i < REFINE_SPAN * REFINE_SPAN; i++)
    memo[i] = -1;
  best = sad_last (t, blk, x0, y0, bw, bh, hv, p);
  memo[REFINE_SPAN * REFINE_SPAN / 2] = best;
  for (int step = 0; step < REFINE_STEPS; step++) {
    int c[2] = { hv[0], hv[1] }, moved = 0;
    for (int dy = -1; dy <= 1; dy++)
      for (int dx = -1; dx <= 1; dx++) {
        int u[2] = { c[0] + dx, c[1] + dy };
        int *m = &memo[(u[1] - o[1] + REFINE_STEPS) * REFINE_SPAN + u[0]
            - o[0] + REFINE_STEPS];
        int fresh_sum = *m < 0 && vae_temporal_half_fits (t, x0, y0, bw, bh,
            u);
        if (fresh_sum)
          *m = sad_last (t, blk, x0, y0, bw, bh, u, s);
        if (fresh_sum && *m < best) {
          uint8_t *w = p;
          p = s;
          s = w;
          best = *m;
          hv[0] = u[0];
          hv[1] = u[1];
          moved = 1;
        }
      }
    if (!moved)
      break;
  }
  return p;
}

/* Block (bx, by) of out moved towards the last output along this frame's
 * vector (the luma along it refined), cell by cell by how well the luma
 * agrees; the chroma too where given and the last frame's was kept. */
static void
settle_block (VaeTemporal *t, const VaePlane *out, int bx, int by)
{
  int x0 = bx * BLOCK, y0 = by * BLOCK;
  int bw = MIN (BLOCK, t->w - x0), bh = MIN (BLOCK, t->h - y0);
  const int *v = t->mv_last + ((size_t) by * t->bw + bx) * 2;
  int hv[2] = { v[0], v[1] };
  const VaePlane *luma = &out[0];
  uint8_t blk[BLOCK * BLOCK], preds[2][BLOCK * BLOCK], *pred;
  uint16_t k[16], kc[16], kr[BLOCK];    /* cells row by row */
  float z = t->settle_scale, m[16];
  int sad[16], ssd[16], any = 0, any_c = 0;

  if (!vae_temporal_half_fits (t, x0, y0, bw, bh, hv))
    return;
  if (bw < BLOCK || bh < BLOCK)        /* pixels outside count nothing */
    memset (blk, 0, sizeof blk);
  for (int y = 0; y < bh; y++) {
    const uint8_t *o = luma->data + (size_t) (y0 + y) * luma->stride
        + (size_t) x0 * luma->step;
    if (luma->step == 1 && bw == BLOCK)
      memcpy (blk + y * BLOCK, o, BLOCK);       /* inlined */
    else if (luma->step == 1)
      memcpy (blk + y * BLOCK, o, (size_t) bw);
    else
      for (int x = 0; x < bw; x++)
        blk[y * BLOCK + x] = o[(size_t) x * luma->step];
  }
  pred = refine (t, blk, x0, y0, bw, bh, hv, preds);
  if (bw < BLOCK || bh < BLOCK)
    for (int y = 0; y < BLOCK; y++)
      for (int x = y < bh ? bw : 0; x < BLOCK; x++)
        pred[y * BLOCK + x] = 0;
  vae_tk_cell_sums (t->simd, blk, pred, 4, 4, sad, ssd);
  /* whole blocks in loops that vectorise */
  if (bw == BLOCK && bh == BLOCK) {
    float den = (float) (CELL * CELL) * t->sigma;
    for (int i = 0; i < 16; i++)
      m[i] = (float) sad[i] / den;
  } else
    for (int i = 0; i < 16; i++) {
      int cw = MIN (CELL, bw - i % 4 * CELL);
      int ch = MIN (CELL, bh - i / 4 * CELL);
      m[i] = cw < 1 || ch < 1 ? 1e9f : (float) sad[i] / ((float) (cw * ch)
          * t->sigma);
    }
  for (int i = 0; i < 16; i++)
    k[i] = weight (m[i], z * SETTLE_LO, z * SETTLE_HI);
  for (int i = 0; i < 16; i++)
    kc[i] = weight (m[i], z * CHROMA_LO, z * CHROMA_HI);
  for (int i = 0; i < 16; i++) {
    any |= k[i];
    any_c |= kc[i];
  }
  for (int y = 0; y < bh && any; y++) {
    if (y % CELL == 0)
      for (int x = 0; x < bw; x++)
        kr[x] = k[y / CELL * 4 + x / CELL];
    vae_tk_mix (t->simd, luma->data + (size_t) (y0 + y) * luma->stride
        + (size_t) x0 * luma->step, luma->step, pred + y * BLOCK, kr, bw);
  }
  for (int p = 1; p < t->n_planes && t->cfeedback && any_c; p++)
    if (out[p].data != NULL)
      settle_chroma (t, &out[p], p, bx, by, kc);
}

/* Plane p's rows [y0, y1) of out into its new reference. */
static void
keep (VaeTemporal *t, const VaePlane *out, int p, int y0, int y1)
{
  int w = t->pw[p];
  for (int y = y0; y < y1; y++) {
    const uint8_t *o = out->data + (size_t) y * out->stride;
    uint8_t *d = t->dref[p][!t->dcur] + (size_t) y * w;
    if (out->step == 1)
      memcpy (d, o, (size_t) w);
    else
      for (int x = 0; x < w; x++)
        d[x] = o[(size_t) x * out->step];
  }
}

/* Block rows [r0, r1) of out (its luma, and its chroma where given) into
 * the new references and the luma's pyramid, settled first when smooth is
 * set and there is a past to settle on. */
static void
keep_rows (VaeTemporal *t, const VaePlane *out, int n_planes, int smooth,
    int r0, int r1)
{
  int chroma = n_planes == 3 && t->n_planes == 3 && out[1].data != NULL
      && out[2].data != NULL;

  smooth = smooth && t->feedback && t->valid && !t->fresh
      && t->sigma >= 0.5f;
  for (int by = r0; by < r1 && smooth; by++)
    for (int bx = 0; bx < t->bw; bx++)
      settle_block (t, out, bx, by);
  keep (t, &out[0], 0, r0 * BLOCK, MIN (r1 * BLOCK, t->h));
  vae_temporal_halve_rows (t, t->dref[0][!t->dcur], r0, r1);
  for (int p = 1; p < 3 && chroma; p++)
    keep (t, &out[p], p, (r0 * BLOCK) >> t->sy, MIN ((r1 * BLOCK) >> t->sy,
            t->ph[p]));
  if (r0 == 0)
    t->cnext = chroma;
}

void
vae_temporal_settle (VaeTemporal *t, const VaePlane *out, int n_planes,
    int r0, int r1)
{
  keep_rows (t, out, n_planes, 1, r0, r1);
}

void
vae_temporal_settle_done (VaeTemporal *t)
{
  t->dcur = !t->dcur;
  t->feedback = 1;
  t->cfeedback = t->cnext;
}

void
vae_temporal_set_reference (VaeTemporal *t, const VaePlane *luma)
{
  keep_rows (t, luma, 1, 0, 0, t->bh);
  vae_temporal_settle_done (t);
}
