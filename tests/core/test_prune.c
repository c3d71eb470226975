/* Pruning hidden units (core/prune.c): the scores against their definition
 * computed here in double, dead units removed without changing any output,
 * any kept set equal to zeroing the dropped units, every hidden layer of a
 * deep model, and what cannot be pruned refused. */
#include "vae.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static VaeModel *
make_model (VaeKind kind, int n_enc, int n_dec, uint64_t seed)
{
  VaeConfig c = vae_config_default ();
  VaeModel *m;
  c.kind = kind;
  c.img_w = 5;
  c.img_h = 4;
  c.n_in = 20;
  c.n_enc = n_enc;
  for (int i = 0; i < n_enc; i++)
    c.enc[i] = 17 + i;
  c.n_latent = 13;
  c.n_dec = n_dec;
  for (int i = 0; i < n_dec; i++)
    c.dec[i] = 11 + i;
  c.act = VAE_ACT_RELU;
  c.code_act = VAE_ACT_RELU;
  if (kind == VAE_KIND_DAE) {
    c.noise = VAE_NOISE_GAUSSIAN;
    c.noise_max = 0.2f;
    c.residual = 1;
    c.noise_input = 1;
    c.norm_mean = 0.5f;
    c.norm_scale = 0.25f;
  }
  m = new_model_biased (&c, seed, 0.4f);
  return m;
}

static void
reconstruct (VaeModel *m, const float *x, int n, float *out)
{
  VaeError err;
  VaeWorkspace *ws = vae_workspace_new (m, n, 0, &err);
  CHECK (ws != NULL, "workspace: %s", err.msg);
  CHECK (vae_reconstruct (m, ws, x, n, 0.1f, out) == VAE_OK, "reconstruct");
  vae_workspace_free (ws);
}

static double
max_diff (const float *a, const float *b, size_t n)
{
  double d = 0.0;
  for (size_t i = 0; i < n; i++)
    d = fmax (d, fabs ((double) a[i] - b[i]));
  return d;
}

/* Scores by their definition, in double: Σ_batch a_j² · ‖W_{l+1}[:, j]‖². */
static void
ref_scores (VaeModel *m, int layer, const float *x, int n, double *s)
{
  const VaeConfig *c = vae_model_config (m);
  int ni = vae_model_net_in (m), width = ni;
  double *in = malloc (sizeof (double) * n * 64), *out;
  int nx, no;
  float *wn;

  for (int i = 0; i < n; i++) {
    for (int j = 0; j < c->n_in; j++)
      in[i * 64 + j] = (x[i * c->n_in + j] - c->norm_mean) / c->norm_scale;
    if (c->noise_input)
      in[i * 64 + c->n_in] = 0.1 / c->norm_scale;
  }
  out = malloc (sizeof (double) * n * 64);
  for (int l = 0; l <= layer; l++) {
    float *w, *b;
    VaeAct act;
    vae_model_layer (m, l, &nx, &no, &act, &w, &b, NULL, NULL);
    /* a VAE's decoder reads μ, the first half of its code layer */
    CHECK (nx == width || (c->kind == VAE_KIND_VAE && 2 * nx == width),
        "layer %d width", l);
    for (int i = 0; i < n; i++)
      for (int o = 0; o < no; o++) {
        double a = b[o];
        for (int k = 0; k < nx; k++)
          a += (double) w[o * nx + k] * in[i * 64 + k];
        out[i * 64 + o] = act == VAE_ACT_RELU ? fmax (a, 0.0) : a;
      }
    memcpy (in, out, sizeof (double) * n * 64);
    width = no;
  }
  vae_model_layer (m, layer + 1, &nx, &no, NULL, &wn, NULL, NULL, NULL);
  for (int j = 0; j < width; j++) {
    double sa = 0.0, norm = 0.0;
    for (int i = 0; i < n; i++)
      sa += in[i * 64 + j] * in[i * 64 + j];
    for (int o = 0; o < no; o++)
      norm += (double) wn[o * nx + j] * wn[o * nx + j];
    s[j] = sa * norm;
  }
  free (in);
  free (out);
}

static void
test_layer (VaeKind kind, int n_enc, int n_dec, int layer, const char *what)
{
  enum { N = 40 };
  VaeModel *m = make_model (kind, n_enc, n_dec, 3 + layer), *p, *z;
  VaeError err;
  VaeWorkspace *ws = vae_workspace_new (m, N, 0, &err);
  const VaeConfig *c = vae_model_config (m);
  float x[N * 20], lv[N], y0[N * 20], y1[N * 20], y2[N * 20];
  double acc[64] = { 0 }, ref[64];
  unsigned char keep[64], all[64];
  int units, dead = 0, kept = 0;
  float *w, *b;
  VaeRng r;

  vae_model_set_meta (m, "train.seed", "77");
  vae_rng_seed (&r, 9);
  for (int i = 0; i < N * 20; i++)
    x[i] = vae_rng_uniform (&r);
  for (int i = 0; i < N; i++)
    lv[i] = 0.1f;
  vae_model_layer (m, layer, NULL, &units, NULL, &w, &b, NULL, NULL);
  /* three units that no input can switch on */
  for (int j = 0; j < 3; j++)
    b[j * 4] = -1e4f;
  CHECK (vae_model_unit_scores (m, ws, layer, x, c->noise_input ? lv : NULL,
          N, acc) == VAE_OK, "%s: unit scores refused", what);
  ref_scores (m, layer, x, N, ref);
  for (int j = 0; j < units; j++) {
    CHECK (fabs (acc[j] - ref[j]) <= 1e-4 * (1.0 + ref[j]),
        "%s: unit %d score %g, reference %g", what, j, acc[j], ref[j]);
    dead += acc[j] == 0.0;
  }
  CHECK (dead >= 3, "%s: the disabled units score above 0", what);

  /* dead units out: the same outputs */
  for (int j = 0; j < units; j++)
    kept += (keep[j] = acc[j] > 0.0);
  p = vae_model_prune (m, layer, keep, &err);
  CHECK (p != NULL, "%s: prune: %s", what, err.msg);
  if (p == NULL)
    return;
  {
    int no;
    vae_model_layer (p, layer, NULL, &no, NULL, NULL, NULL, NULL, NULL);
    CHECK (no == kept, "%s: %d units after pruning, %d kept", what, no, kept);
  }
  reconstruct (m, x, N, y0);
  reconstruct (p, x, N, y1);
  printf ("%-28s %d units, %d dead: pruned model differs by %.2g\n", what,
      units, dead, max_diff (y0, y1, N * 20));
  CHECK (max_diff (y0, y1, N * 20) < 1e-5, "%s: removing dead units changed "
      "the output by %g", what, max_diff (y0, y1, N * 20));
  vae_model_free (p);

  /* half the live units out: as if their outgoing weights were zero */
  for (int j = 0, k = 0; j < units; j++)
    if (keep[j] && (k++ & 1))
      keep[j] = 0;
  p = vae_model_prune (m, layer, keep, &err);
  memset (all, 1, sizeof all);
  z = vae_model_prune (m, layer, all, &err);
  {
    float *wz;
    int nx, no;
    vae_model_layer (z, layer + 1, &nx, &no, NULL, &wz, NULL, NULL, NULL);
    for (int j = 0; j < units; j++)
      if (!keep[j])
        for (int o = 0; o < no; o++)
          wz[o * nx + j] = 0.0f;
  }
  reconstruct (p, x, N, y1);
  reconstruct (z, x, N, y2);
  CHECK (max_diff (y1, y2, N * 20) < 1e-5, "%s: pruning is not zeroing the "
      "dropped units (%g)", what, max_diff (y1, y2, N * 20));
  CHECK (max_diff (y0, y1, N * 20) > 1e-3, "%s: dropping live units changed "
      "nothing", what);
  CHECK (vae_model_get_meta (p, "train.seed")
      && strcmp (vae_model_get_meta (p, "train.seed"), "77") == 0,
      "%s: metadata not carried over", what);
  vae_model_free (p);
  vae_model_free (z);
  vae_workspace_free (ws);
  vae_model_free (m);
}

static void
test_refusals (void)
{
  VaeModel *v = make_model (VAE_KIND_VAE, 1, 1, 1);
  VaeModel *a = make_model (VAE_KIND_AE, 0, 0, 1);
  VaeError err;
  unsigned char none[64] = { 0 }, all[64];
  double acc[64];
  VaeWorkspace *ws = vae_workspace_new (v, 4, 0, &err);
  float x[4 * 20] = { 0 };
  memset (all, 1, sizeof all);
  CHECK (vae_model_prune (v, 1, all, &err) == NULL
      && strstr (err.msg, "code layer"), "a VAE's code layer: \"%s\"", err.msg);
  CHECK (vae_model_unit_scores (v, ws, 1, x, NULL, 4, acc) == VAE_ERR_ARG,
      "scores of a VAE's code layer");
  {
    VaeModel *d = vae_model_prune (v, 2, all, &err);
    CHECK (d != NULL, "a VAE's decoder layer: %s", err.msg);
    vae_model_free (d);
  }
  CHECK (vae_model_prune (a, 1, all, &err) == NULL, "the output layer");
  CHECK (vae_model_prune (a, -1, all, &err) == NULL, "layer -1");
  CHECK (vae_model_prune (a, 0, none, &err) == NULL
      && strstr (err.msg, "no unit"), "an empty layer: \"%s\"", err.msg);
  vae_workspace_free (ws);
  vae_model_free (v);
  vae_model_free (a);
}

int
main (void)
{
  openblas_set_num_threads (1);
  test_layer (VAE_KIND_DAE, 0, 0, 0, "dae, code layer");
  test_layer (VAE_KIND_AE, 2, 1, 0, "ae, first encoder layer");
  test_layer (VAE_KIND_AE, 2, 1, 1, "ae, second encoder layer");
  test_layer (VAE_KIND_AE, 2, 1, 2, "ae, code layer");
  test_layer (VAE_KIND_AE, 2, 1, 3, "ae, decoder layer");
  test_layer (VAE_KIND_VAE, 1, 2, 3, "vae, second decoder layer");
  test_refusals ();
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  printf ("all pruning checks passed\n");
  return 0;
}
