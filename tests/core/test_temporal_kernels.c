/* The temporal stage's kernels (core/temporal_kernels.c): on random data
 * the SSE2 paths give the plain C ones' results to the bit, and the plain
 * C ones agree with sums written out here. */
#include "vae.h"
#include "temporal_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define N 4096

static uint8_t a[N], b[N];
static uint16_t ua[N];       /* averages, VAE_TK_ACC_ONE a level */

static void
fill (VaeRng *r)
{
  for (int i = 0; i < N; i++) {
    a[i] = (uint8_t) (vae_rng_uniform (r) * 256.0);
    b[i] = (uint8_t) (vae_rng_uniform (r) * 256.0);
    ua[i] = (uint16_t) (vae_rng_uniform (r) * 255.0 * VAE_TK_ACC_ONE);
  }
}

static void
check_sad (void)
{
  static const int sizes[][2] = { {16, 16}, {16, 7}, {8, 8}, {8, 3},
  {4, 4}, {5, 4}, {13, 11}, {1, 1}
  };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    int w = sizes[i][0], h = sizes[i][1], want = 0;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        want += abs ((int) a[y * 37 + x] - b[y * 41 + x]);
    CHECK (vae_tk_sad (0, a, 37, b, 41, w, h) == want, "sad %dx%d: C",
        w, h);
    CHECK (vae_tk_sad (1, a, 37, b, 41, w, h) == want, "sad %dx%d: SSE2",
        w, h);
  }
}

/* Grids of shifts: every path's sums equal the sums written out (the
 * SSE4.1 path where the CPU has AVX2, which reads 16 bytes a row) */
static void
check_sad_grid (void)
{
  static const int cases[][4] = { {4, 4, 9, 9}, {4, 4, 3, 7}, {4, 4, 8, 1},
  {8, 8, 5, 5}, {8, 8, 8, 2}, {8, 3, 4, 4}, {16, 16, 3, 3}, {5, 4, 2, 2}
  };
  int out[81];
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int w = cases[c][0], h = cases[c][1], nx = cases[c][2], ny = cases[c][3];
    for (int simd = 0; simd <= 2; simd++) {
      int bad = 0;
      if (simd == 2 && !__builtin_cpu_supports ("avx2"))
        continue;
      vae_tk_sad_grid (simd, b, 19, a, 40, w, h, nx, ny, out);
      for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
          int want = 0;
          for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
              want += abs ((int) b[y * 19 + x] - a[(j + y) * 40 + i + x]);
          bad += out[j * nx + i] != want;
        }
      CHECK (bad == 0, "sad grid %dx%d at %dx%d shifts, path %d: %d sums "
          "differ", w, h, nx, ny, simd, bad);
    }
  }
}

static void
check_cells (void)
{
  int s0[16], q0[16], s1[16], q1[16];
  vae_tk_cell_sums (0, a, b, 4, 4, s0, q0);
  vae_tk_cell_sums (1, a, b, 4, 4, s1, q1);
  for (int c = 0; c < 16; c++) {
    int s = 0, q = 0, y0 = c / 4 * 4, x0 = c % 4 * 4;
    for (int y = y0; y < y0 + 4; y++)
      for (int x = x0; x < x0 + 4; x++) {
        int d = (int) a[y * 16 + x] - b[y * 16 + x];
        s += abs (d);
        q += d * d;
      }
    CHECK (s0[c] == s && q0[c] == q, "cell %d: C %d %d, want %d %d", c,
        s0[c], q0[c], s, q);
    CHECK (s1[c] == s && q1[c] == q, "cell %d: SSE2 %d %d, want %d %d", c,
        s1[c], q1[c], s, q);
  }
}

static void
check_halve (void)
{
  for (int w = 2; w <= 40; w += 6) {
    uint8_t h0[20 * 10], h1[20 * 10];
    vae_tk_halve (0, a, 41, w, 20, h0, 20);
    vae_tk_halve (1, a, 41, w, 20, h1, 20);
    for (int y = 0; y < 10; y++)
      for (int x = 0; x < w / 2; x++) {
        const uint8_t *p = a + 2 * y * 41 + 2 * x;
        int want = (p[0] + p[1] + p[41] + p[42] + 2) >> 2;
        CHECK (h0[y * 20 + x] == want && h1[y * 20 + x] == want,
            "halve %d wide at %d, %d: %d / %d, want %d", w, x, y,
            h0[y * 20 + x], h1[y * 20 + x], want);
      }
  }
}

static void
check_predict (void)
{
  int avx2 = __builtin_cpu_supports ("avx2") != 0;

  for (int f = 0; f < 4; f++) {
    int fx = f & 1, fy = f >> 1;
    uint8_t p0[256], p1[256];
    vae_tk_predict (0, a, 40, fx, fy, 16, 16, p0);
    vae_tk_predict (1, a, 40, fx, fy, 16, 16, p1);
    for (int bw = 16; bw >= 5; bw -= 11) {
      int want = 0;
      for (int y = 0; y < 13; y++)
        for (int x = 0; x < bw; x++)
          want += abs ((int) b[y * 16 + x] - p0[y * 16 + x]);
      /* each path: C, SSE2 and (where the CPU has it) AVX2 */
      for (int simd = 0; simd < 2 + avx2; simd++) {
        int got = vae_tk_sad_predict (simd, b, a, 40, fx, fy, bw, 13, NULL);
        CHECK (got == want, "sad_predict (%d, %d) %dx13, path %d: %d, want "
            "%d", fx, fy, bw, simd, got, want);
      }
      /* and the prediction it stores, where asked */
      for (int simd = 0; simd < 2 + avx2; simd++) {
        uint8_t ps[256];
        int bad = 0;
        vae_tk_sad_predict (simd, b, a, 40, fx, fy, bw, 13, ps);
        for (int y = 0; y < 13; y++)
          for (int x = 0; x < bw; x++)
            bad += ps[y * 16 + x] != p0[y * 16 + x];
        CHECK (bad == 0, "sad_predict (%d, %d) %dx13, path %d: %d pixels "
            "stored differ", fx, fy, bw, simd, bad);
      }
    }
    for (int y = 0; y < 16; y++)
      for (int x = 0; x < 16; x++) {
        const uint8_t *r = a + y * 40 + x;
        int want = (r[0] + r[fx] + r[fy * 40] + r[fx + fy * 40] + 2) >> 2;
        CHECK (p0[y * 16 + x] == want && p1[y * 16 + x] == want,
            "predict (%d, %d) at %d, %d: %d / %d, want %d", fx, fy, x, y,
            p0[y * 16 + x], p1[y * 16 + x], want);
      }
  }
}

/* The blend: every path gives the plain C's bits; a full weight gives the
 * sample exactly; and the fixed point stays within 2 of the average's
 * units (1/32 of a level) of the blend in double. */
static void
check_blend (VaeRng *r)
{
  int avx2 = __builtin_cpu_supports ("avx2");
  const double u = 1.0 / VAE_TK_ACC_ONE;
  float cf[8];
  int16_t cells[8];
  for (int i = 0; i < 8; i++) {  /* fresh, weights between, and none */
    cf[i] = i == 1 ? 1.0f : i == 4 ? 0.0f : (float) vae_rng_uniform (r);
    cells[i] = vae_tk_weight (cf[i]);
  }
  for (int k = 8; k <= 16; k += 8)
    for (int cshift = 1; cshift <= 2; cshift++)
      for (int step = 1; step <= 2; step++)
        for (int f = 0; f < 16; f++) {
          int fx = f & 3, fy = f >> 2, bad = 0;
          uint16_t n0[16], n1[16], n2[16];
          const uint16_t *r0 = ua + 7, *r1 = ua + 7 + 64;
          vae_tk_blend_run (0, n0, b + 3, step, r0, r1, fx, fy, cells,
              cshift, k);
          vae_tk_blend_run (1, n1, b + 3, step, r0, r1, fx, fy, cells,
              cshift, k);
          /* AVX2 where the CPU has it (every CPU of the project's machines) */
          vae_tk_blend_run (avx2 ? 2 : 1, n2, b + 3, step, r0, r1, fx, fy,
              cells, cshift, k);
          for (int x = 0; x < k; x++) {
            double a0 = cf[x >> cshift], in = b[3 + x * step];
            /* the bilinear average and the blend, in double */
            double t = r0[x] * u + fx * 0.25 * (r0[x + 1] - r0[x]) * u;
            double d = r1[x] * u + fx * 0.25 * (r1[x + 1] - r1[x]) * u;
            double p = t + fy * 0.25 * (d - t);
            double v = a0 >= 1.0 ? in : p + a0 * (in - p);
            bad += n0[x] != n1[x] || n0[x] != n2[x];
            bad += a0 >= 1.0 && n0[x] != b[3 + x * step] * VAE_TK_ACC_ONE;
            bad += fabs (n0[x] - v * VAE_TK_ACC_ONE) > 2.0;
          }
          CHECK (bad == 0, "blend k %d, cshift %d, step %d, (%d, %d): %d "
              "samples differ", k, cshift, step, fx, fy, bad);
        }
}

/* The clamped bilinear average at (x4, y4) / 4, written out. */
static int
at_q (const uint16_t *p, int w, int h, int x4, int y4)
{
  int x = x4 >> 2, y = y4 >> 2, fx = x4 & 3, fy = y4 & 3, v[2];
  for (int j = 0; j < 2; j++) {
    int yy = y + j < 0 ? 0 : y + j >= h ? h - 1 : y + j;
    int xa = x < 0 ? 0 : x >= w ? w - 1 : x;
    int xb = x + 1 < 0 ? 0 : x + 1 >= w ? w - 1 : x + 1;
    v[j] = vae_tk_lerp4 (p[yy * w + xa], p[yy * w + xb], fx);
  }
  return vae_tk_lerp4 (v[0], v[1], fy);
}

/* A row of the blend, luma (16-sample runs, 4-sample cells) and 4:2:0
 * chroma (8 and 2): the AVX2 path gives the plain C one's bits, and both
 * the blend of each sample from the clamped bilinear average, runs inside
 * the plane and runs leaving it (vectors up to 12 pixels), a short last
 * run among them. */
static void
check_blend_row (VaeRng *r)
{
  enum { LW = 70, LH = 20, BW = (LW + 15) / 16 };
  int avx2 = __builtin_cpu_supports ("avx2");
  int vrow[BW * 2];
  int16_t arow[(LW + 3) / 4];
  int runs_inside[2] = { 0, 0 };
  for (int i = 0; i < BW * 2; i++)
    vrow[i] = (int) (vae_rng_uniform (r) * 49.0) - 24;
  for (int i = 0; i < (LW + 3) / 4; i++)
    arow[i] = vae_tk_weight (i % 5 == 0 ? 1.0f : (float) vae_rng_uniform (r));
  for (int sub = 0; sub <= 1; sub++)
    for (int step = 1; step <= 2; step++)
      for (int y = 0; y < LH >> sub; y += 3) {
        int w = (LW + sub) >> sub, h = LH >> sub, bad = 0, inside = 0;
        const VaeTkBlendPlane bp = { ua, w, h, sub, sub, LW, 16, 4 };
        uint16_t n0[LW], n2[LW];
        vae_tk_blend_row (0, &bp, y, n0, b + 5, step, vrow, arow);
        vae_tk_blend_row (avx2 ? 2 : 1, &bp, y, n2, b + 5, step, vrow, arow);
        for (int x = 0; x < w; x++) {
          int lx = x << sub < LW - 1 ? x << sub : LW - 1;
          const int *v = vrow + (lx / 16) * 2;
          int x0 = x / (16 >> sub) * (16 >> sub);
          int qx = 4 * x0 + (sub ? v[0] : 2 * v[0]) + 4 * (x - x0);
          int qy = 4 * y + (sub ? v[1] : 2 * v[1]);
          int want = vae_tk_blend1 (at_q (ua, w, h, qx, qy),
              b[5 + x * step] * VAE_TK_ACC_ONE, arow[lx / 4]);
          bad += n0[x] != want || n2[x] != want;
          inside += x == x0 && qx >= 0 && qy >= 0 && (qx >> 2) + (16 >> sub)
              < w && (qy >> 2) + 1 < h && (qx & 3 || qy & 3);
        }
        CHECK (bad == 0, "blend row %d, %s, step %d: %d samples differ", y,
            sub ? "chroma" : "luma", step, bad);
        runs_inside[sub] += inside;
      }
  CHECK (runs_inside[0] > 0 && runs_inside[1] > 0, "no shifted run inside "
      "the plane (luma %d, chroma %d)", runs_inside[0], runs_inside[1]);
}

/* The quarter-sample prediction against the bilinear weights written out,
 * for every offset; the column and row beyond only where weighed. */
static void
check_predict_q (void)
{
  static const int widths[] = { 8, 16, 5 };
  for (size_t wi = 0; wi < 3; wi++)
    for (int fy = 0; fy < 4; fy++)
      for (int fx = 0; fx < 4; fx++)
        for (int sse2 = 0; sse2 < 2; sse2++) {
          int w = widths[wi], h = 7, bad = 0;
          uint8_t pred[16 * 16];
          vae_tk_predict_q (sse2, a, 37, fx, fy, w, h, pred);
          for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
              double v = (4 - fx) * (4 - fy) * (double) a[y * 37 + x];
              if (fx)
                v += fx * (4 - fy) * (double) a[y * 37 + x + 1];
              if (fy)
                v += (4 - fx) * fy * (double) a[(y + 1) * 37 + x];
              if (fx && fy)
                v += fx * fy * (double) a[(y + 1) * 37 + x + 1];
              bad += pred[y * 16 + x] != (int) floor (v / 16.0 + 0.5);
            }
          CHECK (bad == 0, "predict_q w %d (%d, %d) %s: %d samples differ",
              w, fx, fy, sse2 ? "SSE2" : "C", bad);
        }
}

/* The mix: o moved towards p by k / 256 per byte, k from 0 to 256,
 * written out here as a rounded weighted mean. */
static void
check_mix (void)
{
  static const int steps[] = { 1, 2 }, lens[] = { 16, 13, 8, 1 };
  for (size_t si = 0; si < 2; si++)
    for (size_t li = 0; li < 4; li++)
      for (int sse2 = 0; sse2 < 3; sse2++) {
        int step = steps[si], n = lens[li], bad = 0;
        uint8_t o[32];
        if (sse2 == 2 && !__builtin_cpu_supports ("avx2"))
          continue;
        uint16_t k[16];
        for (int x = 0; x < 16; x++)    /* the ends and between */
          k[x] = (uint16_t) (x == 0 ? 0 : x == 1 ? 256 : a[x] % 257);
        for (int x = 0; x < 2 * 16; x++)
          o[x] = a[100 + x];
        vae_tk_mix (sse2, o, step, b, k, n);
        for (int x = 0; x < 2 * 16; x++) {
          int want = a[100 + x], i = x / step;
          if (x % step == 0 && i < n)
            want = (int) floor ((a[100 + x] * (256.0 - k[i]) + b[i]
                    * (double) k[i]) / 256.0 + 0.5);
          bad += o[x] != want;
        }
        CHECK (bad == 0, "mix n %d, step %d, %s: %d bytes differ", n, step,
            sse2 == 2 ? "AVX2" : sse2 ? "SSE2" : "C", bad);
      }
}

int
main (void)
{
  VaeRng r;
  vae_rng_seed (&r, 9);
  for (int round = 0; round < 20; round++) {
    fill (&r);
    check_sad ();
    check_sad_grid ();
    check_cells ();
    check_halve ();
    check_predict ();
    check_blend (&r);
    check_blend_row (&r);
    check_mix ();
    check_predict_q ();
  }
  if (failures == 0)
    printf ("temporal kernels: all checks passed\n");
  return failures != 0;
}
