/* Central-difference gradient checks: every activation of the dense layer
 * (weights, bias and input), then every parameter of every model kind and
 * loss through vae_model_loss_grad.  The loss itself is also recomputed
 * here in double precision from the conventions in vae.h, so a wrong loss
 * cannot hide behind gradients that merely agree with it.
 *
 * Float32 central differences: the step is a power of two and the divisor
 * is the difference of the two perturbed values as actually stored, so the
 * only error left is the rounding of the loss.  An element's error is
 * |analytic − numeric| / max(|analytic|, |numeric|, FLOOR); a wrong sign
 * gives 2, a missing term O(1). */
#include "vae.h"
#include "vae_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-2
#define FLOOR 1e-3            /* dense layer */
#define FLOOR_F32 1e-2        /* models, library loss (float, ~1e-4 noise) */
#define TOL64 1e-3
#define FLOOR_F64 1e-4        /* models, double reference loss */

#include "check.h"

static double
rel_err_f (double a, double n, double floor_)
{
  return fabs (a - n) / fmax (fmax (fabs (a), fabs (n)), floor_);
}

static double
rel_err (double a, double n)
{
  return rel_err_f (a, n, FLOOR);
}

/* ------------------------------------------------------------- dense */

/* L = Σ r ⊙ y, accumulated in double. */
static double
dense_loss (const float *x, const float *w, const float *b, const float *r,
    float *y, int batch, int n_in, int n_out, VaeAct act)
{
  double s = 0.0;
  vae_dense_forward (y, x, w, b, batch, n_in, n_out, act);
  for (int i = 0; i < batch * n_out; i++)
    s += (double) r[i] * y[i];
  return s;
}

/* Numeric dL/dv for every element of v; returns the max relative error
 * against g. */
static double
dense_numeric (float *v, int n, const float *g, const float *x,
    const float *w, const float *b, const float *r, float *y, int batch,
    int n_in, int n_out, VaeAct act, float h)
{
  double worst = 0.0;
  for (int i = 0; i < n; i++) {
    float v0 = v[i], vp = v0 + h, vm = v0 - h;
    double lp, lm, num;
    v[i] = vp;
    lp = dense_loss (x, w, b, r, y, batch, n_in, n_out, act);
    v[i] = vm;
    lm = dense_loss (x, w, b, r, y, batch, n_in, n_out, act);
    v[i] = v0;
    num = (lp - lm) / ((double) vp - (double) vm);
    worst = fmax (worst, rel_err (g[i], num));
  }
  return worst;
}

static void
test_dense (void)
{
  static const VaeAct acts[] = { VAE_ACT_IDENTITY, VAE_ACT_RELU,
    VAE_ACT_LRELU, VAE_ACT_SIGMOID, VAE_ACT_TANH };
  VaeRng rng;
  vae_rng_seed (&rng, 20240501);

  printf ("dense layer (loss = sum r*y), step 2^-7:\n");
  for (int a = 0; a < 5; a++) {
    VaeAct act = acts[a];
    double worst[3] = { 0, 0, 0 };
    for (int trial = 0; trial < 6; trial++) {
      int batch = 1 + (int) vae_rng_below (&rng, 5);
      int n_in = 1 + (int) vae_rng_below (&rng, 9);
      int n_out = 1 + (int) vae_rng_below (&rng, 7);
      size_t nw = (size_t) n_in * n_out;
      float *x = malloc (sizeof (float) * batch * n_in);
      float *w = malloc (sizeof (float) * nw);
      float *b = malloc (sizeof (float) * n_out);
      float *r = malloc (sizeof (float) * batch * n_out);
      float *y = malloc (sizeof (float) * batch * n_out);
      float *dy = malloc (sizeof (float) * batch * n_out);
      float *dw = malloc (sizeof (float) * nw);
      float *db = malloc (sizeof (float) * n_out);
      float *dx = malloc (sizeof (float) * batch * n_in);
      int tries = 0, ok;
      const float h = 1.0f / 128.0f;

      /* Rectifiers have a kink at 0: redraw until every pre-activation is
       * further from it than any perturbation can move it (|x|,|w| <= 1,
       * so one step moves a pre-activation by at most h). */
      do {
        for (int i = 0; i < batch * n_in; i++) x[i] = urand (&rng, -1, 1);
        for (size_t i = 0; i < nw; i++) w[i] = urand (&rng, -1, 1);
        for (int i = 0; i < n_out; i++) b[i] = urand (&rng, -0.5f, 0.5f);
        vae_dense_forward (y, x, w, b, batch, n_in, n_out, VAE_ACT_IDENTITY);
        ok = 1;
        if (act == VAE_ACT_RELU || act == VAE_ACT_LRELU)
          for (int i = 0; i < batch * n_out; i++)
            if (fabsf (y[i]) < 4 * h)
              ok = 0;
      } while (!ok && ++tries < 10000);
      CHECK (ok, "no kink-free draw for %s", vae_act_name (act));
      for (int i = 0; i < batch * n_out; i++) r[i] = urand (&rng, -1, 1);

      dense_loss (x, w, b, r, y, batch, n_in, n_out, act);
      memcpy (dy, r, sizeof (float) * batch * n_out);
      /* backward adds into dw/db: start them at a known non-zero value */
      for (size_t i = 0; i < nw; i++) dw[i] = 0.25f;
      for (int i = 0; i < n_out; i++) db[i] = -0.5f;
      vae_dense_backward (dx, dw, db, dy, y, x, w, batch, n_in, n_out, act);
      for (size_t i = 0; i < nw; i++) dw[i] -= 0.25f;
      for (int i = 0; i < n_out; i++) db[i] += 0.5f;

      worst[0] = fmax (worst[0], dense_numeric (w, (int) nw, dw, x, w, b, r,
              y, batch, n_in, n_out, act, h));
      worst[1] = fmax (worst[1], dense_numeric (b, n_out, db, x, w, b, r, y,
              batch, n_in, n_out, act, h));
      worst[2] = fmax (worst[2], dense_numeric (x, batch * n_in, dx, x, w, b,
              r, y, batch, n_in, n_out, act, h));

      /* the training pass's variant writes dL/dW: the bits of adding it
       * to zeros */
      {
        float *dw0 = calloc (nw, sizeof (float)), *dws = malloc (nw
            * sizeof (float));
        float *db0 = calloc (n_out, sizeof (float)), *dbs = calloc (n_out,
            sizeof (float));
        float *dy2 = malloc (sizeof (float) * batch * n_out);
        for (size_t i = 0; i < nw; i++)
          dws[i] = 1e30f;     /* overwritten, not added to */
        dense_loss (x, w, b, r, y, batch, n_in, n_out, act);
        memcpy (dy, r, sizeof (float) * batch * n_out);
        memcpy (dy2, r, sizeof (float) * batch * n_out);
        vae_dense_backward (NULL, dw0, db0, dy, y, x, w, batch, n_in, n_out,
            act);
        vae_dense_backward_set (NULL, dws, dbs, dy2, y, x, w, batch, n_in,
            n_out, act);
        CHECK (memcmp (dw0, dws, nw * sizeof (float)) == 0
            && memcmp (db0, dbs, n_out * sizeof (float)) == 0,
            "%s: dense_backward_set differs from adding to zeros",
            vae_act_name (act));
        free (dw0);
        free (dws);
        free (db0);
        free (dbs);
        free (dy2);
      }

      /* dx == NULL must leave weights' gradients unchanged */
      {
        float *dw2 = calloc (nw, sizeof (float));
        float *db2 = calloc (n_out, sizeof (float));
        dense_loss (x, w, b, r, y, batch, n_in, n_out, act);
        memcpy (dy, r, sizeof (float) * batch * n_out);
        vae_dense_backward (NULL, dw2, db2, dy, y, x, w, batch, n_in, n_out,
            act);
        for (size_t i = 0; i < nw; i++)
          CHECK (fabsf (dw2[i] - dw[i]) <= 1e-6f * (1 + fabsf (dw[i])),
              "%s: dw differs when dx is NULL", vae_act_name (act));
        free (dw2);
        free (db2);
      }
      free (x); free (w); free (b); free (r); free (y); free (dy);
      free (dw); free (db); free (dx);
    }
    printf ("  %-8s  max rel err  W %.2e  b %.2e  x %.2e\n",
        vae_act_name (act), worst[0], worst[1], worst[2]);
    CHECK (worst[0] < TOL && worst[1] < TOL && worst[2] < TOL,
        "dense %s gradient error above %g", vae_act_name (act), TOL);
  }
}

/* ------------------------------------------------ reference loss (double) */

/* Which side of the kink each rectifier pre-activation of the last
 * ref_loss call was on, to tell whether a perturbation crossed one. */
/* per-pixel loss weights of the model under test, or NULL */
static const float *ref_loss_w;

static unsigned char kink_side[1 << 16];
static int kink_n;

/* Layers [l0, l1) in double: in (batch, width of l0) → out. */
static void
ref_layers (VaeModel *m, int l0, int l1, const double *in, int batch,
    double *out, double *scratch)
{
  const double *cur = in;
  for (int l = l0; l < l1; l++) {
    int ni, no;
    VaeAct act;
    float *w, *b;
    double *dst = l == l1 - 1 ? out : ((l - l0) % 2 ? scratch + 4096 : scratch);
    vae_model_layer (m, l, &ni, &no, &act, &w, &b, NULL, NULL);
    for (int i = 0; i < batch; i++)
      for (int o = 0; o < no; o++) {
        double s = b[o];
        for (int k = 0; k < ni; k++)
          s += (double) w[(size_t) o * ni + k] * cur[(size_t) i * ni + k];
        dst[(size_t) i * no + o] = act_d (s, act);
        if ((act == VAE_ACT_RELU || act == VAE_ACT_LRELU)
            && kink_n < (int) sizeof kink_side)
          kink_side[kink_n++] = s > 0;
      }
    cur = dst;
  }
}

/* The documented loss: mean over the batch of the per-sample NLL, plus
 * β·mean KL (VAE) or sparse_beta·Σⱼ KL(ρ‖ρ̂ⱼ) (sparse AE). */
static double
ref_loss (VaeModel *m, const float *x_in, const float *x_t, const float *lvl,
    int batch, const float *eps, float beta)
{
  const VaeConfig *c = vae_model_config (m);
  int D = c->n_in, K = c->n_latent, ne = vae_model_n_encoder_layers (m);
  int nl = vae_model_n_layers (m), ni = vae_model_net_in (m);
  int code_w = c->kind == VAE_KIND_VAE ? 2 * K : K;
  static double in[4096], code[4096], z[4096], y[4096], scratch[8192];
  double total = 0.0, reg = 0.0;

  kink_n = 0;

  for (int i = 0; i < batch; i++) {
    for (int j = 0; j < D; j++)
      in[i * ni + j] = ((double) x_in[i * D + j] - c->norm_mean)
          / c->norm_scale;
    if (c->noise_input)
      in[i * ni + D] = (double) lvl[i] / c->norm_scale;
  }
  ref_layers (m, 0, ne, in, batch, code, scratch);
  if (c->kind == VAE_KIND_VAE) {
    for (int i = 0; i < batch; i++)
      for (int j = 0; j < K; j++) {
        double mu = code[i * code_w + j], lv = code[i * code_w + K + j];
        z[i * K + j] = mu + exp (0.5 * lv) * eps[i * K + j];
        reg += -0.5 * (1.0 + lv - mu * mu - exp (lv));
      }
    reg = beta * reg / batch;
    ref_layers (m, ne, nl, z, batch, y, scratch);
  } else {
    ref_layers (m, ne, nl, code, batch, y, scratch);
  }
  if (c->kind == VAE_KIND_SPARSE_AE) {
    double rho = c->sparse_rho;
    for (int j = 0; j < K; j++) {
      double rh = 0.0;
      for (int i = 0; i < batch; i++)
        rh += code[i * K + j];
      rh = fmin (fmax (rh / batch, 1e-6), 1.0 - 1e-6);
      reg += rho * log (rho / rh) + (1 - rho) * log ((1 - rho) / (1 - rh));
    }
    reg *= c->sparse_beta;
  }
  for (int i = 0; i < batch; i++)
    for (int j = 0; j < D; j++) {
      double a = y[i * D + j], t = x_t[i * D + j];
      if (c->likelihood == VAE_LIK_BERNOULLI) {
        total += fmax (a, 0.0) - a * t + log1p (exp (-fabs (a)));
      } else if (c->kind == VAE_KIND_VAE) {
        double s2 = (double) c->obs_sigma * c->obs_sigma;
        double d = a * c->norm_scale + c->norm_mean - t;
        total += 0.5 * d * d / s2 + 0.5 * log (2 * M_PI * s2);
      } else {
        double tn = (t - c->norm_mean) / c->norm_scale;
        if (c->residual)
          tn = in[i * ni + j] - tn;
        total += 0.5 * (ref_loss_w ? ref_loss_w[j] : 1.0) * (a - tn) * (a - tn);
      }
    }
  return total / batch + reg;
}

/* ------------------------------------------------------------ models */

typedef struct {
  const char *name;
  VaeConfig cfg;
  int batch;
  float beta;
  float h;                    /* perturbation step */
  int kinks;                  /* piecewise-linear units: skip kink crossings */
  const float *loss_w;        /* vae_model_set_loss_weights, or NULL */
} Case;

static float
model_loss (VaeModel *m, VaeWorkspace *ws, const float *x_in,
    const float *x_t, const float *lvl, int batch, const float *eps,
    float beta, VaeLoss *L)
{
  VaeRng dummy;
  int rc;
  vae_rng_seed (&dummy, 1);
  rc = vae_model_loss_grad (m, ws, x_in, x_t, lvl, batch, eps, beta, &dummy,
      L);
  CHECK (rc == VAE_OK, "vae_model_loss_grad returned %d", rc);
  return L->loss;
}

/* Whether moving *v between vm and vp flips any rectifier in the
 * reference forward pass (then the difference quotient straddles a kink). */
static int
crosses_kink (VaeModel *m, float *v, float vp, float vm, const float *x_in,
    const float *x_t, const float *lvl, int batch, const float *eps,
    float beta)
{
  static unsigned char side_p[sizeof kink_side];
  float v0 = *v;
  int n, crossed;
  *v = vp;
  ref_loss (m, x_in, x_t, lvl, batch, eps, beta);
  n = kink_n;
  memcpy (side_p, kink_side, n);
  *v = vm;
  ref_loss (m, x_in, x_t, lvl, batch, eps, beta);
  *v = v0;
  crossed = n != kink_n || memcmp (side_p, kink_side, n) != 0;
  return crossed;
}

typedef struct {
  double f32;                 /* worst error against the library's own loss */
  double f64;                 /* worst error against the double reference */
  double f32_abs, f64_abs;    /* worst absolute differences */
  double w[32], b[32];        /* per layer, f32 check */
  int skipped, skipped64, total;
} Result;

/* Checks every parameter twice: against central differences of the
 * library's float loss (step h, errors floored at FLOOR_F32) and of the
 * double-precision reference loss (step 2^-12, floored at FLOOR_F64). */
static void
check_model (const Case *cs, uint64_t seed, Result *res)
{
  VaeError err;
  VaeModel *m = vae_model_new (&cs->cfg, seed, &err);
  VaeWorkspace *ws;
  const VaeConfig *c;
  VaeRng rng;
  int B = cs->batch, D, K;
  float *x_in, *x_t, *lvl, *eps, *g, *p;
  size_t np;
  VaeLoss L0, L;
  const float h64 = 1.0f / 4096;

  memset (res, 0, sizeof *res);
  if (m == NULL) {
    CHECK (0, "%s: vae_model_new: %s", cs->name, err.msg);
    res->f32 = res->f64 = INFINITY;
    return;
  }
  CHECK (vae_model_prepare_training (m, &err) == VAE_OK, "prepare: %s",
      err.msg);
  ref_loss_w = cs->loss_w;
  CHECK (vae_model_set_loss_weights (m, cs->loss_w, &err) == VAE_OK,
      "loss weights: %s", err.msg);
  ws = vae_workspace_new (m, B, 1, &err);
  c = vae_model_config (m);
  D = c->n_in;
  K = c->n_latent;
  np = vae_model_n_params (m);
  p = vae_model_params (m);
  x_in = malloc (sizeof (float) * B * D);
  x_t = malloc (sizeof (float) * B * D);
  lvl = malloc (sizeof (float) * B);
  eps = malloc (sizeof (float) * B * K);
  g = malloc (sizeof (float) * np);

  vae_rng_seed (&rng, seed * 7 + 3);
  /* non-zero biases so their gradients are exercised away from init */
  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int no;
    float *b;
    vae_model_layer (m, l, NULL, &no, NULL, NULL, &b, NULL, NULL);
    for (int j = 0; j < no; j++)
      b[j] = urand (&rng, -0.3f, 0.3f);
  }
  for (int i = 0; i < B * D; i++) {
    x_t[i] = c->likelihood == VAE_LIK_BERNOULLI
        ? (float) (vae_rng_uniform (&rng) < 0.4f) : urand (&rng, 0.05f, 0.95f);
    x_in[i] = c->kind == VAE_KIND_DAE ? x_t[i] + 0.1f * vae_rng_normal (&rng)
        : x_t[i];
  }
  for (int i = 0; i < B; i++)
    lvl[i] = urand (&rng, 0.02f, 0.2f);
  for (int i = 0; i < B * K; i++)
    eps[i] = vae_rng_normal (&rng);

  model_loss (m, ws, x_in, x_t, lvl, B, eps, cs->beta, &L0);
  memcpy (g, vae_model_grads (m), sizeof (float) * np);

  /* the loss itself, against the double-precision reference, and its
   * repeatability (the call must not depend on what the workspace held) */
  {
    double ref = ref_loss (m, x_in, x_t, lvl, B, eps, cs->beta);
    double e = fabs (L0.loss - ref) / fmax (1.0, fabs (ref));
    printf ("  %-28s loss %.6f (reference %.6f, rel diff %.1e)\n", cs->name,
        L0.loss, ref, e);
    CHECK (e < 1e-5, "%s: loss %.7g differs from the reference %.7g",
        cs->name, L0.loss, ref);
    model_loss (m, ws, x_in, x_t, lvl, B, eps, cs->beta, &L);
    CHECK (L.loss == L0.loss && memcmp (g, vae_model_grads (m),
            sizeof (float) * np) == 0,
        "%s: a second identical call gives another loss or gradient",
        cs->name);
  }

  for (size_t i = 0; i < np; i++)
    CHECK (isfinite (g[i]), "%s: gradient %zu not finite", cs->name, i);

  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int ni, no;
    float *w, *b;
    vae_model_layer (m, l, &ni, &no, NULL, &w, &b, NULL, NULL);
    for (int t = 0; t < 2; t++) {
      float *v = t == 0 ? w : b;
      int n = t == 0 ? ni * no : no;
      const float *gv = g + (v - p);
      for (int i = 0; i < n; i++) {
        float v0 = v[i], vp = v0 + cs->h, vm = v0 - cs->h;
        double lp, lm, num, e, num64, e64;
        v[i] = vp;
        lp = model_loss (m, ws, x_in, x_t, lvl, B, eps, cs->beta, &L);
        v[i] = vm;
        lm = model_loss (m, ws, x_in, x_t, lvl, B, eps, cs->beta, &L);
        v[i] = v0;
        num = (lp - lm) / ((double) vp - (double) vm);
        res->total++;
        if (cs->kinks && crosses_kink (m, v + i, vp, vm, x_in, x_t, lvl, B,
                eps, cs->beta)) {
          res->skipped++;
          continue;
        }
        e = rel_err_f (gv[i], num, FLOOR_F32);
        v[i] = v0 + h64;
        lp = ref_loss (m, x_in, x_t, lvl, B, eps, cs->beta);
        num64 = (double) v[i];
        v[i] = v0 - h64;
        lm = ref_loss (m, x_in, x_t, lvl, B, eps, cs->beta);
        num64 = (lp - lm) / (num64 - (double) v[i]);
        v[i] = v0;
        e64 = rel_err_f (gv[i], num64, FLOOR_F64);
        if (cs->kinks && crosses_kink (m, v + i, v0 + h64, v0 - h64, x_in,
                x_t, lvl, B, eps, cs->beta)) {
          res->skipped64++;
          e64 = 0.0;
        }
        if (e >= TOL || e64 >= TOL64)
          printf ("    layer %d %s[%d]: analytic %.6g numeric %.6g (f32) "
              "%.6g (f64)\n", l, t ? "bias" : "weight", i, gv[i], num, num64);
        if (t == 0)
          res->w[l] = fmax (res->w[l], e);
        else
          res->b[l] = fmax (res->b[l], e);
        res->f32 = fmax (res->f32, e);
        res->f64 = fmax (res->f64, e64);
        res->f32_abs = fmax (res->f32_abs, fabs (gv[i] - num));
        res->f64_abs = fmax (res->f64_abs, fabs (gv[i] - num64));
      }
    }
  }
  free (x_in); free (x_t); free (lvl); free (eps); free (g);
  vae_workspace_free (ws);
  vae_model_free (m);
}

static VaeConfig
base (VaeKind kind, VaeLikelihood lik, int w, int h, int latent)
{
  VaeConfig c = vae_config_default ();
  c.kind = kind;
  c.likelihood = lik;
  c.img_w = w;
  c.img_h = h;
  c.n_in = w * h;
  c.n_latent = latent;
  c.act = VAE_ACT_TANH;
  c.code_act = VAE_ACT_IDENTITY;
  return c;
}

static void
test_models (void)
{
  Case cases[16];
  int n = 0;
  VaeConfig c;

  /* AE, Gaussian, with a normalisation that is not the identity */
  c = base (VAE_KIND_AE, VAE_LIK_GAUSSIAN, 4, 3, 4);
  c.n_enc = 1; c.enc[0] = 7; c.n_dec = 1; c.dec[0] = 6;
  c.norm_mean = 0.45f; c.norm_scale = 0.3f;
  cases[n++] = (Case) { "ae gaussian (tanh)", c, 3, 0.0f, 1.0f / 128, 0, NULL };

  /* AE, Bernoulli, leaky ReLU hidden, tanh code */
  c = base (VAE_KIND_AE, VAE_LIK_BERNOULLI, 3, 3, 3);
  c.n_enc = 1; c.enc[0] = 8; c.n_dec = 1; c.dec[0] = 5;
  c.act = VAE_ACT_LRELU; c.code_act = VAE_ACT_TANH;
  cases[n++] = (Case) { "ae bernoulli (lrelu)", c, 4, 0.0f, 1.0f / 256, 1, NULL };

  /* AE without hidden layers */
  c = base (VAE_KIND_AE, VAE_LIK_GAUSSIAN, 5, 2, 3);
  cases[n++] = (Case) { "ae linear (no hidden)", c, 3, 0.0f, 1.0f / 128, 0, NULL };

  /* deep AE: three hidden layers per side, sigmoid code */
  c = base (VAE_KIND_AE, VAE_LIK_GAUSSIAN, 3, 3, 3);
  c.n_enc = 3; c.enc[0] = 8; c.enc[1] = 7; c.enc[2] = 5;
  c.n_dec = 3; c.dec[0] = 5; c.dec[1] = 6; c.dec[2] = 8;
  c.code_act = VAE_ACT_SIGMOID;
  cases[n++] = (Case) { "deep ae (3+3 hidden)", c, 3, 0.0f, 1.0f / 128, 0, NULL };

  /* sparse AE: the KL sparsity penalty dominates with beta 3 */
  c = base (VAE_KIND_SPARSE_AE, VAE_LIK_GAUSSIAN, 3, 2, 5);
  c.n_enc = 1; c.enc[0] = 6; c.n_dec = 1; c.dec[0] = 6;
  c.code_act = VAE_ACT_SIGMOID; c.sparse_rho = 0.1f; c.sparse_beta = 3.0f;
  cases[n++] = (Case) { "sparse ae (beta 3)", c, 4, 0.0f, 1.0f / 128, 0, NULL };

  /* DAE: residual + noise-conditional, normalised */
  c = base (VAE_KIND_DAE, VAE_LIK_GAUSSIAN, 3, 3, 6);
  c.n_enc = 1; c.enc[0] = 9; c.n_dec = 1; c.dec[0] = 7;
  c.code_act = VAE_ACT_TANH; c.residual = 1; c.noise_input = 1;
  c.noise = VAE_NOISE_GAUSSIAN; c.noise_min = 0.02f; c.noise_max = 0.2f;
  c.norm_mean = 0.5f; c.norm_scale = 0.25f;
  cases[n++] = (Case) { "dae residual+noise_input", c, 3, 0.0f, 1.0f / 128, 0, NULL };
  /* the same with uneven per-pixel loss weights (one of them 0) */
  static const float lw9[9] = { 0.3f, 1.7f, 0.0f, 1.0f, 2.5f, 0.6f, 0.9f, 1.2f, 0.1f };
  cases[n++] = (Case) { "dae residual, loss weights", c, 3, 0.0f, 1.0f / 128, 0, lw9 };

  /* DAE: plain (predicts the clean patch), ReLU code kinks skipped */
  c = base (VAE_KIND_DAE, VAE_LIK_GAUSSIAN, 2, 3, 5);
  c.n_enc = 1; c.enc[0] = 7; c.n_dec = 0;
  c.act = VAE_ACT_LRELU; c.code_act = VAE_ACT_LRELU;
  c.noise = VAE_NOISE_MASK; c.noise_max = 0.3f;
  cases[n++] = (Case) { "dae plain (lrelu)", c, 3, 0.0f, 1.0f / 256, 1, NULL };

  /* VAE, Bernoulli, β = 1 and ½ */
  c = base (VAE_KIND_VAE, VAE_LIK_BERNOULLI, 3, 3, 3);
  c.n_enc = 1; c.enc[0] = 7; c.n_dec = 1; c.dec[0] = 6;
  cases[n++] = (Case) { "vae bernoulli beta 1", c, 3, 1.0f, 1.0f / 128, 0, NULL };
  cases[n++] = (Case) { "vae bernoulli beta 0.5", c, 3, 0.5f, 1.0f / 128, 0, NULL };

  /* VAE, Gaussian (obs_sigma, normalised data), β = 1 and ½ */
  c = base (VAE_KIND_VAE, VAE_LIK_GAUSSIAN, 2, 3, 2);
  c.n_enc = 2; c.enc[0] = 7; c.enc[1] = 5; c.n_dec = 1; c.dec[0] = 6;
  c.obs_sigma = 0.5f; c.norm_mean = 0.4f; c.norm_scale = 0.6f;
  cases[n++] = (Case) { "vae gaussian beta 1", c, 3, 1.0f, 1.0f / 128, 0, NULL };
  cases[n++] = (Case) { "vae gaussian beta 0.5", c, 3, 0.5f, 1.0f / 128, 0, NULL };

  printf ("models (every parameter through vae_model_loss_grad; f32: "
      "library loss, step 2^-7 (2^-8 with rectifiers), floor %g; f64: reference loss, step 2^-12, "
      "floor %g):\n", FLOOR_F32, FLOOR_F64);
  for (int i = 0; i < n; i++) {
    Result r;
    VaeError err;
    VaeModel *m = vae_model_new (&cases[i].cfg, 1, &err);
    int nl = m ? vae_model_n_layers (m) : 0;
    vae_model_free (m);
    check_model (&cases[i], 100 + i, &r);
    printf ("  %-28s max rel err f32 %.2e (abs %.1e)  f64 %.2e (abs %.1e)\n",
        "", r.f32, r.f32_abs, r.f64, r.f64_abs);
    printf ("  %-28s per layer W/b (f32):", "");
    for (int l = 0; l < nl; l++)
      printf (" %.0e/%.0e", r.w[l], r.b[l]);
    printf ("\n");
    if (cases[i].kinks) {
      printf ("  %-28s %d (f32) and %d (f64) of %d parameters skipped at "
          "a kink\n", "", r.skipped, r.skipped64, r.total);
      CHECK (r.skipped * 20 < r.total && r.skipped64 * 20 < r.total, "%s: %d of %d parameters at kinks",
          cases[i].name, r.skipped, r.total);
    }
    CHECK (r.f32 < TOL, "%s: gradient error %.3g above %g (f32)",
        cases[i].name, r.f32, TOL);
    CHECK (r.f64 < TOL64, "%s: gradient error %.3g above %g (f64)",
        cases[i].name, r.f64, TOL64);
  }
}

/* The regularisers must actually contribute: the sparse penalty changes
 * loss and gradients when beta > 0 and vanishes at beta = 0; the VAE's KL
 * scales with β. */
static void
test_terms_contribute (void)
{
  VaeError err;
  VaeConfig c = base (VAE_KIND_SPARSE_AE, VAE_LIK_GAUSSIAN, 3, 2, 5);
  VaeRng rng;
  float x[4 * 6], eps[4 * 3];
  float *g0, *g3;
  VaeLoss L0, L3;
  double gdiff = 0.0;
  size_t np;

  c.n_enc = 1; c.enc[0] = 6; c.n_dec = 1; c.dec[0] = 6;
  c.code_act = VAE_ACT_SIGMOID; c.sparse_rho = 0.1f;
  vae_rng_seed (&rng, 5);
  for (int i = 0; i < 24; i++)
    x[i] = urand (&rng, 0.05f, 0.95f);

  for (int pass = 0; pass < 2; pass++) {
    VaeModel *m;
    VaeWorkspace *ws;
    c.sparse_beta = pass == 0 ? 0.0f : 3.0f;
    m = vae_model_new (&c, 77, &err);
    vae_model_prepare_training (m, &err);
    ws = vae_workspace_new (m, 4, 1, &err);
    np = vae_model_n_params (m);
    if (pass == 0) {
      model_loss (m, ws, x, x, NULL, 4, NULL, 0.0f, &L0);
      g0 = malloc (np * sizeof (float));
      memcpy (g0, vae_model_grads (m), np * sizeof (float));
    } else {
      model_loss (m, ws, x, x, NULL, 4, NULL, 0.0f, &L3);
      g3 = malloc (np * sizeof (float));
      memcpy (g3, vae_model_grads (m), np * sizeof (float));
    }
    vae_workspace_free (ws);
    vae_model_free (m);
  }
  for (size_t i = 0; i < np; i++)
    gdiff = fmax (gdiff, fabs (g3[i] - g0[i]));
  printf ("sparse penalty: beta 0 loss %.5f (kl %.5f), beta 3 loss %.5f "
      "(kl %.5f), max gradient change %.3g\n", L0.loss, L0.kl, L3.loss,
      L3.kl, gdiff);
  CHECK (L0.kl == 0.0f && L0.loss == L0.rec, "beta 0 still adds a penalty");
  CHECK (L3.kl > 0.01f, "beta 3 adds no penalty (kl %g)", L3.kl);
  CHECK (fabsf (L3.loss - (L0.loss + L3.kl)) < 1e-5f * (1 + L3.loss),
      "sparse loss %g is not rec %g + penalty %g", L3.loss, L0.loss, L3.kl);
  CHECK (gdiff > 1e-3, "the penalty does not change the gradients");
  free (g0);
  free (g3);

  /* VAE: loss = rec + β·KL with the same KL for every β */
  {
    VaeConfig v = base (VAE_KIND_VAE, VAE_LIK_BERNOULLI, 3, 2, 3);
    VaeModel *m;
    VaeWorkspace *ws;
    VaeLoss a, b;
    v.n_enc = 1; v.enc[0] = 5; v.n_dec = 1; v.dec[0] = 5;
    m = vae_model_new (&v, 9, &err);
    vae_model_prepare_training (m, &err);
    ws = vae_workspace_new (m, 4, 1, &err);
    for (int i = 0; i < 12; i++)
      eps[i] = vae_rng_normal (&rng);
    model_loss (m, ws, x, x, NULL, 4, eps, 1.0f, &a);
    model_loss (m, ws, x, x, NULL, 4, eps, 0.5f, &b);
    printf ("vae: beta 1 loss %.5f, beta 0.5 loss %.5f, kl %.5f\n", a.loss,
        b.loss, a.kl);
    CHECK (a.kl > 0.0f && a.kl == b.kl && a.rec == b.rec,
        "KL or rec depends on beta");
    CHECK (fabsf ((a.loss - b.loss) - 0.5f * a.kl) < 1e-5f * (1 + a.loss),
        "loss does not scale the KL by beta");
    vae_workspace_free (ws);
    vae_model_free (m);
  }
}

/* The Bernoulli loss the training step reports (a product-of-factors sum,
 * core/train.c) against the double reference, over many 64-pixel blocks and
 * a remainder, with logits from −120 to +120: saturated units, exp(−a)
 * overflowing to inf and underflowing to 0. */
static void
test_bernoulli_extremes (void)
{
  enum { B = 3 };
  VaeConfig c = base (VAE_KIND_AE, VAE_LIK_BERNOULLI, 15, 13, 4);
  VaeError err = { 0 };
  VaeRng rng;
  VaeModel *m;
  VaeWorkspace *ws;
  VaeLoss L;
  int D = 15 * 13, no;
  float *x = malloc (sizeof (float) * B * D), *b;
  double ref, e;

  c.act = VAE_ACT_IDENTITY;
  m = vae_model_new (&c, 5, &err);
  CHECK (m != NULL && vae_model_prepare_training (m, &err) == VAE_OK,
      "model: %s", err.msg);
  ws = vae_workspace_new (m, B, 1, &err);
  vae_rng_seed (&rng, 11);
  for (int i = 0; i < B * D; i++)
    x[i] = (float) (vae_rng_uniform (&rng) < 0.5f);
  vae_model_layer (m, vae_model_n_layers (m) - 1, NULL, &no, NULL, NULL, &b,
      NULL, NULL);
  for (int j = 0; j < no; j++)
    b[j] = -120.0f + 240.0f * j / (no - 1);
  model_loss (m, ws, x, x, NULL, B, NULL, 0.0f, &L);
  ref = ref_loss (m, x, x, NULL, B, NULL, 0.0f);
  e = fabs (L.rec - ref) / fmax (1.0, fabs (ref));
  printf ("bernoulli loss, %d pixels, logits ±120: %.6f (reference %.6f, "
      "rel diff %.1e)\n", D, L.rec, ref, e);
  CHECK (isfinite (L.rec) && e < 1e-6, "bernoulli loss %.9g, reference %.9g",
      L.rec, ref);
  vae_workspace_free (ws);
  vae_model_free (m);
  free (x);
}

/* vae_denoise_loss_weights: on an interior pixel the shares of the
 * patches covering it sum to 1 (checked by walking a grid of origins), a
 * stride of the patch or more gives 1 everywhere; vae_model_set_loss_weights
 * refuses what it cannot weight. */
static void
test_loss_weights (void)
{
  static const int ps[][3] = { { 8, 8, 6 }, { 8, 8, 3 }, { 5, 7, 2 },
    { 8, 8, 8 }, { 6, 4, 9 }, { 1, 1, 1 } };
  float w[64 * 64];
  VaeError err;

  for (size_t t = 0; t < sizeof ps / sizeof ps[0]; t++) {
    int pw = ps[t][0], ph = ps[t][1], st = ps[t][2];
    double worst = 0.0;
    CHECK (vae_denoise_loss_weights (pw, ph, st, VAE_WINDOW_GAUSS, w) == 0,
        "loss weights %dx%d stride %d", pw, ph, st);
    /* every pixel (Y, X) of one period, far from the borders of a grid
     * with origins k·st */
    for (int Y = 40; Y < 40 + st; Y++)
      for (int X = 40; X < 40 + st; X++) {
        double sum = 0.0;
        int covered = 0;
        for (int oy = 0; oy <= Y; oy += st)
          for (int ox = 0; ox <= X; ox += st)
            if (Y - oy < ph && X - ox < pw) {
              sum += w[(Y - oy) * pw + (X - ox)];
              covered = 1;
            }
        if (covered)          /* a stride above the patch leaves gaps */
          worst = fmax (worst, fabs (sum - 1.0));
      }
    CHECK (worst < 1e-6, "%dx%d stride %d: shares sum to 1 within %g",
        pw, ph, st, worst);
    if (st >= pw && st >= ph)
      for (int i = 0; i < pw * ph; i++)
        CHECK (w[i] == 1.0f, "stride %d >= patch: weight %d is %g", st, i,
            w[i]);
  }
  CHECK (vae_denoise_loss_weights (8, 8, 0, VAE_WINDOW_GAUSS, w) != 0,
      "stride 0 refused");
  CHECK (vae_denoise_loss_weights (0, 8, 6, VAE_WINDOW_GAUSS, w) != 0,
      "patch 0 refused");
  CHECK (vae_denoise_loss_weights (8, VAE_MAX_PATCH + 1, 6, VAE_WINDOW_GAUSS,
          w) != 0, "patch above VAE_MAX_PATCH refused");

  VaeConfig c = base (VAE_KIND_VAE, VAE_LIK_GAUSSIAN, 2, 2, 2);
  VaeModel *m = vae_model_new (&c, 1, &err);
  float ok[4] = { 1, 1, 1, 1 }, bad[4] = { 1, NAN, 1, 1 }, neg[4] = { 1, -1, 1, 1 };
  CHECK (m && vae_model_set_loss_weights (m, ok, &err) == VAE_ERR_KIND,
      "loss weights on a VAE refused");
  vae_model_free (m);
  c = base (VAE_KIND_DAE, VAE_LIK_GAUSSIAN, 2, 2, 3);
  c.noise = VAE_NOISE_GAUSSIAN;
  m = vae_model_new (&c, 1, &err);
  CHECK (m && vae_model_set_loss_weights (m, bad, &err) == VAE_ERR_ARG,
      "a NaN loss weight refused");
  CHECK (m && vae_model_set_loss_weights (m, neg, &err) == VAE_ERR_ARG,
      "a negative loss weight refused");
  CHECK (m && vae_model_set_loss_weights (m, ok, &err) == VAE_OK
      && vae_model_set_loss_weights (m, NULL, &err) == VAE_OK,
      "loss weights set and cleared");
  vae_model_free (m);
  printf ("loss weights: shares sum to 1 for %zu patch/stride pairs; "
      "refusals checked\n", sizeof ps / sizeof ps[0]);
}

int
main (void)
{
  test_dense ();
  test_loss_weights ();
  test_models ();
  test_terms_contribute ();
  test_bernoulli_extremes ();
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  printf ("all gradient checks passed\n");
  return 0;
}
