/* grad_dump: one vae_model_loss_grad call on given data, written out as raw
 * little-endian float32 files for tests/core/torch_reference.py.
 *
 *   grad_dump MODEL X_IN X_TARGET OUTDIR BATCH [--eps F] [--level F] [--beta B]
 *
 * Writes OUTDIR/loss.f32 (loss, rec, kl), OUTDIR/grad.layers.L.weight.f32
 * and .bias.f32 for every layer, and the forward outputs through the public
 * inference API: code.f32 (vae_encode: the code, or μ) and logvar.f32,
 * xhat.f32 (vae_reconstruct, per sample at its level), and for a VAE
 * xhat_eps.f32 (vae_decode of z = μ + exp(½ log σ²) ε).  A convolutional
 * model has no code (vae_encode gives VAE_ERR_KIND): no code.f32, but
 * xhat_batch.f32, one vae_reconstruct of the whole batch at the first
 * sample's level (the core's patch chunking). */
#include "vae.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *
read_f32 (const char *path, size_t n)
{
  FILE *f = fopen (path, "rb");
  float *v = malloc (n * sizeof (float));
  long size;
  if (f == NULL || v == NULL) {
    fprintf (stderr, "grad_dump: cannot read %s\n", path);
    exit (1);
  }
  fseek (f, 0, SEEK_END);
  size = ftell (f);
  fseek (f, 0, SEEK_SET);
  if (size != (long) (n * sizeof (float)) || fread (v, sizeof (float), n, f)
      != n) {
    fprintf (stderr, "grad_dump: %s has %ld bytes, expected %zu\n", path,
        size, n * sizeof (float));
    exit (1);
  }
  fclose (f);
  return v;
}

static void
write_f32 (const char *dir, const char *name, const float *v, size_t n)
{
  char path[4096];
  FILE *f;
  snprintf (path, sizeof path, "%s/%s.f32", dir, name);
  f = fopen (path, "wb");
  if (f == NULL || fwrite (v, sizeof (float), n, f) != n || fclose (f) != 0) {
    fprintf (stderr, "grad_dump: cannot write %s\n", path);
    exit (1);
  }
}

int
main (int argc, char **argv)
{
  const char *eps_path = NULL, *level_path = NULL;
  float beta = 1.0f, *x_in, *x_t, *eps = NULL, *level = NULL;
  VaeError err;
  VaeModel *m;
  VaeWorkspace *ws, *wsi;
  const VaeConfig *c;
  VaeLoss L;
  VaeRng rng;
  int B, D, K, rc;

  if (argc < 6) {
    fprintf (stderr, "usage: grad_dump MODEL X_IN X_TARGET OUTDIR BATCH "
        "[--eps F] [--level F] [--beta B]\n");
    return 2;
  }
  for (int i = 6; i + 1 < argc; i += 2) {
    if (strcmp (argv[i], "--eps") == 0) eps_path = argv[i + 1];
    else if (strcmp (argv[i], "--level") == 0) level_path = argv[i + 1];
    else if (strcmp (argv[i], "--beta") == 0) beta = (float) atof (argv[i + 1]);
    else {
      fprintf (stderr, "grad_dump: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  openblas_set_num_threads (1);
  m = vae_model_load (argv[1], &err);
  if (m == NULL) {
    fprintf (stderr, "grad_dump: %s: %s\n", argv[1], err.msg);
    return 1;
  }
  c = vae_model_config (m);
  B = atoi (argv[5]);
  D = c->n_in;
  K = c->n_latent;
  x_in = read_f32 (argv[2], (size_t) B * D);
  x_t = read_f32 (argv[3], (size_t) B * D);
  if (eps_path)
    eps = read_f32 (eps_path, (size_t) B * K);
  if (level_path)
    level = read_f32 (level_path, (size_t) B);

  if (vae_model_prepare_training (m, &err) != VAE_OK
      || (ws = vae_workspace_new (m, B, 1, &err)) == NULL
      || (wsi = vae_workspace_new (m, B, 0, &err)) == NULL) {
    fprintf (stderr, "grad_dump: %s\n", err.msg);
    return 1;
  }
  vae_rng_seed (&rng, 1);
  rc = vae_model_loss_grad (m, ws, x_in, x_t, level, B, eps, beta, &rng, &L);
  if (rc != VAE_OK) {
    fprintf (stderr, "grad_dump: vae_model_loss_grad: status %d\n", rc);
    return 1;
  }
  {
    float loss[3] = { L.loss, L.rec, L.kl };
    write_f32 (argv[4], "loss", loss, 3);
  }
  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int ni, no;
    float *dw, *db;
    char name[64];
    vae_model_layer (m, l, &ni, &no, NULL, NULL, NULL, &dw, &db);
    snprintf (name, sizeof name, "grad.layers.%d.weight", l);
    write_f32 (argv[4], name, dw, (size_t) ni * no);
    snprintf (name, sizeof name, "grad.layers.%d.bias", l);
    write_f32 (argv[4], name, db, (size_t) no);
  }

  /* forward outputs through the inference API */
  {
    float *code = malloc (sizeof (float) * B * K);
    float *lv = malloc (sizeof (float) * B * K);
    float *xhat = malloc (sizeof (float) * B * D);
    rc = vae_encode (m, wsi, x_in, B, code, lv);
    if (rc == VAE_OK) {
      write_f32 (argv[4], "code", code, (size_t) B * K);
      if (c->kind == VAE_KIND_VAE)
        write_f32 (argv[4], "logvar", lv, (size_t) B * K);
    } else if (!(rc == VAE_ERR_KIND && c->conv_depth > 0)) {
      fprintf (stderr, "grad_dump: vae_encode: status %d\n", rc);
      return 1;
    }
    for (int i = 0; i < B; i++) {
      rc = vae_reconstruct (m, wsi, x_in + (size_t) i * D, 1,
          level ? level[i] : 0.0f, xhat + (size_t) i * D);
      if (rc != VAE_OK) {
        fprintf (stderr, "grad_dump: vae_reconstruct: status %d\n", rc);
        return 1;
      }
    }
    write_f32 (argv[4], "xhat", xhat, (size_t) B * D);
    if (c->conv_depth > 0) {
      rc = vae_reconstruct (m, wsi, x_in, B, level ? level[0] : 0.0f, xhat);
      if (rc != VAE_OK) {
        fprintf (stderr, "grad_dump: vae_reconstruct: status %d\n", rc);
        return 1;
      }
      write_f32 (argv[4], "xhat_batch", xhat, (size_t) B * D);
    }
    if (c->kind == VAE_KIND_VAE && eps) {
      for (int i = 0; i < B * K; i++)
        code[i] += expf (0.5f * lv[i]) * eps[i];
      vae_decode (m, wsi, code, B, xhat);
      write_f32 (argv[4], "xhat_eps", xhat, (size_t) B * D);
    }
    free (code);
    free (lv);
    free (xhat);
  }
  vae_workspace_free (wsi);
  vae_workspace_free (ws);
  vae_model_free (m);
  free (x_in);
  free (x_t);
  free (eps);
  free (level);
  return 0;
}
