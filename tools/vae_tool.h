/* Private to the vae tool: what its command files share. */
#ifndef VAE_TOOL_H
#define VAE_TOOL_H

#include "vae.h"
#include "vae_data.h"

#include <glib.h>

/* Prints "vae: " and the message on stderr; returns 1, a command's
 * failure status. */
int fail (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

/* --------------------------------------------------- datasets (dataset.c) */

/* A dataset of fixed-size samples in [0, 1], or a patch source. */
typedef struct {
  int n, dim, w, h;
  float *x;                   /* (n, dim) */
  float *xn, *lv;             /* temporal: the inputs (n, dim), corrupted
                               * beforehand, and their levels (n) */
  VaeImageSet images;         /* patch source when n == 0 */
  int img_lo, img_hi;         /* image index range used */
  int colour;                 /* images are Y'CbCr (colour:DIR,…) */
  int n_groups;               /* colour: one per folder, drawn alike */
  int group_end[16];          /* each folder's images end here */
  char desc[512];
  char sha[65];
} Dataset;

/* spec: mnist:PATH | idx:PATH | frey:PATH | images:DIR | colour:DIR[,DIR…]
 * | synthetic[:N] */
int dataset_load (const char *spec, Dataset *d, VaeError *err);
/* temporal:SPEC (temporal_data.c): SPEC is DIR[,N], N samples of c's
 * patch size and noise range (262144 by default). */
int dataset_load_temporal (const char *spec, const VaeConfig *c, Dataset *d,
    VaeError *err);
void dataset_clear (Dataset *d);
void dataset_batch (const Dataset *d, const int *order, long pos, int batch,
    int pw, int ph, int augment, int binarize, double zoom_max,
    double zoom_prob, VaeRng *rng, float *out);
/* The same rows' corrupted inputs and levels (a temporal dataset's). */
void dataset_batch_inputs (const Dataset *d, const int *order, long pos,
    int batch, float *xn, float *lv);
void shuffle (int *order, int n, VaeRng *rng);

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

int sampler_opt (Sampler *s, int argc, char **argv, int *i);
int sampler_open (Sampler *s, const VaeConfig *c, long lo, long hi);
void sampler_batch (Sampler *s, long done, int b, float *x, float *lv);
void sampler_close (Sampler *s);

/* ------------------------------------------- train's options (train_args.c) */

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

int train_args_parse (TrainArgs *a, int argc, char **argv);
int train_config (const TrainArgs *a, VaeConfig *c);

/* ------------------------------------- denoiser options (denoise_args.c) */

typedef struct {
  const char *model;
  int stride, threads, batch, clip;
  double sigma, level;
  guint64 seed;
  int window;
  int ensemble;               /* 1, or 8: geometric self-ensemble */
  VaePrecision precision;     /* [auto] */
} DenoiseArgs;

DenoiseArgs denoise_args_default (void);
int parse_denoise_opt (DenoiseArgs *a, int *i, int argc, char **argv);
VaeDenoiseOpts denoise_opts_from_args (const DenoiseArgs *a);
VaeModel *load_gray_denoiser (const char *path, const char *cmd);
VaeDenoiser *new_denoiser (const VaeModel *m, int w, int h,
    const VaeDenoiseOpts *o, int ensemble, VaeError *err);
int denoise_float (VaeDenoiser *d, const float *in, float *out, int w, int h,
    float level, int ensemble);

/* -------------------------------------------------------------- commands */

int cmd_train (int argc, char **argv);        /* cmd_train.c */
int cmd_info (int argc, char **argv);         /* cmd_model.c */
int cmd_meta (int argc, char **argv);
int cmd_prune (int argc, char **argv);
int cmd_quantize (int argc, char **argv);
int cmd_eval (int argc, char **argv);         /* cmd_eval.c */
int cmd_eval_denoise (int argc, char **argv);
int cmd_denoise (int argc, char **argv);      /* cmd_image.c */
int cmd_noise (int argc, char **argv);
int cmd_psnr (int argc, char **argv);
int cmd_compare (int argc, char **argv);
int cmd_sample (int argc, char **argv);       /* cmd_sample.c */
int cmd_filters (int argc, char **argv);

#endif
