/* Colour models' pieces: the noise gains and the training noise against
 * their closed forms (BT.601), packing planes into the interleaved 4:2:0
 * plane and back, and the denoiser on that plane against the network. */
#include "vae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* BT.601 rows of R, G, B weights for Y, Cb, Cr (the standard's), and the
 * limited-range scales 219/255 and 224/255. */
static const double k601[3][3] = {
  {0.299, 0.587, 0.114},
  {-0.168736, -0.331264, 0.5},
  {0.5, -0.418688, -0.081312},
};

static double
row_dot (int a, int b)
{
  double s = 0;
  for (int i = 0; i < 3; i++)
    s += k601[a][i] * k601[b][i];
  return s;
}

static double
scale (int c)
{
  return c == 0 ? 219.0 / 255 : 224.0 / 255;
}

static void
test_gains (void)
{
  float g[3];
  vae_noise_gains (0, 0, g);
  for (int c = 0; c < 3; c++) {
    double want = sqrt (row_dot (c, c)) * scale (c);
    CHECK (fabs (g[c] - want) < 1e-5, "BT.601 limited gain %d: %f, want %f",
        c, g[c], want);
  }
  CHECK (fabsf (g[0] - 0.57417f) < 1e-4, "Y gain %f", g[0]);
  vae_noise_gains (0, 1, g);
  CHECK (fabsf (g[0] - 0.66857f) < 1e-4, "full-range Y gain %f", g[0]);
  vae_noise_gains (1, 0, g);
  /* BT.709: 0.2126 R + 0.7152 G + 0.0722 B */
  CHECK (fabs (g[0] - sqrt (0.2126 * 0.2126 + 0.7152 * 0.7152 + 0.0722
              * 0.0722) * 219 / 255) < 1e-5, "BT.709 Y gain %f", g[0]);
}

/* vae_noise_yuv420_f32 on a zero patch, many draws: each luma pixel's
 * variance is (σ·gY)², each chroma value's (σ·gC)²/4 (the mean of four
 * independent pixels), a luma pixel and its block's Cb covary by
 * σ²·(y·cb)·sY·sC/4, and values of different blocks not at all. */
static void
test_noise_moments (void)
{
  const int pw = 8, ph = 12, n = 40000;
  const float s = 0.1f;
  float x[96] = { 0 }, y[96];
  double vy = 0, vcb = 0, vcr = 0, cyb = 0, cfar = 0, mean = 0;
  VaeRng r;

  vae_rng_seed (&r, 5);
  for (int i = 0; i < n; i++) {
    vae_noise_yuv420_f32 (s, pw, ph, x, y, &r);
    vy += y[0] * y[0] + y[9] * y[9];  /* luma (0, 0) and (1, 1) */
    vcb += y[2 * pw] * y[2 * pw];     /* Cb of block (0, 0) */
    vcr += y[2 * pw + 1] * y[2 * pw + 1];
    cyb += y[pw + 1] * y[2 * pw];     /* luma (1, 1) with its block's Cb */
    cfar += y[0] * y[2 * pw + 2];     /* luma (0, 0) with block (0, 1)'s Cb */
    mean += y[5];
  }
  vy /= 2.0 * n;
  vcb /= n;
  vcr /= n;
  cyb /= n;
  cfar /= n;
  mean /= n;
  {
    double ey = s * s * row_dot (0, 0) * scale (0) * scale (0);
    double eb = s * s * row_dot (1, 1) * scale (1) * scale (1) / 4;
    double er = s * s * row_dot (2, 2) * scale (2) * scale (2) / 4;
    double exy = s * s * row_dot (0, 1) * scale (0) * scale (1) / 4;
    CHECK (fabs (vy / ey - 1) < 0.03, "luma variance %g, want %g", vy, ey);
    CHECK (fabs (vcb / eb - 1) < 0.03, "Cb variance %g, want %g", vcb, eb);
    CHECK (fabs (vcr / er - 1) < 0.03, "Cr variance %g, want %g", vcr, er);
    CHECK (fabs (cyb - exy) < 0.1 * fabs (exy), "Y-Cb covariance %g, want %g",
        cyb, exy);
    CHECK (fabs (cfar) < 0.05 * fabs (exy), "other block's covariance %g",
        cfar);
    CHECK (fabs (mean) < 4 * sqrt (ey / n), "mean %g", mean);
  }
  /* the clean values are kept: noise is added */
  for (int i = 0; i < 96; i++)
    x[i] = 0.5f;
  vae_noise_yuv420_f32 (0.0f, pw, ph, x, y, &r);
  CHECK (memcmp (x, y, sizeof x) == 0, "σ = 0 changed the patch");
}

/* Y, U and V planes of w × h (chroma ⌈w/2⌉ × ⌈h/2⌉) with random bytes,
 * packed and unpacked, planar and as NV12 pairs. */
static void
test_pack (int w, int h, int pw, int ph)
{
  int cw = (w + 1) / 2, ch = (h + 1) / 2, W, H;
  int ys = w + 3, cs = 2 * cw + 5;    /* padded rows */
  uint8_t *Y = malloc ((size_t) ys * h), *UV = malloc ((size_t) cs * ch);
  uint8_t *Y2 = calloc ((size_t) ys * h, 1), *UV2 = calloc ((size_t) cs * ch, 1);
  uint8_t *P;
  VaeRng r;

  vae_rng_seed (&r, (uint64_t) w * 1000 + h);
  for (int i = 0; i < ys * h; i++)
    Y[i] = (uint8_t) vae_rng_below (&r, 256);
  for (int i = 0; i < cs * ch; i++)
    UV[i] = (uint8_t) vae_rng_below (&r, 256);
  vae_yuv420_packed_size (w, h, pw, ph, &W, &H);
  CHECK (W % 2 == 0 && H % 3 == 0 && W >= pw && H >= ph && W >= w
      && H / 3 * 2 >= h, "%dx%d packs to %dx%d", w, h, W, H);
  P = malloc ((size_t) W * H);
  for (int step = 1; step <= 2; step++) {
    /* planar: U in the row's first half, V in the second; NV12: pairs */
    const uint8_t *u = UV, *v = step == 1 ? UV + cw : UV + 1;
    uint8_t *u2 = UV2, *v2 = step == 1 ? UV2 + cw : UV2 + 1;
    /* in two bands of rows, as the element's threads pack */
    vae_yuv420_pack (Y, ys, u, v, cs, step, w, h, P, W, W, 0, H / 6);
    vae_yuv420_pack (Y, ys, u, v, cs, step, w, h, P, W, W, H / 6, H / 3);
    /* the layout: chroma row k's luma rows then Cb Cr pairs; the last
     * column and row fill what lies past the picture */
    for (int k = 0; k < H / 3; k++)
      for (int j = 0; j < W / 2; j++) {
        int kc = k < ch ? k : ch - 1, jc = j < cw ? j : cw - 1;
        int y0 = 2 * k < h ? 2 * k : h - 1, x0 = 2 * j < w ? 2 * j : w - 1;
        CHECK (P[(3 * k + 2) * W + 2 * j] == u[kc * cs + jc * step]
            && P[(3 * k + 2) * W + 2 * j + 1] == v[kc * cs + jc * step],
            "%dx%d step %d: chroma (%d, %d) misplaced", w, h, step, j, k);
        CHECK (P[3 * k * W + 2 * j] == Y[y0 * ys + x0], "%dx%d: luma "
            "(%d, %d) misplaced", w, h, 2 * j, 2 * k);
        if (failures > 20)
          goto out;
      }
    vae_yuv420_unpack (P, W, Y2, ys, u2, v2, cs, step, w, h, ch / 2, ch);
    vae_yuv420_unpack (P, W, Y2, ys, u2, v2, cs, step, w, h, 0, ch / 2);
    for (int y = 0; y < h; y++)
      CHECK (memcmp (Y + y * ys, Y2 + y * ys, w) == 0, "%dx%d: luma row %d "
          "changed", w, h, y);
    for (int k = 0; k < ch; k++)
      for (int j = 0; j < cw; j++)
        CHECK (u2[k * cs + j * step] == u[k * cs + j * step]
            && v2[k * cs + j * step] == v[k * cs + j * step], "%dx%d step "
            "%d: chroma (%d, %d) changed", w, h, step, j, k);
    /* the luma alone */
    memset (Y2, 0, (size_t) ys * h);
    memset (UV2, 7, (size_t) cs * ch);
    vae_yuv420_unpack (P, W, Y2, ys, NULL, NULL, cs, step, w, h, 0, ch);
    for (int y = 0; y < h; y++)
      CHECK (memcmp (Y + y * ys, Y2 + y * ys, w) == 0, "luma-only unpack, "
          "row %d", y);
    CHECK (UV2[0] == 7, "luma-only unpack wrote chroma");
    memset (UV2, 0, (size_t) cs * ch);
  }
out:
  free (Y);
  free (UV);
  free (Y2);
  free (UV2);
  free (P);
}

static VaeModel *
colour_model (void)
{
  VaeConfig c = vae_config_default ();
  c.kind = VAE_KIND_DAE;
  c.img_w = 8;
  c.img_h = 12;
  c.n_in = 96;
  c.n_enc = 1;
  c.enc[0] = 40;
  c.n_latent = 24;
  c.n_dec = 0;
  c.act = VAE_ACT_RELU;
  c.code_act = VAE_ACT_RELU;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_max = 50.0f / 255;
  c.residual = 1;
  c.noise_input = 1;
  c.norm_mean = 0.5f;
  c.norm_scale = 0.2f;
  c.colour = VAE_COLOUR_YUV420;
  return new_model_biased (&c, 3, 0.2f);
}

/* A plane of one patch is the network's output on it, exactly where the
 * window weighs each value once; and the configuration survives the file. */
static void
test_denoiser (void)
{
  VaeModel *m = colour_model (), *back;
  VaeWorkspace *ws = vae_workspace_new (m, 1, 0, NULL);
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  VaeDenoiser *d;
  VaeError err;
  float x[96], ref[96], out[96];
  void *buf;
  size_t size;
  VaeRng r;

  vae_rng_seed (&r, 9);
  for (int i = 0; i < 96; i++)
    x[i] = vae_rng_uniform (&r);
  o.precision = VAE_PRECISION_FP32;
  o.stride = 4;
  d = vae_denoiser_new (m, 8, 12, &o, &err);
  CHECK (d != NULL, "colour denoiser: %s", d ? "" : err.msg);
  if (d == NULL)
    return;
  CHECK (vae_reconstruct (m, ws, x, 1, 20.0f / 255, ref) == VAE_OK,
      "reconstruct");
  CHECK (vae_denoiser_run_f32 (d, x, 8, out, 8, 8, 12, 0, 12, 20.0f) ==
      VAE_OK, "run");
  for (int i = 0; i < 96; i++)
    CHECK (fabsf (out[i] - ref[i]) < 1e-5f, "value %d: %f vs network %f", i,
        out[i], ref[i]);
  vae_denoiser_free (d);

  /* the default stride, half the patch, made even for a 2-wide patch */
  {
    VaeConfig c2 = *vae_model_config (m);
    VaeModel *small;
    VaeDenoiser *d2;
    uint8_t src[12 * 9], dst[12 * 9];
    c2.img_w = 2;
    c2.img_h = 3;
    c2.n_in = 6;
    small = new_model_biased (&c2, 4, 0.1f);
    memset (src, 90, sizeof src);
    d2 = vae_denoiser_new (small, 12, 9, NULL, &err);
    CHECK (d2 != NULL && vae_denoiser_stride (d2) == 2, "2x3 colour patch: "
        "%s", d2 ? "odd stride" : err.msg);
    CHECK (d2 == NULL || vae_denoiser_run_u8 (d2, src, 12, dst, 12, 12, 9, 0,
            9, 10.0f) == VAE_OK, "2x3 colour patch did not run");
    vae_denoiser_free (d2);
    vae_model_free (small);
  }
  /* an odd stride cannot keep Cb/Cr pairs and row triples whole */
  o.stride = 3;
  d = vae_denoiser_new (m, 64, 48, &o, &err);
  CHECK (d == NULL && strstr (err.msg, "even stride") != NULL,
      "stride 3 accepted (%s)", d ? "" : err.msg);
  vae_denoiser_free (d);

  CHECK (vae_model_save_to_memory (m, &buf, &size, &err) == VAE_OK, "save");
  back = vae_model_load_from_memory (buf, size, &err);
  CHECK (back != NULL && vae_model_config (back)->colour == VAE_COLOUR_YUV420,
      "colour lost in the file");
  free (buf);
  vae_model_free (back);
  vae_workspace_free (ws);
  vae_model_free (m);
}

/* A colour configuration that does not fit the layout is refused. */
static void
test_config (void)
{
  VaeConfig c = vae_config_default ();
  VaeError err;
  c.kind = VAE_KIND_DAE;
  c.img_w = 8;
  c.img_h = 8;                  /* not a multiple of 3 */
  c.n_in = 64;
  c.n_enc = 1;
  c.enc[0] = 16;
  c.n_latent = 8;
  c.act = c.code_act = VAE_ACT_RELU;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.colour = VAE_COLOUR_YUV420;
  CHECK (vae_config_validate (&c, &err) != VAE_OK, "8x8 colour accepted");
  c.img_h = 12;
  c.n_in = 96;
  CHECK (vae_config_validate (&c, &err) == VAE_OK, "8x12 colour: %s",
      err.msg);
  c.colour = 7;
  CHECK (vae_config_validate (&c, &err) != VAE_OK, "colour 7 accepted");
}

int
main (void)
{
  static const int sizes[][2] = { {1, 1}, {3, 5}, {8, 8}, {17, 8},
    {641, 479}, {2, 30} };
  test_gains ();
  test_noise_moments ();
  for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    test_pack (sizes[i][0], sizes[i][1], 8, 12);
  test_denoiser ();
  test_config ();
  printf ("%d failure(s)\n", failures);
  return failures != 0;
}
