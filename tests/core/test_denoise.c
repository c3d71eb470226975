/* The patch denoiser: odd sizes, bands, strides, an exact identity, the
 * noise estimator, argument errors, and (when the shipped model exists) a
 * real PSNR gain on a Set12 image. */
#include "vae.h"
#include "vae_data.h"
#include "vae_private.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* An 8×8 residual, noise-conditional DAE with small random weights (or
 * all-zero ones), normalised like the shipped denoisers. */
/* the arithmetic under test: each test runs once per precision */
static VaePrecision prec = VAE_PRECISION_FP32;

static VaeModel *
make_dae (int zero, int residual, uint64_t seed)
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
  c.noise_min = 0.0f;
  c.noise_max = 50.0f / 255;
  c.residual = residual;
  c.noise_input = residual;
  c.norm_mean = 0.45f;
  c.norm_scale = 0.25f;
  m = vae_model_new (&c, seed, &err);
  if (m == NULL) {
    printf ("vae_model_new: %s\n", err.msg);
    exit (1);
  }
  if (zero) {
    memset (vae_model_params (m), 0, vae_model_n_params (m) * sizeof (float));
  } else {
    VaeRng r;
    vae_rng_seed (&r, seed);
    for (int l = 0; l < vae_model_n_layers (m); l++) {
      int no;
      float *b;
      vae_model_layer (m, l, NULL, &no, NULL, NULL, &b, NULL, NULL);
      for (int j = 0; j < no; j++)
        b[j] = 0.1f * (vae_rng_uniform (&r) - 0.5f);
    }
  }
  return m;
}

/* A textured test plane: gradients, a disc, noise. */
static uint8_t *
make_plane (int w, int h, int stride, uint64_t seed)
{
  uint8_t *p = malloc ((size_t) stride * h);
  VaeRng r;
  vae_rng_seed (&r, seed);
  memset (p, 0xAA, (size_t) stride * h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float v = 40 + 150.0f * x / (w > 1 ? w - 1 : 1)
          + ((x - w / 2) * (x - w / 2) + (y - h / 3) * (y - h / 3)
              < (w * w) / 16 ? 50 : 0) + 12 * vae_rng_normal (&r);
      p[(size_t) y * stride + x] = (uint8_t) fminf (fmaxf (v, 0), 255);
    }
  return p;
}

static int
padding_intact (const uint8_t *p, int w, int h, int stride)
{
  for (int y = 0; y < h; y++)
    for (int x = w; x < stride; x++)
      if (p[(size_t) y * stride + x] != 0xAA)
        return 0;
  return 1;
}

static void
test_sizes (void)
{
  static const int sizes[][2] = { { 1, 1 }, { 3, 5 }, { 7, 7 }, { 8, 8 },
    { 33, 17 }, { 200, 150 }, { 1, 40 }, { 40, 1 }, { 9, 8 } };
  VaeModel *m = make_dae (0, 1, 7);
  VaeError err;

  printf ("sizes, bands, strides (random 8x8 residual DAE):\n");
  for (int win = 0; win < 2; win++)
    for (int bs = 0; bs < 2; bs++)
      for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        VaeDenoiseOpts o = vae_denoise_opts_default ();
  o.precision = prec;
    o.precision = prec;
        VaeDenoiser *d, *d2;
        uint8_t *src = make_plane (w, h, w, 100 + s);
        uint8_t *full = malloc ((size_t) w * h), *band = malloc ((size_t) w * h);
        float *fsrc = malloc (sizeof (float) * w * h);
        float *fout = malloc (sizeof (float) * w * h);
        int rc, finite = 1, f_vs_u8 = 0, same_bands, same_strided;
        const char *what = win ? "gauss" : "flat";

        o.window = win ? VAE_WINDOW_GAUSS : VAE_WINDOW_FLAT;
        o.batch = bs ? 7 : 2048;  /* a batch of 7 splits flushes oddly */
        d = vae_denoiser_new (m, w, h, &o, &err);
        d2 = vae_denoiser_new (m, w, h, &o, &err);
        CHECK (d && d2, "%dx%d: vae_denoiser_new: %s", w, h, err.msg);
        if (!d || !d2)
          continue;
        memset (full, 0, (size_t) w * h);
        rc = vae_denoiser_run_u8 (d, src, w, full, w, w, h, 0, h, 25.0f);
        CHECK (rc == VAE_OK, "%dx%d: run_u8 status %d", w, h, rc);
        if (w * h >= 1000) {
          /* the comparisons below mean something only if the output is
           * neither the input nor saturated */
          int changed = 0, mid = 0;
          for (int i = 0; i < w * h; i++) {
            changed += full[i] != src[i];
            mid += full[i] > 0 && full[i] < 255;
          }
          CHECK (changed > w * h / 2 && mid > w * h * 9 / 10,
              "%dx%d: trivial output (%d changed, %d unsaturated)", w, h,
              changed, mid);
        }

        /* float path: finite, and the u8 path is its rounding */
        for (int i = 0; i < w * h; i++)
          fsrc[i] = src[i] / 255.0f;
        rc = vae_denoiser_run_f32 (d, fsrc, w, fout, w, w, h, 0, h, 25.0f);
        CHECK (rc == VAE_OK, "%dx%d: run_f32 status %d", w, h, rc);
        for (int i = 0; i < w * h; i++) {
          float v = fminf (fmaxf (fout[i] * 255.0f, 0.0f), 255.0f);
          if (!isfinite (fout[i]))
            finite = 0;
          else if (fabsf (v - full[i]) > 0.51f)
            f_vs_u8++;
        }
        CHECK (finite, "%dx%d: non-finite float output", w, h);
        CHECK (f_vs_u8 == 0, "%dx%d: %d u8 pixels are not the rounded float "
            "output", w, h, f_vs_u8);

        /* bands [0, h/3), [h/3, h) and three uneven ones, on two
         * denoisers as two threads would */
        memset (band, 0x55, (size_t) w * h);
        if (h / 3 > 0)
          vae_denoiser_run_u8 (d2, src, w, band, w, w, h, 0, h / 3, 25.0f);
        vae_denoiser_run_u8 (d, src, w, band, w, w, h, h / 3, h, 25.0f);
        same_bands = memcmp (band, full, (size_t) w * h) == 0;
        if (h >= 3) {
          int a = 1 + h / 5, b = a + 1 + h / 2 > h - 1 ? h - 1 : a + 1 + h / 2;
          memset (band, 0x55, (size_t) w * h);
          vae_denoiser_run_u8 (d, src, w, band, w, w, h, 0, a, 25.0f);
          vae_denoiser_run_u8 (d2, src, w, band, w, w, h, b, h, 25.0f);
          vae_denoiser_run_u8 (d, src, w, band, w, w, h, a, b, 25.0f);
          same_bands &= memcmp (band, full, (size_t) w * h) == 0;
        }
        /* one band per row */
        memset (band, 0x55, (size_t) w * h);
        for (int y = h - 1; y >= 0; y--)
          vae_denoiser_run_u8 (d2, src, w, band, w, w, h, y, y + 1, 25.0f);
        same_bands &= memcmp (band, full, (size_t) w * h) == 0;
        CHECK (same_bands, "%dx%d %s batch %d: bands differ from one pass",
            w, h, what, o.batch);

        /* strided source and destination */
        {
          int ss = w + 7, ds = w + 5;
          uint8_t *ssrc = make_plane (w, h, ss, 100 + s);
          uint8_t *sdst = malloc ((size_t) ds * h);
          memset (sdst, 0xAA, (size_t) ds * h);
          vae_denoiser_run_u8 (d, ssrc, ss, sdst, ds, w, h, 0, h, 25.0f);
          same_strided = padding_intact (sdst, w, h, ds);
          for (int y = 0; y < h; y++)
            same_strided &= memcmp (sdst + (size_t) y * ds,
                full + (size_t) y * w, w) == 0;
          CHECK (same_strided, "%dx%d: strided result differs or padding "
              "written", w, h);
          free (ssrc);
          free (sdst);
        }
        if (bs == 0)
          printf ("  %3dx%-3d %-5s  ok (bands %s, strides %s)\n", w, h, what,
              same_bands ? "exact" : "DIFFER", same_strided ? "exact"
              : "DIFFER");
        vae_denoiser_free (d);
        vae_denoiser_free (d2);
        free (src);
        free (full);
        free (band);
        free (fsrc);
        free (fout);
      }
  /* a plane smaller than the denoiser was made for */
  {
    VaeDenoiser *d = vae_denoiser_new (m, 64, 64, NULL, &err);
    VaeDenoiser *d2 = vae_denoiser_new (m, 20, 10, NULL, &err);
    uint8_t *src = make_plane (20, 10, 20, 5);
    uint8_t a[200], b[200];
    vae_denoiser_run_u8 (d, src, 20, a, 20, 20, 10, 0, 10, 15.0f);
    vae_denoiser_run_u8 (d2, src, 20, b, 20, 20, 10, 0, 10, 15.0f);
    CHECK (memcmp (a, b, 200) == 0, "a larger denoiser gives another result");
    vae_denoiser_free (d);
    vae_denoiser_free (d2);
    free (src);
  }
  vae_model_free (m);
}

/* A residual DAE that predicts zero noise returns its input exactly. */
static void
test_identity (void)
{
  VaeModel *m = make_dae (1, 1, 3);
  VaeError err;
  const int w = 77, h = 45;
  uint8_t *src = make_plane (w, h, w, 9), *dst = malloc ((size_t) w * h);
  for (int i = 0; i < 256 && i < w * h; i++)
    src[i] = (uint8_t) i;       /* every value once */
  for (int win = 0; win < 2; win++) {
    VaeDenoiseOpts o = vae_denoise_opts_default ();
  o.precision = prec;
    o.precision = prec;
    VaeDenoiser *d;
    int diff = 0;
    o.window = win ? VAE_WINDOW_GAUSS : VAE_WINDOW_FLAT;
    o.stride = win ? 3 : 0;
    d = vae_denoiser_new (m, w, h, &o, &err);
    vae_denoiser_run_u8 (d, src, w, dst, w, w, h, 0, h, 25.0f);
    for (int i = 0; i < w * h; i++)
      diff += dst[i] != src[i];
    printf ("identity (zero residual, %s window): %d of %d pixels changed\n",
        win ? "gauss" : "flat", diff, w * h);
    CHECK (diff == 0, "the identity denoiser changed %d pixels", diff);
    vae_denoiser_free (d);
  }
  free (src);
  free (dst);
  vae_model_free (m);
}

static void
test_estimate (void)
{
  const int w = 512, h = 512;
  uint8_t *p = malloc ((size_t) w * h);
  static const float sigmas[] = { 5.0f, 10.0f, 25.0f };
  VaeRng r;

  memset (p, 128, (size_t) w * h);
  CHECK (vae_estimate_noise_u8 (p, w, w, h) == 0.0f,
      "a flat plane has noise %g", vae_estimate_noise_u8 (p, w, w, h));
  CHECK (vae_estimate_noise_u8 (p, w, 1, 1) == 0.0f, "1x1 plane");
  for (int k = 0; k < 3; k++) {
    float est;
    memset (p, 128, (size_t) w * h);
    vae_rng_seed (&r, 40 + k);
    vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, sigmas[k], p, w, w, h, &r);
    est = vae_estimate_noise_u8 (p, w, w, h);
    printf ("noise estimate on flat grey + sigma %.0f: %.2f (%+.1f%%)\n",
        sigmas[k], est, 100 * (est / sigmas[k] - 1));
    CHECK (fabsf (est / sigmas[k] - 1) < 0.10f,
        "sigma %g estimated as %g", sigmas[k], est);
  }
  /* smooth structure (a ramp and a slow wave) and clipped areas (a black
   * band) are not noise: σ 10 within 5% */
  for (int k = 0; k < 2; k++) {
    float est;
    vae_rng_seed (&r, 50 + k);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float v = 40.0f + 0.3f * x + 30.0f * sinf (0.05f * x + 0.03f * y)
            + 10.0f * vae_rng_normal (&r);
        if (k == 1 && y < h / 3)
          v = 0.0f;
        p[y * w + x] = (uint8_t) fminf (fmaxf (roundf (v), 0.0f), 255.0f);
      }
    est = vae_estimate_noise_u8 (p, w, w, h);
    printf ("noise estimate on a ramp and wave%s + sigma 10: %.2f\n",
        k ? " with a clipped band" : "", est);
    CHECK (fabsf (est / 10.0f - 1) < 0.05f, "sigma 10 estimated as %g", est);
  }
  /* planes too small for blocks take the Haar estimate */
  {
    float est;
    memset (p, 128, (size_t) w * h);
    vae_rng_seed (&r, 60);
    vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, 20.0f, p, 24, 24, 24, &r);
    est = vae_estimate_noise_u8 (p, 24, 24, 24);
    CHECK (fabsf (est / 20.0f - 1) < 0.25f, "24x24: sigma 20 as %g", est);
  }
  /* the estimate looks only at its w × h: padding does not count */
  {
    uint8_t *q = malloc ((size_t) 300 * 200);
    float a, b;
    memset (q, 0, (size_t) 300 * 200);
    vae_rng_seed (&r, 3);
    for (int y = 0; y < 200; y++)
      for (int x = 0; x < 300; x++)
        q[y * 300 + x] = x < 200 ? 128 : (uint8_t) vae_rng_below (&r, 256);
    for (int y = 0; y < 200; y++)
      for (int x = 0; x < 200; x++)
        q[y * 300 + x] = (uint8_t) (128 + (int) roundf (10 * vae_rng_normal (&r)));
    a = vae_estimate_noise_u8 (q, 300, 200, 200);
    for (int y = 0; y < 200; y++)
      memmove (q + y * 200, q + y * 300, 200);
    b = vae_estimate_noise_u8 (q, 200, 200, 200);
    CHECK (a == b, "strided estimate %g differs from packed %g", a, b);
    free (q);
  }
  free (p);
}

/* The block estimate's AVX2 pairs against its C loop: the same result to
 * the bit on planes of many sizes (each exactly w × h, so a read past the
 * last pixel shows under a sanitizer), with regions of their own noise,
 * clipped pixels, dark and bright areas.  With few blocks the estimate is
 * the quietest block's, so each block's sums matter. */
static void
test_estimate_isa (void)
{
  VaeRng r;
  int tried = 0, differ = 0;

  if (vae_cpu_simd () < 2) {
    printf ("noise estimate: no AVX2 here, the C loop alone\n");
    return;
  }
  vae_rng_seed (&r, 77);
  for (int t = 0; t < 300; t++) {
    int w = 48 + (int) vae_rng_below (&r, 350), h = 40 + (int)
        vae_rng_below (&r, 160);
    uint8_t *p = malloc ((size_t) w * h);
    float sig[64], base[64], a, b;
    for (int i = 0; i < 64; i++) {
      sig[i] = 40.0f * vae_rng_uniform (&r);
      base[i] = 255.0f * vae_rng_uniform (&r);
    }
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        int reg = (y / 13 % 8) * 8 + x / 11 % 8;
        float v = base[reg] + 0.5f * x + sig[reg] * vae_rng_normal (&r);
        p[(size_t) y * w + x] = (uint8_t) fminf (fmaxf (roundf (v), 0.0f),
            255.0f);
      }
    a = vae_estimate_noise_u8_isa (p, w, w, h, 0);
    b = vae_estimate_noise_u8_isa (p, w, w, h, 1);
    CHECK (a == b, "%dx%d: the C loop estimates %g, AVX2 %g", w, h, a, b);
    differ += a != b;
    tried++;
    free (p);
  }
  printf ("noise estimate: AVX2 and C agree on %d of %d planes\n",
      tried - differ, tried);
}

static void
test_errors (void)
{
  VaeError err;
  VaeModel *dae = make_dae (0, 1, 1);
  VaeDenoiser *d;
  uint8_t buf[64 * 64];
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  o.precision = prec;

  /* a VAE cannot denoise */
  {
    VaeConfig c = vae_config_default ();
    VaeModel *v;
    c.kind = VAE_KIND_VAE;
    v = vae_model_new (&c, 1, &err);
    d = vae_denoiser_new (v, 32, 32, NULL, &err);
    CHECK (d == NULL && err.status == VAE_ERR_KIND && strstr (err.msg, "dae"),
        "VAE accepted as a denoiser: %d %s", err.status, err.msg);
    vae_model_free (v);
    c.kind = VAE_KIND_DAE;
    c.img_w = c.img_h = 65;
    c.n_in = 65 * 65;
    c.n_latent = 4;
    v = vae_model_new (&c, 1, &err);
    d = vae_denoiser_new (v, 100, 100, NULL, &err);
    CHECK (d == NULL && err.status == VAE_ERR_KIND && strstr (err.msg, "65"),
        "65x65 patch accepted: %d %s", err.status, err.msg);
    vae_model_free (v);
  }
  d = vae_denoiser_new (dae, 0, 10, NULL, &err);
  CHECK (d == NULL && err.status == VAE_ERR_ARG, "0-wide denoiser: %d",
      err.status);
  /* precisions: an unknown one; bf16 where the CPU or model has none */
  {
    VaeDenoiseOpts q = vae_denoise_opts_default ();
    VaeConfig c = vae_config_default ();
    VaeModel *sig;
    q.precision = (VaePrecision) 7;
    d = vae_denoiser_new (dae, 16, 16, &q, &err);
    CHECK (d == NULL && err.status == VAE_ERR_ARG
        && strstr (err.msg, "precision"), "precision 7 accepted: %s", err.msg);
    c.kind = VAE_KIND_DAE;
    c.img_w = c.img_h = 4;
    c.n_in = 16;
    c.n_latent = 8;
    c.act = c.code_act = VAE_ACT_SIGMOID;
    sig = vae_model_new (&c, 1, &err);
    q.precision = VAE_PRECISION_BF16;
    d = vae_denoiser_new (sig, 16, 16, &q, &err);
    CHECK (d == NULL && err.status == VAE_ERR_ARG && strstr (err.msg,
            vae_bf16_supported () ? "ReLU" : "AVX512_BF16"),
        "bf16 on a sigmoid model: %s", d ? "accepted" : err.msg);
    q.precision = VAE_PRECISION_AUTO;
    d = vae_denoiser_new (sig, 16, 16, &q, &err);
    CHECK (d && vae_denoiser_precision (d) == VAE_PRECISION_FP32,
        "auto on a sigmoid model is not fp32");
    vae_denoiser_free (d);
    vae_model_free (sig);
    d = vae_denoiser_new (dae, 16, 16, &q, &err);
    CHECK (d && vae_denoiser_precision (d) == (vae_bf16_supported ()
            ? VAE_PRECISION_BF16 : VAE_PRECISION_FP32),
        "auto on a ReLU model: not the CPU's best");
    vae_denoiser_free (d);
    q.precision = VAE_PRECISION_BF16;
    d = vae_denoiser_new (dae, 16, 16, &q, &err);
    CHECK ((d != NULL) == vae_bf16_supported (), "bf16 on a ReLU model: %s",
        d ? "accepted without AVX512_BF16" : err.msg);
    vae_denoiser_free (d);
    d = NULL;
  }
  o.batch = 0;
  d = vae_denoiser_new (dae, 10, 10, &o, &err);
  CHECK (d == NULL && err.status == VAE_ERR_ARG, "batch 0: %d", err.status);

  d = vae_denoiser_new (dae, 32, 32, NULL, &err);
  memset (buf, 100, sizeof buf);
  CHECK (vae_denoiser_run_u8 (d, buf, 64, buf, 64, 33, 32, 0, 32, 25)
      == VAE_ERR_ARG, "wider than the denoiser accepted");
  CHECK (vae_denoiser_run_u8 (d, buf, 32, buf, 32, 32, 32, 5, 5, 25)
      == VAE_ERR_ARG, "empty band accepted");
  CHECK (vae_denoiser_run_u8 (d, buf, 32, buf, 32, 32, 32, 0, 33, 25)
      == VAE_ERR_ARG, "band past the end accepted");
  CHECK (vae_denoiser_run_u8 (d, buf, 31, buf, 32, 32, 32, 0, 32, 25)
      == VAE_ERR_ARG, "source stride < width accepted");
  CHECK (vae_denoiser_run_u8 (d, buf, 32, buf, 32, 32, 32, 0, 32, NAN)
      == VAE_ERR_ARG, "NaN sigma accepted");
  CHECK (vae_denoiser_patch (d) == 8 && vae_denoiser_stride (d) >= 1
      && vae_denoiser_flops (d, 32, 32) > 0, "patch/stride/flops");
  vae_denoiser_free (d);
  vae_denoiser_free (NULL);
  vae_model_free (dae);
  printf ("argument errors: ok\n");
}

/* bf16 against fp32 on the shipped default model and a textured plane
 * with σ = 25 noise: within a level everywhere, and as close to the clean
 * plane. */
static void
test_bf16_vs_fp32 (void)
{
  const char *root = getenv ("VAE_SOURCE_ROOT");
  const int w = 160, h = 96;
  char mpath[1024];
  VaeError err;
  VaeModel *m;
  uint8_t *clean, *noisy, *out[2];
  VaeRng r;

  if (!vae_bf16_supported ()) {
    printf ("SKIP bf16 against fp32: no AVX512_BF16 here\n");
    return;
  }
  snprintf (mpath, sizeof mpath, "%s/models/denoise-s.safetensors",
      root ? root : ".");
  m = vae_model_load (mpath, &err);
  if (m == NULL) {
    printf ("SKIP bf16 against fp32: %s\n", err.msg);
    return;
  }
  clean = make_plane (w, h, w, 3);
  noisy = malloc ((size_t) w * h);
  memcpy (noisy, clean, (size_t) w * h);
  vae_rng_seed (&r, 9);
  vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, 25.0f, noisy, w, w, h, &r);
  for (int p = 0; p < 2; p++) {
    VaeDenoiseOpts o = vae_denoise_opts_default ();
    VaeDenoiser *d;
    o.precision = p ? VAE_PRECISION_BF16 : VAE_PRECISION_FP32;
    d = vae_denoiser_new (m, w, h, &o, &err);
    out[p] = malloc ((size_t) w * h);
    CHECK (d != NULL, "denoiser: %s", err.msg);
    if (d)
      vae_denoiser_run_u8 (d, noisy, w, out[p], w, w, h, 0, h, 25.0f);
    vae_denoiser_free (d);
  }
  {
    int worst = 0;
    long moved = 0;
    for (int i = 0; i < w * h; i++) {
      int e = abs (out[0][i] - out[1][i]);
      worst = e > worst ? e : worst;
      moved += e != 0;
    }
    double p32 = vae_psnr_u8 (out[0], w, clean, w, w, h);
    double p16 = vae_psnr_u8 (out[1], w, clean, w, w, h);
    printf ("bf16 against fp32 (%s, %dx%d, sigma 25): %.2f%% of pixels "
        "differ, by at most %d; PSNR %.3f (fp32) %.3f (bf16) dB\n", mpath, w,
        h, 100.0 * moved / (w * h), worst, p32, p16);
    CHECK (worst <= 1, "bf16 differs from fp32 by %d levels", worst);
    CHECK (fabs (p16 - p32) < 0.02, "bf16 PSNR %.3f against fp32 %.3f", p16,
        p32);
    CHECK (p32 > vae_psnr_u8 (noisy, w, clean, w, w, h) + 5,
        "the default model does not denoise");
  }
  free (clean);
  free (noisy);
  free (out[0]);
  free (out[1]);
  vae_model_free (m);
}

/* The shipped small denoiser on a Set12 image at σ = 25. */
static void
test_trained_model (void)
{
  const char *root = getenv ("VAE_SOURCE_ROOT");
  const char *shared = getenv ("VAE_SHARED_DATA");
  char mpath[1024], ipath[1024];
  VaeError err;
  VaeModel *m;
  VaeImage im;
  VaeDenoiser *d;
  uint8_t *noisy, *out;
  double p_in, p_out;
  VaeRng r;
  FILE *f;

  snprintf (mpath, sizeof mpath, "%s/models/denoise-s.safetensors",
      root ? root : ".");
  if ((f = fopen (mpath, "rb")) == NULL) {
    printf ("SKIP trained-model PSNR check: %s does not exist (train it "
        "with models/train-all.sh)\n", mpath);
    return;
  }
  fclose (f);
  snprintf (ipath, sizeof ipath, "%s/denoise/set12/05.png",
      shared ? shared : "(VAE_SHARED_DATA unset)");
  m = vae_model_load (mpath, &err);
  CHECK (m != NULL, "%s: %s", mpath, err.msg);
  if (m == NULL)
    return;
  if (vae_image_load (ipath, &im, &err) != VAE_OK) {
    printf ("SKIP trained-model PSNR check: %s\n", err.msg);
    vae_model_free (m);
    return;
  }
  noisy = malloc ((size_t) im.w * im.h);
  out = malloc ((size_t) im.w * im.h);
  memcpy (noisy, im.pixels, (size_t) im.w * im.h);
  vae_rng_seed (&r, 25);
  vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, 25.0f, noisy, im.w, im.w, im.h, &r);
  d = vae_denoiser_new (m, im.w, im.h, NULL, &err);
  CHECK (d != NULL, "denoiser: %s", err.msg);
  if (d) {
    vae_denoiser_run_u8 (d, noisy, im.w, out, im.w, im.w, im.h, 0, im.h,
        25.0f);
    p_in = vae_psnr_u8 (noisy, im.w, im.pixels, im.w, im.w, im.h);
    p_out = vae_psnr_u8 (out, im.w, im.pixels, im.w, im.w, im.h);
    printf ("%s on Set12 05.png, sigma 25: PSNR %.2f -> %.2f dB (%+.2f)\n",
        mpath, p_in, p_out, p_out - p_in);
    CHECK (p_out - p_in > 5.0, "the trained denoiser gains only %.2f dB",
        p_out - p_in);
    vae_denoiser_free (d);
  }
  free (noisy);
  free (out);
  vae_image_clear (&im);
  vae_model_free (m);
}

/* stride 0 takes the model's denoise.stride metadata, an explicit stride
 * wins over it, and a stride the patch cannot have is refused clearly. */
static void
test_model_stride (void)
{
  VaeModel *m = make_dae (0, 1, 11);
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  o.precision = prec;
  VaeDenoiser *d;
  VaeError err;
  const char *bad[] = { "0", "9", "-2", "6x", "", "four" };

  d = vae_denoiser_new (m, 64, 48, &o, &err);
  CHECK (d && vae_denoiser_stride (d) == 4, "no metadata: stride %d, want 4",
      d ? vae_denoiser_stride (d) : -1);
  vae_denoiser_free (d);
  vae_model_set_meta (m, "denoise.stride", "6");
  d = vae_denoiser_new (m, 64, 48, &o, &err);
  CHECK (d && vae_denoiser_stride (d) == 6, "denoise.stride 6: stride %d",
      d ? vae_denoiser_stride (d) : -1);
  vae_denoiser_free (d);
  o.stride = 3;
  d = vae_denoiser_new (m, 64, 48, &o, &err);
  CHECK (d && vae_denoiser_stride (d) == 3, "explicit 3 over metadata: %d",
      d ? vae_denoiser_stride (d) : -1);
  vae_denoiser_free (d);
  o.stride = 0;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    vae_model_set_meta (m, "denoise.stride", bad[i]);
    d = vae_denoiser_new (m, 64, 48, &o, &err);
    CHECK (d == NULL && err.status == VAE_ERR_CONFIG
        && strstr (err.msg, "denoise.stride") != NULL,
        "denoise.stride \"%s\" accepted or unclear: %s", bad[i],
        d ? "accepted" : err.msg);
    vae_denoiser_free (d);
  }
  vae_model_free (m);
}

/* The geometric self-ensemble commutes with the symmetries it averages
 * over (transpose, mirror), is the identity for the identity denoiser,
 * differs from one pass for a real one, and refuses what it cannot do. */
static void
test_ensemble (void)
{
  const int w = 37, h = 23, n = w * h;
  VaeModel *m = make_dae (0, 1, 21), *id = make_dae (1, 1, 3);
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  o.precision = prec;
  VaeError err;
  VaeDenoiser *d = vae_denoiser_new (m, w, w, &o, &err);
  VaeDenoiser *di = vae_denoiser_new (id, w, w, &o, &err);
  VaeDenoiser *small = vae_denoiser_new (m, w, h, &o, &err);
  uint8_t *p8 = make_plane (w, h, w, 5);
  float *x = malloc (n * sizeof (float)), *xt = malloc (n * sizeof (float));
  float *y = malloc (n * sizeof (float)), *yt = malloc (n * sizeof (float));
  float *one = malloc (n * sizeof (float));
  float *work = malloc ((size_t) 3 * n * sizeof (float));
  double e_t = 0, e_m = 0, e_id = 0, d_one = 0;

  for (int i = 0; i < n; i++)
    x[i] = p8[i] / 255.0f;
  CHECK (vae_denoiser_run_f32_x8 (d, x, w, y, w, w, h, 25.0f, work) == VAE_OK,
      "x8 failed");
  /* transpose: x8(xᵀ) = x8(x)ᵀ */
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++)
      xt[j * h + i] = x[i * w + j];
  CHECK (vae_denoiser_run_f32_x8 (d, xt, h, yt, h, h, w, 25.0f, work) == VAE_OK,
      "x8 of the transpose failed");
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++)
      e_t = fmax (e_t, fabs (yt[j * h + i] - y[i * w + j]));
  /* mirror: x8(flip x) = flip x8(x) */
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++)
      xt[i * w + j] = x[i * w + (w - 1 - j)];
  vae_denoiser_run_f32_x8 (d, xt, w, yt, w, w, h, 25.0f, work);
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++)
      e_m = fmax (e_m, fabs (yt[i * w + (w - 1 - j)] - y[i * w + j]));
  vae_denoiser_run_f32 (d, x, w, one, w, w, h, 0, h, 25.0f);
  for (int i = 0; i < n; i++)
    d_one = fmax (d_one, fabs (one[i] - y[i]));
  vae_denoiser_run_f32_x8 (di, x, w, yt, w, w, h, 25.0f, work);
  for (int i = 0; i < n; i++)
    e_id = fmax (e_id, fabs (yt[i] - x[i]));
  printf ("self-ensemble: transpose %.2g, mirror %.2g, identity %.2g, "
      "vs one pass %.3g\n", e_t, e_m, e_id, d_one);
  CHECK (e_t < 1e-5 && e_m < 1e-5, "x8 not equivariant: %g %g", e_t, e_m);
  CHECK (e_id < 1e-6, "x8 of the identity denoiser moved a pixel by %g", e_id);
  CHECK (d_one > 1e-3, "x8 equals one pass (%g): nothing averaged", d_one);
  CHECK (vae_denoiser_run_f32_x8 (small, x, w, y, w, w, h, 25.0f, work)
      == VAE_ERR_ARG, "a denoiser too small for the transpose was used");
  CHECK (vae_denoiser_run_f32_x8 (d, x, w, y, w, w, h, 25.0f, NULL)
      == VAE_ERR_ARG, "no work memory accepted");
  vae_denoiser_free (d);
  vae_denoiser_free (di);
  vae_denoiser_free (small);
  vae_model_free (m);
  vae_model_free (id);
  free (p8);
  free (x);
  free (xt);
  free (y);
  free (yt);
  free (one);
  free (work);
}

/* The two-phase API: tiles in any order on any of several denoisers, then
 * any band split, give vae_denoiser_run_u8's bytes, on planes of one tile,
 * of one patch row a tile (with GEMMs in pieces where a row exceeds the
 * batch) and of several; a tile is at least one patch row and
 * out-of-range calls are refused. */
static void
test_two_phase (void)
{
  static const int sizes[][2] = { { 200, 150 }, { 33, 17 }, { 1, 40 },
    { 640, 48 }, { 8, 8 }, { 100, 61 }, { 45, 300 } };
  VaeModel *m = make_dae (0, 1, 13);
  VaeError err;

  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int w = sizes[s][0], h = sizes[s][1];
    VaeDenoiseOpts o = vae_denoise_opts_default ();
  o.precision = prec;
    o.precision = prec;
    VaeDenoiser *d[3];
    uint8_t *src = make_plane (w, h, w, 300 + s);
    uint8_t *full = malloc ((size_t) w * h), *two = malloc ((size_t) w * h);
    float *store;
    int n, same = 1;

    o.batch = 64;
    for (int k = 0; k < 3; k++)
      d[k] = vae_denoiser_new (m, w, h, &o, &err);
    store = malloc (vae_denoiser_store_floats (d[0]) * sizeof (float));
    vae_denoiser_run_u8 (d[0], src, w, full, w, w, h, 0, h, 25.0f);
    n = vae_denoiser_n_tiles (d[1], w, h);
    /* patch rows at stride 4, the last flush with the border */
    CHECK (n >= 1 && n <= (h > 8 ? (h - 8 + 3) / 4 + 1 : 1), "%dx%d: %d tiles",
        w, h, n);
    for (int workers = 1; workers <= 3; workers++) {
      memset (two, 0, (size_t) w * h);
      for (int t = n - 1; t >= 0; t--)
        CHECK (vae_denoiser_tile_u8 (d[t % workers], src, w, two, w, w, h, t,
                25.0f, store) == VAE_OK, "tile %d refused", t);
      for (int b = 0; b < workers; b++) {
        int r0 = h * b * b / (workers * workers);
        int r1 = h * (b + 1) * (b + 1) / (workers * workers);
        if (r0 < r1)
          CHECK (vae_denoiser_blend_u8 (d[(b + 1) % workers], store, two, w,
                  w, h, r0, r1) == VAE_OK, "blend %d..%d refused", r0, r1);
      }
      same &= memcmp (full, two, (size_t) w * h) == 0;
    }
    printf ("two-phase %dx%d: %d tiles, %s\n", w, h, n,
        same ? "bytes equal run_u8 for 1-3 workers" : "DIFFERENT");
    CHECK (same, "%dx%d: two-phase output differs from run_u8", w, h);
    CHECK (vae_denoiser_tile_u8 (d[0], src, w, two, w, w, h, n, 25.0f, store)
        == VAE_ERR_ARG, "tile %d of %d accepted", n, n);
    CHECK (vae_denoiser_tile_u8 (d[0], src, w, two, w, w, h, 0, 25.0f, NULL)
        == VAE_ERR_ARG, "no store accepted");
    CHECK (vae_denoiser_tile_u8 (d[0], src, w, NULL, w, w, h, 0, 25.0f, store)
        == VAE_ERR_ARG, "no output accepted");
    CHECK (vae_denoiser_blend_u8 (d[0], store, two, w, w, h, 0, h + 1)
        == VAE_ERR_ARG, "rows past the plane accepted");
    CHECK (vae_denoiser_n_tiles (d[0], w + 1, h) == 0,
        "a plane larger than the denoiser has tiles");
    for (int k = 0; k < 3; k++)
      vae_denoiser_free (d[k]);
    free (store);
    free (src);
    free (full);
    free (two);
  }
  vae_model_free (m);
}

/* v rounded to bf16's 8 significant bits, to nearest, ties to even
 * (nearbyint in the default rounding mode); v first rounded to float, as
 * the kernels see it */
static double
bf (double v)
{
  int e;
  double f = frexp ((float) v, &e);   /* |f| in [0.5, 1) */
  return ldexp (nearbyint (ldexp (f, 8)), e - 8);
}

/* The network on one patch (values in [0, 1]) with bf16 arithmetic
 * emulated in double: inputs, weights and hidden outputs rounded to bf16,
 * sums exact, the level input's product and the biases in full. */
static void
reference_bf16 (VaeModel *m, const float *x, float level, float *out)
{
  const VaeConfig *c = vae_model_config (m);
  int nl = vae_model_n_layers (m), P = c->n_in;
  double cur[512], nxt[512], xn[64];
  for (int i = 0; i < P; i++) {
    xn[i] = (x[i] - c->norm_mean) / c->norm_scale;
    cur[i] = bf (xn[i]);
  }
  for (int l = 0; l < nl; l++) {
    int ni, no;
    VaeAct act;
    float *w, *b;
    vae_model_layer (m, l, &ni, &no, &act, &w, &b, NULL, NULL);
    for (int j = 0; j < no; j++) {
      double s = b[j];
      for (int i = 0; i < (l == 0 ? P : ni); i++)
        s += cur[i] * bf (w[(size_t) j * ni + i]);
      if (l == 0 && c->noise_input)
        s += (double) (level / c->norm_scale) * w[(size_t) j * ni + P];
      if (l < nl - 1) {
        if (act == VAE_ACT_RELU && s < 0)
          s = 0;
        s = bf (s);
      }
      nxt[j] = s;
    }
    memcpy (cur, nxt, (size_t) no * sizeof (double));
  }
  for (int i = 0; i < P; i++)
    out[i] = (float) ((c->residual ? xn[i] - cur[i] : cur[i]) * c->norm_scale
        + c->norm_mean);
}

/* The denoiser's own forward pass (level folded into the first bias, the
 * output accumulated into the patch store) against vae_reconstruct, patch by
 * patch: with stride = patch size every pixel comes from one patch. */
static void
test_patch_reference (void)
{
  const int w = 24, h = 16, P = 8;
  for (int residual = 0; residual < 2; residual++) {
    VaeModel *m = make_dae (0, residual, 21 + residual);
    VaeDenoiseOpts o = vae_denoise_opts_default ();
  o.precision = prec;
    o.precision = prec;
    VaeError err;
    VaeDenoiser *d;
    VaeWorkspace *ws = vae_workspace_new (m, 1, 0, &err);
    float *src = malloc (sizeof (float) * w * h);
    float *dst = malloc (sizeof (float) * w * h);
    float x[64], ref[64];
    double worst = 0.0, moved = 0.0;
    VaeRng r;

    vae_rng_seed (&r, 5);
    for (int i = 0; i < w * h; i++)
      src[i] = vae_rng_uniform (&r);
    o.stride = P;
    o.batch = 4;                /* 6 patches: a full and a short tile */
    d = vae_denoiser_new (m, w, h, &o, &err);
    CHECK (d && ws, "denoiser: %s", err.msg);
    CHECK (vae_denoiser_run_f32 (d, src, w, dst, w, w, h, 0, h, 20.0f)
        == VAE_OK, "run_f32 refused");
    for (int py = 0; py < h; py += P)
      for (int px = 0; px < w; px += P) {
        for (int i = 0; i < P; i++)
          for (int j = 0; j < P; j++)
            x[i * P + j] = src[(py + i) * w + px + j];
        if (prec == VAE_PRECISION_BF16)
          reference_bf16 (m, x, 20.0f / 255.0f, ref);
        else
          vae_reconstruct (m, ws, x, 1, 20.0f / 255.0f, ref);
        for (int i = 0; i < P; i++)
          for (int j = 0; j < P; j++) {
            double e = fabs (dst[(py + i) * w + px + j] - ref[i * P + j]);
            worst = e > worst ? e : worst;
            moved += fabs (ref[i * P + j] - x[i * P + j]);
          }
      }
    /* bf16 against its emulation: float sums against exact ones, far
     * below the 4e-3 that separates bf16 from fp32 here */
    double tol = prec == VAE_PRECISION_BF16 ? 2e-5 : 1e-5;
    printf ("patch reference (%s, %s): worst |denoiser − %s| %.2g, "
        "mean change %.3f\n", residual ? "residual, level input" : "direct",
        prec == VAE_PRECISION_BF16 ? "bf16" : "fp32",
        prec == VAE_PRECISION_BF16 ? "bf16 emulated in double"
        : "vae_reconstruct", worst, moved / (w * h));
    CHECK (worst < tol, "denoiser differs from its reference by %g", worst);
    CHECK (moved / (w * h) > 0.01, "the model leaves its input unchanged");
    vae_denoiser_free (d);
    vae_workspace_free (ws);
    vae_model_free (m);
    free (src);
    free (dst);
  }
}

/* The overlap-add against a direct one in double: every patch of the grid
 * (origins 0, s, 2s, … and one flush with the far border) through
 * vae_reconstruct, weighted by the window (flat, or the Gaussian of σ a
 * quarter of the patch, separable), summed, divided by the summed
 * weights.  Strides 3 to 8 take the blend's three paths (the default 8 at
 * 4, other strides from p/2 to p, and below p/2); small batches make tiles
 * of one patch row, larger ones tiles of several, and the two-phase API
 * must give the same bytes on top. */
static int
ref_origins (int *o, int n, int p, int s)
{
  int k = 0;
  for (int x = 0; x + p <= n; x += s)
    o[k++] = x;
  if (o[k - 1] != n - p)
    o[k++] = n - p;
  return k;
}

static void
test_overlap_reference (void)
{
  static const int sizes[][2] = { { 37, 23 }, { 64, 40 }, { 9, 30 } };
  static const int strides[] = { 3, 4, 5, 6, 8 };
  static const int batches[] = { 5, 64, 4096 };
  VaeModel *m = make_dae (0, 1, 31);
  VaeWorkspace *ws = vae_workspace_new (m, 1, 0, NULL);
  double worst = 0.0;
  int runs = 0;

  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    int w = sizes[si][0], h = sizes[si][1], xs[64], ys[64];
    float *src = malloc (sizeof (float) * w * h);
    float *dst = malloc (sizeof (float) * w * h);
    double *acc = malloc (sizeof (double) * w * h);
    double *wsum = malloc (sizeof (double) * w * h);
    VaeRng r;
    vae_rng_seed (&r, 40 + si);
    for (int i = 0; i < w * h; i++)
      src[i] = vae_rng_uniform (&r);
    for (int win = 0; win < 2; win++)
      for (size_t st = 0; st < sizeof strides / sizeof strides[0]; st++) {
        int s = strides[st];
        int nx = ref_origins (xs, w, 8, s), ny = ref_origins (ys, h, 8, s);
        double g[8];
        for (int i = 0; i < 8; i++)
          g[i] = win ? exp (-0.5 * (i - 3.5) * (i - 3.5) / 4.0) : 1.0;
        for (int i = 0; i < w * h; i++)
          acc[i] = wsum[i] = 0.0;
        for (int iy = 0; iy < ny; iy++)
          for (int ix = 0; ix < nx; ix++) {
            float x[64], out[64];
            for (int i = 0; i < 8; i++)
              for (int j = 0; j < 8; j++)
                x[i * 8 + j] = src[(ys[iy] + i) * w + xs[ix] + j];
            vae_reconstruct (m, ws, x, 1, 20.0f / 255.0f, out);
            for (int i = 0; i < 8; i++)
              for (int j = 0; j < 8; j++) {
                size_t o = (size_t) (ys[iy] + i) * w + xs[ix] + j;
                acc[o] += g[i] * g[j] * out[i * 8 + j];
                wsum[o] += g[i] * g[j];
              }
          }
        for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
          VaeDenoiseOpts o = vae_denoise_opts_default ();
          VaeError err;
          VaeDenoiser *d;
          double e = 0.0;
          o.precision = VAE_PRECISION_FP32;
          o.window = win ? VAE_WINDOW_GAUSS : VAE_WINDOW_FLAT;
          o.stride = s;
          o.batch = batches[bi];
          d = vae_denoiser_new (m, w, h, &o, &err);
          CHECK (d, "denoiser: %s", err.msg);
          if (!d)
            continue;
          CHECK (vae_denoiser_run_f32 (d, src, w, dst, w, w, h, 0, h, 20.0f)
              == VAE_OK, "run_f32 refused");
          for (int i = 0; i < w * h; i++) {
            double v = fabs (dst[i] - acc[i] / wsum[i]);
            e = v > e || isnan (v) ? v : e;
          }
          CHECK (e < 2e-5, "%dx%d stride %d batch %d %s window: worst "
              "|overlap-add − reference| %.3g", w, h, s, o.batch,
              win ? "gauss" : "flat", e);
          worst = e > worst || isnan (e) ? e : worst;
          runs++;
          {
            /* two phases, tiles backwards, two bands: run_u8's bytes */
            uint8_t *s8 = malloc ((size_t) w * h), *one = malloc ((size_t) w
                * h), *two = malloc ((size_t) w * h);
            float *store = malloc (vae_denoiser_store_floats (d)
                * sizeof (float));
            int n = vae_denoiser_n_tiles (d, w, h), ok = 1;
            for (int i = 0; i < w * h; i++)
              s8[i] = (uint8_t) (src[i] * 255.0f + 0.5f);
            ok &= vae_denoiser_run_u8 (d, s8, w, one, w, w, h, 0, h, 20.0f)
                == VAE_OK;
            memset (two, 0, (size_t) w * h);
            for (int t = n - 1; t >= 0; t--)
              ok &= vae_denoiser_tile_u8 (d, s8, w, two, w, w, h, t, 20.0f,
                  store) == VAE_OK;
            ok &= vae_denoiser_blend_u8 (d, store, two, w, w, h, h / 2, h)
                == VAE_OK;
            ok &= vae_denoiser_blend_u8 (d, store, two, w, w, h, 0, h / 2)
                == VAE_OK;
            CHECK (ok && memcmp (one, two, (size_t) w * h) == 0, "%dx%d "
                "stride %d batch %d: two phases (%d tiles) differ from "
                "run_u8", w, h, s, o.batch, n);
            free (s8);
            free (one);
            free (two);
            free (store);
          }
          vae_denoiser_free (d);
        }
      }
    free (src);
    free (dst);
    free (acc);
    free (wsum);
  }
  printf ("overlap-add against a direct one in double: %d runs (strides "
      "3-8, both windows, batches 5-4096), worst difference %.2g\n", runs,
      worst);
  vae_workspace_free (ws);
  vae_model_free (m);
}

int
main (void)
{
  openblas_set_num_threads (1);
  for (int p = VAE_PRECISION_FP32; p <= VAE_PRECISION_BF16; p++) {
    prec = (VaePrecision) p;
    if (prec == VAE_PRECISION_BF16 && !vae_bf16_supported ()) {
      printf ("SKIP the bf16 runs: this CPU has no AVX512_BF16 (or "
          "VAE_GEMM asks for less)\n");
      break;
    }
    printf ("--- precision %s\n", p == VAE_PRECISION_BF16 ? "bf16" : "fp32");
    test_sizes ();
    test_identity ();
    test_patch_reference ();
    test_model_stride ();
    test_ensemble ();
    test_two_phase ();
  }
  test_overlap_reference ();
  test_estimate ();
  test_estimate_isa ();
  test_errors ();
  test_bf16_vs_fp32 ();
  test_trained_model ();
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  printf ("all denoiser checks passed\n");
  return 0;
}
