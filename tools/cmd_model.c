/* The commands on a model file: info, meta, prune and quantize. */
#include "vae_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------- info */

int
cmd_info (int argc, char **argv)
{
  VaeError err;
  VaeModel *m;
  const VaeConfig *c;
  if (argc != 1)
    return fail ("usage: vae info MODEL");
  m = vae_model_load (argv[0], &err);
  if (m == NULL)
    return fail ("%s: %s", argv[0], err.msg);
  c = vae_model_config (m);
  printf ("file:        %s\n", argv[0]);
  printf ("kind:        %s (%s likelihood)\n", vae_kind_name (c->kind),
      c->likelihood == VAE_LIK_BERNOULLI ? "Bernoulli" : "Gaussian");
  if (c->conv_depth > 0) {
    printf ("network:     convolutional, %d layers of %dx%d convolutions, "
        "%d channels, receptive field %dx%d\n", c->conv_depth, c->conv_kernel,
        c->conv_kernel, c->conv_width, 2 * c->conv_depth * (c->conv_kernel / 2)
        + 1, 2 * c->conv_depth * (c->conv_kernel / 2) + 1);
    printf ("input:       any plane%s (trained on %dx%d patches)\n",
        c->noise_input ? " + noise level map" : "", c->img_w, c->img_h);
  } else {
    printf ("input:       %dx%d%s\n", c->img_w, c->img_h,
        c->noise_input ? " + noise level" : "");
  }
  printf ("layers:      ");
  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int ni, no;
    VaeAct act;
    vae_model_layer (m, l, &ni, &no, &act, NULL, NULL, NULL, NULL);
    printf ("%s%d->%d %s", l ? ", " : "", ni, no, vae_act_name (act));
  }
  if (c->conv_depth == 0)
    printf ("\nlatent:      %d", c->n_latent);
  printf ("\n");
  printf ("parameters:  %zu\n", vae_model_n_params (m));
  if (c->kind == VAE_KIND_DAE)
    printf ("noise:       %s %g..%g%s%s\n", vae_noise_name (c->noise),
        c->noise == VAE_NOISE_GAUSSIAN ? c->noise_min * 255 : c->noise_min,
        c->noise == VAE_NOISE_GAUSSIAN ? c->noise_max * 255 : c->noise_max,
        c->residual ? ", residual" : "", c->noise_input ? ", noise-conditional" : "");
  if (c->kind == VAE_KIND_SPARSE_AE)
    printf ("sparsity:    rho %g beta %g\n", c->sparse_rho, c->sparse_beta);
  printf ("normalise:   (x - %g) / %g\n", c->norm_mean, c->norm_scale);
  if (vae_model_int8_layers (m) == vae_model_n_layers (m))
    printf ("int8:        weights for vaedenoise precision=int8 (quant.*)\n");
  else if (vae_model_is_quantized (m))
    printf ("int8:        weights for the first %d of %d layers (quant.*): "
        "int8 there, bf16 after, in vaedenoise precision=int8\n",
        vae_model_int8_layers (m), vae_model_n_layers (m));
  for (int i = 0; i < vae_model_n_meta (m); i++) {
    const char *k, *v;
    vae_model_meta_at (m, i, &k, &v);
    printf ("%-12s %s\n", k, v);
  }
  vae_model_free (m);
  return 0;
}

/* ----------------------------------------------------------------- meta */

int
cmd_meta (int argc, char **argv)
{
  VaeError err;
  VaeModel *m;
  const char *out = NULL;
  int rc = 0;
  if (argc < 2)
    return fail ("usage: vae meta MODEL KEY=VALUE... [--out FILE]");
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--out") == 0) {
      if (i + 1 >= argc)
        return fail ("meta: --out needs a value");
      out = argv[i + 1];
    }
  m = vae_model_load (argv[0], &err);
  if (m == NULL)
    return fail ("%s: %s", argv[0], err.msg);
  for (int i = 1; i < argc && rc == 0; i++) {
    const char *eq = strchr (argv[i], '=');
    char *key;
    if (strcmp (argv[i], "--out") == 0) {
      i++;
      continue;
    }
    if (eq == NULL || eq == argv[i]) {
      rc = fail ("meta: \"%s\" is not KEY=VALUE", argv[i]);
      break;
    }
    if (strncmp (argv[i], "format=", 7) == 0
        || strncmp (argv[i], "config=", 7) == 0) {
      rc = fail ("meta: %.*s is the file's own, not metadata to set",
          (int) (eq - argv[i]), argv[i]);
      break;
    }
    key = g_strndup (argv[i], eq - argv[i]);
    if (vae_model_set_meta (m, key, eq + 1) != VAE_OK)
      rc = fail ("meta: cannot set %s", key);
    g_free (key);
  }
  if (rc == 0 && vae_model_save (m, out ? out : argv[0], &err) != VAE_OK)
    rc = fail ("%s: %s", out ? out : argv[0], err.msg);
  vae_model_free (m);
  return rc;
}

/* ---------------------------------------------------------------- prune */

static int
cmp_score_desc (const void *pa, const void *pb, void *ud)
{
  const double *sc = ud;
  int a = *(const int *) pa, b = *(const int *) pb;
  if (sc[a] != sc[b])
    return sc[a] > sc[b] ? -1 : 1;
  return a - b;
}

/* prune's options besides the sampler's. */
typedef struct {
  const char *out;
  int keep_n, layer;
} PruneArgs;

/* Reads MODEL's options; 0, else said. */
static int
prune_args (Sampler *sm, PruneArgs *pa, int argc, char **argv)
{
  if (argc < 1 || argv[0][0] == '-')
    return fail ("usage: vae prune MODEL --data SPEC --keep N --out FILE "
        "[--layer L] [--samples N] [--seed S] [--augment] [--zoom-max Z "
        "--zoom-prob P] [--u8-fraction F]");
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *e = NULL;
    int r = sampler_opt (sm, argc, argv, &i);
    if (r < 0)
      return 1;
    if (r > 0)
      continue;
    if (v == NULL)
      return fail ("prune: %s needs a value", k);
    i++;
    if (strcmp (k, "--out") == 0) pa->out = v;
    else if (strcmp (k, "--keep") == 0) pa->keep_n = (int) strtol (v, &e, 10);
    else if (strcmp (k, "--layer") == 0) pa->layer = (int) strtol (v, &e, 10);
    else
      return fail ("prune: unknown option %s", k);
    if (e != NULL && (*e != '\0' || e == v))
      return fail ("prune: %s: \"%s\" is not a number", k, v);
  }
  if (sm->data == NULL || pa->out == NULL || pa->keep_n < 1)
    return fail ("prune: --data, --out and --keep N (N ≥ 1) are required");
  return 0;
}

/* Adds each unit of layer's score on the sampler's samples into score;
 * 0, else said. */
static int
score_units (VaeModel *m, int layer, Sampler *sm, double *score)
{
  const VaeConfig *c = vae_model_config (m);
  enum { B = SAMPLER_BATCH };
  VaeError err;
  VaeWorkspace *ws = vae_workspace_new (m, B, 0, &err);
  float *noisy = malloc ((size_t) B * c->n_in * sizeof (float));
  float *lv = malloc (B * sizeof (float));
  int rc = 0;
  if (ws == NULL || !noisy || !lv)
    rc = fail ("prune: out of memory");
  for (long done = 0; rc == 0 && done < sm->samples; done += B) {
    int b = sm->samples - done < B ? (int) (sm->samples - done) : B;
    sampler_batch (sm, done, b, noisy, lv);
    if (vae_model_unit_scores (m, ws, layer, noisy, c->noise != VAE_NOISE_NONE
            ? lv : NULL, b, score) != VAE_OK)
      rc = fail ("prune: scoring failed");
  }
  vae_workspace_free (ws);
  free (noisy);
  free (lv);
  return rc;
}

/* Marks the keep_n best-scoring units in keep (rank: the units best
 * first) and says how the scores fell. */
static void
choose_units (const double *score, int n_units, int keep_n, int layer,
    long samples, int *rank, unsigned char *keep)
{
  int dead = 0;
  for (int j = 0; j < n_units; j++)
    rank[j] = j;
  g_qsort_with_data (rank, n_units, sizeof (int), cmp_score_desc,
      (void *) score);
  for (int k = 0; k < keep_n; k++)
    keep[rank[k]] = 1;
  for (int j = 0; j < n_units; j++)
    dead += score[j] == 0.0;
  fprintf (stderr, "vae: layer %d: %d units, %d never active on %ld "
      "samples; keeping %d (lowest kept score %.3g, highest dropped %.3g, "
      "median %.3g)\n", layer, n_units, dead, samples, keep_n,
      score[rank[keep_n - 1]] / samples,
      keep_n < n_units ? score[rank[keep_n]] / samples : 0.0,
      score[rank[n_units / 2]] / samples);
}

/* The pruning in p's metadata, and m's training as pretrain.*. */
static void
record_prune (VaeModel *p, const VaeModel *m, const PruneArgs *pa,
    int n_units, const Sampler *sm)
{
  char s[512];
  g_snprintf (s, sizeof s, "layer %d, %d of %d units kept by E[a²]·‖w‖² "
      "on %ld samples of %s, seed %ld", pa->layer, pa->keep_n, n_units,
      sm->samples, sm->data, sm->seed);
  vae_model_set_meta (p, "prune", s);
  /* the training that made the unpruned model, which a later fine-tune
   * (train --init) would otherwise overwrite */
  for (int i = 0; i < vae_model_n_meta (m); i++) {
    const char *k, *v;
    vae_model_meta_at (m, i, &k, &v);
    if (g_str_has_prefix (k, "train.")) {
      char *pk = g_strconcat ("pretrain.", k + 6, NULL);
      vae_model_set_meta (p, pk, v);
      g_free (pk);
    }
  }
}

int
cmd_prune (int argc, char **argv)
{
  Sampler sm = { .cmd = "prune", .samples = 65536, .seed = 1,
    .zoom_max = 1.0, .zoom_prob = 0.0, .u8 = 0.0 };
  PruneArgs pa = { NULL, 0, -1 };
  VaeError err;
  VaeModel *m = NULL, *p = NULL;
  double *score = NULL;
  int *rank = NULL, n_units = 0, rc = 1;
  unsigned char *keep = NULL;

  if (prune_args (&sm, &pa, argc, argv) != 0)
    return 1;
  m = vae_model_load (argv[0], &err);
  if (m == NULL)
    return fail ("%s: %s", argv[0], err.msg);
  if (pa.layer < 0)
    pa.layer = vae_model_n_encoder_layers (m) - 1;   /* the code layer */
  if (vae_model_check_prunable (m, pa.layer, &err) != VAE_OK) {
    fail ("prune: %s", err.msg);
    goto out;
  }
  vae_model_layer (m, pa.layer, NULL, &n_units, NULL, NULL, NULL, NULL, NULL);
  if (pa.keep_n > n_units) {
    fail ("prune: --keep %d, but layer %d has %d units", pa.keep_n, pa.layer,
        n_units);
    goto out;
  }
  if (sampler_open (&sm, vae_model_config (m), 1, 100000000) != VAE_OK)
    goto out;
  score = calloc ((size_t) n_units, sizeof (double));
  rank = malloc ((size_t) n_units * sizeof (int));
  keep = calloc ((size_t) n_units, 1);
  if (!score || !rank || !keep) {
    fail ("prune: out of memory");
    goto out;
  }
  if (score_units (m, pa.layer, &sm, score) != 0)
    goto out;
  choose_units (score, n_units, pa.keep_n, pa.layer, sm.samples, rank, keep);
  p = vae_model_prune (m, pa.layer, keep, &err);
  if (p == NULL) {
    fail ("prune: %s", err.msg);
    goto out;
  }
  record_prune (p, m, &pa, n_units, &sm);
  if (vae_model_save (p, pa.out, &err) != VAE_OK) {
    fail ("%s: %s", pa.out, err.msg);
    goto out;
  }
  fprintf (stderr, "vae: saved %s (%zu parameters, was %zu)\n", pa.out,
      vae_model_n_params (p), vae_model_n_params (m));
  rc = 0;
out:
  vae_model_free (p);
  vae_model_free (m);
  sampler_close (&sm);
  free (score);
  free (rank);
  free (keep);
  return rc;
}

/* ------------------------------------------------------------- quantize */

/* Reads MODEL's options; 0, else said. */
static int
quantize_args (Sampler *sm, const char **out, int *layers, int argc,
    char **argv)
{
  if (argc < 1 || argv[0][0] == '-')
    return fail ("usage: vae quantize MODEL --data SPEC --out FILE "
        "[--layers N] [--samples N] [--seed S] [--augment] "
        "[--zoom-max Z --zoom-prob P] [--u8-fraction F]");
  for (int i = 1; i < argc; i++) {
    int r = sampler_opt (sm, argc, argv, &i);
    if (r < 0)
      return 1;
    if (r > 0)
      continue;
    if (strcmp (argv[i], "--layers") == 0 && i + 1 < argc) {
      char *end;
      long v = strtol (argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || v < 1 || v > 1000)
        return fail ("quantize: --layers needs a count of layers, not %s",
            argv[i]);
      *layers = (int) v;
    } else if (strcmp (argv[i], "--out") == 0 && i + 1 < argc)
      *out = argv[++i];
    else if (strcmp (argv[i], "--out") == 0)
      return fail ("quantize: --out needs a value");
    else
      return fail ("quantize: unknown option %s", argv[i]);
  }
  if (sm->data == NULL || *out == NULL)
    return fail ("quantize: --data and --out are required");
  return 0;
}

/* The calibration set: the sampler's samples in x, (samples, n_in), and
 * their noise levels in lv as the denoiser's sigma. */
static void
draw_calibration (Sampler *sm, const VaeConfig *c, float *x, float *lv)
{
  for (long done = 0; done < sm->samples; done += SAMPLER_BATCH) {
    int b = sm->samples - done < SAMPLER_BATCH ? (int) (sm->samples - done)
        : SAMPLER_BATCH;
    sampler_batch (sm, done, b, x + (size_t) done * c->n_in, lv + done);
    for (int i = 0; c->noise_input && i < b; i++)
      lv[done + i] *= 255.0f;   /* the denoiser's sigma: 255 · level */
  }
}

int
cmd_quantize (int argc, char **argv)
{
  const char *out = NULL;
  int layers = 0;
  Sampler sm = { .cmd = "quantize", .samples = 65536, .seed = 1,
    .zoom_max = 1.0, .zoom_prob = 0.0, .u8 = 1.0 };
  int rc = 1;
  VaeError err;
  VaeModel *m = NULL;
  const VaeConfig *c;
  float *x = NULL, *lv = NULL;
  double t0, rms = 0.0;
  char sdesc[512], lay[32] = "";

  if (quantize_args (&sm, &out, &layers, argc, argv) != 0)
    return 1;
  m = vae_model_load (argv[0], &err);
  if (m == NULL)
    return fail ("%s: %s", argv[0], err.msg);
  c = vae_model_config (m);
  if (sampler_open (&sm, c, 1024, 4000000) != VAE_OK)
    goto out;
  x = malloc ((size_t) sm.samples * c->n_in * sizeof (float));
  lv = calloc ((size_t) sm.samples, sizeof (float));
  if (!x || !lv) {
    fail ("quantize: out of memory");
    goto out;
  }
  draw_calibration (&sm, c, x, lv);
  t0 = g_get_monotonic_time () / 1e6;
  if (vae_model_quantize_layers (m, x, lv, (int) sm.samples, layers, &rms,
          &err) != VAE_OK) {
    fail ("quantize: %s", err.msg);
    goto out;
  }
  if (layers > 0)
    g_snprintf (lay, sizeof lay, " (the first %d layer%s)", layers,
        layers > 1 ? "s" : "");
  g_snprintf (sdesc, sizeof sdesc, "int8 weights%s by GPTQ on %ld samples "
      "of %s, seed %ld%s, u8-fraction %g, zoom %g/%g; outputs %.3f levels "
      "RMS from float's there", lay, sm.samples, sm.data, sm.seed,
      sm.augment ? ", augmented" : "", sm.u8, sm.zoom_max, sm.zoom_prob,
      rms);
  vae_model_set_meta (m, "quant", sdesc);
  fprintf (stderr, "vae: int8 against float outputs on the calibration "
      "samples: %.3f levels RMS (of 255)\n", rms);
  if (vae_model_save (m, out, &err) != VAE_OK) {
    fail ("%s: %s", out, err.msg);
    goto out;
  }
  fprintf (stderr, "vae: quantised in %.1f s, saved %s\n",
      g_get_monotonic_time () / 1e6 - t0, out);
  rc = 0;
out:
  sampler_close (&sm);
  free (x);
  free (lv);
  vae_model_free (m);
  return rc;
}
