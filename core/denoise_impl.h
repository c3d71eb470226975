/* The patch denoiser's private parts: its struct, and the functions its
 * files (denoise*.c) share. */
#ifndef VAE_DENOISE_IMPL_H
#define VAE_DENOISE_IMPL_H

#include "vae_private.h"

struct VaeDenoiser {
  const VaeModel *m;
  VaeWorkspace *ws;
  VaeDenoiseOpts o;
  int pw, ph, stride, batch, net_in;
  int stride_y;               /* rows between patch rows: stride, or for a
                               * colour model's interleaved plane 3·stride/2 */
  int max_w, max_h;
  float *acc;                 /* (max_w) a row's summed strips */
  float *win;                 /* (ph, pw) overlap-add window, wy[i]·wx[j] */
  float *wx, *wy;             /* its separable factors (pw), (ph) */
  float *iwx, *iwy;           /* 1 / summed window weights per column, row */
  int *xs, *ys;               /* patch origins */
  int *xmap, *ymap;           /* reflected source coordinates */
  int grid_w, grid_h, nx, ny; /* the grid xs/ys/xmap/ymap were made for */
  float *bias0;               /* layer 0's bias, the level input folded in */
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
  /* mixed (denoise_mixed.c): layer 0 in int8 (gq[0], xq, qmul[0] and
   * qadd[0] for its float output) and the rest in bf16 or fp32, for 8-bit
   * planes of models with int8 weights for layer 0 only */
  int mixed;
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
  /* a level map (denoise_level.c): factors of cells lmap_cw × lmap_ch,
   * the caller's; layer 0's level column; the batch's patch levels */
  const float *lmap;
  int lmap_w, lmap_h, lmap_cw, lmap_ch;
  float *wlevel, *pfeat;
  float *wlevel_q;            /* int8: wlevel over layer 0's code scales */
};

/* The plane's patch grid (denoise.c's grid()) and its split into tiles. */
typedef struct {
  int nx, ny, n_tiles, rows;  /* rows: patch rows per tile (the last may be
                               * short) */
  long n;
} VaeGrid;

/* An 8-bit value, rounded and clipped; NaN (huge but finite weights
 * overflow to inf − inf) goes to 0: converting it to uint8_t would be
 * undefined. */
static inline uint8_t
vae_to_u8 (float v)
{
  v = !(v >= 0.0f) ? 0.0f : v > 255.0f ? 255.0f : v;
  return (uint8_t) (v + 0.5f);
}

/* denoise.c */

/* Patch origins 0, s, 2s, … plus a last one flush with the far border, over
 * an extent of max(n, p) pixels; returns their count (at most
 * max(n, p) − p + 1). */
int vae_denoise_origins (int *o, int n, int p, int s);
/* d->bias0: layer 0's bias with the level input folded in (feat, the same
 * for every patch of the plane). */
static inline void
vae_denoise_fold_level (VaeDenoiser *d, float feat)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  const VaeLayer *L0 = &m->layers[0];
  const float *w0 = m->params + L0->w_off, *b0 = m->params + L0->b_off;
  int P = c->n_in, ni = d->net_in;

  for (int j = 0; j < L0->n_out; j++)
    d->bias0[j] = b0[j] + (c->noise_input ? feat * w0[(size_t) j * ni + P]
        : 0.0f);
}

/* denoise_level.c: with a level map, patches [k0, k1)'s levels into
 * d->pfeat (feat times their cells' factors); then layer 0's outputs (n
 * rows of ld, computed with the level input at 0) get each patch's level
 * term and layer 0's activation. */
void vae_denoise_level_feats (VaeDenoiser *d, const VaeGrid *g, long k0,
    long k1, float feat);
void vae_denoise_level_add (const VaeDenoiser *d, int n, float *a, int ld);

/* denoise_blend.c: the overlap-add */

/* The window (d->win) and its factors, from the options. */
void vae_denoise_windows (VaeDenoiser *d);
/* d->iwx, d->iwy for a w × h plane's grid of origins. */
void vae_denoise_window_sums (VaeDenoiser *d, int w, int h);
void vae_denoise_hblend (const VaeDenoiser *d, const VaeGrid *g,
    const float *z, float *strip, int w);
void vae_denoise_out_or_store (VaeDenoiser *d, uint8_t *dst8, float *dstf,
    int dst_stride, int w, int iy0, int iy1, int y, float *store);
void vae_denoise_blend (VaeDenoiser *d, const VaeGrid *g, const float *store,
    uint8_t *dst8, float *dstf, int dst_stride, int w, int row0, int row1);

/* denoise_conv.c: convolutional models, each entry point for d->conv
 * (d->max_w, d->max_h set before vae_denoise_conv_new) */

int vae_denoise_conv_new (VaeDenoiser *d, VaeError *err);
/* Whether a w × h plane fits the denoiser. */
int vae_denoise_conv_plane_ok (const VaeDenoiser *d, int w, int h);
int vae_denoise_conv_n_tiles (const VaeDenoiser *d, int w, int h);
int vae_denoise_conv_tile_u8 (VaeDenoiser *d, const uint8_t *src,
    int src_stride, int w, int h, int tile, float sigma, float *store);
int vae_denoise_conv_blend_u8 (const VaeDenoiser *d, const float *store,
    uint8_t *dst, int dst_stride, int w, int h, int row0, int row1);
/* Rows [row0, row1) of the output, the tiles covering them computed into
 * store (arguments checked by the caller). */
void vae_denoise_conv_rows (VaeDenoiser *d, const uint8_t *src8,
    const float *srcf, int src_stride, uint8_t *dst8, float *dstf,
    int dst_stride, int w, int h, int row0, int row1, float sigma,
    float *store);
/* The pixels the network runs on: every tile's and its halo's. */
double vae_denoise_conv_pixels (const VaeDenoiser *d, int w, int h);

/* The patch network in each precision: _new packs the weights and makes
 * the buffers (VAE_OK or VAE_ERR_NOMEM; vae_denoiser_free frees what it
 * made), _gather copies patches [k0, k1) of the grid into the network's
 * input, _forward runs the network on those n patches and writes their
 * denoised values (network units: x − ŷ for residual models) to z, patch
 * k0's first.  feat is the level input, σ in network units. */

/* denoise_fp32.c */
int vae_denoise_f32_new (VaeDenoiser *d);
void vae_denoise_f32_gather (VaeDenoiser *d, const VaeGrid *g,
    const uint8_t *src8, const float *srcf, int src_stride, int w, long k0,
    long k1);
void vae_denoise_f32_forward (VaeDenoiser *d, int n, float feat, float *z);
/* the layers after layer 0, on its output in ws->act[0], and z from the
 * patches in ws->x */
void vae_denoise_f32_after0 (VaeDenoiser *d, int n, float *z);

/* denoise_bf16.c; its gather also starts z (the forward adds into it) */
int vae_denoise_bf16_fits (const VaeModel *m);
int vae_denoise_bf16_new (VaeDenoiser *d);
void vae_denoise_bf16_gather (VaeDenoiser *d, const VaeGrid *g,
    const uint8_t *src8, const float *srcf, int src_stride, int w, int h,
    long k0, long k1, float *z);
void vae_denoise_bf16_forward (VaeDenoiser *d, int n, float feat, float *z);
/* the layers after layer 0, on its output in d->hb[0] */
void vae_denoise_bf16_after0 (VaeDenoiser *d, int n, float *z);
/* out = bf16 (max (a + f·w, 0)) (w may be NULL: no f·w) */
void vae_denoise_relu_bf16 (const float *a, const float *w, float f,
    uint16_t *out, int n);

/* denoise_mixed.c: 8-bit planes, after vae_denoise_bf16_new or _f32_new
 * and their gather */
int vae_denoise_mixed_new (VaeDenoiser *d);
void vae_denoise_mixed_forward (VaeDenoiser *d, int n, float feat, float *z);

/* denoise_i8.c: 8-bit planes only */
int vae_denoise_i8_new (VaeDenoiser *d);
void vae_denoise_i8_gather (VaeDenoiser *d, const VaeGrid *g,
    const uint8_t *src8, int src_stride, int w, long k0, long k1);
void vae_denoise_i8_forward (VaeDenoiser *d, int n, float feat, float *z);

#endif
