/* Convolutional denoisers: 'same' k×k convolutions as im2col + sgemm.
 *
 * Feature maps are NHWC: (n, h, w, c) row-major, so a layer's output is the
 * (n·h·w, c_out) matrix of a dense layer whose input rows are the im2col
 * rows (n·h·w, k·k·c_in): for pixel p, tap by tap in raster order and the
 * channels innermost, its neighbourhood, zero outside its image.  A layer
 * is then a GEMM on those rows, and its input gradient the convolution of
 * the output gradient with the flipped kernel (its adjoint), again im2col
 * and a GEMM. */
#include "vae_private.h"

#include <cblas.h>
#include <string.h>

/* im2col rows of output rows [y0, y1) of one h × w map. */
static void
im2col_rows (const float *restrict img, int h, int w, int c, int k, int y0,
    int y1, float *restrict col)
{
  int r = k / 2;
  size_t kc = (size_t) k * c, row = (size_t) k * kc;

  for (int y = y0; y < y1; y++) {
    float *o = col + (size_t) (y - y0) * w * row;
    for (int xx = 0; xx < w; xx++, o += row) {
      int x0 = xx - r, x1 = xx + r + 1;       /* source columns [x0, x1) */
      for (int dy = 0; dy < k; dy++) {
        int sy = y + dy - r;
        float *t = o + dy * kc;
        if (sy < 0 || sy >= h) {
          memset (t, 0, kc * sizeof (float));
        } else if (x0 >= 0 && x1 <= w) {
          memcpy (t, img + ((size_t) sy * w + x0) * c, kc * sizeof (float));
        } else {
          for (int sx = x0; sx < x1; sx++, t += c)
            if (sx < 0 || sx >= w)
              memset (t, 0, (size_t) c * sizeof (float));
            else
              memcpy (t, img + ((size_t) sy * w + sx) * c,
                  (size_t) c * sizeof (float));
        }
      }
    }
  }
}

void
vae_im2col (const float *x, int n, int h, int w, int c, int k, float *col)
{
  for (int i = 0; i < n; i++)
    im2col_rows (x + (size_t) i * h * w * c, h, w, c, k, 0, h,
        col + (size_t) i * h * w * k * k * c);
}

/* y = act(col · Wᵀ + b): the GEMM overwrites y, bias and activation follow
 * in one pass (no per-row bias copies). */
VAE_AVX2_CLONE static void
bias_act (float *restrict y, const float *restrict b, size_t rows, int n,
    VaeAct act)
{
  if (act == VAE_ACT_RELU) {
    for (size_t i = 0; i < rows; i++, y += n)
      for (int j = 0; j < n; j++) {
        float v = y[j] + b[j];
        y[j] = v > 0.0f ? v : 0.0f;
      }
    return;
  }
  for (size_t i = 0; i < rows; i++)
    for (int j = 0; j < n; j++)
      y[i * n + j] += b[j];
  vae_act_forward (y, rows * n, act);
}

/* Layer l on n maps h × w: y (n·h·w, n_out) from x (n·h·w, c_in). */
static void
layer_forward (const VaeModel *m, int l, const float *x, int n, int h, int w,
    float *col, float *y)
{
  const VaeLayer *L = &m->layers[l];
  int k = m->cfg.conv_kernel, rows = n * h * w;
  vae_im2col (x, n, h, w, L->n_in / (k * k), k, col);
  vae_sgemm (0, 1, rows, L->n_out,
      L->n_in, 1.0f, col, L->n_in, m->params + L->w_off, L->n_in, 0.0f, y,
      L->n_out);
  bias_act (y, m->params + L->b_off, (size_t) rows, L->n_out, L->act);
}

void
vae_conv_forward (const VaeModel *m, VaeWorkspace *ws, int batch)
{
  const VaeConfig *c = &m->cfg;
  int mh, mw, k = c->conv_kernel, P, cs;

  vae_conv_map (c, &mh, &mw);
  P = mh * mw;
  cs = vae_conv_chunk (P);
  /* a few patches at a time, so that each im2col block is still in cache
   * when its GEMM reads it */
  for (int l = 0; l < m->n_layers; l++) {
    const VaeLayer *L = &m->layers[l];
    const float *x = l == 0 ? ws->x : ws->act[l - 1];
    int ci = L->n_in / (k * k);
    for (int i = 0; i < batch; i += cs)
      layer_forward (m, l, x + (size_t) i * P * ci,
          batch - i < cs ? batch - i : cs, mh, mw, ws->col,
          ws->act[l] + (size_t) i * P * L->n_out);
  }
}

/* ------------------------------------------------------------ inference
 *
 * On planes, maps are kept zero-padded by each layer's k/2 (row stride
 * (w + 2r)·c), so neither im2col nor the direct kernel below checks
 * bounds.  A layer whose output width is a multiple of 16, with a rectifier
 * or no activation, runs a direct convolution (AVX2 and FMA): 6 pixels × 16
 * channels of accumulators in registers, the input broadcast, the kernel
 * streamed from cache.  im2col + sgemm spends as long packing the im2col
 * rows (used by only c_out outputs each) as multiplying; the direct kernel
 * reads each input value from cache k·k times instead.  Other layers (the
 * 1-channel output) use im2col + sgemm, a row at a time. */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CONV_DIRECT 1
#include <immintrin.h>

#define PX 6                  /* pixels per register block */

__attribute__ ((target ("avx2,fma"))) static void
direct_row (const float *restrict in, size_t in_row, int w, int ci, int k,
    const float *restrict wr, const float *restrict bias, int co,
    VaeAct act, float *restrict out)
{
  const __m256 zero = _mm256_setzero_ps ();
  const __m256 slope = _mm256_set1_ps (act == VAE_ACT_LRELU
      ? VAE_LRELU_SLOPE : act == VAE_ACT_RELU ? 0.0f : 1.0f);
  size_t kc = (size_t) k * ci;

  for (int cb = 0; cb < co; cb += 16) {
    const __m256 b0 = _mm256_loadu_ps (bias + cb);
    const __m256 b1 = _mm256_loadu_ps (bias + cb + 8);
    int x = 0;
    for (; x + PX <= w; x += PX) {
      __m256 a[PX][2];
      for (int p = 0; p < PX; p++)
        a[p][0] = a[p][1] = zero;
      for (int dy = 0; dy < k; dy++) {
        const float *ir = in + dy * in_row + (size_t) x * ci;
        const float *wk = wr + (size_t) dy * kc * co + cb;
        /* the k taps of a row are kc contiguous inputs per pixel */
        for (size_t j = 0; j < kc; j++) {
          __m256 w0 = _mm256_loadu_ps (wk + j * co);
          __m256 w1 = _mm256_loadu_ps (wk + j * co + 8);
          for (int p = 0; p < PX; p++) {
            __m256 v = _mm256_broadcast_ss (ir + (size_t) p * ci + j);
            a[p][0] = _mm256_fmadd_ps (v, w0, a[p][0]);
            a[p][1] = _mm256_fmadd_ps (v, w1, a[p][1]);
          }
        }
      }
      for (int p = 0; p < PX; p++) {
        float *o = out + (size_t) (x + p) * co + cb;
        __m256 v0 = _mm256_add_ps (a[p][0], b0);
        __m256 v1 = _mm256_add_ps (a[p][1], b1);
        if (act != VAE_ACT_IDENTITY) {
          v0 = _mm256_max_ps (v0, _mm256_mul_ps (v0, slope));
          v1 = _mm256_max_ps (v1, _mm256_mul_ps (v1, slope));
        }
        _mm256_storeu_ps (o, v0);
        _mm256_storeu_ps (o + 8, v1);
      }
    }
    for (; x < w; x++) {
      __m256 a0 = zero, a1 = zero;
      for (int dy = 0; dy < k; dy++) {
        const float *ir = in + dy * in_row + (size_t) x * ci;
        const float *wk = wr + (size_t) dy * kc * co + cb;
        for (size_t j = 0; j < kc; j++) {
          __m256 v = _mm256_broadcast_ss (ir + j);
          a0 = _mm256_fmadd_ps (v, _mm256_loadu_ps (wk + j * co), a0);
          a1 = _mm256_fmadd_ps (v, _mm256_loadu_ps (wk + j * co + 8), a1);
        }
      }
      a0 = _mm256_add_ps (a0, b0);
      a1 = _mm256_add_ps (a1, b1);
      if (act != VAE_ACT_IDENTITY) {
        a0 = _mm256_max_ps (a0, _mm256_mul_ps (a0, slope));
        a1 = _mm256_max_ps (a1, _mm256_mul_ps (a1, slope));
      }
      _mm256_storeu_ps (out + (size_t) x * co + cb, a0);
      _mm256_storeu_ps (out + (size_t) x * co + cb + 8, a1);
    }
  }
}

/* The same on AVX-512, for widths that are a multiple of 16: 8 pixels × 32
 * channels of accumulators (× 16 for a last block of 16 channels).  Each
 * output is the same chain of FMAs over (dy, j) in order, then + bias, so
 * its bits equal direct_row's. */
#define PX5 8

/* Channels [cb, cb + 16·nv) of a row, nv 1 or 2 (a constant where it is
 * inlined, so the compiler drops the unused half). */
__attribute__ ((target ("avx512f"), always_inline)) static inline void
direct_block512 (const float *restrict in, size_t in_row, int w, int ci,
    int k, const float *restrict wr, const float *restrict bias, int co,
    VaeAct act, float *restrict out, int cb, int nv)
{
  const __m512 zero = _mm512_setzero_ps ();
  const __m512 slope = _mm512_set1_ps (act == VAE_ACT_LRELU
      ? VAE_LRELU_SLOPE : act == VAE_ACT_RELU ? 0.0f : 1.0f);
  const __m512 b0 = _mm512_loadu_ps (bias + cb);
  const __m512 b1 = nv == 2 ? _mm512_loadu_ps (bias + cb + 16) : zero;
  size_t kc = (size_t) k * ci;

  for (int x = 0; x < w;) {
    int n = w - x >= PX5 ? PX5 : 1;
    __m512 a[PX5][2];
#pragma GCC unroll 8
    for (int p = 0; p < PX5; p++)
      a[p][0] = a[p][1] = zero;
    for (int dy = 0; dy < k; dy++) {
      const float *ir = in + dy * in_row + (size_t) x * ci;
      const float *wk = wr + (size_t) dy * kc * co + cb;
      if (n == PX5) {
        for (size_t j = 0; j < kc; j++) {
          __m512 w0 = _mm512_loadu_ps (wk + j * co);
          __m512 w1 = nv == 2 ? _mm512_loadu_ps (wk + j * co + 16) : zero;
#pragma GCC unroll 8
          for (int p = 0; p < PX5; p++) {
            __m512 v = _mm512_set1_ps (ir[(size_t) p * ci + j]);
            a[p][0] = _mm512_fmadd_ps (v, w0, a[p][0]);
            if (nv == 2)
              a[p][1] = _mm512_fmadd_ps (v, w1, a[p][1]);
          }
        }
      } else {
        for (size_t j = 0; j < kc; j++) {
          __m512 v = _mm512_set1_ps (ir[j]);
          a[0][0] = _mm512_fmadd_ps (v, _mm512_loadu_ps (wk + j * co),
              a[0][0]);
          if (nv == 2)
            a[0][1] = _mm512_fmadd_ps (v, _mm512_loadu_ps (wk + j * co
                    + 16), a[0][1]);
        }
      }
    }
    for (int p = 0; p < n; p++) {
      float *o = out + (size_t) (x + p) * co + cb;
      __m512 v0 = _mm512_add_ps (a[p][0], b0);
      if (act != VAE_ACT_IDENTITY)
        v0 = _mm512_max_ps (v0, _mm512_mul_ps (v0, slope));
      _mm512_storeu_ps (o, v0);
      if (nv == 2) {
        __m512 v1 = _mm512_add_ps (a[p][1], b1);
        if (act != VAE_ACT_IDENTITY)
          v1 = _mm512_max_ps (v1, _mm512_mul_ps (v1, slope));
        _mm512_storeu_ps (o + 16, v1);
      }
    }
    x += n;
  }
}

__attribute__ ((target ("avx512f"))) static void
direct_row512 (const float *restrict in, size_t in_row, int w, int ci, int k,
    const float *restrict wr, const float *restrict bias, int co,
    VaeAct act, float *restrict out)
{
  int cb = 0;
  for (; cb + 32 <= co; cb += 32)
    direct_block512 (in, in_row, w, ci, k, wr, bias, co, act, out, cb, 2);
  if (cb < co)
    direct_block512 (in, in_row, w, ci, k, wr, bias, co, act, out, cb, 1);
}
#endif

/* 0: im2col + GEMM; 1: the AVX2 direct kernel; 2: the AVX-512 one.
 * Chosen once per layer and plane. */
static int
use_direct (const VaeLayer *L)
{
#ifdef CONV_DIRECT
  if (L->n_out % 16 != 0 || !(L->act == VAE_ACT_RELU
          || L->act == VAE_ACT_LRELU || L->act == VAE_ACT_IDENTITY)
      || !vae_vec_fma_available ())
    return 0;
  return vae_gemm_best_isa () == VAE_GEMM_AVX512 ? 2 : 1;
#else
  (void) L;
  return 0;
#endif
}

size_t
vae_conv_repack_floats (const VaeModel *m)
{
  size_t n = 0;
  for (int l = 0; l < m->n_layers; l++)
    n += (size_t) m->layers[l].n_in * m->layers[l].n_out;
  return n;
}

void
vae_conv_repack (const VaeModel *m, float *wr)
{
  for (int l = 0; l < m->n_layers; l++) {
    const VaeLayer *L = &m->layers[l];
    const float *w = m->params + L->w_off;
    for (int o = 0; o < L->n_out; o++)
      for (int i = 0; i < L->n_in; i++)
        wr[(size_t) i * L->n_out + o] = w[(size_t) o * L->n_in + i];
    wr += (size_t) L->n_in * L->n_out;
  }
}

/* Zeroes the border ring of a padded (h + 2r) × (w + 2r) × c map. */
static void
zero_border (float *x, int h, int w, int c, int r)
{
  size_t row = (size_t) (w + 2 * r) * c;
  if (r == 0)
    return;
  memset (x, 0, row * r * sizeof (float));
  memset (x + row * (h + r), 0, row * r * sizeof (float));
  for (int y = r; y < h + r; y++) {
    memset (x + row * y, 0, (size_t) r * c * sizeof (float));
    memset (x + row * y + (size_t) (w + r) * c, 0, (size_t) r * c
        * sizeof (float));
  }
}

void
vae_conv_plane_forward (const VaeModel *m, const float *wr, float *in, int h,
    int w, float *a, float *b, float *col, float *out)
{
  int k = m->cfg.conv_kernel, r = k / 2;
  size_t row_pix = (size_t) w + 2 * r;
  float *x = in, *y = a;

  zero_border (in, h, w, m->layers[0].n_in / (k * k), r);
  for (int l = 0; l < m->n_layers; l++) {
    const VaeLayer *L = &m->layers[l];
    int ci = L->n_in / (k * k), co = L->n_out, last = l + 1 == m->n_layers;
    size_t in_row = row_pix * ci;
    int direct = use_direct (L);
    if (!last)
      zero_border (y, h, w, co, r);
    for (int yy = 0; yy < h; yy++) {
      const float *ir = x + yy * in_row;       /* padded row yy − r + r */
      float *orow = last ? out + (size_t) yy * w * co
          : y + ((yy + r) * row_pix + r) * co;
#ifdef CONV_DIRECT
      if (direct) {
        (direct == 2 ? direct_row512 : direct_row) (ir, in_row, w, ci, k, wr,
            m->params + L->b_off, co, L->act, orow);
        continue;
      }
#endif
      /* im2col of one row: k rows of k·c_in contiguous floats per pixel */
      for (int xx = 0; xx < w; xx++)
        for (int dy = 0; dy < k; dy++)
          memcpy (col + ((size_t) xx * k + dy) * k * ci,
              ir + dy * in_row + (size_t) xx * ci,
              (size_t) k * ci * sizeof (float));
      vae_sgemm (0, 0, w, co, L->n_in,
          1.0f, col, L->n_in, wr, co, 0.0f, orow, co);
      bias_act (orow, m->params + L->b_off, (size_t) w, co, L->act);
    }
    wr += (size_t) L->n_in * co;
    x = y;
    y = y == a ? b : a;
  }
}

/* The adjoint of a 'same' convolution is the 'same' convolution with the
 * kernel flipped and its channels swapped: wt (c_in, k, k, c_out) with
 * wt[ci][dy][dx][co] = w[co][k−1−dy][k−1−dx][ci]. */
void
vae_conv_flip_weights (const float *w, int k, int c_in, int c_out, float *wt)
{
  for (int co = 0; co < c_out; co++)
    for (int dy = 0; dy < k; dy++)
      for (int dx = 0; dx < k; dx++)
        for (int ci = 0; ci < c_in; ci++)
          wt[(((size_t) ci * k + (k - 1 - dy)) * k + (k - 1 - dx)) * c_out + co]
              = w[(((size_t) co * k + dy) * k + dx) * c_in + ci];
}

void
vae_conv_load_input (const VaeModel *m, const float *x, int n, int per,
    const float *levels, float level, float *dst)
{
  const VaeConfig *c = &m->cfg;
  int mh, mw, planes = vae_conv_map (c, &mh, &mw);
  int ci = planes + (c->noise_input ? 1 : 0);
  size_t P = (size_t) mh * mw;

  for (int i = 0; i < n; i++) {
    const float *s = x + (size_t) i * per;
    float *d = dst + (size_t) i * P * ci;
    float f = (levels ? levels[i] : level) / c->norm_scale;
    for (size_t p = 0; p < P; p++, d += ci) {
      for (int q = 0; q < planes; q++)
        d[q] = vae_norm (c, s[vae_conv_index (c, mw, p, q)]);
      if (c->noise_input)
        d[planes] = f;
    }
  }
}

double
vae_conv_loss_grad (VaeModel *m, VaeWorkspace *ws, float *grads,
    const float *x_in, const float *x_target, const float *level, int batch,
    int norm_batch)
{
  const VaeConfig *c = &m->cfg;
  int h, w, planes = vae_conv_map (c, &h, &w), P = h * w;
  int nl = m->n_layers, ci = ws->net_in, k = c->conv_kernel;
  float invb = 1.0f / norm_batch;
  double total = 0.0;
  int cs;
  const float *y;
  float *dy;

  memset (grads, 0, m->n_params * sizeof (float));
  vae_conv_load_input (m, x_in, batch, c->n_in, level, 0.0f, ws->x);
  vae_conv_forward (m, ws, batch);
  cs = vae_conv_chunk (P);

  /* the residual's loss: ½‖ŷ − (x̃ − x)‖² per patch, network units */
  y = ws->act[nl - 1];
  dy = ws->dact[nl - 1];
  for (int i = 0; i < batch; i++)
    for (size_t p = 0; p < (size_t) P; p++)
      for (int q = 0; q < planes; q++) {
        size_t r = (size_t) i * P + p, o = r * planes + q;
        float x = vae_norm (c, x_target[(size_t) i * c->n_in
                + vae_conv_index (c, w, p, q)]);
        float t = c->residual ? ws->x[r * ci + q] - x : x;
        float d = y[o] - t;
        total += 0.5 * (double) d * d;
        dy[o] = d * invb;
      }

  for (int l = nl - 1; l >= 0; l--) {
    const VaeLayer *L = &m->layers[l];
    const float *x = l == 0 ? ws->x : ws->act[l - 1];
    int ci_l = L->n_in / (k * k), co = L->n_out;
    float *wt = ws->wflip;
    if (l > 0)
      vae_conv_flip_weights (m->params + L->w_off, k, ci_l, co, wt);
    for (int i = 0; i < batch; i += cs) {
      int n = batch - i < cs ? batch - i : cs;
      size_t r0 = (size_t) i * P;
      float *d = ws->dact[l] + r0 * co;
      /* dL/dpre, then dW += dpreᵀ · im2col(x) (the forward pass's im2col,
       * recomputed: one block instead of one per layer), db += Σ dpre */
      vae_act_backward (d, ws->act[l] + r0 * co, (size_t) n * P * co, L->act);
      vae_im2col (x + r0 * ci_l, n, h, w, ci_l, k, ws->col);
      vae_sgemm (1, 0, co, L->n_in,
          n * P, 1.0f, d, co, ws->col, L->n_in, 1.0f, grads + L->w_off,
          L->n_in);
      for (size_t r = 0; r < (size_t) n * P; r++)
        for (int j = 0; j < co; j++)
          grads[L->b_off + j] += d[r * co + j];
      /* dL/dx: the flipped convolution of dpre, straight into dact[l − 1] */
      if (l > 0) {
        vae_im2col (d, n, h, w, co, k, ws->col);
        vae_sgemm (0, 1, n * P, ci_l,
            k * k * co, 1.0f, ws->col, k * k * co, wt, k * k * co, 0.0f,
            ws->dact[l - 1] + r0 * ci_l, ci_l);
      }
    }
  }
  return total;
}
