/* The temporal stage (core/temporal.c) and the denoiser's level maps: a
 * still scene averages toward the closed form σ/√n, a moving one is
 * followed, an object leaves no ghost, a cut and a reset start afresh, the
 * bytes do not depend on the split into parts, odd sizes and NV12-style
 * chroma work; a level map of ones (of zeros) gives the plane's level
 * (level 0). */
#include "vae.h"
#include "vae_temporal.h"
#include "temporal_impl.h"       /* test_settle_refines () moves vectors */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define W 96
#define H 64
#define SIGMA 20.0f

/* A texture like a photo's: white noise blurred by a 3 × 3 box, 40 levels
 * around 128, repeating every TW × TH pixels; shifted by (ox, oy). */
#define TW 128
#define TH 96
static double tex[TH][TW];

static void
make_texture (void)
{
  static double wn[TH][TW];
  VaeRng r;
  vae_rng_seed (&r, 5);
  for (int y = 0; y < TH; y++)
    for (int x = 0; x < TW; x++)
      wn[y][x] = vae_rng_normal (&r);
  for (int y = 0; y < TH; y++)
    for (int x = 0; x < TW; x++) {
      double a = 0;
      for (int j = -1; j <= 1; j++)
        for (int i = -1; i <= 1; i++)
          a += wn[(y + j + TH) % TH][(x + i + TW) % TW];
      tex[y][x] = a / 3;
    }
}

static uint8_t
scene (int x, int y, int ox, int oy)
{
  double v = 128 + 40 * tex[(((y - oy) % TH) + TH) % TH][(((x - ox) % TW)
          + TW) % TW];
  return (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
}

static void
noisy (uint8_t *dst, const uint8_t *clean, int n, uint64_t seed, float s)
{
  VaeRng r;
  vae_rng_seed (&r, seed);
  for (int i = 0; i < n; i++) {
    float v = clean[i] + s * vae_rng_normal (&r);
    dst[i] = (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
  }
}

/* Mean squared error over the picture less a border of b pixels. */
static double
mse (const uint8_t *a, const uint8_t *b, int w, int h, int border)
{
  double s = 0;
  long n = 0;
  for (int y = border; y < h - border; y++)
    for (int x = border; x < w - border; x++, n++)
      s += ((double) a[y * w + x] - b[y * w + x])
          * ((double) a[y * w + x] - b[y * w + x]);
  return s / (double) n;
}

static VaePlane
plane (uint8_t *p, int w)
{
  VaePlane q = { p, w, 1 };
  return q;
}

static VaeTemporal *
new_t (int w, int h, int n, int sx, int sy)
{
  VaeError err;
  VaeTemporal *t = vae_temporal_new (w, h, n, sx, sy, &err);
  if (t == NULL) {
    printf ("vae_temporal_new: %s\n", err.msg);
    exit (1);
  }
  return t;
}

/* A still scene: frame n's average holds n frames (up to the cap), so its
 * error variance is near σ²/n and its level near 1/√n. */
static void
test_still (void)
{
  static uint8_t clean[W * H], in[W * H], out[W * H];
  VaeTemporal *t = new_t (W, H, 1, 0, 0);
  VaePlane s = plane (in, W), d = plane (out, W);
  double m = 0;

  for (int i = 0; i < W * H; i++)
    clean[i] = scene (i % W, i / W, 0, 0);
  for (int k = 0; k < 10; k++) {
    noisy (in, clean, W * H, 100 + k, SIGMA);
    vae_temporal_filter (t, &s, &d, SIGMA);
    CHECK (vae_temporal_fresh (t) == (k == 0), "frame %d fresh %d", k,
        vae_temporal_fresh (t));
  }
  m = mse (out, clean, W, H, 0);
  /* 10 frames: σ²/10 = 40, but cells that disagree by chance average less;
   * the input's error is σ² = 400 */
  CHECK (m < 1.5 * 400.0 / 10, "still: error %.1f after 10 frames, σ²/10 "
      "= %.1f", m, 400.0 / 10);
  CHECK (m > 400.0 / 12, "still: error %.1f below σ²/12: more than the "
      "frames averaged?", m);
  CHECK (fabsf (vae_temporal_mean_level (t) - 1.0f / sqrtf (10.0f)) < 0.08f,
      "still: level %.3f, 1/√10 = %.3f", vae_temporal_mean_level (t),
      1.0f / sqrtf (10.0f));
  /* a gain scales the levels */
  vae_temporal_set_level_gain (t, 2.0f);
  noisy (in, clean, W * H, 110, SIGMA);
  vae_temporal_filter (t, &s, &d, SIGMA);
  CHECK (fabsf (vae_temporal_mean_level (t) - 2.0f / sqrtf (11.0f)) < 0.16f,
      "gain 2: level %.3f, 2/√11 = %.3f", vae_temporal_mean_level (t),
      2.0f / sqrtf (11.0f));
  vae_temporal_set_level_gain (t, 1.0f);
  /* a reset: the next frame is the input */
  vae_temporal_reset (t);
  noisy (in, clean, W * H, 7, SIGMA);
  vae_temporal_filter (t, &s, &d, SIGMA);
  CHECK (memcmp (in, out, sizeof (in)) == 0 && vae_temporal_fresh (t),
      "after a reset the frame is taken as it is");
  /* a level below 0.5: the same */
  noisy (in, clean, W * H, 8, SIGMA);
  vae_temporal_filter (t, &s, &d, 0.0f);
  CHECK (memcmp (in, out, sizeof (in)) == 0 && vae_temporal_fresh (t),
      "level 0: the frame is taken as it is");
  vae_temporal_free (t);
}

/* A pan of (3, −2) pixels a frame: the blocks follow it, so the average
 * removes noise; without the motion it could not (it would reset or
 * smear). */
static void
test_pan (void)
{
  static uint8_t clean[W * H], in[W * H], out[W * H];
  VaeTemporal *t = new_t (W, H, 1, 0, 0);
  VaePlane s = plane (in, W), d = plane (out, W);
  double m;

  for (int k = 0; k < 8; k++) {
    for (int i = 0; i < W * H; i++)
      clean[i] = scene (i % W, i / W, 3 * k, -2 * k);
    noisy (in, clean, W * H, 200 + k, SIGMA);
    vae_temporal_filter (t, &s, &d, SIGMA);
  }
  /* the border of 16 holds the blocks whose match left the picture.  A
   * moving block's weight is at least 1/2, which leaves σ²/3 = 133 in the
   * steady state; cells next to the ones that came in fresh average less.
   * Without the motion the error stays near σ² = 400. */
  m = mse (out, clean, W, H, 16);
  CHECK (m < 400.0 / 2, "pan: error %.1f after 8 frames (input 400, "
      "steady state 133)", m);
  vae_temporal_free (t);
}

/* The same pan matched against a denoised reference (here the clean
 * frame, a perfect denoiser's) is followed as well; after a reset, with
 * no references given, the stage follows it on its own average again
 * (matching the stale reference instead would not). */
static void
test_pan_reference (void)
{
  static uint8_t clean[W * H], in[W * H], out[W * H];
  VaeTemporal *t = new_t (W, H, 1, 0, 0);
  VaePlane s = plane (in, W), d = plane (out, W), c = plane (clean, W);
  double m[2];

  for (int pass = 0; pass < 2; pass++) {
    vae_temporal_reset (t);
    for (int k = 0; k < 8; k++) {
      for (int i = 0; i < W * H; i++)
        clean[i] = scene (i % W, i / W, 3 * k + 40 * pass, -2 * k);
      noisy (in, clean, W * H, 300 + k, SIGMA);
      vae_temporal_filter (t, &s, &d, SIGMA);
      if (pass == 0)
        vae_temporal_set_reference (t, &c);
    }
    m[pass] = mse (out, clean, W, H, 16);
  }
  CHECK (m[0] < 400.0 / 2, "pan with references: error %.1f after 8 "
      "frames (input 400, steady state 133)", m[0]);
  CHECK (m[1] < 400.0 / 2, "pan after a reset, no references: error %.1f",
      m[1]);
  vae_temporal_free (t);
}

/* A bright square crossing a still scene: where it was, the output is the
 * scene again at once (no ghost); a cut to another scene is taken as it
 * is. */
static void
test_object_and_cut (void)
{
  static uint8_t clean[W * H], in[W * H], out[W * H];
  VaeTemporal *t = new_t (W, H, 1, 0, 0);
  VaePlane s = plane (in, W), d = plane (out, W);
  double ghost = 0;

  for (int k = 0; k < 8; k++) {
    int sx0 = 8 + 8 * k;        /* the square: 16 × 16 at (sx0, 24) */
    for (int i = 0; i < W * H; i++) {
      int x = i % W, y = i / W;
      clean[i] = x >= sx0 && x < sx0 + 16 && y >= 24 && y < 40 ? 250
          : scene (x, y, 0, 0) / 2;
    }
    noisy (in, clean, W * H, 300 + k, SIGMA);
    vae_temporal_filter (t, &s, &d, SIGMA);
    if (k == 7) {
      /* the 8 columns the square left this frame */
      for (int y = 24; y < 40; y++)
        for (int x = sx0 - 8; x < sx0; x++)
          ghost += (double) out[y * W + x] - clean[y * W + x];
      ghost /= 16 * 8;
    }
  }
  /* the square is 180 levels above the scene: a ghost of a tenth of it
   * would be 18 */
  CHECK (fabs (ghost) < 6.0, "object: mean error %.1f where it left", ghost);
  for (int i = 0; i < W * H; i++)
    clean[i] = (uint8_t) (255 - scene (i % W, i / W, 40, 17));
  noisy (in, clean, W * H, 400, SIGMA);
  vae_temporal_filter (t, &s, &d, SIGMA);
  CHECK (vae_temporal_fresh (t) && memcmp (in, out, sizeof (in)) == 0,
      "a cut is taken as it is");
  vae_temporal_free (t);
}

/* I420-like and NV12-like chroma of odd sizes, the work in parts of any
 * split: the same bytes as in one part. */
static void
test_parts_and_sizes (void)
{
  static const int sizes[][2] = { {1, 1}, {3, 5}, {17, 9}, {W + 5, H - 3} };
  for (size_t z = 0; z < sizeof (sizes) / sizeof (sizes[0]); z++) {
    int w = sizes[z][0], h = sizes[z][1], cw = (w + 1) / 2, ch = (h + 1) / 2;
    uint8_t *y = malloc ((size_t) w * h), *uv = malloc ((size_t) cw * ch * 2);
    uint8_t *o1 = malloc ((size_t) w * h + (size_t) cw * ch * 2);
    uint8_t *o2 = malloc ((size_t) w * h + (size_t) cw * ch * 2);
    VaeTemporal *a = new_t (w, h, 3, 1, 1), *b = new_t (w, h, 3, 1, 1);
    /* NV12: U and V interleaved, step 2 */
    VaePlane src[3] = { {y, w, 1}, {uv, 2 * cw, 2}, {uv + 1, 2 * cw, 2} };
    VaePlane d1[3] = { {o1, w, 1}, {o1 + w * h, cw, 1},
    {o1 + w * h + cw * ch, cw, 1}
    };
    VaePlane d2[3] = { {o2, w, 1}, {o2 + w * h, cw, 1},
    {o2 + w * h + cw * ch, cw, 1}
    };
    int n = vae_temporal_rows (a), same = 1, in_range = 1;

    for (int k = 0; k < 4; k++) {
      VaeRng r;
      vae_rng_seed (&r, 500 + k);
      for (int i = 0; i < w * h; i++)
        y[i] = (uint8_t) (scene (i % w + k, i / w, 0, 0) / 2 + 60
            + 10 * vae_rng_normal (&r));
      for (int i = 0; i < cw * ch * 2; i++)
        uv[i] = (uint8_t) (128 + (i & 1 ? 20 : -20) + 5 * vae_rng_normal (&r));
      vae_temporal_filter (a, src, d1, 10.0f);
      vae_temporal_match (b, src, 10.0f, 0, n / 3);
      vae_temporal_match (b, src, 10.0f, n / 3, n);
      vae_temporal_blend (b, src, d2, 0, n / 2);
      vae_temporal_blend (b, src, d2, n / 2, n);
      vae_temporal_done (b);
      same &= memcmp (o1, o2, (size_t) w * h + (size_t) cw * ch * 2) == 0;
      if (k == 0) {
        /* the first frame is the input, NV12's chroma taken apart */
        in_range &= memcmp (o1, y, (size_t) w * h) == 0;
        for (int i = 0; i < cw * ch; i++)
          in_range &= o1[w * h + i] == uv[2 * i]
              && o1[w * h + cw * ch + i] == uv[2 * i + 1];
      }
    }
    CHECK (same, "%dx%d: parts differ from one call", w, h);
    CHECK (in_range, "%dx%d: the first frame is not the input", w, h);
    vae_temporal_free (a);
    vae_temporal_free (b);
    free (y);
    free (uv);
    free (o1);
    free (o2);
  }
}

static void
test_bad_args (void)
{
  VaeError err;
  CHECK (vae_temporal_new (0, 5, 1, 0, 0, &err) == NULL
      && err.status == VAE_ERR_ARG, "0×5 refused");
  CHECK (vae_temporal_new (5, 5, 2, 0, 0, &err) == NULL, "2 planes refused");
  CHECK (vae_temporal_new (5, 5, 3, 2, 0, &err) == NULL, "shift 2 refused");
}

/* ------------------------------------------------------------ level maps */

static VaeModel *
make_dae (uint64_t seed)
{
  VaeError err;
  VaeConfig c = vae_config_default ();
  VaeModel *m;
  c.kind = VAE_KIND_DAE;
  c.img_w = c.img_h = 8;
  c.n_in = 64;
  c.n_enc = 1;
  c.enc[0] = 48;
  c.n_latent = 32;
  c.n_dec = 1;
  c.dec[0] = 48;
  c.act = VAE_ACT_RELU;
  c.code_act = VAE_ACT_RELU;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_max = 50.0f / 255;
  c.residual = 1;
  c.noise_input = 1;
  c.norm_mean = 0.45f;
  c.norm_scale = 0.25f;
  m = vae_model_new (&c, seed, &err);
  if (m == NULL) {
    printf ("vae_model_new: %s\n", err.msg);
    exit (1);
  }
  /* a level weight large enough to matter */
  {
    int ni, no;
    float *w;
    vae_model_layer (m, 0, &ni, &no, NULL, &w, NULL, NULL, NULL);
    for (int j = 0; j < no; j++)
      w[(size_t) j * ni + 64] = (j & 1) ? 2.0f : -2.0f;
  }
  return m;
}

static int
max_diff (const uint8_t *a, const uint8_t *b, int n)
{
  int d = 0;
  for (int i = 0; i < n; i++)
    d = abs (a[i] - b[i]) > d ? abs (a[i] - b[i]) : d;
  return d;
}

/* Maps of ones give the plane's level, of zeros level 0, in every
 * precision the CPU has (int8 on the model quantized). */
static void
test_level_map (void)
{
  static const VaePrecision precs[] = { VAE_PRECISION_FP32,
    VAE_PRECISION_BF16, VAE_PRECISION_INT8
  };
  static uint8_t in[W * H], a[W * H], b[W * H];
  static float ones[(W / 4) * (H / 4)], zeros[(W / 4) * (H / 4)];
  VaeModel *m = make_dae (3);
  VaeRng r;
  VaeError qerr;

  vae_rng_seed (&r, 9);
  for (int i = 0; i < W * H; i++)
    in[i] = (uint8_t) (scene (i % W, i / W, 0, 0) + 20 * vae_rng_uniform (&r));
  for (int i = 0; i < (W / 4) * (H / 4); i++)
    ones[i] = 1.0f;
  {
    /* calibration: 512 patches of the picture at levels 0 to 50 */
    enum { N = 512 };
    static float x[N * 64], lv[N];
    for (int k = 0; k < N; k++) {
      int px = (k * 7) % (W - 8), py = (k * 5) % (H - 8);
      for (int i = 0; i < 64; i++)
        x[k * 64 + i] = in[(py + i / 8) * W + px + i % 8] / 255.0f;
      lv[k] = 50.0f * vae_rng_uniform (&r);
    }
    CHECK (vae_model_quantize (m, x, lv, N, NULL, &qerr) == VAE_OK,
        "quantize: %s", qerr.msg);
  }
  for (size_t p = 0; p < sizeof (precs) / sizeof (precs[0]); p++) {
    VaeDenoiseOpts o = vae_denoise_opts_default ();
    VaeError err;
    VaeDenoiser *d;
    int k;
    if (precs[p] == VAE_PRECISION_BF16 && !vae_bf16_supported ())
      continue;
    o.precision = precs[p];
    d = vae_denoiser_new (m, W, H, &o, &err);
    CHECK (d != NULL, "denoiser: %s", d ? "" : err.msg);
    if (d == NULL)
      continue;
    vae_denoiser_run_u8 (d, in, W, a, W, W, H, 0, H, 30.0f);
    CHECK (vae_denoiser_set_level_map (d, ones, W / 4, H / 4, 4, 4)
        == VAE_OK, "set a map");
    vae_denoiser_run_u8 (d, in, W, b, W, W, H, 0, H, 30.0f);
    k = max_diff (a, b, W * H);
    CHECK (k <= 1, "precision %d: a map of ones differs by %d levels",
        (int) precs[p], k);
    vae_denoiser_set_level_map (d, NULL, 0, 0, 0, 0);
    vae_denoiser_run_u8 (d, in, W, a, W, W, H, 0, H, 0.0f);
    vae_denoiser_set_level_map (d, zeros, W / 4, H / 4, 4, 4);
    vae_denoiser_run_u8 (d, in, W, b, W, W, H, 0, H, 30.0f);
    k = max_diff (a, b, W * H);
    CHECK (k <= 1, "precision %d: a map of zeros differs from level 0 by %d",
        (int) precs[p], k);
    /* and the level does act: level 30 against level 0 */
    vae_denoiser_set_level_map (d, NULL, 0, 0, 0, 0);
    vae_denoiser_run_u8 (d, in, W, b, W, W, H, 0, H, 30.0f);
    CHECK (max_diff (a, b, W * H) > 2, "the level input changes nothing");
    CHECK (vae_denoiser_set_level_map (d, ones, 0, 1, 4, 4) == VAE_ERR_ARG,
        "an empty map refused");
    vae_denoiser_free (d);
  }
  vae_model_free (m);
}

/* Settling a denoiser's output (here the clean frame plus a little noise
 * of its own) on a pan of I420 frames: the error of the output, luma and
 * chroma, changes less from frame to frame along the motion, and is
 * smaller; the bytes do not depend on the split into parts; on a cut and
 * after a reset the output stays as it is. */
#define CW (W / 2)
#define CH (H / 2)
#define FRAME (W * H + 2 * CW * CH)

static void
pan_frame (uint8_t *f, int k)
{
  for (int i = 0; i < W * H; i++)
    f[i] = scene (i % W, i / W, 4 * k, -2 * k);
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < CW * CH; i++)
      f[W * H + c * CW * CH + i] = (uint8_t) (64 + c * 64
          + scene (i % CW + 50 * c, i / CW, 2 * k, -k) / 2);
}

static void
planes (uint8_t *f, VaePlane *p)
{
  p[0] = plane (f, W);
  p[1] = plane (f + W * H, CW);
  p[2] = plane (f + W * H + CW * CH, CW);
}

/* The sums over the frame less a border of 16 luma pixels (8 chroma) of
 * |error - error a frame ago, along the pan| (fl) and error² (sq), luma
 * [0] and chroma [1]. */
static void
settle_sums (const int *e, const int *ep, double fl[2], double sq[2])
{
  for (int i = 0; i < FRAME; i++) {
    int c = i >= W * H, j = c ? (i - W * H) % (CW * CH) : i;
    int w = c ? CW : W, h = c ? CH : H, b = c ? 8 : 16;
    int x = j % w, y = j / w, dx = c ? 2 : 4, dy = c ? 1 : 2;
    if (x < b || x >= w - b || y < b || y >= h - b)
      continue;
    fl[c] += abs (e[i] - ep[i + dy * w - dx]);
    sq[c] += (double) e[i] * e[i];
  }
}

static void
test_settle (void)
{
  static uint8_t clean[FRAME], in[FRAME], avg[FRAME], out[2][FRAME];
  static int e[2][2][FRAME];    /* [raw, settled][frame parity] errors */
  VaeTemporal *t[2] = { new_t (W, H, 3, 1, 1), new_t (W, H, 3, 1, 1) };
  VaePlane s[3], d[3], o[2][3];
  double fl[2][2] = { {0} }, sq[2][2] = { {0} };

  planes (in, s);
  planes (avg, d);
  planes (out[0], o[0]);
  planes (out[1], o[1]);
  for (int k = 0; k < 10; k++) {
    pan_frame (clean, k);
    noisy (in, clean, FRAME, 500 + k, SIGMA);
    for (int j = 0; j < 2; j++) {
      int parts = j ? 3 : 1, rows = vae_temporal_rows (t[j]);
      vae_temporal_filter (t[j], s, d, SIGMA);
      noisy (out[j], clean, FRAME, 600 + k, 2.0f);
      for (int i = 0; i < FRAME && j == 0; i++)
        e[0][k & 1][i] = out[j][i] - clean[i];
      for (int p = 0; p < parts; p++)
        vae_temporal_settle (t[j], o[j], 3, rows * p / parts, rows * (p + 1)
            / parts);
      vae_temporal_settle_done (t[j]);
    }
    CHECK (memcmp (out[0], out[1], FRAME) == 0, "settle: frame %d's bytes "
        "depend on the split", k);
    for (int i = 0; i < FRAME; i++)
      e[1][k & 1][i] = out[0][i] - clean[i];
    for (int j = 0; k >= 4 && j < 2; j++)
      settle_sums (e[j][k & 1], e[j][!(k & 1)], fl[j], sq[j]);
  }
  /* with weight 1/2 throughout, the error's variance is a third of the
   * output's, and the change a frame's a little over a third */
  for (int c = 0; c < 2; c++) {
    CHECK (fl[1][c] < 0.7 * fl[0][c], "settle: the %s error changes by "
        "%.0f a frame settled, %.0f not", c ? "chroma" : "luma", fl[1][c],
        fl[0][c]);
    CHECK (sq[1][c] < 0.7 * sq[0][c], "settle: %s squared error %.0f "
        "settled, %.0f not", c ? "chroma" : "luma", sq[1][c], sq[0][c]);
  }
  /* a cut, then a reset: nothing to settle on */
  for (int j = 0; j < 2; j++) {
    for (int i = 0; i < FRAME; i++)
      clean[i] = (uint8_t) (255 - clean[(i * 7) % FRAME]);
    noisy (in, clean, FRAME, 700 + j, SIGMA);
    if (j == 1)
      vae_temporal_reset (t[0]);
    vae_temporal_filter (t[0], s, d, SIGMA);
    noisy (out[0], clean, FRAME, 800 + j, 2.0f);
    memcpy (out[1], out[0], FRAME);
    vae_temporal_settle (t[0], o[0], 3, 0, vae_temporal_rows (t[0]));
    vae_temporal_settle_done (t[0]);
    CHECK (memcmp (out[0], out[1], FRAME) == 0, "settle: the output moved "
        "%s", j ? "after a reset" : "on a cut");
  }
  vae_temporal_free (t[0]);
  vae_temporal_free (t[1]);
}

/* The settle refines each block's vector for the luma against the last
 * output: with every vector half a pixel off after the match, as the noisy
 * match may leave them, the settled luma's error stays that of the
 * matched vectors (without the refinement it more than doubles). */
static void
test_settle_refines (void)
{
  static uint8_t clean[FRAME], in[FRAME], avg[FRAME], out[FRAME];
  VaeTemporal *t[2] = { new_t (W, H, 3, 1, 1), new_t (W, H, 3, 1, 1) };
  VaePlane s[3], d[3], o[3];
  double sq[2] = { 0.0, 0.0 };

  planes (in, s);
  planes (avg, d);
  planes (out, o);
  for (int k = 0; k < 10; k++) {
    pan_frame (clean, k);
    noisy (in, clean, FRAME, 900 + k, SIGMA);
    for (int j = 0; j < 2; j++) {
      vae_temporal_filter (t[j], s, d, SIGMA);
      for (int b = 0; j == 1 && b < t[j]->bw * t[j]->bh; b++)
        t[j]->mv_last[2 * b] += 1;
      noisy (out, clean, FRAME, 950 + k, 2.0f);
      vae_temporal_settle (t[j], o, 3, 0, vae_temporal_rows (t[j]));
      vae_temporal_settle_done (t[j]);
      for (int y = 16; k >= 4 && y < H - 16; y++)
        for (int x = 16; x < W - 16; x++) {
          int e = out[y * W + x] - clean[y * W + x];
          sq[j] += (double) e * e;
        }
    }
  }
  CHECK (sq[1] < 1.1 * sq[0], "settle: vectors half a pixel off give "
      "squared error %.0f, the matched ones %.0f", sq[1], sq[0]);
  vae_temporal_free (t[0]);
  vae_temporal_free (t[1]);
}

int
main (void)
{
  make_texture ();
  test_still ();
  test_pan ();
  test_pan_reference ();
  test_settle ();
  test_settle_refines ();
  test_object_and_cut ();
  test_parts_and_sizes ();
  test_bad_args ();
  test_level_map ();
  if (failures == 0)
    printf ("temporal: all passed\n");
  return failures != 0;
}
