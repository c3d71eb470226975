/* vae: train, inspect and evaluate gst-vae models.
 *
 *   vae train --kind vae --data mnist:train-images-idx3-ubyte.gz --out m.safetensors
 *   vae info m.safetensors
 *   vae eval --model m.safetensors --data mnist:t10k-images-idx3-ubyte.gz [--iwae 5000]
 *   vae eval-denoise --model d.safetensors --set DIR --sigma 25
 *   vae denoise --model d.safetensors --sigma 25 in.png out.png
 *   vae noise --type gaussian --sigma 25 --seed 1 in.png out.png
 *   vae psnr a.png b.png
 *   vae sample --model m.safetensors --grid 10x10 --out grid.png
 */
#include "vae.h"

#include <cblas.h>
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void
on_signal (int sig)
{
  (void) sig;
  stop_requested = 1;
}

static int
fail (const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "vae: ");
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\n");
  return 1;
}

/* ------------------------------------------------------------ arguments */

typedef struct {
  const char *kind, *data, *val_data, *out, *log, *likelihood, *act,
      *code_act, *noise, *enc, *dec, *init, *init_style, *precision;
  int latent, patch, batch, residual, noise_input, binarize, threads, augment;
  int loss_stride;
  int bf16;                   /* --precision bf16 */
  int conv_depth, conv_width, conv_kernel;
  long steps, epochs, ckpt_every, val_every, kl_anneal, stop_after;
  double lr, lr_final, wd, kl_beta, rho, sparse_beta, noise_min, noise_max,
      obs_sigma, norm_mean, norm_scale, val_fraction, zoom_max, zoom_prob,
      u8_fraction, adam_eps;
  guint64 seed;
  const char *meta[32];       /* "KEY=VALUE" from --meta */
  const char *whiten;         /* "zca" */
  double whiten_eps;
  int n_meta;
} TrainArgs;

static int
parse_layers (const char *s, int *v, int *n)
{
  char **parts;
  *n = 0;
  if (s == NULL || *s == '\0' || strcmp (s, "none") == 0)
    return 1;
  parts = g_strsplit (s, ",", -1);
  for (char **p = parts; *p; p++) {
    char *end;
    long x = strtol (*p, &end, 10);
    if (*end != '\0' || x < 1 || x > VAE_MAX_DIM || *n >= VAE_MAX_HIDDEN) {
      g_strfreev (parts);
      return 0;
    }
    v[(*n)++] = (int) x;
  }
  g_strfreev (parts);
  return 1;
}

/* A dataset of fixed-size samples in [0, 1], or a patch source. */
typedef struct {
  int n, dim, w, h;
  float *x;                   /* (n, dim) */
  VaeImageSet images;         /* patch source when n == 0 */
  int img_lo, img_hi;         /* image index range used */
  char desc[512];
  char sha[65];
} Dataset;

static void
dataset_clear (Dataset *d)
{
  free (d->x);
  vae_image_set_clear (&d->images);
  memset (d, 0, sizeof *d);
}

static void
file_sha256 (const char *path, char *out)
{
  gchar *buf = NULL, *s;
  gsize len;
  out[0] = '\0';
  if (g_file_get_contents (path, &buf, &len, NULL)) {
    s = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) buf, len);
    g_strlcpy (out, s, 65);
    g_free (s);
    g_free (buf);
  }
}

static void
dir_sha256 (const VaeImageSet *s, char *out)
{
  GChecksum *c = g_checksum_new (G_CHECKSUM_SHA256);
  for (int i = 0; i < s->n; i++) {
    char one[65];
    file_sha256 (s->names[i], one);
    g_checksum_update (c, (guchar *) one, 64);
  }
  g_strlcpy (out, g_checksum_get_string (c), 65);
  g_checksum_free (c);
}

/* spec: mnist:PATH | idx:PATH | frey:PATH | images:DIR | synthetic[:N] */
static int
dataset_load (const char *spec, Dataset *d, VaeError *err)
{
  const char *colon = strchr (spec, ':');
  char type[32];
  const char *path;
  VaeImages im;
  int rc;

  memset (d, 0, sizeof *d);
  if (colon == NULL) {
    g_strlcpy (type, spec, sizeof type);
    path = "";
  } else {
    size_t n = (size_t) (colon - spec);
    if (n >= sizeof type)
      n = sizeof type - 1;
    memcpy (type, spec, n);
    type[n] = '\0';
    path = colon + 1;
  }
  g_snprintf (d->desc, sizeof d->desc, "%s", spec);
  if (strcmp (type, "mnist") == 0 || strcmp (type, "idx") == 0
      || strcmp (type, "frey") == 0) {
    rc = strcmp (type, "frey") == 0 ? vae_images_load_frey (path, &im, err)
        : vae_images_load_idx (path, &im, err);
    if (rc != VAE_OK)
      return rc;
    d->n = im.n;
    d->w = im.w;
    d->h = im.h;
    d->dim = im.w * im.h;
    d->x = malloc ((size_t) d->n * d->dim * sizeof (float));
    if (d->x == NULL) {
      vae_images_clear (&im);
      return VAE_ERR_NOMEM;
    }
    for (size_t i = 0; i < (size_t) d->n * d->dim; i++)
      d->x[i] = im.pixels[i] / 255.0f;
    vae_images_clear (&im);
    file_sha256 (path, d->sha);
    return VAE_OK;
  }
  if (strcmp (type, "images") == 0) {
    rc = vae_image_set_load_dir (path, &d->images, err);
    if (rc != VAE_OK)
      return rc;
    d->img_lo = 0;
    d->img_hi = d->images.n;
    dir_sha256 (&d->images, d->sha);
    return VAE_OK;
  }
  if (strcmp (type, "synthetic") == 0) {
    /* Rank-4 data in 32 dimensions, squashed into (0, 1). */
    VaeRng r;
    float basis[4][32];
    d->n = colon ? atoi (path) : 4096;
    if (d->n < 16 || d->n > 1000000)
      return VAE_ERR_ARG;
    d->w = 32;
    d->h = 1;
    d->dim = 32;
    vae_rng_seed (&r, 12345);
    for (int k = 0; k < 4; k++)
      for (int j = 0; j < 32; j++)
        basis[k][j] = vae_rng_normal (&r) * 0.25f;
    d->x = malloc ((size_t) d->n * 32 * sizeof (float));
    if (d->x == NULL)
      return VAE_ERR_NOMEM;
    for (int i = 0; i < d->n; i++) {
      float c[4];
      for (int k = 0; k < 4; k++)
        c[k] = vae_rng_normal (&r);
      for (int j = 0; j < 32; j++) {
        float v = 0.5f;
        for (int k = 0; k < 4; k++)
          v += c[k] * basis[k][j];
        d->x[(size_t) i * 32 + j] = 1.0f / (1.0f + expf (-4.0f * (v - 0.5f)));
      }
    }
    g_strlcpy (d->sha, "synthetic", sizeof d->sha);
    return VAE_OK;
  }
  err->status = VAE_ERR_ARG;
  g_snprintf (err->msg, sizeof err->msg,
      "unknown data spec \"%s\" (mnist:PATH, idx:PATH, frey:PATH, images:DIR, synthetic[:N])",
      spec);
  return VAE_ERR_ARG;
}

/* Fills a batch: rows from a shuffled order, or random patches. */
static void
dataset_batch (const Dataset *d, const int *order, long pos, int batch,
    int pw, int ph, int augment, int binarize, double zoom_max,
    double zoom_prob, VaeRng *rng, float *out)
{
  if (d->n > 0) {
    for (int i = 0; i < batch; i++) {
      const float *src = d->x + (size_t) order[(pos + i) % d->n] * d->dim;
      float *o = out + (size_t) i * d->dim;
      if (binarize)
        for (int j = 0; j < d->dim; j++)
          o[j] = vae_rng_uniform (rng) < src[j] ? 1.0f : 0.0f;
      else
        memcpy (o, src, (size_t) d->dim * sizeof (float));
    }
  } else {
    VaeImageSet sub = d->images;
    sub.images += d->img_lo;
    sub.n = d->img_hi - d->img_lo;
    for (int i = 0; i < batch; i++) {
      float zoom = 1.0f;
      /* log-uniform in [1, zoom_max] for a zoom_prob share of the patches */
      if (zoom_prob > 0.0 && zoom_max > 1.0
          && vae_rng_uniform (rng) < zoom_prob)
        zoom = (float) exp (vae_rng_uniform (rng) * log (zoom_max));
      vae_image_set_sample_patch_zoom (&sub, pw, ph, augment, zoom, rng,
          out + (size_t) i * pw * ph);
    }
  }
}

static void
shuffle (int *order, int n, VaeRng *rng)
{
  for (int i = n - 1; i > 0; i--) {
    int j = (int) vae_rng_below (rng, (uint32_t) (i + 1));
    int t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

/* Mean loss over a fixed validation set (deterministic noise). */
static double
validate (VaeModel *m, VaeWorkspace *ws, const float *vx, int vn, int dim,
    float beta)
{
  const VaeConfig *c = vae_model_config (m);
  int B = vae_workspace_max_batch (ws);
  double total = 0.0;
  VaeRng r;
  float *noisy = malloc ((size_t) B * dim * sizeof (float));
  float *lv = malloc ((size_t) B * sizeof (float));
  vae_rng_seed (&r, 777);
  for (int i = 0; i < vn; i += B) {
    int b = vn - i < B ? vn - i : B;
    const float *x = vx + (size_t) i * dim;
    const float *xin = x;
    VaeLoss L;
    if (c->noise != VAE_NOISE_NONE) {
      for (int k = 0; k < b; k++) {
        lv[k] = c->noise_min + (c->noise_max - c->noise_min)
            * vae_rng_uniform (&r);
        vae_noise_apply_f32 (c->noise, lv[k], 0.0f, 1.0f, x + (size_t) k * dim,
            noisy + (size_t) k * dim, dim, &r);
      }
      xin = noisy;
    }
    vae_model_loss_grad (m, ws, xin, x, lv, b, NULL, beta, &r, &L);
    total += (double) L.loss * b;
  }
  free (noisy);
  free (lv);
  return total / vn;
}

static void
train_usage (void)
{
  fprintf (stderr,
      "usage: vae train --kind ae|sparse-ae|dae|vae --data SPEC --out FILE [options]\n"
      "  data SPEC: mnist:IDX[.gz]  frey:frey_rawface.mat  images:DIR (random patches)\n"
      "             synthetic[:N] (rank-4 test data)\n"
      "  --val-data SPEC        validation set (else a held-out fraction)\n"
      "  --val-fraction F       held-out share of the training data [0.05]\n"
      "  --enc 400[,200]  --latent 20  --dec 400   layer widths ('none' = no hidden)\n"
      "  --act relu|lrelu|sigmoid|tanh|identity  --code-act ...\n"
      "  --likelihood bernoulli|gaussian  --obs-sigma S (Gaussian VAE)\n"
      "  --patch P              patch side for images: data [8]\n"
      "  --conv-depth D [--conv-width C [32] --conv-kernel K [3]]  a convolutional\n"
      "                         DAE of D 'same' KxK convolutions with C channels\n"
      "                         (--patch is then the training patch)\n"
      "  --noise gaussian|salt-and-pepper|masking --noise-min A --noise-max B\n"
      "                         (Gaussian σ in 8-bit units; probabilities otherwise)\n"
      "  --residual --noise-input --norm-mean M --norm-scale S\n"
      "  --rho R --sparse-beta B   sparse AE\n"
      "  --kl-beta B --kl-anneal STEPS   VAE\n"
      "  --batch N [128] --epochs N | --steps N  --lr 1e-3 --lr-final F --wd W\n"
      "  --adam-eps E [1e-8]    Adam's ε; the loss is a batch mean, so a summed-loss\n"
      "                         recipe's ε is matched by ε / batch\n"
      "  --stop-after N         stop (and save) after N steps of the schedule\n"
      "  --binarize             dynamic binarisation (Bernoulli data)\n"
      "  --augment              random flips/rotations of patches\n"
      "  --zoom-max Z --zoom-prob P  a P share of patches from images enlarged\n"
      "                         1..Z times (log-uniform, bilinear): HD-video smoothness\n"
      "  --u8-fraction F        a F share of Gaussian-noise inputs rounded and\n"
      "                         clipped to 8 bits, as GRAY8 video delivers them\n"
      "  --loss-stride S        weight each output pixel's squared error by its\n"
      "                         share of the Gaussian overlap-add at patch stride S\n"
      "                         (the denoiser's output); dense DAE on images only\n"
      "  --seed N [1] --log FILE.csv --checkpoint-every N\n"
      "  --threads N [1]        each batch split over N threads (deterministic for a\n"
      "                         given N; a sparse AE uses N OpenBLAS threads instead)\n"
      "  --precision fp32|bf16 [fp32]  bf16: mixed precision, every dense product's\n"
      "                         operands rounded to bfloat16, sums, weights and Adam\n"
      "                         in float (CPUs with AVX512_BF16; dense models)\n"
      "  --init FILE            start from a model's weights (its train.* record is\n"
      "                         kept as init.train.*)\n"
      "  --whiten zca [--whiten-eps E]  ZCA-whiten patch data (fitted on 100,000\n"
      "                         training patches, eigenvalues + E [1e-4]); the saved\n"
      "                         model has the whitening folded in and takes raw data\n"
      "  --meta KEY=VALUE       extra metadata (repeatable), e.g. denoise.stride=6:\n"
      "                         the stride vaedenoise uses by default\n"
      "  --init-style he|torch  fresh weights: He/Glorot uniform (default), or\n"
      "                         PyTorch's nn.Linear default U(+-1/sqrt(n_in)) for W and b\n");
}

/* ZCA whitening of the training data, folded into the model when saved. */
typedef struct {
  int on, dim;
  float *mean, *w, *w_inv, *tmp;
} Whitening;

/* Saves m, or with whitening a copy with it folded into the first and last
 * layers, so the file takes raw data like any other. */
static int
save_model (const VaeModel *m, const Whitening *wh, const char *path,
    VaeError *err)
{
  void *data;
  size_t size;
  VaeModel *copy;
  int rc;
  if (!wh->on)
    return vae_model_save (m, path, err);
  rc = vae_model_save_to_memory (m, &data, &size, err);
  if (rc != VAE_OK)
    return rc;
  copy = vae_model_load_from_memory (data, size, err);
  free (data);
  if (copy == NULL)
    return err->status;
  rc = vae_model_fold_whitening (copy, wh->mean, wh->w, wh->w_inv, err);
  if (rc == VAE_OK)
    rc = vae_model_save (copy, path, err);
  vae_model_free (copy);
  return rc;
}

static int
cmd_train (int argc, char **argv)
{
  TrainArgs a;
  VaeConfig c = vae_config_default ();
  VaeError err;
  Dataset train, val;
  VaeModel *m = NULL;
  VaeWorkspace *ws = NULL;
  VaeTrainPool *pool = NULL;
  VaeTrainOpts o = vae_train_opts_default ();
  VaeRng rng;
  float *batch = NULL, *vx = NULL;
  int *order = NULL, vn = 0, rc = 1;
  long steps_per_epoch, total;
  FILE *logf = NULL;
  gint64 t0, tlast;
  char *cmdline;
  int have_val = 0;
  Whitening wh = { 0, 0, NULL, NULL, NULL, NULL };

  memset (&a, 0, sizeof a);
  memset (&val, 0, sizeof val);
  memset (&train, 0, sizeof train);
  a.kind = "ae";
  a.act = "relu";
  a.latent = 16;
  a.patch = 8;
  a.conv_width = 32;
  a.conv_kernel = 3;
  a.batch = 128;
  a.threads = 1;
  a.lr = 1e-3;
  a.lr_final = -1;
  a.kl_beta = 1.0;
  a.rho = 0.05;
  a.sparse_beta = 3.0;
  a.obs_sigma = 0.1;
  a.norm_mean = 0.0;
  a.norm_scale = 1.0;
  a.val_fraction = 0.05;
  a.seed = 1;
  a.ckpt_every = 1000;
  a.val_every = 0;
  a.whiten_eps = 1e-4;
  a.adam_eps = 1e-8;

  for (int i = 0; i < argc; i++) {
    const char *k = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define STR(name, field) if (strcmp (k, name) == 0) { if (!v) goto missing; a.field = v; i++; continue; }
#define NUM(name, field, conv) if (strcmp (k, name) == 0) { char *e; if (!v) goto missing; a.field = conv; if (*e != '\0' || e == v) goto badnum; i++; continue; }
#define FLAG(name, field) if (strcmp (k, name) == 0) { a.field = 1; continue; }
    STR ("--kind", kind) STR ("--data", data) STR ("--val-data", val_data)
    STR ("--out", out) STR ("--log", log) STR ("--likelihood", likelihood)
    STR ("--act", act) STR ("--code-act", code_act) STR ("--noise", noise)
    STR ("--enc", enc) STR ("--dec", dec) STR ("--init", init)
    STR ("--init-style", init_style) STR ("--whiten", whiten)
    STR ("--precision", precision)
    NUM ("--whiten-eps", whiten_eps, strtod (v, &e))
    if (strcmp (k, "--meta") == 0) {
      if (!v)
        goto missing;
      if (strchr (v, '=') == NULL || v[0] == '=')
        return fail ("train: --meta wants KEY=VALUE, not \"%s\"", v);
      if (a.n_meta == (int) G_N_ELEMENTS (a.meta))
        return fail ("train: more than %d --meta", (int) G_N_ELEMENTS (a.meta));
      a.meta[a.n_meta++] = v;
      i++;
      continue;
    }
    NUM ("--latent", latent, (int) strtol (v, &e, 10))
    NUM ("--patch", patch, (int) strtol (v, &e, 10))
    NUM ("--loss-stride", loss_stride, (int) strtol (v, &e, 10))
    NUM ("--conv-depth", conv_depth, (int) strtol (v, &e, 10))
    NUM ("--conv-width", conv_width, (int) strtol (v, &e, 10))
    NUM ("--conv-kernel", conv_kernel, (int) strtol (v, &e, 10))
    NUM ("--batch", batch, (int) strtol (v, &e, 10))
    NUM ("--threads", threads, (int) strtol (v, &e, 10))
    NUM ("--steps", steps, strtol (v, &e, 10))
    NUM ("--epochs", epochs, strtol (v, &e, 10))
    NUM ("--stop-after", stop_after, strtol (v, &e, 10))
    NUM ("--checkpoint-every", ckpt_every, strtol (v, &e, 10))
    NUM ("--val-every", val_every, strtol (v, &e, 10))
    NUM ("--kl-anneal", kl_anneal, strtol (v, &e, 10))
    NUM ("--lr", lr, strtod (v, &e)) NUM ("--lr-final", lr_final, strtod (v, &e))
    NUM ("--wd", wd, strtod (v, &e)) NUM ("--kl-beta", kl_beta, strtod (v, &e))
    NUM ("--rho", rho, strtod (v, &e))
    NUM ("--sparse-beta", sparse_beta, strtod (v, &e))
    NUM ("--noise-min", noise_min, strtod (v, &e))
    NUM ("--noise-max", noise_max, strtod (v, &e))
    NUM ("--obs-sigma", obs_sigma, strtod (v, &e))
    NUM ("--norm-mean", norm_mean, strtod (v, &e))
    NUM ("--norm-scale", norm_scale, strtod (v, &e))
    NUM ("--val-fraction", val_fraction, strtod (v, &e))
    NUM ("--zoom-max", zoom_max, strtod (v, &e))
    NUM ("--zoom-prob", zoom_prob, strtod (v, &e))
    NUM ("--u8-fraction", u8_fraction, strtod (v, &e))
    NUM ("--adam-eps", adam_eps, strtod (v, &e))
    NUM ("--seed", seed, g_ascii_strtoull (v, &e, 10))
    FLAG ("--residual", residual) FLAG ("--noise-input", noise_input)
    FLAG ("--binarize", binarize) FLAG ("--augment", augment)
    if (strcmp (k, "-h") == 0 || strcmp (k, "--help") == 0) {
      train_usage ();
      return 0;
    }
    train_usage ();
    return fail ("train: unknown option %s", k);
  missing:
    return fail ("train: %s needs a value", k);
  badnum:
    return fail ("train: %s: \"%s\" is not a number", k, v);
#undef STR
#undef NUM
#undef FLAG
  }
  if (a.data == NULL || a.out == NULL) {
    train_usage ();
    return fail ("train: --data and --out are required");
  }
  if (a.batch < 1 || a.batch > 65536 || a.threads < 1 || a.threads > 256
      || a.patch < 1 || a.patch > VAE_MAX_PATCH || a.steps < 0 || a.epochs < 0
      || !(a.lr > 0) || a.val_fraction < 0 || a.val_fraction >= 1
      || !(a.adam_eps > 0 && a.adam_eps < 1))
    return fail ("train: batch, threads, patch, steps, lr, val-fraction or adam-eps out of range");
  if (!(a.zoom_prob >= 0 && a.zoom_prob <= 1) || !(a.u8_fraction >= 0
          && a.u8_fraction <= 1) || (a.zoom_prob > 0 && !(a.zoom_max >= 1
              && a.zoom_max <= 16)))
    return fail ("train: --zoom-prob and --u8-fraction must lie in [0, 1], "
        "--zoom-max in [1, 16]");
  a.bf16 = a.precision != NULL && strcmp (a.precision, "bf16") == 0;
  if (a.precision != NULL && !a.bf16 && strcmp (a.precision, "fp32") != 0)
    return fail ("train: unknown --precision \"%s\" (fp32, bf16)",
        a.precision);
  if (a.bf16 && !vae_bf16_supported ())
    return fail ("train: --precision bf16 needs a CPU with AVX512_BF16 "
        "(none here, or VAE_GEMM asks for less than AVX-512); use fp32");
  vae_blas_threads (a.threads);

  /* configuration */
  if (vae_kind_from_name (a.kind) < 0)
    return fail ("train: unknown kind \"%s\" (ae, sparse-ae, dae, vae)", a.kind);
  c.kind = vae_kind_from_name (a.kind);
  if (vae_act_from_name (a.act) < 0)
    return fail ("train: unknown activation \"%s\"", a.act);
  c.act = vae_act_from_name (a.act);
  c.code_act = c.kind == VAE_KIND_SPARSE_AE ? VAE_ACT_SIGMOID
      : c.kind == VAE_KIND_DAE ? c.act : VAE_ACT_IDENTITY;
  if (a.code_act) {
    if (vae_act_from_name (a.code_act) < 0)
      return fail ("train: unknown activation \"%s\"", a.code_act);
    c.code_act = vae_act_from_name (a.code_act);
  }
  if (a.likelihood) {
    if (strcmp (a.likelihood, "bernoulli") == 0)
      c.likelihood = VAE_LIK_BERNOULLI;
    else if (strcmp (a.likelihood, "gaussian") == 0)
      c.likelihood = VAE_LIK_GAUSSIAN;
    else
      return fail ("train: unknown likelihood \"%s\"", a.likelihood);
  }
  if (!parse_layers (a.enc, c.enc, &c.n_enc) || !parse_layers (a.dec, c.dec,
          &c.n_dec))
    return fail ("train: --enc/--dec take up to %d comma-separated widths",
        VAE_MAX_HIDDEN);
  c.n_latent = a.latent;
  if (a.conv_depth > 0) {
    c.conv_depth = a.conv_depth;
    c.conv_width = a.conv_width;
    c.conv_kernel = a.conv_kernel;
    c.n_latent = a.conv_width;
    c.n_enc = c.n_dec = 0;
  }
  c.obs_sigma = (float) a.obs_sigma;
  c.sparse_rho = (float) a.rho;
  c.sparse_beta = (float) a.sparse_beta;
  c.residual = a.residual;
  c.noise_input = a.noise_input;
  c.norm_mean = (float) a.norm_mean;
  c.norm_scale = (float) a.norm_scale;
  if (a.noise) {
    if (vae_noise_from_name (a.noise) < 0)
      return fail ("train: unknown noise \"%s\"", a.noise);
    c.noise = vae_noise_from_name (a.noise);
    if (c.kind != VAE_KIND_DAE)
      return fail ("train: --noise needs --kind dae");
  }
  /* Gaussian σ is given in 8-bit units */
  c.noise_min = (float) (c.noise == VAE_NOISE_GAUSSIAN ? a.noise_min / 255.0 : a.noise_min);
  c.noise_max = (float) (c.noise == VAE_NOISE_GAUSSIAN ? a.noise_max / 255.0 : a.noise_max);

  if (dataset_load (a.data, &train, &err) != VAE_OK)
    return fail ("train: data %s: %s", a.data, err.msg);
  if (train.n == 0) {
    c.img_w = c.img_h = a.patch;
  } else {
    c.img_w = train.w;
    c.img_h = train.h;
  }
  c.n_in = c.img_w * c.img_h;
  if (vae_config_validate (&c, &err) != VAE_OK) {
    dataset_clear (&train);
    return fail ("train: %s", err.msg);
  }

  /* validation: an explicit set, or held-out samples / images */
  if (a.val_data) {
    if (dataset_load (a.val_data, &val, &err) != VAE_OK) {
      fail ("train: validation data %s: %s", a.val_data, err.msg);
      goto out;
    }
    if (val.n > 0 && val.dim != c.n_in) {
      fail ("train: validation samples have %d values, the model %d", val.dim,
          c.n_in);
      goto out;
    }
    have_val = 1;
  }
  vae_rng_seed (&rng, a.seed);
  if (train.n > 0) {
    int hold = have_val ? 0 : (int) (train.n * a.val_fraction);
    if (train.n - hold < 1) {
      fail ("train: no training samples left after holding out %d", hold);
      goto out;
    }
    if (hold > 0) {
      vn = hold;
      vx = malloc ((size_t) vn * c.n_in * sizeof (float));
      memcpy (vx, train.x + (size_t) (train.n - hold) * c.n_in,
          (size_t) vn * c.n_in * sizeof (float));
      train.n -= hold;
    } else if (have_val && val.n > 0) {
      vn = val.n > 10000 ? 10000 : val.n;
      vx = malloc ((size_t) vn * c.n_in * sizeof (float));
      memcpy (vx, val.x, (size_t) vn * c.n_in * sizeof (float));
    }
  } else {
    /* patch data: hold out the last images, draw a fixed patch set */
    Dataset *src = &train;
    int hold = (int) ceil (train.images.n * a.val_fraction);
    if (have_val)
      src = &val;
    else if (hold > 0 && hold < train.images.n) {
      train.img_hi = train.images.n - hold;
      train.img_lo = 0;
    }
    if (have_val || (hold > 0 && hold < train.images.n)) {
      VaeImageSet sub = src->images;
      VaeRng vr;
      if (!have_val) {
        sub.images += train.img_hi;
        sub.n = train.images.n - train.img_hi;
      }
      /* 4096 patches; as many pixels for a convolutional model's large
       * patches, at least 64 of them */
      vn = c.conv_depth > 0 ? 4096 * 64 / c.n_in : 4096;
      vn = vn < 64 ? 64 : vn;
      vx = malloc ((size_t) vn * c.n_in * sizeof (float));
      vae_rng_seed (&vr, 4242);
      for (int i = 0; i < vn; i++)
        vae_image_set_sample_patch (&sub, c.img_w, c.img_h, 0, &vr,
            vx + (size_t) i * c.n_in);
    }
  }

  if (a.whiten) {
    size_t nfit = 100000;
    float *fx;
    VaeRng fr;
    if (strcmp (a.whiten, "zca") != 0 || train.n > 0 || a.init
        || !(a.whiten_eps > 0) || c.noise_input || c.residual)
      {
        fail ("train: --whiten zca is for images: patch data, a fresh "
            "non-residual model without --noise-input, and --whiten-eps > 0");
        goto out;
      }
    wh.on = 1;
    wh.dim = c.n_in;
    wh.mean = malloc ((size_t) c.n_in * sizeof (float));
    wh.w = malloc ((size_t) c.n_in * c.n_in * sizeof (float));
    wh.w_inv = malloc ((size_t) c.n_in * c.n_in * sizeof (float));
    wh.tmp = malloc ((size_t) (a.batch > vn ? a.batch : vn) * c.n_in
        * sizeof (float));
    fx = malloc (nfit * c.n_in * sizeof (float));
    vae_rng_seed (&fr, a.seed ^ 0x2ca);
    {
      VaeImageSet sub = train.images;
      sub.images += train.img_lo;
      sub.n = train.img_hi - train.img_lo;
      for (size_t i = 0; i < nfit; i++)
        vae_image_set_sample_patch (&sub, c.img_w, c.img_h, a.augment, &fr,
            fx + i * c.n_in);
    }
    if (vae_zca_fit (fx, nfit, c.n_in, (float) a.whiten_eps, wh.mean, wh.w,
            wh.w_inv, &err) != VAE_OK) {
      free (fx);
      fail ("train: %s", err.msg);
      goto out;
    }
    free (fx);
    /* the network sees whitened data as is */
    c.norm_mean = 0.0f;
    c.norm_scale = 1.0f;
    if (vn > 0)
      vae_zca_apply (wh.mean, wh.w, c.n_in, vx, (size_t) vn, wh.tmp);
  }

  if (a.init) {
    m = vae_model_load (a.init, &err);
    if (m == NULL) {
      fail ("train: --init %s: %s", a.init, err.msg);
      goto out;
    }
    if (memcmp (vae_model_config (m), &c, sizeof c) != 0)
      fprintf (stderr, "vae: note: using the architecture of %s\n", a.init);
  } else {
    m = vae_model_new (&c, a.seed, &err);
    if (m != NULL && a.init_style != NULL) {
      if (strcmp (a.init_style, "torch") == 0) {
        VaeRng ir;
        vae_rng_seed (&ir, a.seed ^ 0x5eedu);
        for (int l = 0; l < vae_model_n_layers (m); l++) {
          int ni, no;
          float *w, *b;
          vae_model_layer (m, l, &ni, &no, NULL, &w, &b, NULL, NULL);
          float bound = 1.0f / sqrtf ((float) ni);
          for (size_t i = 0; i < (size_t) ni * no; i++)
            w[i] = bound * (2.0f * vae_rng_uniform (&ir) - 1.0f);
          for (int i = 0; i < no; i++)
            b[i] = bound * (2.0f * vae_rng_uniform (&ir) - 1.0f);
        }
      } else if (strcmp (a.init_style, "he") != 0) {
        fail ("train: unknown --init-style \"%s\" (he, torch)", a.init_style);
        goto out;
      }
    }
  }
  if (m == NULL || vae_model_prepare_training (m, &err) != VAE_OK) {
    fail ("train: %s", err.msg);
    goto out;
  }
  c = *vae_model_config (m);
  if (a.loss_stride != 0) {
    float *lw = malloc ((size_t) c.n_in * sizeof (float));
    int st = lw == NULL || a.loss_stride < 0 || c.img_w * c.img_h != c.n_in
        ? VAE_ERR_ARG : vae_denoise_loss_weights (c.img_w, c.img_h,
        a.loss_stride, VAE_WINDOW_GAUSS, lw);
    if (st != VAE_OK) {
      free (lw);
      fail ("train: --loss-stride %d does not suit %dx%d patches",
          a.loss_stride, c.img_w, c.img_h);
      goto out;
    }
    st = vae_model_set_loss_weights (m, lw, &err);
    free (lw);
    if (st != VAE_OK) {
      fail ("train: --loss-stride: %s", err.msg);
      goto out;
    }
  }
  ws = vae_workspace_new (m, a.batch, 1, &err);
  if (ws == NULL) {
    fail ("train: %s", err.msg);
    goto out;
  }
  /* bf16 trains in the pool's workspace (one thread: its only one), so
   * the validation loss on ws stays in float */
  if ((a.threads > 1 || a.bf16) && (!(pool = vae_train_pool_new (m,
                  a.batch, a.threads, &err)) || (a.bf16
              && vae_train_pool_use_bf16 (pool, &err) != VAE_OK))) {
    fail ("train: %s", err.msg);
    goto out;
  }
  batch = malloc ((size_t) a.batch * c.n_in * sizeof (float));
  if (train.n > 0) {
    order = malloc ((size_t) train.n * sizeof (int));
    for (int i = 0; i < train.n; i++)
      order[i] = i;
    steps_per_epoch = (train.n + a.batch - 1) / a.batch;
  } else {
    steps_per_epoch = 1000;
  }
  total = a.steps > 0 ? a.steps : (a.epochs > 0 ? a.epochs * steps_per_epoch
      : 10 * steps_per_epoch);
  o.lr = (float) a.lr;
  o.lr_final = (float) a.lr_final;
  o.total_steps = total;
  o.weight_decay = (float) a.wd;
  o.kl_beta = (float) a.kl_beta;
  o.kl_anneal_steps = a.kl_anneal;
  o.u8_fraction = (float) a.u8_fraction;
  o.eps = (float) a.adam_eps;
  if (a.val_every <= 0)
    a.val_every = steps_per_epoch;

  if (a.log) {
    logf = fopen (a.log, "w");
    if (logf == NULL) {
      fail ("train: cannot write %s: %s", a.log, strerror (errno));
      goto out;
    }
    fprintf (logf, "step,epoch,loss,rec,kl,beta,val_loss,seconds\n");
  }
  /* the training that made the --init model, which this one's record
   * would otherwise overwrite, kept as init.train.* */
  for (int i = 0, n = vae_model_n_meta (m); a.init && i < n; i++) {
    const char *k, *v;
    vae_model_meta_at (m, i, &k, &v);
    if (g_str_has_prefix (k, "train.")) {
      char *ik = g_strconcat ("init.", k, NULL);
      vae_model_set_meta (m, ik, v);
      g_free (ik);
    }
  }
  cmdline = g_strjoinv (" ", argv);
  vae_model_set_meta (m, "train.command", cmdline);
  g_free (cmdline);
  vae_model_set_meta (m, "train.data", a.data);
  if (a.init)
    vae_model_set_meta (m, "train.init", a.init);
  for (int i = 0; i < a.n_meta; i++) {
    const char *kv = a.meta[i];
    char *key = g_strndup (kv, strchr (kv, '=') - kv);
    vae_model_set_meta (m, key, strchr (kv, '=') + 1);
    g_free (key);
  }
  vae_model_set_meta (m, "train.data_sha256", train.sha);
  {
    char s[64];
    g_snprintf (s, sizeof s, "%" G_GUINT64_FORMAT, a.seed);
    vae_model_set_meta (m, "train.seed", s);
    g_snprintf (s, sizeof s, "%d", a.batch);
    vae_model_set_meta (m, "train.batch", s);
    vae_model_set_meta (m, "train.precision", a.bf16 ? "bf16" : "fp32");
  }
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);

  fprintf (stderr, "vae: training %s %d", vae_kind_name (c.kind),
      vae_model_net_in (m));
  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int no;
    vae_model_layer (m, l, NULL, &no, NULL, NULL, NULL, NULL, NULL);
    fprintf (stderr, "-%d", no);
  }
  fprintf (stderr, ", %zu parameters, %ld steps of %d, %d validation samples\n",
      vae_model_n_params (m), total, a.batch, vn);

  t0 = tlast = g_get_monotonic_time ();
  {
    double run_loss = 0.0, last_val = NAN;
    long run_n = 0;
    long step;
    long last = a.stop_after > 0 && a.stop_after < total ? a.stop_after : total;
    for (step = 0; step < last && !stop_requested; step++) {
      VaeLoss L;
      long pos = 0;
      if (train.n > 0) {
        long in_epoch = step % steps_per_epoch;
        if (in_epoch == 0)
          shuffle (order, train.n, &rng);
        pos = in_epoch * a.batch;
      }
      int b = a.batch;
      if (train.n > 0 && pos + b > train.n)
        b = (int) (train.n - pos);
      dataset_batch (&train, order, pos, b, c.img_w, c.img_h, a.augment,
          a.binarize, a.zoom_max, a.zoom_prob, &rng, batch);
      if (wh.on)
        vae_zca_apply (wh.mean, wh.w, c.n_in, batch, (size_t) b, wh.tmp);
      if ((pool ? vae_train_pool_step (pool, batch, b, &o, step, &rng, &L)
              : vae_model_train_step (m, ws, batch, b, &o, step, &rng, &L))
          != VAE_OK) {
        fail ("train: step %ld failed", step);
        goto out;
      }
      if (!isfinite (L.loss)) {
        fail ("train: loss diverged to %g at step %ld; lower --lr", L.loss, step);
        goto out;
      }
      run_loss += L.loss;
      run_n++;
      if ((step + 1) % a.val_every == 0 || step + 1 == total) {
        double secs = (g_get_monotonic_time () - t0) / 1e6;
        float beta = c.kind == VAE_KIND_VAE ? L.beta : 0.0f;
        if (vn > 0)
          last_val = validate (m, ws, vx, vn, c.n_in, beta);
        fprintf (stderr, "step %ld/%ld  loss %.5f  val %.5f  %.1f steps/s  ETA %.0fs\n",
            step + 1, total, run_loss / run_n, last_val,
            (step + 1) / secs, (total - step - 1) / ((step + 1) / secs));
        if (logf) {
          fprintf (logf, "%ld,%.3f,%.6f,%.6f,%.6f,%.4f,%.6f,%.2f\n", step + 1,
              (double) (step + 1) / steps_per_epoch, run_loss / run_n, L.rec,
              L.kl, L.beta, last_val, secs);
          fflush (logf);
        }
        run_loss = 0.0;
        run_n = 0;
      } else if (g_get_monotonic_time () - tlast > 2000000 && isatty (2)) {
        double secs = (g_get_monotonic_time () - t0) / 1e6;
        fprintf (stderr, "\rstep %ld/%ld  loss %.5f  %.1f steps/s  ETA %.0fs   \r",
            step + 1, total, run_loss / run_n, (step + 1) / secs,
            (total - step - 1) / ((step + 1) / secs));
        tlast = g_get_monotonic_time ();
      }
      if (a.ckpt_every > 0 && (step + 1) % a.ckpt_every == 0) {
        char s[64];
        g_snprintf (s, sizeof s, "%ld", step + 1);
        vae_model_set_meta (m, "train.steps", s);
        if (save_model (m, &wh, a.out, &err) != VAE_OK) {
          fail ("train: checkpoint: %s", err.msg);
          goto out;
        }
      }
    }
    {
      char s[64];
      double secs = (g_get_monotonic_time () - t0) / 1e6;
      g_snprintf (s, sizeof s, "%ld", step);
      vae_model_set_meta (m, "train.steps", s);
      g_snprintf (s, sizeof s, "%.1f", secs);
      vae_model_set_meta (m, "train.seconds", s);
      g_snprintf (s, sizeof s, "%.2f", step / secs);
      vae_model_set_meta (m, "train.steps_per_second", s);
      g_snprintf (s, sizeof s, "%d", a.threads);
      vae_model_set_meta (m, "train.threads", s);
      if (!isnan (last_val)) {
        g_snprintf (s, sizeof s, "%.6f", last_val);
        vae_model_set_meta (m, "metrics.val_loss", s);
      }
      if (save_model (m, &wh, a.out, &err) != VAE_OK) {
        fail ("train: %s", err.msg);
        goto out;
      }
      fprintf (stderr, "vae: %s %s after %ld steps (%.1f s, %.1f steps/s)\n",
          stop_requested ? "interrupted; saved" : "saved", a.out, step, secs,
          step / secs);
    }
  }
  rc = stop_requested ? 130 : 0;
out:
  free (wh.mean);
  free (wh.w);
  free (wh.w_inv);
  free (wh.tmp);
  if (logf)
    fclose (logf);
  free (batch);
  free (order);
  free (vx);
  vae_train_pool_free (pool);
  vae_workspace_free (ws);
  vae_model_free (m);
  dataset_clear (&train);
  dataset_clear (&val);
  return rc;
}

/* ----------------------------------------------------------------- info */

static int
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
  if (vae_model_is_quantized (m))
    printf ("int8:        weights for vaedenoise precision=int8 (quant.*)\n");
  for (int i = 0; i < vae_model_n_meta (m); i++) {
    const char *k, *v;
    vae_model_meta_at (m, i, &k, &v);
    printf ("%-12s %s\n", k, v);
  }
  vae_model_free (m);
  return 0;
}

/* ------------------------------------------------- calibration samples */

/* The options and state of the commands that draw training samples,
 * corrupted as training corrupts them (quantize, prune): --data,
 * --samples, --seed, --augment, --zoom-max, --zoom-prob, --u8-fraction. */
typedef struct {
  const char *cmd, *data;
  long samples, seed;
  int augment;
  double zoom_max, zoom_prob, u8;
  const VaeConfig *c;
  Dataset d;
  int *order;
  float *clean;               /* one batch of SAMPLER_BATCH */
  VaeRng rng;
  VaeTrainOpts o;
} Sampler;

enum { SAMPLER_BATCH = 256 };

/* Takes argv[*i] (and its value) when it is a sampling option: 1, with
 * *i moved past it; 0 when it is not one; -1 on a bad value (said). */
static int
sampler_opt (Sampler *s, int argc, char **argv, int *i)
{
  const char *k = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  char *e = NULL;
  if (strcmp (k, "--augment") == 0) {
    s->augment = 1;
    return 1;
  }
  if (strcmp (k, "--data") != 0 && strcmp (k, "--samples") != 0
      && strcmp (k, "--seed") != 0 && strcmp (k, "--zoom-max") != 0
      && strcmp (k, "--zoom-prob") != 0 && strcmp (k, "--u8-fraction") != 0)
    return 0;
  if (v == NULL) {
    fail ("%s: %s needs a value", s->cmd, k);
    return -1;
  }
  ++*i;
  if (strcmp (k, "--data") == 0) s->data = v;
  else if (strcmp (k, "--samples") == 0) s->samples = strtol (v, &e, 10);
  else if (strcmp (k, "--seed") == 0) s->seed = strtol (v, &e, 10);
  else if (strcmp (k, "--zoom-max") == 0) s->zoom_max = strtod (v, &e);
  else if (strcmp (k, "--zoom-prob") == 0) s->zoom_prob = strtod (v, &e);
  else s->u8 = strtod (v, &e);
  if (e != NULL && (*e != '\0' || e == v)) {
    fail ("%s: %s: \"%s\" is not a number", s->cmd, k, v);
    return -1;
  }
  return 1;
}

/* Checks the options (samples within [lo, hi]) and loads the data for a
 * model of configuration c; VAE_OK, else said. */
static int
sampler_open (Sampler *s, const VaeConfig *c, long lo, long hi)
{
  VaeError err;
  if (s->samples < lo || s->samples > hi || !(s->zoom_max >= 1.0
          && s->zoom_max <= 8.0) || !(s->zoom_prob >= 0.0
          && s->zoom_prob <= 1.0) || !(s->u8 >= 0.0 && s->u8 <= 1.0)) {
    fail ("%s: --samples %ld..%ld, --zoom-max 1..8, --zoom-prob and "
        "--u8-fraction 0..1", s->cmd, lo, hi);
    return VAE_ERR_ARG;
  }
  s->c = c;
  if (dataset_load (s->data, &s->d, &err) != VAE_OK) {
    fail ("%s: %s: %s", s->cmd, s->data, err.msg[0] ? err.msg
        : "cannot load");
    return VAE_ERR_IO;
  }
  if (s->d.n > 0 && s->d.dim != c->n_in) {
    fail ("%s: %s has %d values per sample, the model reads %d", s->cmd,
        s->data, s->d.dim, c->n_in);
    return VAE_ERR_ARG;
  }
  s->clean = malloc ((size_t) SAMPLER_BATCH * c->n_in * sizeof (float));
  if (s->d.n > 0)
    s->order = malloc ((size_t) s->d.n * sizeof (int));
  if (s->clean == NULL || (s->d.n > 0 && s->order == NULL)) {
    fail ("%s: out of memory", s->cmd);
    return VAE_ERR_NOMEM;
  }
  vae_rng_seed (&s->rng, (uint64_t) s->seed);
  for (int i = 0; i < s->d.n; i++)
    s->order[i] = i;
  if (s->d.n > 0)
    shuffle (s->order, s->d.n, &s->rng);
  s->o = vae_train_opts_default ();
  s->o.u8_fraction = (float) s->u8;
  return VAE_OK;
}

/* Samples [done, done + b), b ≤ SAMPLER_BATCH, into x (data units; the
 * clean ones for a model without noise) and, for a DAE, their levels
 * (data units) into lv. */
static void
sampler_batch (Sampler *s, long done, int b, float *x, float *lv)
{
  const VaeConfig *c = s->c;
  dataset_batch (&s->d, s->order, done, b, c->img_w, c->img_h, s->augment,
      0, s->zoom_max, s->zoom_prob, &s->rng, s->clean);
  if (c->noise != VAE_NOISE_NONE)
    vae_corrupt_batch (c, &s->o, s->clean, b, &s->rng, x, lv);
  else
    memcpy (x, s->clean, (size_t) b * c->n_in * sizeof (float));
}

static void
sampler_close (Sampler *s)
{
  dataset_clear (&s->d);
  free (s->order);
  free (s->clean);
}

/* ------------------------------------------------------------- quantize */

static int
cmd_quantize (int argc, char **argv)
{
  const char *out = NULL;
  Sampler sm = { .cmd = "quantize", .samples = 65536, .seed = 1,
    .zoom_max = 1.0, .zoom_prob = 0.0, .u8 = 1.0 };
  int rc = 1;
  VaeError err;
  VaeModel *m = NULL;
  const VaeConfig *c;
  float *x = NULL, *lv = NULL;
  double t0, rms = 0.0;

  if (argc < 1 || argv[0][0] == '-')
    return fail ("usage: vae quantize MODEL --data SPEC --out FILE "
        "[--samples N] [--seed S] [--augment] [--zoom-max Z --zoom-prob P] "
        "[--u8-fraction F]");
  for (int i = 1; i < argc; i++) {
    int r = sampler_opt (&sm, argc, argv, &i);
    if (r < 0)
      return 1;
    if (r > 0)
      continue;
    if (strcmp (argv[i], "--out") == 0 && i + 1 < argc)
      out = argv[++i];
    else if (strcmp (argv[i], "--out") == 0)
      return fail ("quantize: --out needs a value");
    else
      return fail ("quantize: unknown option %s", argv[i]);
  }
  if (sm.data == NULL || out == NULL)
    return fail ("quantize: --data and --out are required");
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
  for (long done = 0; done < sm.samples; done += SAMPLER_BATCH) {
    int b = sm.samples - done < SAMPLER_BATCH ? (int) (sm.samples - done)
        : SAMPLER_BATCH;
    sampler_batch (&sm, done, b, x + (size_t) done * c->n_in, lv + done);
    for (int i = 0; c->noise_input && i < b; i++)
      lv[done + i] *= 255.0f;   /* the denoiser's sigma: 255 · level */
  }
  t0 = g_get_monotonic_time () / 1e6;
  if (vae_model_quantize (m, x, lv, (int) sm.samples, &rms, &err) != VAE_OK) {
    fail ("quantize: %s", err.msg);
    goto out;
  }
  {
    char sdesc[512];
    g_snprintf (sdesc, sizeof sdesc, "int8 weights by GPTQ on %ld samples "
        "of %s, seed %ld%s, u8-fraction %g, zoom %g/%g; outputs %.3f levels "
        "RMS from float's there", sm.samples, sm.data, sm.seed,
        sm.augment ? ", augmented" : "", sm.u8, sm.zoom_max, sm.zoom_prob,
        rms);
    vae_model_set_meta (m, "quant", sdesc);
  }
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

/* ----------------------------------------------------------------- meta */

static int
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

static const char *
precision_text (VaePrecision p)
{
  return p == VAE_PRECISION_BF16 ? "bf16 products, float sums"
      : p == VAE_PRECISION_INT8 ? "int8 products, int32 sums" : "fp32";
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

static int
cmd_prune (int argc, char **argv)
{
  const char *out = NULL;
  Sampler sm = { .cmd = "prune", .samples = 65536, .seed = 1,
    .zoom_max = 1.0, .zoom_prob = 0.0, .u8 = 0.0 };
  int keep_n = 0, layer = -1;
  VaeError err;
  VaeModel *m = NULL, *p = NULL;
  VaeWorkspace *ws = NULL;
  const VaeConfig *c;
  float *noisy = NULL, *lv = NULL;
  double *score = NULL;
  int *rank = NULL, n_units = 0, rc = 1;
  unsigned char *keep = NULL;
  enum { B = SAMPLER_BATCH };

  if (argc < 1 || argv[0][0] == '-')
    return fail ("usage: vae prune MODEL --data SPEC --keep N --out FILE "
        "[--layer L] [--samples N] [--seed S] [--augment] [--zoom-max Z "
        "--zoom-prob P] [--u8-fraction F]");
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *e = NULL;
    int r = sampler_opt (&sm, argc, argv, &i);
    if (r < 0)
      return 1;
    if (r > 0)
      continue;
    if (v == NULL)
      return fail ("prune: %s needs a value", k);
    i++;
    if (strcmp (k, "--out") == 0) out = v;
    else if (strcmp (k, "--keep") == 0) keep_n = (int) strtol (v, &e, 10);
    else if (strcmp (k, "--layer") == 0) layer = (int) strtol (v, &e, 10);
    else
      return fail ("prune: unknown option %s", k);
    if (e != NULL && (*e != '\0' || e == v))
      return fail ("prune: %s: \"%s\" is not a number", k, v);
  }
  if (sm.data == NULL || out == NULL || keep_n < 1)
    return fail ("prune: --data, --out and --keep N (N ≥ 1) are required");
  m = vae_model_load (argv[0], &err);
  if (m == NULL)
    return fail ("%s: %s", argv[0], err.msg);
  c = vae_model_config (m);
  if (layer < 0)
    layer = vae_model_n_encoder_layers (m) - 1;   /* the code layer */
  if (vae_model_check_prunable (m, layer, &err) != VAE_OK) {
    fail ("prune: %s", err.msg);
    goto out;
  }
  vae_model_layer (m, layer, NULL, &n_units, NULL, NULL, NULL, NULL, NULL);
  if (keep_n > n_units) {
    fail ("prune: --keep %d, but layer %d has %d units", keep_n, layer,
        n_units);
    goto out;
  }
  if (sampler_open (&sm, c, 1, 100000000) != VAE_OK)
    goto out;
  ws = vae_workspace_new (m, B, 0, &err);
  noisy = malloc ((size_t) B * c->n_in * sizeof (float));
  lv = malloc (B * sizeof (float));
  score = calloc ((size_t) n_units, sizeof (double));
  rank = malloc ((size_t) n_units * sizeof (int));
  keep = calloc ((size_t) n_units, 1);
  if (ws == NULL || !noisy || !lv || !score || !rank || !keep) {
    fail ("prune: out of memory");
    goto out;
  }
  for (long done = 0; done < sm.samples; done += B) {
    int b = sm.samples - done < B ? (int) (sm.samples - done) : B;
    sampler_batch (&sm, done, b, noisy, lv);
    if (vae_model_unit_scores (m, ws, layer, noisy, c->noise != VAE_NOISE_NONE
            ? lv : NULL, b, score) != VAE_OK) {
      fail ("prune: scoring failed");
      goto out;
    }
  }
  for (int j = 0; j < n_units; j++)
    rank[j] = j;
  g_qsort_with_data (rank, n_units, sizeof (int), cmp_score_desc, score);
  for (int k = 0; k < keep_n; k++)
    keep[rank[k]] = 1;
  {
    int dead = 0;
    for (int j = 0; j < n_units; j++)
      dead += score[j] == 0.0;
    fprintf (stderr, "vae: layer %d: %d units, %d never active on %ld "
        "samples; keeping %d (lowest kept score %.3g, highest dropped %.3g, "
        "median %.3g)\n", layer, n_units, dead, sm.samples, keep_n,
        score[rank[keep_n - 1]] / sm.samples,
        keep_n < n_units ? score[rank[keep_n]] / sm.samples : 0.0,
        score[rank[n_units / 2]] / sm.samples);
  }
  p = vae_model_prune (m, layer, keep, &err);
  if (p == NULL) {
    fail ("prune: %s", err.msg);
    goto out;
  }
  {
    char s[512];
    g_snprintf (s, sizeof s, "layer %d, %d of %d units kept by E[a²]·‖w‖² "
        "on %ld samples of %s, seed %ld", layer, keep_n, n_units, sm.samples,
        sm.data, sm.seed);
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
  if (vae_model_save (p, out, &err) != VAE_OK) {
    fail ("%s: %s", out, err.msg);
    goto out;
  }
  fprintf (stderr, "vae: saved %s (%zu parameters, was %zu)\n", out,
      vae_model_n_params (p), vae_model_n_params (m));
  rc = 0;
out:
  vae_model_free (p);
  vae_workspace_free (ws);
  vae_model_free (m);
  sampler_close (&sm);
  free (noisy);
  free (lv);
  free (score);
  free (rank);
  free (keep);
  return rc;
}

/* ----------------------------------------------------------------- eval */

static int
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
    vae_model_free (m);
    dataset_clear (&d);
    return fail ("eval: samples have %d values, the model takes %d", d.dim,
        vae_model_config (m)->n_in);
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

/* --------------------------------------------------------- denoise eval */

typedef struct {
  const char *model;
  int stride, threads, batch, clip;
  double sigma, level;
  guint64 seed;
  int window;
  int ensemble;               /* 1, or 8: geometric self-ensemble */
  VaePrecision precision;     /* [auto] */
} DenoiseArgs;

static int
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

/* Denoises a float image [0,1] (h rows of w) into out. */
/* A denoiser for w × h planes, or for both orientations when the
 * self-ensemble will transpose them. */
static VaeDenoiser *
new_denoiser (const VaeModel *m, int w, int h, const VaeDenoiseOpts *o,
    int ensemble, VaeError *err)
{
  int side = w > h ? w : h;
  return ensemble == 8 ? vae_denoiser_new (m, side, side, o, err)
      : vae_denoiser_new (m, w, h, o, err);
}

static int
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

static int
cmd_eval_denoise (int argc, char **argv)
{
  DenoiseArgs a = { NULL, 0, 1, 2048, 0, 25.0, -1.0, 1, 1, 1,
    VAE_PRECISION_AUTO };
  const char *set = NULL;
  VaeError err;
  VaeModel *m;
  VaeImageSet s;
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  double sum_in = 0, sum_out = 0, sum_ssim = 0;
  gint64 t0;
  double secs = 0, pixels = 0;

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
  m = vae_model_load (a.model, &err);
  if (m == NULL)
    return fail ("%s: %s", a.model, err.msg);
  if (vae_image_set_load_dir (set, &s, &err) != VAE_OK) {
    vae_model_free (m);
    return fail ("eval-denoise: %s", err.msg);
  }
  o.stride = a.stride;
  o.batch = a.batch;
  o.window = a.window ? VAE_WINDOW_GAUSS : VAE_WINDOW_FLAT;
  o.precision = a.precision;
  printf ("# %s on %s, sigma %.1f, %s protocol\n", a.model, set, a.sigma,
      a.clip ? "pipeline (8-bit, clipped)" : "paper (float, unclipped)");
  printf ("%-16s %8s %8s %8s\n", "image", "noisy", "denoised", "SSIM");
  for (int i = 0; i < s.n; i++) {
    VaeImage *im = &s.images[i];
    size_t n = (size_t) im->w * im->h;
    float *clean = malloc (n * sizeof (float));
    float *noisy = malloc (n * sizeof (float));
    float *out = malloc (n * sizeof (float));
    VaeDenoiser *d = new_denoiser (m, im->w, im->h, &o, a.ensemble, &err);
    VaeRng r;
    double pin, pout, ss;
    float level;
    if (d == NULL) {
      fail ("eval-denoise: %s", err.msg);
      free (clean); free (noisy); free (out);
      vae_image_set_clear (&s);
      vae_model_free (m);
      return 1;
    }
    if (i == 0)
      printf ("# arithmetic: %s\n", precision_text (vae_denoiser_precision
              (d)));
    /* seeded per image, so any subset reproduces */
    vae_rng_seed (&r, a.seed * 1000003u + (guint64) i);
    for (size_t k = 0; k < n; k++) {
      clean[k] = im->pixels[k] / 255.0f;
      float v = im->pixels[k] + (float) a.sigma * vae_rng_normal (&r);
      if (a.clip)
        v = fminf (fmaxf (roundf (v), 0.0f), 255.0f);
      noisy[k] = v / 255.0f;
    }
    level = (float) (a.level >= 0 ? a.level : a.sigma);
    t0 = g_get_monotonic_time ();
    /* the pipeline protocol: 8-bit planes, as the element gets them */
    if (a.clip && a.ensemble == 1)
      denoise_u8 (d, noisy, out, im->w, im->h, level);
    else
      denoise_float (d, noisy, out, im->w, im->h, level, a.ensemble);
    secs += (g_get_monotonic_time () - t0) / 1e6;
    pixels += (double) n;
    if (a.clip)
      for (size_t k = 0; k < n; k++)
        out[k] = fminf (fmaxf (roundf (out[k] * 255.0f), 0.0f), 255.0f) / 255.0f;
    pin = vae_psnr_f32 (noisy, clean, n, 1.0f);
    pout = vae_psnr_f32 (out, clean, n, 1.0f);
    ss = vae_ssim_f32 (out, clean, im->w, im->h, 1.0f);
    sum_in += pin;
    sum_out += pout;
    sum_ssim += ss;
    printf ("%-16s %8.2f %8.2f %8.4f\n", g_path_get_basename (s.names[i]), pin,
        pout, ss);
    vae_denoiser_free (d);
    free (clean);
    free (noisy);
    free (out);
  }
  printf ("%-16s %8.2f %8.2f %8.4f\n", "MEAN", sum_in / s.n, sum_out / s.n,
      sum_ssim / s.n);
  printf ("# %.2f Mpixel/s\n", pixels / secs / 1e6);
  vae_image_set_clear (&s);
  vae_model_free (m);
  return 0;
}

static int
cmd_denoise (int argc, char **argv)
{
  DenoiseArgs a = { NULL, 0, 1, 2048, 0, 25.0, -1.0, 1, 1, 1,
    VAE_PRECISION_AUTO };
  const char *files[2] = { NULL, NULL };
  int nf = 0;
  VaeError err;
  VaeModel *m;
  VaeImage im;
  VaeDenoiser *d;
  VaeDenoiseOpts o = vae_denoise_opts_default ();
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
  m = vae_model_load (a.model, &err);
  if (m == NULL)
    return fail ("%s: %s", a.model, err.msg);
  if (vae_image_load (files[0], &im, &err) != VAE_OK) {
    vae_model_free (m);
    return fail ("%s", err.msg);
  }
  o.stride = a.stride;
  o.window = a.window ? VAE_WINDOW_GAUSS : VAE_WINDOW_FLAT;
  o.precision = a.precision;
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

static int
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

static int
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

/* First-layer weights as a tiled picture (UFLDL's filter display). */
static int
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

/* clean | noisy | denoised crop of one image, with PSNRs. */
static int
cmd_compare (int argc, char **argv)
{
  DenoiseArgs a = { NULL, 0, 1, 2048, 1, 25.0, -1.0, 1, 1, 1,
    VAE_PRECISION_AUTO };
  const char *in = NULL, *out = NULL;
  int cx = 0, cy = 0, cw = 0, ch = 0;
  VaeError err;
  VaeModel *m;
  VaeImage im;
  VaeDenoiser *d;
  VaeDenoiseOpts o = vae_denoise_opts_default ();
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
  m = vae_model_load (a.model, &err);
  if (m == NULL)
    return fail ("%s: %s", a.model, err.msg);
  if (vae_image_load (in, &im, &err) != VAE_OK) {
    vae_model_free (m);
    return fail ("%s", err.msg);
  }
  o.stride = a.stride;
  o.window = a.window ? VAE_WINDOW_GAUSS : VAE_WINDOW_FLAT;
  o.precision = a.precision;
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

static int
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

static void
usage (void)
{
  fprintf (stderr,
      "usage: vae COMMAND [options]\n"
      "  train         train a model (vae train --help)\n"
      "  info          print a model's architecture and metadata\n"
      "  meta          set metadata in a model file (KEY=VALUE...)\n"
      "  prune         drop the hidden units that matter least on data\n"
      "  quantize      add int8 weights (precision=int8), calibrated on data\n"
      "  eval          reconstruction NLL, ELBO and IWAE bound on a dataset\n"
      "  eval-denoise  PSNR/SSIM of a denoiser on a folder of images\n"
      "  denoise       denoise one image\n"
      "  noise         corrupt one image (gaussian, salt-and-pepper, masking)\n"
      "  psnr          PSNR between two images\n"
      "  sample        a grid of samples from a VAE's prior (--manifold 1 for 2-D)\n"
      "  filters       first-layer weights as a picture\n"
      "  compare       clean | noisy | denoised strip of one image, with PSNRs\n");
}

int
main (int argc, char **argv)
{
  const char *cmd;
  if (argc < 2) {
    usage ();
    return 2;
  }
  cmd = argv[1];
  if (strcmp (cmd, "train") == 0) return cmd_train (argc - 2, argv + 2);
  if (strcmp (cmd, "info") == 0) return cmd_info (argc - 2, argv + 2);
  if (strcmp (cmd, "meta") == 0) return cmd_meta (argc - 2, argv + 2);
  if (strcmp (cmd, "prune") == 0) return cmd_prune (argc - 2, argv + 2);
  if (strcmp (cmd, "quantize") == 0) return cmd_quantize (argc - 2, argv + 2);
  if (strcmp (cmd, "eval") == 0) return cmd_eval (argc - 2, argv + 2);
  if (strcmp (cmd, "eval-denoise") == 0) return cmd_eval_denoise (argc - 2, argv + 2);
  if (strcmp (cmd, "denoise") == 0) return cmd_denoise (argc - 2, argv + 2);
  if (strcmp (cmd, "noise") == 0) return cmd_noise (argc - 2, argv + 2);
  if (strcmp (cmd, "psnr") == 0) return cmd_psnr (argc - 2, argv + 2);
  if (strcmp (cmd, "sample") == 0) return cmd_sample (argc - 2, argv + 2);
  if (strcmp (cmd, "filters") == 0) return cmd_filters (argc - 2, argv + 2);
  if (strcmp (cmd, "compare") == 0) return cmd_compare (argc - 2, argv + 2);
  if (strcmp (cmd, "-h") == 0 || strcmp (cmd, "--help") == 0) {
    usage ();
    return 0;
  }
  usage ();
  return fail ("unknown command %s", cmd);
}
