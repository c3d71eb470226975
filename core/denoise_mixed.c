/* The mixed path for 8-bit planes: layer 0 in int8 on the patches' pixels
 * (the model's quant.0 weights, exact int32 sums), the later layers as
 * the float path computes them: in bf16 (the activations rounded to bf16)
 * where the denoiser has that path, else in fp32.  For models whose first
 * layer keeps its precision in int8 but whose output layer does not
 * (denoise-colour: models/README.md). */
#include "denoise_impl.h"

#include <stdlib.h>
#include <string.h>

/* patches per layer-0 product: 64 × 576 floats stay in cache until
 * rounded to bf16 */
#define MIXED_PIECE 64

int
vae_denoise_mixed_new (VaeDenoiser *d)
{
  const VaeQuant *q = d->m->quant;
  int h0 = d->m->layers[0].n_out, k = q->k[0];

  d->gbuf8 = vae_aligned_alloc (vae_gemm_packed_i8 (h0, k));
  d->xq_ld = (k + 3) / 4 * 4;
  d->xq = vae_aligned_alloc ((size_t) d->batch * d->xq_ld);
  d->qmul[0] = malloc ((size_t) h0 * sizeof (float));
  d->qadd[0] = malloc ((size_t) h0 * sizeof (float));
  if (!d->gbuf8 || !d->xq || !d->qmul[0] || !d->qadd[0])
    return VAE_ERR_NOMEM;
  memset (d->xq, 0, (size_t) d->batch * d->xq_ld);
  vae_gemm_pack_i8 (&d->gq[0], d->gbuf8, q->w[0], h0, k, k);
  memcpy (d->qmul[0], q->scale[0], (size_t) h0 * sizeof (float));
  return VAE_OK;
}

/* fp32 after layer 0: its values (ws->act[0]), the level and the
 * activation added, go on to the fp32 path's later layers. */
static void
forward_f32 (VaeDenoiser *d, int n, float *z)
{
  const VaeLayer *L0 = &d->m->layers[0];
  float *a = d->ws->act[0];
  int h0 = L0->n_out;

  vae_gemm_run_i8 (n, d->xq, d->xq_ld, &d->gq[0], d->qmul[0], d->qadd[0], a,
      NULL, h0);
  if (d->lmap)
    vae_denoise_level_add (d, n, a, h0);
  else
    vae_act_forward (a, (size_t) n * h0, L0->act);
  vae_denoise_f32_after0 (d, n, z);
}

/* The patches were gathered into d->xq and z (bf16) or ws->x (fp32) set
 * as for the float path. */
void
vae_denoise_mixed_forward (VaeDenoiser *d, int n, float feat, float *z)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  const VaeLayer *L0 = &m->layers[0];
  const float *w0 = m->params + L0->w_off, *bq = m->quant->bias[0];
  float *a = d->ws->act[0];
  int h0 = L0->n_out, ni = d->net_in;

  /* the level input in float: folded into the bias, or per patch */
  if (d->lmap)
    feat = 0.0f;
  for (int j = 0; j < h0; j++)
    d->qadd[0][j] = bq[j] + (c->noise_input ? feat * w0[(size_t) j * ni
            + c->n_in] : 0.0f);
  if (!d->bf16) {
    forward_f32 (d, n, z);
    return;
  }
  /* the loop below in the product's epilogue, with the level map's term
   * where there is one */
  if (vae_gemm_run_i8_level (n, d->xq, d->xq_ld, &d->gq[0],
          d->qmul[0], d->qadd[0], d->lmap ? d->pfeat : NULL, d->wlevel, NULL,
          d->hb[0], d->hb_ld[0])) {
    vae_denoise_bf16_after0 (d, n, z);
    return;
  }
  for (int k0 = 0; k0 < n; k0 += MIXED_PIECE) {
    int b = n - k0 < MIXED_PIECE ? n - k0 : MIXED_PIECE;
    vae_gemm_run_i8 (b, d->xq + (size_t) k0 * d->xq_ld, d->xq_ld, &d->gq[0],
        d->qmul[0], d->qadd[0], a, NULL, h0);
    for (int k = 0; k < b; k++)
      vae_denoise_relu_bf16 (a + (size_t) k * h0, d->lmap ? d->wlevel : NULL,
          d->lmap ? d->pfeat[k0 + k] : 0.0f, d->hb[0] + (size_t) (k0 + k)
          * d->hb_ld[0], h0);
  }
  vae_denoise_bf16_after0 (d, n, z);
}
