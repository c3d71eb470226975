/* Training: the loss really falls, runs are reproducible, the VAE learns
 * real images and its IWAE bound behaves, the sparsity penalty pulls the
 * code towards ρ, a DAE removes noise.
 *
 * Real images come from VAE_SHARED_DATA/mnist, else Debian's
 * dataset-fashion-mnist; without either that part is skipped (exit 77 once
 * everything else has passed). */
#include "vae.h"
#include "vae_data.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int skipped = 0;


/* ------------------------------------------------------------------ data */

/* n samples of rank-r data in d dimensions, in [0.1, 0.9]. */
static float *
low_rank (int n, int d, int r, uint64_t seed)
{
  VaeRng g;
  float *basis = malloc (sizeof (float) * r * d);
  float *x = malloc (sizeof (float) * n * d);
  vae_rng_seed (&g, seed);
  for (int i = 0; i < r * d; i++)
    basis[i] = vae_rng_normal (&g) / sqrtf ((float) r);
  for (int i = 0; i < n; i++) {
    float c[16];
    for (int k = 0; k < r; k++)
      c[k] = vae_rng_normal (&g);
    for (int j = 0; j < d; j++) {
      float v = 0.0f;
      for (int k = 0; k < r; k++)
        v += c[k] * basis[k * d + j];
      x[(size_t) i * d + j] = 0.5f + 0.1f * v;
    }
  }
  free (basis);
  return x;
}

static double
mean_rec (const VaeModel *m, VaeWorkspace *ws, const float *x, int n)
{
  const VaeConfig *c = vae_model_config (m);
  int B = vae_workspace_max_batch (ws);
  float *rec = malloc (sizeof (float) * B);
  double s = 0.0;
  VaeRng r;
  vae_rng_seed (&r, 1);
  for (int i = 0; i < n; i += B) {
    int b = n - i < B ? n - i : B;
    vae_score (m, ws, x + (size_t) i * c->n_in, b, &r, rec, NULL);
    for (int k = 0; k < b; k++)
      s += rec[k];
  }
  free (rec);
  return s / n;
}

/* Mean negative ELBO over `draws` ε draws per sample. */
static double
mean_neg_elbo (const VaeModel *m, VaeWorkspace *ws, const float *x, int n,
    int draws, uint64_t seed, double *se)
{
  const VaeConfig *c = vae_model_config (m);
  int B = vae_workspace_max_batch (ws);
  float *e = malloc (sizeof (float) * B);
  double s = 0.0, s2 = 0.0;
  VaeRng r;
  vae_rng_seed (&r, seed);
  for (int d = 0; d < draws; d++)
    for (int i = 0; i < n; i += B) {
      int b = n - i < B ? n - i : B;
      vae_score (m, ws, x + (size_t) i * c->n_in, b, &r, NULL, e);
      for (int k = 0; k < b; k++) {
        s += e[k];
        s2 += (double) e[k] * e[k];
      }
    }
  free (e);
  s /= (double) n * draws;
  if (se)
    *se = sqrt ((s2 / ((double) n * draws) - s * s) / ((double) n * draws));
  return s;
}

/* Runs steps of training on data x (n samples), batches in order. */
static void
train (VaeModel *m, VaeWorkspace *ws, const float *x, int n, int steps,
    const VaeTrainOpts *o, uint64_t seed, VaeLoss *last)
{
  const VaeConfig *c = vae_model_config (m);
  int B = vae_workspace_max_batch (ws);
  VaeRng r;
  vae_rng_seed (&r, seed);
  for (int s = 0; s < steps; s++) {
    int start = (int) (((long) s * B) % (n - B + 1));
    int rc = vae_model_train_step (m, ws, x + (size_t) start * c->n_in, B, o,
        s, &r, last);
    if (rc != VAE_OK) {
      CHECK (0, "train step %d: status %d", s, rc);
      return;
    }
  }
}

static VaeModel *
new_model (const VaeConfig *c, uint64_t seed, int batch, VaeWorkspace **ws)
{
  VaeError err;
  VaeModel *m = vae_model_new (c, seed, &err);
  if (m == NULL) {
    CHECK (0, "vae_model_new: %s", err.msg);
    exit (1);
  }
  CHECK (vae_model_prepare_training (m, &err) == VAE_OK, "prepare: %s",
      err.msg);
  *ws = vae_workspace_new (m, batch, 1, &err);
  CHECK (*ws != NULL, "workspace: %s", err.msg);
  return m;
}

/* ------------------------------------------------------------------ Adam */

/* vae_model_adam_step against AdamW written out in double as PyTorch
 * gives it (m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ), p ← p − lr·(m̂ / (√v̂ +
 * ε) + λ·p)), with the cosine learning rate, over steps whose gradients
 * change sign and size, some zero, some far below ε's scale. */
static void
test_adam (void)
{
  VaeConfig c = vae_config_default ();
  VaeTrainOpts o = vae_train_opts_default ();
  VaeWorkspace *ws;
  VaeModel *m;
  VaeRng r;
  size_t n;
  double *p, *mm, *vv, worst = 0.0, moved = 0.0;
  const int steps = 12;

  c.kind = VAE_KIND_AE;
  c.img_w = 20;
  c.img_h = 1;
  c.n_in = 20;
  c.n_enc = 1;
  c.enc[0] = 37;              /* 20·37 + 37 + …: no multiple of 16 */
  c.n_latent = 3;
  c.n_dec = 0;
  m = new_model (&c, 5, 8, &ws);
  n = vae_model_n_params (m);
  p = malloc (n * sizeof (double));
  mm = calloc (n, sizeof (double));
  vv = calloc (n, sizeof (double));
  o.lr = 3e-3f;
  o.weight_decay = 0.01f;
  o.lr_final = 1e-4f;
  o.total_steps = 10;         /* the cosine's end passed: lr_final after */
  vae_rng_seed (&r, 17);
  for (size_t i = 0; i < n; i++)
    p[i] = vae_model_params (m)[i];
  for (int t = 0; t < steps; t++) {
    float *g = vae_model_grads (m), *pf = vae_model_params (m);
    double f = fmin (1.0, (double) t / o.total_steps);
    double lr = o.lr_final + 0.5 * (o.lr - o.lr_final) * (1.0 + cos (M_PI
            * f));
    double bc1 = 1.0 - pow (o.beta1, t + 1), bc2 = 1.0 - pow (o.beta2, t
        + 1);
    for (size_t i = 0; i < n; i++) {
      int kind = (int) ((i + (size_t) t) % 7);
      g[i] = kind == 0 ? 0.0f : kind == 1 ? urand (&r, -1e-9f, 1e-9f)
          : urand (&r, -2.0f, 2.0f) * (kind == 2 ? 100.0f : 1.0f);
    }
    vae_model_adam_step (m, &o, t);
    for (size_t i = 0; i < n; i++) {
      double gi = g[i];
      mm[i] = o.beta1 * mm[i] + (1.0 - o.beta1) * gi;
      vv[i] = o.beta2 * vv[i] + (1.0 - o.beta2) * gi * gi;
      double before = p[i];
      p[i] -= lr * ((mm[i] / bc1) / (sqrt (vv[i] / bc2) + o.eps)
          + o.weight_decay * p[i]);
      moved = fmax (moved, fabs (p[i] - before));
      /* float's rounding of parameters of size ~1, and of updates of
       * size lr: far below a wrong bias correction or decay (~lr) */
      double e = fabs (pf[i] - p[i]) / (fabs (p[i]) + lr);
      if (!(e <= worst))
        worst = isnan (e) ? INFINITY : e;
    }
  }
  printf ("Adam against AdamW in double, %zu parameters, %d steps: worst "
      "error %.2g of |p| + lr (largest step %.2g)\n", n, steps, worst, moved);
  CHECK (worst < 1e-5, "Adam off by %g of |p| + lr", worst);
  CHECK (moved > 1e-3, "Adam did not move the parameters (%g)", moved);
  free (p);
  free (mm);
  free (vv);
  vae_workspace_free (ws);
  vae_model_free (m);
}

/* --------------------------------------------------------- low-rank AE */

static VaeConfig
ae_config (void)
{
  VaeConfig c = vae_config_default ();
  c.kind = VAE_KIND_AE;
  c.img_w = 24;
  c.img_h = 1;
  c.n_in = 24;
  c.n_enc = 1;
  c.enc[0] = 32;
  c.n_latent = 3;
  c.n_dec = 1;
  c.dec[0] = 32;
  c.act = VAE_ACT_TANH;
  c.norm_mean = 0.5f;
  c.norm_scale = 0.1f;
  return c;
}

static void
test_low_rank (void)
{
  VaeConfig c = ae_config ();
  VaeWorkspace *ws;
  VaeModel *m = new_model (&c, 1, 64, &ws);
  VaeTrainOpts o = vae_train_opts_default ();
  float *x = low_rank (4096, 24, 3, 7), *xt = low_rank (1024, 24, 3, 7);
  double before, after;
  VaeLoss L;

  /* the held-out set shares the basis (same seed) but not the samples */
  memcpy (xt, x + 3072 * 24, sizeof (float) * 1024 * 24);
  o.lr = 3e-3f;
  o.lr_final = 3e-4f;
  o.total_steps = 3000;
  before = mean_rec (m, ws, xt, 1024);
  train (m, ws, x, 3072, 3000, &o, 11, &L);
  after = mean_rec (m, ws, xt, 1024);
  printf ("low-rank AE (rank 3 in 24-d, code 3): held-out rec %.4f -> %.4f "
      "(%.0fx lower), last batch loss %.4f\n", before, after, before / after,
      L.loss);
  CHECK (isfinite (after) && after * 10 < before,
      "reconstruction error fell only from %g to %g", before, after);
  free (x);
  free (xt);
  vae_workspace_free (ws);
  vae_model_free (m);
}

/* ------------------------------------------------------- reproducibility */

/* ae_config () as `kind`; a DAE gets Gaussian noise and the level input. */
static VaeConfig
kind_config (VaeKind kind)
{
  VaeConfig c = ae_config ();
  c.kind = kind;
  if (c.kind == VAE_KIND_DAE) {
    c.noise = VAE_NOISE_GAUSSIAN;
    c.noise_min = 0.02f;
    c.noise_max = 0.1f;
    c.residual = 1;
    c.noise_input = 1;
  }
  return c;
}

static void
test_reproducible (void)
{
  static const VaeKind kinds[] = { VAE_KIND_AE, VAE_KIND_DAE, VAE_KIND_VAE };
  float *x = low_rank (1024, 24, 3, 5);
  for (int k = 0; k < 3; k++) {
    VaeConfig c = kind_config (kinds[k]);
    VaeModel *m[3];
    VaeWorkspace *ws[3];
    VaeTrainOpts o = vae_train_opts_default ();
    VaeLoss L;
    o.kl_anneal_steps = 50;
    for (int i = 0; i < 3; i++) {
      m[i] = new_model (&c, i == 2 ? 43 : 42, 32, &ws[i]);
      train (m[i], ws[i], x, 1024, 200, &o, i == 2 ? 8 : 7, &L);
    }
    size_t n = vae_model_n_params (m[0]);
    int same = memcmp (vae_model_params (m[0]), vae_model_params (m[1]),
        n * sizeof (float)) == 0;
    int differ = memcmp (vae_model_params (m[0]), vae_model_params (m[2]),
        n * sizeof (float)) != 0;
    printf ("%-4s 200 steps twice with one seed: %s; another seed: %s\n",
        vae_kind_name (c.kind), same ? "bit-identical" : "DIFFERENT",
        differ ? "different" : "IDENTICAL");
    CHECK (same, "%s: same seeds gave different parameters",
        vae_kind_name (c.kind));
    CHECK (differ, "%s: another seed gave the same parameters",
        vae_kind_name (c.kind));
    for (int i = 0; i < 3; i++) {
      vae_workspace_free (ws[i]);
      vae_model_free (m[i]);
    }
  }
  free (x);
}

/* KL annealing: β rises linearly from 0 over kl_anneal_steps. */
static void
test_anneal (void)
{
  VaeConfig c = ae_config ();
  VaeWorkspace *ws;
  VaeModel *m;
  VaeTrainOpts o = vae_train_opts_default ();
  float *x = low_rank (64, 24, 3, 5);
  VaeRng r;
  VaeLoss L;
  float beta[3];
  long steps[3] = { 0, 50, 150 };
  c.kind = VAE_KIND_VAE;
  m = new_model (&c, 1, 32, &ws);
  o.kl_beta = 0.8f;
  o.kl_anneal_steps = 100;
  vae_rng_seed (&r, 1);
  for (int i = 0; i < 3; i++) {
    vae_model_train_step (m, ws, x, 32, &o, steps[i], &r, &L);
    beta[i] = L.beta;
  }
  printf ("KL annealing over 100 steps to 0.8: beta %.3f %.3f %.3f at "
      "steps 0, 50, 150\n", beta[0], beta[1], beta[2]);
  CHECK (beta[0] == 0.0f && fabsf (beta[1] - 0.4f) < 1e-6f
      && beta[2] == 0.8f, "annealed beta wrong");
  free (x);
  vae_workspace_free (ws);
  vae_model_free (m);
}

/* -------------------------------------------------------------- sparsity */

static double
mean_code (const VaeModel *m, VaeWorkspace *ws, const float *x, int n)
{
  const VaeConfig *c = vae_model_config (m);
  int B = vae_workspace_max_batch (ws), K = c->n_latent;
  float *z = malloc (sizeof (float) * B * K);
  double s = 0.0;
  for (int i = 0; i < n; i += B) {
    int b = n - i < B ? n - i : B;
    vae_encode (m, ws, x + (size_t) i * c->n_in, b, z, NULL);
    for (int k = 0; k < b * K; k++)
      s += z[k];
  }
  free (z);
  return s / ((double) n * K);
}

static void
test_sparse (void)
{
  float *x = low_rank (2048, 24, 3, 9);
  double start[2], end[2], rec[2];
  const float rho = 0.05f;
  for (int pass = 0; pass < 2; pass++) {
    VaeConfig c = ae_config ();
    VaeWorkspace *ws;
    VaeModel *m;
    VaeTrainOpts o = vae_train_opts_default ();
    VaeLoss L;
    c.kind = VAE_KIND_SPARSE_AE;
    c.n_latent = 16;
    c.code_act = VAE_ACT_SIGMOID;
    c.sparse_rho = rho;
    c.sparse_beta = pass ? 3.0f : 0.0f;
    m = new_model (&c, 3, 64, &ws);
    o.lr = 3e-3f;
    start[pass] = mean_code (m, ws, x, 2048);
    train (m, ws, x, 2048, 1500, &o, 5, &L);
    end[pass] = mean_code (m, ws, x, 2048);
    rec[pass] = mean_rec (m, ws, x, 2048);
    printf ("sparse AE (rho %.2f, beta %.0f): mean code activation %.3f -> "
        "%.3f, rec %.4f\n", rho, c.sparse_beta, start[pass], end[pass],
        rec[pass]);
    vae_workspace_free (ws);
    vae_model_free (m);
  }
  /* with the penalty the mean activation ends near ρ; without it, far */
  CHECK (fabs (end[1] - rho) < 0.25 * fabs (start[1] - rho)
      && fabs (end[1] - rho) < 0.05,
      "with beta 3 the code moved from %.3f only to %.3f (rho %.2f)",
      start[1], end[1], rho);
  CHECK (fabs (end[0] - rho) > 3 * fabs (end[1] - rho),
      "without the penalty the code also reached %.3f", end[0]);
  free (x);
}

/* ---------------------------------------------------------------- DAE */

/* A DAE trained on corrupted low-rank data removes most of the noise
 * (projecting onto the 3-d signal removes 21/24 of it, 9 dB).  A residual
 * DAE predicts the noise, which spans all 24 dimensions, so its code must
 * be wide; the plain one predicts the 3-d signal through a narrow code. */
static void
test_dae (void)
{
  for (int residual = 0; residual < 2; residual++) {
    VaeConfig c = ae_config ();
    VaeWorkspace *ws, *wsi;
    VaeModel *m;
    VaeTrainOpts o = vae_train_opts_default ();
    VaeError err;
    VaeLoss L;
    VaeRng r;
    const int n = 1024;
    const float sigma = 0.05f;
    float *x = low_rank (4096, 24, 3, 13);
    float *noisy = malloc (sizeof (float) * n * 24);
    float *out = malloc (sizeof (float) * n * 24);
    double e_in = 0, e_out = 0, gain;

    c.kind = VAE_KIND_DAE;
    c.noise = VAE_NOISE_GAUSSIAN;
    c.noise_min = 0.02f;
    c.noise_max = 0.08f;
    c.residual = residual;
    c.noise_input = residual;
    if (residual) {
      c.enc[0] = 64;
      c.n_latent = 48;
      c.dec[0] = 64;
    } else {
      c.n_latent = 6;
    }
    m = new_model (&c, 2, 64, &ws);
    o.lr = 2e-3f;
    o.lr_final = 2e-4f;
    o.total_steps = 3000;
    train (m, ws, x, 3072, 3000, &o, 3, &L);
    wsi = vae_workspace_new (m, n, 0, &err);
    vae_rng_seed (&r, 99);
    vae_noise_apply_f32 (VAE_NOISE_GAUSSIAN, sigma, 0, 1, x + 3072 * 24,
        noisy, (size_t) n * 24, &r);
    vae_reconstruct (m, wsi, noisy, n, sigma, out);
    for (int i = 0; i < n * 24; i++) {
      double d_in = noisy[i] - x[3072 * 24 + i];
      double d_out = out[i] - x[3072 * 24 + i];
      e_in += d_in * d_in;
      e_out += d_out * d_out;
    }
    gain = 10 * log10 (e_in / e_out);
    printf ("%s DAE (sigma %.2f): held-out MSE %.2e noisy -> %.2e denoised "
        "(%.1f dB)\n", residual ? "residual, noise-conditional" : "plain",
        sigma, e_in / (n * 24), e_out / (n * 24), gain);
    CHECK (gain > 6.0, "the %s DAE gained only %.1f dB",
        residual ? "residual" : "plain", gain);
    free (x);
    free (noisy);
    free (out);
    vae_workspace_free (wsi);
    vae_workspace_free (ws);
    vae_model_free (m);
  }
}

/* ---------------------------------------------------- VAE on real images */

static int
load_images (VaeImages *im, char *used, size_t used_len)
{
  const char *shared = getenv ("VAE_SHARED_DATA");
  char path[1024];
  VaeError err;
  if (shared) {
    snprintf (path, sizeof path, "%s/mnist/train-images-idx3-ubyte.gz",
        shared);
    if (vae_images_load_idx (path, im, &err) == VAE_OK) {
      snprintf (used, used_len, "%s", path);
      return 1;
    }
  }
  snprintf (path, sizeof path,
      "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
  if (vae_images_load_idx (path, im, &err) == VAE_OK) {
    snprintf (used, used_len, "%s", path);
    return 1;
  }
  return 0;
}

static void
test_vae_images (void)
{
  VaeImages im;
  char used[1024];
  const int n_train = 5000, n_test = 500, D = 784, steps = 400;
  float *x;
  VaeConfig c = vae_config_default ();
  VaeWorkspace *ws, *wse, *wsi;
  VaeModel *m;
  VaeTrainOpts o = vae_train_opts_default ();
  VaeError err;
  VaeLoss L;
  double before, after, se;

  if (!load_images (&im, used, sizeof used)) {
    printf ("SKIP VAE on real images: neither $VAE_SHARED_DATA/mnist/"
        "train-images-idx3-ubyte.gz nor /usr/share/datasets/fashion-mnist/ "
        "(Debian dataset-fashion-mnist) is readable\n");
    skipped++;
    return;
  }
  CHECK (im.w == 28 && im.h == 28 && im.n >= n_train + n_test,
      "%s: %d images of %dx%d", used, im.n, im.w, im.h);
  /* fixed binarisation: Bernoulli data */
  x = malloc (sizeof (float) * (n_train + n_test) * D);
  for (size_t i = 0; i < (size_t) (n_train + n_test) * D; i++)
    x[i] = im.pixels[i] > 127 ? 1.0f : 0.0f;
  vae_images_clear (&im);

  c.kind = VAE_KIND_VAE;
  c.likelihood = VAE_LIK_BERNOULLI;
  c.img_w = c.img_h = 28;
  c.n_in = D;
  c.n_enc = 1;
  c.enc[0] = 200;
  c.n_latent = 16;
  c.n_dec = 1;
  c.dec[0] = 200;
  c.act = VAE_ACT_RELU;
  m = new_model (&c, 1, 100, &ws);
  wse = vae_workspace_new (m, 250, 0, &err);
  o.lr = 1e-3f;
  before = mean_neg_elbo (m, wse, x + (size_t) n_train * D, n_test, 1, 5,
      NULL);
  train (m, ws, x, n_train, steps, &o, 2, &L);
  after = mean_neg_elbo (m, wse, x + (size_t) n_train * D, n_test, 1, 5,
      NULL);
  printf ("VAE 784-200-16-200-784 on %d images of %s, %d steps of 100: "
      "held-out -ELBO %.1f -> %.1f nats\n", n_train, used, steps, before,
      after);
  CHECK (isfinite (after) && after < 0.5 * before,
      "-ELBO fell only from %.1f to %.1f", before, after);

  /* IWAE: k = 1 is the ELBO estimator (same expectation), larger k only
   * tightens the bound. */
  {
    const int n = 100, reps = 20;
    float lp[1];
    double iw1 = 0, iw50 = 0, iw1_2 = 0, elbo;
    VaeRng r;
    wsi = vae_workspace_new (m, 50, 0, &err);
    vae_rng_seed (&r, 77);
    for (int i = 0; i < n; i++) {
      const float *xi = x + (size_t) (n_train + i) * D;
      for (int k = 0; k < reps; k++) {
        vae_iwae (m, wsi, xi, 1, 1, &r, lp);
        iw1 += lp[0];
        iw1_2 += (double) lp[0] * lp[0];
      }
      vae_iwae (m, wsi, xi, 1, 50, &r, lp);
      iw50 += lp[0];
    }
    iw1 /= n * reps;
    iw50 /= n;
    {
      double sd = sqrt (iw1_2 / (n * reps) - iw1 * iw1);
      double se1 = sd / sqrt ((double) n * reps);
      elbo = -mean_neg_elbo (m, wse, x + (size_t) n_train * D, n, reps, 9,
          &se);
      printf ("IWAE on %d held-out images: k=1 %.2f (+-%.2f), ELBO %.2f "
          "(+-%.2f), k=50 %.2f nats\n", n, iw1, se1, elbo, se, iw50);
      CHECK (fabs (iw1 - elbo) < 5 * sqrt (se1 * se1 + se * se),
          "IWAE with k=1 (%.3f) is not the ELBO (%.3f)", iw1, elbo);
      CHECK (iw50 >= elbo - 5 * se && iw50 > iw1,
          "IWAE k=50 %.3f below the ELBO %.3f", iw50, elbo);
    }
    vae_workspace_free (wsi);
  }
  free (x);
  vae_workspace_free (wse);
  vae_workspace_free (ws);
  vae_model_free (m);
}

/* ------------------------------------------------ data-parallel pool */

/* A pool of N threads against the one-thread step from the same model and
 * random state: the same parameters up to the float rounding of summing the
 * shards (batches that split evenly, unevenly and into fewer shards than
 * threads), the same bytes on a second run, and the sparse AE kept whole. */
static void
test_pool (void)
{
  static const VaeKind kinds[] = { VAE_KIND_AE, VAE_KIND_DAE, VAE_KIND_VAE,
    VAE_KIND_SPARSE_AE };
  static const int batches[] = { 32, 7, 32, 1, 32 };
  float *x = low_rank (1024, 24, 3, 5);
  for (int k = 0; k < 4; k++)
    for (int threads = 2; threads <= 3; threads++) {
      VaeConfig c = kind_config (kinds[k]);
      VaeModel *m[3];
      VaeWorkspace *ws[3];
      VaeTrainPool *pool[2];
      VaeTrainOpts o = vae_train_opts_default ();
      VaeError err;
      VaeRng r[3];
      VaeLoss L[3];
      double worst = 0.0, lworst = 0.0, moved = 0.0, gworst = 0.0;
      size_t n;
      if (c.kind == VAE_KIND_SPARSE_AE)
        c.code_act = VAE_ACT_SIGMOID;
      o.kl_anneal_steps = 3;
      o.u8_fraction = 0.5f;
      for (int i = 0; i < 3; i++) {
        m[i] = new_model (&c, 42, 32, &ws[i]);
        vae_rng_seed (&r[i], 7);
      }
      for (int i = 0; i < 2; i++) {
        pool[i] = vae_train_pool_new (m[i + 1], 32, threads, &err);
        CHECK (pool[i] != NULL, "pool: %s", err.msg);
      }
      CHECK (vae_train_pool_threads (pool[0])
          == (c.kind == VAE_KIND_SPARSE_AE ? 1 : threads),
          "%s: %d threads in a pool of %d", vae_kind_name (c.kind),
          vae_train_pool_threads (pool[0]), threads);
      for (int s = 0; s < 5; s++) {
        const float *xb = x + (size_t) s * 100 * 24;
        vae_model_train_step (m[0], ws[0], xb, batches[s], &o, s, &r[0], &L[0]);
        for (int i = 0; i < 2; i++)
          CHECK (vae_train_pool_step (pool[i], xb, batches[s], &o, s, &r[i + 1],
                  &L[i + 1]) == VAE_OK, "pool step %d refused", s);
        lworst = fmax (lworst, fabs (L[0].loss - L[1].loss)
            / fmax (1.0, fabs (L[0].loss)));
        if (s <= 1) {
          /* the gradients themselves (Adam would hide a scale error) */
          double gd = 0.0, gmax = 0.0;
          for (size_t j = 0; j < vae_model_n_params (m[0]); j++) {
            gd = fmax (gd, fabs (vae_model_grads (m[0])[j]
                    - vae_model_grads (m[1])[j]));
            gmax = fmax (gmax, fabs (vae_model_grads (m[0])[j]));
          }
          gworst = fmax (gworst, gd / gmax);
        }
      }
      n = vae_model_n_params (m[0]);
      {
        VaeWorkspace *ws0;
        VaeModel *m0 = new_model (&c, 42, 1, &ws0);
        for (size_t j = 0; j < n; j++) {
          float a = vae_model_params (m[0])[j], b = vae_model_params (m[1])[j];
          worst = fmax (worst, fabs (a - b));
          moved = fmax (moved, fabs (a - vae_model_params (m0)[j]));
        }
        vae_model_free (m0);
        vae_workspace_free (ws0);
      }
      printf ("%-9s pool of %d, 5 steps (batches 32, 7, 32, 1, 32): params "
          "within %.1g of one thread (moved %.1g), gradients %.1g, loss %.1g, "
          "rerun %s\n", vae_kind_name (c.kind), threads, worst, moved, gworst,
          lworst,
          memcmp (vae_model_params (m[1]), vae_model_params (m[2]),
              n * sizeof (float)) == 0 ? "bit-identical" : "DIFFERENT");
      CHECK (worst < 2e-5 && moved > 1e-3, "%s: pool of %d ends %g from the "
          "one-thread step (moved %g)", vae_kind_name (c.kind), threads, worst,
          moved);
      CHECK (gworst < 1e-5, "%s: pool gradients differ by %g of the largest",
          vae_kind_name (c.kind), gworst);
      CHECK (lworst < 1e-5, "%s: pool loss differs by %g",
          vae_kind_name (c.kind), lworst);
      CHECK (memcmp (vae_model_params (m[1]), vae_model_params (m[2]),
              n * sizeof (float)) == 0, "%s: two pool runs differ",
          vae_kind_name (c.kind));
      for (int i = 0; i < 2; i++)
        vae_train_pool_free (pool[i]);
      for (int i = 0; i < 3; i++) {
        vae_workspace_free (ws[i]);
        vae_model_free (m[i]);
      }
    }
  free (x);
  openblas_set_num_threads (1);
}

int
main (void)
{
  openblas_set_num_threads (1);
  test_adam ();
  test_low_rank ();
  test_reproducible ();
  test_anneal ();
  test_sparse ();
  test_dae ();
  test_vae_images ();
  test_pool ();
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  if (skipped) {
    printf ("everything else passed; %d part(s) skipped\n", skipped);
    return 77;
  }
  printf ("all training checks passed\n");
  return 0;
}
