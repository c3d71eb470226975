/* The three corruption models of the denoising autoencoder (the
 * estimate of a plane's noise level is in noise_estimate.c). */
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
