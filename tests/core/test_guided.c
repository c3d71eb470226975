/* The guided filter (core/guided.c) against its definition summed in
 * double precision window by window; r = 0 is the identity; the bytes do
 * not depend on the split into rows; and on a chroma plane whose clean
 * version follows the luma, it removes most of the noise. */
#include "vae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define W 53                    /* odd, and more than a chunk of rows tall */
#define H 71

static uint8_t gd[H][W], pl[H][W], out[H][W], out2[H][W];

static int
clampi (int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* The mean of f over the window of radius r at (x, y), edges repeated. */
static double
wmean (double (*f) (int, int), int x, int y, int r)
{
  double s = 0;
  for (int j = -r; j <= r; j++)
    for (int i = -r; i <= r; i++)
      s += f (clampi (x + i, 0, W - 1), clampi (y + j, 0, H - 1));
  return s / ((2 * r + 1) * (2 * r + 1));
}

static int R;
static double EPS;
static double gi (int x, int y) { return gd[y][x]; }
static double pi_ (int x, int y) { return pl[y][x]; }
static double gg (int x, int y) { return (double) gd[y][x] * gd[y][x]; }
static double gp (int x, int y) { return (double) gd[y][x] * pl[y][x]; }
static double
fa (int x, int y)
{
  double mi = wmean (gi, x, y, R), mp = wmean (pi_, x, y, R);
  double var = wmean (gg, x, y, R) - mi * mi;
  return (wmean (gp, x, y, R) - mi * mp) / ((var > 0 ? var : 0) + EPS);
}
static double
fb (int x, int y)
{
  return wmean (pi_, x, y, R) - fa (x, y) * wmean (gi, x, y, R);
}

static void
run (int r, float eps, int row0, int row1, uint8_t dst[H][W])
{
  float *scratch = malloc ((VAE_GUIDED_SCRATCH (W, r) + 1) * sizeof (float));
  scratch[VAE_GUIDED_SCRATCH (W, r)] = 12345.0f;
  vae_guided_filter_u8 (&gd[0][0], W, &pl[0][0], W, &dst[0][0], W, W, H, r,
      eps, row0, row1, scratch);
  CHECK (scratch[VAE_GUIDED_SCRATCH (W, r)] == 12345.0f, "r %d: wrote past "
      "its scratch", r);
  free (scratch);
}

static void
check_reference (int r, float eps)
{
  int bad = 0;
  R = r;
  EPS = eps;
  run (r, eps, 0, H, out);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double q = wmean (fa, x, y, r) * gd[y][x] + wmean (fb, x, y, r);
      double c = q < 0 ? 0 : q > 255 ? 255 : q;
      int want = (int) floor (c + 0.5);
      /* float sums: a value within 0.01 of a tie may round either way */
      bad += out[y][x] != want && !(fabs (c - floor (c) - 0.5) < 0.01
          && abs (out[y][x] - want) == 1);
    }
  CHECK (bad == 0, "r %d eps %g: %d of %d values off the reference", r, eps,
      bad, W * H);
}

int
main (void)
{
  VaeRng rng;
  double e0 = 0, e1 = 0;

  vae_rng_seed (&rng, 5);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      gd[y][x] = (uint8_t) (vae_rng_uniform (&rng) * 256.0);
      pl[y][x] = (uint8_t) (vae_rng_uniform (&rng) * 256.0);
    }
  check_reference (1, 100.0f);
  check_reference (2, 25.0f);
  check_reference (2, 0.0f);

  run (0, 100.0f, 0, H, out);
  CHECK (memcmp (out, pl, sizeof out) == 0, "r 0 is not the identity");

  /* any split into rows, the same bytes */
  run (2, 100.0f, 0, H, out);
  memset (out2, 0, sizeof out2);
  run (2, 100.0f, 0, 5, out2);
  run (2, 100.0f, 5, 40, out2);
  run (2, 100.0f, 40, H, out2);
  CHECK (memcmp (out, out2, sizeof out) == 0, "rows split: other bytes");

  /* a smooth luma with an edge; chroma a function of it plus noise */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double l = (x < W / 2 ? 60 : 180) + 20 * sin (0.1 * y);
      double n = 0;
      for (int k = 0; k < 12; k++)
        n += vae_rng_uniform (&rng);
      gd[y][x] = (uint8_t) l;
      pl[y][x] = (uint8_t) clampi ((int) lrint (64 + 0.5 * l + 8 * (n - 6)),
          0, 255);
    }
  run (2, 100.0f, 0, H, out);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double c = 64 + 0.5 * (double) gd[y][x];
      e0 += (pl[y][x] - c) * (pl[y][x] - c);
      e1 += (out[y][x] - c) * (out[y][x] - c);
    }
  CHECK (e1 < 0.25 * e0, "noise left: %.1f of %.1f (sum of squares)", e1, e0);

  if (failures == 0)
    printf ("guided: all checks passed\n");
  return failures != 0;
}
