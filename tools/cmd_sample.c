/* The commands that draw a model's pictures: sample (from a VAE's prior)
 * and filters (its first-layer weights). */
#include "vae_tool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cmd_sample (int argc, char **argv)
{
  const char *model = NULL, *out = NULL;
  int cols = 8, rows = 8, manifold = 0;
  double temp = 1.0;
  guint64 seed = 1;
  VaeError err;
  VaeModel *m;
  VaeWorkspace *ws;
  VaeRng r;
  const VaeConfig *c;
  float *x;
  uint8_t *img;
  int W, H;
  for (int i = 0; i < argc; i++) {
    if (i + 1 >= argc) return fail ("sample: %s needs a value", argv[i]);
    if (strcmp (argv[i], "--model") == 0) model = argv[++i];
    else if (strcmp (argv[i], "--out") == 0) out = argv[++i];
    else if (strcmp (argv[i], "--grid") == 0) {
      if (sscanf (argv[++i], "%dx%d", &cols, &rows) != 2) return fail ("sample: --grid CxR");
    } else if (strcmp (argv[i], "--temperature") == 0) temp = atof (argv[++i]);
    else if (strcmp (argv[i], "--seed") == 0) seed = g_ascii_strtoull (argv[++i], NULL, 10);
    else if (strcmp (argv[i], "--manifold") == 0) manifold = atoi (argv[++i]);
    else return fail ("sample: unknown option %s", argv[i]);
  }
  if (!model || !out || cols < 1 || rows < 1 || cols > 64 || rows > 64)
    return fail ("usage: vae sample --model M --out GRID.png [--grid 8x8] [--temperature T] [--seed N] [--manifold 1]");
  m = vae_model_load (model, &err);
  if (m == NULL)
    return fail ("%s: %s", model, err.msg);
  c = vae_model_config (m);
  if (c->kind == VAE_KIND_DAE) {
    vae_model_free (m);
    return fail ("%s: a denoiser has no prior to sample from", model);
  }
  ws = vae_workspace_new (m, cols * rows, 0, &err);
  x = malloc ((size_t) cols * rows * c->n_in * sizeof (float));
  W = cols * c->img_w;
  H = rows * c->img_h;
  img = malloc ((size_t) W * H);
  vae_rng_seed (&r, seed);
  if (manifold && c->n_latent == 2) {
    /* the prior's quantiles on a regular grid, as in Kingma & Welling's
     * figures: z = Φ⁻¹(u), u in (0, 1) */
    float *z = malloc ((size_t) cols * rows * 2 * sizeof (float));
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < cols; j++) {
        z[(i * cols + j) * 2] = vae_normal_quantile ((j + 0.5) / cols);
        z[(i * cols + j) * 2 + 1] = vae_normal_quantile (1.0 - (i + 0.5) / rows);
      }
    vae_decode (m, ws, z, cols * rows, x);
    free (z);
  } else {
    vae_sample (m, ws, cols * rows, (float) temp, &r, x);
  }
  for (int k = 0; k < cols * rows; k++)
    for (int i = 0; i < c->img_h; i++)
      for (int j = 0; j < c->img_w; j++) {
        float v = x[(size_t) k * c->n_in + i * c->img_w + j] * 255.0f;
        img[(size_t) ((k / cols) * c->img_h + i) * W + (k % cols) * c->img_w + j] =
            (uint8_t) fminf (fmaxf (v + 0.5f, 0.0f), 255.0f);
      }
  if (vae_image_save_png (out, img, W, H, W, &err) != VAE_OK)
    fail ("%s", err.msg);
  free (img);
  free (x);
  vae_workspace_free (ws);
  vae_model_free (m);
  return 0;
}

/* First-layer weights as a tiled picture (UFLDL's filter display). */
int
cmd_filters (int argc, char **argv)
{
  const char *model = NULL, *out = NULL;
  int scale = 3, n_show = 0;
  VaeError err;
  VaeModel *m;
  const VaeConfig *c;
  float *w;
  int n_in, n_out, cols, rows, W, H, pw, ph;
  uint8_t *img;
  for (int i = 0; i < argc; i++) {
    if (i + 1 >= argc) return fail ("filters: %s needs a value", argv[i]);
    if (strcmp (argv[i], "--model") == 0) model = argv[++i];
    else if (strcmp (argv[i], "--out") == 0) out = argv[++i];
    else if (strcmp (argv[i], "--scale") == 0) scale = atoi (argv[++i]);
    else if (strcmp (argv[i], "--count") == 0) n_show = atoi (argv[++i]);
    else return fail ("filters: unknown option %s", argv[i]);
  }
  if (!model || !out || scale < 1 || scale > 16)
    return fail ("usage: vae filters --model M --out F.png [--scale 3] [--count N]");
  m = vae_model_load (model, &err);
  if (m == NULL)
    return fail ("%s: %s", model, err.msg);
  c = vae_model_config (m);
  vae_model_layer (m, 0, &n_in, &n_out, NULL, &w, NULL, NULL, NULL);
  if (n_show <= 0 || n_show > n_out)
    n_show = n_out;
  pw = c->img_w;
  ph = c->img_h;
  cols = (int) ceil (sqrt ((double) n_show));
  rows = (n_show + cols - 1) / cols;
  W = cols * (pw * scale + 1) + 1;
  H = rows * (ph * scale + 1) + 1;
  img = malloc ((size_t) W * H);
  memset (img, 0, (size_t) W * H);
  for (int k = 0; k < n_show; k++) {
    const float *f = w + (size_t) k * n_in;
    float mx = 1e-12f;
    for (int j = 0; j < pw * ph; j++)
      mx = fmaxf (mx, fabsf (f[j]));
    for (int i = 0; i < ph * scale; i++)
      for (int j = 0; j < pw * scale; j++) {
        float v = 127.5f + 127.5f * f[(i / scale) * pw + j / scale] / mx;
        img[(size_t) ((k / cols) * (ph * scale + 1) + 1 + i) * W
            + (k % cols) * (pw * scale + 1) + 1 + j] = (uint8_t) v;
      }
  }
  if (vae_image_save_png (out, img, W, H, W, &err) != VAE_OK)
    fail ("%s", err.msg);
  free (img);
  vae_model_free (m);
  return 0;
}
