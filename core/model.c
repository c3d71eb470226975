/* Model construction, parameter arena, workspace and inference. */
#include "vae_private.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_names[] = { "ae", "sparse-ae", "dae", "vae" };

const char *
vae_kind_name (VaeKind k)
{
  return (unsigned) k < 4 ? kind_names[k] : "unknown";
}

int
vae_kind_from_name (const char *name)
{
  for (int i = 0; i < 4; i++)
    if (strcmp (name, kind_names[i]) == 0)
      return i;
  return -1;
}

VaeConfig
vae_config_default (void)
{
  VaeConfig c;
  memset (&c, 0, sizeof c);
  c.kind = VAE_KIND_AE;
  c.likelihood = VAE_LIK_GAUSSIAN;
  c.img_w = c.img_h = 8;
  c.n_in = 64;
  c.n_latent = 16;
  c.act = VAE_ACT_RELU;
  c.code_act = VAE_ACT_IDENTITY;
  c.obs_sigma = 0.1f;
  c.sparse_rho = 0.05f;
  c.sparse_beta = 3.0f;
  c.noise = VAE_NOISE_NONE;
  c.norm_mean = 0.0f;
  c.norm_scale = 1.0f;
  return c;
}

static int
dim_ok (int d)
{
  return d >= 1 && d <= VAE_MAX_DIM;
}

int
vae_config_validate (const VaeConfig *c, VaeError *err)
{
  if ((unsigned) c->kind > VAE_KIND_VAE)
    return vae_set_error (err, VAE_ERR_CONFIG, "unknown model kind %d",
        (int) c->kind);
  if ((unsigned) c->likelihood > VAE_LIK_BERNOULLI)
    return vae_set_error (err, VAE_ERR_CONFIG, "unknown likelihood %d",
        (int) c->likelihood);
  if (c->img_w < 1 || c->img_h < 1 || c->img_w > 4096 || c->img_h > 4096)
    return vae_set_error (err, VAE_ERR_DIMS,
        "input geometry %dx%d outside 1..4096", c->img_w, c->img_h);
  if (!dim_ok (c->n_in) || (long) c->img_w * c->img_h != c->n_in)
    return vae_set_error (err, VAE_ERR_DIMS,
        "input size %d does not equal geometry %dx%d (max %d)", c->n_in,
        c->img_w, c->img_h, VAE_MAX_DIM);
  if (c->n_enc < 0 || c->n_enc > VAE_MAX_HIDDEN || c->n_dec < 0
      || c->n_dec > VAE_MAX_HIDDEN)
    return vae_set_error (err, VAE_ERR_DIMS,
        "hidden layer counts %d/%d outside 0..%d", c->n_enc, c->n_dec,
        VAE_MAX_HIDDEN);
  for (int i = 0; i < c->n_enc; i++)
    if (!dim_ok (c->enc[i]))
      return vae_set_error (err, VAE_ERR_DIMS,
          "encoder layer %d width %d outside 1..%d", i, c->enc[i],
          VAE_MAX_DIM);
  for (int i = 0; i < c->n_dec; i++)
    if (!dim_ok (c->dec[i]))
      return vae_set_error (err, VAE_ERR_DIMS,
          "decoder layer %d width %d outside 1..%d", i, c->dec[i],
          VAE_MAX_DIM);
  if (!dim_ok (c->n_latent) || (c->kind == VAE_KIND_VAE
          && 2 * c->n_latent > VAE_MAX_DIM))
    return vae_set_error (err, VAE_ERR_DIMS, "latent size %d out of range",
        c->n_latent);
  if ((unsigned) c->act > VAE_ACT_TANH || (unsigned) c->code_act > VAE_ACT_TANH)
    return vae_set_error (err, VAE_ERR_CONFIG, "unknown activation");
  if (!(c->norm_scale > 0.0f) || !isfinite (c->norm_scale)
      || !isfinite (c->norm_mean))
    return vae_set_error (err, VAE_ERR_CONFIG,
        "normalisation scale must be positive and finite");
  if (c->likelihood == VAE_LIK_BERNOULLI && (c->norm_mean != 0.0f
          || c->norm_scale != 1.0f))
    return vae_set_error (err, VAE_ERR_CONFIG,
        "a Bernoulli likelihood needs data in [0,1] (norm mean 0, scale 1)");
  if (c->kind == VAE_KIND_VAE && c->likelihood == VAE_LIK_GAUSSIAN
      && !(c->obs_sigma > 0.0f && isfinite (c->obs_sigma)))
    return vae_set_error (err, VAE_ERR_CONFIG,
        "Gaussian likelihood needs obs_sigma > 0");
  if (c->kind == VAE_KIND_SPARSE_AE) {
    if (c->code_act != VAE_ACT_SIGMOID)
      return vae_set_error (err, VAE_ERR_CONFIG,
          "a sparse AE needs a sigmoid code");
    if (!(c->sparse_rho > 0.0f && c->sparse_rho < 1.0f)
        || !(c->sparse_beta >= 0.0f) || !isfinite (c->sparse_beta))
      return vae_set_error (err, VAE_ERR_CONFIG,
          "sparsity target rho must be in (0,1) and beta >= 0");
  }
  if ((unsigned) c->noise > VAE_NOISE_MASK)
    return vae_set_error (err, VAE_ERR_CONFIG, "unknown noise model %d",
        (int) c->noise);
  if (!isfinite (c->noise_min) || !isfinite (c->noise_max)
      || c->noise_min < 0.0f || c->noise_max < c->noise_min)
    return vae_set_error (err, VAE_ERR_CONFIG,
        "noise range [%g, %g] invalid", c->noise_min, c->noise_max);
  if (c->noise != VAE_NOISE_GAUSSIAN && c->noise_max > 1.0f)
    return vae_set_error (err, VAE_ERR_CONFIG,
        "probability %g above 1", c->noise_max);
  if ((c->residual || c->noise_input) && c->kind != VAE_KIND_DAE)
    return vae_set_error (err, VAE_ERR_CONFIG,
        "residual and noise-input apply to denoising AEs only");
  if (c->kind == VAE_KIND_DAE && c->likelihood != VAE_LIK_GAUSSIAN)
    return vae_set_error (err, VAE_ERR_CONFIG,
        "denoising AEs use the Gaussian (MSE) loss");
  if (c->colour != VAE_COLOUR_NONE && (c->colour != VAE_COLOUR_YUV420
          || c->kind != VAE_KIND_DAE || (c->img_w & 1) || c->img_h % 3 != 0
          || (c->noise != VAE_NOISE_GAUSSIAN && c->noise != VAE_NOISE_NONE)))
    return vae_set_error (err, VAE_ERR_CONFIG, "a colour model is a DAE "
        "with Gaussian noise on an even-wide patch whose height is a "
        "multiple of 3 (got %dx%d)", c->img_w, c->img_h);
  if (c->conv_depth != 0) {
    if (c->kind != VAE_KIND_DAE)
      return vae_set_error (err, VAE_ERR_CONFIG,
          "convolutional models are denoising AEs (dae)");
    if (c->conv_depth < 2 || c->conv_depth > VAE_MAX_CONV_DEPTH
        || c->conv_width < 1 || c->conv_width > VAE_MAX_CONV_WIDTH
        || c->conv_kernel < 1 || c->conv_kernel > VAE_MAX_CONV_KERNEL
        || !(c->conv_kernel & 1))
      return vae_set_error (err, VAE_ERR_DIMS, "convolution depth %d, width "
          "%d or kernel %d outside 2..%d, 1..%d, odd 1..%d", c->conv_depth,
          c->conv_width, c->conv_kernel, VAE_MAX_CONV_DEPTH,
          VAE_MAX_CONV_WIDTH, VAE_MAX_CONV_KERNEL);
    if (c->n_enc != 0 || c->n_dec != 0 || c->n_latent != c->conv_width)
      return vae_set_error (err, VAE_ERR_CONFIG, "a convolutional model has "
          "no enc/dec layers and its latent size is its width");
  }
  return VAE_OK;
}

/* Layer l's n_in and n_out for configuration c (validated); returns the
 * number of layers, and in *n_enc those up to the code layer. */
int
vae_config_layer_dims (const VaeConfig *c, int *n_in, int *n_out, int *n_enc)
{
  int widths[VAE_MAX_LAYERS + 1];
  int n = 0, ne;

  if (c->conv_depth > 0) {
    int kk = c->conv_kernel * c->conv_kernel, mh, mw;
    int planes = vae_conv_map (c, &mh, &mw);
    for (int l = 0; l < c->conv_depth; l++) {
      n_in[l] = kk * (l == 0 ? planes + (c->noise_input ? 1 : 0)
          : c->conv_width);
      n_out[l] = l + 1 == c->conv_depth ? planes : c->conv_width;
    }
    if (n_enc)
      *n_enc = c->conv_depth - 1;
    return c->conv_depth;
  }
  widths[n++] = c->n_in + (c->noise_input ? 1 : 0);
  for (int i = 0; i < c->n_enc; i++)
    widths[n++] = c->enc[i];
  widths[n++] = c->kind == VAE_KIND_VAE ? 2 * c->n_latent : c->n_latent;
  ne = n - 1;
  for (int i = 0; i < c->n_dec; i++)
    widths[n++] = c->dec[i];
  widths[n++] = c->n_in;
  for (int l = 0; l + 1 < n; l++) {
    n_in[l] = widths[l];
    n_out[l] = widths[l + 1];
  }
  /* A VAE's encoder emits μ and log σ² (2K) but its decoder reads z (K). */
  if (c->kind == VAE_KIND_VAE)
    n_in[ne] = c->n_latent;
  if (n_enc)
    *n_enc = ne;
  return n - 1;
}

int
vae_model_net_in (const VaeModel *m)
{
  return m->cfg.n_in + (m->cfg.noise_input ? 1 : 0);
}

static size_t
round_up (size_t n)
{
  return (n + 15) & ~(size_t) 15;
}

VaeModel *
vae_model_new (const VaeConfig *c, uint64_t seed, VaeError *err)
{
  VaeModel *m;
  int n_in[VAE_MAX_LAYERS], n_out[VAE_MAX_LAYERS];
  size_t off = 0;
  VaeRng rng;

  if (vae_config_validate (c, err) != VAE_OK)
    return NULL;
  m = calloc (1, sizeof *m);
  if (m == NULL) {
    vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
    return NULL;
  }
  m->cfg = *c;
  m->n_layers = vae_config_layer_dims (c, n_in, n_out, &m->n_enc_layers);

  for (int l = 0; l < m->n_layers; l++) {
    VaeLayer *L = &m->layers[l];
    L->n_in = n_in[l];
    L->n_out = n_out[l];
    if (l == m->n_layers - 1)
      L->act = VAE_ACT_IDENTITY;
    else if (l == m->n_enc_layers - 1 && c->conv_depth == 0)
      L->act = c->kind == VAE_KIND_VAE ? VAE_ACT_IDENTITY : c->code_act;
    else
      L->act = c->act;
    L->w_off = off;
    off += round_up ((size_t) L->n_in * L->n_out);
    L->b_off = off;
    off += round_up ((size_t) L->n_out);
  }
  m->n_params = off;
  m->params = vae_aligned_alloc (off * sizeof (float));
  if (m->params == NULL) {
    vae_set_error (err, VAE_ERR_NOMEM, "cannot allocate %zu parameters", off);
    free (m);
    return NULL;
  }
  memset (m->params, 0, off * sizeof (float));

  vae_rng_seed (&rng, seed);
  for (int l = 0; l < m->n_layers; l++) {
    VaeLayer *L = &m->layers[l];
    float *w = m->params + L->w_off;
    /* He for rectifiers, Xavier (Glorot) otherwise; biases start at 0. */
    float a = (L->act == VAE_ACT_RELU || L->act == VAE_ACT_LRELU)
        ? sqrtf (6.0f / L->n_in) : sqrtf (6.0f / (L->n_in + L->n_out));
    for (size_t i = 0; i < (size_t) L->n_in * L->n_out; i++)
      w[i] = a * (2.0f * vae_rng_uniform (&rng) - 1.0f);
  }
  return m;
}

void
vae_model_free (VaeModel *m)
{
  if (m == NULL)
    return;
  vae_aligned_free (m->params);
  vae_aligned_free (m->grads);
  vae_aligned_free (m->adam_m);
  vae_aligned_free (m->adam_v);
  free (m->loss_w);
  vae_quant_free (m->quant);
  for (int i = 0; i < m->n_meta; i++) {
    free (m->meta_key[i]);
    free (m->meta_val[i]);
  }
  free (m);
}

/* The int8 weights' storage; quant.c computes them, io.c reads them. */
void
vae_quant_free (VaeQuant *q)
{
  if (q == NULL)
    return;
  for (int l = 0; l < VAE_MAX_LAYERS; l++) {
    free (q->w[l]);
    free (q->scale[l]);
    free (q->bias[l]);
    free (q->act[l]);
  }
  free (q);
}

VaeQuant *
vae_quant_new (const VaeModel *m)
{
  VaeQuant *q = calloc (1, sizeof *q);
  if (q == NULL)
    return NULL;
  q->n_layers = m->n_layers;
  for (int l = 0; l < m->n_layers; l++) {
    const VaeLayer *L = &m->layers[l];
    size_t n = (size_t) L->n_out;
    q->k[l] = l == 0 ? m->cfg.n_in : L->n_in;
    q->w[l] = calloc (n * q->k[l], 1);
    q->scale[l] = calloc (n, sizeof (float));
    q->bias[l] = calloc (n, sizeof (float));
    if (l < m->n_layers - 1)
      q->act[l] = calloc (n, sizeof (float));
    if (!q->w[l] || !q->scale[l] || !q->bias[l]
        || (l < m->n_layers - 1 && !q->act[l])) {
      vae_quant_free (q);
      return NULL;
    }
  }
  return q;
}

int
vae_model_is_quantized (const VaeModel *m)
{
  return m->quant != NULL;
}

int
vae_model_int8_layers (const VaeModel *m)
{
  return m->quant ? m->quant->n_layers : 0;
}

void
vae_model_drop_quant (VaeModel *m)
{
  vae_quant_free (m->quant);
  m->quant = NULL;
}

const VaeConfig *
vae_model_config (const VaeModel *m)
{
  return &m->cfg;
}

size_t
vae_model_n_params (const VaeModel *m)
{
  return m->n_params;
}

float *
vae_model_params (VaeModel *m)
{
  return m->params;
}

float *
vae_model_grads (VaeModel *m)
{
  return m->grads;
}

int
vae_model_n_layers (const VaeModel *m)
{
  return m->n_layers;
}

int
vae_model_n_encoder_layers (const VaeModel *m)
{
  return m->n_enc_layers;
}

void
vae_model_layer (VaeModel *m, int l, int *n_in, int *n_out, VaeAct *act,
    float **w, float **b, float **dw, float **db)
{
  const VaeLayer *L = &m->layers[l];
  if (n_in) *n_in = L->n_in;
  if (n_out) *n_out = L->n_out;
  if (act) *act = L->act;
  if (w) *w = m->params + L->w_off;
  if (b) *b = m->params + L->b_off;
  if (dw) *dw = m->grads ? m->grads + L->w_off : NULL;
  if (db) *db = m->grads ? m->grads + L->b_off : NULL;
}

int
vae_model_set_meta (VaeModel *m, const char *key, const char *value)
{
  char *v;
  for (int i = 0; i < m->n_meta; i++) {
    if (strcmp (m->meta_key[i], key) == 0) {
      if ((v = strdup (value)) == NULL)
        return VAE_ERR_NOMEM;
      free (m->meta_val[i]);
      m->meta_val[i] = v;
      return VAE_OK;
    }
  }
  if (m->n_meta >= VAE_MAX_META)
    return VAE_ERR_ARG;
  m->meta_key[m->n_meta] = strdup (key);
  m->meta_val[m->n_meta] = strdup (value);
  if (m->meta_key[m->n_meta] == NULL || m->meta_val[m->n_meta] == NULL) {
    free (m->meta_key[m->n_meta]);
    free (m->meta_val[m->n_meta]);
    return VAE_ERR_NOMEM;
  }
  m->n_meta++;
  return VAE_OK;
}

const char *
vae_model_get_meta (const VaeModel *m, const char *key)
{
  for (int i = 0; i < m->n_meta; i++)
    if (strcmp (m->meta_key[i], key) == 0)
      return m->meta_val[i];
  return NULL;
}

int
vae_model_n_meta (const VaeModel *m)
{
  return m->n_meta;
}

void
vae_model_meta_at (const VaeModel *m, int i, const char **key,
    const char **value)
{
  *key = m->meta_key[i];
  *value = m->meta_val[i];
}

/* ------------------------------------------------------------ workspace */

VaeWorkspace *
vae_workspace_new (const VaeModel *m, int max_batch, int training,
    VaeError *err)
{
  VaeWorkspace *ws;
  size_t total = 0, B, maxw, rows, maxin = 0, crow = 0;
  int K = m->cfg.n_latent, conv;
  float *p;

  if (max_batch < 1 || max_batch > (1 << 20)) {
    vae_set_error (err, VAE_ERR_ARG, "batch %d outside 1..%d", max_batch,
        1 << 20);
    return NULL;
  }
  ws = calloc (1, sizeof *ws);
  if (ws == NULL) {
    vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
    return NULL;
  }
  B = (size_t) max_batch;
  ws->max_batch = max_batch;
  ws->training = training;
  ws->net_in = vae_model_net_in (m);
  maxw = (size_t) ws->net_in;
  for (int l = 0; l < m->n_layers; l++)
    if ((size_t) m->layers[l].n_out > maxw)
      maxw = m->layers[l].n_out;
  /* A convolutional model's matrices have a row per pixel of the batch's
   * patches, and im2col needs a (rows, k·k·c_in) buffer. */
  conv = m->cfg.conv_depth > 0;
  rows = B;
  if (conv) {
    int mh, mw, P;
    vae_conv_map (&m->cfg, &mh, &mw);
    P = mh * mw;
    rows = B * P;
    ws->net_in = m->layers[0].n_in / (m->cfg.conv_kernel * m->cfg.conv_kernel);
    crow = (size_t) P * (B < (size_t) vae_conv_chunk (P)
        ? B : (size_t) vae_conv_chunk (P));
    maxin = 0;
    for (int l = 0; l < m->n_layers; l++)
      if ((size_t) m->layers[l].n_in > maxin)
        maxin = m->layers[l].n_in;
  }

  /* One block; each view rounded to 16 floats so rows stay aligned. */
#define WS_VIEWS(X) \
  X (x, rows * ws->net_in) \
  X (dx, training && !conv ? B * maxw : 0) \
  X (z, conv ? 0 : B * K) X (dz, conv ? 0 : B * K) X (eps, conv ? 0 : B * K) \
  X (tmp, conv ? rows : B * maxw) X (tmp2, conv ? rows : B * maxw) \
  X (col, conv ? crow * maxin : 0) \
  X (wflip, conv && training ? maxin * m->cfg.conv_width : 0)
#define COUNT(name, n) total += round_up (n);
  WS_VIEWS (COUNT);
  for (int l = 0; l < m->n_layers; l++) {
    total += round_up (rows * m->layers[l].n_out);
    if (training)
      total += round_up (rows * m->layers[l].n_out);
  }
  ws->block = vae_aligned_alloc (total * sizeof (float));
  if (ws->block == NULL) {
    vae_set_error (err, VAE_ERR_NOMEM,
        "cannot allocate a %zu-float workspace", total);
    free (ws);
    return NULL;
  }
  memset (ws->block, 0, total * sizeof (float));
  p = ws->block;
#define POINT(name, n) ws->name = p; p += round_up (n);
  WS_VIEWS (POINT);
  for (int l = 0; l < m->n_layers; l++) {
    ws->act[l] = p;
    p += round_up (rows * m->layers[l].n_out);
    if (training) {
      ws->dact[l] = p;
      p += round_up (rows * m->layers[l].n_out);
    }
  }
#undef COUNT
#undef POINT
#undef WS_VIEWS
  return ws;
}

int
vae_workspace_use_bf16 (VaeWorkspace *ws, const VaeModel *m, VaeError *err)
{
  size_t na = 0, np = 0, B2 = (size_t) (ws->max_batch + 1) / 2 * 2;
  if (!vae_gemm_bf16_available ())
    return vae_set_error (err, VAE_ERR_ARG, "bf16 training needs a CPU with "
        "AVX512_BF16");
  if (m->cfg.conv_depth > 0)
    return vae_set_error (err, VAE_ERR_ARG, "bf16 training covers dense "
        "models only");
  if (ws->h_a != NULL)
    return VAE_OK;
  for (int l = 0; l < m->n_layers; l++) {
    int ni = m->layers[l].n_in, no = m->layers[l].n_out;
    int kb = vae_gemm_bf16_k ((int) B2);
    /* x or dy by rows, dy in pairs of rows, dyᵀ by rows (vae_gemm_bf16_k:
     * k padded for AMX); W packed n × k and k × n, x packed k × n */
    size_t a = MAX (B2 * (size_t) vae_gemm_bf16_k (MAX (ni, no)),
        (size_t) no * kb);
    size_t p = MAX (vae_gemm_packed_bf16 (no, vae_gemm_bf16_k (ni)), MAX
        (vae_gemm_packed_bf16 (ni, vae_gemm_bf16_k (no)),
            vae_gemm_packed_bf16 (ni, kb)));
    na = MAX (na, a);
    np = MAX (np, p);
  }
  ws->h_a = vae_aligned_alloc (na * sizeof (uint16_t));
  ws->h_p = vae_aligned_alloc (np * sizeof (uint16_t));
  if (ws->h_a == NULL || ws->h_p == NULL) {
    vae_aligned_free (ws->h_a);
    vae_aligned_free (ws->h_p);
    ws->h_a = ws->h_p = NULL;
    return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
  }
  return VAE_OK;
}

void
vae_workspace_free (VaeWorkspace *ws)
{
  if (ws == NULL)
    return;
  vae_aligned_free (ws->h_a);
  vae_aligned_free (ws->h_p);
  vae_aligned_free (ws->block);
  free (ws);
}

int
vae_workspace_max_batch (const VaeWorkspace *ws)
{
  return ws->max_batch;
}

/* ------------------------------------------------------------ inference */

void
vae_net_forward (const VaeModel *m, VaeWorkspace *ws, const float *in,
    int batch, int l0, int l1)
{
  for (int l = l0; l < l1; l++) {
    const VaeLayer *L = &m->layers[l];
    const float *x = l == l0 ? in : ws->act[l - 1];
    vae_dense_forward (ws->act[l], x, m->params + L->w_off,
        m->params + L->b_off, batch, L->n_in, L->n_out, L->act);
  }
}

/* Fills ws->x with the normalised input and, for noise-conditional models,
 * the level feature (the noise σ in network units). */
void
vae_load_input (const VaeModel *m, VaeWorkspace *ws, const float *x,
    int batch, const float *levels, float level)
{
  const VaeConfig *c = &m->cfg;
  int ni = ws->net_in;
  for (int i = 0; i < batch; i++) {
    float *dst = ws->x + (size_t) i * ni;
    const float *src = x + (size_t) i * c->n_in;
    for (int j = 0; j < c->n_in; j++)
      dst[j] = vae_norm (c, src[j]);
    if (c->noise_input)
      dst[c->n_in] = (levels ? levels[i] : level) / c->norm_scale;
  }
}

static int
check_batch (const VaeWorkspace *ws, int batch)
{
  return batch >= 1 && batch <= ws->max_batch;
}

int
vae_encode (const VaeModel *m, VaeWorkspace *ws, const float *x, int batch,
    float *mu, float *logvar)
{
  int K = m->cfg.n_latent, ne = m->n_enc_layers;
  const float *h;
  if (m->cfg.conv_depth > 0)
    return VAE_ERR_KIND;          /* no code to return */
  if (!check_batch (ws, batch))
    return VAE_ERR_ARG;
  vae_load_input (m, ws, x, batch, NULL, 0.0f);
  vae_net_forward (m, ws, ws->x, batch, 0, ne);
  h = ws->act[ne - 1];
  for (int i = 0; i < batch; i++) {
    if (m->cfg.kind == VAE_KIND_VAE) {
      memcpy (mu + (size_t) i * K, h + (size_t) i * 2 * K, K * sizeof (float));
      if (logvar)
        memcpy (logvar + (size_t) i * K, h + (size_t) i * 2 * K + K,
            K * sizeof (float));
    } else {
      memcpy (mu + (size_t) i * K, h + (size_t) i * K, K * sizeof (float));
      if (logvar)
        memset (logvar + (size_t) i * K, 0, K * sizeof (float));
    }
  }
  return VAE_OK;
}

/* Network output (B, n_in) → data units. */
static void
output_to_data (const VaeModel *m, const float *y, const float *x_norm_in,
    int net_in, int batch, float *xhat)
{
  const VaeConfig *c = &m->cfg;
  for (int i = 0; i < batch; i++) {
    const float *yr = y + (size_t) i * c->n_in;
    float *o = xhat + (size_t) i * c->n_in;
    if (c->likelihood == VAE_LIK_BERNOULLI) {
      for (int j = 0; j < c->n_in; j++)
        o[j] = 1.0f / (1.0f + expf (-yr[j]));
    } else if (c->residual) {
      const float *xr = x_norm_in + (size_t) i * net_in;
      for (int j = 0; j < c->n_in; j++)
        o[j] = (xr[j] - yr[j]) * c->norm_scale + c->norm_mean;
    } else {
      for (int j = 0; j < c->n_in; j++)
        o[j] = yr[j] * c->norm_scale + c->norm_mean;
    }
  }
}

int
vae_decode (const VaeModel *m, VaeWorkspace *ws, const float *z, int batch,
    float *xhat)
{
  if (!check_batch (ws, batch))
    return VAE_ERR_ARG;
  if (m->cfg.residual || m->cfg.conv_depth > 0)
    return VAE_ERR_KIND;
  vae_net_forward (m, ws, z, batch, m->n_enc_layers, m->n_layers);
  output_to_data (m, ws->act[m->n_layers - 1], NULL, 0, batch, xhat);
  return VAE_OK;
}

/* A convolutional DAE on a batch of img_w × img_h planes. */
static int
conv_reconstruct (const VaeModel *m, VaeWorkspace *ws, const float *x,
    int batch, float level, float *xhat)
{
  const VaeConfig *c = &m->cfg;
  int mh, mw, planes = vae_conv_map (c, &mh, &mw), P = mh * mw;
  int ci = ws->net_in;
  const float *y;

  vae_conv_load_input (m, x, batch, c->n_in, NULL, level, ws->x);
  vae_conv_forward (m, ws, batch);
  y = ws->act[m->n_layers - 1];
  for (int i = 0; i < batch; i++)
    for (size_t p = 0; p < (size_t) P; p++)
      for (int q = 0; q < planes; q++) {
        size_t r = (size_t) i * P + p;
        float v = c->residual ? ws->x[r * ci + q] - y[r * planes + q]
            : y[r * planes + q];
        xhat[(size_t) i * c->n_in + vae_conv_index (c, mw, p, q)]
            = v * c->norm_scale + c->norm_mean;
      }
  return VAE_OK;
}

int
vae_reconstruct (const VaeModel *m, VaeWorkspace *ws, const float *x,
    int batch, float level, float *xhat)
{
  int K = m->cfg.n_latent, ne = m->n_enc_layers;
  if (!check_batch (ws, batch))
    return VAE_ERR_ARG;
  if (m->cfg.conv_depth > 0)
    return conv_reconstruct (m, ws, x, batch, level, xhat);
  vae_load_input (m, ws, x, batch, NULL, level);
  vae_net_forward (m, ws, ws->x, batch, 0, ne);
  if (m->cfg.kind == VAE_KIND_VAE) {
    const float *h = ws->act[ne - 1];
    for (int i = 0; i < batch; i++)
      memcpy (ws->z + (size_t) i * K, h + (size_t) i * 2 * K,
          K * sizeof (float));
    vae_net_forward (m, ws, ws->z, batch, ne, m->n_layers);
  } else {
    vae_net_forward (m, ws, ws->act[ne - 1], batch, ne, m->n_layers);
  }
  output_to_data (m, ws->act[m->n_layers - 1], ws->x, ws->net_in, batch, xhat);
  return VAE_OK;
}

int
vae_sample (const VaeModel *m, VaeWorkspace *ws, int batch, float temperature,
    VaeRng *rng, float *xhat)
{
  size_t n = (size_t) batch * m->cfg.n_latent;
  if (!check_batch (ws, batch))
    return VAE_ERR_ARG;
  for (size_t i = 0; i < n; i++)
    ws->z[i] = temperature * vae_rng_normal (rng);
  return vae_decode (m, ws, ws->z, batch, xhat);
}

float
vae_gaussian_kl (const float *mu, const float *logvar, int k)
{
  double s = 0.0;
  for (int j = 0; j < k; j++)
    s += -0.5 * (1.0 + logvar[j] - (double) mu[j] * mu[j] - exp (logvar[j]));
  return (float) s;
}

/* Per-sample reconstruction NLL of network output y against data x (data
 * units); the loss the kind trains with (see vae.h). */
float
vae_rec_nll (const VaeModel *m, const float *y, const float *x_target,
    const float *x_norm_in, int net_in)
{
  const VaeConfig *c = &m->cfg;
  double s = 0.0;
  if (c->likelihood == VAE_LIK_BERNOULLI) {
    for (int j = 0; j < c->n_in; j++) {
      float a = y[j];
      s += fmaxf (a, 0.0f) - a * x_target[j] + log1pf (expf (-fabsf (a)));
    }
  } else if (c->kind == VAE_KIND_VAE) {
    float inv = 1.0f / (c->obs_sigma * c->obs_sigma);
    for (int j = 0; j < c->n_in; j++) {
      float d = y[j] * c->norm_scale + c->norm_mean - x_target[j];
      s += 0.5 * d * d * inv;
    }
    s += 0.5 * c->n_in * log (2.0 * M_PI * c->obs_sigma * c->obs_sigma);
  } else {
    for (int j = 0; j < c->n_in; j++) {
      float t = vae_norm (c, x_target[j]);
      if (c->residual)
        t = x_norm_in[j] - t;
      float d = y[j] - t;
      s += 0.5 * d * d;
    }
  }
  return (float) s;
}

int
vae_score (const VaeModel *m, VaeWorkspace *ws, const float *x, int batch,
    VaeRng *rng, float *rec, float *neg_elbo)
{
  const VaeConfig *c = &m->cfg;
  int K = c->n_latent, ne = m->n_enc_layers, nl = m->n_layers;
  if (!check_batch (ws, batch))
    return VAE_ERR_ARG;
  if (c->conv_depth > 0)
    return VAE_ERR_KIND;
  vae_load_input (m, ws, x, batch, NULL, 0.0f);
  vae_net_forward (m, ws, ws->x, batch, 0, ne);
  if (c->kind != VAE_KIND_VAE) {
    vae_net_forward (m, ws, ws->act[ne - 1], batch, ne, nl);
    for (int i = 0; i < batch; i++) {
      float r = vae_rec_nll (m, ws->act[nl - 1] + (size_t) i * c->n_in,
          x + (size_t) i * c->n_in, ws->x + (size_t) i * ws->net_in,
          ws->net_in);
      if (rec) rec[i] = r;
      if (neg_elbo) neg_elbo[i] = r;
    }
    return VAE_OK;
  }
  /* Keep μ, log σ² in tmp2 while the decoder reuses act[]. */
  memcpy (ws->tmp2, ws->act[ne - 1], (size_t) batch * 2 * K * sizeof (float));
  for (int i = 0; i < batch; i++)
    memcpy (ws->z + (size_t) i * K, ws->tmp2 + (size_t) i * 2 * K,
        K * sizeof (float));
  vae_net_forward (m, ws, ws->z, batch, ne, nl);
  if (rec)
    for (int i = 0; i < batch; i++)
      rec[i] = vae_rec_nll (m, ws->act[nl - 1] + (size_t) i * c->n_in,
          x + (size_t) i * c->n_in, NULL, 0);
  if (neg_elbo) {
    for (int i = 0; i < batch; i++) {
      const float *h = ws->tmp2 + (size_t) i * 2 * K;
      for (int j = 0; j < K; j++)
        ws->z[(size_t) i * K + j] = h[j] + expf (0.5f * h[K + j])
            * vae_rng_normal (rng);
    }
    vae_net_forward (m, ws, ws->z, batch, ne, nl);
    for (int i = 0; i < batch; i++) {
      const float *h = ws->tmp2 + (size_t) i * 2 * K;
      neg_elbo[i] = vae_rec_nll (m, ws->act[nl - 1] + (size_t) i * c->n_in,
          x + (size_t) i * c->n_in, NULL, 0) + vae_gaussian_kl (h, h + K, K);
    }
  }
  return VAE_OK;
}

int
vae_iwae (const VaeModel *m, VaeWorkspace *ws, const float *x, int batch,
    int k, VaeRng *rng, float *log_px)
{
  const VaeConfig *c = &m->cfg;
  int K = c->n_latent, ne = m->n_enc_layers, nl = m->n_layers;
  int chunk = ws->max_batch;
  float h[2 * VAE_MAX_DIM / 64]; /* μ, log σ² of one sample (K ≤ 512 here) */
  const double log2pi = log (2.0 * M_PI);

  if (c->kind != VAE_KIND_VAE)
    return VAE_ERR_KIND;
  if (k < 1 || 2 * K > (int) (sizeof h / sizeof h[0]))
    return VAE_ERR_ARG;
  for (int i = 0; i < batch; i++) {
    const float *xi = x + (size_t) i * c->n_in;
    double mx = -INFINITY, acc = 0.0;
    vae_load_input (m, ws, xi, 1, NULL, 0.0f);
    vae_net_forward (m, ws, ws->x, 1, 0, ne);
    memcpy (h, ws->act[ne - 1], 2 * K * sizeof (float));
    for (int done = 0; done < k; done += chunk) {
      int b = k - done < chunk ? k - done : chunk;
      /* log w = log p(x|z) + log p(z) − log q(z|x), per draw */
      for (int s = 0; s < b; s++) {
        double lw = 0.0;
        for (int j = 0; j < K; j++) {
          float e = vae_rng_normal (rng);
          float z = h[j] + expf (0.5f * h[K + j]) * e;
          ws->z[(size_t) s * K + j] = z;
          lw += -0.5 * (z * (double) z) + 0.5 * (e * (double) e)
              + 0.5 * h[K + j];
        }
        ws->tmp[s] = (float) lw;
      }
      vae_net_forward (m, ws, ws->z, b, ne, nl);
      for (int s = 0; s < b; s++) {
        double lw = ws->tmp[s] - vae_rec_nll (m, ws->act[nl - 1]
            + (size_t) s * c->n_in, xi, NULL, 0);
        /* streaming log-sum-exp */
        if (lw > mx) {
          acc = acc * exp (mx - lw) + 1.0;
          mx = lw;
        } else {
          acc += exp (lw - mx);
        }
      }
    }
    (void) log2pi;               /* the 2π terms of p(z) and q(z|x) cancel */
    log_px[i] = (float) (mx + log (acc) - log ((double) k));
  }
  return VAE_OK;
}
