/* Packed 8-bit RGB to BT.601 Y'CbCr (4:2:0 or 4:4:4, limited or full
 * range) or to the opponent space, and back, rounded (vae.h).  Each row is
 * taken apart into planar floats first, so the arithmetic runs on
 * contiguous arrays the compiler vectorises, with an AVX2 clone of each
 * loop where the CPU has AVX2 (VAE_AVX2_CLONE: the same bits).  4-byte
 * pixels are read and written as 32-bit words where the CPU is
 * little-endian. */
#include "vae_private.h"

#include <math.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORDS 1                 /* 4-byte pixels as 32-bit words */
#else
#define WORDS 0
#endif
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* The conversion's coefficients: rows Y, Cb, Cr of R, G, B weights scaled
 * to the range, and the inverse's: R, G and B per unit of Cb and of Cr
 * (and of Y: 1). */
typedef struct {
  float k[3][3];
  float y_off, y_scale, c_scale;        /* code = off + scale · value */
  float inv[3][2];
} Matrix;

static void
matrix (int space, Matrix *m)
{
  float w[3][3];
  int full = space != VAE_YCC_LIMITED;

  m->y_off = full ? 0.0f : 16.0f;
  m->y_scale = full ? 1.0f : 219.0f / 255.0f;
  m->c_scale = full ? 1.0f : 224.0f / 255.0f;
  if (space == VAE_OPPONENT) {
    static const float k[3][3] = { {1.0f / 3, 1.0f / 3, 1.0f / 3},
    {0.5f, 0.0f, -0.5f}, {0.25f, -0.5f, 0.25f}
    };
    static const float inv[3][2] = { {1.0f, 2.0f / 3}, {0.0f, -4.0f / 3},
    {-1.0f, 2.0f / 3}
    };
    memcpy (m->k, k, sizeof k);
    memcpy (m->inv, inv, sizeof inv);
    return;
  }
  vae_ycc_weights (0, w);
  for (int c = 0; c < 3; c++) {
    m->k[0][c] = w[0][c] * m->y_scale;
    m->k[1][c] = w[1][c] * m->c_scale;
    m->k[2][c] = w[2][c] * m->c_scale;
  }
  /* the inverse of BT.601's matrix, whose chroma rows are (B − Y) / 1.772
   * and (R − Y) / 1.402 */
  m->inv[0][0] = 0.0f;
  m->inv[0][1] = 2.0f * (1.0f - w[0][0]);
  m->inv[2][0] = 2.0f * (1.0f - w[0][2]);
  m->inv[2][1] = 0.0f;
  m->inv[1][0] = -m->inv[2][0] * w[0][2] / w[0][1];
  m->inv[1][1] = -m->inv[0][1] * w[0][0] / w[0][1];
}

void
vae_space_noise_gains (int space, float gain[3])
{
  Matrix m;
  matrix (space, &m);
  for (int c = 0; c < 3; c++)
    gain[c] = sqrtf (m.k[c][0] * m.k[c][0] + m.k[c][1] * m.k[c][1]
        + m.k[c][2] * m.k[c][2]);
}

/* A row of n pixels into planar floats r, g, b (4-byte pixels as 32-bit
 * words, which vectorises; little-endian byte order). */
VAE_AVX2_CLONE static void
split_row (const VaeRgbLayout *l, const uint8_t *p, int n, float *r, float *g,
    float *b)
{
  if (WORDS && l->pstride == 4) {
    int sr = 8 * l->r, sg = 8 * l->g, sb = 8 * l->b;
    for (int x = 0; x < n; x++) {
      uint32_t q;
      memcpy (&q, p + 4 * (size_t) x, 4);
      r[x] = (float) ((q >> sr) & 255);
      g[x] = (float) ((q >> sg) & 255);
      b[x] = (float) ((q >> sb) & 255);
    }
    return;
  }
  for (int x = 0; x < n; x++, p += l->pstride) {
    r[x] = p[l->r];
    g[x] = p[l->g];
    b[x] = p[l->b];
  }
}

/* out = off + k · (r, g, b), n values. */
VAE_AVX2_CLONE static void
mix3 (const float *k, float off, const float *r, const float *g,
    const float *b, float *out, int n)
{
  for (int x = 0; x < n; x++)
    out[x] = off + k[0] * r[x] + k[1] * g[x] + k[2] * b[x];
}

/* n floats to bytes, rounded half to even and clipped: the opponent
 * space's chroma is a half for every odd R − B, which rounding half up
 * would bias.  Adding and taking away 1.5 · 2^23 rounds a float so, and
 * vectorises. */
VAE_AVX2_CLONE static void
floats_to_u8_even (const float *v, uint8_t *o, int n)
{
  const float magic = 12582912.0f;
  for (int x = 0; x < n; x++) {
    float f = (v[x] + magic) - magic;
    f = f > 0.0f ? f : 0.0f;
    f = f < 255.0f ? f : 255.0f;
    o[x] = (uint8_t) (int) f;
  }
}

/* A row of the space: its own rounding. */
VAE_AVX2_CLONE static void
to_u8 (int space, const float *v, uint8_t *o, int n)
{
  if (space == VAE_OPPONENT)
    floats_to_u8_even (v, o, n);
  else
    vae_floats_to_u8 (v, o, n);
}

VAE_AVX2_CLONE void
vae_rgb_to_ycc (const VaeRgbLayout *l, const uint8_t *rgb, int rgb_stride,
    int w, int h, int sub, int space, uint8_t *y, int ys, uint8_t *u,
    uint8_t *v, int cs, int row0, int row1, float *scratch)
{
  Matrix m;
  int cw = sub ? (w + 1) / 2 : w;
  float *a[3] = { scratch, scratch + w, scratch + 2 * w };
  float *b[3] = { scratch + 3 * w, scratch + 4 * w, scratch + 5 * w };
  float *t = scratch + 6 * w, *mc[3];

  for (int c = 0; c < 3; c++)
    mc[c] = scratch + 7 * w + c * cw;

  matrix (space, &m);
  row1 = MIN (row1, h);
  for (int j = row0; j < row1; j += sub ? 2 : 1) {
    int j2 = sub ? MIN (j + 1, h - 1) : j;
    split_row (l, rgb + (size_t) j * rgb_stride, w, a[0], a[1], a[2]);
    mix3 (m.k[0], m.y_off, a[0], a[1], a[2], t, w);
    to_u8 (space, t, y + (size_t) j * ys, w);
    if (j2 != j) {
      split_row (l, rgb + (size_t) j2 * rgb_stride, w, b[0], b[1], b[2]);
      mix3 (m.k[0], m.y_off, b[0], b[1], b[2], t, w);
      to_u8 (space, t, y + (size_t) j2 * ys, w);
    }
    /* 4:2:0: the mean of each 2 × 2 (the last column and row repeated) */
    for (int c = 0; c < 3 && sub; c++) {
      const float *pa = a[c], *pb = j2 != j ? b[c] : a[c];
      for (int x = 0; x < w / 2; x++)
        mc[c][x] = 0.25f * (pa[2 * x] + pa[2 * x + 1] + pb[2 * x]
            + pb[2 * x + 1]);
      if (w & 1)
        mc[c][cw - 1] = 0.5f * (pa[w - 1] + pb[w - 1]);
    }
    {
      float **c = sub ? mc : a;
      mix3 (m.k[1], 128.0f, c[0], c[1], c[2], t, cw);
      to_u8 (space, t, u + (size_t) (sub ? j / 2 : j) * cs, cw);
      mix3 (m.k[2], 128.0f, c[0], c[1], c[2], t, cw);
      to_u8 (space, t, v + (size_t) (sub ? j / 2 : j) * cs, cw);
    }
  }
}

/* Chroma row c (cw samples of a 4:2:0 plane of ch rows, cs apart) at luma
 * row yy, centre-sited and interpolated both ways into out (w values):
 * 3/4 of the nearer sample and 1/4 of the next, clamped; tmp holds cw. */
VAE_AVX2_CLONE static void
chroma_up (const uint8_t *c, int cs, int cw, int ch, int w, int yy,
    float *tmp, float *out)
{
  int j = yy / 2, k = yy & 1 ? MIN (j + 1, ch - 1) : MAX (j - 1, 0);
  const uint8_t *ra = c + (size_t) j * cs, *rb = c + (size_t) k * cs;

  for (int x = 0; x < cw; x++)
    tmp[x] = 0.75f * (float) ra[x] + 0.25f * (float) rb[x];
  out[0] = tmp[0];
  for (int i = 0; i + 1 < cw; i++) {
    out[2 * i + 1] = 0.75f * tmp[i] + 0.25f * tmp[i + 1];
    out[2 * i + 2] = 0.75f * tmp[i + 1] + 0.25f * tmp[i];
  }
  if (2 * cw - 1 < w)           /* an even width's last pixel */
    out[2 * cw - 1] = tmp[cw - 1];
}

VAE_AVX2_CLONE void
vae_ycc_to_rgb (const VaeRgbLayout *l, const uint8_t *y, int ys,
    const uint8_t *u, const uint8_t *v, int cs, int w, int h, int sub,
    int space, const uint8_t *src, int src_stride, uint8_t *rgb,
    int rgb_stride, int row0, int row1, float *scratch)
{
  Matrix m;
  int ps = l->pstride, cw = sub ? (w + 1) / 2 : w, ch = sub ? (h + 1) / 2 : h;
  float *fu = scratch, *fv = scratch + w, *fy = scratch + 2 * w;
  float *tmp = scratch + 3 * w, *out = scratch + 4 * w;
  uint8_t *o8 = (uint8_t *) (scratch + 5 * w);  /* 3 w bytes: R, G, B */
  float ys_inv, cs_inv;

  matrix (space, &m);
  ys_inv = 1.0f / m.y_scale;
  cs_inv = 1.0f / m.c_scale;
  for (int j = row0; j < row1 && j < h; j++) {
    const uint8_t *yr = y + (size_t) j * ys;
    uint8_t *p = rgb + (size_t) j * rgb_stride;
    /* the pixels whose fourth byte the output keeps */
    const uint8_t *k4 = src ? src + (size_t) j * src_stride : p;
    if (sub) {
      chroma_up (u, cs, cw, ch, w, j, tmp, fu);
      chroma_up (v, cs, cw, ch, w, j, tmp, fv);
    } else {
      for (int x = 0; x < w; x++) {
        fu[x] = (float) u[(size_t) j * cs + x];
        fv[x] = (float) v[(size_t) j * cs + x];
      }
    }
    for (int x = 0; x < w; x++) {
      fy[x] = ((float) yr[x] - m.y_off) * ys_inv;
      fu[x] = (fu[x] - 128.0f) * cs_inv;
      fv[x] = (fv[x] - 128.0f) * cs_inv;
    }
    for (int c = 0; c < 3; c++) {
      float ku = m.inv[c][0], kv = m.inv[c][1];
      for (int x = 0; x < w; x++)
        out[x] = fy[x] + ku * fu[x] + kv * fv[x];
      vae_floats_to_u8 (out, o8 + c * w, w);
    }
    if (WORDS && ps == 4) {
      int sr = 8 * l->r, sg = 8 * l->g, sb = 8 * l->b;
      uint32_t keep = ~((255u << sr) | (255u << sg) | (255u << sb));
      for (int x = 0; x < w; x++) {
        uint32_t q;
        memcpy (&q, k4 + 4 * (size_t) x, 4);
        q = (q & keep) | (uint32_t) o8[x] << sr | (uint32_t) o8[w + x] << sg
            | (uint32_t) o8[2 * w + x] << sb;
        memcpy (p + 4 * (size_t) x, &q, 4);
      }
      continue;
    }
    for (int x = 0; x < w; x++, p += ps) {
      p[l->r] = o8[x];
      p[l->g] = o8[w + x];
      p[l->b] = o8[2 * w + x];
      if (ps == 4 && src != NULL) {
        int a = 6 - l->r - l->g - l->b;     /* the fourth byte's offset */
        p[a] = k4[(size_t) x * 4 + a];
      }
    }
  }
}
