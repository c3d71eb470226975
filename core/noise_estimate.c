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

/* A block's sums: of the mask's squared responses, of the pixels under
 * its centres, and whether one of those is clipped (0 or 255). */
typedef struct {
  uint32_t ss;                  /* at most 64 · 2040² */
  int sum, clipped;
} EstBlock;

/* The first row of block row by, and the column of block bx's first
 * pixel: the mask's centres are at odd rows and columns. */
static const uint8_t *
est_at (const uint8_t *src, int stride, int bx, int by)
{
  return src + (size_t) (2 * by * EST_BLOCK) * stride + 2 * bx * EST_BLOCK;
}

static EstBlock
est_block_c (const uint8_t *src, int stride, int bx, int by)
{
  EstBlock b = { 0, 0, 0 };
  const uint8_t *a = est_at (src, stride, bx, by);

  for (int j = 0; j < EST_BLOCK; j++, a += 2 * (size_t) stride) {
    const uint8_t *c = a + stride, *e = c + stride;
    for (int x = 1; x < 2 * EST_BLOCK; x += 2) {
      int r = a[x - 1] - 2 * a[x] + a[x + 1] - 2 * c[x - 1] + 4 * c[x]
          - 2 * c[x + 1] + e[x - 1] - 2 * e[x] + e[x + 1];
      b.ss += (uint32_t) (r * r);
      b.clipped |= c[x] == 0 || c[x] == 255;
      b.sum += c[x];
    }
  }
  return b;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define EST_X86 1
#include <immintrin.h>

/* One row of the mask's horizontal pass, for 16 centres 2 pixels apart
 * from r + 1: r[x − 1] − 2 r[x] + r[x + 1], in 16 bits; the centres
 * themselves to *mid.  Reads r[0 … 32]. */
__attribute__ ((target ("avx2"))) static inline __m256i
est_row_avx2 (const uint8_t *r, __m256i *mid)
{
  const __m256i lo = _mm256_set1_epi16 (0xff);
  __m256i l0 = _mm256_loadu_si256 ((const void *) r);
  __m256i l1 = _mm256_loadu_si256 ((const void *) (r + 1));
  __m256i left = _mm256_and_si256 (l0, lo), right = _mm256_srli_epi16 (l1, 8);
  *mid = _mm256_srli_epi16 (l0, 8);
  return _mm256_sub_epi16 (_mm256_add_epi16 (left, right),
      _mm256_slli_epi16 (*mid, 1));
}

/* est_block_c for blocks bx and bx + 1 at once: the same integer sums.
 * The responses fit 16 bits (|r| ≤ 8 · 255), their squares' pairwise
 * sums 32. */
__attribute__ ((target ("avx2"))) static void
est_pair_avx2 (const uint8_t *src, int stride, int bx, int by, EstBlock b[2])
{
  const __m256i zero = _mm256_setzero_si256 (), white = _mm256_set1_epi16
      (255);
  __m256i ss = zero, sum = zero, clip = zero, mid, unused;
  const uint8_t *a = est_at (src, stride, bx, by);

  for (int j = 0; j < EST_BLOCK; j++, a += 2 * (size_t) stride) {
    __m256i ha = est_row_avx2 (a, &unused);
    __m256i hc = est_row_avx2 (a + stride, &mid);
    __m256i he = est_row_avx2 (a + 2 * (size_t) stride, &unused);
    __m256i r = _mm256_sub_epi16 (_mm256_add_epi16 (ha, he),
        _mm256_slli_epi16 (hc, 1));
    ss = _mm256_add_epi32 (ss, _mm256_madd_epi16 (r, r));
    sum = _mm256_add_epi16 (sum, mid);
    clip = _mm256_or_si256 (clip, _mm256_or_si256 (_mm256_cmpeq_epi16 (mid,
                zero), _mm256_cmpeq_epi16 (mid, white)));
  }
  /* each half of the registers is one block */
  sum = _mm256_madd_epi16 (sum, _mm256_set1_epi16 (1));
  for (int k = 0; k < 2; k++) {
    __m128i s = k ? _mm256_extracti128_si256 (ss, 1)
        : _mm256_castsi256_si128 (ss);
    __m128i m = k ? _mm256_extracti128_si256 (sum, 1)
        : _mm256_castsi256_si128 (sum);
    __m128i c = k ? _mm256_extracti128_si256 (clip, 1)
        : _mm256_castsi256_si128 (clip);
    s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, 0x4e));
    s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, 0xb1));
    m = _mm_add_epi32 (m, _mm_shuffle_epi32 (m, 0x4e));
    m = _mm_add_epi32 (m, _mm_shuffle_epi32 (m, 0xb1));
    b[k].ss = (uint32_t) _mm_cvtsi128_si32 (s);
    b[k].sum = _mm_cvtsi128_si32 (m);
    b[k].clipped = _mm_movemask_epi8 (c) != 0;
  }
}
#endif

/* Block b into the histogram of block RMS if it counts: 1 if so. */
static int
est_count (uint32_t *hist, const EstBlock *b)
{
  double rms;

  if (b->clipped || b->sum <= EST_MARGIN * EST_BLOCK * EST_BLOCK
      || b->sum >= (255 - EST_MARGIN) * EST_BLOCK * EST_BLOCK)
    return 0;
  /* the mask's gain on white noise is 6 */
  rms = sqrt ((double) b->ss / (EST_BLOCK * EST_BLOCK)) / 6.0;
  hist[(int) fmin (rms * EST_STEP, EST_BINS - 1)]++;
  return 1;
}

float
vae_estimate_noise_u8_isa (const uint8_t *src, int stride, int w, int h,
    int avx2)
{
  int nx = (w - 1) / 2 / EST_BLOCK, ny = (h - 1) / 2 / EST_BLOCK;
  uint32_t hist[EST_BINS];
  uint64_t n = 0, want, cum = 0;

  if (nx * ny < EST_MIN_BLOCKS)
    return vae_estimate_noise_haar_u8 (src, stride, w, h);
  memset (hist, 0, sizeof hist);
  for (int by = 0; by < ny; by++)
    for (int bx = 0; bx < nx;) {
      EstBlock b[2];
      int k = 1;
#ifdef EST_X86
      /* a pair reads 4 EST_BLOCK + 1 columns: inside the plane */
      if (avx2 && bx + 1 < nx) {
        est_pair_avx2 (src, stride, bx, by, b);
        k = 2;
      } else
#endif
        b[0] = est_block_c (src, stride, bx, by);
      for (int i = 0; i < k; i++)
        n += est_count (hist, &b[i]);
      bx += k;
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

float
vae_estimate_noise_u8 (const uint8_t *src, int stride, int w, int h)
{
  return vae_estimate_noise_u8_isa (src, stride, w, h,
      vae_cpu_simd () >= 2);
}
