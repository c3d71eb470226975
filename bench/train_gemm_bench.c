/* train_gemm_bench - the GEMMs of one training epoch of the benchmark's
 * MNIST VAE (784-400-(20,20)-400-784, batch 128, 60000 images) alone, on
 * one thread, through the calls the trainer makes (core/layers.c: the
 * forward with its bias and ReLU in the epilogue, dW written, dX), on the
 * same shapes: the floor under the trainer's epoch, which bench/run.sh
 * prints beside it.
 *
 *   train_gemm_bench [-r rounds]
 *
 * Prints "train_gemm steps=469 step_ms_min=… step_ms_med=… epoch_s_min=…
 * epoch_s_med=… gflops=…" (GFLOPS from the median step). */
#include "vae.h"
#include "vae_private.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
  int n_in, n_out, relu, dx;    /* dx: the layer's input gradient is needed */
} Layer;

int
main (int argc, char **argv)
{
  /* encoder 784 → 400 → (μ, log σ²) 40, decoder 20 → 400 → 784 */
  static const Layer L[] = {
    { 784, 400, 1, 0 }, { 400, 40, 0, 1 }, { 20, 400, 1, 1 },
    { 400, 784, 0, 1 },
  };
  const int nl = 4, batch = 128, steps = (60000 + batch - 1) / batch;
  int rounds = 7, c;
  double flops = 0.0, t[64];
  float *x, *y, *w, *b, *dy, *dw, *dx;

  while ((c = getopt (argc, argv, "r:")) != -1) {
    if (c == 'r')
      rounds = atoi (optarg);
    else {
      fprintf (stderr, "usage: train_gemm_bench [-r rounds]\n");
      return 2;
    }
  }
  if (rounds < 1 || rounds > 64) {
    fprintf (stderr, "train_gemm_bench: rounds in 1..64\n");
    return 2;
  }
  vae_blas_threads (1);
  /* one buffer of each role, as large as the largest layer needs */
  x = vae_aligned_alloc (sizeof (float) * batch * 784);
  y = vae_aligned_alloc (sizeof (float) * batch * 784);
  dy = vae_aligned_alloc (sizeof (float) * batch * 784);
  dx = vae_aligned_alloc (sizeof (float) * batch * 784);
  w = vae_aligned_alloc (sizeof (float) * 784 * 400);
  dw = vae_aligned_alloc (sizeof (float) * 784 * 400);
  b = vae_aligned_alloc (sizeof (float) * 784);
  if (!x || !y || !dy || !dx || !w || !dw || !b) {
    fprintf (stderr, "train_gemm_bench: out of memory\n");
    return 1;
  }
  for (int i = 0; i < batch * 784; i++) {
    x[i] = (float) ((i * 7) % 13) * 0.05f;
    dy[i] = (float) ((i * 5) % 11) * 0.01f - 0.05f;
  }
  for (int i = 0; i < 784 * 400; i++)
    w[i] = (float) ((i * 3) % 17) * 0.01f - 0.08f;
  for (int i = 0; i < 784; i++)
    b[i] = 0.01f * (float) (i % 5);
  for (int l = 0; l < nl; l++)
    flops += 2.0 * batch * L[l].n_in * L[l].n_out * (L[l].dx ? 3 : 2);

  for (int r = 0; r <= rounds; r++) {
    int reps = 50;
    double t0 = now ();
    for (int s = 0; s < reps; s++)
      for (int l = 0; l < nl; l++) {
        int ni = L[l].n_in, no = L[l].n_out;
        vae_sgemm_bias (1, batch, no, ni, x, ni, w, ni, b, L[l].relu, y, no);
        vae_sgemm (1, 0, no, ni, batch, 1.0f, dy, no, x, ni, 0.0f, dw, ni);
        if (L[l].dx)
          vae_sgemm (0, 0, batch, ni, no, 1.0f, dy, no, w, ni, 0.0f, dx, ni);
      }
    if (r > 0)                  /* round 0 warms up */
      t[r - 1] = (now () - t0) / reps;
  }
  {
    double med = median (t, rounds);
    printf ("train_gemm steps=%d step_ms_min=%.3f step_ms_med=%.3f "
        "epoch_s_min=%.3f epoch_s_med=%.3f gflops=%.1f\n", steps, t[0] * 1e3,
        med * 1e3, t[0] * steps, med * steps, flops / med / 1e9);
  }
  vae_aligned_free (x);
  vae_aligned_free (y);
  vae_aligned_free (dy);
  vae_aligned_free (dx);
  vae_aligned_free (w);
  vae_aligned_free (dw);
  vae_aligned_free (b);
  return 0;
}
