/* Dense layers and activations: forward and backward side by side. */
#include "vae_private.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static const char *act_names[] = { "identity", "relu", "lrelu", "sigmoid",
  "tanh" };

const char *
vae_act_name (VaeAct a)
{
  return (unsigned) a < 5 ? act_names[a] : "unknown";
}

int
vae_act_from_name (const char *name)
{
  for (int i = 0; i < 5; i++)
    if (strcmp (name, act_names[i]) == 0)
      return i;
  if (strcmp (name, "leaky-relu") == 0 || strcmp (name, "leaky_relu") == 0)
    return VAE_ACT_LRELU;
  return -1;
}

VAE_AVX2_CLONE void
vae_act_forward (float *y, size_t n, VaeAct act)
{
  switch (act) {
    case VAE_ACT_RELU:
      for (size_t i = 0; i < n; i++)
        y[i] = y[i] > 0.0f ? y[i] : 0.0f;
      break;
    case VAE_ACT_LRELU:
      for (size_t i = 0; i < n; i++)
        y[i] = y[i] > 0.0f ? y[i] : VAE_LRELU_SLOPE * y[i];
      break;
    case VAE_ACT_SIGMOID:
      for (size_t i = 0; i < n; i++)
        y[i] = -y[i];
      vae_expf_n (y, y, n);
      for (size_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + y[i]);
      break;
    case VAE_ACT_TANH:
      for (size_t i = 0; i < n; i++)
        y[i] = tanhf (y[i]);
      break;
    default:
      break;
  }
}

/* dy ← dy · act'(pre), with act' written through the output y. */
void
vae_act_backward (float *dy, const float *y, size_t n, VaeAct act)
{
  switch (act) {
    case VAE_ACT_RELU:
      for (size_t i = 0; i < n; i++)
        dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case VAE_ACT_LRELU:
      for (size_t i = 0; i < n; i++)
        dy[i] = y[i] > 0.0f ? dy[i] : VAE_LRELU_SLOPE * dy[i];
      break;
    case VAE_ACT_SIGMOID:
      for (size_t i = 0; i < n; i++)
        dy[i] *= y[i] * (1.0f - y[i]);
      break;
    case VAE_ACT_TANH:
      for (size_t i = 0; i < n; i++)
        dy[i] *= 1.0f - y[i] * y[i];
      break;
    default:
      break;
  }
}

void
vae_dense_forward (float *y, const float *x, const float *w, const float *b,
    int batch, int n_in, int n_out, VaeAct act)
{
  /* One row: sgemv skips sgemm's packing (6x faster for a 400x784 layer). */
  if (batch == 1) {
    memcpy (y, b, (size_t) n_out * sizeof *y);
    cblas_sgemv (CblasRowMajor, CblasNoTrans, n_out, n_in, 1.0f, w, n_in, x,
        1, 1.0f, y, 1);
    vae_act_forward (y, (size_t) n_out, act);
    return;
  }
  /* y (B, n_out) = b broadcast + x (B, n_in) · W^T (n_in, n_out), ReLU in
   * the same pass */
  vae_sgemm_bias (1, batch, n_out, n_in, x, n_in, w, n_in, b,
      act == VAE_ACT_RELU, y, n_out);
  if (act != VAE_ACT_RELU)
    vae_act_forward (y, (size_t) batch * n_out, act);
}

/* dw_set: dW is written, not added to (β = 0: the kernels skip reading
 * it) */
static void
dense_backward (float *dx, float *dw, float *db, float *dy, const float *y,
    const float *x, const float *w, int batch, int n_in, int n_out,
    VaeAct act, int dw_set)
{
  vae_act_backward (dy, y, (size_t) batch * n_out, act);
  /* dW (n_out, n_in) (+)= dy^T (n_out, B) · x (B, n_in) */
  vae_sgemm (1, 0, n_out, n_in, batch,
      1.0f, dy, n_out, x, n_in, dw_set ? 0.0f : 1.0f, dw, n_in);
  for (int i = 0; i < batch; i++) {
    const float *row = dy + (size_t) i * n_out;
    for (int j = 0; j < n_out; j++)
      db[j] += row[j];
  }
  /* dx (B, n_in) = dy (B, n_out) · W (n_out, n_in) */
  if (dx != NULL)
    vae_sgemm (0, 0, batch, n_in,
        n_out, 1.0f, dy, n_out, w, n_in, 0.0f, dx, n_in);
}

void
vae_dense_backward (float *dx, float *dw, float *db, float *dy,
    const float *y, const float *x, const float *w, int batch, int n_in,
    int n_out, VaeAct act)
{
  dense_backward (dx, dw, db, dy, y, x, w, batch, n_in, n_out, act, 0);
}

void
vae_dense_backward_set (float *dx, float *dw, float *db, float *dy,
    const float *y, const float *x, const float *w, int batch, int n_in,
    int n_out, VaeAct act)
{
  dense_backward (dx, dw, db, dy, y, x, w, batch, n_in, n_out, act, 1);
}

/* ------------------------------------------------ bf16 training products
 *
 * The same three products in bf16 (gemm_bf16.c): y = b + x·Wᵀ with x rounded
 * by rows and W packed n × k; dW = dyᵀ·x with x packed k × n and dyᵀ by
 * rows (AMX) or dy in pairs of rows (the transposed kernel); dx = dy·W
 * with dy rounded by rows and W packed k × n; k padded to whole AMX tile
 * rows where the CPU has AMX-BF16 (vae_gemm_bf16_k).  Everything else is the float path's. */
void
vae_dense_forward_bf16 (VaeWorkspace *ws, float *y, const float *x,
    const float *w, const float *b, int batch, int n_in, int n_out,
    VaeAct act)
{
  int lda = vae_gemm_bf16_k (n_in);
  VaeGemmB pb;
  vae_bf16_rows (ws->h_a, lda, x, n_in, batch, n_in);
  vae_gemm_pack_bf16_nk (&pb, ws->h_p, w, n_out, n_in, lda, n_in);
  vae_gemm_run_bf16 (batch, ws->h_a, lda, &pb, 1.0f, y, NULL, n_out,
      act == VAE_ACT_RELU, b);
  if (act != VAE_ACT_RELU)
    vae_act_forward (y, (size_t) batch * n_out, act);
}

void
vae_dense_backward_set_bf16 (VaeWorkspace *ws, float *dx, float *dw,
    float *db, float *dy, const float *y, const float *x, const float *w,
    int batch, int n_in, int n_out, VaeAct act)
{
  VaeGemmB pb;
  vae_act_backward (dy, y, (size_t) batch * n_out, act);
  /* dW (n_out, n_in) = dyᵀ (n_out, B) · x (B, n_in): on AMX dyᵀ by rows,
   * else dy in pairs of rows for the transposed kernel */
  if (vae_gemm_bf16_amx ()) {
    int kb = vae_gemm_bf16_k (batch);
    vae_bf16_trans (ws->h_a, kb, dy, n_out, batch, n_out);
    vae_gemm_pack_bf16_kn (&pb, ws->h_p, x, n_in, batch, kb, n_in);
    vae_gemm_run_bf16_ta (0, n_out, ws->h_a, kb, &pb, 1.0f, dw, n_in, 0);
  } else {
    vae_bf16_pairs (ws->h_a, n_out, dy, n_out, batch, n_out);
    vae_gemm_pack_bf16_kn (&pb, ws->h_p, x, n_in, batch, (batch + 1) / 2 * 2,
        n_in);
    vae_gemm_run_bf16_ta (1, n_out, ws->h_a, n_out, &pb, 1.0f, dw, n_in, 0);
  }
  for (int i = 0; i < batch; i++) {
    const float *row = dy + (size_t) i * n_out;
    for (int j = 0; j < n_out; j++)
      db[j] += row[j];
  }
  /* dx (B, n_in) = dy (B, n_out) · W (n_out, n_in) */
  if (dx != NULL) {
    int lda = vae_gemm_bf16_k (n_out);
    vae_bf16_rows (ws->h_a, lda, dy, n_out, batch, n_out);
    vae_gemm_pack_bf16_kn (&pb, ws->h_p, w, n_in, n_out, lda, n_in);
    vae_gemm_run_bf16_ta (0, batch, ws->h_a, lda, &pb, 1.0f, dx, n_in, 0);
  }
}
