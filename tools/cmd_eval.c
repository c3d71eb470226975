/* The commands that score a model on a dataset: eval (likelihood bounds)
 * and eval-denoise (PSNR and SSIM on a folder of images). */
#include "vae_tool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------- eval */

int
cmd_eval (int argc, char **argv)
{
  const char *model = NULL, *data = NULL;
  int iwae = 0, limit = 0, threads = 1;
  guint64 seed = 1;
  VaeError err;
  VaeModel *m;
  VaeWorkspace *ws;
  Dataset d;
  VaeRng rng;
  double s_rec = 0, s_elbo = 0, s_iw = 0;
  float *rec, *elbo;
  int B = 500;

  for (int i = 0; i < argc; i++) {
    if (i + 1 >= argc)
      return fail ("eval: %s needs a value", argv[i]);
    if (strcmp (argv[i], "--model") == 0) model = argv[++i];
    else if (strcmp (argv[i], "--data") == 0) data = argv[++i];
    else if (strcmp (argv[i], "--iwae") == 0) iwae = atoi (argv[++i]);
    else if (strcmp (argv[i], "--limit") == 0) limit = atoi (argv[++i]);
    else if (strcmp (argv[i], "--seed") == 0) seed = g_ascii_strtoull (argv[++i], NULL, 10);
    else if (strcmp (argv[i], "--threads") == 0) threads = atoi (argv[++i]);
    else return fail ("eval: unknown option %s", argv[i]);
  }
  if (!model || !data)
    return fail ("usage: vae eval --model M --data SPEC [--iwae K] [--limit N] [--seed S]");
  vae_blas_threads (threads);
  m = vae_model_load (model, &err);
  if (m == NULL)
    return fail ("%s: %s", model, err.msg);
  if (dataset_load (data, &d, &err) != VAE_OK || d.n == 0) {
    vae_model_free (m);
    return fail ("eval: %s: %s", data, d.n == 0 ? "needs fixed-size samples" : err.msg);
  }
  if (d.dim != vae_model_config (m)->n_in) {
    int dim = d.dim, n_in = vae_model_config (m)->n_in;
    vae_model_free (m);
    dataset_clear (&d);
    return fail ("eval: samples have %d values, the model takes %d", dim,
        n_in);
  }
  if (limit > 0 && limit < d.n)
    d.n = limit;
  ws = vae_workspace_new (m, B, 0, &err);
  rec = malloc (B * sizeof (float));
  elbo = malloc (B * sizeof (float));
  vae_rng_seed (&rng, seed);
  for (int i = 0; i < d.n; i += B) {
    int b = d.n - i < B ? d.n - i : B;
    vae_score (m, ws, d.x + (size_t) i * d.dim, b, &rng, rec, elbo);
    for (int k = 0; k < b; k++) {
      s_rec += rec[k];
      s_elbo += elbo[k];
    }
  }
  printf ("samples:            %d\n", d.n);
  printf ("reconstruction NLL: %.4f per sample (at z = mu)\n", s_rec / d.n);
  printf ("negative ELBO:      %.4f per sample (one draw)\n", s_elbo / d.n);
  if (iwae > 0 && vae_model_config (m)->kind == VAE_KIND_VAE) {
    VaeWorkspace *w2 = vae_workspace_new (m, iwae < 1000 ? iwae : 1000, 0, &err);
    float lp;
    for (int i = 0; i < d.n; i++) {
      vae_iwae (m, w2, d.x + (size_t) i * d.dim, 1, iwae, &rng, &lp);
      s_iw += lp;
    }
    printf ("IWAE NLL (k=%d):   %.4f nats\n", iwae, -s_iw / d.n);
    vae_workspace_free (w2);
  }
  free (rec);
  free (elbo);
  vae_workspace_free (ws);
  vae_model_free (m);
  dataset_clear (&d);
  return 0;
}

/* --------------------------------------------------------- eval-denoise */

/* An 8-bit plane in and out, as GRAY8 in a pipeline (in: 8-bit values in
 * [0, 1]); the int8 path applies to these. */
static int
denoise_u8 (VaeDenoiser *d, const float *in, float *out, int w, int h,
    float level)
{
  size_t n = (size_t) w * h;
  uint8_t *a = malloc (2 * n);
  int rc;
  if (a == NULL)
    return VAE_ERR_NOMEM;
  for (size_t k = 0; k < n; k++)
    a[k] = (uint8_t) fminf (fmaxf (roundf (in[k] * 255.0f), 0.0f), 255.0f);
  rc = vae_denoiser_run_u8 (d, a, w, a + n, w, w, h, 0, h, level);
  for (size_t k = 0; k < n; k++)
    out[k] = a[n + k] / 255.0f;
  free (a);
  return rc;
}

/* eval-denoise's sums over the images. */
typedef struct {
  double sum_in, sum_out, sum_ssim;   /* PSNR noisy, denoised; SSIM */
  double secs, pixels;                /* denoising time and pixels */
} EvalSums;

/* Noises image i of s as the protocol says, denoises it and prints its
 * row; 0, else said. */
static int
eval_image (const VaeModel *m, const DenoiseArgs *a, const VaeDenoiseOpts *o,
    const VaeImageSet *s, int i, EvalSums *sum)
{
  VaeImage *im = &s->images[i];
  size_t n = (size_t) im->w * im->h;
  float *clean = malloc (n * sizeof (float));
  float *noisy = malloc (n * sizeof (float));
  float *out = malloc (n * sizeof (float));
  VaeError err;
  VaeDenoiser *d = new_denoiser (m, im->w, im->h, o, a->ensemble, &err);
  VaeRng r;
  double pin, pout, ss;
  float level;
  gint64 t0;
  if (d == NULL) {
    fail ("eval-denoise: %s", err.msg);
    free (clean); free (noisy); free (out);
    return 1;
  }
  if (i == 0)
    printf ("# arithmetic: %s\n", vae_denoiser_arithmetic (d));
  /* seeded per image, so any subset reproduces */
  vae_rng_seed (&r, a->seed * 1000003u + (guint64) i);
  for (size_t k = 0; k < n; k++) {
    clean[k] = im->pixels[k] / 255.0f;
    float v = im->pixels[k] + (float) a->sigma * vae_rng_normal (&r);
    if (a->clip)
      v = fminf (fmaxf (roundf (v), 0.0f), 255.0f);
    noisy[k] = v / 255.0f;
  }
  level = (float) (a->level >= 0 ? a->level : a->sigma);
  t0 = g_get_monotonic_time ();
  /* the pipeline protocol: 8-bit planes, as the element gets them */
  if (a->clip && a->ensemble == 1)
    denoise_u8 (d, noisy, out, im->w, im->h, level);
  else
    denoise_float (d, noisy, out, im->w, im->h, level, a->ensemble);
  sum->secs += (g_get_monotonic_time () - t0) / 1e6;
  sum->pixels += (double) n;
  if (a->clip)
    for (size_t k = 0; k < n; k++)
      out[k] = fminf (fmaxf (roundf (out[k] * 255.0f), 0.0f), 255.0f) / 255.0f;
  pin = vae_psnr_f32 (noisy, clean, n, 1.0f);
  pout = vae_psnr_f32 (out, clean, n, 1.0f);
  ss = vae_ssim_f32 (out, clean, im->w, im->h, 1.0f);
  sum->sum_in += pin;
  sum->sum_out += pout;
  sum->sum_ssim += ss;
  printf ("%-16s %8.2f %8.2f %8.4f\n", g_path_get_basename (s->names[i]), pin,
      pout, ss);
  vae_denoiser_free (d);
  free (clean);
  free (noisy);
  free (out);
  return 0;
}

int
cmd_eval_denoise (int argc, char **argv)
{
  DenoiseArgs a = denoise_args_default ();
  const char *set = NULL;
  VaeError err;
  VaeModel *m;
  VaeImageSet s;
  VaeDenoiseOpts o;
  EvalSums sum = { 0, 0, 0, 0, 0 };
  int rc = 0;

  for (int i = 0; i < argc; i++) {
    int r = parse_denoise_opt (&a, &i, argc, argv);
    if (r == 1)
      continue;
    if (r == 0 && strcmp (argv[i], "--set") == 0 && i + 1 < argc) {
      set = argv[++i];
      continue;
    }
    return fail ("eval-denoise: bad option %s", argv[i]);
  }
  if (!a.model || !set)
    return fail ("usage: vae eval-denoise --model M --set DIR [--sigma 25] "
        "[--protocol paper|pipeline] [--stride S] [--ensemble 1|8] [--seed N] "
        "[--threads N] [--precision auto|fp32|bf16|int8]");
  vae_blas_threads (a.threads);
  m = load_gray_denoiser (a.model, "eval-denoise");
  if (m == NULL)
    return 1;
  if (vae_image_set_load_dir (set, &s, &err) != VAE_OK) {
    vae_model_free (m);
    return fail ("eval-denoise: %s", err.msg);
  }
  o = denoise_opts_from_args (&a);
  o.batch = a.batch;
  printf ("# %s on %s, sigma %.1f, %s protocol\n", a.model, set, a.sigma,
      a.clip ? "pipeline (8-bit, clipped)" : "paper (float, unclipped)");
  printf ("%-16s %8s %8s %8s\n", "image", "noisy", "denoised", "SSIM");
  for (int i = 0; i < s.n && rc == 0; i++)
    rc = eval_image (m, &a, &o, &s, i, &sum);
  if (rc == 0) {
    printf ("%-16s %8.2f %8.2f %8.4f\n", "MEAN", sum.sum_in / s.n,
        sum.sum_out / s.n, sum.sum_ssim / s.n);
    printf ("# %.2f Mpixel/s\n", sum.pixels / sum.secs / 1e6);
  }
  vae_image_set_clear (&s);
  vae_model_free (m);
  return rc;
}
