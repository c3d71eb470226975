/* train's options: their defaults, parsing and checks, its usage, and the
 * model configuration they describe. */
#include "vae_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
train_usage (void)
{
  fprintf (stderr,
      "usage: vae train --kind ae|sparse-ae|dae|vae --data SPEC --out FILE [options]\n"
      "  data SPEC: mnist:IDX[.gz]  frey:frey_rawface.mat  images:DIR (random patches)\n"
      "             colour:DIR[,DIR...] (4:2:0 patches of colour pictures: a colour\n"
      "             model, RGB noise; folders drawn equally often)\n"
      "             temporal:DIR[,N] (N [262144] patches of vaedenoise's temporal\n"
      "             stage's output on sequences moving over DIR's pictures;\n"
      "             noisy inputs and their levels made here, once)\n"
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

static void
train_args_default (TrainArgs *a)
{
  *a = (TrainArgs) {
    .kind = "ae", .act = "relu", .latent = 16, .patch = 8, .conv_width = 32,
    .conv_kernel = 3, .batch = 128, .threads = 1, .lr = 1e-3, .lr_final = -1,
    .kl_beta = 1.0, .rho = 0.05, .sparse_beta = 3.0, .obs_sigma = 0.1,
    .norm_mean = 0.0, .norm_scale = 1.0, .val_fraction = 0.05, .seed = 1,
    .ckpt_every = 1000, .val_every = 0, .whiten_eps = 1e-4, .adam_eps = 1e-8
  };
}

/* Reads the options into a: -1 when all were read, else the exit status
 * (0 after --help; errors said). */
static int
train_args_read (TrainArgs *a, int argc, char **argv)
{
  for (int i = 0; i < argc; i++) {
    const char *k = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define STR(name, field) if (strcmp (k, name) == 0) { if (!v) goto missing; a->field = v; i++; continue; }
#define NUM(name, field, conv) if (strcmp (k, name) == 0) { char *e; if (!v) goto missing; a->field = conv; if (*e != '\0' || e == v) goto badnum; i++; continue; }
#define FLAG(name, field) if (strcmp (k, name) == 0) { a->field = 1; continue; }
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
      if (a->n_meta == (int) G_N_ELEMENTS (a->meta))
        return fail ("train: more than %d --meta", (int) G_N_ELEMENTS (a->meta));
      a->meta[a->n_meta++] = v;
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
  return -1;
}

/* What must be given and the ranges; 0, else said. */
static int
train_args_check (TrainArgs *a)
{
  if (a->data == NULL || a->out == NULL) {
    train_usage ();
    return fail ("train: --data and --out are required");
  }
  if (a->batch < 1 || a->batch > 65536 || a->threads < 1 || a->threads > 256
      || a->patch < 1 || a->patch > VAE_MAX_PATCH || a->steps < 0 || a->epochs < 0
      || !(a->lr > 0) || a->val_fraction < 0 || a->val_fraction >= 1
      || !(a->adam_eps > 0 && a->adam_eps < 1))
    return fail ("train: batch, threads, patch, steps, lr, val-fraction or adam-eps out of range");
  if (!(a->zoom_prob >= 0 && a->zoom_prob <= 1) || !(a->u8_fraction >= 0
          && a->u8_fraction <= 1) || (a->zoom_prob > 0 && !(a->zoom_max >= 1
              && a->zoom_max <= 16)))
    return fail ("train: --zoom-prob and --u8-fraction must lie in [0, 1], "
        "--zoom-max in [1, 16]");
  a->bf16 = a->precision != NULL && strcmp (a->precision, "bf16") == 0;
  if (a->precision != NULL && !a->bf16 && strcmp (a->precision, "fp32") != 0)
    return fail ("train: unknown --precision \"%s\" (fp32, bf16)",
        a->precision);
  if (a->bf16 && !vae_bf16_supported ())
    return fail ("train: --precision bf16 needs a CPU with AVX512_BF16 "
        "(none here, or VAE_GEMM asks for less than AVX-512); use fp32");
  return 0;
}

/* a from the command line: -1 to go on and train, else the exit status
 * (0 after --help; errors said). */
int
train_args_parse (TrainArgs *a, int argc, char **argv)
{
  int rc;
  train_args_default (a);
  rc = train_args_read (a, argc, argv);
  if (rc >= 0)
    return rc;
  return train_args_check (a) != 0 ? 1 : -1;
}

/* The configuration of a fresh model as the options describe it, before
 * the data gives its input size; 0, else said. */
int
train_config (const TrainArgs *a, VaeConfig *c)
{
  *c = vae_config_default ();
  if (vae_kind_from_name (a->kind) < 0)
    return fail ("train: unknown kind \"%s\" (ae, sparse-ae, dae, vae)", a->kind);
  c->kind = vae_kind_from_name (a->kind);
  if (vae_act_from_name (a->act) < 0)
    return fail ("train: unknown activation \"%s\"", a->act);
  c->act = vae_act_from_name (a->act);
  c->code_act = c->kind == VAE_KIND_SPARSE_AE ? VAE_ACT_SIGMOID
      : c->kind == VAE_KIND_DAE ? c->act : VAE_ACT_IDENTITY;
  if (a->code_act) {
    if (vae_act_from_name (a->code_act) < 0)
      return fail ("train: unknown activation \"%s\"", a->code_act);
    c->code_act = vae_act_from_name (a->code_act);
  }
  if (a->likelihood) {
    if (strcmp (a->likelihood, "bernoulli") == 0)
      c->likelihood = VAE_LIK_BERNOULLI;
    else if (strcmp (a->likelihood, "gaussian") == 0)
      c->likelihood = VAE_LIK_GAUSSIAN;
    else
      return fail ("train: unknown likelihood \"%s\"", a->likelihood);
  }
  if (!parse_layers (a->enc, c->enc, &c->n_enc) || !parse_layers (a->dec, c->dec,
          &c->n_dec))
    return fail ("train: --enc/--dec take up to %d comma-separated widths",
        VAE_MAX_HIDDEN);
  c->n_latent = a->latent;
  if (a->conv_depth > 0) {
    c->conv_depth = a->conv_depth;
    c->conv_width = a->conv_width;
    c->conv_kernel = a->conv_kernel;
    c->n_latent = a->conv_width;
    c->n_enc = c->n_dec = 0;
  }
  c->obs_sigma = (float) a->obs_sigma;
  c->sparse_rho = (float) a->rho;
  c->sparse_beta = (float) a->sparse_beta;
  c->residual = a->residual;
  c->noise_input = a->noise_input;
  c->norm_mean = (float) a->norm_mean;
  c->norm_scale = (float) a->norm_scale;
  if (a->noise) {
    if (vae_noise_from_name (a->noise) < 0)
      return fail ("train: unknown noise \"%s\"", a->noise);
    c->noise = vae_noise_from_name (a->noise);
    if (c->kind != VAE_KIND_DAE)
      return fail ("train: --noise needs --kind dae");
  }
  /* Gaussian σ is given in 8-bit units */
  c->noise_min = (float) (c->noise == VAE_NOISE_GAUSSIAN ? a->noise_min / 255.0 : a->noise_min);
  c->noise_max = (float) (c->noise == VAE_NOISE_GAUSSIAN ? a->noise_max / 255.0 : a->noise_max);

  return 0;
}
