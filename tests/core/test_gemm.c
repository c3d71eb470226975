/* The denoiser's packed-B GEMM (core/gemm.c) on every instruction set this
 * CPU runs: C += α·A·Bᵀ (then ReLU) against a double-precision reference
 * and C = bias + α·A·Bᵀ, for edge shapes (m, n, k not multiples of the
 * register blocks, padded leading dimensions), rows beyond m and columns beyond n untouched, the
 * result of a row independent of the rows computed with it, and the
 * AVX2 and AVX-512 kernels bit-identical (one FMA chain per element). */
#include "vae.h"
#include "vae_private.h"

#include <cblas.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *isa_name[] = { "blas", "avx2", "avx512" };

/* one case on one ISA; returns the output (m rows, ldc) for comparisons */
static float *
run_case (int isa, int m, int n, int k, int lda, int ldb, int ldc,
    float alpha, int relu, const float *a, const float *b, const float *c0,
    const float *bias)
{
  VaeGemmB pb;
  float *buf = vae_aligned_alloc (vae_gemm_packed_floats (n, k)
      * sizeof (float));
  float *c = malloc ((size_t) (m + 1) * ldc * sizeof (float));
  memcpy (c, c0, (size_t) (m + 1) * ldc * sizeof (float));
  vae_gemm_pack (&pb, buf, b, n, k, ldb, (VaeGemmIsa) isa);
  vae_gemm_run (m, a, lda, &pb, alpha, c, ldc, relu, bias);
  vae_aligned_free (buf);
  return c;
}

static void
test_shapes (int isa)
{
  static const int ms[] = { 1, 2, 3, 5, 7, 8, 11, 12, 13, 25, 100 };
  static const int ns[] = { 1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100 };
  static const int ks[] = { 1, 3, 64, 65, 130 };
  VaeRng rng;
  double worst = 0.0;
  int cases = 0;
  vae_rng_seed (&rng, 7 + isa);

  for (size_t im = 0; im < sizeof ms / sizeof *ms; im++)
    for (size_t in = 0; in < sizeof ns / sizeof *ns; in++)
      for (size_t ik = 0; ik < sizeof ks / sizeof *ks; ik++) {
        int m = ms[im], n = ns[in], k = ks[ik];
        int lda = k + (int) (im % 3), ldb = k + (int) (in % 2);
        int ldc = n + (int) (ik % 3);
        float alpha = (cases % 3 == 0) ? -1.0f : (cases % 3 == 1) ? 1.0f
            : 0.5f;
        int relu = cases % 2;
        /* every third case C = bias + α·A·Bᵀ, C's old values unread */
        float *bias = cases % 3 == 2 ? malloc ((size_t) n * sizeof (float))
            : NULL;
        for (int j = 0; bias && j < n; j++)
          bias[j] = urand (&rng, -1, 1);
        float *a = malloc ((size_t) m * lda * sizeof (float));
        float *b = malloc ((size_t) n * ldb * sizeof (float));
        float *c0 = malloc ((size_t) (m + 1) * ldc * sizeof (float));
        for (int i = 0; i < m * lda; i++)
          a[i] = urand (&rng, -1, 1);
        for (int i = 0; i < n * ldb; i++)
          b[i] = urand (&rng, -1, 1);
        for (int i = 0; i < (m + 1) * ldc; i++)
          c0[i] = urand (&rng, -1, 1);
        float *c = run_case (isa, m, n, k, lda, ldb, ldc, alpha, relu, a, b,
            c0, bias);
        for (int i = 0; i < m; i++)
          for (int j = 0; j < ldc; j++) {
            size_t o = (size_t) i * ldc + j;
            if (j >= n) {
              CHECK (c[o] == c0[o], "%s m%d n%d k%d: padding column %d of "
                  "row %d written", isa_name[isa], m, n, k, j, i);
              continue;
            }
            double s = 0.0, mag = 0.0;
            for (int t = 0; t < k; t++) {
              s += (double) a[(size_t) i * lda + t] * b[(size_t) j * ldb + t];
              mag += fabs ((double) a[(size_t) i * lda + t]
                  * b[(size_t) j * ldb + t]);
            }
            double base = bias ? bias[j] : c0[o];
            double want = base + alpha * s;
            if (relu && want < 0)
              want = 0;
            double e = fabs (c[o] - want) / (fabs (base) + fabs (alpha)
                * mag + 1e-30);
            worst = fmax (worst, e);
          }
        for (int j = 0; j < ldc; j++)
          CHECK (c[(size_t) m * ldc + j] == c0[(size_t) m * ldc + j],
              "%s m%d n%d k%d: row m written", isa_name[isa], m, n, k);
        free (a);
        free (b);
        free (c0);
        free (c);
        free (bias);
        cases++;
      }
  printf ("%-6s %d shapes: worst error %.2e of the summed magnitudes\n",
      isa_name[isa], cases, worst);
  CHECK (worst < 1e-6, "%s: error %.3g", isa_name[isa], worst);
}

/* The denoiser's two shapes: a tile of 1000 patches, and its rows again in
 * blocks of other sizes (row-independence), on every kernel. */
static void
test_denoiser_shapes (int best)
{
  static const int shp[][3] = { { 448, 64, 65 }, { 64, 448, 448 } };
  VaeRng rng;
  vae_rng_seed (&rng, 99);
  for (int s = 0; s < 2; s++) {
    int n = shp[s][0], k = shp[s][1], lda = shp[s][2], m = 1000;
    float *a = malloc ((size_t) m * lda * sizeof (float));
    float *b = malloc ((size_t) n * k * sizeof (float));
    float *c0 = malloc ((size_t) (m + 1) * n * sizeof (float));
    float *ref[3] = { NULL, NULL, NULL };
    float bias[448];
    const float *bs = s == 0 ? bias : NULL;   /* layer 0 has its bias fused */
    for (int j = 0; j < n; j++)
      bias[j] = urand (&rng, -1, 1);
    for (int i = 0; i < m * lda; i++)
      a[i] = urand (&rng, -1, 1);
    for (int i = 0; i < n * k; i++)
      b[i] = urand (&rng, -0.1f, 0.1f);
    for (int i = 0; i < (m + 1) * n; i++)
      c0[i] = urand (&rng, -1, 1);
    for (int isa = VAE_GEMM_AVX2; isa <= best; isa++) {
      ref[isa] = run_case (isa, m, n, k, lda, k, n, -1.0f, s == 0, a, b, c0,
          bs);
      /* the same rows, 37 at a time from row 3 */
      float *c = malloc ((size_t) (m + 1) * n * sizeof (float));
      VaeGemmB pb;
      float *buf = vae_aligned_alloc (vae_gemm_packed_floats (n, k)
          * sizeof (float));
      memcpy (c, c0, (size_t) (m + 1) * n * sizeof (float));
      vae_gemm_pack (&pb, buf, b, n, k, k, (VaeGemmIsa) isa);
      vae_gemm_run (3, a, lda, &pb, -1.0f, c, n, s == 0, bs);
      for (int i = 3; i < m; i += 37)
        vae_gemm_run (i + 37 > m ? m - i : 37, a + (size_t) i * lda, lda,
            &pb, -1.0f, c + (size_t) i * n, n, s == 0, bs);
      CHECK (memcmp (c, ref[isa], (size_t) m * n * sizeof (float)) == 0,
          "%s %dx%dx%d: rows differ with the rows computed beside them",
          isa_name[isa], m, n, k);
      free (c);
      vae_aligned_free (buf);
    }
    if (best == VAE_GEMM_AVX512)
      CHECK (memcmp (ref[VAE_GEMM_AVX2], ref[VAE_GEMM_AVX512],
              (size_t) m * n * sizeof (float)) == 0,
          "%dx%dx%d: AVX2 and AVX-512 kernels differ", m, n, k);
    printf ("denoiser shape %dx%dx%d: row blocks %s%s\n", m, n, k,
        best >= VAE_GEMM_AVX2 ? "identical" : "(no kernel on this CPU)",
        best == VAE_GEMM_AVX512 ? ", AVX2 = AVX-512 bit for bit" : "");
    for (int i = 0; i < 3; i++)
      free (ref[i]);
    free (a);
    free (b);
    free (c0);
  }
}

/* vae_sgemm, cblas_sgemm's stand-in for training: every transposition and
 * β ∈ {0, 1} against double, on odd shapes and padded strides. */
static void
test_sgemm (void)
{
  static const int shp[][3] = { { 1, 1, 1 }, { 7, 33, 5 }, { 128, 400, 784 },
    { 13, 20, 400 }, { 400, 784, 128 }, { 9, 65, 31 } };
  VaeRng rng;
  double worst = 0.0;
  int cases = 0;
  vae_rng_seed (&rng, 5);
  for (size_t t = 0; t < sizeof shp / sizeof *shp; t++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (int beta = 0; beta < 2; beta++) {
          int m = shp[t][0], n = shp[t][1], k = shp[t][2];
          int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
          size_t na = (size_t) (ta ? k : m) * lda, nb = (size_t) (tb ? n : k)
              * ldb, nc = (size_t) m * ldc;
          float *a = malloc (na * sizeof (float)), *b = malloc (nb
              * sizeof (float)), *c = malloc (nc * sizeof (float)),
              *c0 = malloc (nc * sizeof (float));
          float alpha = t % 2 ? -0.5f : 1.0f;
          for (size_t i = 0; i < na; i++)
            a[i] = urand (&rng, -1, 1);
          for (size_t i = 0; i < nb; i++)
            b[i] = urand (&rng, -1, 1);
          for (size_t i = 0; i < nc; i++)
            c[i] = c0[i] = urand (&rng, -1, 1);
          vae_sgemm (ta, tb, m, n, k, alpha, a, lda, b, ldb, (float) beta, c,
              ldc);
          for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++) {
              size_t o = (size_t) i * ldc + j;
              if (j >= n) {
                CHECK (c[o] == c0[o], "sgemm ta%d tb%d: padding written", ta,
                    tb);
                continue;
              }
              double s = 0.0, mag = 0.0;
              for (int q = 0; q < k; q++) {
                double x = ta ? a[(size_t) q * lda + i] : a[(size_t) i * lda + q];
                double y = tb ? b[(size_t) j * ldb + q] : b[(size_t) q * ldb + j];
                s += x * y;
                mag += fabs (x * y);
              }
              double want = beta * (double) c0[o] + alpha * s;
              double e = fabs (c[o] - want) / (beta * fabs (c0[o])
                  + fabs (alpha) * mag + 1e-30);
              worst = fmax (worst, e);
            }
          free (a);
          free (b);
          free (c);
          free (c0);
          cases++;
        }
  printf ("vae_sgemm (%s): %d cases, every transposition, beta 0 and 1: "
      "worst error %.2e\n", isa_name[vae_gemm_best_isa ()], cases, worst);
  CHECK (worst < 1e-6, "vae_sgemm error %.3g", worst);
}

/* bf16 rounding as the kernels do it: to nearest, ties to even, from
 * the float's bits; computed here with frexp/nearbyint instead */
static float
bf_ref (float v)
{
  int e;
  double f = frexp (v, &e);
  return (float) ldexp (nearbyint (ldexp (f, 8)), e - 8);
}

static void
test_bf16_convert (void)
{
  static const float v[] = { 0.0f, 1.0f, -1.0f, 1.00390625f, 1.01171875f,
    3.14159265f, -2.71828f, 1e-3f, 65504.0f, 1e30f, -7.5e-20f };
  VaeRng rng;
  int bad = 0;
  for (size_t i = 0; i < sizeof v / sizeof *v; i++)
    bad += vae_bf16_to_float (vae_bf16_from_float (v[i])) != bf_ref (v[i]);
  vae_rng_seed (&rng, 3);
  for (int i = 0; i < 100000; i++) {
    float x = urand (&rng, -1, 1) * ldexpf (1.0f, (int) urand (&rng, -30, 30));
    bad += vae_bf16_to_float (vae_bf16_from_float (x)) != bf_ref (x);
  }
  /* 1 + 2^-8 is a tie: to even (1); 1 + 3·2^-8 goes up to 1 + 2^-6 */
  CHECK (vae_bf16_from_float (1.00390625f) == 0x3f80
      && vae_bf16_from_float (1.01171875f) == 0x3f82, "ties not to even");
  CHECK (isinf (vae_bf16_to_float (vae_bf16_from_float (INFINITY)))
      && isnan (vae_bf16_to_float (vae_bf16_from_float (NAN))),
      "inf or NaN lost");
  printf ("bf16 rounding: %d of 100011 values differ from frexp/nearbyint\n",
      bad);
  CHECK (bad == 0, "%d bf16 roundings wrong", bad);
}

/* The bf16 kernels against double sums of the bf16-rounded A and B: float
 * output onto C (α, C's old values) or from a bias with ReLU, bf16 output
 * rounded once; odd k (A zero past k), edge m and n, padding untouched,
 * and a row's value independent of the rows computed with it. */
static void
test_bf16 (void)
{
  static const int ms[] = { 1, 2, 3, 7, 8, 9, 17, 100 };
  static const int ns[] = { 1, 15, 16, 17, 31, 32, 33, 64, 100, 448 };
  static const int ks[] = { 1, 2, 7, 64, 65, 448 };
  VaeRng rng;
  double worst = 0.0;
  int cases = 0, bf_out_bad = 0, pad_bad = 0, rows_bad = 0;

  if (!vae_gemm_bf16_available ()) {
    printf ("SKIP the bf16 kernels: no AVX512_BF16 on this CPU\n");
    return;
  }
  vae_rng_seed (&rng, 11);
  for (size_t im = 0; im < sizeof ms / sizeof *ms; im++)
    for (size_t in = 0; in < sizeof ns / sizeof *ns; in++)
      for (size_t ik = 0; ik < sizeof ks / sizeof *ks; ik++) {
        int m = ms[im], n = ns[in], k = ks[ik], ke = (k + 1) / 2 * 2;
        int lda = ke + 2 * (int) (im % 2), ldb = k + (int) (in % 2);
        int ldc = n + (int) (ik % 3) + 1, mode = cases % 3;
        /* mode 0: C += α·A·Bᵀ; 1: bias + A·Bᵀ, ReLU; 2: the same in bf16 */
        float alpha = mode ? 1.0f : (cases % 2 ? -1.0f : 0.5f);
        float *b = malloc ((size_t) n * ldb * sizeof (float));
        float *bias = malloc ((size_t) n * sizeof (float));
        float *c = malloc ((size_t) (m + 1) * ldc * sizeof (float));
        float *c0 = malloc ((size_t) (m + 1) * ldc * sizeof (float));
        uint16_t *a = calloc ((size_t) m * lda, sizeof (uint16_t));
        uint16_t *ch = malloc ((size_t) (m + 1) * ldc * sizeof (uint16_t));
        uint16_t *buf = vae_aligned_alloc (vae_gemm_packed_bf16 (n, k)
            * sizeof (uint16_t));
        VaeGemmB pb;
        for (int i = 0; i < m; i++)
          for (int q = 0; q < k; q++)
            a[(size_t) i * lda + q] = vae_bf16_from_float (urand (&rng, -1, 1));
        for (size_t i = 0; i < (size_t) n * ldb; i++)
          b[i] = urand (&rng, -1, 1);
        for (int j = 0; j < n; j++)
          bias[j] = urand (&rng, -1, 1);
        for (size_t i = 0; i < (size_t) (m + 1) * ldc; i++) {
          c[i] = c0[i] = urand (&rng, -1, 1);
          ch[i] = 0x7fc1;       /* a NaN: any write shows */
        }
        vae_gemm_pack_bf16 (&pb, buf, b, n, k, ldb);
        vae_gemm_run_bf16 (m, a, lda, &pb, alpha, mode == 2 ? NULL : c,
            mode == 2 ? ch : NULL, ldc, mode != 0, mode ? bias : NULL);
        for (int i = 0; i <= m; i++)
          for (int j = 0; j < ldc; j++) {
            size_t o = (size_t) i * ldc + j;
            if (i == m || j >= n) {
              pad_bad += mode == 2 ? ch[o] != 0x7fc1 : c[o] != c0[o];
              continue;
            }
            double s = 0.0, mag = 0.0;
            for (int q = 0; q < k; q++) {
              double x = vae_bf16_to_float (a[(size_t) i * lda + q])
                  * (double) bf_ref (b[(size_t) j * ldb + q]);
              s += x;
              mag += fabs (x);
            }
            double want = mode ? fmax (bias[j] + s, 0.0) : c0[o] + alpha * s;
            double scale = (mode ? fabs (bias[j]) : fabs (c0[o]))
                + fabs (alpha) * mag + 1e-30;
            if (mode == 2) {
              /* the float result, rounded once: within half a bf16 step
               * of the exact value, plus the float sum's error */
              double got = vae_bf16_to_float (ch[o]);
              bf_out_bad += fabs (got - want) > fabs (want) * 0x1p-8
                  + scale * 1e-6;
            } else {
              worst = fmax (worst, fabs (c[o] - want) / scale);
            }
          }
        if (m > 5 && mode != 2) {
          /* rows 2..4 alone give the bytes they had among all m */
          float *c2 = malloc ((size_t) 3 * ldc * sizeof (float));
          memcpy (c2, c0 + 2 * ldc, (size_t) 3 * ldc * sizeof (float));
          vae_gemm_run_bf16 (3, a + 2 * lda, lda, &pb, alpha, c2, NULL, ldc,
              mode != 0, mode ? bias : NULL);
          rows_bad += memcmp (c2, c + 2 * ldc, (size_t) 3 * ldc
              * sizeof (float)) != 0;
          free (c2);
        }
        free (a);
        free (b);
        free (bias);
        free (c);
        free (c0);
        free (ch);
        vae_aligned_free (buf);
        cases++;
      }
  printf ("bf16 kernels: %d cases, worst float error %.2e of the sum of "
      "|products|, %d bf16 outputs off, %d paddings written, %d row sets "
      "changed by their neighbours\n", cases, worst, bf_out_bad, pad_bad,
      rows_bad);
  CHECK (worst < 1e-6, "bf16 kernel error %.3g", worst);
  CHECK (bf_out_bad == 0 && pad_bad == 0 && rows_bad == 0,
      "bf16 kernels: %d outputs off, %d paddings written, %d rows moved",
      bf_out_bad, pad_bad, rows_bad);
}

/* vae_sgemm_bias: the same bits as the bias copied into C, vae_sgemm with
 * β = 1 and a ReLU after, on the kernels and on the OpenBLAS path (n < 8),
 * and the padding past n untouched */
static void
test_sgemm_bias (void)
{
  static const int shp[][3] = { { 1, 1, 1 }, { 7, 33, 5 }, { 128, 400, 784 },
    { 13, 5, 40 }, { 128, 40, 400 }, { 9, 65, 31 } };
  VaeRng rng;
  int bad = 0;
  vae_rng_seed (&rng, 9);
  for (size_t t = 0; t < sizeof shp / sizeof *shp; t++)
    for (int tb = 0; tb < 2; tb++)
      for (int relu = 0; relu < 2; relu++) {
        int m = shp[t][0], n = shp[t][1], k = shp[t][2];
        int lda = k + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
        size_t na = (size_t) m * lda, nb = (size_t) (tb ? n : k) * ldb;
        size_t nc = (size_t) m * ldc;
        float *a = malloc (na * sizeof (float)), *b = malloc (nb
            * sizeof (float)), *bias = malloc ((size_t) n * sizeof (float));
        float *c = malloc (nc * sizeof (float)), *r = malloc (nc
            * sizeof (float));
        for (size_t i = 0; i < na; i++)
          a[i] = urand (&rng, -1, 1);
        for (size_t i = 0; i < nb; i++)
          b[i] = urand (&rng, -1, 1);
        for (int j = 0; j < n; j++)
          bias[j] = urand (&rng, -2, 2);
        for (size_t i = 0; i < nc; i++)
          c[i] = r[i] = 77.0f;
        for (int i = 0; i < m; i++)
          memcpy (r + (size_t) i * ldc, bias, (size_t) n * sizeof (float));
        vae_sgemm (0, tb, m, n, k, 1.0f, a, lda, b, ldb, 1.0f, r, ldc);
        for (int i = 0; i < m; i++)
          for (int j = 0; relu && j < n; j++) {
            float *v = r + (size_t) i * ldc + j;
            *v = *v > 0.0f ? *v : 0.0f;
          }
        vae_sgemm_bias (tb, m, n, k, a, lda, b, ldb, bias, relu, c, ldc);
        bad += memcmp (c, r, nc * sizeof (float)) != 0;
        free (a);
        free (b);
        free (bias);
        free (c);
        free (r);
      }
  CHECK (bad == 0, "sgemm_bias: %d cases differ from bias, sgemm and ReLU "
      "apart", bad);
}

static int
n_threads_now (void)
{
  GDir *d = g_dir_open ("/proc/self/task", 0, NULL);
  int n = 0;
  if (d == NULL)
    return -1;
  while (g_dir_read_name (d) != NULL)
    n++;
  g_dir_close (d);
  return n;
}

/* a joined thread leaves /proc/self/task a moment after its join returns */
static int
n_threads_settled (int want)
{
  int n = n_threads_now ();
  for (int i = 0; i < 1000 && n != want; i++) {
    g_usleep (1000);
    n = n_threads_now ();
  }
  return n;
}

/* vae_blas_threads (1) leaves this process with its own thread alone
 * (OpenBLAS's workers ended), and OpenBLAS still computes with more
 * threads afterwards, starting them again. */
static void
test_blas_threads (void)
{
  int n = 512, before = n_threads_now (), after;
  float *a = malloc ((size_t) n * n * sizeof (float));
  float *c = malloc ((size_t) n * n * sizeof (float));
  if (before < 0) {
    printf ("SKIP blas threads: no /proc/self/task\n");
    free (a);
    free (c);
    return;
  }
  for (int i = 0; i < n * n; i++)
    a[i] = (float) ((i % 7) - 3);
  vae_blas_threads (1);
  after = n_threads_settled (1);
  CHECK (after == 1, "after vae_blas_threads (1): %d threads (before: %d)",
      after, before);
  vae_blas_threads (2);
  /* a (n × n) all rows alike per column pattern: check c against sums */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n,
      a, n, 0.0f, c, n);
  {
    int bad = 0;
    for (int i = 0; i < n; i += 61)
      for (int j = 0; j < n; j += 67) {
        double want = 0;
        for (int k = 0; k < n; k++)
          want += (double) a[(size_t) i * n + k] * a[(size_t) j * n + k];
        bad += c[(size_t) i * n + j] != (float) want;
      }
    CHECK (bad == 0, "sgemm on 2 OpenBLAS threads after their shutdown: %d "
        "wrong", bad);
  }
  printf ("threads: %d at start, 1 after vae_blas_threads (1), %d after a "
      "2-thread sgemm\n", before, n_threads_now ());
  vae_blas_threads (1);
  after = n_threads_settled (1);
  CHECK (after == 1, "after vae_blas_threads (1) again: %d threads", after);
  free (a);
  free (c);
}

int
main (void)
{
  int best = vae_gemm_best_isa ();
  printf ("this CPU's best kernel: %s\n", isa_name[best]);
  for (int isa = VAE_GEMM_BLAS; isa <= best; isa++)
    test_shapes (isa);
  test_denoiser_shapes (best);
  test_sgemm ();
  test_sgemm_bias ();
  test_bf16_convert ();
  test_bf16 ();
  test_blas_threads ();
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  printf ("all GEMM checks passed\n");
  return 0;
}
