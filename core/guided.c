/* The fast guided filter on 8-bit planes (vae.h): a chroma plane smoothed
 * where the denoised luma is flat and kept where it has edges.  The
 * coefficients are fitted at half resolution and brought back up, so it
 * costs about a quarter of the full-resolution filter (He and Sun, "Fast
 * Guided Filter", 2015).  Windows are summed directly (2r + 1 taps each
 * way, r is small), in chunks of output rows so the scratch stays a few
 * rows tall. */
#include "vae_private.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define CLAMP(v, lo, hi) ((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))

/* out[x] = the sum of v over x − r … x + r, indices clamped to [0, w):
 * tap by tap over the row's inside (which vectorises), the edges apart. */
VAE_AVX2_CLONE static void
hbox (const float *restrict v, int w, int r, float *restrict out)
{
  int lo = MIN (r, w), hi = MAX (w - r, lo);

  for (int x = lo; x < hi; x++)
    out[x] = v[x - r];
  for (int k = -r + 1; k <= r; k++)
    for (int x = lo; x < hi; x++)
      out[x] += v[x + k];
  for (int x = 0; x < w; x++) {
    if (x == lo)
      x = hi;
    if (x >= w)
      break;
    float s = 0.0f;
    for (int k = -r; k <= r; k++)
      s += v[CLAMP (x + k, 0, w - 1)];
    out[x] = s;
  }
}

/* out[x] = the sum over rows y − r … y + r (clamped to [0, h)) of rows,
 * whose row i holds row first + i, times scale. */
VAE_AVX2_CLONE static void
vbox (const float *restrict rows, int w, int first, int y, int h, int r,
    float scale, float *restrict out)
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

/* The half-resolution row j of an 8-bit plane (w × h): the means of its
 * 2 × 2 squares, the last column and row repeated where w or h is odd. */
VAE_AVX2_CLONE static void
half_row (const uint8_t *src, int stride, int w, int h, int j, float *out)
{
  const uint8_t *a = src + (size_t) MIN (2 * j, h - 1) * stride;
  const uint8_t *b = src + (size_t) MIN (2 * j + 1, h - 1) * stride;
  for (int x = 0; x < w / 2; x++)
    out[x] = 0.25f * (float) (a[2 * x] + a[2 * x + 1] + b[2 * x]
        + b[2 * x + 1]);
  if (w & 1)
    out[w / 2] = 0.5f * (float) (a[w - 1] + b[w - 1]);
}

/* Row y of w values from half-resolution rows (hw wide, row i holding row
 * first + i of hh): centre-sited, 3/4 of the nearer and 1/4 of the next
 * sample each way, clamped; tmp holds hw. */
VAE_AVX2_CLONE static void
up_row (const float *rows, int hw, int first, int hh, int w, int y,
    float *tmp, float *out)
{
  int j = y / 2, k = CLAMP (y & 1 ? j + 1 : j - 1, 0, hh - 1);
  const float *ra = rows + (size_t) (j - first) * hw;
  const float *rb = rows + (size_t) (k - first) * hw;

  for (int x = 0; x < hw; x++)
    tmp[x] = 0.75f * ra[x] + 0.25f * rb[x];
  /* out[2i] leans on tmp[i - 1], out[2i + 1] on tmp[i + 1] */
  out[0] = tmp[0];
  for (int i = 1; i < w / 2; i++)
    out[2 * i] = 0.75f * tmp[i] + 0.25f * tmp[i - 1];
  for (int i = 0; i + 1 < hw; i++)
    out[2 * i + 1] = 0.75f * tmp[i] + 0.25f * tmp[i + 1];
  if ((w & 1) == 0)             /* the last odd column has no next */
    out[w - 1] = tmp[hw - 1];
  else if (w > 1)
    out[w - 1] = 0.75f * tmp[hw - 1] + 0.25f * tmp[hw - 2];
}

VAE_AVX2_CLONE void
vae_guided_filter_u8 (const uint8_t *guide, int gs, const uint8_t *p, int ps,
    uint8_t *dst, int ds, int w, int h, int r, float eps, int row0, int row1,
    float *scratch)
{
  const int hw = (w + 1) / 2, hh = (h + 1) / 2;
  const size_t tall = (size_t) VAE_GUIDED_CHUNK / 2 + 3 + 4 * (size_t) r;
  const float scale = 1.0f / (float) ((2 * r + 1) * (2 * r + 1));
  float *si = scratch, *sp = si + tall * hw, *sip = sp + tall * hw;
  float *sii = sip + tall * hw, *sa = sii + tall * hw, *sb = sa + tall * hw;
  float *ca = sb + tall * hw, *cb = ca + tall * hw;
  float *di = cb + tall * hw, *dp = di + hw, *t = dp + hw, *u = t + hw;
  float *mi = u + hw, *mp = mi + hw, *mip = mp + hw, *mii = mip + hw;
  float *fa = mii + hw, *fb = fa + w, *row = fb + w;

  row1 = MIN (row1, h);
  for (int c0 = MAX (row0, 0); c0 < row1; c0 += VAE_GUIDED_CHUNK) {
    int c1 = MIN (c0 + VAE_GUIDED_CHUNK, row1);
    /* half rows: the coefficients' means on [j0, j1), the coefficients
     * on [b0, b1), the window sums on [d0, d1) */
    int j0 = MAX (c0 / 2 - 1, 0), j1 = MIN ((c1 - 1) / 2 + 2, hh);
    int b0 = MAX (j0 - r, 0), b1 = MIN (j1 + r, hh);
    int d0 = MAX (b0 - r, 0), d1 = MIN (b1 + r, hh);

    for (int j = d0; j < d1; j++) {
      size_t o = (size_t) (j - d0) * hw;
      half_row (guide, gs, w, h, j, di);
      half_row (p, ps, w, h, j, dp);
      hbox (di, hw, r, si + o);
      hbox (dp, hw, r, sp + o);
      for (int x = 0; x < hw; x++)
        t[x] = di[x] * dp[x];
      hbox (t, hw, r, sip + o);
      for (int x = 0; x < hw; x++)
        t[x] = di[x] * di[x];
      hbox (t, hw, r, sii + o);
    }
    for (int j = b0; j < b1; j++) {
      size_t o = (size_t) (j - b0) * hw;
      vbox (si, hw, d0, j, hh, r, scale, mi);
      vbox (sp, hw, d0, j, hh, r, scale, mp);
      vbox (sip, hw, d0, j, hh, r, scale, mip);
      vbox (sii, hw, d0, j, hh, r, scale, mii);
      for (int x = 0; x < hw; x++) {
        float var = mii[x] - mi[x] * mi[x], cov = mip[x] - mi[x] * mp[x];
        float den = (var > 0.0f ? var : 0.0f) + eps;
        float a = den > 0.0f ? cov / den : 0.0f;
        t[x] = a;
        u[x] = mp[x] - a * mi[x];
      }
      hbox (t, hw, r, sa + o);
      hbox (u, hw, r, sb + o);
    }
    for (int j = j0; j < j1; j++) {
      size_t o = (size_t) (j - j0) * hw;
      vbox (sa, hw, b0, j, hh, r, scale, ca + o);
      vbox (sb, hw, b0, j, hh, r, scale, cb + o);
    }
    for (int y = c0; y < c1; y++) {
      const uint8_t *gi = guide + (size_t) y * gs;
      up_row (ca, hw, j0, hh, w, y, t, fa);
      up_row (cb, hw, j0, hh, w, y, t, fb);
      for (int x = 0; x < w; x++)
        row[x] = fa[x] * (float) gi[x] + fb[x];
      vae_floats_to_u8 (row, dst + (size_t) y * ds, w);
    }
  }
}
