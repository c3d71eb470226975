/* vae train: loads the data, builds the model, trains it and saves it. */
#include "vae_tool.h"

#include <errno.h>
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

int
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
