/* 8-bit weights for the patch denoiser, calibrated on data (GPTQ).
 *
 * The int8 path (denoise_i8.c, gemm_i8.c) multiplies 8-bit codes of each layer's
 * input (the pixels themselves for layer 0, then the hidden activations)
 * by 7-bit signed weights and sums exactly in int32.  Rounding each weight
 * to its nearest code on its own loses quality on held-out patches.  Here
 * each row is quantised column by column, and the rounding error of every
 * column is spread over the columns not yet quantised so as to keep the
 * row's output on the calibration data, the optimal-brain-quantisation
 * update of GPTQ (Frantar et al., 2022):
 *
 *   H = E[u uᵀ] over the calibration inputs u (with a constant 1 last:
 *   the bias, kept in float, absorbs the error's mean), U the upper
 *   Cholesky factor of H⁻¹; for column i: q = round(w_i / s), e = (w_i −
 *   q s) / U_ii, w_{i+1…} −= e · U_{i, i+1…}.
 *
 * Layers are quantised in order, each on the codes the quantised layers
 * before it produce.  Activation codes: h / act[j], act[j] the unit's
 * maximum on the calibration data / 255 (clipping at a high percentile
 * instead measured worse).  Per row, s = max |w| / VAE_QUANT_WMAX. */
#include "vae_private.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *
vae_quant_unfit (const VaeModel *m)
{
  if (m->cfg.conv_depth > 0 || m->cfg.kind == VAE_KIND_VAE)
    return "a dense (patch) denoiser";
  for (int l = 0; l < m->n_layers - 1; l++)
    if (m->layers[l].act != VAE_ACT_RELU)
      return "ReLU hidden layers";
  if (m->layers[m->n_layers - 1].act != VAE_ACT_IDENTITY)
    return "a linear output layer";
  return NULL;
}

/* In place: the lower Cholesky factor of the SPD n × n matrix a (row-major,
 * upper part left alone).  0, or -1 if a is not positive definite. */
static int
cholesky (double *a, int n)
{
  for (int j = 0; j < n; j++) {
    double d = a[(size_t) j * n + j];
    for (int k = 0; k < j; k++)
      d -= a[(size_t) j * n + k] * a[(size_t) j * n + k];
    if (!(d > 0.0))
      return -1;
    d = sqrt (d);
    a[(size_t) j * n + j] = d;
    for (int i = j + 1; i < n; i++) {
      double s = a[(size_t) i * n + j];
      for (int k = 0; k < j; k++)
        s -= a[(size_t) i * n + k] * a[(size_t) j * n + k];
      a[(size_t) i * n + j] = s / d;
    }
  }
  return 0;
}

/* U with H⁻¹ = Uᵀ U (upper, row-major) from H (n × n, damped here). */
static int
gptq_factor (double *h, int n, double *u)
{
  double mean = 0.0;
  double *li = u;             /* L⁻¹ first, then overwritten */
  for (int i = 0; i < n; i++)
    mean += h[(size_t) i * n + i];
  mean = mean / n > 0.0 ? mean / n : 1.0;
  for (int i = 0; i < n; i++)
    h[(size_t) i * n + i] += 0.01 * mean;
  if (cholesky (h, n) != 0)
    return -1;
  /* L⁻¹, lower, by forward substitution on the identity */
  memset (li, 0, (size_t) n * n * sizeof (double));
  for (int j = 0; j < n; j++) {
    li[(size_t) j * n + j] = 1.0 / h[(size_t) j * n + j];
    for (int i = j + 1; i < n; i++) {
      double s = 0.0;
      for (int k = j; k < i; k++)
        s += h[(size_t) i * n + k] * li[(size_t) k * n + j];
      li[(size_t) i * n + j] = -s / h[(size_t) i * n + i];
    }
  }
  /* H⁻¹ = L⁻ᵀ L⁻¹ into h (full) */
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++) {
      double s = 0.0;
      for (int k = i; k < n; k++)
        s += li[(size_t) k * n + i] * li[(size_t) k * n + j];
      h[(size_t) i * n + j] = h[(size_t) j * n + i] = s;
    }
  if (cholesky (h, n) != 0)
    return -1;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      u[(size_t) i * n + j] = j >= i ? h[(size_t) j * n + i] : 0.0;
  return 0;
}

/* Row w (k weights, then the bias last: n = k + 1 entries, modified) to
 * codes q and scale; returns the corrected bias. */
static double
gptq_row (double *w, int k, const double *u, int8_t *q, float *scale)
{
  int n = k + 1;
  double mx = 0.0, s;
  for (int i = 0; i < k; i++)
    mx = fabs (w[i]) > mx ? fabs (w[i]) : mx;
  s = mx > 0.0 ? mx / VAE_QUANT_WMAX : 1.0;
  for (int i = 0; i < k; i++) {
    double v = nearbyint (w[i] / s), e;
    v = v > VAE_QUANT_WMAX ? VAE_QUANT_WMAX : v < -VAE_QUANT_WMAX
        ? -VAE_QUANT_WMAX : v;
    q[i] = (int8_t) v;
    e = (w[i] - v * s) / u[(size_t) i * n + i];
    for (int j = i + 1; j < n; j++)
      w[j] -= e * u[(size_t) i * n + j];
  }
  *scale = (float) s;
  return w[k];
}

/* Calibration memory: every sample's input codes for the layer being
 * quantised and the one after it, and the GPTQ matrices. */
enum { QUANT_BATCH = 256, CAL_BLOCK = 2048 };
typedef struct {
  uint8_t *codes[2];          /* (n, max width) layer input codes, by parity */
  double *h, *u;              /* (k + 1, k + 1) H, then U */
  double *row;                /* (k + 1) a row's weights and bias */
  double *blk;                /* (CAL_BLOCK, k + 1) calibration rows */
  float *hf;                  /* (max width) a layer's output */
  uint8_t *dead;              /* (max width) the input units never active */
} QuantScratch;

static void
quant_scratch_free (QuantScratch *s)
{
  free (s->codes[0]);
  free (s->codes[1]);
  free (s->h);
  free (s->u);
  free (s->row);
  free (s->blk);
  free (s->hf);
  free (s->dead);
}

static int
quant_scratch_alloc (QuantScratch *s, const VaeModel *m, int n)
{
  int maxw = m->cfg.n_in;
  for (int l = 0; l < m->n_layers; l++)
    maxw = m->layers[l].n_out > maxw ? m->layers[l].n_out : maxw;
  s->codes[0] = malloc ((size_t) n * maxw);
  s->codes[1] = malloc ((size_t) n * maxw);
  s->h = malloc ((size_t) (maxw + 1) * (maxw + 1) * sizeof (double));
  s->u = malloc ((size_t) (maxw + 1) * (maxw + 1) * sizeof (double));
  s->row = malloc ((size_t) (maxw + 1) * sizeof (double));
  s->blk = malloc ((size_t) CAL_BLOCK * (maxw + 1) * sizeof (double));
  s->hf = malloc ((size_t) maxw * sizeof (float));
  s->dead = malloc ((size_t) maxw);
  return s->codes[0] && s->codes[1] && s->h && s->u && s->row && s->blk
      && s->hf && s->dead;
}

/* Layer 0's input codes: the pixels in 8 bits, as a GRAY8 plane has them. */
static void
pixel_codes (const float *x, size_t n, uint8_t *codes)
{
  for (size_t i = 0; i < n; i++) {
    float v = nearbyintf (x[i] * 255.0f);
    codes[i] = (uint8_t) (v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
  }
}

/* H = E[ũ ũᵀ], ũ = (codes, 1), over n samples of k codes (in), by blocks
 * of rows through dsyrk; both triangles filled. */
static void
second_moments (const uint8_t *in, int n, int k, double *blk, double *h)
{
  for (int i0 = 0; i0 < n; i0 += CAL_BLOCK) {
    int b = n - i0 < CAL_BLOCK ? n - i0 : CAL_BLOCK;
    for (int i = 0; i < b; i++) {
      const uint8_t *ui = in + (size_t) (i0 + i) * k;
      double *di = blk + (size_t) i * (k + 1);
      for (int r = 0; r < k; r++)
        di[r] = ui[r];
      di[k] = 1.0;
    }
    cblas_dsyrk (CblasRowMajor, CblasLower, CblasTrans, k + 1, b,
        1.0 / n, blk, k + 1, i0 == 0 ? 0.0 : 1.0, h, k + 1);
  }
  for (int r = 0; r <= k; r++)
    for (int s = 0; s < r; s++)
      h[(size_t) s * (k + 1) + r] = h[(size_t) r * (k + 1) + s];
}

/* Layer l's rows to codes, scales and biases with U from gptq_factor.
 * dead (l > 0): the input units never active on the calibration data.
 * Their codes are all 0 there, so nothing bounds their weights; one large
 * weight would set the whole row's scale and leave the others a few codes
 * (two such units cost the colour model's output layer 3.8 levels RMS
 * instead of 0.5).  They are clipped to the live weights' range. */
static void
quantize_rows (const VaeModel *m, VaeQuant *q, int l, const double *u,
    const uint8_t *dead, double *row)
{
  const VaeConfig *c = &m->cfg;
  const VaeLayer *L = &m->layers[l];
  const float *W = m->params + L->w_off, *bb = m->params + L->b_off;
  int k = q->k[l];
  /* the float weights as they act on codes: layer 0 on pixel values v,
   * x = v / (255 s) − μ / s; later layers on h = code · act */
  double a0 = 1.0 / (255.0 * c->norm_scale), c0 = -c->norm_mean
      / c->norm_scale;

  for (int j = 0; j < L->n_out; j++) {
    const float *wj = W + (size_t) j * L->n_in;
    double bias = bb[j];
    double lim = 0.0;
    for (int i = 0; i < k; i++) {
      if (l == 0) {
        row[i] = wj[i] * a0;
        bias += wj[i] * c0;
      } else {
        row[i] = (double) wj[i] * q->act[l - 1][i];
        lim = dead[i] ? lim : fmax (lim, fabs (row[i]));
      }
    }
    for (int i = 0; l > 0 && i < k; i++)
      if (dead[i])
        row[i] = fmax (-lim, fmin (lim, row[i]));
    row[k] = bias;
    q->bias[l][j] = (float) gptq_row (row, k, u, q->w[l]
        + (size_t) j * k, &q->scale[l][j]);
  }
}

/* Int8 layer l's output for one sample from its input codes u, into out
 * (its n_out floats): the ReLU'd hidden activation, level term included,
 * or the output layer's linear value. */
static void
int8_layer (const VaeModel *m, const VaeQuant *q, int l, const uint8_t *u,
    float level, float *out)
{
  const VaeConfig *c = &m->cfg;
  const VaeLayer *L = &m->layers[l];
  const float *W = m->params + L->w_off;
  int k = q->k[l], last = l == m->n_layers - 1;

  for (int j = 0; j < L->n_out; j++) {
    const int8_t *qj = q->w[l] + (size_t) j * k;
    int32_t acc = 0;
    for (int r = 0; r < k; r++)
      acc += (int32_t) u[r] * qj[r];
    float v = acc * q->scale[l][j] + q->bias[l][j];
    if (l == 0 && c->noise_input)
      v += level / 255.0f / c->norm_scale * W[(size_t) j * L->n_in + c->n_in];
    out[j] = last || v > 0.0f ? v : 0.0f;
  }
}

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

/* The n units' maxima in act to code scales, max / 255, and dead[j] set
 * for the units never active.  Those take the live units' median scale,
 * so that they have codes of a sensible step should they fire later.
 * tmp: n floats of scratch. */
static void
activation_scales (float *act, int n, float *tmp, uint8_t *dead)
{
  int live = 0;
  for (int j = 0; j < n; j++) {
    dead[j] = !(act[j] > 0.0f);
    if (!dead[j])
      tmp[live++] = act[j];
  }
  qsort (tmp, (size_t) live, sizeof *tmp, cmp_float);
  for (int j = 0; j < n; j++)
    act[j] = (act[j] > 0.0f ? act[j] : live ? tmp[live / 2] : 255.0f)
        / 255.0f;
}

/* The quantised hidden layer l's activations on the calibration data:
 * their maxima into q->act[l] (pass 0), then their codes into out for the
 * next layer (pass 1); h: scratch of the layer's width. */
static void
activation_codes (const VaeModel *m, VaeQuant *q, int l, const uint8_t *in,
    const float *levels, int n, uint8_t *out, float *h, uint8_t *dead)
{
  int k = q->k[l], no = m->layers[l].n_out;

  for (int pass = 0; pass < 2; pass++) {
    for (int j = 0; pass == 0 && j < no; j++)
      q->act[l][j] = 0.0f;
    for (int i = 0; i < n; i++) {
      int8_layer (m, q, l, in + (size_t) i * k, levels ? levels[i] : 0.0f, h);
      for (int j = 0; j < no; j++) {
        if (pass == 0) {
          q->act[l][j] = h[j] > q->act[l][j] ? h[j] : q->act[l][j];
        } else {
          float cv = nearbyintf (h[j] / q->act[l][j]);
          out[(size_t) i * no + j] = (uint8_t) (cv > 255.0f ? 255.0f : cv);
        }
      }
    }
    if (pass == 0)
      activation_scales (q->act[l], no, h, dead);
  }
}

/* The RMS difference between the int8 network's outputs and the float
 * network's on the calibration samples, in 8-bit levels.  in: the codes
 * the last int8 layer takes; float layers after it take its output as
 * floats. */
static int
int8_rms (const VaeModel *m, const VaeQuant *q, const uint8_t *in,
    const float *x, const float *levels, int n, double *rms, VaeError *err)
{
  const VaeConfig *c = &m->cfg;
  int nl = m->n_layers, no = m->layers[nl - 1].n_out, lq = q->n_layers - 1;
  int k = q->k[lq], hq = m->layers[lq].n_out, P = c->n_in;
  VaeWorkspace *ws = vae_workspace_new (m, QUANT_BATCH, 0, err);
  VaeWorkspace *wq = vae_workspace_new (m, QUANT_BATCH, 0, err);
  float *lv = malloc (QUANT_BATCH * sizeof (float));
  float *h = malloc ((size_t) QUANT_BATCH * hq * sizeof (float));
  double se = 0.0;
  int rc = VAE_OK;

  if (ws == NULL || wq == NULL || lv == NULL || h == NULL) {
    rc = vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
    goto out;
  }
  for (int i0 = 0; i0 < n; i0 += QUANT_BATCH) {
    int b = n - i0 < QUANT_BATCH ? n - i0 : QUANT_BATCH;
    const float *y;
    for (int i = 0; i < b; i++)
      lv[i] = c->noise_input ? levels[i0 + i] / 255.0f : 0.0f;
    vae_load_input (m, ws, x + (size_t) i0 * P, b, lv, 0.0f);
    vae_net_forward (m, ws, ws->x, b, 0, nl);
    for (int i = 0; i < b; i++)
      int8_layer (m, q, lq, in + (size_t) (i0 + i) * k, levels ? levels[i0
              + i] : 0.0f, h + (size_t) i * hq);
    y = h;
    if (lq < nl - 1) {
      vae_net_forward (m, wq, h, b, lq + 1, nl);
      y = wq->act[nl - 1];
    }
    for (size_t i = 0; i < (size_t) b * no; i++) {
      double dv = (double) y[i] - ws->act[nl - 1][i];
      se += dv * dv;
    }
  }
  *rms = sqrt (se / ((double) n * no)) * c->norm_scale * 255.0;
out:
  vae_workspace_free (ws);
  vae_workspace_free (wq);
  free (lv);
  free (h);
  return rc;
}

int
vae_model_quantize (VaeModel *m, const float *x, const float *levels, int n,
    double *rms, VaeError *err)
{
  return vae_model_quantize_layers (m, x, levels, n, 0, rms, err);
}

int
vae_model_quantize_layers (VaeModel *m, const float *x, const float *levels,
    int n, int n_layers, double *rms, VaeError *err)
{
  const char *why = vae_quant_unfit (m);
  QuantScratch s = { { NULL, NULL }, NULL, NULL, NULL, NULL, NULL, NULL };
  VaeQuant *q = NULL;
  int rc = VAE_ERR_NOMEM;

  if (why)
    return vae_set_error (err, VAE_ERR_KIND, "int8 weights need %s", why);
  if (n < 1 || x == NULL || (m->cfg.noise_input && levels == NULL))
    return vae_set_error (err, VAE_ERR_ARG, "no calibration samples");
  if (n_layers < 0 || n_layers > m->n_layers)
    return vae_set_error (err, VAE_ERR_ARG, "%d int8 layers: the model has "
        "%d", n_layers, m->n_layers);
  q = vae_quant_new (m);
  if (!quant_scratch_alloc (&s, m, n) || q == NULL) {
    vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
    goto out;
  }
  pixel_codes (x, (size_t) n * m->cfg.n_in, s.codes[0]);
  if (n_layers > 0)
    q->n_layers = n_layers;
  /* layers in order, each on the codes the quantised ones before it make */
  for (int l = 0; l < q->n_layers; l++) {
    const uint8_t *in = s.codes[l & 1];
    int k = q->k[l];
    second_moments (in, n, k, s.blk, s.h);
    if (gptq_factor (s.h, k + 1, s.u) != 0) {
      rc = vae_set_error (err, VAE_ERR_ARG, "layer %d: the calibration "
          "inputs' second moments are singular", l);
      goto out;
    }
    quantize_rows (m, q, l, s.u, s.dead, s.row);
    if (l < q->n_layers - 1)
      activation_codes (m, q, l, in, levels, n, s.codes[(l + 1) & 1], s.hf,
          s.dead);
  }
  if (rms && (rc = int8_rms (m, q, s.codes[(q->n_layers - 1) & 1], x,
              levels, n, rms, err)) != VAE_OK)
    goto out;
  vae_quant_free (m->quant);
  m->quant = q;
  q = NULL;
  rc = VAE_OK;
out:
  vae_quant_free (q);
  quant_scratch_free (&s);
  return rc;
}
