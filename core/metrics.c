/* Image quality: PSNR and SSIM (Wang et al. 2004, 11×11 Gaussian, σ 1.5). */
#include "vae_data.h"

#include <math.h>
#include <stdlib.h>

double
vae_psnr_u8 (const uint8_t *a, int a_stride, const uint8_t *b, int b_stride,
    int w, int h)
{
  double se = 0.0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double d = (double) a[(size_t) y * a_stride + x]
          - b[(size_t) y * b_stride + x];
      se += d * d;
    }
  if (se == 0.0)
    return INFINITY;
  return 10.0 * log10 (255.0 * 255.0 * w * (double) h / se);
}

double
vae_psnr_f32 (const float *a, const float *b, size_t n, float peak)
{
  double se = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double) a[i] - b[i];
    se += d * d;
  }
  if (se == 0.0)
    return INFINITY;
  return 10.0 * log10 ((double) peak * peak * n / se);
}

double
vae_ssim_f32 (const float *a, const float *b, int w, int h, float peak)
{
  const int R = 5;
  double g[11], gs = 0.0, total = 0.0;
  double c1 = (0.01 * peak) * (0.01 * peak), c2 = (0.03 * peak) * (0.03 * peak);
  long count = 0;

  for (int i = -R; i <= R; i++)
    gs += g[i + R] = exp (-(i * i) / (2.0 * 1.5 * 1.5));
  for (int i = 0; i < 2 * R + 1; i++)
    g[i] /= gs;
  /* valid windows only, as in the reference implementation */
  for (int y = R; y < h - R; y++) {
    for (int x = R; x < w - R; x++) {
      double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
      for (int i = -R; i <= R; i++) {
        for (int j = -R; j <= R; j++) {
          double k = g[i + R] * g[j + R];
          double va = a[(size_t) (y + i) * w + x + j];
          double vb = b[(size_t) (y + i) * w + x + j];
          ma += k * va;
          mb += k * vb;
          saa += k * va * va;
          sbb += k * vb * vb;
          sab += k * va * vb;
        }
      }
      saa -= ma * ma;
      sbb -= mb * mb;
      sab -= ma * mb;
      total += ((2 * ma * mb + c1) * (2 * sab + c2))
          / ((ma * ma + mb * mb + c1) * (saa + sbb + c2));
      count++;
    }
  }
  return count ? total / count : 1.0;
}
