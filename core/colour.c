/* A colour model's interleaved 4:2:0 plane (VaeConfig.colour): made from
 * Y, Cb and Cr planes, and taken back apart. */
#include "vae_private.h"

#include <math.h>
#include <string.h>

static const float ycc_weights[2][3][3] = {
  {                             /* BT.601 */
    {0.299f, 0.587f, 0.114f},
    {-0.168736f, -0.331264f, 0.5f},
    {0.5f, -0.418688f, -0.081312f},
  },
  {                             /* BT.709 */
    {0.2126f, 0.7152f, 0.0722f},
    {-0.114572f, -0.385428f, 0.5f},
    {0.5f, -0.454153f, -0.045847f},
  },
};

void
vae_ycc_weights (int bt709, float k[3][3])
{
  memcpy (k, ycc_weights[bt709 != 0], sizeof ycc_weights[0]);
}

/* Y's or a chroma row's scale in limited or full range */
static float
range_scale (int row, int full_range)
{
  return full_range ? 1.0f : row == 0 ? 219.0f / 255.0f : 224.0f / 255.0f;
}

void
vae_noise_gains (int bt709, int full_range, float gain[3])
{
  const float (*k)[3] = ycc_weights[bt709 != 0];
  for (int c = 0; c < 3; c++)
    gain[c] = (float) (sqrt ((double) k[c][0] * k[c][0] + (double) k[c][1]
            * k[c][1] + (double) k[c][2] * k[c][2]) * range_scale (c,
            full_range));
}

void
vae_yuv420_packed_size (int w, int h, int pw, int ph, int *pack_w,
    int *pack_h)
{
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  /* at least a patch: pw even, ph a multiple of 3 for colour models */
  *pack_w = 2 * cw > pw ? 2 * cw : pw;
  *pack_h = 3 * ch > ph ? 3 * ch : ph;
}

static uint8_t
add_u8 (uint8_t v, float n)
{
  float r = nearbyintf (v + n);
  return (uint8_t) (r < 0.0f ? 0.0f : r > 255.0f ? 255.0f : r);
}

void
vae_noise_rgb_u8 (float sigma, int bt709, int full_range, uint8_t *y,
    int y_stride, uint8_t *u, uint8_t *v, int c_stride, int c_step, int w,
    int h, int w_sub, int h_sub, VaeRng *rng)
{
  float m[3][3];
  int bw = 1 << w_sub, bh = 1 << h_sub;
  int cw = (w + bw - 1) >> w_sub, ch = (h + bh - 1) >> h_sub;

  vae_ycc_weights (bt709, m);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 3; i++)
      m[c][i] *= range_scale (c, full_range);
  for (int cy = 0; cy < ch; cy++)
    for (int cx = 0; cx < cw; cx++) {
      float nb = 0.0f, nr = 0.0f;
      int n = 0;
      for (int py = cy * bh; py < cy * bh + bh && py < h; py++)
        for (int px = cx * bw; px < cx * bw + bw && px < w; px++) {
          float r = sigma * vae_rng_normal (rng);
          float g = sigma * vae_rng_normal (rng);
          float b = sigma * vae_rng_normal (rng);
          uint8_t *yp = y + (size_t) py * y_stride + px;
          *yp = add_u8 (*yp, m[0][0] * r + m[0][1] * g + m[0][2] * b);
          nb += m[1][0] * r + m[1][1] * g + m[1][2] * b;
          nr += m[2][0] * r + m[2][1] * g + m[2][2] * b;
          n++;
        }
      uint8_t *up = u + (size_t) cy * c_stride + (size_t) cx * c_step;
      uint8_t *vp = v + (size_t) cy * c_stride + (size_t) cx * c_step;
      *up = add_u8 (*up, nb / n);
      *vp = add_u8 (*vp, nr / n);
    }
}

/* One luma row of w pixels, its last repeated to n. */
static void
fill_row (uint8_t *dst, const uint8_t *src, int w, int n)
{
  memcpy (dst, src, (size_t) w);
  if (n > w)
    memset (dst + w, src[w - 1], (size_t) (n - w));
}

void
vae_yuv420_pack (const uint8_t *y, int y_stride, const uint8_t *u,
    const uint8_t *v, int c_stride, int c_step, int w, int h, uint8_t *dst,
    int dst_stride, int pack_w, int row0, int row1)
{
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  for (int k = row0; k < row1; k++) {
    int y0 = 2 * k < h ? 2 * k : h - 1, y1 = 2 * k + 1 < h ? 2 * k + 1 : h - 1;
    int kc = k < ch ? k : ch - 1, j = 0;
    const uint8_t *ur = u + (size_t) kc * c_stride;
    const uint8_t *vr = v + (size_t) kc * c_stride;
    uint8_t *o = dst + (size_t) 3 * k * dst_stride;
    fill_row (o, y + (size_t) y0 * y_stride, w, pack_w);
    fill_row (o + dst_stride, y + (size_t) y1 * y_stride, w, pack_w);
    o += 2 * (size_t) dst_stride;
    if (c_step == 1)            /* planar: a loop the compiler vectorises */
      for (; j < cw; j++) {
        o[2 * j] = ur[j];
        o[2 * j + 1] = vr[j];
      }
    for (; j < pack_w / 2; j++) {
      int jc = (j < cw ? j : cw - 1) * c_step;
      o[2 * j] = ur[jc];
      o[2 * j + 1] = vr[jc];
    }
  }
}

void
vae_yuv420_unpack (const uint8_t *src, int src_stride, uint8_t *y,
    int y_stride, uint8_t *u, uint8_t *v, int c_stride, int c_step, int w,
    int h, int row0, int row1)
{
  int cw = (w + 1) / 2;
  for (int k = row0; k < row1; k++) {
    const uint8_t *s = src + (size_t) 3 * k * src_stride;
    uint8_t *ur = u ? u + (size_t) k * c_stride : NULL;
    uint8_t *vr = v ? v + (size_t) k * c_stride : NULL;
    memcpy (y + (size_t) 2 * k * y_stride, s, (size_t) w);
    if (2 * k + 1 < h)
      memcpy (y + (size_t) (2 * k + 1) * y_stride, s + src_stride,
          (size_t) w);
    s += 2 * (size_t) src_stride;
    if (u != NULL && c_step == 1)       /* planar, vectorised */
      for (int j = 0; j < cw; j++) {
        ur[j] = s[2 * j];
        vr[j] = s[2 * j + 1];
      }
    else
      for (int j = 0; u != NULL && j < cw; j++) {
        ur[j * c_step] = s[2 * j];
        vr[j * c_step] = s[2 * j + 1];
      }
  }
}
