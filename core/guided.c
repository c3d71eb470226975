/* The guided filter on 8-bit planes (vae.h): chroma planes smoothed where
 * the denoised luma is flat and kept where it has edges.  Windows are
 * summed directly (2r + 1 taps each way, r is small), in chunks of rows so
 * the scratch stays a few rows tall. */
#include "vae_private.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define CLAMP(v, lo, hi) ((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))

/* out[x] = the sum of v over x − r … x + r, indices clamped to [0, w). */
static void
hbox (const float *v, int w, int r, float *out)
{
  for (int x = 0; x < w; x++) {
    float s = 0.0f;
    if (x >= r && x + r < w)
      for (int k = -r; k <= r; k++)
        s += v[x + k];
    else
      for (int k = -r; k <= r; k++)
        s += v[CLAMP (x + k, 0, w - 1)];
    out[x] = s;
  }
}

/* out[x] = the sum over rows y − r … y + r (clamped to [0, h)) of rows,
 * whose row i holds image row first + i, times scale. */
static void
vbox (const float *rows, int w, int first, int y, int h, int r, float scale,
    float *out)
{
  for (int x = 0; x < w; x++)
    out[x] = 0.0f;
  for (int k = -r; k <= r; k++) {
    const float *row = rows + (size_t) (CLAMP (y + k, 0, h - 1) - first) * w;
    for (int x = 0; x < w; x++)
      out[x] += row[x];
  }
  for (int x = 0; x < w; x++)
    out[x] *= scale;
}

void
vae_guided_filter_u8 (const uint8_t *guide, int gs, const uint8_t *p, int ps,
    uint8_t *dst, int ds, int w, int h, int r, float eps, int row0, int row1,
    float *scratch)
{
  const int tall = VAE_GUIDED_CHUNK + 4 * r;
  const float scale = 1.0f / (float) ((2 * r + 1) * (2 * r + 1));
  float *hi = scratch, *hp = hi + (size_t) tall * w;
  float *hip = hp + (size_t) tall * w, *hii = hip + (size_t) tall * w;
  float *ha = hii + (size_t) tall * w, *hb = ha + (size_t) tall * w;
  float *row = hb + (size_t) tall * w, *t = row + w, *u = t + w;
  float *mi = u + w, *mp = mi + w, *mip = mp + w, *mii = mip + w;

  row1 = MIN (row1, h);
  for (int c0 = MAX (row0, 0); c0 < row1; c0 += VAE_GUIDED_CHUNK) {
    int c1 = MIN (c0 + VAE_GUIDED_CHUNK, row1);
    /* a and b on rows [a0, a1), from window sums on rows [h0, h1) */
    int a0 = MAX (c0 - r, 0), a1 = MIN (c1 + r, h);
    int h0 = MAX (a0 - r, 0), h1 = MIN (a1 + r, h);

    for (int y = h0; y < h1; y++) {
      const uint8_t *gi = guide + (size_t) y * gs, *pi = p + (size_t) y * ps;
      size_t o = (size_t) (y - h0) * w;
      for (int x = 0; x < w; x++)
        row[x] = gi[x];
      hbox (row, w, r, hi + o);
      for (int x = 0; x < w; x++)
        t[x] = (float) gi[x] * (float) gi[x];
      hbox (t, w, r, hii + o);
      for (int x = 0; x < w; x++)
        t[x] = pi[x];
      hbox (t, w, r, hp + o);
      for (int x = 0; x < w; x++)
        t[x] *= row[x];
      hbox (t, w, r, hip + o);
    }
    for (int y = a0; y < a1; y++) {
      size_t o = (size_t) (y - a0) * w;
      vbox (hi, w, h0, y, h, r, scale, mi);
      vbox (hp, w, h0, y, h, r, scale, mp);
      vbox (hip, w, h0, y, h, r, scale, mip);
      vbox (hii, w, h0, y, h, r, scale, mii);
      for (int x = 0; x < w; x++) {
        float var = mii[x] - mi[x] * mi[x], cov = mip[x] - mi[x] * mp[x];
        float den = (var > 0.0f ? var : 0.0f) + eps;
        float a = den > 0.0f ? cov / den : 0.0f;
        t[x] = a;
        u[x] = mp[x] - a * mi[x];
      }
      hbox (t, w, r, ha + o);
      hbox (u, w, r, hb + o);
    }
    for (int y = c0; y < c1; y++) {
      const uint8_t *gi = guide + (size_t) y * gs;
      vbox (ha, w, a0, y, h, r, scale, t);
      vbox (hb, w, a0, y, h, r, scale, u);
      for (int x = 0; x < w; x++)
        row[x] = t[x] * (float) gi[x] + u[x];
      vae_floats_to_u8 (row, dst + (size_t) y * ds, w);
    }
  }
}
