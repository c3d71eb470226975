/* Overlap-add: the patches' windows, and their outputs summed into plane
 * rows with those weights. */
#include "denoise_impl.h"

#include <math.h>
#include <string.h>

/* One factor of the overlap-add window: flat, or a Gaussian with σ a
 * quarter of the patch. */
static void
window_1d (float *w, int p, VaeWindow kind)
{
  float c = (p - 1) * 0.5f, s = p * 0.25f;
  for (int i = 0; i < p; i++)
    w[i] = kind == VAE_WINDOW_GAUSS
        ? expf (-0.5f * (i - c) * (i - c) / (s * s)) : 1.0f;
}

/* 1 / Σ of the window factors w covering each of n pixels, patches of p at
 * the k origins o. */
static void
inverse_weights (float *iw, int n, const int *o, int k, const float *w, int p)
{
  for (int x = 0; x < n; x++)
    iw[x] = 0.0f;
  for (int i = 0; i < k; i++)
    for (int j = 0; j < p && o[i] + j < n; j++)
      iw[o[i] + j] += w[j];
  for (int x = 0; x < n; x++)
    iw[x] = 1.0f / iw[x];
}

/* a(i) for a patch of p at this stride: g(i) / Σₖ g(i + k·stride), over
 * the k (of either sign) that keep i + k·stride inside the patch */
static void
overlap_shares (float *a, int p, int stride, VaeWindow kind)
{
  float g[VAE_MAX_PATCH];
  window_1d (g, p, kind);
  for (int i = 0; i < p; i++) {
    double s = 0.0;
    for (int j = i % stride; j < p; j += stride)
      s += g[j];
    a[i] = (float) (g[i] / s);
  }
}

int
vae_denoise_loss_weights (int pw, int ph, int stride, VaeWindow window,
    float *w)
{
  float ax[VAE_MAX_PATCH], ay[VAE_MAX_PATCH];
  if (stride < 1 || pw < 1 || ph < 1 || pw > VAE_MAX_PATCH
      || ph > VAE_MAX_PATCH)
    return VAE_ERR_ARG;
  overlap_shares (ax, pw, stride, window);
  overlap_shares (ay, ph, stride, window);
  for (int i = 0; i < ph; i++)
    for (int j = 0; j < pw; j++)
      w[i * pw + j] = ay[i] * ax[j];
  return VAE_OK;
}

/* The window is separable, and so, on the grid of origins xs × ys, is the
 * sum of the windows covering a pixel: Σ = Wy[y] · Wx[x].  Blending then
 * needs no per-pixel weight plane, only 1/Wx and 1/Wy
 * (vae_denoise_window_sums). */
void
vae_denoise_windows (VaeDenoiser *d)
{
  window_1d (d->wx, d->pw, d->o.window);
  window_1d (d->wy, d->ph, d->o.window);
  if (d->m->cfg.colour) {
    /* interleaved rows: a luma row's weight is its luma row's, a chroma
     * row's its chroma row's (in x the pairs Cb Cr share the luma
     * window's columns, nearly the chroma's own) */
    float wl[VAE_MAX_PATCH], wc[VAE_MAX_PATCH];
    int lh = d->ph / 3 * 2;
    window_1d (wl, lh, d->o.window);
    window_1d (wc, lh / 2, d->o.window);
    for (int k = 0; k < lh / 2; k++) {
      d->wy[3 * k] = wl[2 * k];
      d->wy[3 * k + 1] = wl[2 * k + 1];
      d->wy[3 * k + 2] = wc[k];
    }
  }
  for (int i = 0; i < d->ph; i++)
    for (int j = 0; j < d->pw; j++)
      d->win[i * d->pw + j] = d->wy[i] * d->wx[j];
}

void
vae_denoise_window_sums (VaeDenoiser *d, int w, int h)
{
  inverse_weights (d->iwx, w, d->xs, d->nx, d->wx, d->pw);
  inverse_weights (d->iwy, h, d->ys, d->ny, d->wy, d->ph);
}

/* Row i of the n evenly spaced patches zk[0], zk[P], … (origins 0, s, 2s,
 * … from acc's first pixel) written to acc[0, (n − 1)·s + p), for s ≤ p ≤
 * 2s: pixel j of the group [g·s, g·s + s) takes patch g − 1's value j + s
 * (when j + s < p), then patch g's value j, the grid's order.  Unlike a
 * loop over patches, no load reads a store it half overlaps (which stalls
 * store forwarding), and nothing needs zeroing first. */
static inline void
blend_row (float *acc, const float *zk, const float *wr, int n, int P, int s,
    int p)
{
  int t = p - s;              /* a patch's overhang into the next group */
  for (int j = 0; j < s; j++)
    acc[j] = wr[j] * zk[j];
  for (int g = 1; g < n; g++) {
    float *a = acc + (size_t) g * s;
    const float *zl = zk + (size_t) (g - 1) * P + s, *zr = zk + (size_t) g * P;
    for (int j = 0; j < t; j++)
      a[j] = wr[s + j] * zl[j] + wr[j] * zr[j];
    for (int j = t; j < s; j++)
      a[j] = wr[j] * zr[j];
  }
  {
    float *a = acc + (size_t) n * s;
    const float *zl = zk + (size_t) (n - 1) * P + s;
    for (int j = 0; j < t; j++)
      a[j] = wr[s + j] * zl[j];
  }
}

/* blend_row for the default 8-pixel patch at stride 4, one 4-pixel group
 * per step in vectors of four floats: the same operations, so the same
 * bits (a compiler left to itself vectorises the generic loop across
 * groups, with gathers). */
typedef float v4f __attribute__ ((vector_size (16)));

static inline v4f
ld4 (const float *p)
{
  v4f v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
st4 (float *p, v4f v)
{
  memcpy (p, &v, sizeof v);
}

/* The 8 rows of one patch row (rows ld apart in acc), the group loop
 * outside: z is read in order and each group of acc, pixels [0, 4n + 4),
 * is stored once, not read: the sum starts from its first term rather
 * than from a zeroed strip (the same values; 0 + x is x). */
static inline void
blend_rows_8_4 (float *acc, size_t ld, const float *zk, const float *win,
    int n, int P)
{
  for (int i = 0; i < 8; i++)
    st4 (acc + (size_t) i * ld, ld4 (win + 8 * i) * ld4 (zk + 8 * i));
  for (int g = 1; g < n; g++) {
    const float *zr = zk + (size_t) g * P, *zl = zr - P + 4;
    for (int i = 0; i < 8; i++) {
      v4f v = ld4 (win + 8 * i + 4) * ld4 (zl + 8 * i);
      st4 (acc + (size_t) i * ld + 4 * g, v + ld4 (win + 8 * i)
          * ld4 (zr + 8 * i));
    }
  }
  for (int i = 0; i < 8; i++)
    st4 (acc + (size_t) i * ld + 4 * n, ld4 (win + 8 * i + 4)
        * ld4 (zk + (size_t) (n - 1) * P + 8 * i + 4));
}

/* blend_row for 8-pixel patches at stride 6 (the colour default), one
 * 6-pixel group per step: its first 2 pixels sum two patches, the other 4
 * take one, in vectors of two and four floats.  The same operations, so
 * the same bits. */
typedef float v2f __attribute__ ((vector_size (8)));

static inline v2f
ld2 (const float *p)
{
  v2f v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
st2 (float *p, v2f v)
{
  memcpy (p, &v, sizeof v);
}

static inline void
blend_row_8_6 (float *acc, const float *zk, const float *wr, int n, int P)
{
  const v2f w0 = ld2 (wr), w6 = ld2 (wr + 6);
  const v4f w2 = ld4 (wr + 2);
  st2 (acc, w0 * ld2 (zk));
  st4 (acc + 2, w2 * ld4 (zk + 2));
  for (int g = 1; g < n; g++) {
    float *a = acc + (size_t) g * 6;
    const float *zr = zk + (size_t) g * P;
    st2 (a, w6 * ld2 (zr - P + 6) + w0 * ld2 (zr));
    st4 (a + 2, w2 * ld4 (zr + 2));
  }
  st2 (acc + (size_t) n * 6, w6 * ld2 (zk + (size_t) (n - 1) * P + 6));
}

/* One patch row's outputs z (nx patches) overlap-added along x into its
 * ph strip rows of w (zeroed here): each pixel's sum in the patches' order. */
VAE_AVX2_CLONE void
vae_denoise_hblend (const VaeDenoiser *d, const VaeGrid *g, const float *z,
    float *strip, int w)
{
  int P = d->m->cfg.n_in, pw = d->pw, ph = d->ph, s = d->stride;
  /* patches at origins 0, s, 2s, … and a last one flush with the border */
  int nreg = d->xs[g->nx - 1] == (g->nx - 1) * s ? g->nx : g->nx - 1;
  int rows = w >= pw && s <= pw && pw <= 2 * s && nreg >= 1;

  if (rows) {
    int x1 = (nreg - 1) * s + pw;     /* past the rows' pixels: zeroed */
    if (pw == 8 && ph == 8 && s == 4) /* the default */
      blend_rows_8_4 (strip, (size_t) w, z, d->win, nreg, P);
    else if (pw == 8 && s == 6)       /* the colour default */
      for (int i = 0; i < ph; i++)
        blend_row_8_6 (strip + (size_t) i * w, z + i * pw, d->win + i * pw,
            nreg, P);
    else
      for (int i = 0; i < ph; i++)
        blend_row (strip + (size_t) i * w, z + i * pw, d->win + i * pw, nreg,
            P, s, pw);
    if (x1 < w)
      for (int i = 0; i < ph; i++)
        memset (strip + (size_t) i * w + x1, 0, (size_t) (w - x1)
            * sizeof (float));
  } else {
    memset (strip, 0, (size_t) ph * w * sizeof (float));
  }
  /* then the flush patch, or every patch where the rows above do not
   * apply */
  for (int ix = rows ? nreg : 0; ix < g->nx; ix++) {
    int px = d->xs[ix];
    int j1 = w - px < pw ? w - px : pw;
    const float *zk = z + (size_t) ix * P;
    for (int i = 0; i < ph; i++) {
      float *acc = strip + (size_t) i * w + px;
      const float *zr = zk + i * pw, *wr = d->win + i * pw;
      for (int j = 0; j < j1; j++)
        acc[j] += wr[j] * zr[j];
    }
  }
}

/* Plane row y from the strip rows r[0 .. n) of the patch rows covering it,
 * summed in their order, normalised by the windows' sums and written. */
VAE_AVX2_CLONE static void
out_row (VaeDenoiser *d, const float *const *r, int n, uint8_t *dst8,
    float *dstf, int dst_stride, int y, int w)
{
  const VaeConfig *c = &d->m->cfg;
  const float *iwx = d->iwx, *v = r[0];

  if (n > 2) {
    float *a = d->acc;
    for (int x = 0; x < w; x++)
      a[x] = r[0][x] + r[1][x];
    for (int q = 2; q < n; q++)
      for (int x = 0; x < w; x++)
        a[x] += r[q][x];
    v = a;
  }
  if (dst8 && n == 2) {
    /* two patch rows, the default's every row: the sum in passing */
    uint8_t *o = dst8 + (size_t) y * dst_stride;
    const float *r0 = r[0], *r1 = r[1];
    float k = 255.0f * c->norm_scale * d->iwy[y], b = 255.0f * c->norm_mean;
    for (int x = 0; x < w; x++)
      o[x] = vae_to_u8 ((r0[x] + r1[x]) * iwx[x] * k + b);
  } else if (dst8) {
    uint8_t *o = dst8 + (size_t) y * dst_stride;
    float k = 255.0f * c->norm_scale * d->iwy[y], b = 255.0f * c->norm_mean;
    for (int x = 0; x < w; x++)
      o[x] = vae_to_u8 (v[x] * iwx[x] * k + b);
  } else if (n == 2) {
    float *o = dstf + (size_t) y * dst_stride;
    const float *r0 = r[0], *r1 = r[1];
    float k = c->norm_scale * d->iwy[y];
    for (int x = 0; x < w; x++)
      o[x] = (r0[x] + r1[x]) * iwx[x] * k + c->norm_mean;
  } else {
    float *o = dstf + (size_t) y * dst_stride;
    float k = c->norm_scale * d->iwy[y];
    for (int x = 0; x < w; x++)
      o[x] = v[x] * iwx[x] * k + c->norm_mean;
  }
}

/* Plane row y of tile [iy0, iy1)'s patch rows: written when they are all
 * that cover it, else its strip rows go to the store (patch row iy's strip
 * row i at (iy · ph + i) · w) for vae_denoise_blend. */
void
vae_denoise_out_or_store (VaeDenoiser *d, uint8_t *dst8, float *dstf,
    int dst_stride, int w, int iy0, int iy1, int y, float *store)
{
  int ph = d->ph, a = d->cov0[y], b = d->cov1[y];
  const float *r[VAE_MAX_PATCH + 1];

  if (a >= iy0 && b < iy1) {
    for (int iy = a; iy <= b; iy++)
      r[iy - a] = d->ht + ((size_t) (iy - iy0) * ph + (y - d->ys[iy])) * w;
    out_row (d, r, b - a + 1, dst8, dstf, dst_stride, y, w);
    return;
  }
  for (int iy = a > iy0 ? a : iy0; iy <= b && iy < iy1; iy++)
    memcpy (store + ((size_t) iy * ph + (y - d->ys[iy])) * w,
        d->ht + ((size_t) (iy - iy0) * ph + (y - d->ys[iy])) * w,
        (size_t) w * sizeof (float));
}

/* Rows [row0, row1) covered by patch rows of more than one tile, from the
 * strips the tiles left in the store. */
void
vae_denoise_blend (VaeDenoiser *d, const VaeGrid *g, const float *store,
    uint8_t *dst8, float *dstf, int dst_stride, int w, int row0, int row1)
{
  const float *r[VAE_MAX_PATCH + 1];

  for (int y = row0; y < row1; y++) {
    int a = d->cov0[y], b = d->cov1[y];
    if (a / g->rows == b / g->rows)
      continue;               /* written by its tile */
    for (int iy = a; iy <= b; iy++)
      r[iy - a] = store + ((size_t) iy * d->ph + (y - d->ys[iy])) * w;
    out_row (d, r, b - a + 1, dst8, dstf, dst_stride, y, w);
  }
}
