/* The temporal stage's inner loops (temporal_kernels.h). */
#include "temporal_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#include <immintrin.h>
#define PF 128                  /* averages ahead the blend prefetches */
#endif

/* ------------------------------------------------------------ plain C */

static int
sad_c (const uint8_t *a, int as, const uint8_t *b, int bs, int w, int h)
{
  int s = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      s += abs ((int) a[(size_t) y * as + x] - b[(size_t) y * bs + x]);
  return s;
}

static void
cell_sums_c (const uint8_t *a, const uint8_t *b, int cw, int ch, int *sad,
    int *ssd)
{
  for (int gy = 0; gy < ch; gy++)
    for (int gx = 0; gx < cw; gx++) {
      int s = 0, q = 0;
      for (int y = 4 * gy; y < 4 * gy + 4; y++)
        for (int x = 4 * gx; x < 4 * gx + 4; x++) {
          int d = (int) a[y * 16 + x] - b[y * 16 + x];
          s += abs (d);
          q += d * d;
        }
      sad[gy * cw + gx] = s;
      ssd[gy * cw + gx] = q;
    }
}

static void
halve_c (const uint8_t *src, int ss, int w, int h, uint8_t *dst, int ds)
{
  for (int y = 0; y < h / 2; y++)
    for (int x = 0; x < w / 2; x++) {
      const uint8_t *p = src + (size_t) 2 * y * ss + 2 * x;
      dst[(size_t) y * ds + x] = (uint8_t) ((p[0] + p[1] + p[ss] + p[ss + 1]
              + 2) >> 2);
    }
}

static void
predict_c (const uint8_t *r, int rs, int fx, int fy, int bw, int bh,
    uint8_t *pred)
{
  for (int y = 0; y < bh; y++, r += rs)
    for (int x = 0; x < bw; x++)
      pred[y * 16 + x] = (uint8_t) ((r[x] + r[x + fx] + r[x + fy * rs]
              + r[x + fx + fy * rs] + 2) >> 2);
}

static void
blend_run_c (uint16_t *n, const uint8_t *s, int step, const uint16_t *row0,
    const uint16_t *row1, int fx, int fy, const int16_t *cells, int cshift,
    int k)
{
  int o = fx > 0;               /* the next column, read only if weighed */
  for (int x = 0; x < k; x++) {
    int p = vae_tk_lerp4 (row0[x], row0[x + o], fx);
    if (fy > 0)
      p = vae_tk_lerp4 (p, vae_tk_lerp4 (row1[x], row1[x + o], fx), fy);
    n[x] = vae_tk_blend1 (p, s[(size_t) x * step] * VAE_TK_ACC_ONE,
        cells[x >> cshift]);
  }
}

static inline int
clampi (int v, int n)           /* v in [0, n) */
{
  return v < 0 ? 0 : v > n - 1 ? n - 1 : v;
}

/* The average at (x4, y4) / 4 as the blend interpolates it, the reads
 * clamped to the plane. */
static int
sample_q (const uint16_t *a, int w, int h, int x4, int y4)
{
  int x = x4 >> 2, y = y4 >> 2, fx = x4 & 3, fy = y4 & 3;
  int xa = clampi (x, w), xb = clampi (x + 1, w);
  int ya = clampi (y, h), yb = clampi (y + 1, h);
  int top = vae_tk_lerp4 (a[(size_t) ya * w + xa], a[(size_t) ya * w + xb],
      fx);
  int bot = vae_tk_lerp4 (a[(size_t) yb * w + xa], a[(size_t) yb * w + xb],
      fx);
  return vae_tk_lerp4 (top, bot, fy);
}

typedef void (*BlendRunFn) (uint16_t *n, const uint8_t *s, int step,
    const uint16_t *row0, const uint16_t *row1, int fx, int fy,
    const int16_t *cells, int cshift, int k);

/* vae_tk_blend_row with run, which takes whole runs (k = bs) when full is
 * set, blend_run_c the others: the loop every kernel shares, inlined into
 * each so that a run costs no call. */
static inline __attribute__ ((always_inline)) void
blend_row_with (BlendRunFn run, int full, const VaeTkBlendPlane *bp, int y,
    uint16_t *n, const uint8_t *s, int step, const int *vrow,
    const int16_t *arow)
{
  int w = bp->w, h = bp->h, sx = bp->sx, sy = bp->sy;
  int bshift = __builtin_ctz ((unsigned) bp->block);
  int lshift = __builtin_ctz ((unsigned) bp->cell);     /* of a luma cell */
  int bs = bp->block >> sx, cshift = lshift - sx;
  const uint16_t *prev = bp->prev;

  for (int x0 = 0; x0 < w; x0 += bs) {
    int k = w - x0 < bs ? w - x0 : bs;
    int lx = x0 << sx < bp->lw - 1 ? x0 << sx : bp->lw - 1;
    const int *v = vrow + (lx >> bshift) * 2;
    int qx = 4 * x0 + (sx ? v[0] : 2 * v[0]);
    int qy = 4 * y + (sy ? v[1] : 2 * v[1]);
    int px = qx >> 2, py = qy >> 2;
    const int16_t *a = arow + (lx >> lshift);
    if (px >= 0 && py >= 0 && px + k < w && py + 1 < h) {
      const uint16_t *r0 = prev + (size_t) py * w + px;
      if (full && k == bs)
        run (n + x0, s + (size_t) x0 * step, step, r0, r0 + w, qx & 3,
            qy & 3, a, cshift, k);
      else
        blend_run_c (n + x0, s + (size_t) x0 * step, step, r0, r0 + w,
            qx & 3, qy & 3, a, cshift, k);
    } else {
      for (int x = 0; x < k; x++)
        n[x0 + x] = vae_tk_blend1 (sample_q (prev, w, h, qx + 4 * x, qy),
            s[(size_t) (x0 + x) * step] * VAE_TK_ACC_ONE, a[x >> cshift]);
    }
  }
}

static void
blend_row_c (const VaeTkBlendPlane *bp, int y, uint16_t *n, const uint8_t *s,
    int step, const int *vrow, const int16_t *arow)
{
  blend_row_with (blend_run_c, 0, bp, y, n, s, step, vrow, arow);
}

/* --------------------------------------------------------------- SSE2 */

static void
predict_q_c (const uint8_t *r, int rs, int fx, int fy, int w, int h,
    uint8_t *pred)
{
  int dx = fx > 0, dy = fy > 0 ? rs : 0;
  int w00 = (4 - fx) * (4 - fy), w10 = fx * (4 - fy), w01 = (4 - fx) * fy;
  int w11 = fx * fy;
  for (int y = 0; y < h; y++, r += rs)
    for (int x = 0; x < w; x++)
      pred[y * 16 + x] = (uint8_t) ((w00 * r[x] + w10 * r[x + dx]
              + w01 * r[x + dy] + w11 * r[x + dy + dx] + 8) >> 4);
}

static void
mix_c (uint8_t *o, int step, const uint8_t *p, const uint16_t *k, int n)
{
  for (int x = 0; x < n; x++) {
    uint8_t *v = o + (size_t) x * step;
    *v = (uint8_t) ((*v * (256 - k[x]) + p[x] * k[x] + 128) >> 8);
  }
}

#ifdef __SSE2__
static inline int
load32 (const uint8_t *p)
{
  int v;
  memcpy (&v, p, sizeof (v));
  return v;
}

static inline int
hsum64 (__m128i acc)
{
  return _mm_cvtsi128_si32 (acc) + _mm_cvtsi128_si32 (_mm_srli_si128 (acc,
          8));
}

/* psadbw on 16-, 8- and 4-wide rows; -1 for other widths. */
static inline int
sad_sse2 (const uint8_t *a, int as, const uint8_t *b, int bs, int w, int h)
{
  __m128i acc = _mm_setzero_si128 ();

  if (w == 16) {
    for (int y = 0; y < h; y++)
      acc = _mm_add_epi64 (acc, _mm_sad_epu8 (_mm_loadu_si128 ((const void *)
                  (a + (size_t) y * as)), _mm_loadu_si128 ((const void *)
                  (b + (size_t) y * bs))));
    return hsum64 (acc);
  }
  if (w == 4 && h == 4) {
    __m128i va = _mm_setr_epi32 (load32 (a), load32 (a + as),
        load32 (a + 2 * as), load32 (a + 3 * as));
    __m128i vb = _mm_setr_epi32 (load32 (b), load32 (b + bs),
        load32 (b + 2 * bs), load32 (b + 3 * bs));
    return hsum64 (_mm_sad_epu8 (va, vb));
  }
  if (w == 8) {
    for (int y = 0; y < h; y++)
      acc = _mm_add_epi64 (acc, _mm_sad_epu8 (_mm_loadl_epi64 ((const void *)
                  (a + (size_t) y * as)), _mm_loadl_epi64 ((const void *)
                  (b + (size_t) y * bs))));
    return _mm_cvtsi128_si32 (acc);
  }
  return -1;
}

/* [x0 + x1, x2 + x3, y0 + y1, y2 + y3] */
static __m128i
pair_sums (__m128i x, __m128i y)
{
  __m128 fx = _mm_castsi128_ps (x), fy = _mm_castsi128_ps (y);
  __m128i e = _mm_castps_si128 (_mm_shuffle_ps (fx, fy, _MM_SHUFFLE (2, 0, 2,
              0)));
  __m128i o = _mm_castps_si128 (_mm_shuffle_ps (fx, fy, _MM_SHUFFLE (3, 1, 3,
              1)));
  return _mm_add_epi32 (e, o);
}

/* Four cells a row: |d| summed over the cell's rows in 16 bits, d² in
 * pairs by pmaddwd, then pairs of pairs. */
static void
cell_sums_sse2 (const uint8_t *a, const uint8_t *b, int ch, int *sad,
    int *ssd)
{
  const __m128i zero = _mm_setzero_si128 (), ones = _mm_set1_epi16 (1);

  for (int gy = 0; gy < ch; gy++) {
    __m128i alo = zero, ahi = zero, qlo = zero, qhi = zero;
    for (int y = 4 * gy; y < 4 * gy + 4; y++) {
      __m128i va = _mm_loadu_si128 ((const void *) (a + y * 16));
      __m128i vb = _mm_loadu_si128 ((const void *) (b + y * 16));
      __m128i d = _mm_or_si128 (_mm_subs_epu8 (va, vb), _mm_subs_epu8 (vb,
              va));
      __m128i lo = _mm_unpacklo_epi8 (d, zero), hi = _mm_unpackhi_epi8 (d,
          zero);
      alo = _mm_add_epi16 (alo, lo);
      ahi = _mm_add_epi16 (ahi, hi);
      qlo = _mm_add_epi32 (qlo, _mm_madd_epi16 (lo, lo));
      qhi = _mm_add_epi32 (qhi, _mm_madd_epi16 (hi, hi));
    }
    _mm_storeu_si128 ((void *) (sad + 4 * gy),
        pair_sums (_mm_madd_epi16 (alo, ones), _mm_madd_epi16 (ahi, ones)));
    _mm_storeu_si128 ((void *) (ssd + 4 * gy), pair_sums (qlo, qhi));
  }
}

static __m128i
mean4 (__m128i a, __m128i b, __m128i c, __m128i d)
{
  const __m128i zero = _mm_setzero_si128 (), two = _mm_set1_epi16 (2);
  __m128i lo = _mm_add_epi16 (_mm_add_epi16 (_mm_unpacklo_epi8 (a, zero),
          _mm_unpacklo_epi8 (b, zero)), _mm_add_epi16 (_mm_unpacklo_epi8 (c,
              zero), _mm_unpacklo_epi8 (d, zero)));
  __m128i hi = _mm_add_epi16 (_mm_add_epi16 (_mm_unpackhi_epi8 (a, zero),
          _mm_unpackhi_epi8 (b, zero)), _mm_add_epi16 (_mm_unpackhi_epi8 (c,
              zero), _mm_unpackhi_epi8 (d, zero)));
  lo = _mm_srli_epi16 (_mm_add_epi16 (lo, two), 2);
  hi = _mm_srli_epi16 (_mm_add_epi16 (hi, two), 2);
  return _mm_packus_epi16 (lo, hi);
}

/* 8 outputs a step: pairs of 16-bit column sums added by pmaddwd. */
static void
halve_sse2 (const uint8_t *src, int ss, int w, int h, uint8_t *dst, int ds)
{
  const __m128i zero = _mm_setzero_si128 (), ones = _mm_set1_epi16 (1);
  const __m128i two = _mm_set1_epi16 (2);
  int n8 = w / 2 / 8 * 8;

  for (int y = 0; y < h / 2; y++) {
    const uint8_t *r0 = src + (size_t) 2 * y * ss, *r1 = r0 + ss;
    uint8_t *d = dst + (size_t) y * ds;
    for (int x = 0; x < n8; x += 8) {
      __m128i a = _mm_loadu_si128 ((const void *) (r0 + 2 * x));
      __m128i b = _mm_loadu_si128 ((const void *) (r1 + 2 * x));
      __m128i lo = _mm_add_epi16 (_mm_unpacklo_epi8 (a, zero),
          _mm_unpacklo_epi8 (b, zero));
      __m128i hi = _mm_add_epi16 (_mm_unpackhi_epi8 (a, zero),
          _mm_unpackhi_epi8 (b, zero));
      __m128i s = _mm_packs_epi32 (_mm_madd_epi16 (lo, ones),
          _mm_madd_epi16 (hi, ones));
      s = _mm_srli_epi16 (_mm_add_epi16 (s, two), 2);
      _mm_storel_epi64 ((void *) (d + x), _mm_packus_epi16 (s, s));
    }
    for (int x = n8; x < w / 2; x++)
      d[x] = (uint8_t) ((r0[2 * x] + r0[2 * x + 1] + r1[2 * x]
              + r1[2 * x + 1] + 2) >> 2);
  }
}

static void
predict_sse2 (const uint8_t *r, int rs, int fx, int fy, int bh,
    uint8_t *pred)
{
  for (int y = 0; y < bh; y++, r += rs) {
    __m128i a = _mm_loadu_si128 ((const void *) r);
    __m128i b = _mm_loadu_si128 ((const void *) (r + fx));
    __m128i c = _mm_loadu_si128 ((const void *) (r + fy * rs));
    __m128i d = _mm_loadu_si128 ((const void *) (r + fx + fy * rs));
    _mm_storeu_si128 ((void *) (pred + y * 16), mean4 (a, b, c, d));
  }
}

/* predict_sse2 and psadbw in one pass: the prediction never reaches
 * memory.  One or two pixels average exactly by pavgb. */
static int
sad_predict_sse2 (const uint8_t *b, const uint8_t *r, int rs, int fx,
    int fy, int bh, uint8_t *pred)
{
  __m128i acc = _mm_setzero_si128 ();
  for (int y = 0; y < bh; y++, r += rs) {
    __m128i p = _mm_loadu_si128 ((const void *) r);
    if (fx && fy)
      p = mean4 (p, _mm_loadu_si128 ((const void *) (r + 1)),
          _mm_loadu_si128 ((const void *) (r + rs)),
          _mm_loadu_si128 ((const void *) (r + 1 + rs)));
    else if (fx || fy)
      p = _mm_avg_epu8 (p, _mm_loadu_si128 ((const void *) (r + fx + fy
                  * rs)));
    if (pred)
      _mm_storeu_si128 ((void *) (pred + y * 16), p);
    acc = _mm_add_epi64 (acc, _mm_sad_epu8 (p, _mm_loadu_si128 ((const void
                *) (b + y * 16))));
  }
  return hsum64 (acc);
}

/* sad_predict_sse2's four-pixel means (fx and fy both 1) in AVX2: each
 * row's sums of horizontal pairs are taken once and serve the two
 * predicted rows they lie between. */
__attribute__ ((target ("avx2"))) static int
sad_predict4_avx2 (const uint8_t *b, const uint8_t *r, int rs, int bh,
    uint8_t *pred)
{
#define PAIRS(q) _mm256_add_epi16 (_mm256_cvtepu8_epi16 (_mm_loadu_si128 \
        ((const void *) (q))), _mm256_cvtepu8_epi16 (_mm_loadu_si128 \
        ((const void *) ((q) + 1))))
  const __m256i two = _mm256_set1_epi16 (2);
  __m256i top = PAIRS (r), bot;
  __m128i acc = _mm_setzero_si128 ();

  for (int y = 0; y < bh; y++, top = bot) {
    __m256i m;
    __m128i p;
    r += rs;
    bot = PAIRS (r);
    m = _mm256_srli_epi16 (_mm256_add_epi16 (_mm256_add_epi16 (top, bot),
            two), 2);
    p = _mm_packus_epi16 (_mm256_castsi256_si128 (m),
        _mm256_extracti128_si256 (m, 1));
    if (pred)
      _mm_storeu_si128 ((void *) (pred + y * 16), p);
    acc = _mm_add_epi64 (acc, _mm_sad_epu8 (p, _mm_loadu_si128 ((const void
                *) (b + y * 16))));
  }
#undef PAIRS
  return hsum64 (acc);
}

/* vae_tk_lerp4 on 16 lanes (8 used for k = 8) */
__attribute__ ((target ("avx2"))) static inline __m256i
lerp4_avx2 (__m256i a, __m256i b, int f)
{
  __m256i m = _mm256_avg_epu16 (a, b);
  return f == 0 ? a : f == 1 ? _mm256_avg_epu16 (a, m) : f == 2 ? m
      : _mm256_avg_epu16 (m, b);
}

/* blend_run_c 16 samples a step (k 8 or 16; cshift 1 or 2): the same
 * integer operations, so the same bits.  Averages stay below 2¹⁵ (255 ·
 * VAE_TK_ACC_ONE), so the unsigned means and the signed product agree. */
__attribute__ ((target ("avx2"))) static inline void
blend_run_avx2 (uint16_t *n, const uint8_t *s, int step,
    const uint16_t *row0, const uint16_t *row1, int fx, int fy,
    const int16_t *cells, int cshift, int k)
{
  const int o = fx > 0;
  __m128i c4 = _mm_loadl_epi64 ((const void *) cells), c8;
  __m256i a, in, p;

  _mm_prefetch ((const char *) (row0 + PF), _MM_HINT_T0);
  _mm_prefetch ((const char *) (row1 + PF), _MM_HINT_T0);
  /* the weights: 4 cells of 4 (luma) or of 2 samples (chroma) */
  c8 = _mm_unpacklo_epi16 (c4, c4);
  a = cshift == 2 ? _mm256_setr_m128i (_mm_unpacklo_epi32 (c8, c8),
      _mm_unpackhi_epi32 (c8, c8)) : _mm256_castsi128_si256 (c8);
  if (step == 1)
    in = _mm256_cvtepu8_epi16 (k == 16 ? _mm_loadu_si128 ((const void *) s)
        : _mm_loadl_epi64 ((const void *) s));
  else {
    __m128i v = _mm_setr_epi16 (s[0], s[step], s[2 * step], s[3 * step],
        s[4 * step], s[5 * step], s[6 * step], s[7 * step]);
    __m128i w = k == 16 ? _mm_setr_epi16 (s[8 * step], s[9 * step],
        s[10 * step], s[11 * step], s[12 * step], s[13 * step],
        s[14 * step], s[15 * step]) : _mm_setzero_si128 ();
    in = _mm256_setr_m128i (v, w);
  }
  in = _mm256_slli_epi16 (in, 6);
  _Static_assert (VAE_TK_ACC_ONE == 64, "the shift above");
#define LD(r) (k == 16 ? _mm256_loadu_si256 ((const void *) (r)) \
      : _mm256_castsi128_si256 (_mm_loadu_si128 ((const void *) (r))))
  p = lerp4_avx2 (LD (row0), LD (row0 + o), fx);
  if (fy > 0)
    p = lerp4_avx2 (p, lerp4_avx2 (LD (row1), LD (row1 + o), fx), fy);
#undef LD
  p = _mm256_add_epi16 (p, _mm256_mulhrs_epi16 (_mm256_sub_epi16 (in, p), a));
  if (k == 16)
    _mm256_storeu_si256 ((void *) n, p);
  else
    _mm_storeu_si128 ((void *) n, _mm256_castsi256_si128 (p));
}

/* vae_tk_blend_row with blend_run_avx2 inlined for whole runs */
__attribute__ ((target ("avx2"))) static void
blend_row_avx2 (const VaeTkBlendPlane *bp, int y, uint16_t *n,
    const uint8_t *s, int step, const int *vrow, const int16_t *arow)
{
  blend_row_with (blend_run_avx2, 1, bp, y, n, s, step, vrow, arow);
}

/* predict_q_c on 8 samples a row: the weighted sum is at most 16 · 255 */
static void
predict_q8_sse2 (const uint8_t *r, int rs, int fx, int fy, int h,
    uint8_t *pred)
{
  const __m128i z = _mm_setzero_si128 (), rnd = _mm_set1_epi16 (8);
  int dx = fx > 0, dy = fy > 0 ? rs : 0;
  __m128i w00 = _mm_set1_epi16 ((short) ((4 - fx) * (4 - fy)));
  __m128i w10 = _mm_set1_epi16 ((short) (fx * (4 - fy)));
  __m128i w01 = _mm_set1_epi16 ((short) ((4 - fx) * fy));
  __m128i w11 = _mm_set1_epi16 ((short) (fx * fy));
  for (int y = 0; y < h; y++, r += rs) {
    __m128i a = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) r), z);
    __m128i b = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) (r
                + dx)), z);
    __m128i c = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) (r
                + dy)), z);
    __m128i d = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) (r
                + dy + dx)), z);
    __m128i v = _mm_add_epi16 (_mm_add_epi16 (_mm_mullo_epi16 (a, w00),
            _mm_mullo_epi16 (b, w10)), _mm_add_epi16 (_mm_mullo_epi16 (c,
                w01), _mm_mullo_epi16 (d, w11)));
    v = _mm_srli_epi16 (_mm_add_epi16 (v, rnd), 4);
    _mm_storel_epi64 ((__m128i *) (pred + y * 16), _mm_packus_epi16 (v, v));
  }
}

/* mix_c on 8 bytes: o (256 - k) + p k + 128 fits 16 bits unsigned */
static void
mix8_sse2 (uint8_t *o, const uint8_t *p, const uint16_t *k)
{
  const __m128i z = _mm_setzero_si128 ();
  __m128i kv = _mm_loadu_si128 ((const __m128i *) k);
  __m128i ov = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) o), z);
  __m128i pv = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) p), z);
  __m128i v = _mm_add_epi16 (_mm_mullo_epi16 (ov, _mm_sub_epi16
          (_mm_set1_epi16 (256), kv)), _mm_mullo_epi16 (pv, kv));
  v = _mm_srli_epi16 (_mm_add_epi16 (v, _mm_set1_epi16 (128)), 8);
  _mm_storel_epi64 ((__m128i *) o, _mm_packus_epi16 (v, v));
}

/* and on 16 bytes */
__attribute__ ((target ("avx2"))) static void
mix16_avx2 (uint8_t *o, const uint8_t *p, const uint16_t *k)
{
  __m256i kv = _mm256_loadu_si256 ((const void *) k);
  __m256i ov = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const void *) o));
  __m256i pv = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const void *) p));
  __m256i v = _mm256_add_epi16 (_mm256_mullo_epi16 (ov, _mm256_sub_epi16
          (_mm256_set1_epi16 (256), kv)), _mm256_mullo_epi16 (pv, kv));
  v = _mm256_srli_epi16 (_mm256_add_epi16 (v, _mm256_set1_epi16 (128)), 8);
  _mm_storeu_si128 ((void *) o, _mm_packus_epi16 (_mm256_castsi256_si128
          (v), _mm256_extracti128_si256 (v, 1)));
}
#endif

/* sad_grid for 4 × 4 blocks at up to 9 columns and 8-wide blocks at up to
 * 8: mpsadbw sums a 4-byte group against 8 shifts of a row at once (16-bit
 * sums, exact: at most 8 rows of 8 · 255).  Each row of r is read 16
 * bytes from its start. */
__attribute__ ((target ("sse4.1"))) static void
sad_grid_sse41 (const uint8_t *b, int bs, const uint8_t *r, int rs, int w,
    int h, int nx, int ny, int *out)
{
  for (int j = 0; j < ny; j++) {
    __m128i lo = _mm_setzero_si128 (), hi = _mm_setzero_si128 ();
    uint16_t s[16];
    for (int y = 0; y < h; y++) {
      __m128i a = _mm_loadu_si128 ((const void *) (r + (size_t) (j + y)
              * rs));
      if (w == 4) {
        __m128i q = _mm_cvtsi32_si128 (load32 (b + (size_t) y * bs));
        lo = _mm_add_epi16 (lo, _mm_mpsadbw_epu8 (a, q, 0));  /* 0 .. 7 */
        hi = _mm_add_epi16 (hi, _mm_mpsadbw_epu8 (a, q, 4));  /* 4 .. 11 */
      } else {
        __m128i q = _mm_loadl_epi64 ((const void *) (b + (size_t) y * bs));
        /* bytes 0 .. 3 and 4 .. 7 of the block, each against 8 shifts */
        lo = _mm_add_epi16 (lo, _mm_add_epi16 (_mm_mpsadbw_epu8 (a, q, 0),
                _mm_mpsadbw_epu8 (a, q, 5)));
      }
    }
    _mm_storeu_si128 ((void *) s, lo);
    _mm_storeu_si128 ((void *) (s + 8), hi);
    for (int i = 0; i < nx; i++)
      out[j * nx + i] = i < 8 ? s[i] : s[i + 4];
  }
}

/* ------------------------------------------------------------ dispatch */

void
vae_tk_sad_grid (int sse2, const uint8_t *b, int bs, const uint8_t *r,
    int rs, int w, int h, int nx, int ny, int *out)
{
#ifdef __SSE2__
  if (sse2 >= 2 && ((w == 4 && h == 4 && nx <= 9) || (w == 8 && h <= 8
              && nx <= 8))) {
    sad_grid_sse41 (b, bs, r, rs, w, h, nx, ny, out);
    return;
  }
  if (sse2 && w == 4 && h == 4) {
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++)
        out[j * nx + i] = sad_sse2 (b, bs, r + (size_t) j * rs + i, rs, 4, 4);
    return;
  }
  if (sse2 && (w == 8 || w == 16)) {
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++)
        out[j * nx + i] = sad_sse2 (b, bs, r + (size_t) j * rs + i, rs, w, h);
    return;
  }
#else
  (void) sse2;
#endif
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++)
      out[j * nx + i] = sad_c (b, bs, r + (size_t) j * rs + i, rs, w, h);
}

int
vae_tk_sad (int sse2, const uint8_t *a, int as, const uint8_t *b, int bs,
    int w, int h)
{
#ifdef __SSE2__
  if (sse2) {
    int s = sad_sse2 (a, as, b, bs, w, h);
    if (s >= 0)
      return s;
  }
#else
  (void) sse2;
#endif
  return sad_c (a, as, b, bs, w, h);
}

void
vae_tk_cell_sums (int sse2, const uint8_t *a, const uint8_t *b, int cw,
    int ch, int *sad, int *ssd)
{
#ifdef __SSE2__
  if (sse2 && cw == 4) {
    cell_sums_sse2 (a, b, ch, sad, ssd);
    return;
  }
#else
  (void) sse2;
#endif
  cell_sums_c (a, b, cw, ch, sad, ssd);
}

void
vae_tk_halve (int sse2, const uint8_t *src, int ss, int w, int h,
    uint8_t *dst, int ds)
{
#ifdef __SSE2__
  if (sse2) {
    halve_sse2 (src, ss, w, h, dst, ds);
    return;
  }
#else
  (void) sse2;
#endif
  halve_c (src, ss, w, h, dst, ds);
}

void
vae_tk_predict (int sse2, const uint8_t *r, int rs, int fx, int fy, int bw,
    int bh, uint8_t *pred)
{
#ifdef __SSE2__
  if (sse2 && bw == 16) {
    predict_sse2 (r, rs, fx, fy, bh, pred);
    return;
  }
#else
  (void) sse2;
#endif
  predict_c (r, rs, fx, fy, bw, bh, pred);
}

int
vae_tk_sad_predict (int sse2, const uint8_t *b, const uint8_t *r, int rs,
    int fx, int fy, int bw, int bh, uint8_t *pred)
{
  uint8_t own[16 * 16];
#ifdef __SSE2__
  if (sse2 >= 2 && bw == 16 && fx && fy)
    return sad_predict4_avx2 (b, r, rs, bh, pred);
  if (sse2 && bw == 16)
    return sad_predict_sse2 (b, r, rs, fx, fy, bh, pred);
#else
  (void) sse2;
#endif
  if (pred == NULL)
    pred = own;
  predict_c (r, rs, fx, fy, bw, bh, pred);
  return sad_c (b, 16, pred, 16, bw, bh);
}

void
vae_tk_blend_run (int sse2, uint16_t *n, const uint8_t *s, int step,
    const uint16_t *row0, const uint16_t *row1, int fx, int fy,
    const int16_t *cells, int cshift, int k)
{
#ifdef __SSE2__
  if (sse2 >= 2 && ((k == 16 && cshift == 2) || (k == 8 && cshift == 1))) {
    blend_run_avx2 (n, s, step, row0, row1, fx, fy, cells, cshift, k);
    return;
  }
#else
  (void) sse2;
#endif
  blend_run_c (n, s, step, row0, row1, fx, fy, cells, cshift, k);
}

void
vae_tk_blend_row (int sse2, const VaeTkBlendPlane *bp, int y, uint16_t *n,
    const uint8_t *s, int step, const int *vrow, const int16_t *arow)
{
#ifdef __SSE2__
  /* the runs blend_run_avx2 takes: 16 samples in cells of 4, or 8 in
   * cells of 2 */
  int bs = bp->block >> bp->sx, cs = bp->cell >> bp->sx;
  if (sse2 >= 2 && ((bs == 16 && cs == 4) || (bs == 8 && cs == 2))) {
    blend_row_avx2 (bp, y, n, s, step, vrow, arow);
    return;
  }
#else
  (void) sse2;
#endif
  blend_row_c (bp, y, n, s, step, vrow, arow);
}

void
vae_tk_mix (int sse2, uint8_t *o, int step, const uint8_t *p,
    const uint16_t *k, int n)
{
  int x = 0;
#ifdef __SSE2__
  for (; sse2 >= 2 && step == 1 && x + 16 <= n; x += 16)
    mix16_avx2 (o + x, p + x, k + x);
  for (; sse2 && step == 1 && x + 8 <= n; x += 8)
    mix8_sse2 (o + x, p + x, k + x);
#else
  (void) sse2;
#endif
  mix_c (o + (size_t) x * step, step, p + x, k + x, n - x);
}

void
vae_tk_predict_q (int sse2, const uint8_t *r, int rs, int fx, int fy, int w,
    int h, uint8_t *pred)
{
#ifdef __SSE2__
  if (sse2 && (w == 8 || w == 16)) {
    for (int x = 0; x < w; x += 8)
      predict_q8_sse2 (r + x, rs, fx, fy, h, pred + x);
    return;
  }
#else
  (void) sse2;
#endif
  predict_q_c (r, rs, fx, fy, w, h, pred);
}
