/* cblas_sgemm's stand-in: vae_sgemm and vae_sgemm_bias on the project's
 * kernels, OpenBLAS (blas.c) where the kernels do not apply. */
#include "gemm_impl.h"

#include <glib.h>
#include <stdlib.h>

/* Each thread's buffer for the packed B of vae_sgemm: grown, never shrunk,
 * freed when the thread ends. */
static GPrivate pack_buf = G_PRIVATE_INIT (free);
static GPrivate pack_cap = G_PRIVATE_INIT (NULL);

/* The thread's buffer of at least need floats, or NULL when memory is out
 * (OpenBLAS needs none). */
static float *
pack_buffer (size_t need)
{
  float *buf = g_private_get (&pack_buf);
  size_t cap = GPOINTER_TO_SIZE (g_private_get (&pack_cap));
  if (buf == NULL || cap < need) {
    cap = need + need / 4;
    buf = vae_aligned_alloc (cap * sizeof (float));
    if (buf != NULL) {
      g_private_replace (&pack_buf, buf);
      g_private_set (&pack_cap, GSIZE_TO_POINTER (cap));
    }
  }
  return buf;
}

/* vae_blas_epi's product, on the kernels where they apply.  The bias rides in
 * the kernels' epilogue, exactly as a C holding it and β = 1 would (the
 * same fused multiply-add). */
static void
sgemm_epi (int ta, int tb, int m, int n, int k, float alpha, const float *a,
    int lda, const float *b, int ldb, float beta, const float *bias,
    int relu, float *c, int ldc)
{
  VaeGemmIsa isa = vae_gemm_best_isa ();
  VaeGemmB pb;
  float *buf = NULL;

  if (m < 1 || n < 1)
    return;
  /* fewer than 8 columns would leave most of the kernel's lanes idle */
  if (isa != VAE_GEMM_BLAS && k >= 1 && n >= 8 && (beta == 0.0f
          || beta == 1.0f))
    buf = pack_buffer (vae_gemm_packed_floats (n, k));
  if (buf == NULL) {
    vae_blas_epi (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, bias, relu,
        c, ldc);
    return;
  }
  vae_gemm_pack_tb (&pb, buf, b, n, k, ldb, tb, isa);
  Epi e = { ta, relu, bias == NULL && beta != 0.0f, 0, alpha, bias, 0, NULL,
    NULL, 0, 0.0f, 0, 0, NULL, NULL };
  vae_gemm_run_epi (m, a, lda, &pb, c, ldc, &e);
}

void
vae_sgemm (int ta, int tb, int m, int n, int k, float alpha, const float *a,
    int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
  sgemm_epi (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, NULL, 0, c, ldc);
}

void
vae_sgemm_bias (int tb, int m, int n, int k, const float *a, int lda,
    const float *b, int ldb, const float *bias, int relu, float *c, int ldc)
{
  sgemm_epi (0, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, bias, relu, c, ldc);
}
