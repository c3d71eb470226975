/* xoshiro256** seeded by splitmix64; Marsaglia polar normals; the normal
 * quantile. */
#include "vae_private.h"

#include <math.h>

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void
vae_rng_seed (VaeRng *r, uint64_t seed)
{
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64 (&x);
  r->has_spare = 0;
  r->spare = 0.0f;
}

static inline uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

uint64_t
vae_rng_u64 (VaeRng *r)
{
  uint64_t *s = r->s;
  uint64_t result = rotl (s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

float
vae_rng_uniform (VaeRng *r)
{
  /* 24 high bits: exactly representable, strictly below 1. */
  return (float) (vae_rng_u64 (r) >> 40) * (1.0f / 16777216.0f);
}

uint32_t
vae_rng_below (VaeRng *r, uint32_t n)
{
  /* Lemire's multiply-shift; the bias is below 2^-32 for our n. */
  return (uint32_t) (((vae_rng_u64 (r) >> 32) * (uint64_t) n) >> 32);
}

float
vae_rng_normal (VaeRng *r)
{
  double u, v, s;
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  do {
    u = (double) (vae_rng_u64 (r) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
    v = (double) (vae_rng_u64 (r) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  s = sqrt (-2.0 * log (s) / s);
  r->spare = (float) (v * s);
  r->has_spare = 1;
  return (float) (u * s);
}

/* Acklam's rational approximation (relative error 1.2e-9) refined by one
 * Halley step. */
double
vae_normal_quantile (double p)
{
  static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
    -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
    2.506628277459239e+00
  };
  static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
    -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01
  };
  static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
    -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
    2.938163982698783e+00
  };
  static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
    2.445134137142996e+00, 3.754408661907416e+00
  };
  const double p_low = 0.02425;
  double q, r, x, e, u;

  if (p <= 0.0)
    return -INFINITY;
  if (p >= 1.0)
    return INFINITY;
  if (p < p_low || p > 1.0 - p_low) {
    q = sqrt (-2.0 * log (p < p_low ? p : 1.0 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    if (p > 1.0 - p_low)
      x = -x;
  } else {
    q = p - 0.5;
    r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r
        + 1.0);
  }
  e = 0.5 * erfc (-x / M_SQRT2) - p;
  u = e * sqrt (2.0 * M_PI) * exp (x * x / 2.0);
  return x - u / (1.0 + x * u / 2.0);
}
