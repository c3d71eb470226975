/* OpenBLAS: the products the project's kernels do not take, and its
 * thread count (vae_blas_threads). */
#include "gemm_impl.h"

#include <cblas.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

static void
relu_rows (float *c, int m, int n, int ldc)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      float *v = c + (size_t) i * ldc + j;
      *v = *v > 0.0f ? *v : 0.0f;
    }
}

/* C = β·C + α·op(A)·op(B), or with bias: C = bias + α·op(A)·op(B); then
 * max(·, 0) if relu; on OpenBLAS. */
void
vae_blas_epi (int ta, int tb, int m, int n, int k, float alpha, const float *a,
    int lda, const float *b, int ldb, float beta, const float *bias,
    int relu, float *c, int ldc)
{
  if (bias) {
    for (int i = 0; i < m; i++)
      memcpy (c + (size_t) i * ldc, bias, (size_t) n * sizeof (float));
    beta = 1.0f;
  }
  cblas_sgemm (CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
      tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta,
      c, ldc);
  if (relu)
    relu_rows (c, m, n, ldc);
}

void
vae_gemm_run_blas (int m, const float *a, int lda, const VaeGemmB *pb,
    float alpha, float *c, int ldc, int relu, const float *bias)
{
  vae_blas_epi (0, 1, m, pb->n, pb->k, alpha, a, lda, pb->b, pb->ldb, 1.0f,
      bias, relu, c, ldc);
}

/* OpenBLAS (pthreads build) exports this for its fork handler: it ends the
 * worker threads, and the next threaded call starts them again.  Weak: a
 * BLAS without it leaves it NULL. */
extern int blas_thread_shutdown_ (void) __attribute__ ((weak));

void
vae_blas_threads (int n)
{
  static GMutex lock;
  openblas_set_num_threads (n > 0 ? n : 1);
  if (n <= 1 && blas_thread_shutdown_ != NULL) {
    g_mutex_lock (&lock);
    blas_thread_shutdown_ ();
    g_mutex_unlock (&lock);
  }
}
