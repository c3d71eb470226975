/* The bf16 path: weights, patches and hidden activations in bf16 for the
 * AVX512_BF16 GEMM. */
#include "denoise_impl.h"

#include <math.h>
#include <string.h>

int
vae_bf16_supported (void)
{
  return vae_gemm_bf16_available ();
}

/* The bf16 path covers dense models whose hidden layers end in ReLU or
 * nothing (fused into the product) and whose output layer is linear. */
int
vae_denoise_bf16_fits (const VaeModel *m)
{
  if (!vae_gemm_bf16_available () || m->cfg.conv_depth > 0)
    return 0;
  for (int l = 0; l < m->n_layers - 1; l++)
    if (m->layers[l].act != VAE_ACT_RELU
        && m->layers[l].act != VAE_ACT_IDENTITY)
      return 0;
  return m->layers[m->n_layers - 1].act == VAE_ACT_IDENTITY;
}

static uint16_t *
bf16_alloc (size_t n)
{
  uint16_t *p = vae_aligned_alloc (n * sizeof (uint16_t));
  if (p)
    memset (p, 0, n * sizeof (uint16_t));
  return p;
}

/* The bf16 path's weights (layer 0 without the level column, as gb) and
 * its patch and activation buffers, zero past each width. */
int
vae_denoise_bf16_new (VaeDenoiser *d)
{
  const VaeModel *m = d->m;
  size_t nh = 0;
  for (int l = 0; l < m->n_layers; l++)
    nh += vae_gemm_packed_bf16 (m->layers[l].n_out, l == 0 ? m->cfg.n_in
        : m->layers[l].n_in);
  d->gbuf16 = bf16_alloc (nh);
  d->xb_ld = (m->cfg.n_in + 1) / 2 * 2;
  d->xb = bf16_alloc ((size_t) d->batch * d->xb_ld);
  /* A tile of `batch` patches spans at most batch / nx + 2 patch rows;
   * nx ≥ w / stride, so its source rows hold about batch · stride² + (2
   * stride + ph) · w pixels.  A tile that needs more (tiny planes)
   * gathers pixel by pixel instead. */
  {
    size_t W = (size_t) (d->max_w > d->pw ? d->max_w : d->pw);
    size_t cap = (size_t) d->batch * d->stride * d->stride_y * 2
        + (size_t) (3 * d->stride_y + d->ph) * W;
    size_t plane = W * (size_t) (d->max_h > d->ph ? d->max_h : d->ph);
    d->row_cap = cap < plane ? cap : plane;
  }
  d->rowf = vae_aligned_alloc (d->row_cap * sizeof (float));
  d->rowh = bf16_alloc (d->row_cap);
  if (d->gbuf16 == NULL || d->xb == NULL || d->rowf == NULL
      || d->rowh == NULL)
    return VAE_ERR_NOMEM;
  for (int l = 0, off = 0; l < m->n_layers; l++) {
    const VaeLayer *L = &m->layers[l];
    int k = l == 0 ? m->cfg.n_in : L->n_in;
    vae_gemm_pack_bf16 (&d->gb[l], d->gbuf16 + off, m->params + L->w_off,
        L->n_out, k, L->n_in);
    off += (int) vae_gemm_packed_bf16 (L->n_out, k);
    if (l < m->n_layers - 1) {
      d->hb_ld[l] = (L->n_out + 1) / 2 * 2;
      d->hb[l] = bf16_alloc ((size_t) d->batch * d->hb_ld[l]);
      if (d->hb[l] == NULL)
        return VAE_ERR_NOMEM;
    }
  }
  return VAE_OK;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
/* 8-bit row to network units and bf16, 16 pixels at a time, with the
 * operations (and so the bits) of d->lut and d->lut16: (v / 255 − mean)
 * / scale, rounded to nearest even.  Only called on the bf16 path, whose
 * CPUs have AVX512_BF16. */
__attribute__ ((target ("avx512f,avx512bf16,avx512bw,avx512vl")))
static void
row_u8_bf16 (const uint8_t *sr, float *rf, uint16_t *rh, int w, float mean,
    float scale)
{
  const __m512 k255 = _mm512_set1_ps (255.0f), mu = _mm512_set1_ps (mean);
  const __m512 sc = _mm512_set1_ps (scale);
  int x = 0;
  for (; x + 16 <= w; x += 16) {
    __m512i v = _mm512_cvtepu8_epi32 (_mm_loadu_si128 ((const void *) (sr
                + x)));
    __m512 f = _mm512_div_ps (_mm512_sub_ps (_mm512_div_ps
            (_mm512_cvtepi32_ps (v), k255), mu), sc);
    _mm512_storeu_ps (rf + x, f);
    _mm256_storeu_si256 ((void *) (rh + x), (__m256i) _mm512_cvtneps_pbh (f));
  }
  for (; x < w; x++) {
    rf[x] = ((float) sr[x] / 255.0f - mean) / scale;
    rh[x] = vae_bf16_from_float (rf[x]);
  }
}
#define HAVE_ROW_U8_BF16 1
#endif

/* Converts source rows [y0, y1) (no reflection: the plane is at least a
 * patch) to network units and bf16, row by row into d->rowf / d->rowh. */
static void
rows_convert (VaeDenoiser *d, const uint8_t *src8, const float *srcf,
    int src_stride, int w, int y0, int y1)
{
  const VaeConfig *c = &d->m->cfg;
  for (int y = y0; y < y1; y++) {
    float *rf = d->rowf + (size_t) (y - y0) * w;
    uint16_t *rh = d->rowh + (size_t) (y - y0) * w;
#ifdef HAVE_ROW_U8_BF16
    if (src8) {
      row_u8_bf16 (src8 + (size_t) y * src_stride, rf, rh, w, c->norm_mean,
          c->norm_scale);
      continue;
    }
#endif
    if (src8) {
      const uint8_t *sr = src8 + (size_t) y * src_stride;
      for (int x = 0; x < w; x++) {
        rf[x] = d->lut[sr[x]];
        rh[x] = d->lut16[sr[x]];
      }
    } else {
      const float *sr = srcf + (size_t) y * src_stride;
      for (int x = 0; x < w; x++) {
        rf[x] = vae_norm (c, sr[x]);
        rh[x] = vae_bf16_from_float (rf[x]);
      }
    }
  }
}

/* Gathers patches [k0, k1) as bf16 into d->xb (on the mixed path, 8-bit
 * planes' bytes into d->xq instead) and sets their rows of z (patch k0's
 * first) to x − b (residual, x in float) or b, for
 * vae_denoise_bf16_forward (or _mixed_forward).  The tile's source rows are converted once,
 * then each patch row is copied from them; planes smaller than a patch
 * (reflected) go pixel by pixel. */
void
vae_denoise_bf16_gather (VaeDenoiser *d, const VaeGrid *g,
    const uint8_t *src8, const float *srcf, int src_stride, int w, int h,
    long k0, long k1, float *z)
{
  const VaeConfig *c = &d->m->cfg;
  const VaeLayer *Lo = &d->m->layers[d->m->n_layers - 1];
  const float *bo = d->m->params + Lo->b_off;
  int P = c->n_in, res = c->residual, pw = d->pw, q8 = d->mixed && src8;
  int y0 = d->ys[k0 / g->nx], y1 = d->ys[(k1 - 1) / g->nx] + d->ph;

  if (w >= pw && h >= d->ph && (size_t) (y1 - y0) * w <= d->row_cap) {
    rows_convert (d, src8, srcf, src_stride, w, y0, y1);
    for (long k = k0; k < k1; k++) {
      int px = d->xs[k % g->nx], py = d->ys[k / g->nx];
      uint16_t *xb = d->xb + (size_t) (k - k0) * d->xb_ld;
      uint8_t *xq = q8 ? d->xq + (size_t) (k - k0) * d->xq_ld : NULL;
      float *zk = z + (size_t) (k - k0) * P;
      if (pw == 8 && res) {
        /* the default patch: fixed-size copies the compiler vectorises */
        for (int i = 0; i < d->ph; i++) {
          size_t o = (size_t) (py + i - y0) * w + px;
          const float *rf = d->rowf + o, *b = bo + i * 8;
          float *zr = zk + i * 8;
          if (q8)
            memcpy (xq + i * 8, src8 + (size_t) (py + i) * src_stride + px, 8);
          else
            memcpy (xb + i * 8, d->rowh + o, 8 * sizeof (uint16_t));
          for (int j = 0; j < 8; j++)
            zr[j] = rf[j] - b[j];
        }
        continue;
      }
      for (int i = 0; i < d->ph; i++) {
        size_t o = (size_t) (py + i - y0) * w + px;
        const float *rf = d->rowf + o, *b = bo + i * pw;
        float *zr = zk + i * pw;
        if (q8)
          memcpy (xq + i * pw, src8 + (size_t) (py + i) * src_stride + px,
              (size_t) pw);
        else
          memcpy (xb + i * pw, d->rowh + o, (size_t) pw * sizeof (uint16_t));
        if (res)
          for (int j = 0; j < pw; j++)
            zr[j] = rf[j] - b[j];
        else
          memcpy (zr, b, (size_t) pw * sizeof (float));
      }
    }
    return;
  }
  for (long k = k0; k < k1; k++) {
    int px = d->xs[k % g->nx], py = d->ys[k / g->nx];
    uint16_t *xb = d->xb + (size_t) (k - k0) * d->xb_ld;
    float *zk = z + (size_t) (k - k0) * P;
    for (int i = 0; i < d->ph; i++) {
      int sy = d->ymap[py + i], o = i * pw;
      const int *xm = d->xmap + px;
      for (int j = 0; j < pw; j++) {
        float x;
        uint16_t xh;
        if (src8) {
          int v = src8[(size_t) sy * src_stride + xm[j]];
          x = d->lut[v];
          xh = d->lut16[v];
          if (q8)
            d->xq[(size_t) (k - k0) * d->xq_ld + o + j] = (uint8_t) v;
        } else {
          x = vae_norm (c, srcf[(size_t) sy * src_stride + xm[j]]);
          xh = vae_bf16_from_float (x);
        }
        xb[o + j] = xh;
        zk[o + j] = res ? x - bo[o + j] : bo[o + j];
      }
    }
  }
}

#ifdef HAVE_ROW_U8_BF16
/* vae_denoise_relu_bf16, 16 at a time */
__attribute__ ((target ("avx512f,avx512bf16,avx512bw,avx512vl")))
static int
relu_bf16_avx512 (const float *a, const float *w, float f, uint16_t *out,
    int n)
{
  const __m512 fv = _mm512_set1_ps (f), zero = _mm512_setzero_ps ();
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    __m512 v = _mm512_loadu_ps (a + j);
    if (w)
      v = _mm512_fmadd_ps (fv, _mm512_loadu_ps (w + j), v);
    _mm256_storeu_si256 ((void *) (out + j), (__m256i)
        _mm512_cvtneps_pbh (_mm512_max_ps (v, zero)));
  }
  return j;
}
#endif

void
vae_denoise_relu_bf16 (const float *a, const float *w, float f,
    uint16_t *out, int n)
{
  int j = 0;
#ifdef HAVE_ROW_U8_BF16
  j = relu_bf16_avx512 (a, w, f, out, n);
#endif
  for (; j < n; j++) {
    float v = w ? fmaf (f, w[j], a[j]) : a[j];    /* fused, as above */
    out[j] = vae_bf16_from_float (v > 0.0f ? v : 0.0f);
  }
}

/* Layer 0 under a level map: in float with the level input at 0, each
 * patch's level term and the activation added, then rounded to bf16 into
 * d->hb[0]. */
static void
level0_bf16 (VaeDenoiser *d, int n)
{
  const VaeLayer *L0 = &d->m->layers[0];
  float *a = d->ws->act[0];
  int h0 = L0->n_out;

  vae_denoise_fold_level (d, 0.0f);
  vae_gemm_run_bf16 (n, d->xb, d->xb_ld, &d->gb[0], 1.0f, a, NULL, h0, 0,
      d->bias0);
  if (L0->act == VAE_ACT_RELU) {
    for (int k = 0; k < n; k++)
      vae_denoise_relu_bf16 (a + (size_t) k * h0, d->wlevel, d->pfeat[k],
          d->hb[0] + (size_t) k * d->hb_ld[0], h0);
    return;
  }
  vae_denoise_level_add (d, n, a, h0);
  for (int k = 0; k < n; k++)
    for (int j = 0; j < h0; j++)
      d->hb[0][(size_t) k * d->hb_ld[0] + j] =
          vae_bf16_from_float (a[(size_t) k * h0 + j]);
}

/* vae_denoise_f32_forward in bf16: the patches were gathered into d->xb
 * and z set to x − b (residual) or b; the hidden layers' outputs go to
 * d->hb. */
void
vae_denoise_bf16_forward (VaeDenoiser *d, int n, float feat, float *z)
{
  const VaeLayer *L0 = &d->m->layers[0];

  if (d->lmap) {
    level0_bf16 (d, n);
  } else {
    vae_denoise_fold_level (d, feat);
    vae_gemm_run_bf16 (n, d->xb, d->xb_ld, &d->gb[0], 1.0f, NULL, d->hb[0],
        d->hb_ld[0], L0->act == VAE_ACT_RELU, d->bias0);
  }
  vae_denoise_bf16_after0 (d, n, z);
}

void
vae_denoise_bf16_after0 (VaeDenoiser *d, int n, float *z)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  int nl = m->n_layers, P = c->n_in;

  for (int l = 1; l < nl - 1; l++) {
    const VaeLayer *L = &m->layers[l];
    vae_gemm_run_bf16 (n, d->hb[l - 1], d->hb_ld[l - 1], &d->gb[l], 1.0f,
        NULL, d->hb[l], d->hb_ld[l], L->act == VAE_ACT_RELU,
        m->params + L->b_off);
  }
  vae_gemm_run_bf16 (n, d->hb[nl - 2], d->hb_ld[nl - 2], &d->gb[nl - 1],
      c->residual ? -1.0f : 1.0f, z, NULL, P, 0, NULL);
}
