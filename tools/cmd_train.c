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

/* ZCA whitening of the training data, folded into the model when saved. */
typedef struct {
  int on, dim;
  float *mean, *w, *w_inv, *tmp;
} Whitening;

/* A training run, from the options to the saved model. */
typedef struct {
  TrainArgs a;
  VaeConfig c;
  Dataset train, val;
  int have_val;               /* --val-data given */
  float *vx;                  /* validation samples, (vn, n_in) */
  float *vxn, *vlv;           /* temporal data: their inputs and levels */
  int vn;
  Whitening wh;
  VaeModel *m;
  VaeWorkspace *ws;
  VaeTrainPool *pool;         /* several threads, or bf16 */
  VaeTrainOpts o;
  VaeRng rng;
  float *batch;               /* (a.batch, n_in) */
  float *bxn, *blv;           /* temporal data: the batch's inputs, levels */
  int *order;                 /* the epoch's sample order, (train.n) */
  long steps_per_epoch, total;
  FILE *logf;
  gint64 t0, tlast;           /* start, last progress line (µs) */
  double run_loss, last_val;  /* summed since the last report; last val */
  long run_n;
} Trainer;

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

/* Mean loss over a fixed validation set (deterministic noise). */
static double
validate (VaeModel *m, VaeWorkspace *ws, const float *vx, const float *vxn,
    const float *vlv, int vn, int dim, float beta)
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
    if (vxn != NULL) {          /* corrupted beforehand */
      memcpy (noisy, vxn + (size_t) i * dim, (size_t) b * dim
          * sizeof (float));
      memcpy (lv, vlv + i, (size_t) b * sizeof (float));
      xin = noisy;
    } else if (c->noise != VAE_NOISE_NONE) {
      for (int k = 0; k < b; k++) {
        lv[k] = c->noise_min + (c->noise_max - c->noise_min)
            * vae_rng_uniform (&r);
        if (c->colour)
          vae_noise_yuv420_f32 (lv[k], c->img_w, c->img_h, x + (size_t) k
              * dim, noisy + (size_t) k * dim, &r);
        else
          vae_noise_apply_f32 (c->noise, lv[k], 0.0f, 1.0f, x + (size_t) k
              * dim, noisy + (size_t) k * dim, dim, &r);
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

/* ------------------------------------------------------------------ data */

/* The training data, and the input size it gives the configuration; 0,
 * else said. */
static int
load_data (Trainer *t)
{
  VaeConfig *c = &t->c;
  VaeError err;
  if (strncmp (t->a.data, "temporal:", 9) == 0) {
    /* its samples take the patch and the noise range */
    c->img_w = c->img_h = t->a.patch;
    if (dataset_load_temporal (t->a.data + 9, c, &t->train, &err) != VAE_OK)
      return fail ("train: data %s: %s", t->a.data, err.msg);
  } else if (dataset_load (t->a.data, &t->train, &err) != VAE_OK)
    return fail ("train: data %s: %s", t->a.data, err.msg);
  if (t->train.n == 0) {
    c->img_w = c->img_h = t->a.patch;
    if (t->train.colour) {    /* 4:2:0: luma rows, then a chroma row */
      c->colour = VAE_COLOUR_YUV420;
      c->img_h = t->a.patch / 2 * 3;
    }
  } else {
    c->img_w = t->train.w;
    c->img_h = t->train.h;
  }
  c->n_in = c->img_w * c->img_h;
  if (vae_config_validate (c, &err) != VAE_OK)
    return fail ("train: %s", err.msg);
  return 0;
}

/* Fixed-size samples: the last --val-fraction of them held out, or up to
 * 10000 of --val-data's. */
static int
hold_out_rows (Trainer *t)
{
  Dataset *train = &t->train;
  int n_in = t->c.n_in;
  int hold = t->have_val ? 0 : (int) (train->n * t->a.val_fraction);
  if (train->n - hold < 1)
    return fail ("train: no training samples left after holding out %d",
        hold);
  if (hold > 0) {
    t->vn = hold;
    t->vx = malloc ((size_t) t->vn * n_in * sizeof (float));
    memcpy (t->vx, train->x + (size_t) (train->n - hold) * n_in,
        (size_t) t->vn * n_in * sizeof (float));
    if (train->xn != NULL) {
      t->vxn = malloc ((size_t) t->vn * n_in * sizeof (float));
      t->vlv = malloc ((size_t) t->vn * sizeof (float));
      memcpy (t->vxn, train->xn + (size_t) (train->n - hold) * n_in,
          (size_t) t->vn * n_in * sizeof (float));
      memcpy (t->vlv, train->lv + (train->n - hold),
          (size_t) t->vn * sizeof (float));
    }
    train->n -= hold;
  } else if (t->have_val && t->val.n > 0) {
    t->vn = t->val.n > 10000 ? 10000 : t->val.n;
    t->vx = malloc ((size_t) t->vn * n_in * sizeof (float));
    memcpy (t->vx, t->val.x, (size_t) t->vn * n_in * sizeof (float));
  }
  return 0;
}

/* Patch data: hold out the last images, draw a fixed patch set from them
 * (or from --val-data's images). */
static void
hold_out_patches (Trainer *t)
{
  const VaeConfig *c = &t->c;
  Dataset *train = &t->train, *src = &t->train;
  int hold = (int) ceil (train->images.n * t->a.val_fraction);
  if (t->have_val)
    src = &t->val;
  else if (hold > 0 && hold < train->images.n) {
    train->img_hi = train->images.n - hold;
    train->img_lo = 0;
  }
  if (t->have_val || (hold > 0 && hold < train->images.n)) {
    VaeImageSet sub = src->images;
    VaeRng vr;
    if (!t->have_val) {
      sub.images += train->img_hi;
      sub.n = train->images.n - train->img_hi;
    }
    /* 4096 patches; as many pixels for a convolutional model's large
     * patches, at least 64 of them */
    t->vn = c->conv_depth > 0 ? 4096 * 64 / c->n_in : 4096;
    t->vn = t->vn < 64 ? 64 : t->vn;
    t->vx = malloc ((size_t) t->vn * c->n_in * sizeof (float));
    vae_rng_seed (&vr, 4242);
    for (int i = 0; i < t->vn; i++)
      if (c->colour)
        vae_image_set_sample_yuv420 (&sub, c->img_w, c->img_h, 0, 1.0f, &vr,
            t->vx + (size_t) i * c->n_in);
      else
        vae_image_set_sample_patch (&sub, c->img_w, c->img_h, 0, &vr,
            t->vx + (size_t) i * c->n_in);
  }
}

/* The validation set: an explicit one, or held-out samples / images; 0,
 * else said. */
static int
load_validation (Trainer *t)
{
  const char *spec = t->a.val_data;
  VaeError err;
  if (spec) {
    if (dataset_load (spec, &t->val, &err) != VAE_OK)
      return fail ("train: validation data %s: %s", spec, err.msg);
    if (t->val.n > 0 && t->val.dim != t->c.n_in)
      return fail ("train: validation samples have %d values, the model %d",
          t->val.dim, t->c.n_in);
    t->have_val = 1;
  }
  if (t->train.n > 0)
    return hold_out_rows (t);
  hold_out_patches (t);
  return 0;
}

/* --whiten zca: fitted on 100,000 training patches, applied to the
 * validation set; 0, else said. */
static int
fit_whitening (Trainer *t)
{
  const TrainArgs *a = &t->a;
  VaeConfig *c = &t->c;
  Whitening *wh = &t->wh;
  size_t nfit = 100000;
  float *fx;
  VaeRng fr;
  VaeImageSet sub;
  VaeError err;

  if (a->whiten == NULL)
    return 0;
  if (strcmp (a->whiten, "zca") != 0 || t->train.n > 0 || a->init
      || !(a->whiten_eps > 0) || c->noise_input || c->residual)
    return fail ("train: --whiten zca is for images: patch data, a fresh "
        "non-residual model without --noise-input, and --whiten-eps > 0");
  wh->on = 1;
  wh->dim = c->n_in;
  wh->mean = malloc ((size_t) c->n_in * sizeof (float));
  wh->w = malloc ((size_t) c->n_in * c->n_in * sizeof (float));
  wh->w_inv = malloc ((size_t) c->n_in * c->n_in * sizeof (float));
  wh->tmp = malloc ((size_t) (a->batch > t->vn ? a->batch : t->vn) * c->n_in
      * sizeof (float));
  fx = malloc (nfit * c->n_in * sizeof (float));
  vae_rng_seed (&fr, a->seed ^ 0x2ca);
  sub = t->train.images;
  sub.images += t->train.img_lo;
  sub.n = t->train.img_hi - t->train.img_lo;
  for (size_t i = 0; i < nfit; i++)
    vae_image_set_sample_patch (&sub, c->img_w, c->img_h, a->augment, &fr,
        fx + i * c->n_in);
  if (vae_zca_fit (fx, nfit, c->n_in, (float) a->whiten_eps, wh->mean, wh->w,
          wh->w_inv, &err) != VAE_OK) {
    free (fx);
    return fail ("train: %s", err.msg);
  }
  free (fx);
  /* the network sees whitened data as is */
  c->norm_mean = 0.0f;
  c->norm_scale = 1.0f;
  if (t->vn > 0)
    vae_zca_apply (wh->mean, wh->w, c->n_in, t->vx, (size_t) t->vn, wh->tmp);
  return 0;
}

/* ----------------------------------------------------------------- model */

/* --init-style torch: PyTorch's nn.Linear default, U(±1/sqrt(n_in)) for
 * weights and biases. */
static void
init_torch_style (VaeModel *m, guint64 seed)
{
  VaeRng ir;
  vae_rng_seed (&ir, seed ^ 0x5eedu);
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
}

/* --loss-stride: each output pixel's squared error weighted by its share
 * of the denoiser's overlap-add; 0, else said. */
static int
set_loss_weights (Trainer *t)
{
  const VaeConfig *c = &t->c;
  int stride = t->a.loss_stride, st;
  VaeError err;
  float *lw;
  if (stride == 0)
    return 0;
  if (c->colour)
    return fail ("train: --loss-stride is for one-plane models");
  lw = malloc ((size_t) c->n_in * sizeof (float));
  st = lw == NULL || stride < 0 || c->img_w * c->img_h != c->n_in
      ? VAE_ERR_ARG : vae_denoise_loss_weights (c->img_w, c->img_h, stride,
      VAE_WINDOW_GAUSS, lw);
  if (st != VAE_OK) {
    free (lw);
    return fail ("train: --loss-stride %d does not suit %dx%d patches",
        stride, c->img_w, c->img_h);
  }
  st = vae_model_set_loss_weights (t->m, lw, &err);
  free (lw);
  if (st != VAE_OK)
    return fail ("train: --loss-stride: %s", err.msg);
  return 0;
}

/* The model: --init's, or a fresh one of the configuration, ready to
 * train; its configuration then in t->c. 0, else said. */
static int
build_model (Trainer *t)
{
  const TrainArgs *a = &t->a;
  VaeError err;
  if (a->init) {
    t->m = vae_model_load (a->init, &err);
    if (t->m == NULL)
      return fail ("train: --init %s: %s", a->init, err.msg);
    if (memcmp (vae_model_config (t->m), &t->c, sizeof t->c) != 0)
      fprintf (stderr, "vae: note: using the architecture of %s\n", a->init);
  } else {
    t->m = vae_model_new (&t->c, a->seed, &err);
    if (t->m != NULL && a->init_style != NULL) {
      if (strcmp (a->init_style, "torch") == 0)
        init_torch_style (t->m, a->seed);
      else if (strcmp (a->init_style, "he") != 0)
        return fail ("train: unknown --init-style \"%s\" (he, torch)",
            a->init_style);
    }
  }
  if (t->m == NULL || vae_model_prepare_training (t->m, &err) != VAE_OK)
    return fail ("train: %s", err.msg);
  t->c = *vae_model_config (t->m);
  return set_loss_weights (t);
}

/* ------------------------------------------------------------- the run */

/* The workspace, the thread pool, the buffers, the schedule and the
 * random stream; 0, else said. */
static int
prepare_run (Trainer *t)
{
  TrainArgs *a = &t->a;
  VaeError err;
  t->ws = vae_workspace_new (t->m, a->batch, 1, &err);
  if (t->ws == NULL)
    return fail ("train: %s", err.msg);
  /* bf16 trains in the pool's workspace (one thread: its only one), so
   * the validation loss on ws stays in float */
  if ((a->threads > 1 || a->bf16) && (!(t->pool = vae_train_pool_new (t->m,
                  a->batch, a->threads, &err)) || (a->bf16
              && vae_train_pool_use_bf16 (t->pool, &err) != VAE_OK)))
    return fail ("train: %s", err.msg);
  t->batch = malloc ((size_t) a->batch * t->c.n_in * sizeof (float));
  if (t->train.xn != NULL) {
    if (a->augment || a->binarize || (t->wh.on))
      return fail ("train: temporal data come corrupted: no --augment, "
          "--binarize or --whiten");
    t->bxn = malloc ((size_t) a->batch * t->c.n_in * sizeof (float));
    t->blv = malloc ((size_t) a->batch * sizeof (float));
  }
  if (t->train.n > 0) {
    t->order = malloc ((size_t) t->train.n * sizeof (int));
    for (int i = 0; i < t->train.n; i++)
      t->order[i] = i;
    t->steps_per_epoch = (t->train.n + a->batch - 1) / a->batch;
  } else {
    t->steps_per_epoch = 1000;
  }
  t->total = a->steps > 0 ? a->steps : (a->epochs > 0 ? a->epochs
      * t->steps_per_epoch : 10 * t->steps_per_epoch);
  t->o = vae_train_opts_default ();
  t->o.lr = (float) a->lr;
  t->o.lr_final = (float) a->lr_final;
  t->o.total_steps = t->total;
  t->o.weight_decay = (float) a->wd;
  t->o.kl_beta = (float) a->kl_beta;
  t->o.kl_anneal_steps = a->kl_anneal;
  t->o.u8_fraction = (float) a->u8_fraction;
  t->o.eps = (float) a->adam_eps;
  if (a->val_every <= 0)
    a->val_every = t->steps_per_epoch;
  vae_rng_seed (&t->rng, a->seed);
  return 0;
}

/* The CSV log of --log, with its header; 0, else said. */
static int
open_log (Trainer *t)
{
  if (t->a.log == NULL)
    return 0;
  t->logf = fopen (t->a.log, "w");
  if (t->logf == NULL)
    return fail ("train: cannot write %s: %s", t->a.log, strerror (errno));
  fprintf (t->logf, "step,epoch,loss,rec,kl,beta,val_loss,seconds\n");
  return 0;
}

/* The run's record in the model's metadata: train.*, and --meta's. */
static void
record_run (Trainer *t, char **argv)
{
  const TrainArgs *a = &t->a;
  VaeModel *m = t->m;
  char *cmdline, s[64];
  /* the training that made the --init model, which this one's record
   * would otherwise overwrite, kept as init.train.* */
  for (int i = 0, n = vae_model_n_meta (m); a->init && i < n; i++) {
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
  vae_model_set_meta (m, "train.data", a->data);
  if (a->init)
    vae_model_set_meta (m, "train.init", a->init);
  for (int i = 0; i < a->n_meta; i++) {
    const char *kv = a->meta[i];
    char *key = g_strndup (kv, strchr (kv, '=') - kv);
    vae_model_set_meta (m, key, strchr (kv, '=') + 1);
    g_free (key);
  }
  vae_model_set_meta (m, "train.data_sha256", t->train.sha);
  g_snprintf (s, sizeof s, "%" G_GUINT64_FORMAT, a->seed);
  vae_model_set_meta (m, "train.seed", s);
  g_snprintf (s, sizeof s, "%d", a->batch);
  vae_model_set_meta (m, "train.batch", s);
  vae_model_set_meta (m, "train.precision", a->bf16 ? "bf16" : "fp32");
}

/* One line on stderr: the network, its size and the schedule. */
static void
announce (const Trainer *t)
{
  fprintf (stderr, "vae: training %s %d", vae_kind_name (t->c.kind),
      vae_model_net_in (t->m));
  for (int l = 0; l < vae_model_n_layers (t->m); l++) {
    int no;
    vae_model_layer (t->m, l, NULL, &no, NULL, NULL, NULL, NULL, NULL);
    fprintf (stderr, "-%d", no);
  }
  fprintf (stderr, ", %zu parameters, %ld steps of %d, %d validation samples\n",
      vae_model_n_params (t->m), t->total, t->a.batch, t->vn);
}

/* Fills t->batch for step: the next rows of the epoch's order, or random
 * patches; returns how many. */
static int
next_batch (Trainer *t, long step)
{
  const TrainArgs *a = &t->a;
  long pos = 0;
  int b = a->batch;
  if (t->train.n > 0) {
    long in_epoch = step % t->steps_per_epoch;
    if (in_epoch == 0)
      shuffle (t->order, t->train.n, &t->rng);
    pos = in_epoch * a->batch;
  }
  if (t->train.n > 0 && pos + b > t->train.n)
    b = (int) (t->train.n - pos);
  dataset_batch (&t->train, t->order, pos, b, t->c.img_w, t->c.img_h,
      a->augment, a->binarize, a->zoom_max, a->zoom_prob, &t->rng, t->batch);
  if (t->train.xn != NULL)
    dataset_batch_inputs (&t->train, t->order, pos, b, t->bxn, t->blv);
  if (t->wh.on)
    vae_zca_apply (t->wh.mean, t->wh.w, t->c.n_in, t->batch, (size_t) b,
        t->wh.tmp);
  return b;
}

/* After step: every val_every steps the validation loss, a line on stderr
 * and a row in the log; in between, a progress line on a terminal. */
static void
report (Trainer *t, long step, const VaeLoss *L)
{
  long total = t->total;
  t->run_loss += L->loss;
  t->run_n++;
  if ((step + 1) % t->a.val_every == 0 || step + 1 == total) {
    double secs = (g_get_monotonic_time () - t->t0) / 1e6;
    float beta = t->c.kind == VAE_KIND_VAE ? L->beta : 0.0f;
    if (t->vn > 0)
      t->last_val = validate (t->m, t->ws, t->vx, t->vxn, t->vlv, t->vn,
          t->c.n_in, beta);
    fprintf (stderr, "step %ld/%ld  loss %.5f  val %.5f  %.1f steps/s  ETA %.0fs\n",
        step + 1, total, t->run_loss / t->run_n, t->last_val,
        (step + 1) / secs, (total - step - 1) / ((step + 1) / secs));
    if (t->logf) {
      fprintf (t->logf, "%ld,%.3f,%.6f,%.6f,%.6f,%.4f,%.6f,%.2f\n", step + 1,
          (double) (step + 1) / t->steps_per_epoch, t->run_loss / t->run_n,
          L->rec, L->kl, L->beta, t->last_val, secs);
      fflush (t->logf);
    }
    t->run_loss = 0.0;
    t->run_n = 0;
  } else if (g_get_monotonic_time () - t->tlast > 2000000 && isatty (2)) {
    double secs = (g_get_monotonic_time () - t->t0) / 1e6;
    fprintf (stderr, "\rstep %ld/%ld  loss %.5f  %.1f steps/s  ETA %.0fs   \r",
        step + 1, total, t->run_loss / t->run_n, (step + 1) / secs,
        (total - step - 1) / ((step + 1) / secs));
    t->tlast = g_get_monotonic_time ();
  }
}

/* Every --checkpoint-every steps, the model saved as it stands; 0, else
 * said. */
static int
checkpoint (Trainer *t, long step)
{
  VaeError err;
  char s[64];
  if (!(t->a.ckpt_every > 0 && (step + 1) % t->a.ckpt_every == 0))
    return 0;
  g_snprintf (s, sizeof s, "%ld", step + 1);
  vae_model_set_meta (t->m, "train.steps", s);
  if (save_model (t->m, &t->wh, t->a.out, &err) != VAE_OK)
    return fail ("train: checkpoint: %s", err.msg);
  return 0;
}

/* Trains to the schedule's end, --stop-after or a signal; *steps: how many
 * it took. 0, else said. */
static int
train_loop (Trainer *t, long *steps)
{
  long last = t->a.stop_after > 0 && t->a.stop_after < t->total
      ? t->a.stop_after : t->total;
  long step;
  t->t0 = t->tlast = g_get_monotonic_time ();
  for (step = 0; step < last && !stop_requested; step++) {
    VaeLoss L;
    int b = next_batch (t, step), rc;
    if (t->bxn != NULL)         /* temporal data: corrupted beforehand */
      rc = t->pool ? vae_train_pool_step_pairs (t->pool, t->bxn, t->batch,
          t->blv, b, &t->o, step, &t->rng, &L)
          : vae_model_train_step_pairs (t->m, t->ws, t->bxn, t->batch, t->blv,
          b, &t->o, step, &t->rng, &L);
    else
      rc = t->pool ? vae_train_pool_step (t->pool, t->batch, b, &t->o, step,
          &t->rng, &L) : vae_model_train_step (t->m, t->ws, t->batch, b,
          &t->o, step, &t->rng, &L);
    if (rc != VAE_OK)
      return fail ("train: step %ld failed", step);
    if (!isfinite (L.loss))
      return fail ("train: loss diverged to %g at step %ld; lower --lr",
          L.loss, step);
    report (t, step, &L);
    if (checkpoint (t, step) != 0)
      return 1;
  }
  *steps = step;
  return 0;
}

/* The run's figures in the metadata, and the model saved to --out; 0,
 * else said. */
static int
save_result (Trainer *t, long step)
{
  VaeModel *m = t->m;
  VaeError err;
  char s[64];
  double secs = (g_get_monotonic_time () - t->t0) / 1e6;
  g_snprintf (s, sizeof s, "%ld", step);
  vae_model_set_meta (m, "train.steps", s);
  g_snprintf (s, sizeof s, "%.1f", secs);
  vae_model_set_meta (m, "train.seconds", s);
  g_snprintf (s, sizeof s, "%.2f", step / secs);
  vae_model_set_meta (m, "train.steps_per_second", s);
  g_snprintf (s, sizeof s, "%d", t->a.threads);
  vae_model_set_meta (m, "train.threads", s);
  if (!isnan (t->last_val)) {
    g_snprintf (s, sizeof s, "%.6f", t->last_val);
    vae_model_set_meta (m, "metrics.val_loss", s);
  }
  if (save_model (m, &t->wh, t->a.out, &err) != VAE_OK)
    return fail ("train: %s", err.msg);
  fprintf (stderr, "vae: %s %s after %ld steps (%.1f s, %.1f steps/s)\n",
      stop_requested ? "interrupted; saved" : "saved", t->a.out, step, secs,
      step / secs);
  return 0;
}

static void
trainer_clear (Trainer *t)
{
  free (t->wh.mean);
  free (t->wh.w);
  free (t->wh.w_inv);
  free (t->wh.tmp);
  if (t->logf)
    fclose (t->logf);
  free (t->batch);
  free (t->bxn);
  free (t->blv);
  free (t->order);
  free (t->vx);
  free (t->vxn);
  free (t->vlv);
  vae_train_pool_free (t->pool);
  vae_workspace_free (t->ws);
  vae_model_free (t->m);
  dataset_clear (&t->train);
  dataset_clear (&t->val);
}

int
cmd_train (int argc, char **argv)
{
  Trainer t;
  long steps = 0;
  int rc;

  memset (&t, 0, sizeof t);
  t.last_val = NAN;
  rc = train_args_parse (&t.a, argc, argv);
  if (rc >= 0)
    return rc;
  vae_blas_threads (t.a.threads);
  if (train_config (&t.a, &t.c) != 0)
    return 1;

  rc = 1;
  if (load_data (&t) != 0 || load_validation (&t) != 0
      || fit_whitening (&t) != 0)
    goto out;
  if (build_model (&t) != 0 || prepare_run (&t) != 0 || open_log (&t) != 0)
    goto out;
  record_run (&t, argv);
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  announce (&t);
  if (train_loop (&t, &steps) != 0 || save_result (&t, steps) != 0)
    goto out;
  rc = stop_requested ? 130 : 0;
out:
  trainer_clear (&t);
  return rc;
}
