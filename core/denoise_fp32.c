/* The fp32 path: the weights packed for the float GEMM, patches gathered
 * in network units, the network run on them. */
#include "denoise_impl.h"

#include <string.h>

/* The fp32 weights, layer 0 without the level column (folded into bias0):
 * the fp32 path's, and the int8 path's for float planes (whose values,
 * unclipped noise among them, 8-bit codes would clip). */
int
vae_denoise_f32_new (VaeDenoiser *d)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  VaeGemmIsa isa = vae_gemm_best_isa ();
  size_t nf = 0;

  for (int l = 0; l < m->n_layers; l++)
    nf += vae_gemm_packed_floats (m->layers[l].n_out, l == 0 ? c->n_in
        : m->layers[l].n_in);
  d->gbuf = vae_aligned_alloc (nf * sizeof (float));
  if (d->gbuf == NULL)
    return VAE_ERR_NOMEM;
  for (int l = 0, off = 0; l < m->n_layers; l++) {
    const VaeLayer *L = &m->layers[l];
    int k = l == 0 ? c->n_in : L->n_in;
    vae_gemm_pack (&d->gb[l], d->gbuf + off, m->params + L->w_off,
        L->n_out, k, L->n_in, isa);
    off += (int) vae_gemm_packed_floats (L->n_out, k);
  }
  return VAE_OK;
}

/* Patches [k0, k1) into ws->x in network units, reflected where the plane
 * is smaller than a patch; on the mixed path 8-bit planes' bytes also into
 * d->xq. */
void
vae_denoise_f32_gather (VaeDenoiser *d, const VaeGrid *g,
    const uint8_t *src8, const float *srcf, int src_stride, int w, long k0,
    long k1)
{
  const VaeConfig *c = &d->m->cfg;
  VaeWorkspace *ws = d->ws;

  for (long k = k0; k < k1; k++) {
    int px = d->xs[k % g->nx], py = d->ys[k / g->nx];
    float *x = ws->x + (size_t) (k - k0) * d->net_in;
    for (int i = 0; i < d->ph; i++) {
      int sy = d->ymap[py + i];
      float *xr = x + i * d->pw;
      const int *xm = d->xmap + px;
      if (src8) {
        const uint8_t *sr = src8 + (size_t) sy * src_stride;
        uint8_t *q = d->mixed ? d->xq + (size_t) (k - k0) * d->xq_ld
            + i * d->pw : NULL;
        if (px + d->pw <= w) {
          for (int j = 0; j < d->pw; j++)
            xr[j] = d->lut[sr[px + j]];
          if (q)
            memcpy (q, sr + px, (size_t) d->pw);
        } else {
          for (int j = 0; j < d->pw; j++)
            xr[j] = d->lut[sr[xm[j]]];
          for (int j = 0; q && j < d->pw; j++)
            q[j] = sr[xm[j]];
        }
      } else {
        const float *sr = srcf + (size_t) sy * src_stride;
        for (int j = 0; j < d->pw; j++)
          xr[j] = vae_norm (c, sr[xm[j]]);
      }
    }
  }
}

/* The network on the n patches gathered in ws->x, each patch's denoised
 * values (network units: x − ŷ for residual models) written to z.  Two
 * rewrites of vae_net_forward, exact up to float rounding: the level input
 * of a noise-conditional model is the same for every patch of the plane, so
 * it folds into layer 0's bias and that GEMM's inner dimension is the patch
 * alone; and the output layer accumulates straight into z, which starts as
 * x − b (residual, with α = −1) or b, so no output rows are copied. */
void
vae_denoise_f32_forward (VaeDenoiser *d, int n, float feat, float *z)
{
  VaeWorkspace *ws = d->ws;
  const VaeLayer *L0 = &d->m->layers[0];
  int ni = d->net_in, h0 = L0->n_out;

  vae_denoise_fold_level (d, d->lmap ? 0.0f : feat);
  vae_gemm_run (n, ws->x, ni, &d->gb[0], 1.0f, ws->act[0], h0,
      !d->lmap && L0->act == VAE_ACT_RELU, d->bias0);
  if (d->lmap)
    vae_denoise_level_add (d, n, ws->act[0], h0);
  else if (L0->act != VAE_ACT_RELU)
    vae_act_forward (ws->act[0], (size_t) n * h0, L0->act);
  vae_denoise_f32_after0 (d, n, z);
}

void
vae_denoise_f32_after0 (VaeDenoiser *d, int n, float *z)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  VaeWorkspace *ws = d->ws;
  const VaeLayer *Lo = &m->layers[m->n_layers - 1];
  const float *bo = m->params + Lo->b_off;
  int nl = m->n_layers, P = c->n_in, ni = d->net_in;

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
