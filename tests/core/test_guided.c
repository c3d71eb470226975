/* The fast guided filter (core/guided.c) against its definition in
 * double precision, window by window at half resolution and brought back
 * up sample by sample; the bytes do not depend on the split into rows; and
 * on a chroma plane whose clean version follows the luma, it removes most
 * of the noise. */
#include "vae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define W 53                    /* odd, and more than two chunks of rows */
#define H 71
#define HW ((W + 1) / 2)
#define HH ((H + 1) / 2)

static uint8_t gd[H][W], pl[H][W], out[H][W], out2[H][W];
static double hg[HH][HW], hp[HH][HW], ca[HH][HW], cb[HH][HW];

static int
clampi (int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* The mean of the half plane v over the window of radius r at (x, y),
 * edges repeated. */
static double
wmean (double v[HH][HW], int x, int y, int r)
{
  double s = 0;
  for (int j = -r; j <= r; j++)
    for (int i = -r; i <= r; i++)
      s += v[clampi (y + j, 0, HH - 1)][clampi (x + i, 0, HW - 1)];
  return s / ((2 * r + 1) * (2 * r + 1));
}

/* v at full-resolution (x, y), centre-sited from the half plane. */
static double
up (double v[HH][HW], int x, int y)
{
  int j = y / 2, k = clampi (y & 1 ? j + 1 : j - 1, 0, HH - 1);
  int i = x / 2, m = clampi (x & 1 ? i + 1 : i - 1, 0, HW - 1);
  double a = 0.75 * v[j][i] + 0.25 * v[j][m];
  double b = 0.75 * v[k][i] + 0.25 * v[k][m];
  return 0.75 * a + 0.25 * b;
}

/* The coefficients' means ca and cb of gd and pl for radius r and eps. */
static void
coefficients (int r, double eps)
{
  static double a[HH][HW], b[HH][HW], gg[HH][HW], gp[HH][HW];
  for (int j = 0; j < HH; j++)
    for (int i = 0; i < HW; i++) {
      double sg = 0, sp = 0;
      for (int dy = 0; dy < 2; dy++)
        for (int dx = 0; dx < 2; dx++) {
          int y = clampi (2 * j + dy, 0, H - 1);
          int x = clampi (2 * i + dx, 0, W - 1);
          sg += gd[y][x];
          sp += pl[y][x];
        }
      hg[j][i] = sg / 4;
      hp[j][i] = sp / 4;
      gg[j][i] = hg[j][i] * hg[j][i];
      gp[j][i] = hg[j][i] * hp[j][i];
    }
  for (int j = 0; j < HH; j++)
    for (int i = 0; i < HW; i++) {
      double mi = wmean (hg, i, j, r), mp = wmean (hp, i, j, r);
      double var = wmean (gg, i, j, r) - mi * mi;
      a[j][i] = (wmean (gp, i, j, r) - mi * mp) / ((var > 0 ? var : 0)
          + eps);
      b[j][i] = mp - a[j][i] * mi;
    }
  for (int j = 0; j < HH; j++)
    for (int i = 0; i < HW; i++) {
      ca[j][i] = wmean (a, i, j, r);
      cb[j][i] = wmean (b, i, j, r);
    }
}

static void
run (int r, float eps, int row0, int row1, uint8_t dst[H][W])
{
  size_t n = VAE_GUIDED_SCRATCH (W, r);
  float *scratch = malloc ((n + 1) * sizeof (float));
  scratch[n] = 12345.0f;
  vae_guided_filter_u8 (&gd[0][0], W, &pl[0][0], W, &dst[0][0], W, W, H, r,
      eps, row0, row1, scratch);
  CHECK (scratch[n] == 12345.0f, "r %d: wrote past its scratch", r);
  free (scratch);
}

static void
check_reference (int r, float eps)
{
  int bad = 0;
  coefficients (r, eps);
  run (r, eps, 0, H, out);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double q = up (ca, x, y) * gd[y][x] + up (cb, x, y);
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
  check_reference (0, 100.0f);
  check_reference (1, 100.0f);
  check_reference (2, 25.0f);
  check_reference (1, 0.0f);

  /* any split into rows, the same bytes */
  run (1, 100.0f, 0, H, out);
  memset (out2, 0, sizeof out2);
  run (1, 100.0f, 0, 5, out2);
  run (1, 100.0f, 5, 40, out2);
  run (1, 100.0f, 40, H, out2);
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
  run (1, 100.0f, 0, H, out);
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
