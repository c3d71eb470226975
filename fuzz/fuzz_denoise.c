/* libFuzzer target: the 8-bit frame paths on fuzzed geometry.
 *
 * From the input: plane width/height, source and destination strides, a band
 * [row0, row1), denoiser stride, batch and window, sigma, a noise model and
 * level; the rest fills the pixels.  Planes are allocated to exactly the
 * bytes the geometry allows (the last row is w bytes, not stride), so ASan
 * sees any read or write past the end. */
#include "vae.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static VaeModel *models[10];  /* patch 4x4: plain, residual, noise-input, 3x5;
                               * convolutional (2 layers of 3x3, 16 channels);
                               * colour, 4x6 interleaved 4:2:0; with int8
                               * weights: the noise-input 4x4 model (all
                               * layers), the colour model (layer 0 only);
                               * a convolutional colour model; the colour
                               * model with int8 weights for all layers */

static VaeModel *
tiny_conv_model (int colour)
{
  VaeConfig c = vae_config_default ();
  VaeError err;
  VaeModel *m;
  c.kind = VAE_KIND_DAE;
  c.img_w = c.img_h = 8;
  c.n_in = 64;
  c.conv_depth = 2;
  c.conv_width = 16;
  c.conv_kernel = 3;
  c.n_latent = 16;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_max = 0.2f;
  c.residual = 1;
  c.noise_input = 1;
  c.norm_mean = 0.5f;
  c.norm_scale = 0.2f;
  if (colour) {                 /* 8x12 interleaved: 4x4 blocks of 2x3 */
    c.img_h = 12;
    c.n_in = 96;
    c.colour = VAE_COLOUR_YUV420;
  }
  m = vae_model_new (&c, 1, &err);
  if (m == NULL)
    abort ();
  return m;
}

/* A colour model: 4 × 4 luma and 2 × 2 Cb and Cr, interleaved (4 × 6);
 * ReLU throughout where relu is set (as int8 weights need). */
static VaeModel *
tiny_colour_model (int relu)
{
  VaeConfig c = tiny_config (4, 6, 1, 1);
  c.colour = VAE_COLOUR_YUV420;
  if (relu)
    c.act = c.code_act = VAE_ACT_RELU;
  return tiny_new (&c);
}

/* The noise-input 4 × 4 model with ReLU throughout. */
static VaeModel *
tiny_relu_model (void)
{
  VaeConfig c = tiny_config (4, 4, 1, 1);
  c.act = c.code_act = VAE_ACT_RELU;
  return tiny_new (&c);
}

/* m with int8 weights for its first n_layers layers (0: all), calibrated
 * on random bytes and levels. */
static VaeModel *
quantized (VaeModel *m, int n_layers)
{
  enum { N = 256 };
  int ni = vae_model_config (m)->n_in;
  float *x = malloc ((size_t) N * ni * sizeof (float)), lv[N];
  VaeError err;
  VaeRng r;

  if (x == NULL)
    abort ();
  vae_rng_seed (&r, 7);
  for (int i = 0; i < N; i++) {
    lv[i] = (float) (vae_rng_u64 (&r) % 51);
    for (int p = 0; p < ni; p++)
      x[(size_t) i * ni + p] = (float) (vae_rng_u64 (&r) % 256) / 255.0f;
  }
  if (vae_model_quantize_layers (m, x, lv, N, n_layers, NULL, &err)
      != VAE_OK) {
    fprintf (stderr, "fuzz_denoise: quantizing: %s\n", err.msg);
    abort ();
  }
  free (x);
  return m;
}

static size_t
plane_bytes (int stride, int w, int h)
{
  return (size_t) stride * (h - 1) + w;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Reader r = { data, size };
  int w, h, ss, ds, row0, row1, which, max_w, max_h;
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  VaeDenoiser *d;
  VaeError err;
  uint8_t *src, *dst;
  float sigma;
  VaeRng rng;

  if (models[0] == NULL) {
    models[0] = tiny_model (4, 4, 0, 0);
    models[1] = tiny_model (4, 4, 1, 0);
    models[2] = tiny_model (4, 4, 1, 1);
    models[3] = tiny_model (3, 5, 0, 1);
    models[4] = tiny_conv_model (0);
    models[5] = tiny_colour_model (0);
    models[6] = quantized (tiny_relu_model (), 0);
    models[7] = quantized (tiny_colour_model (1), 1);
    models[8] = tiny_conv_model (1);
    models[9] = quantized (tiny_colour_model (1), 0);
  }
  which = take (&r, 2);
  w = 1 + take (&r, 7);         /* 1..128 */
  h = 1 + take (&r, 7);
  ss = w + take (&r, 5);        /* stride >= w, up to +31 */
  ds = w + take (&r, 5);
  max_w = w + (take (&r, 1) ? take (&r, 4) : 0);
  max_h = h + (take (&r, 1) ? take (&r, 4) : 0);
  row0 = take (&r, 8) % h;
  row1 = row0 + 1 + take (&r, 8) % (h - row0);
  o.stride = take (&r, 3);      /* 0 = default, may exceed the patch */
  o.batch = 1 + take (&r, 6);
  o.window = take (&r, 1) ? VAE_WINDOW_GAUSS : VAE_WINDOW_FLAT;
  sigma = (float) take (&r, 8);
  if (take (&r, 1))           /* read last, so older inputs keep their geometry */
    which = 4;
  if (take (&r, 1)) {         /* a colour model takes even strides only */
    which = 5;
    o.stride &= ~1;
  }
  if (take (&r, 1)) {         /* int8: whole, or layer 0 then float */
    which = take (&r, 1) ? 7 : 6;
    o.stride &= which == 7 ? ~1 : ~0;
    o.precision = take (&r, 1) ? VAE_PRECISION_INT8 : VAE_PRECISION_AUTO;
  }
  if (take (&r, 1)) {         /* a convolutional colour model: whole 2x3
                               * blocks of the interleaved plane */
    which = 8;
    o.precision = VAE_PRECISION_AUTO;
    w = w < 2 ? 2 : w & ~1;
    h = h < 3 ? 3 : h - h % 3;
    ss = ss < w ? w : ss;
    ds = ds < w ? w : ds;
    max_w = max_w < w ? w : max_w;
    max_h = max_h < h ? h : max_h;
    row0 %= h;
    row1 = row1 > h ? h : row1;
    row1 = row1 > row0 ? row1 : row0 + 1;
  }
  if (take (&r, 1)) {         /* the colour model in int8 throughout, as
                               * the shipped colour default */
    which = 9;
    o.stride &= ~1;
    o.precision = take (&r, 1) ? VAE_PRECISION_INT8 : VAE_PRECISION_AUTO;
  }

  d = vae_denoiser_new (models[which], max_w, max_h, &o, &err);
  if (d == NULL) {
    fprintf (stderr, "fuzz_denoise: model %d, %dx%d: %s\n", which, max_w,
        max_h, err.msg);
    abort ();
  }
  src = malloc (plane_bytes (ss, w, h));
  dst = malloc (plane_bytes (ds, w, h));
  for (size_t i = 0; i < plane_bytes (ss, w, h); i++)
    src[i] = (uint8_t) take (&r, 8);
  memset (dst, 0xAA, plane_bytes (ds, w, h));

  if (vae_denoiser_run_u8 (d, src, ss, dst, ds, w, h, row0, row1, sigma)
      != VAE_OK)
    abort ();
  /* Rows outside the band and the stride padding stay untouched. */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < (y == h - 1 ? w : ds); x++)
      if ((y < row0 || y >= row1 || x >= w) && dst[(size_t) y * ds + x] != 0xAA)
        abort ();
  /* Arguments out of range are refused, never run. */
  if (vae_denoiser_run_u8 (d, src, ss, dst, ds, max_w + 1, h, 0, h, sigma)
      != VAE_ERR_ARG
      || vae_denoiser_run_u8 (d, src, ss, dst, ds, w, h, row0, h + 1, sigma)
      != VAE_ERR_ARG
      || vae_denoiser_run_u8 (d, src, ss, dst, ds, w, h, 0, h, NAN)
      != VAE_ERR_ARG)
    abort ();

  {
    float est = vae_estimate_noise_u8 (src, ss, w, h);
    if (!(est >= 0.0f) || !isfinite (est))
      abort ();
  }
  vae_rng_seed (&rng, size);
  vae_noise_apply_u8 ((VaeNoise) take (&r, 2), take (&r, 8) / 100.0f, src,
      ss, w, h, &rng);

  free (src);
  free (dst);
  vae_denoiser_free (d);
  return 0;
}
