/* Whole-plane denoising: overlapping patches batched into large GEMMs,
 * overlap-add with weights. */
#include "vae_private.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct VaeDenoiser {
  const VaeModel *m;
  VaeWorkspace *ws;
  VaeDenoiseOpts o;
  int pw, ph, stride, batch, net_in;
  int max_w, max_h;
  float *acc;                 /* (max_w) a row's summed strips */
  float *win;                 /* (ph, pw) overlap-add window, wy[i]·wx[j] */
  float *wx, *wy;             /* its separable factors (pw), (ph) */
  float *iwx, *iwy;           /* 1 / summed window weights per column, row */
  int *xs, *ys;               /* patch origins */
  int *xmap, *ymap;           /* reflected source coordinates */
  int grid_w, grid_h, nx, ny; /* the grid xs/ys/xmap/ymap were made for */
  float *bias0;               /* layer 0's bias with the level input folded in */
  VaeGemmB gb[VAE_MAX_LAYERS];/* each layer's weights packed (gemm.c) */
  float *gbuf;                /* their panels */
  /* bf16 (VAE_PRECISION_BF16): layer l's packed weights in gb[l].h, the
   * patches (batch × xb_ld) and each hidden layer's output (batch ×
   * hb_ld[l], l < n_layers − 1) in bf16, zero past their widths */
  int bf16;
  uint16_t *gbuf16, *xb, *hb[VAE_MAX_LAYERS];
  int xb_ld, hb_ld[VAE_MAX_LAYERS];
  uint16_t lut16[256];        /* lut rounded to bf16 */
  /* int8 (VAE_PRECISION_INT8, the model's quant.* weights): their panels
   * in gq[l] (beside gb, which holds the float planes' weights), the
   * patches' pixels (batch × xq_ld) and each hidden
   * layer's activation codes (batch × hq_ld[l]) as bytes; per layer the
   * epilogue's scale and offset (qmul, qadd; layer 0's offset is set per
   * call, for the noise level) */
  int i8;
  VaeGemmB gq[VAE_MAX_LAYERS];
  int8_t *gbuf8;
  uint8_t *xq, *hq[VAE_MAX_LAYERS];
  int xq_ld, hq_ld[VAE_MAX_LAYERS];
  float *qmul[VAE_MAX_LAYERS], *qadd[VAE_MAX_LAYERS];
  /* a tile's source rows converted once (each pixel lies in several
   * patches): network units in rowf, bf16 in rowh, row_cap pixels */
  float *rowf;
  uint16_t *rowh;
  size_t row_cap;
  float *z;                   /* the one-call path's store, made lazily */
  size_t z_floats;            /* the store: (patch rows, ph, w) strips */
  /* a tile's work: its patches' outputs (zt_floats) and its patch rows
   * overlap-added along x into strips of ph × w (ht_floats); per plane
   * row the first and last patch rows covering it */
  float *zt, *ht;
  size_t zt_floats, ht_floats;
  int *cov0, *cov1;
  float lut[256];             /* u8 → network units */
  /* convolutional models: square tiles of `tile` output pixels, each
   * computed on itself plus a halo of the receptive field's radius */
  int conv, tile, halo;
  float *cin, *ca, *cb, *ccol, *cout;   /* maps padded by k/2 but cout */
  float *wr;                  /* the weights repacked for the plane path */
};

#define CONV_TILE 128

/* An 8-bit value, rounded and clipped; NaN (huge but finite weights
 * overflow to inf − inf) goes to 0: converting it to uint8_t would be
 * undefined. */
static inline uint8_t
to_u8 (float v)
{
  v = !(v >= 0.0f) ? 0.0f : v > 255.0f ? 255.0f : v;
  return (uint8_t) (v + 0.5f);
}

typedef struct {
  int nx, ny, n_tiles, rows;  /* rows: patch rows per tile (the last may be
                               * short) */
  long n;
} Grid;

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

VaeDenoiseOpts
vae_denoise_opts_default (void)
{
  VaeDenoiseOpts o;
  o.stride = 0;
  o.batch = 1024;
  /* Measured on BSD68 at σ=25: +0.16 dB over flat averaging at stride 4. */
  o.window = VAE_WINDOW_GAUSS;
  o.precision = VAE_PRECISION_AUTO;
  return o;
}

void
vae_denoiser_free (VaeDenoiser *d)
{
  if (d == NULL)
    return;
  vae_workspace_free (d->ws);
  vae_aligned_free (d->acc);
  free (d->win);
  free (d->wx);
  free (d->wy);
  free (d->iwx);
  free (d->iwy);
  free (d->xs);
  free (d->ys);
  free (d->xmap);
  free (d->ymap);
  vae_aligned_free (d->z);
  vae_aligned_free (d->zt);
  vae_aligned_free (d->ht);
  free (d->cov0);
  free (d->cov1);
  free (d->bias0);
  vae_aligned_free (d->cin);
  vae_aligned_free (d->ca);
  vae_aligned_free (d->cb);
  vae_aligned_free (d->ccol);
  vae_aligned_free (d->cout);
  vae_aligned_free (d->wr);
  vae_aligned_free (d->gbuf);
  vae_aligned_free (d->gbuf16);
  vae_aligned_free (d->xb);
  vae_aligned_free (d->rowf);
  vae_aligned_free (d->rowh);
  vae_aligned_free (d->gbuf8);
  vae_aligned_free (d->xq);
  for (int l = 0; l < VAE_MAX_LAYERS; l++) {
    vae_aligned_free (d->hb[l]);
    vae_aligned_free (d->hq[l]);
    free (d->qmul[l]);
    free (d->qadd[l]);
  }
  free (d);
}

/* ------------------------------------------------- convolutional models */

/* A convolutional denoiser: tiles of CONV_TILE × CONV_TILE output pixels;
 * each runs the network on the tile and a halo of R = depth · (k/2) pixels
 * (clipped at the plane's border, where the network's zero padding is the
 * real one), which gives its pixels exactly the whole-plane values: a
 * pixel's output depends on the input within R of it and nothing else.
 * The store is a plane of denoised values, network units. */
static VaeDenoiser *
conv_new (VaeDenoiser *d, int max_w, int max_h, VaeError *err)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  int k = c->conv_kernel, ci = c->noise_input ? 2 : 1, maxin = 0;
  size_t ew, eh, pad;

  d->conv = 1;
  d->halo = c->conv_depth * (k / 2);
  d->tile = CONV_TILE;
  d->pw = d->ph = 2 * d->halo + 1;     /* the receptive field */
  d->stride = 1;
  d->max_w = max_w;
  d->max_h = max_h;
  /* the largest tile with its halo, and with the layers' padding */
  ew = (size_t) (max_w < d->tile ? max_w : d->tile) + 2 * d->halo;
  eh = (size_t) (max_h < d->tile ? max_h : d->tile) + 2 * d->halo;
  ew = ew < (size_t) max_w ? ew : (size_t) max_w;
  eh = eh < (size_t) max_h ? eh : (size_t) max_h;
  pad = (ew + k - 1) * (eh + k - 1);
  for (int l = 0; l < m->n_layers; l++)
    maxin = m->layers[l].n_in > maxin ? m->layers[l].n_in : maxin;
  d->z_floats = (size_t) max_w * max_h;
  d->cin = vae_aligned_alloc (pad * ci * sizeof (float));
  d->ca = vae_aligned_alloc (pad * c->conv_width * sizeof (float));
  d->cb = vae_aligned_alloc (pad * c->conv_width * sizeof (float));
  d->ccol = vae_aligned_alloc (ew * (size_t) maxin * sizeof (float));
  d->cout = vae_aligned_alloc (ew * eh * sizeof (float));
  d->wr = vae_aligned_alloc (vae_conv_repack_floats (m) * sizeof (float));
  if (!d->cin || !d->ca || !d->cb || !d->ccol || !d->cout || !d->wr) {
    vae_set_error (err, VAE_ERR_NOMEM, "cannot allocate a %dx%d denoiser",
        max_w, max_h);
    vae_denoiser_free (d);
    return NULL;
  }
  vae_conv_repack (m, d->wr);
  return d;
}

static int
conv_tiles_x (const VaeDenoiser *d, int w)
{
  return (w + d->tile - 1) / d->tile;
}

/* Whether a w × h plane fits the denoiser. */
static int
conv_plane_ok (const VaeDenoiser *d, int w, int h)
{
  return w >= 1 && h >= 1 && w <= d->max_w && h <= d->max_h;
}

/* Tile t of a w × h plane: its output pixels [x0, x1) × [y0, y1), and
 * with its halo, clipped to the plane, [ex0, ex1) × [ey0, ey1). */
typedef struct {
  int x0, y0, x1, y1, ex0, ey0, ex1, ey1;
} ConvTile;

static ConvTile
conv_tile_rect (const VaeDenoiser *d, int w, int h, int t)
{
  int ntx = conv_tiles_x (d, w), R = d->halo;
  ConvTile r;
  r.x0 = t % ntx * d->tile;
  r.y0 = t / ntx * d->tile;
  r.x1 = r.x0 + d->tile < w ? r.x0 + d->tile : w;
  r.y1 = r.y0 + d->tile < h ? r.y0 + d->tile : h;
  r.ex0 = r.x0 - R > 0 ? r.x0 - R : 0;
  r.ey0 = r.y0 - R > 0 ? r.y0 - R : 0;
  r.ex1 = r.x1 + R < w ? r.x1 + R : w;
  r.ey1 = r.y1 + R < h ? r.y1 + R : h;
  return r;
}

/* Tile t of a w × h plane into the store (network units). */
static void
conv_tile (VaeDenoiser *d, const uint8_t *src8, const float *srcf,
    int src_stride, int w, int h, int t, float sigma, float *store)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  const ConvTile tr = conv_tile_rect (d, w, h, t);
  int x0 = tr.x0, y0 = tr.y0, x1 = tr.x1, y1 = tr.y1, ex0 = tr.ex0;
  int ey0 = tr.ey0, ci = c->noise_input ? 2 : 1;
  int ew = tr.ex1 - ex0, eh = tr.ey1 - ey0, r = c->conv_kernel / 2;
  size_t prow = (size_t) (ew + 2 * r) * ci;
  float feat = sigma / 255.0f / c->norm_scale;

  for (int y = 0; y < eh; y++) {
    float *dst = d->cin + (y + r) * prow + (size_t) r * ci;
    if (src8) {
      const uint8_t *sr = src8 + (size_t) (ey0 + y) * src_stride + ex0;
      for (int x = 0; x < ew; x++)
        dst[x * ci] = d->lut[sr[x]];
    } else {
      const float *sr = srcf + (size_t) (ey0 + y) * src_stride + ex0;
      for (int x = 0; x < ew; x++)
        dst[x * ci] = vae_norm (c, sr[x]);
    }
    if (ci == 2)
      for (int x = 0; x < ew; x++)
        dst[x * 2 + 1] = feat;
  }
  vae_conv_plane_forward (m, d->wr, d->cin, eh, ew, d->ca, d->cb, d->ccol,
      d->cout);
  for (int y = y0; y < y1; y++) {
    const float *o = d->cout + (size_t) (y - ey0) * ew + (x0 - ex0);
    const float *xi = d->cin + (y - ey0 + r) * prow
        + (size_t) (x0 - ex0 + r) * ci;
    float *z = store + (size_t) y * w + x0;
    if (c->residual)
      for (int x = 0; x < x1 - x0; x++)
        z[x] = xi[x * ci] - o[x];
    else
      memcpy (z, o, (size_t) (x1 - x0) * sizeof (float));
  }
}

/* Rows [row0, row1) of the store to the output. */
static void
conv_blend (const VaeDenoiser *d, const float *store, uint8_t *dst8,
    float *dstf, int dst_stride, int w, int row0, int row1)
{
  const VaeConfig *c = &d->m->cfg;
  for (int y = row0; y < row1; y++) {
    const float *z = store + (size_t) y * w;
    if (dst8) {
      uint8_t *o = dst8 + (size_t) y * dst_stride;
      float k = 255.0f * c->norm_scale, b = 255.0f * c->norm_mean;
      for (int x = 0; x < w; x++)
        o[x] = to_u8 (z[x] * k + b);
    } else {
      float *o = dstf + (size_t) y * dst_stride;
      for (int x = 0; x < w; x++)
        o[x] = z[x] * c->norm_scale + c->norm_mean;
    }
  }
}

static int
conv_run (VaeDenoiser *d, const uint8_t *src8, const float *srcf,
    int src_stride, uint8_t *dst8, float *dstf, int dst_stride, int w, int h,
    int row0, int row1, float sigma)
{
  int ntx;
  if (!conv_plane_ok (d, w, h) || row0 < 0 || row1 > h || row0 >= row1
      || !isfinite (sigma))
    return VAE_ERR_ARG;
  if (d->z == NULL) {
    d->z = vae_aligned_alloc (d->z_floats * sizeof (float));
    if (d->z == NULL)
      return VAE_ERR_NOMEM;
  }
  ntx = conv_tiles_x (d, w);
  for (int ty = row0 / d->tile; ty * d->tile < row1; ty++)
    for (int tx = 0; tx < ntx; tx++)
      conv_tile (d, src8, srcf, src_stride, w, h, ty * ntx + tx, sigma, d->z);
  conv_blend (d, d->z, dst8, dstf, dst_stride, w, row0, row1);
  return VAE_OK;
}

int
vae_bf16_supported (void)
{
  return vae_gemm_bf16_available ();
}

/* The bf16 path covers dense models whose hidden layers end in ReLU or
 * nothing (fused into the product) and whose output layer is linear. */
static int
bf16_fits (const VaeModel *m)
{
  if (!vae_gemm_bf16_available () || m->cfg.conv_depth > 0)
    return 0;
  for (int l = 0; l < m->n_layers - 1; l++)
    if (m->layers[l].act != VAE_ACT_RELU
        && m->layers[l].act != VAE_ACT_IDENTITY)
      return 0;
  return m->layers[m->n_layers - 1].act == VAE_ACT_IDENTITY;
}

static uint16_t *
bf16_alloc (size_t n)
{
  uint16_t *p = vae_aligned_alloc (n * sizeof (uint16_t));
  if (p)
    memset (p, 0, n * sizeof (uint16_t));
  return p;
}

/* The bf16 path's weights (layer 0 without the level column, as gb) and
 * its patch and activation buffers, zero past each width. */
static int
bf16_new (VaeDenoiser *d)
{
  const VaeModel *m = d->m;
  size_t nh = 0;
  for (int l = 0; l < m->n_layers; l++)
    nh += vae_gemm_packed_bf16 (m->layers[l].n_out, l == 0 ? m->cfg.n_in
        : m->layers[l].n_in);
  d->gbuf16 = bf16_alloc (nh);
  d->xb_ld = (m->cfg.n_in + 1) / 2 * 2;
  d->xb = bf16_alloc ((size_t) d->batch * d->xb_ld);
  /* A tile of `batch` patches spans at most batch / nx + 2 patch rows;
   * nx ≥ w / stride, so its source rows hold about batch · stride² + (2
   * stride + ph) · w pixels.  A tile that needs more (tiny planes)
   * gathers pixel by pixel instead. */
  {
    size_t W = (size_t) (d->max_w > d->pw ? d->max_w : d->pw);
    size_t cap = (size_t) d->batch * d->stride * d->stride * 2
        + (size_t) (3 * d->stride + d->ph) * W;
    size_t plane = W * (size_t) (d->max_h > d->ph ? d->max_h : d->ph);
    d->row_cap = cap < plane ? cap : plane;
  }
  d->rowf = vae_aligned_alloc (d->row_cap * sizeof (float));
  d->rowh = bf16_alloc (d->row_cap);
  if (d->gbuf16 == NULL || d->xb == NULL || d->rowf == NULL
      || d->rowh == NULL)
    return VAE_ERR_NOMEM;
  for (int l = 0, off = 0; l < m->n_layers; l++) {
    const VaeLayer *L = &m->layers[l];
    int k = l == 0 ? m->cfg.n_in : L->n_in;
    vae_gemm_pack_bf16 (&d->gb[l], d->gbuf16 + off, m->params + L->w_off,
        L->n_out, k, L->n_in);
    off += (int) vae_gemm_packed_bf16 (L->n_out, k);
    if (l < m->n_layers - 1) {
      d->hb_ld[l] = (L->n_out + 1) / 2 * 2;
      d->hb[l] = bf16_alloc ((size_t) d->batch * d->hb_ld[l]);
      if (d->hb[l] == NULL)
        return VAE_ERR_NOMEM;
    }
  }
  return VAE_OK;
}

/* The int8 path's panels, byte buffers and epilogue constants. */
static int
i8_new (VaeDenoiser *d)
{
  const VaeModel *m = d->m;
  const VaeQuant *q = m->quant;
  size_t nb = 0;
  for (int l = 0; l < m->n_layers; l++)
    nb += vae_gemm_packed_i8 (m->layers[l].n_out, q->k[l]);
  d->gbuf8 = vae_aligned_alloc (nb);
  d->xq_ld = (q->k[0] + 3) / 4 * 4;
  d->xq = vae_aligned_alloc ((size_t) d->batch * d->xq_ld);
  if (d->gbuf8 == NULL || d->xq == NULL)
    return VAE_ERR_NOMEM;
  memset (d->xq, 0, (size_t) d->batch * d->xq_ld);
  for (int l = 0, off = 0; l < m->n_layers; l++) {
    const VaeLayer *L = &m->layers[l];
    int last = l == m->n_layers - 1;
    vae_gemm_pack_i8 (&d->gq[l], d->gbuf8 + off, q->w[l], L->n_out, q->k[l],
        q->k[l]);
    off += (int) vae_gemm_packed_i8 (L->n_out, q->k[l]);
    d->qmul[l] = malloc ((size_t) L->n_out * sizeof (float));
    d->qadd[l] = malloc ((size_t) L->n_out * sizeof (float));
    if (d->qmul[l] == NULL || d->qadd[l] == NULL)
      return VAE_ERR_NOMEM;
    for (int j = 0; j < L->n_out; j++) {
      /* hidden: codes of h = scale·acc + bias; output: the patch z = x −
       * (scale·acc + bias) for residual models, x from its pixels, else
       * scale·acc + bias */
      d->qmul[l][j] = last ? (m->cfg.residual ? -1.0f : 1.0f) * q->scale[l][j]
          : q->scale[l][j] / q->act[l][j];
      d->qadd[l][j] = !last ? q->bias[l][j] / q->act[l][j] : m->cfg.residual
          ? -m->cfg.norm_mean / m->cfg.norm_scale - q->bias[l][j]
          : q->bias[l][j];
    }
    if (!last) {
      d->hq_ld[l] = (L->n_out + 3) / 4 * 4;
      d->hq[l] = vae_aligned_alloc ((size_t) d->batch * d->hq_ld[l]);
      if (d->hq[l] == NULL)
        return VAE_ERR_NOMEM;
      memset (d->hq[l], 0, (size_t) d->batch * d->hq_ld[l]);
    }
  }
  return VAE_OK;
}

VaeDenoiser *
vae_denoiser_new (const VaeModel *m, int max_w, int max_h,
    const VaeDenoiseOpts *opts, VaeError *err)
{
  const VaeConfig *c = &m->cfg;
  VaeDenoiser *d;
  VaeDenoiseOpts o = opts ? *opts : vae_denoise_opts_default ();
  size_t W, H;

  if (c->kind == VAE_KIND_VAE || c->likelihood != VAE_LIK_GAUSSIAN) {
    vae_set_error (err, VAE_ERR_KIND,
        "a %s model with a %s likelihood cannot denoise; a denoising "
        "autoencoder (dae) is needed", vae_kind_name (c->kind),
        c->likelihood == VAE_LIK_BERNOULLI ? "Bernoulli" : "Gaussian");
    return NULL;
  }
  if (c->conv_depth == 0 && (c->img_w > VAE_MAX_PATCH
          || c->img_h > VAE_MAX_PATCH)) {
    vae_set_error (err, VAE_ERR_KIND, "patch %dx%d larger than %d",
        c->img_w, c->img_h, VAE_MAX_PATCH);
    return NULL;
  }
  if (max_w < 1 || max_h < 1 || max_w > 16384 || max_h > 16384) {
    vae_set_error (err, VAE_ERR_ARG, "plane size %dx%d outside 1..16384",
        max_w, max_h);
    return NULL;
  }
  if (o.batch < 1 || o.batch > 65536 || o.stride < 0) {
    vae_set_error (err, VAE_ERR_ARG, "batch %d or stride %d out of range",
        o.batch, o.stride);
    return NULL;
  }
  if (o.precision < VAE_PRECISION_AUTO || o.precision > VAE_PRECISION_INT8) {
    vae_set_error (err, VAE_ERR_ARG, "unknown precision %d", o.precision);
    return NULL;
  }
  if (o.precision == VAE_PRECISION_BF16 && !bf16_fits (m)) {
    vae_set_error (err, VAE_ERR_ARG, "bf16 precision needs %s",
        !vae_bf16_supported () ? "a CPU with AVX512_BF16"
        : "a dense model with ReLU or identity hidden layers");
    return NULL;
  }
  if (o.precision == VAE_PRECISION_INT8 && m->quant == NULL) {
    vae_set_error (err, VAE_ERR_ARG, "int8 precision needs a model with "
        "int8 weights (vae quantize)");
    return NULL;
  }
  d = calloc (1, sizeof *d);
  if (d == NULL) {
    vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
    return NULL;
  }
  d->m = m;
  d->o = o;
  d->bf16 = o.precision == VAE_PRECISION_BF16
      || (o.precision == VAE_PRECISION_AUTO && bf16_fits (m));
  /* auto: int8 for 8-bit planes where the model has int8 weights and the
   * CPU has AVX512_VNNI (vpdpbusd: 1.7× bf16's frames a second on Zen 4)
   * or its best float kernel is AVX2 (vpmaddubsw: 2.1× the FMA's
   * multiply-adds on Zen 3); not on AVX-512 CPUs without VNNI, where the
   * AVX2 int8 kernel would only match the float kernel's width
   * (unmeasured).  Float planes keep bf16 or fp32. */
  d->i8 = o.precision == VAE_PRECISION_INT8
      || (o.precision == VAE_PRECISION_AUTO && m->quant
          && (vae_gemm_i8_isa () >= VAE_GEMM_AVX512
              || vae_gemm_best_isa () == VAE_GEMM_AVX2));
  for (int v = 0; v < 256; v++) {
    d->lut[v] = vae_norm (c, v / 255.0f);
    d->lut16[v] = vae_bf16_from_float (d->lut[v]);
  }
  if (c->conv_depth > 0)
    return conv_new (d, max_w, max_h, err);
  d->pw = c->img_w;
  d->ph = c->img_h;
  d->stride = o.stride;
  if (d->stride == 0 && vae_model_get_meta (m, "denoise.stride")) {
    /* the model's own operating point, chosen when it was trained */
    const char *v = vae_model_get_meta (m, "denoise.stride");
    char *end;
    long s = strtol (v, &end, 10);
    if (end == v || *end != '\0' || s < 1 || s > d->pw || s > d->ph) {
      vae_set_error (err, VAE_ERR_CONFIG, "model metadata denoise.stride "
          "\"%s\" is not a stride in 1..%d", v, d->pw < d->ph ? d->pw : d->ph);
      vae_denoiser_free (d);
      return NULL;
    }
    d->stride = (int) s;
  }
  if (d->stride == 0)
    d->stride = d->pw / 2 > 0 ? d->pw / 2 : 1;
  if (d->stride > d->pw || d->stride > d->ph)
    d->stride = d->pw < d->ph ? d->pw : d->ph;
  d->batch = o.batch;
  d->net_in = vae_model_net_in (m);
  d->max_w = max_w;
  d->max_h = max_h;
  W = (size_t) (max_w > d->pw ? max_w : d->pw);
  H = (size_t) (max_h > d->ph ? max_h : d->ph);
  {
    /* a tile is max(1, batch / nx) patch rows of nx patches, so at most
     * max(batch, nx) patches, and its strips' width × rows is at most
     * batch · (stride + pw) (nx ≥ (w − pw) / stride + 1) or one row */
    size_t nx = (W - d->pw) / d->stride + 2, ny = (H - d->ph) / d->stride + 2;
    size_t rw = (size_t) d->batch * (d->stride + d->pw);
    rw = rw > W ? rw : W;
    rw = rw < ny * W ? rw : ny * W;
    d->z_floats = ny * d->ph * W;
    d->zt_floats = (nx > (size_t) d->batch ? nx : (size_t) d->batch)
        * (size_t) c->n_in;
    d->ht_floats = rw * d->ph;
  }
  d->ws = vae_workspace_new (m, d->batch, 0, err);
  d->acc = vae_aligned_alloc (W * sizeof (float));
  d->zt = vae_aligned_alloc (d->zt_floats * sizeof (float));
  d->ht = vae_aligned_alloc (d->ht_floats * sizeof (float));
  d->cov0 = malloc (H * sizeof (int));
  d->cov1 = malloc (H * sizeof (int));
  d->win = malloc ((size_t) d->pw * d->ph * sizeof (float));
  d->wx = malloc ((size_t) d->pw * sizeof (float));
  d->wy = malloc ((size_t) d->ph * sizeof (float));
  d->iwx = malloc (W * sizeof (float));
  d->iwy = malloc (H * sizeof (float));
  d->xs = malloc ((W + 1) * sizeof (int));
  d->ys = malloc ((H + 1) * sizeof (int));
  d->xmap = malloc (W * sizeof (int));
  d->ymap = malloc (H * sizeof (int));
  d->bias0 = malloc ((size_t) m->layers[0].n_out * sizeof (float));
  if (d->i8 && i8_new (d) != VAE_OK)
    d->i8 = -1;               /* out of memory, reported below */
  if (d->bf16) {
    if (bf16_new (d) != VAE_OK)
      d->bf16 = -1;           /* out of memory, reported below */
  } else {
    /* fp32 weights: the fp32 path, and the int8 path's for float planes
     * (whose values, unclipped noise among them, 8-bit codes would clip) */
    /* layer 0 without the level column (folded into bias0) */
    VaeGemmIsa isa = vae_gemm_best_isa ();
    size_t nf = 0;
    for (int l = 0; l < m->n_layers; l++)
      nf += vae_gemm_packed_floats (m->layers[l].n_out, l == 0 ? c->n_in
          : m->layers[l].n_in);
    d->gbuf = vae_aligned_alloc (nf * sizeof (float));
    for (int l = 0, off = 0; d->gbuf && l < m->n_layers; l++) {
      const VaeLayer *L = &m->layers[l];
      int k = l == 0 ? c->n_in : L->n_in;
      vae_gemm_pack (&d->gb[l], d->gbuf + off, m->params + L->w_off,
          L->n_out, k, L->n_in, isa);
      off += (int) vae_gemm_packed_floats (L->n_out, k);
    }
  }
  if (!d->ws || !d->acc || !d->zt || !d->ht || !d->cov0 || !d->cov1
      || !d->win || !d->wx || !d->wy || !d->iwx
      || !d->iwy || !d->xs || !d->ys || !d->xmap || !d->ymap || !d->bias0
      || (d->bf16 == 0 && !d->gbuf) || d->bf16 < 0
      || d->i8 < 0) {
    if (d->ws)
      vae_set_error (err, VAE_ERR_NOMEM, "cannot allocate a %dx%d denoiser",
          max_w, max_h);
    vae_denoiser_free (d);
    return NULL;
  }
  /* The window is separable, and so, on the grid of origins xs × ys, is
   * the sum of the windows covering a pixel: Σ = Wy[y] · Wx[x].  Blending
   * then needs no per-pixel weight plane, only 1/Wx and 1/Wy (grid()). */
  window_1d (d->wx, d->pw, o.window);
  window_1d (d->wy, d->ph, o.window);
  for (int i = 0; i < d->ph; i++)
    for (int j = 0; j < d->pw; j++)
      d->win[i * d->pw + j] = d->wy[i] * d->wx[j];
  return d;
}

int
vae_denoiser_patch (const VaeDenoiser *d)
{
  return d->pw;
}

int
vae_denoiser_stride (const VaeDenoiser *d)
{
  return d->stride;
}

VaePrecision
vae_denoiser_precision (const VaeDenoiser *d)
{
  return d->i8 ? VAE_PRECISION_INT8 : d->bf16 ? VAE_PRECISION_BF16
      : VAE_PRECISION_FP32;
}

/* Patch origins 0, s, 2s, … plus a last one flush with the far border, over
 * an extent of max(n, p) pixels. */
static int
origins (int *o, int n, int p, int s)
{
  int ext = n > p ? n : p, k = 0;
  for (int x = 0; x + p <= ext; x += s)
    o[k++] = x;
  if (o[k - 1] != ext - p)
    o[k++] = ext - p;
  return k;
}

/* Mirror coordinates past the image edge (only when the plane is smaller
 * than a patch): 0 1 2 | 1 0 1 2 … */
static void
reflect_map (int *map, int n, int p)
{
  int ext = n > p ? n : p;
  for (int i = 0; i < ext; i++) {
    int x = i;
    if (n == 1) {
      x = 0;
    } else {
      int period = 2 * (n - 1);
      x %= period;
      if (x >= n)
        x = period - x;
    }
    map[i] = x;
  }
}

/* The plane's patch grid: origins, reflection maps, the patch rows
 * covering each plane row, and its canonical split into tiles, which
 * depends on the plane size alone.  sgemm may round a row differently by
 * the batch it sits in, so every caller (whole frame, bands, any thread
 * count) computes the same tiles and gets the same bytes.  A tile is whole
 * patch rows, as many as fit in `batch` patches (one at least, its GEMMs
 * then in pieces of `batch`), so that it overlap-adds along x on its own;
 * an even number of tiles, where the rows allow it, keeps two workers
 * balanced. */
static int
grid (VaeDenoiser *d, int w, int h, Grid *g)
{
  if (w < 1 || h < 1 || w > d->max_w || h > d->max_h)
    return VAE_ERR_ARG;
  if (d->grid_w != w || d->grid_h != h) {
    d->nx = origins (d->xs, w, d->pw, d->stride);
    d->ny = origins (d->ys, h, d->ph, d->stride);
    reflect_map (d->xmap, w, d->pw);
    reflect_map (d->ymap, h, d->ph);
    inverse_weights (d->iwx, w, d->xs, d->nx, d->wx, d->pw);
    inverse_weights (d->iwy, h, d->ys, d->ny, d->wy, d->ph);
    for (int y = 0, a = 0, b = 0; y < h; y++) {
      while (d->ys[a] + d->ph <= y)
        a++;
      while (b + 1 < d->ny && d->ys[b + 1] <= y)
        b++;
      d->cov0[y] = a;
      d->cov1[y] = b;
    }
    d->grid_w = w;
    d->grid_h = h;
  }
  g->nx = d->nx;
  g->ny = d->ny;
  g->n = (long) d->nx * d->ny;
  g->rows = g->nx >= d->batch ? 1 : d->batch / g->nx;
  g->n_tiles = (g->ny + g->rows - 1) / g->rows;
  if (g->n_tiles > 1 && (g->n_tiles & 1)) {
    g->rows = (g->ny + g->n_tiles) / (g->n_tiles + 1);
    g->n_tiles = (g->ny + g->rows - 1) / g->rows;
  }
  return VAE_OK;
}

/* The network on the n patches gathered in ws->x, each patch's denoised
 * values (network units: x − ŷ for residual models) written to z.  Two
 * rewrites of vae_net_forward, exact up to float rounding: the level input
 * of a noise-conditional model is the same for every patch of the plane, so
 * it folds into layer 0's bias and that GEMM's inner dimension is the patch
 * alone; and the output layer accumulates straight into z, which starts as
 * x − b (residual, with α = −1) or b, so no output rows are copied. */
static void
tile_forward (VaeDenoiser *d, int n, float feat, float *z)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  VaeWorkspace *ws = d->ws;
  const VaeLayer *L0 = &m->layers[0], *Lo = &m->layers[m->n_layers - 1];
  const float *w0 = m->params + L0->w_off, *b0 = m->params + L0->b_off;
  const float *bo = m->params + Lo->b_off;
  int nl = m->n_layers, P = c->n_in, ni = d->net_in, h0 = L0->n_out;

  for (int j = 0; j < h0; j++)
    d->bias0[j] = b0[j] + (c->noise_input ? feat * w0[(size_t) j * ni + P]
        : 0.0f);
  vae_gemm_run (n, ws->x, ni, &d->gb[0], 1.0f, ws->act[0], h0,
      L0->act == VAE_ACT_RELU, d->bias0);
  if (L0->act != VAE_ACT_RELU)
    vae_act_forward (ws->act[0], (size_t) n * h0, L0->act);
  for (int l = 1; l < nl - 1; l++) {
    const VaeLayer *L = &m->layers[l];
    vae_gemm_run (n, ws->act[l - 1], L->n_in, &d->gb[l], 1.0f, ws->act[l],
        L->n_out, L->act == VAE_ACT_RELU, m->params + L->b_off);
    if (L->act != VAE_ACT_RELU)
      vae_act_forward (ws->act[l], (size_t) n * L->n_out, L->act);
  }
  for (int k = 0; k < n; k++) {
    const float *xk = ws->x + (size_t) k * ni;
    float *zk = z + (size_t) k * P;
    if (c->residual)
      for (int i = 0; i < P; i++)
        zk[i] = xk[i] - bo[i];
    else
      memcpy (zk, bo, (size_t) P * sizeof (float));
  }
  vae_gemm_run (n, ws->act[nl - 2], Lo->n_in, &d->gb[nl - 1],
      c->residual ? -1.0f : 1.0f, z, P, 0, NULL);
}

/* tile_forward in bf16: the patches were gathered into d->xb and z set
 * to x − b (residual) or b; the hidden layers' outputs go to d->hb. */
static void
tile_forward_bf16 (VaeDenoiser *d, int n, float feat, float *z)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  const VaeLayer *L0 = &m->layers[0];
  const float *w0 = m->params + L0->w_off, *b0 = m->params + L0->b_off;
  int nl = m->n_layers, P = c->n_in, ni = d->net_in;

  for (int j = 0; j < L0->n_out; j++)
    d->bias0[j] = b0[j] + (c->noise_input ? feat * w0[(size_t) j * ni + P]
        : 0.0f);
  vae_gemm_run_bf16 (n, d->xb, d->xb_ld, &d->gb[0], 1.0f, NULL, d->hb[0],
      d->hb_ld[0], L0->act == VAE_ACT_RELU, d->bias0);
  for (int l = 1; l < nl - 1; l++) {
    const VaeLayer *L = &m->layers[l];
    vae_gemm_run_bf16 (n, d->hb[l - 1], d->hb_ld[l - 1], &d->gb[l], 1.0f,
        NULL, d->hb[l], d->hb_ld[l], L->act == VAE_ACT_RELU,
        m->params + L->b_off);
  }
  vae_gemm_run_bf16 (n, d->hb[nl - 2], d->hb_ld[nl - 2], &d->gb[nl - 1],
      c->residual ? -1.0f : 1.0f, z, NULL, P, 0, NULL);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
/* 8-bit row to network units and bf16, 16 pixels at a time, with the
 * operations (and so the bits) of d->lut and d->lut16: (v / 255 − mean)
 * / scale, rounded to nearest even.  Only called on the bf16 path, whose
 * CPUs have AVX512_BF16. */
__attribute__ ((target ("avx512f,avx512bf16,avx512bw,avx512vl")))
static void
row_u8_bf16 (const uint8_t *sr, float *rf, uint16_t *rh, int w, float mean,
    float scale)
{
  const __m512 k255 = _mm512_set1_ps (255.0f), mu = _mm512_set1_ps (mean);
  const __m512 sc = _mm512_set1_ps (scale);
  int x = 0;
  for (; x + 16 <= w; x += 16) {
    __m512i v = _mm512_cvtepu8_epi32 (_mm_loadu_si128 ((const void *) (sr
                + x)));
    __m512 f = _mm512_div_ps (_mm512_sub_ps (_mm512_div_ps
            (_mm512_cvtepi32_ps (v), k255), mu), sc);
    _mm512_storeu_ps (rf + x, f);
    _mm256_storeu_si256 ((void *) (rh + x), (__m256i) _mm512_cvtneps_pbh (f));
  }
  for (; x < w; x++) {
    rf[x] = ((float) sr[x] / 255.0f - mean) / scale;
    rh[x] = vae_bf16_from_float (rf[x]);
  }
}
#define HAVE_ROW_U8_BF16 1
#endif

/* Converts source rows [y0, y1) (no reflection: the plane is at least a
 * patch) to network units and bf16, row by row into d->rowf / d->rowh. */
static void
rows_convert (VaeDenoiser *d, const uint8_t *src8, const float *srcf,
    int src_stride, int w, int y0, int y1)
{
  const VaeConfig *c = &d->m->cfg;
  for (int y = y0; y < y1; y++) {
    float *rf = d->rowf + (size_t) (y - y0) * w;
    uint16_t *rh = d->rowh + (size_t) (y - y0) * w;
#ifdef HAVE_ROW_U8_BF16
    if (src8) {
      row_u8_bf16 (src8 + (size_t) y * src_stride, rf, rh, w, c->norm_mean,
          c->norm_scale);
      continue;
    }
#endif
    if (src8) {
      const uint8_t *sr = src8 + (size_t) y * src_stride;
      for (int x = 0; x < w; x++) {
        rf[x] = d->lut[sr[x]];
        rh[x] = d->lut16[sr[x]];
      }
    } else {
      const float *sr = srcf + (size_t) y * src_stride;
      for (int x = 0; x < w; x++) {
        rf[x] = vae_norm (c, sr[x]);
        rh[x] = vae_bf16_from_float (rf[x]);
      }
    }
  }
}

/* Gathers patches [k0, k1) as bf16 into d->xb and sets their rows of z
 * (patch k0's first) to x − b (residual, x in float) or b, for
 * tile_forward_bf16.  The tile's
 * source rows are converted once, then each patch row is copied from
 * them; planes smaller than a patch (reflected) go pixel by pixel. */
static void
tile_gather_bf16 (VaeDenoiser *d, const Grid *g, const uint8_t *src8,
    const float *srcf, int src_stride, int w, int h, long k0, long k1,
    float *z)
{
  const VaeConfig *c = &d->m->cfg;
  const VaeLayer *Lo = &d->m->layers[d->m->n_layers - 1];
  const float *bo = d->m->params + Lo->b_off;
  int P = c->n_in, res = c->residual, pw = d->pw;
  int y0 = d->ys[k0 / g->nx], y1 = d->ys[(k1 - 1) / g->nx] + d->ph;

  if (w >= pw && h >= d->ph && (size_t) (y1 - y0) * w <= d->row_cap) {
    rows_convert (d, src8, srcf, src_stride, w, y0, y1);
    for (long k = k0; k < k1; k++) {
      int px = d->xs[k % g->nx], py = d->ys[k / g->nx];
      uint16_t *xb = d->xb + (size_t) (k - k0) * d->xb_ld;
      float *zk = z + (size_t) (k - k0) * P;
      if (pw == 8 && res) {
        /* the default patch: fixed-size copies the compiler vectorises */
        for (int i = 0; i < d->ph; i++) {
          size_t o = (size_t) (py + i - y0) * w + px;
          const float *rf = d->rowf + o, *b = bo + i * 8;
          float *zr = zk + i * 8;
          memcpy (xb + i * 8, d->rowh + o, 8 * sizeof (uint16_t));
          for (int j = 0; j < 8; j++)
            zr[j] = rf[j] - b[j];
        }
        continue;
      }
      for (int i = 0; i < d->ph; i++) {
        size_t o = (size_t) (py + i - y0) * w + px;
        const float *rf = d->rowf + o, *b = bo + i * pw;
        float *zr = zk + i * pw;
        memcpy (xb + i * pw, d->rowh + o, (size_t) pw * sizeof (uint16_t));
        if (res)
          for (int j = 0; j < pw; j++)
            zr[j] = rf[j] - b[j];
        else
          memcpy (zr, b, (size_t) pw * sizeof (float));
      }
    }
    return;
  }
  for (long k = k0; k < k1; k++) {
    int px = d->xs[k % g->nx], py = d->ys[k / g->nx];
    uint16_t *xb = d->xb + (size_t) (k - k0) * d->xb_ld;
    float *zk = z + (size_t) (k - k0) * P;
    for (int i = 0; i < d->ph; i++) {
      int sy = d->ymap[py + i], o = i * pw;
      const int *xm = d->xmap + px;
      for (int j = 0; j < pw; j++) {
        float x;
        uint16_t xh;
        if (src8) {
          int v = src8[(size_t) sy * src_stride + xm[j]];
          x = d->lut[v];
          xh = d->lut16[v];
        } else {
          x = vae_norm (c, srcf[(size_t) sy * src_stride + xm[j]]);
          xh = vae_bf16_from_float (x);
        }
        xb[o + j] = xh;
        zk[o + j] = res ? x - bo[o + j] : bo[o + j];
      }
    }
  }
}

/* The network in int8 on the patches' pixels in d->xq, the denoised
 * patches (network units) into z. */
static void
tile_forward_i8 (VaeDenoiser *d, int n, float feat, float *z)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  const VaeQuant *q = m->quant;
  const VaeLayer *L0 = &m->layers[0];
  const float *w0 = m->params + L0->w_off;
  int nl = m->n_layers, ni = d->net_in;

  for (int j = 0; j < L0->n_out; j++)
    d->qadd[0][j] = (q->bias[0][j] + (c->noise_input ? feat
            * w0[(size_t) j * ni + c->n_in] : 0.0f)) / q->act[0][j];
  vae_gemm_run_i8 (n, d->xq, d->xq_ld, &d->gq[0], d->qmul[0], d->qadd[0],
      NULL, d->hq[0], d->hq_ld[0]);
  for (int l = 1; l < nl - 1; l++)
    vae_gemm_run_i8 (n, d->hq[l - 1], d->hq_ld[l - 1], &d->gq[l],
        d->qmul[l], d->qadd[l], NULL, d->hq[l], d->hq_ld[l]);
  if (c->residual)
    vae_gemm_run_i8_x (n, d->hq[nl - 2], d->hq_ld[nl - 2], &d->gq[nl - 1],
        d->qmul[nl - 1], d->qadd[nl - 1], d->xq, d->xq_ld, 1.0f / (255.0f
            * c->norm_scale), z, c->n_in);
  else
    vae_gemm_run_i8 (n, d->hq[nl - 2], d->hq_ld[nl - 2], &d->gq[nl - 1],
        d->qmul[nl - 1], d->qadd[nl - 1], z, NULL, c->n_in);
}

/* Gathers patches [k0, k1) of an 8-bit plane into d->xq: along each patch
 * row a source row at a time, which reads the plane in order. */
static void
tile_gather_i8 (VaeDenoiser *d, const Grid *g, const uint8_t *src8,
    int src_stride, int w, long k0, long k1)
{
  int pw = d->pw, ld = d->xq_ld;

  for (long k = k0; k < k1;) {
    int iy = (int) (k / g->nx), ix0 = (int) (k % g->nx);
    int ix1 = k1 - k < g->nx - ix0 ? ix0 + (int) (k1 - k) : g->nx;
    int py = d->ys[iy];
    uint8_t *xq = d->xq + (size_t) (k - k0) * ld;
    for (int i = 0; i < d->ph; i++) {
      const uint8_t *sr = src8 + (size_t) d->ymap[py + i] * src_stride;
      uint8_t *xr = xq + i * pw;
      int ix = ix0;
      if (pw == 8) {            /* the default patch: 8-byte moves */
        /* origins before the last are ix · stride, inside the plane */
        int ir = ix1 < g->nx - 1 ? ix1 : g->nx - 1;
        const uint8_t *sp = sr + (size_t) ix * d->stride;
        uint8_t *op = xr;
        for (; ix < ir; ix++, sp += d->stride, op += ld)
          memcpy (op, sp, 8);
      }
      for (; ix < ix1; ix++) {
        int px = d->xs[ix];
        uint8_t *o = xr + (size_t) (ix - ix0) * ld;
        if (px + pw <= w)
          memcpy (o, sr + px, (size_t) pw);
        else                  /* reflected: a plane narrower than a patch */
          for (int j = 0; j < pw; j++)
            o[j] = sr[d->xmap[px + j]];
      }
    }
    k += ix1 - ix0;
  }
}

/* Computes patches [k0, k1) of the grid into z, patch k0 first (network
 * units, the denoised patch: x − ŷ for residual models). */
static void
tile_compute (VaeDenoiser *d, const Grid *g, const uint8_t *src8,
    const float *srcf, int src_stride, int w, long k0, long k1, float sigma,
    float *z)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  VaeWorkspace *ws = d->ws;
  int n = (int) (k1 - k0);
  float feat = sigma / 255.0f / c->norm_scale;

  if (d->i8 && src8) {
    tile_gather_i8 (d, g, src8, src_stride, w, k0, k1);
    tile_forward_i8 (d, n, feat, z);
    return;
  }
  if (d->bf16) {
    tile_gather_bf16 (d, g, src8, srcf, src_stride, w, d->grid_h, k0, k1, z);
    tile_forward_bf16 (d, n, feat, z);
    return;
  }
  for (long k = k0; k < k1; k++) {
    int px = d->xs[k % g->nx], py = d->ys[k / g->nx];
    float *x = ws->x + (size_t) (k - k0) * d->net_in;
    for (int i = 0; i < d->ph; i++) {
      int sy = d->ymap[py + i];
      float *xr = x + i * d->pw;
      const int *xm = d->xmap + px;
      if (src8) {
        const uint8_t *sr = src8 + (size_t) sy * src_stride;
        if (px + d->pw <= w)
          for (int j = 0; j < d->pw; j++)
            xr[j] = d->lut[sr[px + j]];
        else
          for (int j = 0; j < d->pw; j++)
            xr[j] = d->lut[sr[xm[j]]];
      } else {
        const float *sr = srcf + (size_t) sy * src_stride;
        for (int j = 0; j < d->pw; j++)
          xr[j] = vae_norm (c, sr[xm[j]]);
      }
    }
  }
  tile_forward (d, n, feat, z);
}

/* Row i of the n evenly spaced patches zk[0], zk[P], … (origins 0, s, 2s,
 * … from acc's first pixel) added to acc, for s ≤ p ≤ 2s: pixel j of the group
 * [g·s, g·s + s) takes patch g − 1's value j + s (when j + s < p), then
 * patch g's value j, the grid's order.  Unlike a loop over patches, no load
 * reads a store it half overlaps (which stalls store forwarding). */
static inline void
blend_row (float *acc, const float *zk, const float *wr, int n, int P, int s,
    int p)
{
  int t = p - s;              /* a patch's overhang into the next group */
  for (int j = 0; j < s; j++)
    acc[j] += wr[j] * zk[j];
  for (int g = 1; g < n; g++) {
    float *a = acc + (size_t) g * s;
    const float *zl = zk + (size_t) (g - 1) * P + s, *zr = zk + (size_t) g * P;
    for (int j = 0; j < t; j++) {
      float v = a[j] + wr[s + j] * zl[j];
      a[j] = v + wr[j] * zr[j];
    }
    for (int j = t; j < s; j++)
      a[j] += wr[j] * zr[j];
  }
  {
    float *a = acc + (size_t) n * s;
    const float *zl = zk + (size_t) (n - 1) * P + s;
    for (int j = 0; j < t; j++)
      a[j] += wr[s + j] * zl[j];
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

/* One patch row's outputs z (nx patches) overlap-added along x into its
 * ph strip rows of w (zeroed here): each pixel's sum in the patches' order. */
VAE_AVX2_CLONE static void
hblend (const VaeDenoiser *d, const Grid *g, const float *z, float *strip,
    int w)
{
  int P = d->m->cfg.n_in, pw = d->pw, ph = d->ph, s = d->stride;
  /* patches at origins 0, s, 2s, … and a last one flush with the border */
  int nreg = d->xs[g->nx - 1] == (g->nx - 1) * s ? g->nx : g->nx - 1;
  int rows = w >= pw && s <= pw && pw <= 2 * s && nreg >= 1;

  if (rows && pw == 8 && ph == 8 && s == 4) {  /* the default */
    int x1 = 4 * nreg + 4;    /* past the rows' pixels: zeroed */
    blend_rows_8_4 (strip, (size_t) w, z, d->win, nreg, P);
    if (x1 < w)
      for (int i = 0; i < ph; i++)
        memset (strip + (size_t) i * w + x1, 0, (size_t) (w - x1)
            * sizeof (float));
  } else {
    memset (strip, 0, (size_t) ph * w * sizeof (float));
    for (int i = 0; rows && i < ph; i++)
      blend_row (strip + (size_t) i * w, z + i * pw, d->win + i * pw, nreg, P,
          s, pw);
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
      o[x] = to_u8 ((r0[x] + r1[x]) * iwx[x] * k + b);
  } else if (dst8) {
    uint8_t *o = dst8 + (size_t) y * dst_stride;
    float k = 255.0f * c->norm_scale * d->iwy[y], b = 255.0f * c->norm_mean;
    for (int x = 0; x < w; x++)
      o[x] = to_u8 (v[x] * iwx[x] * k + b);
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
 * row i at (iy · ph + i) · w) for blend(). */
static inline void
out_or_store (VaeDenoiser *d, uint8_t *dst8, float *dstf, int dst_stride,
    int w, int iy0, int iy1, int y, float *store)
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

/* Tile t: its patches computed, then patch row by patch row overlap-added
 * along x (in cache, per denoiser) and each plane row of [row0, row1) it
 * covers passed to out_or_store as soon as the tile's last patch row over
 * it is. */
static void
tile_run (VaeDenoiser *d, const Grid *g, const uint8_t *src8,
    const float *srcf, int src_stride, uint8_t *dst8, float *dstf,
    int dst_stride, int w, int h, int t, int row0, int row1, float sigma,
    float *store)
{
  int P = d->m->cfg.n_in, ph = d->ph;
  int iy0 = t * g->rows, iy1 = iy0 + g->rows < g->ny ? iy0 + g->rows : g->ny;
  long k0 = (long) iy0 * g->nx, k1 = (long) iy1 * g->nx;
  int y0 = d->ys[iy0], y1 = d->ys[iy1 - 1] + ph;

  for (long k = k0; k < k1; k += d->batch)
    tile_compute (d, g, src8, srcf, src_stride, w, k,
        k + d->batch < k1 ? k + d->batch : k1, sigma,
        d->zt + (size_t) (k - k0) * P);
  y0 = y0 > row0 ? y0 : row0;
  y1 = y1 < row1 ? y1 : row1;
  y1 = y1 < h ? y1 : h;
  /* each plane row as soon as its last patch row is overlap-added, while
   * its strips are still in cache */
  for (int iy = iy0, y = y0; iy < iy1; iy++) {
    hblend (d, g, d->zt + (size_t) (iy - iy0) * g->nx * P,
        d->ht + (size_t) (iy - iy0) * ph * w, w);
    for (; y < y1 && (d->cov1[y] <= iy || iy == iy1 - 1); y++)
      out_or_store (d, dst8, dstf, dst_stride, w, iy0, iy1, y, store);
  }
}

/* Rows [row0, row1) covered by patch rows of more than one tile, from the
 * strips the tiles left in the store. */
static void
blend (VaeDenoiser *d, const Grid *g, const float *store, uint8_t *dst8,
    float *dstf, int dst_stride, int w, int row0, int row1)
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

static int
run (VaeDenoiser *d, const uint8_t *src8, const float *srcf, int src_stride,
    uint8_t *dst8, float *dstf, int dst_stride, int w, int h, int row0,
    int row1, float sigma)
{
  Grid g;

  if (d->conv)
    return conv_run (d, src8, srcf, src_stride, dst8, dstf, dst_stride, w, h,
        row0, row1, sigma);
  if (grid (d, w, h, &g) != VAE_OK || row0 < 0 || row1 > h || row0 >= row1
      || !isfinite (sigma))
    return VAE_ERR_ARG;
  if (d->z == NULL) {
    /* the one-call path keeps its own store, made on first use */
    d->z = vae_aligned_alloc (d->z_floats * sizeof (float));
    if (d->z == NULL)
      return VAE_ERR_NOMEM;
  }
  /* the tiles whose patch rows cover the band */
  for (int t = d->cov0[row0] / g.rows; t <= d->cov1[row1 - 1] / g.rows; t++)
    tile_run (d, &g, src8, srcf, src_stride, dst8, dstf, dst_stride, w, h, t,
        row0, row1, sigma, d->z);
  blend (d, &g, d->z, dst8, dstf, dst_stride, w, row0, row1);
  return VAE_OK;
}

/* ------------------------------------------------- two-phase, for pools */

size_t
vae_denoiser_store_floats (const VaeDenoiser *d)
{
  return d->z_floats;
}

int
vae_denoiser_n_tiles (VaeDenoiser *d, int w, int h)
{
  Grid g;
  if (d->conv)
    return conv_plane_ok (d, w, h)
        ? conv_tiles_x (d, w) * ((h + d->tile - 1) / d->tile) : 0;
  return grid (d, w, h, &g) == VAE_OK ? g.n_tiles : 0;
}

int
vae_denoiser_tile_u8 (VaeDenoiser *d, const uint8_t *src, int src_stride,
    uint8_t *dst, int dst_stride, int w, int h, int tile, float sigma,
    float *store)
{
  Grid g;
  if (d->conv) {
    if (src_stride < w || tile < 0 || tile >= vae_denoiser_n_tiles (d, w, h)
        || store == NULL || !isfinite (sigma))
      return VAE_ERR_ARG;
    conv_tile (d, src, NULL, src_stride, w, h, tile, sigma, store);
    return VAE_OK;
  }
  if (grid (d, w, h, &g) != VAE_OK || src_stride < w || dst == NULL
      || dst_stride < w || tile < 0 || tile >= g.n_tiles || store == NULL
      || !isfinite (sigma))
    return VAE_ERR_ARG;
  tile_run (d, &g, src, NULL, src_stride, dst, NULL, dst_stride, w, h, tile,
      0, h, sigma, store);
  return VAE_OK;
}

int
vae_denoiser_blend_u8 (VaeDenoiser *d, const float *store, uint8_t *dst,
    int dst_stride, int w, int h, int row0, int row1)
{
  Grid g;
  if (d->conv) {
    if (!conv_plane_ok (d, w, h) || dst_stride < w || row0 < 0 || row1 > h
        || row0 >= row1 || store == NULL)
      return VAE_ERR_ARG;
    conv_blend (d, store, dst, NULL, dst_stride, w, row0, row1);
    return VAE_OK;
  }
  if (grid (d, w, h, &g) != VAE_OK || dst_stride < w || row0 < 0 || row1 > h
      || row0 >= row1 || store == NULL)
    return VAE_ERR_ARG;
  blend (d, &g, store, dst, NULL, dst_stride, w, row0, row1);
  return VAE_OK;
}

int
vae_denoiser_run_u8 (VaeDenoiser *d, const uint8_t *src, int src_stride,
    uint8_t *dst, int dst_stride, int w, int h, int row0, int row1,
    float sigma)
{
  if (src_stride < w || dst_stride < w)
    return VAE_ERR_ARG;
  return run (d, src, NULL, src_stride, dst, NULL, dst_stride, w, h, row0,
      row1, sigma);
}

int
vae_denoiser_run_f32 (VaeDenoiser *d, const float *src, int src_stride,
    float *dst, int dst_stride, int w, int h, int row0, int row1,
    float sigma)
{
  if (src_stride < w || dst_stride < w)
    return VAE_ERR_ARG;
  return run (d, NULL, src, src_stride, NULL, dst, dst_stride, w, h, row0,
      row1, sigma);
}

int
vae_denoiser_run_f32_x8 (VaeDenoiser *d, const float *src, int src_stride,
    float *dst, int dst_stride, int w, int h, float sigma, float *work)
{
  size_t n = (size_t) w * h;
  float *tin = work, *tout = work + n, *acc = work + 2 * n;

  if (w < 1 || h < 1 || src_stride < w || dst_stride < w || work == NULL
      || (w > d->max_w || h > d->max_h) || (h > d->max_w || w > d->max_h))
    return VAE_ERR_ARG;
  memset (acc, 0, n * sizeof (float));
  for (int t = 0; t < 8; t++) {
    int th = t & 1 ? w : h, tw = t & 1 ? h : w, sy, sx, rc;
    for (int i = 0; i < th; i++)
      for (int j = 0; j < tw; j++) {
        vae_sym_src (t, h, w, i, j, &sy, &sx);
        tin[(size_t) i * tw + j] = src[(size_t) sy * src_stride + sx];
      }
    rc = vae_denoiser_run_f32 (d, tin, tw, tout, tw, tw, th, 0, th, sigma);
    if (rc != VAE_OK)
      return rc;
    for (int i = 0; i < th; i++)
      for (int j = 0; j < tw; j++) {
        vae_sym_src (t, h, w, i, j, &sy, &sx);
        acc[(size_t) sy * w + sx] += tout[(size_t) i * tw + j];
      }
  }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      dst[(size_t) y * dst_stride + x] = acc[(size_t) y * w + x] * 0.125f;
  return VAE_OK;
}

double
vae_denoiser_flops (const VaeDenoiser *d, int w, int h)
{
  const VaeModel *m = d->m;
  int ext_w = w > d->pw ? w : d->pw, ext_h = h > d->ph ? h : d->ph;
  double per = 0.0;
  long nx, ny;
  if (d->conv) {
    /* every tile's pixels and halo */
    double pix = 0.0;
    int n = vae_denoiser_n_tiles ((VaeDenoiser *) d, w, h);
    for (int l = 0; l < m->n_layers; l++)
      per += 2.0 * m->layers[l].n_in * m->layers[l].n_out;
    for (int t = 0; t < n; t++) {
      ConvTile r = conv_tile_rect (d, w, h, t);
      pix += (double) (r.ex1 - r.ex0) * (r.ey1 - r.ey0);
    }
    return per * pix;
  }
  nx = (ext_w - d->pw) / d->stride + 1;
  ny = (ext_h - d->ph) / d->stride + 1;
  if ((nx - 1) * d->stride != ext_w - d->pw)
    nx++;
  if ((ny - 1) * d->stride != ext_h - d->ph)
    ny++;
  for (int l = 0; l < m->n_layers; l++)
    per += 2.0 * m->layers[l].n_in * m->layers[l].n_out;
  return per * nx * ny;
}
