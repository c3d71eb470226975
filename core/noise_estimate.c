/* The estimate of a plane's noise level (vae.h): the block estimate and,
 * for small or low-passed planes, the Haar one. */
#include "vae_private.h"

#include <math.h>
#include <string.h>

float
vae_estimate_noise_haar_u8 (const uint8_t *src, int stride, int w, int h)
{
  /* |HH| = |a − b − c + d| / 2 on 2×2 blocks: integers 0..510 in half-steps */
  uint32_t hist[511];
  uint64_t n = 0, half, cum = 0;
  memset (hist, 0, sizeof hist);
  for (int y = 0; y + 1 < h; y += 2) {
    const uint8_t *r0 = src + (size_t) y * stride, *r1 = r0 + stride;
    for (int x = 0; x + 1 < w; x += 2) {
      int v = (int) r0[x] - r0[x + 1] - r1[x] + r1[x + 1];
      hist[v < 0 ? -v : v]++;
      n++;
    }
  }
  if (n == 0)
    return 0.0f;
  half = (n + 1) / 2;
  for (int i = 0; i < 511; i++) {
    cum += hist[i];
    if (cum >= half)
      return (float) (i * 0.5 / 0.6745);
  }
  return 0.0f;
}

/* The block estimate: Immerkær's mask (1 −2 1; −2 4 −2; 1 −2 1), which
 * cancels planes and most smooth structure, at every other pixel each way;
 * the RMS of its responses over blocks of EST_BLOCK × EST_BLOCK of them;
 * a low quantile of those, the flattest blocks, scaled to σ.  Blocks with
 * a clipped pixel (0 or 255) are left out, as clipping hides noise, and so
 * are blocks whose mean lies within EST_MARGIN of black or white: noise
 * clipped before a conversion (RGB to Y'CbCr) reaches neither 0 nor 255,
 * and such flat blocks would pass for the quietest (Foreman's luma after
 * RGB noise σ 25: 11.4 with them, 13.4 without; 14.35 before clipping). */
#define EST_BLOCK 8
#define EST_QUANTILE 0.05
#define EST_MIN_BLOCKS 16
#define EST_BINS 4096           /* block RMS / 6 in 1/16 of a level */
#define EST_STEP 16.0f
/* the quantile's ratio to σ on pure Gaussian noise: 0.848, simulated on
 * 1920×1080 planes at σ 4–30 (0.846–0.852) */
#define EST_SCALE 0.848f
#define EST_MARGIN 40

float
vae_estimate_noise_u8 (const uint8_t *src, int stride, int w, int h)
{
  int nx = (w - 1) / 2 / EST_BLOCK, ny = (h - 1) / 2 / EST_BLOCK;
  uint32_t hist[EST_BINS];
  uint64_t n = 0, want, cum = 0;

  if (nx * ny < EST_MIN_BLOCKS)
    return vae_estimate_noise_haar_u8 (src, stride, w, h);
  memset (hist, 0, sizeof hist);
  for (int by = 0; by < ny; by++)
    for (int bx = 0; bx < nx; bx++) {
      uint64_t ss = 0;
      int clipped = 0, sum = 0;
      for (int j = 0; j < EST_BLOCK; j++) {
        int y = 1 + 2 * (by * EST_BLOCK + j);
        const uint8_t *a = src + (size_t) (y - 1) * stride;
        const uint8_t *c = a + stride, *e = c + stride;
        for (int i = 0; i < EST_BLOCK; i++) {
          int x = 1 + 2 * (bx * EST_BLOCK + i);
          int r = a[x - 1] - 2 * a[x] + a[x + 1] - 2 * c[x - 1] + 4 * c[x]
              - 2 * c[x + 1] + e[x - 1] - 2 * e[x] + e[x + 1];
          ss += (uint64_t) (r * r);
          clipped |= c[x] == 0 || c[x] == 255;
          sum += c[x];
        }
      }
      if (!clipped && sum > EST_MARGIN * EST_BLOCK * EST_BLOCK
          && sum < (255 - EST_MARGIN) * EST_BLOCK * EST_BLOCK) {
        /* the mask's gain on white noise is 6 */
        double rms = sqrt ((double) ss / (EST_BLOCK * EST_BLOCK)) / 6.0;
        hist[(int) fmin (rms * EST_STEP, EST_BINS - 1)]++;
        n++;
      }
    }
  if (n < EST_MIN_BLOCKS)
    return vae_estimate_noise_haar_u8 (src, stride, w, h);
  want = (uint64_t) ceil (EST_QUANTILE * (double) n);
  for (int i = 0; i < EST_BINS; i++) {
    cum += hist[i];
    if (cum >= want)          /* a flat plane has none */
      return i == 0 ? 0.0f : (float) ((i + 0.5) / EST_STEP) / EST_SCALE;
  }
  return 0.0f;
}
