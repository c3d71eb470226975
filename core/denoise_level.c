/* Per-region noise levels: a map of level factors over the plane, so each
 * patch of a noise-conditional model sees its own level (the temporal
 * stage leaves less noise where frames were averaged).  Layer 0 then runs
 * with the level input at 0 and each patch's share added before its
 * activation.  A convolutional model takes the map as its level plane
 * (denoise_conv.c). */
#include "denoise_impl.h"

#include <math.h>
#include <stdlib.h>

int
vae_denoiser_set_level_map (VaeDenoiser *d, const float *map, int map_w,
    int map_h, int cell_w, int cell_h)
{
  const VaeModel *m = d->m;

  if (map == NULL) {
    d->lmap = NULL;
    return VAE_OK;
  }
  if (!m->cfg.noise_input)
    return VAE_ERR_KIND;
  if (map_w < 1 || map_h < 1 || cell_w < 1 || cell_h < 1)
    return VAE_ERR_ARG;
  /* a convolutional model reads its level map as an input plane */
  if (d->wlevel == NULL && !d->conv) {
    const VaeLayer *L0 = &m->layers[0];
    const float *w0 = m->params + L0->w_off;
    /* made once, on the first map: the level column of layer 0 */
    d->wlevel = malloc ((size_t) L0->n_out * sizeof (float));
    d->pfeat = malloc ((size_t) d->batch * sizeof (float));
    if (d->wlevel == NULL || d->pfeat == NULL)
      return VAE_ERR_NOMEM;
    for (int j = 0; j < L0->n_out; j++)
      d->wlevel[j] = w0[(size_t) j * d->net_in + m->cfg.n_in];
    if (d->i8) {
      /* the int8 path adds it in code units */
      d->wlevel_q = malloc ((size_t) L0->n_out * sizeof (float));
      if (d->wlevel_q == NULL)
        return VAE_ERR_NOMEM;
      for (int j = 0; j < L0->n_out; j++)
        d->wlevel_q[j] = d->wlevel[j] / m->quant->act[0][j];
    }
  }
  d->lmap = map;
  d->lmap_w = map_w;
  d->lmap_h = map_h;
  d->lmap_cw = cell_w;
  d->lmap_ch = cell_h;
  return VAE_OK;
}

void
vae_denoise_level_feats (VaeDenoiser *d, const VaeGrid *g, long k0, long k1,
    float feat)
{
  /* patch k is at column k % nx of patch row k / nx: both divisions once,
   * then walked */
  int ix = (int) (k0 % g->nx), iy = (int) (k0 / g->nx), cy = -1;
  const float *row = NULL;
  for (long k = k0; k < k1; k++) {
    if (cy < 0) {
      cy = (d->ys[iy] + d->ph / 2) / d->lmap_ch;
      cy = cy < d->lmap_h ? cy : d->lmap_h - 1;
      row = d->lmap + (size_t) cy * d->lmap_w;
    }
    int cx = (d->xs[ix] + d->pw / 2) / d->lmap_cw;
    cx = cx < d->lmap_w ? cx : d->lmap_w - 1;
    d->pfeat[k - k0] = feat * row[cx];
    if (++ix == g->nx) {
      ix = 0;
      iy++;
      cy = -1;
    }
  }
}

void
vae_denoise_level_add (const VaeDenoiser *d, int n, float *a, int ld)
{
  const VaeLayer *L0 = &d->m->layers[0];
  int h0 = L0->n_out;

  for (int k = 0; k < n; k++) {
    float f = d->pfeat[k], *ak = a + (size_t) k * ld;
    for (int j = 0; j < h0; j++)
      ak[j] += f * d->wlevel[j];
  }
  if (L0->act == VAE_ACT_RELU) {
    for (int k = 0; k < n; k++) {
      float *ak = a + (size_t) k * ld;
      for (int j = 0; j < h0; j++)
        ak[j] = ak[j] > 0.0f ? ak[j] : 0.0f;
    }
  } else {
    for (int k = 0; k < n; k++)
      vae_act_forward (a + (size_t) k * ld, (size_t) h0, L0->act);
  }
}
