/* Packed RGB and BT.601 Y'CbCr or the opponent space (core/rgb.c): each
 * value is the rounded value of the formulas written out here in double
 * precision (the inverse by Cramer's rule); a round
 * trip of a smooth picture has no bias; the x or alpha bytes stay or come
 * from the source; the
 * bytes do not depend on the split into bands. */
#include "vae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define W 37                    /* odd: the last chroma column is half */
#define H 23
#define PS 4
#define SCRATCH VAE_RGB_SCRATCH (W)

static uint8_t rgb[H][W * PS], back[H][W * PS], yp[H][W], up[H][W],
    vp[H][W];

/* The rounded value of v, or either neighbour where v is within 1e-3 of
 * a tie (float and double may round a tie apart); clipped. */
static int
near (int got, double v)
{
  double c = v < 0 ? 0 : v > 255 ? 255 : v;
  return got == (int) floor (c + 0.5) || (fabs (c - floor (c) - 0.5) < 1e-3
      && abs (got - (int) floor (c + 0.5)) <= 1);
}

static const double KR = 0.299, KB = 0.114, KG = 1 - 0.299 - 0.114;

/* The space's rows: code = off + k · (R, G, B). */
static void
reference (int space, double k[3][3], double off[3])
{
  double ysc = space ? 1 : 219.0 / 255, csc = space ? 1 : 224.0 / 255;
  double ycc[3][3] = { {KR, KG, KB},
  {-KR / (2 * (1 - KB)), -KG / (2 * (1 - KB)), 0.5},
  {0.5, -KG / (2 * (1 - KR)), -KB / (2 * (1 - KR))}
  };
  double opp[3][3] = { {1.0 / 3, 1.0 / 3, 1.0 / 3}, {0.5, 0, -0.5},
  {0.25, -0.5, 0.25}
  };
  for (int i = 0; i < 3; i++)
    for (int c = 0; c < 3; c++)
      k[i][c] = space == VAE_OPPONENT ? opp[i][c]
          : ycc[i][c] * (i ? csc : ysc);
  off[0] = space == VAE_YCC_LIMITED ? 16 : 0;
  off[1] = off[2] = 128;
}

/* (r, g, b) from code values y, u and v, by Cramer's rule. */
static void
invert (int space, double y, double u, double v, double rgb_out[3])
{
  double k[3][3], off[3], d[3], det;
  reference (space, k, off);
  d[0] = y - off[0];
  d[1] = u - off[1];
  d[2] = v - off[2];
  det = k[0][0] * (k[1][1] * k[2][2] - k[1][2] * k[2][1])
      - k[0][1] * (k[1][0] * k[2][2] - k[1][2] * k[2][0])
      + k[0][2] * (k[1][0] * k[2][1] - k[1][1] * k[2][0]);
  for (int c = 0; c < 3; c++) {
    double m[3][3];
    memcpy (m, k, sizeof m);
    for (int i = 0; i < 3; i++)
      m[i][c] = d[i];
    rgb_out[c] = (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])) / det;
  }
}

static void
check_forward (const VaeRgbLayout *l, int sub, int full)
{
  double k[3][3], off[3];
  int bad = 0, cw = sub ? (W + 1) / 2 : W, ch = sub ? (H + 1) / 2 : H;
  float scratch[SCRATCH + 1];

  reference (full, k, off);

  scratch[SCRATCH] = 12345.0f;
  vae_rgb_to_ycc (l, &rgb[0][0], W * PS, W, H, sub, full, &yp[0][0], W,
      &up[0][0], &vp[0][0], W, 0, H, scratch);
  CHECK (scratch[SCRATCH] == 12345.0f, "to Y'CbCr (sub %d): wrote past its "
      "scratch", sub);
  for (int j = 0; j < H; j++)
    for (int x = 0; x < W; x++) {
      const uint8_t *p = &rgb[j][x * l->pstride];
      bad += !near (yp[j][x], off[0] + k[0][0] * p[l->r] + k[0][1]
          * p[l->g] + k[0][2] * p[l->b]);
    }
  for (int j = 0; j < ch; j++)
    for (int x = 0; x < cw; x++) {
      double c[3] = { 0, 0, 0 }, n = 0;
      for (int dy = 0; dy < (sub ? 2 : 1); dy++)
        for (int dx = 0; dx < (sub ? 2 : 1); dx++) {
          int yy = (sub ? 2 * j : j) + dy, xx = (sub ? 2 * x : x) + dx;
          yy = yy < H ? yy : H - 1;
          xx = xx < W ? xx : W - 1;
          c[0] += rgb[yy][xx * l->pstride + l->r];
          c[1] += rgb[yy][xx * l->pstride + l->g];
          c[2] += rgb[yy][xx * l->pstride + l->b];
          n++;
        }
      double r = c[0] / n, g = c[1] / n, b = c[2] / n;
      bad += !near (up[j][x], off[1] + k[1][0] * r + k[1][1] * g + k[1][2]
          * b);
      bad += !near (vp[j][x], off[2] + k[2][0] * r + k[2][1] * g + k[2][2]
          * b);
    }
  CHECK (bad == 0, "to Y'CbCr (sub %d, full %d): %d values off", sub, full,
      bad);
}

/* The chroma value at luma (x, y), as documented. */
static double
chroma_at (uint8_t c[H][W], int sub, int x, int y)
{
  int cw = (W + 1) / 2, ch = (H + 1) / 2;
  double row[W];
  if (!sub)
    return c[y][x];
  int j = y / 2, k = y & 1 ? j + 1 : j - 1;
  k = k < 0 ? 0 : k >= ch ? ch - 1 : k;
  for (int i = 0; i < cw; i++)
    row[i] = 0.75 * c[j][i] + 0.25 * c[k][i];
  int i = x / 2, m = x & 1 ? i + 1 : i - 1;
  m = m < 0 ? 0 : m >= cw ? cw - 1 : m;
  return 0.75 * row[i] + 0.25 * row[m];
}

static void
check_inverse (const VaeRgbLayout *l, int sub, int full)
{
  float scratch[SCRATCH + 1];
  int bad = 0, kept = 0;

  memset (back, 0x5a, sizeof back);
  scratch[SCRATCH] = 12345.0f;
  vae_ycc_to_rgb (l, &yp[0][0], W, &up[0][0], &vp[0][0], W, W, H, sub, full, NULL, 0,
      &back[0][0], W * PS, 0, H, scratch);
  CHECK (scratch[SCRATCH] == 12345.0f, "to RGB (sub %d): wrote past its "
      "scratch", sub);
  for (int j = 0; j < H; j++)
    for (int x = 0; x < W; x++) {
      const uint8_t *q = &back[j][x * l->pstride];
      double c[3];
      invert (full, yp[j][x], chroma_at (up, sub, x, j), chroma_at (vp,
              sub, x, j), c);
      bad += !near (q[l->r], c[0]) + !near (q[l->g], c[1])
          + !near (q[l->b], c[2]);
      for (int o = 0; o < PS; o++)
        kept += o != l->r && o != l->g && o != l->b && o < l->pstride
            && q[o] == 0x5a;
    }
  CHECK (bad == 0, "to RGB (sub %d, full %d): %d values off", sub, full,
      bad);
  CHECK (l->pstride == 3 || kept == W * H, "to RGB: %d of %d fourth bytes "
      "kept", kept, W * H);
  /* with a source, its fourth bytes; R, G and B the same */
  {
    static uint8_t again[H][W * PS];
    int other = 0, fourth = 0;
    memset (again, 0x5a, sizeof again);
    vae_ycc_to_rgb (l, &yp[0][0], W, &up[0][0], &vp[0][0], W, W, H, sub,
        full, &rgb[0][0], W * PS, &again[0][0], W * PS, 0, H, scratch);
    for (int j = 0; j < H; j++)
      for (int x = 0; x < W; x++)
        for (int o = 0; o < l->pstride; o++) {
          int i = x * l->pstride + o;
          if (o == l->r || o == l->g || o == l->b)
            other += again[j][i] != back[j][i];
          else
            fourth += again[j][i] != rgb[j][i];
        }
    CHECK (other == 0 && fourth == 0, "to RGB from a source: %d colour and "
        "%d fourth bytes differ", other, fourth);
  }
}

/* A smooth picture there and back: the mean error of each channel (a
 * converter that truncates is about 1.5 levels dark) and the largest. */
static void
check_round_trip (const VaeRgbLayout *l, int sub, int full)
{
  float scratch[SCRATCH + 1];
  double sum[3] = { 0, 0, 0 };
  int worst = 0;

  for (int j = 0; j < H; j++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++)
        rgb[j][x * l->pstride + (c == 0 ? l->r : c == 1 ? l->g : l->b)] =
            (uint8_t) (128 + 100 * sin (0.05 * x + 0.07 * j + 2 * c));
  vae_rgb_to_ycc (l, &rgb[0][0], W * PS, W, H, sub, full, &yp[0][0], W,
      &up[0][0], &vp[0][0], W, 0, H, scratch);
  vae_ycc_to_rgb (l, &yp[0][0], W, &up[0][0], &vp[0][0], W, W, H, sub, full, NULL, 0,
      &back[0][0], W * PS, 0, H, scratch);
  for (int j = 0; j < H; j++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++) {
        int o = c == 0 ? l->r : c == 1 ? l->g : l->b;
        int e = back[j][x * l->pstride + o] - rgb[j][x * l->pstride + o];
        sum[c] += e;
        worst = abs (e) > worst ? abs (e) : worst;
      }
  for (int c = 0; c < 3; c++)
    CHECK (fabs (sum[c] / (W * H)) < 0.2, "round trip (sub %d, full %d): "
        "channel %d off by %.2f on average", sub, full, c, sum[c] / (W * H));
  /* limited range's steps are 255/219 levels, the opponent's chroma
   * steps 2 and 4; 4:2:0 blurs the chroma */
  CHECK (worst <= (sub ? 6 : full == VAE_YCC_FULL ? 1 : 2), "round trip "
      "(sub %d, full %d): "
      "an error of %d", sub, full, worst);
}

/* Three bands give the bytes of one. */
static void
check_bands (const VaeRgbLayout *l)
{
  static uint8_t y1[H][W], u1[H][W], v1[H][W], b1[H][W * PS];
  float scratch[SCRATCH + 1];
  int cut[4] = { 0, 8, 14, H };

  memset (up, 0, sizeof up);
  memset (vp, 0, sizeof vp);
  memset (u1, 0, sizeof u1);
  memset (v1, 0, sizeof v1);
  vae_rgb_to_ycc (l, &rgb[0][0], W * PS, W, H, 1, 0, &y1[0][0], W,
      &u1[0][0], &v1[0][0], W, 0, H, scratch);
  memset (back, 0, sizeof back);
  memset (b1, 0, sizeof b1);
  vae_ycc_to_rgb (l, &y1[0][0], W, &u1[0][0], &v1[0][0], W, W, H, 1, 0, NULL, 0,
      &b1[0][0], W * PS, 0, H, scratch);
  for (int i = 0; i < 3; i++)
    vae_rgb_to_ycc (l, &rgb[0][0], W * PS, W, H, 1, 0, &yp[0][0], W,
        &up[0][0], &vp[0][0], W, cut[i], cut[i + 1], scratch);
  for (int i = 0; i < 3; i++)
    vae_ycc_to_rgb (l, &y1[0][0], W, &u1[0][0], &v1[0][0], W, W, H, 1, 0, NULL, 0,
        &back[0][0], W * PS, cut[i], cut[i + 1], scratch);
  CHECK (memcmp (y1, yp, sizeof y1) == 0 && memcmp (u1, up, sizeof u1) == 0
      && memcmp (v1, vp, sizeof v1) == 0, "bands: other Y'CbCr");
  CHECK (memcmp (b1, back, sizeof b1) == 0, "bands: other RGB");
}

int
main (void)
{
  static const VaeRgbLayout layouts[] = { {3, 0, 1, 2}, {4, 2, 1, 0},
  {4, 1, 2, 3}
  };                            /* RGB, BGRx, xRGB */
  VaeRng r;
  vae_rng_seed (&r, 3);
  for (size_t i = 0; i < 3; i++)
    for (int sub = 0; sub < 2; sub++)
      for (int full = 0; full <= VAE_OPPONENT; full++) {
        for (int j = 0; j < H; j++)
          for (int x = 0; x < W * PS; x++)
            rgb[j][x] = (uint8_t) (vae_rng_uniform (&r) * 256.0);
        check_forward (&layouts[i], sub, full);
        check_inverse (&layouts[i], sub, full);
        check_round_trip (&layouts[i], sub, full);
        check_bands (&layouts[i]);
      }
  {
    float g[3], ref[3];
    vae_space_noise_gains (VAE_OPPONENT, g);
    CHECK (fabsf (g[0] - 1 / sqrtf (3)) < 1e-6f && fabsf (g[1] - 1 / sqrtf (2))
        < 1e-6f && fabsf (g[2] - sqrtf (6) / 4) < 1e-6f, "opponent gains "
        "%g %g %g", g[0], g[1], g[2]);
    for (int full = 0; full < 2; full++) {
      vae_space_noise_gains (full, g);
      vae_noise_gains (0, full, ref);
      for (int c = 0; c < 3; c++)
        CHECK (fabsf (g[c] - ref[c]) < 1e-5f, "space %d gain %d: %g, not "
            "%g", full, c, g[c], ref[c]);
    }
  }
  if (failures == 0)
    printf ("rgb: all checks passed\n");
  return failures != 0;
}
