/* The denoiser options of denoise, compare and eval-denoise, and the
 * denoiser runs they share. */
#include "vae_tool.h"

#include <stdlib.h>
#include <string.h>

DenoiseArgs
denoise_args_default (void)
{
  DenoiseArgs a = { NULL, 0, 1, 2048, 0, 25.0, -1.0, 1, 1, 1,
    VAE_PRECISION_AUTO };
  return a;
}

/* Takes argv[*i] (and its value) when it is a denoiser option: 1, with *i
 * on its value; 0 when it is not one; -1 when its value is missing or
 * bad. */
int
parse_denoise_opt (DenoiseArgs *a, int *i, int argc, char **argv)
{
  const char *k = argv[*i];
  if (k[0] != '-' || k[1] != '-')
    return 0;
  if (*i + 1 >= argc)
    return -1;
  if (strcmp (k, "--model") == 0) a->model = argv[++*i];
  else if (strcmp (k, "--stride") == 0) a->stride = atoi (argv[++*i]);
  else if (strcmp (k, "--threads") == 0) a->threads = atoi (argv[++*i]);
  else if (strcmp (k, "--batch") == 0) a->batch = atoi (argv[++*i]);
  else if (strcmp (k, "--sigma") == 0) a->sigma = atof (argv[++*i]);
  else if (strcmp (k, "--level") == 0) a->level = atof (argv[++*i]);
  else if (strcmp (k, "--seed") == 0) a->seed = g_ascii_strtoull (argv[++*i], NULL, 10);
  else if (strcmp (k, "--ensemble") == 0) {
    a->ensemble = atoi (argv[++*i]);
    if (a->ensemble != 1 && a->ensemble != 8)
      return -1;
  }
  else if (strcmp (k, "--precision") == 0) {
    const char *v = argv[++*i];
    if (strcmp (v, "auto") == 0) a->precision = VAE_PRECISION_AUTO;
    else if (strcmp (v, "fp32") == 0) a->precision = VAE_PRECISION_FP32;
    else if (strcmp (v, "bf16") == 0) a->precision = VAE_PRECISION_BF16;
    else if (strcmp (v, "int8") == 0) a->precision = VAE_PRECISION_INT8;
    else return -1;
  }
  else if (strcmp (k, "--window") == 0) a->window = strcmp (argv[++*i], "flat") == 0 ? 0 : 1;
  else if (strcmp (k, "--protocol") == 0) {
    const char *p = argv[++*i];
    if (strcmp (p, "paper") == 0) a->clip = 0;
    else if (strcmp (p, "pipeline") == 0) a->clip = 1;
    else return -1;
  } else return 0;
  return 1;
}

/* The denoiser's options as given (stride, window, precision), the others
 * at their defaults. */
VaeDenoiseOpts
denoise_opts_from_args (const DenoiseArgs *a)
{
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  o.stride = a->stride;
  o.window = a->window ? VAE_WINDOW_GAUSS : VAE_WINDOW_FLAT;
  o.precision = a->precision;
  return o;
}

/* The model for a command that denoises gray pictures, or NULL when said:
 * a colour model reads an interleaved 4:2:0 plane, which a gray picture is
 * not (its output would be garbage, not an error). */
VaeModel *
load_gray_denoiser (const char *path, const char *cmd)
{
  VaeError err;
  VaeModel *m = vae_model_load (path, &err);
  if (m == NULL) {
    fail ("%s: %s", path, err.msg);
    return NULL;
  }
  if (vae_model_config (m)->colour) {
    fail ("%s: %s is a colour model, which denoises colour video through "
        "vaedenoise; gray pictures need a one-plane model (denoise-s, "
        "denoise-cnn)", cmd, path);
    vae_model_free (m);
    return NULL;
  }
  return m;
}

/* A denoiser for w × h planes, or for both orientations when the
 * self-ensemble will transpose them. */
VaeDenoiser *
new_denoiser (const VaeModel *m, int w, int h, const VaeDenoiseOpts *o,
    int ensemble, VaeError *err)
{
  int side = w > h ? w : h;
  return ensemble == 8 ? vae_denoiser_new (m, side, side, o, err)
      : vae_denoiser_new (m, w, h, o, err);
}

/* Denoises a float image [0,1] (h rows of w) into out, the self-ensemble's
 * eight orientations when ensemble is 8. */
int
denoise_float (VaeDenoiser *d, const float *in, float *out, int w, int h,
    float level, int ensemble)
{
  if (ensemble == 8) {
    float *work = malloc ((size_t) 3 * w * h * sizeof (float));
    int rc = work ? vae_denoiser_run_f32_x8 (d, in, w, out, w, w, h, level,
        work) : VAE_ERR_NOMEM;
    free (work);
    return rc;
  }
  return vae_denoiser_run_f32 (d, in, w, out, w, w, h, 0, h, level);
}
