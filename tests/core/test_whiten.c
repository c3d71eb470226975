/* ZCA whitening against its definition, and folding it into an AE.
 *
 * Correlated Gaussian data (x = A g, g ~ N(0, I)) whitened by the fitted W
 * must have unit covariance up to sampling error and ε, W must be symmetric
 * and W⁻¹ its inverse; an AE with the whitening folded in must give on raw
 * data exactly what the original gives on whitened data, dewhitened. */
#include "vae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

enum { D = 16, N = 200000 };

static void
test_fit (void)
{
  float *x = malloc ((size_t) N * D * sizeof (float));
  float *tmp = malloc ((size_t) N * D * sizeof (float));
  float a[D * D], mean[D], w[D * D], wi[D * D], mu[D];
  double cov[D * D], worst_cov = 0, worst_sym = 0, worst_inv = 0, worst_mu = 0;
  VaeRng r;
  VaeError err;

  vae_rng_seed (&r, 9);
  for (int i = 0; i < D * D; i++)
    a[i] = (i / D == i % D ? 1.0f : 0.0f) + 0.4f * (vae_rng_uniform (&r) - 0.5f);
  for (int j = 0; j < D; j++)
    mu[j] = 0.1f * j;
  for (size_t n = 0; n < N; n++) {
    float g[D];
    for (int j = 0; j < D; j++)
      g[j] = vae_rng_normal (&r) * (j < 4 ? 3.0f : 0.5f);
    for (int i = 0; i < D; i++) {
      float s = mu[i];
      for (int j = 0; j < D; j++)
        s += a[i * D + j] * g[j];
      x[n * D + i] = s;
    }
  }
  CHECK (vae_zca_fit (x, N, D, 0.0f, mean, w, wi, &err) == VAE_OK, "%s", err.msg);
  for (int j = 0; j < D; j++)
    worst_mu = fmax (worst_mu, fabs (mean[j] - mu[j]));
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) {
      double p = 0;
      worst_sym = fmax (worst_sym, fabs (w[i * D + j] - w[j * D + i]));
      for (int k = 0; k < D; k++)
        p += (double) w[i * D + k] * wi[k * D + j];
      worst_inv = fmax (worst_inv, fabs (p - (i == j)));
    }
  vae_zca_apply (mean, w, D, x, N, tmp);
  memset (cov, 0, sizeof cov);
  for (size_t n = 0; n < N; n++)
    for (int i = 0; i < D; i++)
      for (int j = 0; j < D; j++)
        cov[i * D + j] += (double) x[n * D + i] * x[n * D + j] / (N - 1);
  for (int i = 0; i < D * D; i++)
    worst_cov = fmax (worst_cov, fabs (cov[i] - (i / D == i % D)));
  printf ("ZCA: mean off by %.2g, W asymmetry %.2g, W·W⁻¹ − I %.2g, "
      "whitened covariance − I %.2g\n", worst_mu, worst_sym, worst_inv,
      worst_cov);
  /* sampling error of a covariance entry is about 1/√N = 0.0022 */
  CHECK (worst_mu < 0.03, "mean off by %g", worst_mu);
  CHECK (worst_sym < 1e-5, "W not symmetric (%g)", worst_sym);
  CHECK (worst_inv < 1e-4, "W⁻¹ is not W's inverse (%g)", worst_inv);
  CHECK (worst_cov < 0.02, "whitened covariance off identity by %g", worst_cov);
  CHECK (vae_zca_fit (x, 1, D, 0.0f, mean, w, wi, &err) == VAE_ERR_ARG,
      "one sample accepted");
  free (x);
  free (tmp);
}

static void
test_fold (void)
{
  VaeConfig c = vae_config_default ();
  VaeModel *m, *f;
  VaeWorkspace *ws, *wf;
  VaeError err;
  VaeRng r;
  enum { B = 32 };
  float x[B * D], xw[B * D], tmp[B * D], y[B * D], yf[B * D];
  float mean[D], w[D * D], wi[D * D], *data;
  double worst = 0;
  void *buf;
  size_t size;

  c.kind = VAE_KIND_SPARSE_AE;
  c.n_in = D;
  c.img_w = 4;
  c.img_h = 4;
  c.n_enc = 0;
  c.n_latent = 12;
  c.n_dec = 0;
  c.act = VAE_ACT_SIGMOID;
  c.code_act = VAE_ACT_SIGMOID;
  m = vae_model_new (&c, 3, &err);
  CHECK (m != NULL, "%s", err.msg);
  if (m == NULL)
    return;
  /* a whitening from random correlated data */
  data = malloc (5000 * D * sizeof (float));
  vae_rng_seed (&r, 4);
  for (int n = 0; n < 5000; n++)
    for (int j = 0; j < D; j++)
      data[n * D + j] = vae_rng_uniform (&r) + (j ? 0.5f * data[n * D + j - 1] : 0.0f);
  vae_zca_fit (data, 5000, D, 1e-3f, mean, w, wi, &err);
  free (data);
  vae_model_save_to_memory (m, &buf, &size, &err);
  f = vae_model_load_from_memory (buf, size, &err);
  free (buf);
  CHECK (vae_model_fold_whitening (f, mean, w, wi, &err) == VAE_OK, "%s", err.msg);
  for (int i = 0; i < B * D; i++)
    x[i] = xw[i] = vae_rng_uniform (&r);
  vae_zca_apply (mean, w, D, xw, B, tmp);
  ws = vae_workspace_new (m, B, 0, &err);
  wf = vae_workspace_new (f, B, 0, &err);
  vae_reconstruct (m, ws, xw, B, 0.0f, y);        /* whitened space */
  vae_reconstruct (f, wf, x, B, 0.0f, yf);        /* raw data */
  for (int b = 0; b < B; b++)
    for (int i = 0; i < D; i++) {
      double raw = mean[i];                       /* dewhiten: W⁻¹ y + μ */
      for (int k = 0; k < D; k++)
        raw += (double) wi[i * D + k] * y[b * D + k];
      worst = fmax (worst, fabs (raw - yf[b * D + i]));
    }
  printf ("folded AE vs whitened AE, dewhitened: max difference %.2g\n", worst);
  CHECK (worst < 1e-4, "folded model differs by %g", worst);
  vae_workspace_free (ws);
  vae_workspace_free (wf);
  vae_model_free (m);
  vae_model_free (f);
}

int
main (void)
{
  test_fit ();
  test_fold ();
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  printf ("all whitening checks passed\n");
  return 0;
}
