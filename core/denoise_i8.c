/* The int8 path: the model's int8 weights on 8-bit patches and activation
 * codes (the VNNI, AVX2 or AMX int8 GEMM). */
#include "denoise_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The int8 path's panels, byte buffers and epilogue constants. */
int
vae_denoise_i8_new (VaeDenoiser *d)
{
  const VaeModel *m = d->m;
  const VaeQuant *q = m->quant;
  size_t nb = 0;
  for (int l = 0; l < m->n_layers; l++)
    nb += vae_gemm_packed_i8 (m->layers[l].n_out, q->k[l]);
  d->gbuf8 = vae_aligned_alloc (nb);
  d->xq_ld = (q->k[0] + 3) / 4 * 4;
  d->xq = vae_aligned_alloc ((size_t) d->batch * d->xq_ld);
  if (d->gbuf8 == NULL || d->xq == NULL)
    return VAE_ERR_NOMEM;
  memset (d->xq, 0, (size_t) d->batch * d->xq_ld);
  for (int l = 0, off = 0; l < m->n_layers; l++) {
    const VaeLayer *L = &m->layers[l];
    int last = l == m->n_layers - 1;
    vae_gemm_pack_i8 (&d->gq[l], d->gbuf8 + off, q->w[l], L->n_out, q->k[l],
        q->k[l]);
    off += (int) vae_gemm_packed_i8 (L->n_out, q->k[l]);
    d->qmul[l] = malloc ((size_t) L->n_out * sizeof (float));
    d->qadd[l] = malloc ((size_t) L->n_out * sizeof (float));
    if (d->qmul[l] == NULL || d->qadd[l] == NULL)
      return VAE_ERR_NOMEM;
    for (int j = 0; j < L->n_out; j++) {
      /* hidden: codes of h = scale·acc + bias; output: the patch z = x −
       * (scale·acc + bias) for residual models, x from its pixels, else
       * scale·acc + bias */
      d->qmul[l][j] = last ? (m->cfg.residual ? -1.0f : 1.0f) * q->scale[l][j]
          : q->scale[l][j] / q->act[l][j];
      d->qadd[l][j] = !last ? q->bias[l][j] / q->act[l][j] : m->cfg.residual
          ? -m->cfg.norm_mean / m->cfg.norm_scale - q->bias[l][j]
          : q->bias[l][j];
    }
    if (!last) {
      d->hq_ld[l] = (L->n_out + 3) / 4 * 4;
      d->hq[l] = vae_aligned_alloc ((size_t) d->batch * d->hq_ld[l]);
      if (d->hq[l] == NULL)
        return VAE_ERR_NOMEM;
      memset (d->hq[l], 0, (size_t) d->batch * d->hq_ld[l]);
    }
  }
  return VAE_OK;
}

/* Gathers patches [k0, k1) of an 8-bit plane into d->xq: along each patch
 * row a source row at a time, which reads the plane in order. */
void
vae_denoise_i8_gather (VaeDenoiser *d, const VaeGrid *g,
    const uint8_t *src8, int src_stride, int w, long k0, long k1)
{
  int pw = d->pw, ld = d->xq_ld;

  for (long k = k0; k < k1;) {
    int iy = (int) (k / g->nx), ix0 = (int) (k % g->nx);
    int ix1 = k1 - k < g->nx - ix0 ? ix0 + (int) (k1 - k) : g->nx;
    int py = d->ys[iy];
    uint8_t *xq = d->xq + (size_t) (k - k0) * ld;
    for (int i = 0; i < d->ph; i++) {
      const uint8_t *sr = src8 + (size_t) d->ymap[py + i] * src_stride;
      uint8_t *xr = xq + i * pw;
      int ix = ix0;
      if (pw == 8) {            /* the default patch: 8-byte moves */
        /* origins before the last are ix · stride, inside the plane */
        int ir = ix1 < g->nx - 1 ? ix1 : g->nx - 1;
        const uint8_t *sp = sr + (size_t) ix * d->stride;
        uint8_t *op = xr;
        for (; ix < ir; ix++, sp += d->stride, op += ld)
          memcpy (op, sp, 8);
      }
      for (; ix < ix1; ix++) {
        int px = d->xs[ix];
        uint8_t *o = xr + (size_t) (ix - ix0) * ld;
        if (px + pw <= w)
          memcpy (o, sr + px, (size_t) pw);
        else                  /* reflected: a plane narrower than a patch */
          for (int j = 0; j < pw; j++)
            o[j] = sr[d->xmap[px + j]];
      }
    }
    k += ix1 - ix0;
  }
}

/* The network in int8 on the patches' pixels in d->xq, the denoised
 * patches (network units) into z. */
/* patches per layer-0 product under a level map: 64 × 512 floats, 128 KiB */
#define LEVEL_PIECE 64

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* level_codes 16 at a time (the int8 path's AVX-512 CPUs) */
__attribute__ ((target ("avx512f,avx512bw")))
static int
level_codes_avx512 (const float *a, const float *w, float f, uint8_t *codes,
    int n)
{
  const __m512 zero = _mm512_setzero_ps (), top = _mm512_set1_ps (255.0f);
  const __m512 half = _mm512_set1_ps (0.5f), fv = _mm512_set1_ps (f);
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    __m512 v = _mm512_add_ps (_mm512_fmadd_ps (fv, _mm512_loadu_ps (w + j),
            _mm512_loadu_ps (a + j)), half);
    __m512i q = _mm512_cvttps_epi32 (_mm512_min_ps (_mm512_max_ps (v, zero),
            top));
    _mm_storeu_si128 ((void *) (codes + j), _mm512_cvtepi32_epi8 (q));
  }
  return j;
}

/* and 8 at a time (AVX2) */
__attribute__ ((target ("avx2,fma")))
static int
level_codes_avx2 (const float *a, const float *w, float f, uint8_t *codes,
    int n)
{
  const __m256 zero = _mm256_setzero_ps (), top = _mm256_set1_ps (255.0f);
  const __m256 half = _mm256_set1_ps (0.5f), fv = _mm256_set1_ps (f);
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    __m256i q[2];
    for (int i = 0; i < 2; i++) {
      __m256 v = _mm256_add_ps (_mm256_fmadd_ps (fv, _mm256_loadu_ps (w + j
                  + 8 * i), _mm256_loadu_ps (a + j + 8 * i)), half);
      q[i] = _mm256_cvttps_epi32 (_mm256_min_ps (_mm256_max_ps (v, zero),
              top));
    }
    /* 16 int32 to 16 bytes: pack within lanes, then put the lanes in
     * order */
    {
      __m256i w16 = _mm256_packs_epi32 (q[0], q[1]);
      __m256i b8 = _mm256_packus_epi16 (w16, w16);
      __m256i o = _mm256_permutevar8x32_epi32 (b8, _mm256_setr_epi32 (0, 4,
              1, 5, 2, 6, 3, 7));
      _mm_storeu_si128 ((void *) (codes + j), _mm256_castsi256_si128 (o));
    }
  }
  return j;
}
#endif

/* codes[j] = a[j] + f·w[j] rounded and clipped to [0, 255] (half up), on
 * the widest vectors the int8 kernels' ISA has; the product and sum fused
 * (as the AVX2 and AVX-512 loops and vae_gemm_run_i8_level take them), so
 * every int8 ISA gives the same codes.  The plain C int8 path takes the
 * scalar loop; its products cost far more than fmaf. */
static void
level_codes (const float *a, const float *w, float f, uint8_t *codes, int n)
{
  int j = 0;
#if defined(__x86_64__) && defined(__GNUC__)
  VaeGemmIsa isa = vae_gemm_i8_isa ();
  if (isa >= VAE_GEMM_AVX512)     /* AVX-512 or AMX */
    j = level_codes_avx512 (a, w, f, codes, n);
  else if (isa == VAE_GEMM_AVX2)
    j = level_codes_avx2 (a, w, f, codes, n);
#endif
  for (; j < n; j++) {
    float v = fmaf (f, w[j], a[j]) + 0.5f;
    v = v > 0.0f ? v : 0.0f;
    codes[j] = (uint8_t) (int32_t) (v < 255.0f ? v : 255.0f);
  }
}

void
vae_denoise_i8_forward (VaeDenoiser *d, int n, float feat, float *z)
{
  const VaeModel *m = d->m;
  const VaeConfig *c = &m->cfg;
  const VaeQuant *q = m->quant;
  const VaeLayer *L0 = &m->layers[0];
  const float *w0 = m->params + L0->w_off;
  int nl = m->n_layers, ni = d->net_in;

  if (d->lmap)
    feat = 0.0f;
  for (int j = 0; j < L0->n_out; j++)
    d->qadd[0][j] = (q->bias[0][j] + (c->noise_input ? feat
            * w0[(size_t) j * ni + c->n_in] : 0.0f)) / q->act[0][j];
  /* under a level map, layer 0's values in code units, each patch's level
   * added, then coded: in the product's epilogue where the kernels can,
   * else in two steps */
  if (d->lmap && !vae_gemm_run_i8_level (n, d->xq, d->xq_ld, &d->gq[0],
          d->qmul[0], d->qadd[0], d->pfeat, d->wlevel_q, d->hq[0], NULL,
          d->hq_ld[0])) {
    float *a = d->ws->act[0];
    int h0 = L0->n_out;
    /* in pieces whose floats stay in cache until coded */
    for (int k0 = 0; k0 < n; k0 += LEVEL_PIECE) {
      int m = n - k0 < LEVEL_PIECE ? n - k0 : LEVEL_PIECE;
      vae_gemm_run_i8 (m, d->xq + (size_t) k0 * d->xq_ld, d->xq_ld,
          &d->gq[0], d->qmul[0], d->qadd[0], a, NULL, h0);
      for (int k = 0; k < m; k++)
        level_codes (a + (size_t) k * h0, d->wlevel_q, d->pfeat[k0 + k],
            d->hq[0] + (size_t) (k0 + k) * d->hq_ld[0], h0);
    }
  } else if (!d->lmap)
    vae_gemm_run_i8 (n, d->xq, d->xq_ld, &d->gq[0], d->qmul[0], d->qadd[0],
        NULL, d->hq[0], d->hq_ld[0]);
  for (int l = 1; l < nl - 1; l++)
    vae_gemm_run_i8 (n, d->hq[l - 1], d->hq_ld[l - 1], &d->gq[l],
        d->qmul[l], d->qadd[l], NULL, d->hq[l], d->hq_ld[l]);
  if (c->residual)
    vae_gemm_run_i8_x (n, d->hq[nl - 2], d->hq_ld[nl - 2], &d->gq[nl - 1],
        d->qmul[nl - 1], d->qadd[nl - 1], d->xq, d->xq_ld, 1.0f / (255.0f
            * c->norm_scale), z, c->n_in);
  else
    vae_gemm_run_i8 (n, d->hq[nl - 2], d->hq_ld[nl - 2], &d->gq[nl - 1],
        d->qmul[nl - 1], d->qadd[nl - 1], z, NULL, c->n_in);
}
