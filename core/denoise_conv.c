/* Convolutional models: the plane in square tiles, each computed with a
 * halo so that its pixels get exactly their whole-plane values.  A colour
 * model's plane is the interleaved 4:2:0 one (vae.h), which the network
 * sees as a map of its 2 × 3 blocks (vae_conv_map): tiles, halos and the
 * network's padding are in blocks, the store and the output in the
 * plane's values. */
#include "denoise_impl.h"

#include <math.h>
#include <string.h>

#define CONV_TILE 128

/* A convolutional denoiser: tiles of CONV_TILE × CONV_TILE output pixels;
 * each runs the network on the tile and a halo of R = depth · (k/2) pixels
 * (clipped at the plane's border, where the network's zero padding is the
 * real one), which gives its pixels exactly the whole-plane values: a
 * pixel's output depends on the input within R of it and nothing else.
 * The store is a plane of denoised values, network units. */
int
vae_denoise_conv_new (VaeDenoiser *d, VaeError *err)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  int k = c->conv_kernel, maxin = 0, bw, bh;
  int planes = vae_conv_block (c, &bw, &bh);
  int ci = planes + (c->noise_input ? 1 : 0);
  /* the map of the largest plane, at least one block */
  int max_w = (d->max_w + bw - 1) / bw, max_h = (d->max_h + bh - 1) / bh;
  size_t ew, eh, pad;

  d->conv = 1;
  d->halo = c->conv_depth * (k / 2);
  d->tile = CONV_TILE;
  d->pw = d->ph = 2 * d->halo + 1;     /* the receptive field */
  d->stride = d->stride_y = 1;
  /* the largest tile with its halo, and with the layers' padding */
  ew = (size_t) (max_w < d->tile ? max_w : d->tile) + 2 * d->halo;
  eh = (size_t) (max_h < d->tile ? max_h : d->tile) + 2 * d->halo;
  ew = ew < (size_t) max_w ? ew : (size_t) max_w;
  eh = eh < (size_t) max_h ? eh : (size_t) max_h;
  pad = (ew + k - 1) * (eh + k - 1);
  for (int l = 0; l < m->n_layers; l++)
    maxin = m->layers[l].n_in > maxin ? m->layers[l].n_in : maxin;
  d->z_floats = (size_t) d->max_w * d->max_h;
  d->cin = vae_aligned_alloc (pad * ci * sizeof (float));
  d->ca = vae_aligned_alloc (pad * c->conv_width * sizeof (float));
  d->cb = vae_aligned_alloc (pad * c->conv_width * sizeof (float));
  d->ccol = vae_aligned_alloc (ew * (size_t) maxin * sizeof (float));
  d->cout = vae_aligned_alloc (ew * eh * planes * sizeof (float));
  d->wr = vae_aligned_alloc (vae_conv_repack_floats (m) * sizeof (float));
  if (!d->cin || !d->ca || !d->cb || !d->ccol || !d->cout || !d->wr) {
    vae_set_error (err, VAE_ERR_NOMEM, "cannot allocate a %dx%d denoiser",
        max_w, max_h);
    return VAE_ERR_NOMEM;
  }
  vae_conv_repack (m, d->wr);
  return VAE_OK;
}

/* The map of a w × h plane: its size in positions (blocks). */
static void
conv_map_size (const VaeDenoiser *d, int *w, int *h)
{
  int bw, bh;
  vae_conv_block (&d->m->cfg, &bw, &bh);
  *w /= bw;
  *h /= bh;
}

static int
conv_tiles_x (const VaeDenoiser *d, int w)
{
  return (w + d->tile - 1) / d->tile;
}

int
vae_denoise_conv_plane_ok (const VaeDenoiser *d, int w, int h)
{
  int bw, bh;
  vae_conv_block (&d->m->cfg, &bw, &bh);
  return w >= 1 && h >= 1 && w <= d->max_w && h <= d->max_h && w % bw == 0
      && h % bh == 0;
}

/* Tile t of a w × h map: its output positions [x0, x1) × [y0, y1), and
 * with its halo, clipped to the map, [ex0, ex1) × [ey0, ey1). */
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
  int bw, bh, planes = vae_conv_block (c, &bw, &bh), ci;
  int map_w = w, map_h = h;
  ConvTile tr;
  int x0, y0, x1, y1, ex0, ey0, ew, eh, r = c->conv_kernel / 2;
  size_t prow;
  float feat = sigma / 255.0f / c->norm_scale;

  conv_map_size (d, &map_w, &map_h);
  tr = conv_tile_rect (d, map_w, map_h, t);
  x0 = tr.x0, y0 = tr.y0, x1 = tr.x1, y1 = tr.y1, ex0 = tr.ex0, ey0 = tr.ey0;
  ew = tr.ex1 - ex0, eh = tr.ey1 - ey0;
  ci = planes + (c->noise_input ? 1 : 0);
  prow = (size_t) (ew + 2 * r) * ci;
  for (int y = 0; y < eh; y++) {
    float *dst = d->cin + (y + r) * prow + (size_t) r * ci;
    for (int q = 0; q < planes; q++) {
      /* plane q of the blocks of map row ey0 + y: a row of the plane */
      size_t row = (size_t) bh * (ey0 + y) + (size_t) (q / bw);
      int col = bw * ex0 + q % bw;
      if (src8) {
        const uint8_t *sr = src8 + row * src_stride + col;
        for (int x = 0; x < ew; x++)
          dst[x * ci + q] = d->lut[sr[x * bw]];
      } else {
        const float *sr = srcf + row * src_stride + col;
        for (int x = 0; x < ew; x++)
          dst[x * ci + q] = vae_norm (c, sr[x * bw]);
      }
    }
    if (c->noise_input && d->lmap) {
      /* each position at its cell's level (a block by its first row and
       * column: cells hold whole blocks) */
      int py = bh * (ey0 + y);
      int cy = py / d->lmap_ch < d->lmap_h ? py / d->lmap_ch : d->lmap_h - 1;
      const float *lr = d->lmap + (size_t) cy * d->lmap_w;
      for (int x = 0; x < ew; x++) {
        int px = bw * (ex0 + x);
        int cx = px / d->lmap_cw < d->lmap_w ? px / d->lmap_cw
            : d->lmap_w - 1;
        dst[x * ci + planes] = feat * lr[cx];
      }
    } else if (c->noise_input) {
      for (int x = 0; x < ew; x++)
        dst[x * ci + planes] = feat;
    }
  }
  vae_conv_plane_forward (m, d->wr, d->cin, eh, ew, d->ca, d->cb, d->ccol,
      d->cout);
  for (int y = y0; y < y1; y++) {
    const float *o = d->cout + ((size_t) (y - ey0) * ew + (x0 - ex0))
        * planes;
    const float *xi = d->cin + (y - ey0 + r) * prow
        + (size_t) (x0 - ex0 + r) * ci;
    for (int q = 0; q < planes; q++) {
      float *z = store + ((size_t) bh * y + (size_t) (q / bw)) * w
          + bw * x0 + q % bw;
      for (int x = 0; x < x1 - x0; x++)
        z[x * bw] = c->residual ? xi[x * ci + q] - o[x * planes + q]
            : o[x * planes + q];
    }
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
        o[x] = vae_to_u8 (z[x] * k + b);
    } else {
      float *o = dstf + (size_t) y * dst_stride;
      for (int x = 0; x < w; x++)
        o[x] = z[x] * c->norm_scale + c->norm_mean;
    }
  }
}

void
vae_denoise_conv_rows (VaeDenoiser *d, const uint8_t *src8,
    const float *srcf, int src_stride, uint8_t *dst8, float *dstf,
    int dst_stride, int w, int h, int row0, int row1, float sigma,
    float *store)
{
  /* the map rows under plane rows [row0, row1) */
  int map_w = w, map_h = h, bw, bh, ntx;
  vae_conv_block (&d->m->cfg, &bw, &bh);
  conv_map_size (d, &map_w, &map_h);
  ntx = conv_tiles_x (d, map_w);
  for (int ty = row0 / bh / d->tile; ty * d->tile * bh < row1; ty++)
    for (int tx = 0; tx < ntx; tx++)
      conv_tile (d, src8, srcf, src_stride, w, h, ty * ntx + tx, sigma, store);
  conv_blend (d, store, dst8, dstf, dst_stride, w, row0, row1);
}

int
vae_denoise_conv_n_tiles (const VaeDenoiser *d, int w, int h)
{
  if (!vae_denoise_conv_plane_ok (d, w, h))
    return 0;
  conv_map_size (d, &w, &h);
  return conv_tiles_x (d, w) * ((h + d->tile - 1) / d->tile);
}

int
vae_denoise_conv_tile_u8 (VaeDenoiser *d, const uint8_t *src, int src_stride,
    int w, int h, int tile, float sigma, float *store)
{
  if (src_stride < w || tile < 0 || tile >= vae_denoise_conv_n_tiles (d, w, h)
      || store == NULL || !isfinite (sigma))
    return VAE_ERR_ARG;
  conv_tile (d, src, NULL, src_stride, w, h, tile, sigma, store);
  return VAE_OK;
}

int
vae_denoise_conv_blend_u8 (const VaeDenoiser *d, const float *store,
    uint8_t *dst, int dst_stride, int w, int h, int row0, int row1)
{
  if (!vae_denoise_conv_plane_ok (d, w, h) || dst_stride < w || row0 < 0
      || row1 > h || row0 >= row1 || store == NULL)
    return VAE_ERR_ARG;
  conv_blend (d, store, dst, NULL, dst_stride, w, row0, row1);
  return VAE_OK;
}

/* The positions the network runs on: every tile's and its halo's. */
double
vae_denoise_conv_pixels (const VaeDenoiser *d, int w, int h)
{
  double pix = 0.0;
  int n = vae_denoise_conv_n_tiles (d, w, h);
  conv_map_size (d, &w, &h);
  for (int t = 0; t < n; t++) {
    ConvTile r = conv_tile_rect (d, w, h, t);
    pix += (double) (r.ex1 - r.ex0) * (r.ey1 - r.ey0);
  }
  return pix;
}
