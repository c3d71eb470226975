/* Losses, exact gradients and Adam. */
#include "vae_private.h"
#include "vae_pool.h"

#include <cblas.h>
#include <float.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

VaeTrainOpts
vae_train_opts_default (void)
{
  VaeTrainOpts o;
  memset (&o, 0, sizeof o);
  o.lr = 1e-3f;
  o.beta1 = 0.9f;
  o.beta2 = 0.999f;
  o.eps = 1e-8f;
  o.weight_decay = 0.0f;
  o.kl_beta = 1.0f;
  o.kl_anneal_steps = 0;
  o.lr_final = -1.0f;
  o.total_steps = 0;
  return o;
}

int
vae_model_prepare_training (VaeModel *m, VaeError *err)
{
  size_t bytes = m->n_params * sizeof (float);
  vae_model_drop_quant (m);   /* training changes the float weights */
  if (m->grads != NULL)
    return VAE_OK;
  m->grads = vae_aligned_alloc (bytes);
  m->adam_m = vae_aligned_alloc (bytes);
  m->adam_v = vae_aligned_alloc (bytes);
  if (!m->grads || !m->adam_m || !m->adam_v) {
    vae_aligned_free (m->grads);
    vae_aligned_free (m->adam_m);
    vae_aligned_free (m->adam_v);
    m->grads = m->adam_m = m->adam_v = NULL;
    return vae_set_error (err, VAE_ERR_NOMEM,
        "cannot allocate training state for %zu parameters", m->n_params);
  }
  memset (m->grads, 0, bytes);
  memset (m->adam_m, 0, bytes);
  memset (m->adam_v, 0, bytes);
  return VAE_OK;
}

int
vae_model_set_loss_weights (VaeModel *m, const float *w, VaeError *err)
{
  const VaeConfig *c = &m->cfg;
  float *copy;

  if (w == NULL) {
    free (m->loss_w);
    m->loss_w = NULL;
    return VAE_OK;
  }
  if (c->kind == VAE_KIND_VAE || c->likelihood != VAE_LIK_GAUSSIAN
      || c->conv_depth > 0)
    return vae_set_error (err, VAE_ERR_KIND,
        "loss weights are for dense Gaussian (DAE, AE) models");
  for (int j = 0; j < c->n_in; j++)
    if (!(w[j] >= 0.0f && w[j] <= FLT_MAX))
      return vae_set_error (err, VAE_ERR_ARG,
          "loss weight %d is %g: it must be finite and >= 0", j, w[j]);
  copy = malloc (c->n_in * sizeof (float));
  if (copy == NULL)
    return vae_set_error (err, VAE_ERR_NOMEM, "cannot allocate loss weights");
  memcpy (copy, w, c->n_in * sizeof (float));
  free (m->loss_w);
  m->loss_w = copy;
  return VAE_OK;
}

/* One sample of the Bernoulli likelihood on logits a: d = (σ(a) − x)/B, and
 * returns the NLL Σⱼ softplus(aⱼ) − aⱼxⱼ, the value vae_rec_nll() gives.
 * softplus(a) = max(a, 0) + log(1 + t), t = exp(−|a|) = min(e, 1/e) for the
 * e = exp(−a) the gradient needs anyway.  The log1p terms are summed as the
 * log of a product in double, one log per 64 factors (each in [1, 2]), so
 * the loss costs no transcendental per pixel beyond the gradient's exp: the
 * per-pixel log1pf was a sixth of a VAE training step. */
VAE_AVX2_CLONE static double
bernoulli_grad (const float *restrict a, const float *restrict x,
    float *restrict d, int n, float invb)
{
  enum { BLOCK = 64, LANES = 8 };
  float e[BLOCK], t[BLOCK];
  double total = 0.0;

  for (int j0 = 0; j0 < n; j0 += BLOCK) {
    int nb = n - j0 < BLOCK ? n - j0 : BLOCK, k;
    const float *restrict ab = a + j0, *restrict xb = x + j0;
    float *restrict db = d + j0;
    double prod[LANES] = { 1, 1, 1, 1, 1, 1, 1, 1 }, p = 1.0;
    float lin[LANES] = { 0 }, l = 0.0f;
    for (k = 0; k < nb; k++)
      e[k] = -ab[k];
    vae_expf_n (e, e, (size_t) nb);
    /* lanes the compiler can vectorise: no call, no branch */
    for (k = 0; k + LANES <= nb; k += LANES)
      for (int q = 0; q < LANES; q++) {
        float ak = ab[k + q], ek = e[k + q], xk = xb[k + q], r = 1.0f / ek;
        db[k + q] = (1.0f / (1.0f + ek) - xk) * invb;
        t[k + q] = ak > 0.0f ? ek : r;
        lin[q] += (ak > 0.0f ? ak : 0.0f) - ak * xk;
      }
    for (; k < nb; k++) {
      float ak = ab[k], ek = e[k], r = 1.0f / ek;
      db[k] = (1.0f / (1.0f + ek) - xb[k]) * invb;
      t[k] = ak > 0.0f ? ek : r;
      l += (ak > 0.0f ? ak : 0.0f) - ak * xb[k];
    }
    for (k = 0; k + LANES <= nb; k += LANES)
      for (int q = 0; q < LANES; q++)
        prod[q] *= 1.0 + (double) t[k + q];
    for (; k < nb; k++)
      p *= 1.0 + (double) t[k];
    for (int q = 0; q < LANES; q++) {
      p *= prod[q];
      l += lin[q];
    }
    total += log (p) + l;
  }
  return total;
}

/* dL/dy for the output layer, scaled by invb; returns the summed NLL. */
static double
output_grad (const VaeModel *m, VaeWorkspace *ws, const float *x_target,
    int batch, float invb)
{
  const VaeConfig *c = &m->cfg;
  int nl = m->n_layers, D = c->n_in, ni = ws->net_in;
  const float *y = ws->act[nl - 1];
  float *dy = ws->dact[nl - 1];
  double total = 0.0;

  if (c->likelihood == VAE_LIK_BERNOULLI) {
    for (int i = 0; i < batch; i++)
      total += bernoulli_grad (y + (size_t) i * D, x_target + (size_t) i * D,
          dy + (size_t) i * D, D, invb);
    return total;
  }
  for (int i = 0; i < batch; i++) {
    const float *yr = y + (size_t) i * D;
    const float *xr = x_target + (size_t) i * D;
    float *d = dy + (size_t) i * D;
    if (c->kind == VAE_KIND_VAE) {
      float k = c->norm_scale / (c->obs_sigma * c->obs_sigma) * invb;
      total += vae_rec_nll (m, yr, xr, NULL, ni);
      for (int j = 0; j < D; j++)
        d[j] = (yr[j] * c->norm_scale + c->norm_mean - xr[j]) * k;
    } else {
      /* Σ w·½(y − t)², w = 1 without loss weights: vae_rec_nll's sum */
      const float *xin = ws->x + (size_t) i * ni, *lw = m->loss_w;
      double s = 0.0;
      for (int j = 0; j < D; j++) {
        float t = vae_norm (c, xr[j]), wj = lw ? lw[j] : 1.0f;
        if (c->residual)
          t = xin[j] - t;
        float e = yr[j] - t;
        s += 0.5 * wj * e * e;
        d[j] = wj * e * invb;
      }
      total += s;
    }
  }
  return total;
}

static void adam_range (VaeModel *m, const VaeTrainOpts *o, long step,
    size_t i0, size_t i1);

/* Adam run inside the backward pass: on each layer as soon as its gradients
 * are whole (its backward has read its weights for the last time), while
 * they and the weights are still in cache.  The update is the same per
 * parameter, so are the bits; only where the gradients are not summed
 * after the pass (one thread). */
typedef struct {
  const VaeTrainOpts *o;
  long step;
} AdamInPass;

/* The end of layer l's slice of the parameters (its weights, padding,
 * biases, padding): the slices tile n_params */
static size_t
layer_end (const VaeModel *m, int l)
{
  return l + 1 < m->n_layers ? m->layers[l + 1].w_off : m->n_params;
}

/* vae_net_forward, in bf16 on a workspace given vae_workspace_use_bf16 */
static void
net_forward (const VaeModel *m, VaeWorkspace *ws, const float *in, int batch,
    int l0, int l1)
{
  if (ws->h_a == NULL) {
    vae_net_forward (m, ws, in, batch, l0, l1);
    return;
  }
  for (int l = l0; l < l1; l++) {
    const VaeLayer *L = &m->layers[l];
    vae_dense_forward_bf16 (ws, ws->act[l], l == l0 ? in : ws->act[l - 1],
        m->params + L->w_off, m->params + L->b_off, batch, L->n_in, L->n_out,
        L->act);
  }
}

static void
layer_backward (VaeModel *m, VaeWorkspace *ws, float *grads, int l,
    const float *x, float *dx, int batch, const AdamInPass *adam)
{
  const VaeLayer *L = &m->layers[l];
  /* grads were zeroed for this pass and each layer comes here once */
  if (ws->h_a != NULL)
    vae_dense_backward_set_bf16 (ws, dx, grads + L->w_off, grads + L->b_off,
        ws->dact[l], ws->act[l], x, m->params + L->w_off, batch, L->n_in,
        L->n_out, L->act);
  else
    vae_dense_backward_set (dx, grads + L->w_off, grads + L->b_off,
        ws->dact[l], ws->act[l], x, m->params + L->w_off, batch, L->n_in,
        L->n_out, L->act);
  if (adam != NULL) {
    adam_range (m, adam->o, adam->step, L->w_off, layer_end (m, l));
  }
}

/* Loss and gradients of `batch` samples into grads (zeroed first), every
 * term divided by norm_batch: the whole batch's size when these samples are
 * one shard of it.  *rec gets the summed NLL, *reg the summed KL (VAE) or
 * the sparsity penalty (sparse AE, whose batch must be whole). */
static void
loss_grad (VaeModel *m, VaeWorkspace *ws, float *grads, const float *x_in,
    const float *x_target, const float *level, int batch, int norm_batch,
    const float *eps, float beta, VaeRng *rng, const AdamInPass *adam,
    double *rec_out, double *reg_out)
{
  const VaeConfig *c = &m->cfg;
  int K = c->n_latent, ne = m->n_enc_layers, nl = m->n_layers;
  float invb = 1.0f / norm_batch;
  double rec, reg = 0.0;
  const float *dec_in;

  if (c->conv_depth > 0) {
    *rec_out = vae_conv_loss_grad (m, ws, grads, x_in, x_target, level,
        batch, norm_batch);
    *reg_out = 0.0;
    if (adam != NULL)
      adam_range (m, adam->o, adam->step, 0, m->n_params);
    return;
  }
  /* Each layer's dW is written whole by its backward (dense_backward_set),
   * so only what is added to (the biases) and the slices' padding start
   * at zero: clearing all of grads cost a full pass over them a step */
  for (int l = 0; l < nl; l++) {
    const VaeLayer *L = &m->layers[l];
    size_t wend = L->w_off + (size_t) L->n_in * L->n_out;
    memset (grads + wend, 0, (layer_end (m, l) - wend) * sizeof (float));
  }

  /* forward: encoder */
  vae_load_input (m, ws, x_in, batch, level, 0.0f);
  net_forward (m, ws, ws->x, batch, 0, ne);

  /* reparameterisation: z = μ + exp(½ log σ²) ⊙ ε */
  if (c->kind == VAE_KIND_VAE) {
    const float *h = ws->act[ne - 1];
    for (int i = 0; i < batch; i++) {
      for (int j = 0; j < K; j++) {
        size_t ij = (size_t) i * K + j;
        float e = eps ? eps[ij] : vae_rng_normal (rng);
        ws->eps[ij] = e;
        ws->z[ij] = h[(size_t) i * 2 * K + j]
            + expf (0.5f * h[(size_t) i * 2 * K + K + j]) * e;
      }
    }
    dec_in = ws->z;
  } else {
    dec_in = ws->act[ne - 1];
  }
  net_forward (m, ws, dec_in, batch, ne, nl);

  /* loss and backward: decoder */
  rec = output_grad (m, ws, x_target, batch, invb);
  for (int l = nl - 1; l >= ne; l--) {
    const float *x = l == ne ? dec_in : ws->act[l - 1];
    float *dx = l == ne ? (c->kind == VAE_KIND_VAE ? ws->dz : ws->dact[ne - 1])
        : ws->dact[l - 1];
    layer_backward (m, ws, grads, l, x, dx, batch, adam);
  }

  /* code-layer terms */
  if (c->kind == VAE_KIND_VAE) {
    const float *h = ws->act[ne - 1];
    float *dh = ws->dact[ne - 1];
    for (int i = 0; i < batch; i++) {
      const float *mu = h + (size_t) i * 2 * K, *lv = mu + K;
      float *dmu = dh + (size_t) i * 2 * K, *dlv = dmu + K;
      for (int j = 0; j < K; j++) {
        size_t ij = (size_t) i * K + j;
        float s = expf (0.5f * lv[j]);
        dmu[j] = ws->dz[ij] + beta * mu[j] * invb;
        dlv[j] = ws->dz[ij] * ws->eps[ij] * 0.5f * s
            + beta * 0.5f * (s * s - 1.0f) * invb;
      }
      reg += vae_gaussian_kl (mu, lv, K);
    }
  } else if (c->kind == VAE_KIND_SPARSE_AE) {
    /* β·Σⱼ KL(ρ ‖ ρ̂ⱼ), ρ̂ⱼ = mean over the batch of code unit j */
    const float *a = ws->act[ne - 1];
    float *da = ws->dact[ne - 1];
    float rho = c->sparse_rho;
    for (int j = 0; j < K; j++) {
      double mean = 0.0;
      float rh, g;
      for (int i = 0; i < batch; i++)
        mean += a[(size_t) i * K + j];
      rh = (float) (mean * invb);
      rh = fminf (fmaxf (rh, 1e-6f), 1.0f - 1e-6f);
      reg += rho * log (rho / rh) + (1.0 - rho) * log ((1.0 - rho) / (1.0 - rh));
      g = c->sparse_beta * (-rho / rh + (1.0f - rho) / (1.0f - rh)) * invb;
      for (int i = 0; i < batch; i++)
        da[(size_t) i * K + j] += g;
    }
    reg *= c->sparse_beta;
  }

  /* backward: encoder */
  for (int l = ne - 1; l >= 0; l--) {
    const float *x = l == 0 ? ws->x : ws->act[l - 1];
    layer_backward (m, ws, grads, l, x, l == 0 ? NULL : ws->dact[l - 1],
        batch, adam);
  }
  *rec_out = rec;
  *reg_out = reg;
}

/* The per-sample loss of a batch from loss_grad's sums. */
static void
loss_summary (const VaeConfig *c, double rec, double reg, int batch,
    float beta, VaeLoss *out)
{
  float invb = 1.0f / batch;
  out->rec = (float) (rec * invb);
  out->beta = beta;
  if (c->kind == VAE_KIND_VAE) {
    out->kl = (float) (reg * invb);
    out->loss = out->rec + beta * out->kl;
  } else {
    out->kl = (float) reg;
    out->loss = out->rec + out->kl;
  }
}

/* The VAE's β at `step`: kl_beta, reached linearly over kl_anneal_steps. */
static float
kl_beta_at (const VaeConfig *c, const VaeTrainOpts *o, long step)
{
  if (c->kind != VAE_KIND_VAE)
    return 0.0f;
  if (o->kl_anneal_steps > 0 && step < o->kl_anneal_steps)
    return o->kl_beta * (float) step / (float) o->kl_anneal_steps;
  return o->kl_beta;
}

/* One whole batch into m->grads, checked, with its per-sample loss; Adam
 * inside the pass when adam is set. */
static int
model_loss_grad (VaeModel *m, VaeWorkspace *ws, const float *x_in,
    const float *x_target, const float *level, int batch, const float *eps,
    float beta, VaeRng *rng, const AdamInPass *adam, VaeLoss *out)
{
  double rec, reg;

  if (m->grads == NULL || !ws->training)
    return VAE_ERR_ARG;
  if (batch < 1 || batch > ws->max_batch)
    return VAE_ERR_ARG;
  loss_grad (m, ws, m->grads, x_in, x_target, level, batch, batch, eps, beta,
      rng, adam, &rec, &reg);
  if (out != NULL)
    loss_summary (&m->cfg, rec, reg, batch, beta, out);
  return VAE_OK;
}

int
vae_model_loss_grad (VaeModel *m, VaeWorkspace *ws, const float *x_in,
    const float *x_target, const float *level, int batch, const float *eps,
    float beta, VaeRng *rng, VaeLoss *out)
{
  return model_loss_grad (m, ws, x_in, x_target, level, batch, eps, beta,
      rng, NULL, out);
}

/* Adam on parameters [i0, i1) with the gradients in m->grads: 16 lanes
 * where the CPU has AVX-512, 8 where it has AVX2, with the same bits (ISO C
 * mode: no FMA contraction, as VAE_AVX2_CLONE).  It reads and writes four
 * floats per parameter, hence AdamInPass; on AMD Zen 4 memory bounds it
 * more than its division does (the AVX-512 clone took it from 12.8% to
 * 11.7% of a bf16 epoch), on Intel's cores the 16-lane division and square
 * root do (one of each per parameter: 11.4% -> 8.7% of a float epoch,
 * perf, Intel Xeon with AMX). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__ ((target_clones ("avx512f", "avx2", "default")))
#endif
static void
adam_range (VaeModel *m, const VaeTrainOpts *o, long step, size_t i0,
    size_t i1)
{
  double t = (double) step + 1.0;
  float lr = o->lr;
  float bc1, bc2;
  if (o->lr_final >= 0.0f && o->total_steps > 0) {
    double f = fmin (1.0, (double) step / (double) o->total_steps);
    lr = (float) (o->lr_final + 0.5 * (o->lr - o->lr_final)
        * (1.0 + cos (M_PI * f)));
  }
  bc1 = (float) (1.0 - pow (o->beta1, t));
  bc2 = (float) (1.0 - pow (o->beta2, t));
  {
    /* Local copies and restrict let the compiler vectorise the loop.  The
     * bias corrections are folded into two constants, as PyTorch's Adam
     * does (step size lr / bc1, √v / √bc2): one division and one square
     * root per parameter, where a 16-lane division alone takes about 10
     * cycles on Intel's cores. */
    const float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    const float step1 = lr / bc1, rs2 = (float) (1.0 / sqrt ((double) bc2));
    const float lwd = lr * o->weight_decay;
    float *restrict p = m->params, *restrict am = m->adam_m;
    float *restrict av = m->adam_v;
    const float *restrict gr = m->grads;
    for (size_t i = i0; i < i1; i++) {
      float g = gr[i];
      float mm = am[i] = b1 * am[i] + c1 * g;
      float vv = av[i] = b2 * av[i] + c2 * g * g;
      p[i] -= step1 * mm / (sqrtf (vv) * rs2 + eps) + lwd * p[i];
    }
  }
}

void
vae_model_adam_step (VaeModel *m, const VaeTrainOpts *o, long step)
{
  vae_model_drop_quant (m);
  adam_range (m, o, step, 0, m->n_params);
}

void
vae_corrupt_batch (const VaeConfig *c, const VaeTrainOpts *o,
    const float *x_clean, int batch, VaeRng *rng, float *x_noisy,
    float *levels)
{
  for (int i = 0; i < batch; i++) {
    size_t off = (size_t) i * c->n_in;
    float *t = x_noisy + off;
    levels[i] = c->noise_min + (c->noise_max - c->noise_min)
        * vae_rng_uniform (rng);
    if (c->colour && c->noise == VAE_NOISE_GAUSSIAN)
      vae_noise_yuv420_f32 (levels[i], c->img_w, c->img_h, x_clean + off, t,
          rng);
    else
      vae_noise_apply_f32 (c->noise, levels[i], 0.0f, 1.0f, x_clean + off,
          t, c->n_in, rng);
    if (o->u8_fraction > 0.0f && c->noise == VAE_NOISE_GAUSSIAN
        && vae_rng_uniform (rng) < o->u8_fraction) {
      for (int j = 0; j < c->n_in; j++) {
        float v = roundf (t[j] * 255.0f);
        t[j] = (v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v) / 255.0f;
      }
    }
  }
}

int
vae_model_train_step (VaeModel *m, VaeWorkspace *ws, const float *x_clean,
    int batch, const VaeTrainOpts *o, long step, VaeRng *rng, VaeLoss *out)
{
  const VaeConfig *c = &m->cfg;
  const float *x_in = x_clean;
  const float *levels = NULL;
  const AdamInPass adam = { o, step };

  if (batch < 1 || batch > ws->max_batch)
    return VAE_ERR_ARG;
  if (c->noise != VAE_NOISE_NONE) {
    vae_corrupt_batch (c, o, x_clean, batch, rng, ws->tmp, ws->tmp2);
    x_in = ws->tmp;
    levels = ws->tmp2;
  }
  return model_loss_grad (m, ws, x_in, x_clean, levels, batch, NULL,
      kl_beta_at (c, o, step), rng, &adam, out);
}

int
vae_model_train_step_pairs (VaeModel *m, VaeWorkspace *ws, const float *x_in,
    const float *x_clean, const float *levels, int batch,
    const VaeTrainOpts *o, long step, VaeRng *rng, VaeLoss *out)
{
  const AdamInPass adam = { o, step };

  if (batch < 1 || batch > ws->max_batch)
    return VAE_ERR_ARG;
  return model_loss_grad (m, ws, x_in, x_clean, levels, batch, NULL,
      kl_beta_at (&m->cfg, o, step), rng, &adam, out);
}

/* ------------------------------------------------ data-parallel training */

struct VaeTrainPool {
  VaeModel *m;
  int n;                      /* threads = shards; 1: vae_model_train_step */
  int max_batch;
  VaeWorkspace *ws[VAE_MAX_THREADS];
  float *grads[VAE_MAX_THREADS]; /* [0] is the model's own */
  double rec[VAE_MAX_THREADS], reg[VAE_MAX_THREADS];
  float *x_noisy, *levels, *eps;
  VaePool *pool;
  /* the step being run */
  int batch, shard, n_shards;
  const float *x_in, *x_clean, *lv;
  const VaeTrainOpts *o;
  long step;
  float beta;
};

/* A step in two runs on the pool.  First, shard i's loss and gradients. */
static void
shard_grads (void *data, int i)
{
  VaeTrainPool *p = data;
  VaeModel *m = p->m;
  const VaeConfig *c = &m->cfg;
  int s0 = i * p->shard, n = p->batch - s0 < p->shard ? p->batch - s0
      : p->shard;
  if (i >= p->n_shards)
    return;
  loss_grad (m, p->ws[i], p->grads[i], p->x_in + (size_t) s0 * c->n_in,
      p->x_clean + (size_t) s0 * c->n_in, p->lv ? p->lv + s0 : NULL, n,
      p->batch, c->kind == VAE_KIND_VAE ? p->eps + (size_t) s0 * c->n_latent
      : NULL, p->beta, NULL, NULL, &p->rec[i], &p->reg[i]);
}

/* Then the shards' gradients summed into the model's (in shard order, so
 * the sum is the same on every run) and Adam, each thread on its own slice
 * of the parameters. */
static void
sum_and_adam (void *data, int i)
{
  VaeTrainPool *p = data;
  VaeModel *m = p->m;
  /* slices of whole cache lines */
  size_t per = (m->n_params / p->n + 15) / 16 * 16;
  size_t i0 = per * i, i1 = i0 + per < m->n_params ? i0 + per : m->n_params;
  float *restrict g = m->grads;
  if (i0 >= i1)
    return;
  for (int k = 1; k < p->n_shards; k++) {
    const float *restrict h = p->grads[k];
    for (size_t j = i0; j < i1; j++)
      g[j] += h[j];
  }
  adam_range (m, p->o, p->step, i0, i1);
}

void
vae_train_pool_free (VaeTrainPool *p)
{
  if (p == NULL)
    return;
  vae_pool_free (p->pool);
  for (int i = 0; i < p->n; i++) {
    vae_workspace_free (p->ws[i]);
    if (i > 0)
      vae_aligned_free (p->grads[i]);
  }
  vae_aligned_free (p->x_noisy);
  vae_aligned_free (p->levels);
  vae_aligned_free (p->eps);
  g_free (p);
}

VaeTrainPool *
vae_train_pool_new (VaeModel *m, int max_batch, int threads, VaeError *err)
{
  const VaeConfig *c = &m->cfg;
  VaeTrainPool *p;
  int shard;

  if (max_batch < 1 || threads < 1 || threads > VAE_MAX_THREADS) {
    vae_set_error (err, VAE_ERR_ARG, "batch %d or threads %d out of range "
        "(threads 1..%d)", max_batch, threads, VAE_MAX_THREADS);
    return NULL;
  }
  if (vae_model_prepare_training (m, err) != VAE_OK)
    return NULL;
  /* the sparsity penalty needs the whole batch's mean activations */
  if (c->kind == VAE_KIND_SPARSE_AE || threads > max_batch)
    threads = 1;
  p = g_new0 (VaeTrainPool, 1);
  p->m = m;
  p->n = threads;
  p->max_batch = max_batch;
  shard = (max_batch + threads - 1) / threads;
  p->grads[0] = m->grads;
  for (int i = 0; i < threads; i++) {
    p->ws[i] = vae_workspace_new (m, i == 0 && threads == 1 ? max_batch
        : shard, 1, err);
    if (p->ws[i] == NULL)
      goto fail;
    if (i > 0 && !(p->grads[i] = vae_aligned_alloc (m->n_params
                * sizeof (float))))
      goto nomem;
  }
  p->x_noisy = vae_aligned_alloc ((size_t) max_batch * c->n_in * sizeof (float));
  p->levels = vae_aligned_alloc ((size_t) max_batch * sizeof (float));
  p->eps = vae_aligned_alloc ((size_t) max_batch * c->n_latent * sizeof (float));
  if (!p->x_noisy || !p->levels || !p->eps)
    goto nomem;
  /* the threads sleep between runs (spinning never measured here) */
  p->pool = vae_pool_new ("vae-train", threads, 0, err);
  if (p->pool == NULL)
    goto fail;
  /* every shard's GEMMs on its own thread */
  if (threads > 1)
    vae_blas_threads (1);
  return p;
nomem:
  vae_set_error (err, VAE_ERR_NOMEM, "cannot allocate training state for %d "
      "threads", threads);
fail:
  vae_train_pool_free (p);
  return NULL;
}

int
vae_train_pool_use_bf16 (VaeTrainPool *p, VaeError *err)
{
  for (int i = 0; i < p->n; i++) {
    int r = vae_workspace_use_bf16 (p->ws[i], p->m, err);
    if (r != VAE_OK)
      return r;
  }
  return VAE_OK;
}

int
vae_train_pool_threads (const VaeTrainPool *p)
{
  return p->n;
}

/* A step on x_in (x_clean corrupted here when x_in is NULL) and levels. */
static int
pool_step (VaeTrainPool *p, const float *x_in, const float *x_clean,
    const float *levels, int batch, const VaeTrainOpts *o, long step,
    VaeRng *rng, VaeLoss *out)
{
  VaeModel *m = p->m;
  const VaeConfig *c = &m->cfg;
  double rec = 0.0, reg = 0.0;

  if (batch < 1 || batch > p->max_batch)
    return VAE_ERR_ARG;
  if (p->n == 1)
    return x_in ? vae_model_train_step_pairs (m, p->ws[0], x_in, x_clean,
        levels, batch, o, step, rng, out) : vae_model_train_step (m,
        p->ws[0], x_clean, batch, o, step, rng, out);
  /* the random numbers in vae_model_train_step's order: the corruption,
   * then ε sample by sample */
  p->x_in = x_in ? x_in : x_clean;
  p->lv = levels;
  if (x_in == NULL && c->noise != VAE_NOISE_NONE) {
    vae_corrupt_batch (c, o, x_clean, batch, rng, p->x_noisy, p->levels);
    p->x_in = p->x_noisy;
    p->lv = p->levels;
  } else if (x_in == NULL)
    p->lv = NULL;
  p->beta = kl_beta_at (c, o, step);
  if (c->kind == VAE_KIND_VAE)
    for (size_t i = 0; i < (size_t) batch * c->n_latent; i++)
      p->eps[i] = vae_rng_normal (rng);
  p->x_clean = x_clean;
  p->batch = batch;
  p->shard = (batch + p->n - 1) / p->n;
  p->n_shards = (batch + p->shard - 1) / p->shard;
  p->o = o;
  p->step = step;
  vae_pool_run (p->pool, shard_grads, p);
  vae_pool_run (p->pool, sum_and_adam, p);
  for (int i = 0; i < p->n_shards; i++) {
    rec += p->rec[i];
    reg += p->reg[i];
  }
  if (out != NULL)
    loss_summary (c, rec, reg, batch, p->beta, out);
  return VAE_OK;
}

int
vae_train_pool_step (VaeTrainPool *p, const float *x_clean, int batch,
    const VaeTrainOpts *o, long step, VaeRng *rng, VaeLoss *out)
{
  return pool_step (p, NULL, x_clean, NULL, batch, o, step, rng, out);
}

int
vae_train_pool_step_pairs (VaeTrainPool *p, const float *x_in,
    const float *x_clean, const float *levels, int batch,
    const VaeTrainOpts *o, long step, VaeRng *rng, VaeLoss *out)
{
  return pool_step (p, x_in, x_clean, levels, batch, o, step, rng, out);
}
