/* Closed-form KL, corruption models and the PRNG against their statistics,
 * the normal quantile against reference values.
 *
 * Every sampled statistic is checked against its expectation with a
 * tolerance of 5 standard errors (or a few per cent for variances, which is
 * still many standard errors at N = 2^20), with fixed seeds so a pass is
 * reproducible. */
#include "vae.h"
#include "vae_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N (1 << 20)

#include "check.h"

/* |got − want| within k standard errors. */
static int
within_se (double got, double want, double se, double k)
{
  return fabs (got - want) <= k * se;
}

/* ------------------------------------------------------ normal quantile */

/* Φ⁻¹ against reference values (Python's statistics.NormalDist), its
 * symmetry, its tails and its inverse, Φ. */
static void
test_normal_quantile (void)
{
  static const double ref[][2] = {
    { 0.5, 0.0 }, { 0.975, 1.959963984540054 }, { 0.025, -1.959963984540054 },
    { 0.001, -3.090232306167813 }, { 0.3, -0.5244005127080407 },
    { 0.02425, -1.9729610513118845 }, { 1e-10, -6.361340902404056 },
  };
  double worst = 0.0;

  CHECK (vae_normal_quantile (0.5) == 0.0, "quantile(0.5) = %g",
      vae_normal_quantile (0.5));
  for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
    double got = vae_normal_quantile (ref[i][0]);
    CHECK (fabs (got - ref[i][1]) <= 1e-14 * fmax (1.0, fabs (ref[i][1])),
        "quantile(%g) = %.17g, expected %.17g", ref[i][0], got, ref[i][1]);
  }
  for (int i = 1; i < 1000; i++) {
    double p = i / 1000.0, x = vae_normal_quantile (p);
    worst = fmax (worst, fabs (x + vae_normal_quantile (1.0 - p)));
    CHECK (fabs (0.5 * erfc (-x / sqrt (2.0)) - p) < 1e-15,
        "Phi(quantile(%g)) = %.17g", p, 0.5 * erfc (-x / sqrt (2.0)));
  }
  CHECK (worst < 1e-12, "quantile(p) + quantile(1 - p) up to %g", worst);
  /* the upper tail is coarser: the refinement's Φ(x) − p cancels near 1 */
  CHECK (fabs (vae_normal_quantile (1.0 - 1e-10) - 6.361340889697421) < 1e-7,
      "quantile(1 - 1e-10) = %.17g", vae_normal_quantile (1.0 - 1e-10));
  CHECK (isinf (vae_normal_quantile (0.0)) && vae_normal_quantile (0.0) < 0
      && isinf (vae_normal_quantile (1.0)) && vae_normal_quantile (1.0) > 0,
      "quantile(0), quantile(1) not -inf, +inf");
}

/* ------------------------------------------------------------------ KL */

/* KL(N(μ, σ²) ‖ N(0, 1)) by Simpson's rule over ±12σ: independent of the
 * closed form. */
static double
kl_quadrature (double mu, double logvar)
{
  double s = exp (0.5 * logvar), a = mu - 12 * s, b = mu + 12 * s;
  int n = 20000;
  double hstep = (b - a) / n, sum = 0.0;
  for (int i = 0; i <= n; i++) {
    double z = a + i * hstep;
    double lq = -0.5 * (z - mu) * (z - mu) / (s * s) - log (s)
        - 0.5 * log (2 * M_PI);
    double lp = -0.5 * z * z - 0.5 * log (2 * M_PI);
    double f = exp (lq) * (lq - lp);
    sum += f * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
  }
  return sum * hstep / 3;
}

static void
test_kl (void)
{
  float mu[64], lv[64];
  VaeRng r;
  double worst = 0.0, worst_q = 0.0;

  mu[0] = 1.0f; lv[0] = 0.0f;
  CHECK (fabsf (vae_gaussian_kl (mu, lv, 1) - 0.5f) < 1e-7f,
      "KL(mu=1, logvar=0) = %.8f, expected 0.5", vae_gaussian_kl (mu, lv, 1));
  mu[0] = 0.0f; lv[0] = 0.0f;
  CHECK (vae_gaussian_kl (mu, lv, 1) == 0.0f, "KL(N(0,1) || N(0,1)) != 0");
  mu[0] = 0.0f; lv[0] = logf (2.0f);
  CHECK (fabs (vae_gaussian_kl (mu, lv, 1) - 0.5 * (1.0 - log (2.0))) < 1e-6,
      "KL(mu=0, var=2) = %.8f, expected %.8f", vae_gaussian_kl (mu, lv, 1),
      0.5 * (1.0 - log (2.0)));
  CHECK (vae_gaussian_kl (mu, lv, 0) == 0.0f, "KL over k = 0 values != 0");

  vae_rng_seed (&r, 42);
  for (int t = 0; t < 200; t++) {
    int k = 1 + (int) vae_rng_below (&r, 64);
    double want = 0.0, got;
    for (int j = 0; j < k; j++) {
      mu[j] = 3.0f * vae_rng_normal (&r);
      lv[j] = 4.0f * (vae_rng_uniform (&r) - 0.5f);
      want += 0.5 * (exp (lv[j]) + (double) mu[j] * mu[j] - 1.0 - lv[j]);
    }
    got = vae_gaussian_kl (mu, lv, k);
    worst = fmax (worst, fabs (got - want) / fmax (1.0, want));
    CHECK (got >= 0.0, "KL negative (%g)", got);
  }
  for (int t = 0; t < 8; t++) {
    double q;
    mu[0] = 2.0f * vae_rng_normal (&r);
    lv[0] = 3.0f * (vae_rng_uniform (&r) - 0.5f);
    q = kl_quadrature (mu[0], lv[0]);
    worst_q = fmax (worst_q, fabs (vae_gaussian_kl (mu, lv, 1) - q)
        / fmax (1e-3, q));
  }
  printf ("KL: max rel diff to the closed form %.2e, to quadrature %.2e\n",
      worst, worst_q);
  CHECK (worst < 1e-6, "KL differs from the closed form by %g", worst);
  CHECK (worst_q < 1e-5, "KL differs from quadrature by %g", worst_q);
}

/* ---------------------------------------------------------------- PRNG */

static void
test_rng (void)
{
  VaeRng a, b;
  int same = 0, diff_pos = 0;
  double s = 0, s2 = 0, s3 = 0, s4 = 0;
  long hist[16] = { 0 }, below[10] = { 0 };
  float lo = 1.0f, hi = 0.0f;
  double chi = 0.0, chi_b = 0.0;

  vae_rng_seed (&a, 1234);
  vae_rng_seed (&b, 1234);
  for (int i = 0; i < 10000; i++)
    same += vae_rng_u64 (&a) == vae_rng_u64 (&b);
  CHECK (same == 10000, "same seed: %d of 10000 values equal", same);
  vae_rng_seed (&a, 1234);
  vae_rng_seed (&b, 1234);
  same = 1;
  for (int i = 0; i < 1000; i++)
    if (vae_rng_normal (&a) != vae_rng_normal (&b)
        || vae_rng_uniform (&a) != vae_rng_uniform (&b))
      same = 0;
  CHECK (same, "same seed gives different normals/uniforms");

  for (uint64_t seed = 0; seed < 4; seed++) {
    vae_rng_seed (&a, seed);
    vae_rng_seed (&b, seed + 1);
    for (int i = 0; i < 1000; i++)
      diff_pos += vae_rng_u64 (&a) != vae_rng_u64 (&b);
  }
  CHECK (diff_pos == 4000, "neighbouring seeds share %d of 4000 values",
      4000 - diff_pos);
  /* seed 0 must not give the all-zero xoshiro state (a constant stream) */
  vae_rng_seed (&a, 0);
  {
    uint64_t x0 = vae_rng_u64 (&a), x1 = vae_rng_u64 (&a);
    CHECK (x0 != x1 && (x0 | x1) != 0, "seed 0 gives a degenerate stream");
  }

  vae_rng_seed (&a, 99);
  for (int i = 0; i < N; i++) {
    float u = vae_rng_uniform (&a);
    lo = fminf (lo, u);
    hi = fmaxf (hi, u);
    s += u;
    s2 += (double) u * u;
    hist[(int) (u * 16)]++;
  }
  {
    double mean = s / N, var = s2 / N - mean * mean;
    for (int k = 0; k < 16; k++)
      chi += (hist[k] - N / 16.0) * (hist[k] - N / 16.0) / (N / 16.0);
    printf ("uniform: min %.3g max %.9f mean %.5f var %.5f (1/12 = %.5f) "
        "chi2(15) %.1f\n", lo, hi, mean, var, 1.0 / 12, chi);
    CHECK (lo >= 0.0f && hi < 1.0f, "uniform outside [0, 1): %g..%g", lo, hi);
    CHECK (lo < 1e-5f && hi > 1.0f - 1e-5f, "uniform does not cover [0, 1)");
    CHECK (within_se (mean, 0.5, sqrt (1.0 / 12 / N), 5), "uniform mean %g",
        mean);
    CHECK (fabs (var / (1.0 / 12) - 1) < 0.01, "uniform variance %g", var);
    /* chi-square with 15 degrees of freedom: P(> 50) < 1e-5 */
    CHECK (chi < 50.0, "uniform histogram chi2 %.1f", chi);
  }

  for (int i = 0; i < N; i++) {
    uint32_t v = vae_rng_below (&a, 10);
    if (v >= 10) {
      CHECK (0, "vae_rng_below(10) returned %u", v);
      break;
    }
    below[v]++;
  }
  for (int k = 0; k < 10; k++)
    chi_b += (below[k] - N / 10.0) * (below[k] - N / 10.0) / (N / 10.0);
  printf ("below(10): chi2(9) %.1f\n", chi_b);
  CHECK (chi_b < 40.0, "vae_rng_below histogram chi2 %.1f", chi_b);

  s = s2 = 0;
  {
    long in1 = 0;
    for (int i = 0; i < N; i++) {
      double z = vae_rng_normal (&a);
      s += z;
      s2 += z * z;
      s3 += z * z * z;
      s4 += z * z * z * z;
      in1 += fabs (z) < 1.0;
    }
    double mean = s / N, var = s2 / N - mean * mean;
    double skew = s3 / N, kurt = s4 / N;
    double f1 = (double) in1 / N, p1 = erf (1.0 / sqrt (2.0));
    printf ("normal: mean %.5f var %.5f skew %.4f kurtosis %.4f "
        "P(|z|<1) %.5f (%.5f)\n", mean, var, skew, kurt, f1, p1);
    CHECK (within_se (mean, 0.0, sqrt (1.0 / N), 5), "normal mean %g", mean);
    CHECK (fabs (var - 1.0) < 0.01, "normal variance %g", var);
    CHECK (within_se (skew, 0.0, sqrt (15.0 / N), 5), "normal skew %g", skew);
    CHECK (within_se (kurt, 3.0, sqrt (96.0 / N), 5), "normal kurtosis %g",
        kurt);
    CHECK (within_se (f1, p1, sqrt (p1 * (1 - p1) / N), 5),
        "normal P(|z|<1) %g, expected %g", f1, p1);
  }
}

/* ------------------------------------------------------------- noise f32 */

static void
test_noise_f32 (void)
{
  float *x = malloc (N * sizeof (float));
  float *y = malloc (N * sizeof (float));
  VaeRng r;

  CHECK (x && y, "out of memory");
  vae_rng_seed (&r, 7);
  for (int i = 0; i < N; i++)
    x[i] = 0.05f + 0.9f * vae_rng_uniform (&r);  /* never 0, lo or hi */

  /* names */
  for (int t = 0; t < 4; t++)
    CHECK (vae_noise_from_name (vae_noise_name (t)) == t,
        "noise name %s does not round-trip", vae_noise_name (t));
  CHECK (vae_noise_from_name ("bogus") == -1, "unknown noise name accepted");

  /* Gaussian: y − x ~ N(0, σ²) */
  {
    const float sigma = 0.1f;
    double s = 0, s2 = 0, s4 = 0;
    vae_rng_seed (&r, 11);
    vae_noise_apply_f32 (VAE_NOISE_GAUSSIAN, sigma, 0, 1, x, y, N, &r);
    for (int i = 0; i < N; i++) {
      double d = (double) y[i] - x[i];
      s += d;
      s2 += d * d;
      s4 += d * d * d * d;
    }
    double mean = s / N, var = s2 / N - mean * mean;
    double kurt = s4 / N / (var * var);
    printf ("gaussian f32 (sigma %.2f): mean %.2e (5 SE = %.1e) var %.6f "
        "(%.6f) kurtosis %.3f\n", sigma, mean, 5 * sigma / sqrt (N), var,
        sigma * sigma, kurt);
    CHECK (within_se (mean, 0.0, sigma / sqrt (N), 5), "mean %g", mean);
    CHECK (fabs (var / (sigma * sigma) - 1) < 0.02, "variance %g, want %g",
        var, sigma * sigma);
    CHECK (fabs (kurt - 3.0) < 0.05, "kurtosis %g, want 3", kurt);
  }
  /* in place gives what out of place gives, for the same stream */
  {
    float *z = malloc (4096 * sizeof (float));
    memcpy (z, x, 4096 * sizeof (float));
    for (VaeNoise t = VAE_NOISE_NONE; t <= VAE_NOISE_MASK; t++) {
      float lvl = t == VAE_NOISE_GAUSSIAN ? 0.2f : 0.3f;
      memcpy (z, x, 4096 * sizeof (float));
      vae_rng_seed (&r, 5);
      vae_noise_apply_f32 (t, lvl, 0, 1, x, y, 4096, &r);
      vae_rng_seed (&r, 5);
      vae_noise_apply_f32 (t, lvl, 0, 1, z, z, 4096, &r);
      CHECK (memcmp (y, z, 4096 * sizeof (float)) == 0,
          "%s: in-place result differs", vae_noise_name (t));
    }
    free (z);
    /* NONE copies */
    vae_noise_apply_f32 (VAE_NOISE_NONE, 0.5f, 0, 1, x, y, N, &r);
    CHECK (memcmp (x, y, N * sizeof (float)) == 0, "none does not copy");
  }

  /* salt and pepper: each value → lo or hi with probability p/2 each */
  for (int k = 0; k < 2; k++) {
    const float p = k ? 0.5f : 0.1f, lo = -1.0f, hi = 2.0f;
    long n_lo = 0, n_hi = 0, n_bad = 0;
    vae_rng_seed (&r, 13 + k);
    vae_noise_apply_f32 (VAE_NOISE_SALT_PEPPER, p, lo, hi, x, y, N, &r);
    for (int i = 0; i < N; i++) {
      if (y[i] == lo) n_lo++;
      else if (y[i] == hi) n_hi++;
      else if (y[i] != x[i]) n_bad++;
    }
    double f = (double) (n_lo + n_hi) / N;
    double split = (double) n_lo / (n_lo + n_hi);
    printf ("salt-and-pepper f32 (p %.2f): corrupted %.5f, lo share %.4f\n",
        p, f, split);
    CHECK (n_bad == 0, "%ld values neither kept nor lo/hi", n_bad);
    CHECK (within_se (f, p, sqrt (p * (1 - p) / N), 5),
        "corrupted fraction %g, want %g", f, p);
    CHECK (within_se (split, 0.5, sqrt (0.25 / (n_lo + n_hi)), 5),
        "lo/hi split %g", split);
  }

  /* masking: x · m, m ~ Bernoulli(1 − p) */
  {
    const float p = 0.25f;
    long zero = 0, changed = 0;
    vae_rng_seed (&r, 17);
    vae_noise_apply_f32 (VAE_NOISE_MASK, p, 0, 1, x, y, N, &r);
    for (int i = 0; i < N; i++) {
      if (y[i] == 0.0f) zero++;
      else if (y[i] != x[i]) changed++;
    }
    double f = (double) zero / N;
    printf ("masking f32 (p %.2f): zeroed %.5f\n", p, f);
    CHECK (changed == 0, "masking changed %ld values to non-zero", changed);
    CHECK (within_se (f, p, sqrt (p * (1 - p) / N), 5),
        "masked fraction %g, want %g", f, p);
  }
  free (x);
  free (y);
}

/* -------------------------------------------------------------- noise u8 */

/* A w × h plane at stride w + pad, filled with v, padding 0xAA. */
static uint8_t *
plane_new (int w, int h, int pad, uint8_t v)
{
  uint8_t *p = malloc ((size_t) (w + pad) * h);
  memset (p, 0xAA, (size_t) (w + pad) * h);
  for (int y = 0; y < h; y++)
    memset (p + (size_t) y * (w + pad), v, w);
  return p;
}

static int
padding_intact (const uint8_t *p, int w, int h, int pad)
{
  for (int y = 0; y < h; y++)
    for (int x = w; x < w + pad; x++)
      if (p[(size_t) y * (w + pad) + x] != 0xAA)
        return 0;
  return 1;
}

static void
test_noise_u8 (void)
{
  const int w = 1024, h = 1024, pad = 13, st = w + pad;
  VaeRng r;

  /* Gaussian at mid grey: σ = 10 puts the clip 12.7σ away, so the result
   * is round(128 + σ n): mean 128, variance σ² + 1/12. */
  {
    const float sigma = 10.0f;
    uint8_t *p = plane_new (w, h, pad, 128);
    double s = 0, s2 = 0;
    vae_rng_seed (&r, 19);
    vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, sigma, p, st, w, h, &r);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double d = p[(size_t) y * st + x] - 128.0;
        s += d;
        s2 += d * d;
      }
    double mean = s / N, var = s2 / N - mean * mean;
    double want = sigma * sigma + 1.0 / 12;
    printf ("gaussian u8 (sigma %.0f at 128): mean %+.4f (5 SE = %.4f) "
        "var %.3f (%.3f)\n", sigma, mean, 5 * sigma / sqrt (N), var, want);
    CHECK (within_se (mean, 0.0, sigma / sqrt (N), 5), "u8 mean offset %g",
        mean);
    CHECK (fabs (var / want - 1) < 0.02, "u8 variance %g, want %g", var,
        want);
    CHECK (padding_intact (p, w, h, pad), "gaussian u8 wrote into padding");
    free (p);
  }
  /* Clipping near the ends: at 250 with σ = 25, round(250 + 25n) ≥ 255
   * when n ≥ 4.5/25, and every such value must be exactly 255. */
  for (int k = 0; k < 2; k++) {
    const float sigma = 25.0f;
    uint8_t v = k ? 5 : 250;
    uint8_t *p = plane_new (w, h, pad, v);
    long at_end = 0;
    double pe = 0.5 * erfc (4.5 / 25.0 / sqrt (2.0));
    vae_rng_seed (&r, 23 + k);
    vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, sigma, p, st, w, h, &r);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        at_end += p[(size_t) y * st + x] == (k ? 0 : 255);
    double f = (double) at_end / N;
    printf ("gaussian u8 (sigma 25 at %d): clipped to %d %.5f (%.5f)\n", v,
        k ? 0 : 255, f, pe);
    CHECK (within_se (f, pe, sqrt (pe * (1 - pe) / N), 5),
        "clipped fraction %g, want %g", f, pe);
    free (p);
  }
  /* salt and pepper on a grey plane: 0 and 255 with p/2 each */
  {
    const float p_ = 0.2f;
    uint8_t *p = plane_new (w, h, pad, 128);
    long n0 = 0, n255 = 0, other = 0;
    vae_rng_seed (&r, 29);
    vae_noise_apply_u8 (VAE_NOISE_SALT_PEPPER, p_, p, st, w, h, &r);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        uint8_t v = p[(size_t) y * st + x];
        n0 += v == 0;
        n255 += v == 255;
        other += v != 0 && v != 255 && v != 128;
      }
    double f = (double) (n0 + n255) / N, split = (double) n0 / (n0 + n255);
    printf ("salt-and-pepper u8 (p %.2f): corrupted %.5f, black share %.4f\n",
        p_, f, split);
    CHECK (other == 0, "%ld pixels neither kept nor 0/255", other);
    CHECK (within_se (f, p_, sqrt (p_ * (1 - p_) / N), 5),
        "u8 corrupted fraction %g", f);
    CHECK (within_se (split, 0.5, sqrt (0.25 / (n0 + n255)), 5),
        "u8 0/255 split %g", split);
    CHECK (padding_intact (p, w, h, pad), "salt-and-pepper wrote into padding");
    free (p);
  }
  /* masking */
  {
    const float p_ = 0.4f;
    uint8_t *p = plane_new (w, h, pad, 200);
    long n0 = 0, other = 0;
    vae_rng_seed (&r, 31);
    vae_noise_apply_u8 (VAE_NOISE_MASK, p_, p, st, w, h, &r);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        uint8_t v = p[(size_t) y * st + x];
        n0 += v == 0;
        other += v != 0 && v != 200;
      }
    double f = (double) n0 / N;
    printf ("masking u8 (p %.2f): zeroed %.5f\n", p_, f);
    CHECK (other == 0, "masking produced %ld other values", other);
    CHECK (within_se (f, p_, sqrt (p_ * (1 - p_) / N), 5),
        "u8 masked fraction %g", f);
    CHECK (padding_intact (p, w, h, pad), "masking wrote into padding");
    free (p);
  }
  /* NONE leaves the plane alone; a level of 0 changes nothing */
  {
    uint8_t *p = plane_new (64, 64, 3, 77);
    uint8_t *q = plane_new (64, 64, 3, 77);
    vae_rng_seed (&r, 1);
    vae_noise_apply_u8 (VAE_NOISE_NONE, 30.0f, p, 67, 64, 64, &r);
    for (VaeNoise t = VAE_NOISE_GAUSSIAN; t <= VAE_NOISE_MASK; t++)
      vae_noise_apply_u8 (t, 0.0f, p, 67, 64, 64, &r);
    CHECK (memcmp (p, q, 67 * 64) == 0, "level 0 or NONE changed the plane");
    free (p);
    free (q);
  }
}

/* ------------------------------------------- 8-bit training corruption */

/* vae_corrupt_batch with u8_fraction: rounded and clipped samples lie on
 * the 8-bit grid inside [0, 1]; at the white point the clipped noise has the
 * closed-form mean E[min(ε, 0)] = −σ/√(2π); u8_fraction = 0 is the plain
 * float corruption, drawing the same random numbers. */
static void
test_corrupt_u8 (void)
{
  VaeConfig c = vae_config_default ();
  VaeTrainOpts o = vae_train_opts_default ();
  int n_in = 64, batch = N / 64;
  float *x = malloc ((size_t) N * sizeof (float));
  float *y = malloc ((size_t) N * sizeof (float));
  float *z = malloc ((size_t) N * sizeof (float));
  float *lv = malloc ((size_t) batch * sizeof (float));
  float sigma = 25.0f / 255.0f;
  VaeRng r1, r2;

  c.kind = VAE_KIND_DAE;
  c.n_in = n_in;
  c.img_w = c.img_h = 8;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_min = c.noise_max = sigma;
  for (size_t i = 0; i < N; i++)
    x[i] = 1.0f;

  /* u8_fraction = 0: exactly vae_noise_apply_f32 after the level draw */
  vae_rng_seed (&r1, 5);
  vae_rng_seed (&r2, 5);
  vae_corrupt_batch (&c, &o, x, batch, &r1, y, lv);
  for (int b = 0; b < batch; b++) {
    (void) vae_rng_uniform (&r2);
    vae_noise_apply_f32 (c.noise, sigma, 0.0f, 1.0f, x + (size_t) b * n_in,
        z + (size_t) b * n_in, n_in, &r2);
  }
  CHECK (memcmp (y, z, (size_t) N * sizeof (float)) == 0,
      "u8_fraction 0 is not the plain float corruption");
  CHECK (vae_rng_u64 (&r1) == vae_rng_u64 (&r2),
      "u8_fraction 0 drew extra random numbers");

  /* u8_fraction = 1 at the white point */
  o.u8_fraction = 1.0f;
  vae_rng_seed (&r1, 6);
  vae_corrupt_batch (&c, &o, x, batch, &r1, y, lv);
  {
    double sum = 0.0, sum2 = 0.0;
    long off_grid = 0, out_of_range = 0;
    for (size_t i = 0; i < N; i++) {
      double d = y[i] - 1.0, k = y[i] * 255.0;
      sum += d;
      sum2 += d * d;
      off_grid += fabs (k - rint (k)) > 1e-3;
      out_of_range += y[i] < 0.0f || y[i] > 1.0f;
    }
    double mean = sum / N, var = sum2 / N - mean * mean;
    double want = -sigma / sqrt (2 * M_PI);
    CHECK (off_grid == 0 && out_of_range == 0,
        "%ld values off the 8-bit grid, %ld outside [0, 1]", off_grid,
        out_of_range);
    CHECK (within_se (mean, want, sqrt (var / N), 5),
        "clipped white-point bias %g, want %g", mean, want);
  }

  /* u8_fraction = 0.5 at mid-grey: about half the samples on the grid */
  o.u8_fraction = 0.5f;
  for (size_t i = 0; i < N; i++)
    x[i] = 0.5f;
  vae_rng_seed (&r1, 7);
  vae_corrupt_batch (&c, &o, x, batch, &r1, y, lv);
  {
    long on = 0;
    for (int b = 0; b < batch; b++) {
      int grid = 1;
      for (int j = 0; j < n_in; j++) {
        double k = y[(size_t) b * n_in + j] * 255.0;
        grid &= fabs (k - rint (k)) < 1e-3;
      }
      on += grid;
    }
    CHECK (within_se ((double) on / batch, 0.5, sqrt (0.25 / batch), 5),
        "%ld of %d samples on the 8-bit grid, want half", on, batch);
  }
  free (x);
  free (y);
  free (z);
  free (lv);
}

/* ------------------------------------------------- zoomed patch sampling */

/* Bilinear sampling is exact on a linear image: a patch of the ramp
 * x + 2y enlarged z times steps by 1/z and 2/z per pixel; zoom 1 is the
 * plain sampler, random numbers included. */
static void
test_zoom_patch (void)
{
  enum { W = 90, H = 70, P = 12 };
  VaeImage im;
  VaeImageSet set;
  float a[P * P], b[P * P];
  VaeRng r1, r2;

  im.w = W;
  im.h = H;
  im.pixels = malloc (W * H);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      im.pixels[y * W + x] = (uint8_t) (x + 2 * y);
  memset (&set, 0, sizeof set);
  set.n = 1;
  set.images = &im;

  vae_rng_seed (&r1, 3);
  vae_rng_seed (&r2, 3);
  for (int k = 0; k < 100; k++) {
    vae_image_set_sample_patch (&set, P, P, 1, &r1, a);
    vae_image_set_sample_patch_zoom (&set, P, P, 1, 1.0f, &r2, b);
    if (memcmp (a, b, sizeof a) != 0) {
      CHECK (0, "zoom 1 differs from the plain patch at draw %d", k);
      break;
    }
  }
  CHECK (vae_rng_u64 (&r1) == vae_rng_u64 (&r2),
      "zoom 1 drew other random numbers");

  for (float zoom = 1.25f; zoom <= 4.0f; zoom *= 1.6f) {
    double worst = 0.0;
    float lo = 1.0f, hi = 0.0f;
    vae_rng_seed (&r1, 4);
    for (int k = 0; k < 200; k++) {
      vae_image_set_sample_patch_zoom (&set, P, P, 0, zoom, &r1, a);
      for (int i = 0; i < P; i++) {
        for (int j = 0; j < P; j++) {
          float v = a[i * P + j];
          lo = v < lo ? v : lo;
          hi = v > hi ? v : hi;
          if (j + 1 < P) {
            double d = (a[i * P + j + 1] - v) * 255.0 - 1.0 / zoom;
            worst = fabs (d) > worst ? fabs (d) : worst;
          }
          if (i + 1 < P) {
            double d = (a[(i + 1) * P + j] - v) * 255.0 - 2.0 / zoom;
            worst = fabs (d) > worst ? fabs (d) : worst;
          }
        }
      }
    }
    CHECK (worst < 1e-3, "zoom %.2f: steps off the ramp by %g", zoom, worst);
    CHECK (lo >= 0.0f && hi <= (W - 1 + 2 * (H - 1)) / 255.0f + 1e-6f,
        "zoom %.2f: values %g..%g outside the image", zoom, lo, hi);
  }
  free (im.pixels);
}

int
main (void)
{
  test_normal_quantile ();
  test_kl ();
  test_rng ();
  test_noise_f32 ();
  test_noise_u8 ();
  test_corrupt_u8 ();
  test_zoom_patch ();
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  printf ("all noise checks passed\n");
  return 0;
}
