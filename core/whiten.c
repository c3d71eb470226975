/* ZCA whitening of patch data (LAPACK's dsyev from OpenBLAS), and folding
 * it into an autoencoder so the saved model takes raw data. */
#include "vae_private.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (OpenBLAS ships it): eigen-decomposition of a symmetric matrix. */
extern void dsyev_ (const char *jobz, const char *uplo, const int *n,
    double *a, const int *lda, double *w, double *work, const int *lwork,
    int *info);

int
vae_zca_fit (const float *x, size_t n, int dim, float eps, float *mean,
    float *w, float *w_inv, VaeError *err)
{
  double *cov, *lam, *work, q;
  int info = 0, lwork = -1;

  if (x == NULL || n < 2 || dim < 1 || dim > 4096 || !(eps >= 0.0f)
      || mean == NULL || w == NULL || w_inv == NULL)
    return vae_set_error (err, VAE_ERR_ARG, "ZCA: bad arguments");
  cov = calloc ((size_t) dim * dim, sizeof *cov);
  lam = calloc ((size_t) dim, sizeof *lam);
  if (cov == NULL || lam == NULL) {
    free (cov);
    free (lam);
    return vae_set_error (err, VAE_ERR_NOMEM, "ZCA: out of memory");
  }
  for (int j = 0; j < dim; j++) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
      s += x[i * dim + j];
    lam[j] = s / n;
    mean[j] = (float) lam[j];
  }
  /* covariance about the mean, in double */
  for (size_t i = 0; i < n; i++) {
    const float *r = x + i * dim;
    for (int a = 0; a < dim; a++) {
      double da = r[a] - lam[a];
      double *c = cov + (size_t) a * dim;
      for (int b = 0; b <= a; b++)
        c[b] += da * (r[b] - lam[b]);
    }
  }
  for (int a = 0; a < dim; a++)
    for (int b = 0; b <= a; b++) {
      cov[(size_t) a * dim + b] /= (double) (n - 1);
      cov[(size_t) b * dim + a] = cov[(size_t) a * dim + b];
    }
  dsyev_ ("V", "U", &dim, cov, &dim, lam, &q, &lwork, &info);
  lwork = info == 0 ? (int) q : 3 * dim;
  work = malloc ((size_t) lwork * sizeof *work);
  if (work == NULL) {
    free (cov);
    free (lam);
    return vae_set_error (err, VAE_ERR_NOMEM, "ZCA: out of memory");
  }
  dsyev_ ("V", "U", &dim, cov, &dim, lam, work, &lwork, &info);
  free (work);
  if (info != 0) {
    free (cov);
    free (lam);
    return vae_set_error (err, VAE_ERR_DATA,
        "ZCA: the eigen-decomposition failed (LAPACK info %d)", info);
  }
  /* cov now holds the eigenvectors as columns (column-major: vector k is
   * cov[k * dim ...]); W = U diag(1/√(λ+ε)) Uᵀ, W⁻¹ = U diag(√(λ+ε)) Uᵀ */
  for (int a = 0; a < dim; a++)
    for (int b = 0; b < dim; b++) {
      double s = 0.0, t = 0.0;
      for (int k = 0; k < dim; k++) {
        double l = lam[k] > 0.0 ? lam[k] : 0.0;
        double u = cov[(size_t) k * dim + a] * cov[(size_t) k * dim + b];
        s += u / sqrt (l + eps);
        t += u * sqrt (l + eps);
      }
      w[(size_t) a * dim + b] = (float) s;
      w_inv[(size_t) a * dim + b] = (float) t;
    }
  free (cov);
  free (lam);
  return VAE_OK;
}

void
vae_zca_apply (const float *mean, const float *w, int dim, float *x, size_t n,
    float *tmp)
{
  /* x ← (x − μ) Wᵀ, W symmetric; tmp holds n × dim floats */
  for (size_t i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      tmp[i * dim + j] = x[i * dim + j] - mean[j];
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, dim, dim,
      1.0f, tmp, dim, w, dim, 0.0f, x, dim);
}

int
vae_model_fold_whitening (VaeModel *m, const float *mean, const float *w,
    const float *w_inv, VaeError *err)
{
  const VaeConfig *c = &m->cfg;
  int dim = c->n_in, L = m->n_layers - 1;
  VaeLayer *first = &m->layers[0], *last = &m->layers[L];
  float *W1 = m->params + first->w_off, *b1 = m->params + first->b_off;
  float *WL = m->params + last->w_off, *bL = m->params + last->b_off;
  int h1 = first->n_out, hL = last->n_in;
  float *t;

  if (c->kind == VAE_KIND_VAE || c->noise_input || c->residual
      || first->n_in != dim || last->n_out != dim
      || last->act != VAE_ACT_IDENTITY || m->n_layers < 2)
    return vae_set_error (err, VAE_ERR_KIND, "whitening folds into a plain, "
        "sparse or denoising AE with a linear output only");
  t = malloc ((size_t) (h1 > dim ? h1 : dim) * (hL > dim ? hL : dim)
      * sizeof *t);
  if (t == NULL)
    return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
  /* encoder: W1' = W1 W, b1' = b1 − W1' μ */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, h1, dim, dim, 1.0f,
      W1, dim, w, dim, 0.0f, t, dim);
  memcpy (W1, t, (size_t) h1 * dim * sizeof *t);
  cblas_sgemv (CblasRowMajor, CblasNoTrans, h1, dim, -1.0f, W1, dim, mean, 1,
      1.0f, b1, 1);
  /* decoder: WL' = W⁻¹ WL, bL' = W⁻¹ bL + μ */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, dim, hL, dim, 1.0f,
      w_inv, dim, WL, hL, 0.0f, t, hL);
  memcpy (WL, t, (size_t) dim * hL * sizeof *t);
  cblas_sgemv (CblasRowMajor, CblasNoTrans, dim, dim, 1.0f, w_inv, dim, bL, 1,
      0.0f, t, 1);
  for (int j = 0; j < dim; j++)
    bL[j] = t[j] + mean[j];
  free (t);
  return VAE_OK;
}
