/* The commands on one image: denoise, noise, psnr and compare. */
#include "vae_tool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cmd_denoise (int argc, char **argv)
{
  DenoiseArgs a = denoise_args_default ();
  const char *files[2] = { NULL, NULL };
  int nf = 0;
  VaeError err;
  VaeModel *m;
  VaeImage im;
  VaeDenoiser *d;
  VaeDenoiseOpts o;
  uint8_t *out;
  float sigma;
  for (int i = 0; i < argc; i++) {
    int r = parse_denoise_opt (&a, &i, argc, argv);
    if (r == 1)
      continue;
    if (r == 0 && argv[i][0] != '-' && nf < 2) {
      files[nf++] = argv[i];
      continue;
    }
    return fail ("denoise: bad option %s", argv[i]);
  }
  if (!a.model || nf != 2)
    return fail ("usage: vae denoise --model M [--sigma S|-1] [--stride S] "
        "[--ensemble 1|8] [--precision auto|fp32|bf16|int8] IN OUT.png");
  vae_blas_threads (a.threads);
  m = load_gray_denoiser (a.model, "denoise");
  if (m == NULL)
    return 1;
  if (vae_image_load (files[0], &im, &err) != VAE_OK) {
    vae_model_free (m);
    return fail ("%s", err.msg);
  }
  o = denoise_opts_from_args (&a);
  d = new_denoiser (m, im.w, im.h, &o, a.ensemble, &err);
  if (d == NULL) {
    vae_image_clear (&im);
    vae_model_free (m);
    return fail ("%s", err.msg);
  }
  sigma = (float) (a.level >= 0 ? a.level : a.sigma);
  if (sigma < 0) {
    sigma = vae_estimate_noise_u8 (im.pixels, im.w, im.w, im.h);
    fprintf (stderr, "vae: estimated sigma %.2f\n", sigma);
  }
  out = malloc ((size_t) im.w * im.h);
  if (a.ensemble == 8) {
    size_t n = (size_t) im.w * im.h;
    float *fi = malloc (n * sizeof (float)), *fo = malloc (n * sizeof (float));
    for (size_t k = 0; k < n; k++)
      fi[k] = im.pixels[k] / 255.0f;
    if (denoise_float (d, fi, fo, im.w, im.h, sigma, 8) != VAE_OK)
      fail ("denoise: the self-ensemble failed");
    for (size_t k = 0; k < n; k++)
      out[k] = (uint8_t) fminf (fmaxf (roundf (fo[k] * 255.0f), 0.0f), 255.0f);
    free (fi);
    free (fo);
  } else {
    vae_denoiser_run_u8 (d, im.pixels, im.w, out, im.w, im.w, im.h, 0, im.h,
        sigma);
  }
  if (vae_image_save_png (files[1], out, im.w, im.h, im.w, &err) != VAE_OK)
    fail ("%s", err.msg);
  free (out);
  vae_denoiser_free (d);
  vae_image_clear (&im);
  vae_model_free (m);
  return 0;
}

int
cmd_noise (int argc, char **argv)
{
  const char *type = "gaussian", *files[2] = { NULL, NULL };
  double level = -1;
  guint64 seed = 1;
  int nf = 0, t;
  VaeImage im;
  VaeError err;
  VaeRng r;
  for (int i = 0; i < argc; i++) {
    if (strcmp (argv[i], "--type") == 0 && i + 1 < argc) type = argv[++i];
    else if ((strcmp (argv[i], "--sigma") == 0 || strcmp (argv[i], "--p") == 0)
        && i + 1 < argc) level = atof (argv[++i]);
    else if (strcmp (argv[i], "--seed") == 0 && i + 1 < argc)
      seed = g_ascii_strtoull (argv[++i], NULL, 10);
    else if (argv[i][0] != '-' && nf < 2) files[nf++] = argv[i];
    else return fail ("noise: bad option %s", argv[i]);
  }
  t = vae_noise_from_name (type);
  if (nf != 2 || t <= 0)
    return fail ("usage: vae noise --type gaussian|salt-and-pepper|masking "
        "--sigma S|--p P [--seed N] IN OUT.png");
  if (level < 0)
    level = t == VAE_NOISE_GAUSSIAN ? 25 : 0.1;
  if (vae_image_load (files[0], &im, &err) != VAE_OK)
    return fail ("%s", err.msg);
  vae_rng_seed (&r, seed);
  vae_noise_apply_u8 (t, (float) level, im.pixels, im.w, im.w, im.h, &r);
  if (vae_image_save_png (files[1], im.pixels, im.w, im.h, im.w, &err) != VAE_OK) {
    vae_image_clear (&im);
    return fail ("%s", err.msg);
  }
  vae_image_clear (&im);
  return 0;
}

int
cmd_psnr (int argc, char **argv)
{
  VaeImage a, b;
  VaeError err;
  if (argc != 2)
    return fail ("usage: vae psnr A B");
  if (vae_image_load (argv[0], &a, &err) != VAE_OK)
    return fail ("%s", err.msg);
  if (vae_image_load (argv[1], &b, &err) != VAE_OK) {
    vae_image_clear (&a);
    return fail ("%s", err.msg);
  }
  if (a.w != b.w || a.h != b.h) {
    fail ("psnr: sizes differ: %dx%d vs %dx%d", a.w, a.h, b.w, b.h);
    vae_image_clear (&a);
    vae_image_clear (&b);
    return 1;
  }
  printf ("%.2f\n", vae_psnr_u8 (a.pixels, a.w, b.pixels, b.w, a.w, a.h));
  vae_image_clear (&a);
  vae_image_clear (&b);
  return 0;
}

/* clean | noisy | denoised crop of one image, with PSNRs. */
int
cmd_compare (int argc, char **argv)
{
  DenoiseArgs a = denoise_args_default ();
  const char *in = NULL, *out = NULL;
  int cx = 0, cy = 0, cw = 0, ch = 0;
  VaeError err;
  VaeModel *m;
  VaeImage im;
  VaeDenoiser *d;
  VaeDenoiseOpts o;
  VaeRng r;
  uint8_t *noisy, *den, *strip;
  for (int i = 0; i < argc; i++) {
    int rr = parse_denoise_opt (&a, &i, argc, argv);
    if (rr == 1)
      continue;
    if (rr == 0 && strcmp (argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
    else if (rr == 0 && strcmp (argv[i], "--crop") == 0 && i + 1 < argc) {
      if (sscanf (argv[++i], "%dx%d+%d+%d", &cw, &ch, &cx, &cy) != 4)
        return fail ("compare: --crop WxH+X+Y");
    } else if (rr == 0 && argv[i][0] != '-' && !in) in = argv[i];
    else return fail ("compare: bad option %s", argv[i]);
  }
  if (!a.model || !in || !out)
    return fail ("usage: vae compare --model M [--sigma 25] [--crop WxH+X+Y] --out F.png IMAGE");
  m = load_gray_denoiser (a.model, "compare");
  if (m == NULL)
    return 1;
  if (vae_image_load (in, &im, &err) != VAE_OK) {
    vae_model_free (m);
    return fail ("%s", err.msg);
  }
  o = denoise_opts_from_args (&a);
  d = vae_denoiser_new (m, im.w, im.h, &o, &err);
  if (d == NULL) {
    vae_image_clear (&im);
    vae_model_free (m);
    return fail ("%s", err.msg);
  }
  noisy = malloc ((size_t) im.w * im.h);
  den = malloc ((size_t) im.w * im.h);
  memcpy (noisy, im.pixels, (size_t) im.w * im.h);
  vae_rng_seed (&r, a.seed);
  vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, (float) a.sigma, noisy, im.w, im.w, im.h, &r);
  vae_denoiser_run_u8 (d, noisy, im.w, den, im.w, im.w, im.h, 0, im.h,
      (float) (a.level >= 0 ? a.level : a.sigma));
  printf ("noisy    %.2f dB\ndenoised %.2f dB\n",
      vae_psnr_u8 (noisy, im.w, im.pixels, im.w, im.w, im.h),
      vae_psnr_u8 (den, im.w, im.pixels, im.w, im.w, im.h));
  if (cw <= 0 || ch <= 0 || cx < 0 || cy < 0 || cx + cw > im.w || cy + ch > im.h) {
    cx = cy = 0;
    cw = im.w;
    ch = im.h;
  }
  strip = malloc ((size_t) (3 * cw + 4) * ch);
  memset (strip, 255, (size_t) (3 * cw + 4) * ch);
  for (int y = 0; y < ch; y++) {
    uint8_t *row = strip + (size_t) y * (3 * cw + 4);
    const uint8_t *src[3] = { im.pixels, noisy, den };
    for (int k = 0; k < 3; k++)
      memcpy (row + k * (cw + 2), src[k] + (size_t) (cy + y) * im.w + cx, cw);
  }
  if (vae_image_save_png (out, strip, 3 * cw + 4, ch, 3 * cw + 4, &err) != VAE_OK)
    fail ("%s", err.msg);
  free (strip);
  free (noisy);
  free (den);
  vae_denoiser_free (d);
  vae_image_clear (&im);
  vae_model_free (m);
  return 0;
}
