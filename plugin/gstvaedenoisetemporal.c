/* vaedenoise's temporal stage: a block-wise recursive blend.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstvaedenoisetemporal.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK 4

GstVaeTemporal *
gst_vae_temporal_new (gint n, const gint * w, const gint * h)
{
  GstVaeTemporal *t = g_new0 (GstVaeTemporal, 1);
  gsize blocks = 0;

  t->n = MIN (n, GST_VAE_TEMPORAL_MAX_PLANES);
  for (gint p = 0; p < t->n; p++)
    blocks = MAX (blocks, (gsize) ((w[p] + BLOCK - 1) / BLOCK)
        * ((h[p] + BLOCK - 1) / BLOCK));
  t->diff = g_try_new (gint32, blocks);
  if (t->diff == NULL) {
    g_free (t);
    return NULL;
  }
  for (gint p = 0; p < t->n; p++) {
    t->w[p] = w[p];
    t->h[p] = h[p];
    t->prev[p] = g_try_malloc ((gsize) w[p] * h[p]);
    if (t->prev[p] == NULL) {
      gst_vae_temporal_free (t);
      return NULL;
    }
  }
  return t;
}

void
gst_vae_temporal_free (GstVaeTemporal * t)
{
  if (t == NULL)
    return;
  for (gint p = 0; p < t->n; p++)
    g_free (t->prev[p]);
  g_free (t->diff);
  g_free (t);
}

void
gst_vae_temporal_reset (GstVaeTemporal * t)
{
  if (t != NULL)
    t->valid = FALSE;
}

/* Block [x0, x1) × [y0, y1)'s summed absolute difference. */
static gint32
block_diff (const guint8 * plane, gint stride, const guint8 * prev, gint pw,
    gint x0, gint x1, gint y0, gint y1)
{
  gint32 sum = 0;
  for (gint y = y0; y < y1; y++)
    for (gint x = x0; x < x1; x++)
      sum += abs ((gint) plane[(gsize) y * stride + x]
          - prev[(gsize) y * pw + x]);
  return sum;
}

/* The block moved toward prev by k (1/256), then remembered. */
static void
blend_block (guint8 * plane, gint stride, guint8 * prev, gint pw, gint x0,
    gint x1, gint y0, gint y1, gint k)
{
  for (gint y = y0; y < y1; y++) {
    guint8 *o = plane + (gsize) y * stride;
    guint8 *q = prev + (gsize) y * pw;
    for (gint x = x0; x < x1; x++) {
      if (k > 0)
        o[x] = (guint8) ((o[x] * (256 - k) + q[x] * k + 128) >> 8);
      q[x] = o[x];
    }
  }
}

void
gst_vae_temporal_apply (GstVaeTemporal * t, gint p, guint8 * plane,
    gint stride, gfloat tau, gfloat keep)
{
  gint w, h, bw, n_pass = 0, n_blocks = 0;
  gboolean blend;

  if (t == NULL || p < 0 || p >= t->n)
    return;
  w = t->w[p];
  h = t->h[p];
  bw = (w + BLOCK - 1) / BLOCK;
  blend = t->valid && tau > 0.0f;
  /* first every block's difference, and how many pass */
  for (gint y0 = 0, by = 0; blend && y0 < h; y0 += BLOCK, by++)
    for (gint x0 = 0, bx = 0; x0 < w; x0 += BLOCK, bx++) {
      gint x1 = MIN (x0 + BLOCK, w), y1 = MIN (y0 + BLOCK, h);
      gint32 d = block_diff (plane, stride, t->prev[p], w, x0, x1, y0, y1);
      t->diff[by * bw + bx] = d;
      n_pass += d < tau * (x1 - x0) * (y1 - y0);
      n_blocks++;
    }
  blend = blend && 4 * n_pass >= n_blocks;
  for (gint y0 = 0, by = 0; y0 < h; y0 += BLOCK, by++)
    for (gint x0 = 0, bx = 0; x0 < w; x0 += BLOCK, bx++) {
      gint x1 = MIN (x0 + BLOCK, w), y1 = MIN (y0 + BLOCK, h), k = 0;
      if (blend) {
        gfloat r = t->diff[by * bw + bx] / (tau * (x1 - x0) * (y1 - y0));
        k = r < 1.0f ? (gint) (256.0f * keep * (1.0f - r) + 0.5f) : 0;
      }
      blend_block (plane, stride, t->prev[p], w, x0, x1, y0, y1, k);
    }
}

void
gst_vae_temporal_frame_done (GstVaeTemporal * t)
{
  if (t != NULL)
    t->valid = TRUE;
}
