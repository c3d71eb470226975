/* The patch denoiser: its options and construction, the plane's patch
 * grid, each tile's pipeline (gather, network, overlap-add) and the public
 * calls that run it. */
#include "denoise_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

VaeDenoiseOpts
vae_denoise_opts_default (void)
{
  VaeDenoiseOpts o;
  o.stride = 0;
  o.batch = 1024;
  /* denoises better than flat averaging (measured on BSD68) */
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
  free (d->wlevel);
  free (d->wlevel_q);
  free (d->pfeat);
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

/* ------------------------------------------------------- construction */

/* Whether m can denoise max_w × max_h planes with options o; the reason in
 * err if not. */
static int
check_new (const VaeModel *m, int max_w, int max_h, const VaeDenoiseOpts *o,
    VaeError *err)
{
  const VaeConfig *c = &m->cfg;

  if (c->kind == VAE_KIND_VAE || c->likelihood != VAE_LIK_GAUSSIAN) {
    vae_set_error (err, VAE_ERR_KIND,
        "a %s model with a %s likelihood cannot denoise; a denoising "
        "autoencoder (dae) is needed", vae_kind_name (c->kind),
        c->likelihood == VAE_LIK_BERNOULLI ? "Bernoulli" : "Gaussian");
    return VAE_ERR_KIND;
  }
  if (c->conv_depth == 0 && (c->img_w > VAE_MAX_PATCH
          || c->img_h > VAE_MAX_PATCH)) {
    vae_set_error (err, VAE_ERR_KIND, "patch %dx%d larger than %d",
        c->img_w, c->img_h, VAE_MAX_PATCH);
    return VAE_ERR_KIND;
  }
  if (max_w < 1 || max_h < 1 || max_w > 16384 || max_h > 16384) {
    vae_set_error (err, VAE_ERR_ARG, "plane size %dx%d outside 1..16384",
        max_w, max_h);
    return VAE_ERR_ARG;
  }
  if (o->batch < 1 || o->batch > 65536 || o->stride < 0) {
    vae_set_error (err, VAE_ERR_ARG, "batch %d or stride %d out of range",
        o->batch, o->stride);
    return VAE_ERR_ARG;
  }
  if (o->precision < VAE_PRECISION_AUTO || o->precision > VAE_PRECISION_INT8) {
    vae_set_error (err, VAE_ERR_ARG, "unknown precision %d", o->precision);
    return VAE_ERR_ARG;
  }
  if (o->precision == VAE_PRECISION_BF16 && !vae_denoise_bf16_fits (m)) {
    vae_set_error (err, VAE_ERR_ARG, "bf16 precision needs %s",
        !vae_bf16_supported () ? "a CPU with AVX512_BF16"
        : "a dense model with ReLU or identity hidden layers");
    return VAE_ERR_ARG;
  }
  if (o->precision == VAE_PRECISION_INT8 && m->quant == NULL) {
    vae_set_error (err, VAE_ERR_ARG, "int8 precision needs a model with "
        "int8 weights (vae quantize)");
    return VAE_ERR_ARG;
  }
  return VAE_OK;
}

/* The paths 8-bit planes take (d->i8) and float planes take (d->bf16, else
 * fp32), and the 8-bit lookup tables. */
static void
choose_precision (VaeDenoiser *d)
{
  const VaeModel *m = d->m;
  VaePrecision p = d->o.precision;

  int partial = vae_quant_partial (m);

  d->bf16 = p == VAE_PRECISION_BF16 || ((p == VAE_PRECISION_AUTO
          || (p == VAE_PRECISION_INT8 && partial))
      && vae_denoise_bf16_fits (m));
  /* auto: int8 for 8-bit planes where the model has int8 weights and the
   * CPU has AVX512_VNNI (vpdpbusd: more frames a second than bf16) or its
   * best float kernel is AVX2 (vpmaddubsw: more multiply-adds a cycle than
   * the FMA); not on AVX-512 CPUs without VNNI, where the AVX2 int8 kernel
   * would only match the float kernel's width (unmeasured).  Float planes
   * keep bf16 or fp32. */
  d->i8 = !partial && (p == VAE_PRECISION_INT8
      || (p == VAE_PRECISION_AUTO && m->quant
          && (vae_gemm_i8_isa () >= VAE_GEMM_AVX512
              || vae_gemm_best_isa () == VAE_GEMM_AVX2)));
  /* a model with int8 weights for its first layers only: the mixed path,
   * layer 0 in int8 and the rest on the float path (bf16 where the CPU has
   * it, else fp32); auto takes it where it takes int8 for a whole model */
  d->mixed = partial && (p == VAE_PRECISION_INT8
      || (p == VAE_PRECISION_AUTO && (vae_gemm_i8_isa () >= VAE_GEMM_AVX512
              || vae_gemm_best_isa () == VAE_GEMM_AVX2)));
  for (int v = 0; v < 256; v++) {
    d->lut[v] = vae_norm (&m->cfg, v / 255.0f);
    d->lut16[v] = vae_bf16_from_float (d->lut[v]);
  }
}

/* The patch, the stride (the options', else the model's, else half a
 * patch; at most a patch), the batch. */
static int
patch_geometry (VaeDenoiser *d, VaeError *err)
{
  const VaeModel *m = d->m;

  d->pw = m->cfg.img_w;
  d->ph = m->cfg.img_h;
  d->stride = d->o.stride;
  if (d->stride == 0 && vae_model_get_meta (m, "denoise.stride")) {
    /* the model's own operating point, chosen when it was trained */
    const char *v = vae_model_get_meta (m, "denoise.stride");
    char *end;
    long s = strtol (v, &end, 10);
    if (end == v || *end != '\0' || s < 1 || s > d->pw || s > d->ph) {
      vae_set_error (err, VAE_ERR_CONFIG, "model metadata denoise.stride "
          "\"%s\" is not a stride in 1..%d", v, d->pw < d->ph ? d->pw : d->ph);
      return VAE_ERR_CONFIG;
    }
    d->stride = (int) s;
  }
  if (d->stride == 0)
    d->stride = d->pw / 2 > 0 ? d->pw / 2 : 1;
  if (d->stride > d->pw || d->stride > d->ph)
    d->stride = d->pw < d->ph ? d->pw : d->ph;
  d->stride_y = d->stride;
  if (m->cfg.colour) {
    /* whole 2 × 2 luma blocks: a chroma pair per two columns, three
     * interleaved rows per two luma rows; half a patch rounds up to even */
    if (d->o.stride == 0 && !vae_model_get_meta (m, "denoise.stride")
        && (d->stride & 1))
      d->stride++;
    if (d->stride & 1) {
      vae_set_error (err, VAE_ERR_ARG, "a colour model needs an even stride, "
          "not %d", d->stride);
      return VAE_ERR_ARG;
    }
    d->stride_y = d->stride / 2 * 3;
  }
  d->batch = d->o.batch;
  d->net_in = vae_model_net_in (m);
  return VAE_OK;
}

/* The grid's, the tile's and the workspace's buffers for the largest
 * plane, and the size of the one-call path's store (made on first use). */
static int
plane_buffers (VaeDenoiser *d, VaeError *err)
{
  const VaeModel *m = d->m;
  size_t W = (size_t) (d->max_w > d->pw ? d->max_w : d->pw);
  size_t H = (size_t) (d->max_h > d->ph ? d->max_h : d->ph);
  /* a tile is max(1, batch / nx) patch rows of nx patches, so at most
   * max(batch, nx) patches, and its strips' width × rows is at most
   * batch · (stride + pw) (nx ≥ (w − pw) / stride + 1) or one row */
  size_t nx = (W - d->pw) / d->stride + 2, ny = (H - d->ph) / d->stride_y + 2;
  size_t rw = (size_t) d->batch * (d->stride + d->pw);

  rw = rw > W ? rw : W;
  rw = rw < ny * W ? rw : ny * W;
  d->z_floats = ny * d->ph * W;
  d->zt_floats = (nx > (size_t) d->batch ? nx : (size_t) d->batch)
      * (size_t) m->cfg.n_in;
  d->ht_floats = rw * d->ph;
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
  if (!d->ws || !d->acc || !d->zt || !d->ht || !d->cov0 || !d->cov1
      || !d->win || !d->wx || !d->wy || !d->iwx || !d->iwy || !d->xs
      || !d->ys || !d->xmap || !d->ymap || !d->bias0)
    return VAE_ERR_NOMEM;
  return VAE_OK;
}

/* The weights packed and the buffers of the paths chosen: int8, and bf16
 * or fp32. */
static int
precision_new (VaeDenoiser *d)
{
  if (d->i8 && vae_denoise_i8_new (d) != VAE_OK)
    return VAE_ERR_NOMEM;
  if (d->mixed && vae_denoise_mixed_new (d) != VAE_OK)
    return VAE_ERR_NOMEM;
  return d->bf16 ? vae_denoise_bf16_new (d) : vae_denoise_f32_new (d);
}

VaeDenoiser *
vae_denoiser_new (const VaeModel *m, int max_w, int max_h,
    const VaeDenoiseOpts *opts, VaeError *err)
{
  VaeDenoiseOpts o = opts ? *opts : vae_denoise_opts_default ();
  VaeDenoiser *d;

  if (check_new (m, max_w, max_h, &o, err) != VAE_OK)
    return NULL;
  d = calloc (1, sizeof *d);
  if (d == NULL) {
    vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
    return NULL;
  }
  d->m = m;
  d->o = o;
  d->max_w = max_w;
  d->max_h = max_h;
  choose_precision (d);
  if (m->cfg.conv_depth > 0) {
    if (vae_denoise_conv_new (d, err) != VAE_OK)
      goto fail;
    return d;
  }
  if (patch_geometry (d, err) != VAE_OK)
    goto fail;
  if (plane_buffers (d, err) != VAE_OK || precision_new (d) != VAE_OK) {
    if (d->ws)                /* else the workspace's message stands */
      vae_set_error (err, VAE_ERR_NOMEM, "cannot allocate a %dx%d denoiser",
          max_w, max_h);
    goto fail;
  }
  vae_denoise_windows (d);
  return d;

fail:
  vae_denoiser_free (d);
  return NULL;
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

int
vae_denoiser_patch_rows (const VaeDenoiser *d)
{
  return d->ph;
}

int
vae_denoiser_stride_rows (const VaeDenoiser *d)
{
  return d->stride_y;
}

VaePrecision
vae_denoiser_precision (const VaeDenoiser *d)
{
  return d->i8 || d->mixed ? VAE_PRECISION_INT8 : d->bf16
      ? VAE_PRECISION_BF16 : VAE_PRECISION_FP32;
}

const char *
vae_denoiser_arithmetic (const VaeDenoiser *d)
{
  if (d->mixed)
    return d->bf16 ? "int8 for layer 0 (8-bit products, int32 sums), then "
        "bf16" : "int8 for layer 0 (8-bit products, int32 sums), then fp32";
  return d->i8 ? "int8 (8-bit products, int32 sums)" : d->bf16
      ? "bf16 (AVX512_BF16 products, float sums)" : "fp32";
}

/* ------------------------------------------------------- the patch grid */

int
vae_denoise_origins (int *o, int n, int p, int s)
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
grid (VaeDenoiser *d, int w, int h, VaeGrid *g)
{
  if (w < 1 || h < 1 || w > d->max_w || h > d->max_h)
    return VAE_ERR_ARG;
  if (d->grid_w != w || d->grid_h != h) {
    d->nx = vae_denoise_origins (d->xs, w, d->pw, d->stride);
    d->ny = vae_denoise_origins (d->ys, h, d->ph, d->stride_y);
    reflect_map (d->xmap, w, d->pw);
    reflect_map (d->ymap, h, d->ph);
    vae_denoise_window_sums (d, w, h);
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

/* ------------------------------------------------------- a tile's pipeline */

/* Computes patches [k0, k1) of the grid into z, patch k0 first (network
 * units, the denoised patch: x − ŷ for residual models): int8 for 8-bit
 * planes where chosen, else bf16 or fp32. */
static void
tile_compute (VaeDenoiser *d, const VaeGrid *g, const uint8_t *src8,
    const float *srcf, int src_stride, int w, long k0, long k1, float sigma,
    float *z)
{
  int n = (int) (k1 - k0);
  float feat = sigma / 255.0f / d->m->cfg.norm_scale;

  if (d->lmap)
    vae_denoise_level_feats (d, g, k0, k1, feat);
  if (d->i8 && src8) {
    vae_denoise_i8_gather (d, g, src8, src_stride, w, k0, k1);
    vae_denoise_i8_forward (d, n, feat, z);
  } else if (d->bf16) {
    vae_denoise_bf16_gather (d, g, src8, srcf, src_stride, w, d->grid_h, k0,
        k1, z);
    if (d->mixed && src8)
      vae_denoise_mixed_forward (d, n, feat, z);
    else
      vae_denoise_bf16_forward (d, n, feat, z);
  } else {
    vae_denoise_f32_gather (d, g, src8, srcf, src_stride, w, k0, k1);
    if (d->mixed && src8)
      vae_denoise_mixed_forward (d, n, feat, z);
    else
      vae_denoise_f32_forward (d, n, feat, z);
  }
}

/* Tile t: its patches computed, then patch row by patch row overlap-added
 * along x (in cache, per denoiser) and each plane row of [row0, row1) it
 * covers passed to vae_denoise_out_or_store as soon as the tile's last
 * patch row over it is. */
static void
tile_run (VaeDenoiser *d, const VaeGrid *g, const uint8_t *src8,
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
    vae_denoise_hblend (d, g, d->zt + (size_t) (iy - iy0) * g->nx * P,
        d->ht + (size_t) (iy - iy0) * ph * w, w);
    for (; y < y1 && (d->cov1[y] <= iy || iy == iy1 - 1); y++)
      vae_denoise_out_or_store (d, dst8, dstf, dst_stride, w, iy0, iy1, y,
          store);
  }
}

static int
run (VaeDenoiser *d, const uint8_t *src8, const float *srcf, int src_stride,
    uint8_t *dst8, float *dstf, int dst_stride, int w, int h, int row0,
    int row1, float sigma)
{
  VaeGrid g;

  if (src_stride < w || dst_stride < w)
    return VAE_ERR_ARG;
  if ((d->conv ? !vae_denoise_conv_plane_ok (d, w, h)
          : grid (d, w, h, &g) != VAE_OK)
      || row0 < 0 || row1 > h || row0 >= row1 || !isfinite (sigma))
    return VAE_ERR_ARG;
  if (d->z == NULL) {
    /* the one-call path keeps its own store, made on first use */
    d->z = vae_aligned_alloc (d->z_floats * sizeof (float));
    if (d->z == NULL)
      return VAE_ERR_NOMEM;
  }
  if (d->conv) {
    vae_denoise_conv_rows (d, src8, srcf, src_stride, dst8, dstf, dst_stride,
        w, h, row0, row1, sigma, d->z);
    return VAE_OK;
  }
  /* the tiles whose patch rows cover the band */
  for (int t = d->cov0[row0] / g.rows; t <= d->cov1[row1 - 1] / g.rows; t++)
    tile_run (d, &g, src8, srcf, src_stride, dst8, dstf, dst_stride, w, h, t,
        row0, row1, sigma, d->z);
  vae_denoise_blend (d, &g, d->z, dst8, dstf, dst_stride, w, row0, row1);
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
  VaeGrid g;
  if (d->conv)
    return vae_denoise_conv_n_tiles (d, w, h);
  return grid (d, w, h, &g) == VAE_OK ? g.n_tiles : 0;
}

int
vae_denoiser_tile_u8 (VaeDenoiser *d, const uint8_t *src, int src_stride,
    uint8_t *dst, int dst_stride, int w, int h, int tile, float sigma,
    float *store)
{
  VaeGrid g;
  if (d->conv)
    return vae_denoise_conv_tile_u8 (d, src, src_stride, w, h, tile, sigma,
        store);
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
  VaeGrid g;
  if (d->conv)
    return vae_denoise_conv_blend_u8 (d, store, dst, dst_stride, w, h, row0,
        row1);
  if (grid (d, w, h, &g) != VAE_OK || dst_stride < w || row0 < 0 || row1 > h
      || row0 >= row1 || store == NULL)
    return VAE_ERR_ARG;
  vae_denoise_blend (d, &g, store, dst, NULL, dst_stride, w, row0, row1);
  return VAE_OK;
}

int
vae_denoiser_run_u8 (VaeDenoiser *d, const uint8_t *src, int src_stride,
    uint8_t *dst, int dst_stride, int w, int h, int row0, int row1,
    float sigma)
{
  return run (d, src, NULL, src_stride, dst, NULL, dst_stride, w, h, row0,
      row1, sigma);
}

int
vae_denoiser_run_f32 (VaeDenoiser *d, const float *src, int src_stride,
    float *dst, int dst_stride, int w, int h, int row0, int row1,
    float sigma)
{
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

  for (int l = 0; l < m->n_layers; l++)
    per += 2.0 * m->layers[l].n_in * m->layers[l].n_out;
  if (d->conv)
    return per * vae_denoise_conv_pixels (d, w, h);
  nx = (ext_w - d->pw) / d->stride + 1;
  ny = (ext_h - d->ph) / d->stride_y + 1;
  if ((nx - 1) * d->stride != ext_w - d->pw)
    nx++;
  if ((ny - 1) * d->stride_y != ext_h - d->ph)
    ny++;
  return per * nx * ny;
}
