/* The three corruption models of the denoising autoencoder, and the
 * estimate of a plane's noise level. */
#include "vae_private.h"

#include <math.h>
#include <string.h>

static const char *noise_names[] = { "none", "gaussian", "salt-and-pepper",
  "masking" };

const char *
vae_noise_name (VaeNoise n)
{
  return (unsigned) n < 4 ? noise_names[n] : "unknown";
}

int
vae_noise_from_name (const char *name)
{
  for (int i = 0; i < 4; i++)
    if (strcmp (name, noise_names[i]) == 0)
      return i;
  if (strcmp (name, "salt-pepper") == 0 || strcmp (name, "sp") == 0)
    return VAE_NOISE_SALT_PEPPER;
  if (strcmp (name, "mask") == 0)
    return VAE_NOISE_MASK;
  return -1;
}

void
vae_noise_apply_f32 (VaeNoise type, float level, float lo, float hi,
    const float *x, float *y, size_t n, VaeRng *rng)
{
  switch (type) {
    case VAE_NOISE_GAUSSIAN:
      for (size_t i = 0; i < n; i++)
        y[i] = x[i] + level * vae_rng_normal (rng);
      break;
    case VAE_NOISE_SALT_PEPPER:
      for (size_t i = 0; i < n; i++) {
        float u = vae_rng_uniform (rng);
        y[i] = u < 0.5f * level ? lo : (u < level ? hi : x[i]);
      }
      break;
    case VAE_NOISE_MASK:
      for (size_t i = 0; i < n; i++)
        y[i] = vae_rng_uniform (rng) < level ? 0.0f : x[i];
      break;
    default:
      if (y != x)
        memmove (y, x, n * sizeof *y);
      break;
  }
}

void
vae_noise_yuv420_f32 (float level, int pw, int ph, const float *x, float *y,
    VaeRng *rng)
{
  float rgb_ycc[3][3];          /* BT.601, limited range */
  vae_ycc_weights (0, rgb_ycc);
  for (int i = 0; i < 3; i++) {
    rgb_ycc[0][i] = rgb_ycc[0][i] * 219 / 255;
    rgb_ycc[1][i] = rgb_ycc[1][i] * 224 / 255;
    rgb_ycc[2][i] = rgb_ycc[2][i] * 224 / 255;
  }
  if (y != x)
    memmove (y, x, (size_t) pw * ph * sizeof *y);
  /* chroma row k: luma rows 3k, 3k + 1, then Cb Cr pairs in row 3k + 2 */
  for (int k = 0; k < ph / 3; k++)
    for (int j = 0; j < pw / 2; j++) {
      float cb = 0.0f, cr = 0.0f;
      for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
          float r = level * vae_rng_normal (rng);
          float g = level * vae_rng_normal (rng);
          float u = level * vae_rng_normal (rng);
          y[(3 * k + a) * pw + 2 * j + b] += rgb_ycc[0][0] * r
              + rgb_ycc[0][1] * g + rgb_ycc[0][2] * u;
          cb += rgb_ycc[1][0] * r + rgb_ycc[1][1] * g + rgb_ycc[1][2] * u;
          cr += rgb_ycc[2][0] * r + rgb_ycc[2][1] * g + rgb_ycc[2][2] * u;
        }
      y[(3 * k + 2) * pw + 2 * j] += 0.25f * cb;
      y[(3 * k + 2) * pw + 2 * j + 1] += 0.25f * cr;
    }
}

void
vae_noise_apply_u8 (VaeNoise type, float level, uint8_t *plane, int stride,
    int width, int height, VaeRng *rng)
{
  if (!isfinite (level) || level < 0.0f)
    return;                     /* nothing sensible to add */
  for (int yy = 0; yy < height; yy++) {
    uint8_t *row = plane + (size_t) yy * stride;
    switch (type) {
      case VAE_NOISE_GAUSSIAN:
        for (int x = 0; x < width; x++) {
          float v = row[x] + level * vae_rng_normal (rng);
          v = roundf (v);
          row[x] = (uint8_t) (v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
        }
        break;
      case VAE_NOISE_SALT_PEPPER:
        for (int x = 0; x < width; x++) {
          float u = vae_rng_uniform (rng);
          if (u < level)
            row[x] = u < 0.5f * level ? 0 : 255;
        }
        break;
      case VAE_NOISE_MASK:
        for (int x = 0; x < width; x++)
          if (vae_rng_uniform (rng) < level)
            row[x] = 0;
        break;
      default:
        return;
    }
  }
}

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
