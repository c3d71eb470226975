/* Mixed-precision (bf16) training, where the CPU has AVX512_BF16:
 *  - the operand layouts (rows, pairs of rows, B packed n × k and k × n)
 *    against element-by-element references built with vae_bf16_from_float,
 *    and denormals flushed to zero;
 *  - each dense layer's three products (y = b + x·Wᵀ, dW = dyᵀ·x,
 *    dx = dy·W) against double-precision sums of the same bf16-rounded
 *    operands, over odd batches and widths that are no multiple of the
 *    kernels' blocks;
 *  - whole gradients of the MNIST-shaped VAE against the float path, a
 *    training run's loss against float's, bit-identical reruns, the
 *    two-thread pool;
 *  - the refusals: a convolutional model, a CPU without AVX512_BF16.
 * Without AVX512_BF16 (or with VAE_GEMM asking for less than AVX-512) only
 * the refusal is checked and the rest is skipped (exit 77). */
#include "vae.h"
#include "vae_private.h"

#include <cblas.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static float
rb (float v)                  /* v rounded to bf16, as a float */
{
  return vae_bf16_to_float (vae_bf16_from_float (v));
}

static float *
rand_vec (VaeRng *r, size_t n, float lo, float hi)
{
  float *v = malloc ((n ? n : 1) * sizeof (float));
  for (size_t i = 0; i < n; i++)
    v[i] = urand (r, lo, hi);
  return v;
}

/* ------------------------------------------------------------- layouts */

/* vae_gemm_pack_bf16's panels element by element: panel j0, pair q, column
 * jj, half t hold B(j0 + jj, 2q + t), B(j, kk) = src[j·sj + kk·sk] (zero
 * past n and k) */
static void
ref_panels (uint16_t *ref, int n, int k, int ke, const float *src, int sj,
    int sk)
{
  for (int j0 = 0; j0 < n; j0 += 32)
    for (int q = 0; q < ke / 2; q++)
      for (int jj = 0; jj < 32; jj++)
        for (int t = 0; t < 2; t++) {
          int kk = 2 * q + t, j = j0 + jj;
          ref[(size_t) j0 * ke + ((size_t) q * 32 + jj) * 2 + t] = j < n
              && kk < k ? vae_bf16_from_float (src[(size_t) j * sj
                  + (size_t) kk * sk]) : 0;
        }
}

static void
test_layouts (void)
{
  static const int ns[] = { 1, 7, 16, 20, 31, 32, 33, 40, 65, 400 };
  static const int ks[] = { 1, 2, 3, 15, 16, 17, 20, 33, 128, 131 };
  VaeRng r;
  int bad_nk = 0, bad_kn = 0, bad_rows = 0, bad_pairs = 0, bad_trans = 0;
  int cases = 0;
  vae_rng_seed (&r, 3);
  for (size_t in = 0; in < G_N_ELEMENTS (ns); in++)
    for (size_t ik = 0; ik < G_N_ELEMENTS (ks); ik++) {
      int n = ns[in], k = ks[ik], ke = (k + 1) / 2 * 2;
      /* the training packs: k padded to whole AMX tile rows, or to 2 */
      int kp = (k + 31) / 32 * 32 + 32 * (int) (in % 2);
      int ldb = k + (int) (in % 3), ldk = n + (int) (ik % 2);
      size_t np = vae_gemm_packed_bf16 (n, kp);
      float *b = rand_vec (&r, (size_t) n * ldb, -2.0f, 2.0f);
      float *bk = rand_vec (&r, (size_t) k * ldk, -2.0f, 2.0f);
      uint16_t *ref = vae_aligned_alloc (np * 2), *got = vae_aligned_alloc
          (np * 2);
      VaeGemmB pg;
      cases++;
      /* B n × k (weights) */
      ref_panels (ref, n, k, ke, b, ldb, 1);
      memset (got, 0xa5, np * 2);
      vae_gemm_pack_bf16 (&pg, got, b, n, k, ldb);
      bad_nk += memcmp (ref, got, vae_gemm_packed_bf16 (n, k) * 2) != 0
          || pg.k != ke || pg.n != n || pg.isa == VAE_GEMM_AMX;
      for (int pad = 0; pad < 2; pad++) {
        int kq = pad ? kp : ke;
        size_t nq = vae_gemm_packed_bf16 (n, kq) * 2;
        ref_panels (ref, n, k, kq, b, ldb, 1);
        memset (got, 0xa5, np * 2);
        vae_gemm_pack_bf16_nk (&pg, got, b, n, k, kq, ldb);
        bad_nk += memcmp (ref, got, nq) != 0 || pg.k != kq || pg.n != n;
        /* B k × n */
        ref_panels (ref, n, k, kq, bk, 1, ldk);
        memset (got, 0xa5, np * 2);
        vae_gemm_pack_bf16_kn (&pg, got, bk, n, k, kq, ldk);
        bad_kn += memcmp (ref, got, nq) != 0 || pg.k != kq;
      }
      /* rows (k rows of n, ldd even ≥ n) and pairs of rows */
      {
        int ldd = (n + 1) / 2 * 2 + 2 * (int) (ik % 2);
        size_t nr = (size_t) k * ldd, npair = (size_t) (k + 1) / 2 * ldd * 2;
        uint16_t *h = malloc ((nr > npair ? nr : npair) * 2 + 2);
        h[nr] = 0x5a5a;
        vae_bf16_rows (h, ldd, bk, ldk, k, n);
        for (int i = 0; i < k; i++)
          for (int j = 0; j < ldd; j++)
            bad_rows += h[(size_t) i * ldd + j] != (j < n
                ? vae_bf16_from_float (bk[(size_t) i * ldk + j]) : 0);
        bad_rows += h[nr] != 0x5a5a;
        h[npair] = 0x5a5a;
        vae_bf16_pairs (h, ldd, bk, ldk, k, n);
        for (int q = 0; q < (k + 1) / 2; q++)
          for (int j = 0; j < ldd; j++)
            for (int t = 0; t < 2; t++)
              bad_pairs += h[((size_t) q * ldd + j) * 2 + t] != (j < n
                  && 2 * q + t < k ? vae_bf16_from_float (bk[(size_t) (2 * q
                              + t) * ldk + j]) : 0);
        bad_pairs += h[npair] != 0x5a5a;
        free (h);
      }
      /* the transpose by rows: n rows of kp (≥ k, even), zero past k */
      {
        size_t nt = (size_t) n * kp;
        uint16_t *h = malloc (nt * 2 + 2);
        h[nt] = 0x5a5a;
        vae_bf16_trans (h, kp, bk, ldk, k, n);
        for (int j = 0; j < n; j++)
          for (int i = 0; i < kp; i++)
            bad_trans += h[(size_t) j * kp + i] != (i < k
                ? vae_bf16_from_float (bk[(size_t) i * ldk + j]) : 0);
        bad_trans += h[nt] != 0x5a5a;
        free (h);
      }
      vae_aligned_free (ref);
      vae_aligned_free (got);
      free (b);
      free (bk);
    }
  printf ("layouts, %d shapes: pack n x k %d bad, pack k x n %d bad, rows %d "
      "bad words, pairs %d bad words, transposed %d bad words\n", cases,
      bad_nk, bad_kn, bad_rows, bad_pairs, bad_trans);
  CHECK (bad_nk == 0, "n x k pack wrong in %d shapes", bad_nk);
  {
    /* denormals flush to zero (vcvtneps2bf16), as vae_private.h says */
    float dn[2] = { 3e-39f, -5e-39f };
    uint16_t *h = vae_aligned_alloc (vae_gemm_packed_bf16 (1, 2) * 2);
    VaeGemmB pg;
    vae_gemm_pack_bf16 (&pg, h, dn, 1, 2, 2);
    CHECK ((h[0] & 0x7fff) == 0 && (h[1] & 0x7fff) == 0, "denormals packed "
        "as %04x %04x", h[0], h[1]);
    vae_aligned_free (h);
  }
  CHECK (bad_kn == 0, "k x n pack wrong in %d shapes", bad_kn);
  CHECK (bad_rows == 0, "rows: %d words wrong", bad_rows);
  CHECK (bad_pairs == 0, "pairs: %d words wrong", bad_pairs);
  CHECK (bad_trans == 0, "transposed rows: %d words wrong", bad_trans);
}

/* ------------------------------------------------------------ products */

/* |got − ref| against the sum of |terms|: float sums of k products */
static void
score (double *worst, float got, double ref, double mag)
{
  double e = fabs (got - ref) / (mag + 1e-30);
  if (!(e <= *worst))
    *worst = isnan (got) ? INFINITY : fmax (*worst, e);
}

static void
test_products (void)
{
  static const int shapes[][3] = {      /* batch, n_in, n_out */
    { 1, 1, 1 }, { 2, 3, 5 }, { 3, 17, 9 }, { 7, 33, 40 }, { 8, 20, 400 },
    { 17, 400, 20 }, { 33, 64, 31 }, { 128, 784, 400 }, { 127, 400, 784 },
    { 64, 65, 66 },
  };
  double wf = 0.0, ww = 0.0, wx = 0.0, wb = 0.0;
  VaeRng r;
  vae_rng_seed (&r, 11);
  for (size_t s = 0; s < G_N_ELEMENTS (shapes); s++) {
    int B = shapes[s][0], ni = shapes[s][1], no = shapes[s][2];
    int maxw = ni > no ? ni : no, B2 = (B + 1) / 2 * 2;
    VaeWorkspace ws;
    float *x = rand_vec (&r, (size_t) B * ni, -1.0f, 1.0f);
    float *w = rand_vec (&r, (size_t) no * ni, -0.5f, 0.5f);
    float *b = rand_vec (&r, no, -0.5f, 0.5f);
    float *y = malloc ((size_t) B * no * sizeof (float));
    float *dy = rand_vec (&r, (size_t) B * no, -1.0f, 1.0f);
    float *dy0 = malloc ((size_t) B * no * sizeof (float));
    float *dw = rand_vec (&r, (size_t) no * ni, 5.0f, 6.0f);   /* overwritten */
    float *db = calloc (no, sizeof (float));
    float *dx = rand_vec (&r, (size_t) B * ni, 5.0f, 6.0f);
    int kb = vae_gemm_bf16_k (B2);
    size_t np = vae_gemm_packed_bf16 (no, vae_gemm_bf16_k (ni));
    size_t na = (size_t) B2 * vae_gemm_bf16_k (maxw);
    if (vae_gemm_packed_bf16 (ni, vae_gemm_bf16_k (no)) > np)
      np = vae_gemm_packed_bf16 (ni, vae_gemm_bf16_k (no));
    if (vae_gemm_packed_bf16 (ni, kb) > np)
      np = vae_gemm_packed_bf16 (ni, kb);
    if ((size_t) no * kb > na)
      na = (size_t) no * kb;
    memset (&ws, 0, sizeof ws);
    ws.h_a = vae_aligned_alloc (na * 2);
    ws.h_p = vae_aligned_alloc (np * 2);
    memcpy (dy0, dy, (size_t) B * no * sizeof (float));

    /* y = b + x·Wᵀ, identity activation (ReLU is the kernels' max) */
    vae_dense_forward_bf16 (&ws, y, x, w, b, B, ni, no, VAE_ACT_IDENTITY);
    for (int i = 0; i < B; i++)
      for (int j = 0; j < no; j++) {
        double ref = b[j], mag = fabs (b[j]);
        for (int t = 0; t < ni; t++) {
          double p = (double) rb (x[(size_t) i * ni + t])
              * rb (w[(size_t) j * ni + t]);
          ref += p;
          mag += fabs (p);
        }
        score (&wf, y[(size_t) i * no + j], ref, mag);
      }
    /* backward through the identity: dy is the output gradient itself */
    vae_dense_backward_set_bf16 (&ws, dx, dw, db, dy, y, x, w, B, ni, no,
        VAE_ACT_IDENTITY);
    for (int j = 0; j < no; j++) {
      double sb = 0.0, mb = 0.0;
      for (int i = 0; i < B; i++) {
        sb += dy0[(size_t) i * no + j];
        mb += fabs (dy0[(size_t) i * no + j]);
      }
      score (&wb, db[j], sb, mb);
      for (int t = 0; t < ni; t++) {
        double ref = 0.0, mag = 0.0;
        for (int i = 0; i < B; i++) {
          double p = (double) rb (dy0[(size_t) i * no + j])
              * rb (x[(size_t) i * ni + t]);
          ref += p;
          mag += fabs (p);
        }
        score (&ww, dw[(size_t) j * ni + t], ref, mag);
      }
    }
    for (int i = 0; i < B; i++)
      for (int t = 0; t < ni; t++) {
        double ref = 0.0, mag = 0.0;
        for (int j = 0; j < no; j++) {
          double p = (double) rb (dy0[(size_t) i * no + j])
              * rb (w[(size_t) j * ni + t]);
          ref += p;
          mag += fabs (p);
        }
        score (&wx, dx[(size_t) i * ni + t], ref, mag);
      }
    vae_aligned_free (ws.h_a);
    vae_aligned_free (ws.h_p);
    free (x); free (w); free (b); free (y); free (dy); free (dy0);
    free (dw); free (db); free (dx);
  }
  printf ("products on bf16 operands, %d shapes, worst error / sum |terms|: "
      "y %.2g, dW %.2g, dx %.2g, db %.2g\n", (int) G_N_ELEMENTS (shapes), wf,
      ww, wx, wb);
  /* float sums of at most 784 products: a few float ulps of the terms */
  CHECK (wf < 1e-6, "y off by %g of its terms", wf);
  CHECK (ww < 1e-6, "dW off by %g of its terms", ww);
  CHECK (wx < 1e-6, "dx off by %g of its terms", wx);
  CHECK (wb < 1e-6, "db off by %g of its terms", wb);
}

/* ------------------------------------------------------------ training */

static VaeConfig
mnist_vae (void)
{
  VaeConfig c = vae_config_default ();
  c.kind = VAE_KIND_VAE;
  c.img_w = 28;
  c.img_h = 28;
  c.n_in = 784;
  c.n_enc = 1;
  c.enc[0] = 400;
  c.n_latent = 20;
  c.n_dec = 1;
  c.dec[0] = 400;
  c.act = VAE_ACT_RELU;
  c.likelihood = VAE_LIK_BERNOULLI;
  return c;
}

/* n images in [0, 1] with strokes: smooth blobs over a dark field */
static float *
blobs (int n, uint64_t seed)
{
  VaeRng r;
  float *x = malloc ((size_t) n * 784 * sizeof (float));
  vae_rng_seed (&r, seed);
  for (int i = 0; i < n; i++) {
    float cx = urand (&r, 8, 20), cy = urand (&r, 8, 20);
    float sx = urand (&r, 2, 6), sy = urand (&r, 2, 6);
    for (int p = 0; p < 784; p++) {
      float dx = (p % 28 - cx) / sx, dy = (p / 28 - cy) / sy;
      x[(size_t) i * 784 + p] = expf (-0.5f * (dx * dx + dy * dy));
    }
  }
  return x;
}

static VaeModel *
model_ws (const VaeConfig *c, int batch, int bf16, VaeWorkspace **ws)
{
  VaeError err;
  VaeModel *m = vae_model_new (c, 5, &err);
  if (m == NULL || vae_model_prepare_training (m, &err) != VAE_OK
      || !(*ws = vae_workspace_new (m, batch, 1, &err))
      || (bf16 && vae_workspace_use_bf16 (*ws, m, &err) != VAE_OK)) {
    printf ("model: %s\n", err.msg);
    exit (1);
  }
  return m;
}

static void
test_gradients (void)
{
  VaeConfig c = mnist_vae ();
  VaeWorkspace *ws32, *ws16;
  VaeModel *m32 = model_ws (&c, 128, 0, &ws32);
  VaeModel *m16 = model_ws (&c, 128, 1, &ws16);
  float *x = blobs (128, 1), *eps = malloc (128 * 20 * sizeof (float));
  size_t n = vae_model_n_params (m32);
  double d2 = 0.0, g2 = 0.0, h2 = 0.0, cosn = 0.0;
  VaeLoss L32, L16;
  VaeRng r;
  vae_rng_seed (&r, 2);
  for (int i = 0; i < 128 * 20; i++)
    eps[i] = vae_rng_normal (&r);
  vae_model_loss_grad (m32, ws32, x, x, NULL, 128, eps, 1.0f, NULL, &L32);
  vae_model_loss_grad (m16, ws16, x, x, NULL, 128, eps, 1.0f, NULL, &L16);
  for (size_t i = 0; i < n; i++) {
    double a = vae_model_grads (m32)[i], b = vae_model_grads (m16)[i];
    d2 += (a - b) * (a - b);
    g2 += a * a;
    h2 += b * b;
    cosn += a * b;
  }
  printf ("MNIST-shaped VAE, one batch of 128: loss %.4f (float) %.4f (bf16); "
      "gradient relative L2 difference %.3g, cosine %.6f\n", L32.loss,
      L16.loss, sqrt (d2 / g2), cosn / sqrt (g2 * h2));
  /* bf16 keeps 8 significant bits (relative rounding 2⁻⁹ per operand) */
  CHECK (fabs (L32.loss - L16.loss) < 2e-3 * fabs (L32.loss),
      "bf16 loss %g against float %g", L16.loss, L32.loss);
  CHECK (sqrt (d2 / g2) < 2e-2, "bf16 gradients %.3g (relative L2) from "
      "float's", sqrt (d2 / g2));
  vae_model_free (m32);
  vae_model_free (m16);
  vae_workspace_free (ws32);
  vae_workspace_free (ws16);
  free (x);
  free (eps);
}

/* steps on batches of x in order; returns the mean loss of the last 20 */
static double
run (VaeModel *m, VaeWorkspace *ws, VaeTrainPool *pool, const float *x,
    int n, int steps, int B)
{
  VaeTrainOpts o = vae_train_opts_default ();
  double tail = 0.0;
  VaeRng r;
  vae_rng_seed (&r, 9);
  o.kl_anneal_steps = steps / 4;
  for (int s = 0; s < steps; s++) {
    VaeLoss L;
    const float *xb = x + (size_t) ((s * B) % (n - B + 1)) * 784;
    int rc = pool ? vae_train_pool_step (pool, xb, B, &o, s, &r, &L)
        : vae_model_train_step (m, ws, xb, B, &o, s, &r, &L);
    CHECK (rc == VAE_OK, "step %d: status %d", s, rc);
    if (s >= steps - 20)
      tail += L.loss / 20.0;
  }
  return tail;
}

static void
test_training (void)
{
  VaeConfig c = mnist_vae ();
  const int n = 2048, steps = 200, B = 64;
  float *x = blobs (n, 4);
  VaeWorkspace *ws[3];
  VaeModel *m[3];
  VaeTrainPool *pool;
  VaeError err;
  double l32, l16, l16b, lp;
  size_t np;
  m[0] = model_ws (&c, B, 0, &ws[0]);
  m[1] = model_ws (&c, B, 1, &ws[1]);
  m[2] = model_ws (&c, B, 1, &ws[2]);
  l32 = run (m[0], ws[0], NULL, x, n, steps, B);
  l16 = run (m[1], ws[1], NULL, x, n, steps, B);
  l16b = run (m[2], ws[2], NULL, x, n, steps, B);
  np = vae_model_n_params (m[1]);
  {
    VaeWorkspace *w0;
    VaeModel *m0 = model_ws (&c, B, 0, &w0);
    pool = vae_train_pool_new (m0, B, 2, &err);
    CHECK (pool != NULL && vae_train_pool_use_bf16 (pool, &err) == VAE_OK,
        "bf16 pool: %s", err.msg);
    lp = pool ? run (m0, NULL, pool, x, n, steps, B) : NAN;
    vae_train_pool_free (pool);
    vae_model_free (m0);
    vae_workspace_free (w0);
  }
  printf ("%d steps on 784-pixel blobs, mean loss of the last 20: float %.3f, "
      "bf16 %.3f (rerun %s), bf16 on 2 threads %.3f\n", steps, l32, l16,
      memcmp (vae_model_params (m[1]), vae_model_params (m[2]),
          np * sizeof (float)) == 0 ? "bit-identical" : "DIFFERENT", lp);
  CHECK (l16 == l16b && memcmp (vae_model_params (m[1]), vae_model_params
          (m[2]), np * sizeof (float)) == 0, "two bf16 runs differ");
  CHECK (fabs (l16 - l32) < 0.01 * l32, "bf16 ends at loss %g, float %g", l16,
      l32);
  CHECK (fabs (lp - l32) < 0.01 * l32, "bf16 pool ends at loss %g, float %g",
      lp, l32);
  for (int i = 0; i < 3; i++) {
    vae_model_free (m[i]);
    vae_workspace_free (ws[i]);
  }
  free (x);
}

/* ------------------------------------------------------------- refusals */

static void
test_refusals (int have)
{
  VaeConfig c = mnist_vae ();
  VaeError err;
  VaeModel *m = vae_model_new (&c, 1, &err);
  VaeWorkspace *ws;
  int st;
  vae_model_prepare_training (m, &err);
  ws = vae_workspace_new (m, 8, 1, &err);
  st = vae_workspace_use_bf16 (ws, m, &err);
  CHECK ((st == VAE_OK) == have, "bf16 on a %s CPU: %s", have
      ? "capable" : "incapable", st == VAE_OK ? "accepted" : err.msg);
  if (!have)
    CHECK (strstr (err.msg, "AVX512_BF16") != NULL, "refusal says: %s",
        err.msg);
  vae_workspace_free (ws);
  vae_model_free (m);
  if (have) {
    VaeConfig cc = vae_config_default ();
    cc.kind = VAE_KIND_DAE;
    cc.img_w = cc.img_h = 8;
    cc.n_in = 64;
    cc.conv_depth = 2;
    cc.conv_width = 4;
    cc.conv_kernel = 3;
    cc.n_enc = cc.n_dec = 0;
    cc.n_latent = 4;
    cc.noise = VAE_NOISE_GAUSSIAN;
    cc.noise_min = cc.noise_max = 0.1f;
    m = vae_model_new (&cc, 1, &err);
    CHECK (m != NULL, "conv model: %s", err.msg);
    if (m) {
      vae_model_prepare_training (m, &err);
      ws = vae_workspace_new (m, 8, 1, &err);
      st = vae_workspace_use_bf16 (ws, m, &err);
      CHECK (st != VAE_OK && strstr (err.msg, "dense") != NULL,
          "bf16 on a convolutional model: %s", st == VAE_OK ? "accepted"
          : err.msg);
      vae_workspace_free (ws);
      vae_model_free (m);
    }
  }
  printf ("refusals checked (this CPU %s AVX512_BF16)\n", have ? "has"
      : "lacks");
}

int
main (void)
{
  int have = vae_bf16_supported ();
  openblas_set_num_threads (1);
  test_refusals (have);
  if (have) {
    test_layouts ();
    test_products ();
    test_gradients ();
    test_training ();
  }
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  if (!have) {
    printf ("SKIP the bf16 products and training: no AVX512_BF16 here (or "
        "VAE_GEMM asks for less than AVX-512)\n");
    return 77;
  }
  printf ("all bf16 training checks passed\n");
  return 0;
}
