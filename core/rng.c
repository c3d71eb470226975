/* xoshiro256** seeded by splitmix64; Marsaglia polar normals. */
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
