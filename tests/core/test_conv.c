/* Convolutional DAEs against a direct double-precision convolution written
 * here from vae.h's conventions (weights (c_out, k, k, c_in), 'same' zero
 * padding, NHWC): the loss value, every parameter's gradient by central
 * differences, the file round trip, and the denoiser (tiles and bands against
 * the whole-plane reference, any plane size). */
#include "vae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define MAXV (1 << 22)

/* pre-activation signs of the last forward, to spot kink crossings */
static unsigned char side[1 << 20];
static int n_side;

/* Where input plane q of map position (py, px) sits in an h × w plane:
 * the plane itself for one-plane models; for colour ones, vae.h's
 * interleaved 4:2:0 layout taken in 2 × 3 blocks (rows 2k and 2k + 1 of
 * luma, then Cb Cr alternating), q = 2 · row + column within the block. */
static size_t
ref_at (const VaeConfig *c, int w, int py, int px, int q)
{
  if (!c->colour)
    return (size_t) py * w + px;
  return (size_t) (3 * py + q / 2) * w + 2 * px + q % 2;
}

/* The network on one h × w plane (data units) at level lv; out gets the
 * network's output at each value of the plane, network units. */
static void
ref_forward (VaeModel *m, const float *x, int h, int w, float lv, double *out)
{
  const VaeConfig *c = vae_model_config (m);
  int planes = c->colour ? 6 : 1;
  int k = c->conv_kernel, r = k / 2, cin = planes + (c->noise_input ? 1 : 0);
  static double a[MAXV], b[MAXV];
  double *cur = a, *nxt = b;

  if (c->colour) {
    h /= 3;
    w /= 2;
  }
  if ((size_t) h * w * (c->conv_width > cin ? c->conv_width : cin) > MAXV) {
    CHECK (0, "reference plane %dx%d too large", w, h);
    return;
  }
  for (int py = 0; py < h; py++)
    for (int px = 0; px < w; px++) {
      int p = py * w + px;
      for (int q = 0; q < planes; q++)
        cur[p * cin + q] = ((double) x[ref_at (c, c->colour ? 2 * w : w, py,
                    px, q)] - c->norm_mean) / c->norm_scale;
      if (c->noise_input)
        cur[p * cin + planes] = (double) lv / c->norm_scale;
    }
  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int ni, no;
    VaeAct act;
    float *wt, *bs;
    vae_model_layer (m, l, &ni, &no, &act, &wt, &bs, NULL, NULL);
    for (int y = 0; y < h; y++)
      for (int xx = 0; xx < w; xx++)
        for (int o = 0; o < no; o++) {
          double s = bs[o];
          for (int dy = 0; dy < k; dy++)
            for (int dx = 0; dx < k; dx++) {
              int sy = y + dy - r, sx = xx + dx - r;
              if (sy < 0 || sy >= h || sx < 0 || sx >= w)
                continue;
              for (int ci = 0; ci < cin; ci++)
                s += (double) wt[(((size_t) o * k + dy) * k + dx) * cin + ci]
                    * cur[((size_t) sy * w + sx) * cin + ci];
            }
          if ((act == VAE_ACT_RELU || act == VAE_ACT_LRELU)
              && n_side < (int) sizeof side)
            side[n_side++] = s > 0;
          nxt[((size_t) y * w + xx) * no + o] = act_d (s, act);
        }
    cin = no;
    double *t = cur;
    cur = nxt;
    nxt = t;
  }
  for (int py = 0; py < h; py++)
    for (int px = 0; px < w; px++)
      for (int q = 0; q < planes; q++)
        out[ref_at (c, c->colour ? 2 * w : w, py, px, q)]
            = cur[((size_t) py * w + px) * planes + q];
}

/* vae.h's DAE loss: mean over the batch of ½‖ŷ − t‖², t the noise x̃ − x
 * (residual) or x, in network units. */
static double
ref_loss (VaeModel *m, const float *x_in, const float *x_t, const float *lv,
    int batch)
{
  const VaeConfig *c = vae_model_config (m);
  int P = c->n_in;
  static double y[MAXV];
  double total = 0.0;
  n_side = 0;
  for (int i = 0; i < batch; i++) {
    ref_forward (m, x_in + (size_t) i * P, c->img_h, c->img_w,
        lv ? lv[i] : 0.0f, y);
    for (int p = 0; p < P; p++) {
      double xn = ((double) x_in[i * P + p] - c->norm_mean) / c->norm_scale;
      double tn = ((double) x_t[i * P + p] - c->norm_mean) / c->norm_scale;
      double t = c->residual ? xn - tn : tn;
      total += 0.5 * (y[p] - t) * (y[p] - t);
    }
  }
  return total / batch;
}

static int
crosses (VaeModel *m, float *v, float vp, float vm, const float *x_in,
    const float *x_t, const float *lv, int batch)
{
  static unsigned char sp[sizeof side];
  float v0 = *v;
  int n, crossed;
  *v = vp;
  ref_loss (m, x_in, x_t, lv, batch);
  n = n_side;
  memcpy (sp, side, n);
  *v = vm;
  ref_loss (m, x_in, x_t, lv, batch);
  *v = v0;
  crossed = n != n_side || memcmp (sp, side, n) != 0;
  return crossed;
}

static VaeConfig
conv_cfg (int depth, int width, int k, int pw, int ph, VaeAct act,
    int residual, int noise_input)
{
  VaeConfig c = vae_config_default ();
  c.kind = VAE_KIND_DAE;
  c.conv_depth = depth;
  c.conv_width = width;
  c.conv_kernel = k;
  c.n_latent = width;
  c.img_w = pw;
  c.img_h = ph;
  c.n_in = pw * ph;
  c.act = act;
  c.residual = residual;
  c.noise_input = noise_input;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_max = 0.2f;
  c.norm_mean = 0.5f;
  c.norm_scale = 0.2f;
  return c;
}

static void
test_gradients (const char *name, VaeConfig cfg, int B, uint64_t seed)
{
  VaeError err;
  VaeModel *m = vae_model_new (&cfg, seed, &err);
  VaeWorkspace *ws;
  VaeRng rng, dummy;
  VaeLoss L;
  int P = cfg.n_in, skipped = 0, total = 0;
  float *x_in, *x_t, *lv, *g, *p;
  size_t np;
  double worst = 0.0, ref;
  const float h = 1.0f / 4096;

  CHECK (m != NULL, "%s: %s", name, m ? "" : err.msg);
  if (m == NULL)
    return;
  CHECK (vae_model_prepare_training (m, &err) == VAE_OK, "prepare");
  ws = vae_workspace_new (m, B, 1, &err);
  np = vae_model_n_params (m);
  p = vae_model_params (m);
  x_in = malloc (sizeof (float) * B * P);
  x_t = malloc (sizeof (float) * B * P);
  lv = malloc (sizeof (float) * B);
  g = malloc (sizeof (float) * np);
  vae_rng_seed (&rng, seed + 11);
  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int no;
    float *b;
    vae_model_layer (m, l, NULL, &no, NULL, NULL, &b, NULL, NULL);
    for (int j = 0; j < no; j++)
      b[j] = urand (&rng, -0.3f, 0.3f);
  }
  for (int i = 0; i < B * P; i++) {
    x_t[i] = urand (&rng, 0.05f, 0.95f);
    x_in[i] = x_t[i] + 0.1f * vae_rng_normal (&rng);
  }
  for (int i = 0; i < B; i++)
    lv[i] = urand (&rng, 0.02f, 0.2f);

  vae_rng_seed (&dummy, 1);
  CHECK (vae_model_loss_grad (m, ws, x_in, x_t, lv, B, NULL, 0, &dummy, &L)
      == VAE_OK, "%s: loss_grad", name);
  memcpy (g, vae_model_grads (m), sizeof (float) * np);
  ref = ref_loss (m, x_in, x_t, lv, B);
  printf ("  %-34s loss %.6f (reference %.6f)\n", name, L.loss, ref);
  CHECK (fabs (L.loss - ref) <= 1e-5 * fmax (1.0, fabs (ref)),
      "%s: loss %.7g, reference %.7g", name, L.loss, ref);

  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int ni, no;
    float *w, *b;
    vae_model_layer (m, l, &ni, &no, NULL, &w, &b, NULL, NULL);
    for (int t = 0; t < 2; t++) {
      float *v = t == 0 ? w : b;
      int n = t == 0 ? ni * no : no;
      for (int i = 0; i < n; i++) {
        float v0 = v[i], vp = v0 + h, vm = v0 - h;
        double lp, lm, num, e, an = g[(v - p) + i];
        total++;
        if (crosses (m, v + i, vp, vm, x_in, x_t, lv, B)) {
          skipped++;
          continue;
        }
        v[i] = vp;
        lp = ref_loss (m, x_in, x_t, lv, B);
        v[i] = vm;
        lm = ref_loss (m, x_in, x_t, lv, B);
        v[i] = v0;
        num = (lp - lm) / ((double) vp - (double) vm);
        e = fabs (an - num) / fmax (fmax (fabs (an), fabs (num)), 1e-4);
        if (e >= 1e-3)
          printf ("    layer %d %s[%d]: analytic %.7g numeric %.7g\n", l,
              t ? "bias" : "weight", i, an, num);
        worst = fmax (worst, e);
      }
    }
  }
  printf ("  %-34s %d parameters, max rel err %.2e (%d at a kink skipped)\n",
      name, total, worst, skipped);
  CHECK (worst < 1e-3, "%s: gradient error %.2e", name, worst);
  CHECK (skipped * 10 < total, "%s: too many kink skips", name);
  free (x_in); free (x_t); free (lv); free (g);
  vae_workspace_free (ws);
  vae_model_free (m);
}

/* The denoiser against the direct convolution on whole planes of several
 * sizes (tiles, halos, borders), bands and the two-phase API against one
 * call, and a file round trip. */
static void
test_denoiser (VaeConfig cfg, const char *name)
{
  static const int gray_sizes[][2] = { { 300, 200 }, { 1, 1 }, { 7, 5 },
    { 129, 3 }, { 2, 260 }, { 256, 128 }, { 145, 20 }, { 20, 145 },
    { 137, 130 } };
  /* colour: even widths, heights a multiple of 3; maps of 1 × 1 to 2 × 3
   * tiles */
  static const int colour_sizes[][2] = { { 300, 201 }, { 2, 3 }, { 14, 15 },
    { 258, 9 }, { 2, 390 }, { 256, 129 }, { 146, 21 }, { 20, 441 },
    { 274, 396 } };
  const int (*sizes)[2] = cfg.colour ? colour_sizes : gray_sizes;
  VaeError err;
  VaeModel *m = vae_model_new (&cfg, 9, &err), *m2;
  VaeRng rng;
  void *buf;
  size_t len;

  CHECK (m != NULL, "model: %s", m ? "" : err.msg);
  if (m == NULL)
    return;
  vae_rng_seed (&rng, 99);
  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int no;
    float *b;
    vae_model_layer (m, l, NULL, &no, NULL, NULL, &b, NULL, NULL);
    for (int j = 0; j < no; j++)
      b[j] = urand (&rng, -0.2f, 0.2f);
  }
  CHECK (vae_model_save_to_memory (m, &buf, &len, &err) == VAE_OK, "save");
  m2 = vae_model_load_from_memory (buf, len, &err);
  CHECK (m2 != NULL && memcmp (vae_model_config (m2), vae_model_config (m),
          sizeof cfg) == 0, "round trip: %s", m2 ? "config differs" : err.msg);
  /* every truncation of the file is refused */
  for (size_t cut = 0; cut < len; cut += 1 + cut / 7) {
    VaeModel *t = vae_model_load_from_memory (buf, cut, &err);
    CHECK (t == NULL, "a file cut to %zu of %zu bytes loaded", cut, len);
    vae_model_free (t);
  }
  free (buf);

  printf ("%s: denoiser against the direct convolution (σ = 20):\n", name);
  for (size_t s = 0; s < sizeof gray_sizes / sizeof gray_sizes[0]; s++) {
    int w = sizes[s][0], h = sizes[s][1], n_tiles;
    size_t n = (size_t) w * h;
    float *x = malloc (n * sizeof (float)), *y = malloc (n * sizeof (float));
    uint8_t *x8 = malloc (n), *a8 = malloc (n), *b8 = malloc (n);
    double *ref = malloc (n * sizeof (double)), worst = 0.0;
    float *store;
    VaeDenoiser *d = vae_denoiser_new (m, w, h, NULL, &err);
    VaeDenoiser *d2 = vae_denoiser_new (m2, w + 3, h + 2, NULL, &err);
    const VaeConfig *c = vae_model_config (m);
    CHECK (d != NULL && d2 != NULL, "denoiser %dx%d: %s", w, h, err.msg);
    if (d == NULL || d2 == NULL)
      return;
    for (size_t i = 0; i < n; i++) {
      x8[i] = (uint8_t) vae_rng_below (&rng, 256);
      x[i] = x8[i] / 255.0f;
    }
    CHECK (vae_denoiser_run_f32 (d, x, w, y, w, w, h, 0, h, 20.0f) == VAE_OK,
        "run_f32 %dx%d", w, h);
    ref_forward (m, x, h, w, 20.0f / 255.0f, ref);
    for (size_t i = 0; i < n; i++) {
      double xn = ((double) x[i] - c->norm_mean) / c->norm_scale;
      double v = (c->residual ? xn - ref[i] : ref[i]) * c->norm_scale
          + c->norm_mean;
      worst = fmax (worst, fabs (v - y[i]));
    }
    printf ("  %3dx%-3d  max |difference| %.2e\n", w, h, worst);
    CHECK (worst < 1e-5, "%dx%d: denoised plane differs from the direct "
        "convolution by %.2e", w, h, worst);

    /* bands, and the two-phase API in reverse tile order, on the loaded
     * copy (in a larger denoiser), give the bytes of one call */
    CHECK (vae_denoiser_run_u8 (d, x8, w, a8, w, w, h, 0, h, 20.0f) == VAE_OK,
        "run_u8");
    memset (b8, 0, n);
    for (int r0 = 0; r0 < h; r0 += 37)
      CHECK (vae_denoiser_run_u8 (d, x8, w, b8, w, w, h, r0,
              r0 + 37 < h ? r0 + 37 : h, 20.0f) == VAE_OK, "band");
    CHECK (memcmp (a8, b8, n) == 0, "%dx%d: bands differ", w, h);
    n_tiles = vae_denoiser_n_tiles (d2, w, h);
    store = malloc (vae_denoiser_store_floats (d2) * sizeof (float));
    CHECK (n_tiles >= 1, "n_tiles");
    for (int t = n_tiles - 1; t >= 0; t--)
      CHECK (vae_denoiser_tile_u8 (d2, x8, w, b8, w, w, h, t, 20.0f, store)
          == VAE_OK, "tile %d", t);
    memset (b8, 0, n);
    CHECK (vae_denoiser_blend_u8 (d2, store, b8, w, w, h, 0, h) == VAE_OK,
        "blend");
    CHECK (memcmp (a8, b8, n) == 0, "%dx%d: two-phase bytes differ", w, h);
    CHECK (vae_denoiser_tile_u8 (d2, x8, w, b8, w, w, h, n_tiles, 20.0f,
            store)
        == VAE_ERR_ARG, "tile past the end accepted");
    CHECK (vae_denoiser_run_u8 (d, x8, w, a8, w, w + 1, h, 0, h, 20.0f)
        == VAE_ERR_ARG, "plane wider than the denoiser accepted");
    if (cfg.colour && w > 2)    /* no half blocks */
      CHECK (vae_denoiser_run_u8 (d, x8, w, a8, w, w - 1, h, 0, h, 20.0f)
          == VAE_ERR_ARG && vae_denoiser_run_u8 (d, x8, w, a8, w, w, h - 1,
              0, h - 1, 20.0f) == VAE_ERR_ARG, "a plane of half blocks "
          "accepted");
    CHECK (vae_denoiser_flops (d, w, h) >= 2.0 * n * (2 * 9 * cfg.conv_width),
        "flops %g", vae_denoiser_flops (d, w, h));
    free (store);
    vae_denoiser_free (d);
    vae_denoiser_free (d2);
    free (x); free (y); free (x8); free (a8); free (b8); free (ref);
  }
  /* the batch API: vae_reconstruct on patches equals the denoiser on each
   * patch as a plane; what a conv model cannot do is refused */
  {
    int P = cfg.n_in, B = 5;
    VaeWorkspace *ws = vae_workspace_new (m, B, 0, &err);
    VaeDenoiser *d = vae_denoiser_new (m, cfg.img_w, cfg.img_h, NULL, &err);
    float *x = malloc (sizeof (float) * B * P), *y = malloc (sizeof (float)
        * B * P), *one = malloc (sizeof (float) * P), mu[8];
    double worst = 0.0;
    for (int i = 0; i < B * P; i++)
      x[i] = urand (&rng, 0.0f, 1.0f);
    CHECK (vae_reconstruct (m, ws, x, B, 0.1f, y) == VAE_OK, "reconstruct");
    for (int i = 0; i < B; i++) {
      vae_denoiser_run_f32 (d, x + i * P, cfg.img_w, one, cfg.img_w,
          cfg.img_w, cfg.img_h, 0, cfg.img_h, 0.1f * 255.0f);
      for (int p = 0; p < P; p++)
        worst = fmax (worst, fabs (one[p] - y[i * P + p]));
    }
    CHECK (worst < 1e-5, "vae_reconstruct differs from the denoiser by %.2e",
        worst);
    CHECK (vae_encode (m, ws, x, 1, mu, NULL) == VAE_ERR_KIND, "encode");
    CHECK (vae_decode (m, ws, mu, 1, y) == VAE_ERR_KIND, "decode");
    CHECK (vae_score (m, ws, x, 1, &rng, mu, mu) == VAE_ERR_KIND, "score");
    CHECK (vae_model_check_prunable (m, 0, &err) == VAE_ERR_KIND, "prune");
    free (x);
    free (y);
    free (one);
    vae_denoiser_free (d);
    vae_workspace_free (ws);
  }
  vae_model_free (m);
  vae_model_free (m2);
}

/* A level map: a map of ones gives the plain run; a map whose left cells
 * hold a and right ones b gives, wherever the receptive field stays on
 * one side, the plain run at σ·a or σ·b. */
static void
test_level_map (VaeConfig cfg, const char *name)
{
  enum { W = 96, H = 48, CELL = 4, SPLIT = 12 };   /* SPLIT cells a */
  VaeError err;
  VaeModel *m = vae_model_new (&cfg, 21, &err);
  int w = W, h = cfg.colour ? 3 * H / 2 : H;
  int cw = CELL, ch = cfg.colour ? CELL / 2 * 3 : CELL;
  int mw = w / cw, mh = (h + ch - 1) / ch;
  int R = cfg.conv_depth * (cfg.conv_kernel / 2) * (cfg.colour ? 2 : 1);
  size_t n = (size_t) w * h;
  float *x = malloc (n * sizeof (float)), *ym = malloc (n * sizeof (float));
  float *ya = malloc (n * sizeof (float)), *yb = malloc (n * sizeof (float));
  float *ones = malloc ((size_t) mw * mh * sizeof (float));
  float *split = malloc ((size_t) mw * mh * sizeof (float));
  VaeDenoiser *d = m ? vae_denoiser_new (m, w, h, NULL, &err) : NULL;
  VaeRng rng;
  double worst = 0.0;

  CHECK (d != NULL, "%s: %s", name, err.msg);
  if (d == NULL)
    return;
  vae_rng_seed (&rng, 31);
  for (size_t i = 0; i < n; i++)
    x[i] = urand (&rng, 0.0f, 1.0f);
  for (int i = 0; i < mw * mh; i++) {
    ones[i] = 1.0f;
    split[i] = i % mw < SPLIT ? 0.5f : 1.0f;
  }
  vae_denoiser_run_f32 (d, x, w, ya, w, w, h, 0, h, 20.0f);
  CHECK (vae_denoiser_set_level_map (d, ones, mw, mh, cw, ch) == VAE_OK,
      "%s: map refused", name);
  vae_denoiser_run_f32 (d, x, w, ym, w, w, h, 0, h, 20.0f);
  CHECK (memcmp (ya, ym, n * sizeof (float)) == 0, "%s: a map of ones "
      "changes the output", name);
  vae_denoiser_set_level_map (d, split, mw, mh, cw, ch);
  vae_denoiser_run_f32 (d, x, w, ym, w, w, h, 0, h, 20.0f);
  vae_denoiser_set_level_map (d, NULL, 0, 0, 0, 0);
  vae_denoiser_run_f32 (d, x, w, ya, w, w, h, 0, h, 10.0f);
  vae_denoiser_run_f32 (d, x, w, yb, w, w, h, 0, h, 20.0f);
  for (int y = 0; y < h; y++)
    for (int xx = 0; xx < w; xx++) {
      size_t i = (size_t) y * w + xx;
      /* the block's first column for colour: its two columns share it */
      int bx = cfg.colour ? xx & ~1 : xx;
      if (bx + R + (cfg.colour ? 1 : 0) < SPLIT * cw)
        worst = fmax (worst, fabs (ym[i] - ya[i]));
      else if (bx - R >= SPLIT * cw)
        worst = fmax (worst, fabs (ym[i] - yb[i]));
    }
  printf ("%s: a split level map against plain runs: max |difference| "
      "%.2e\n", name, worst);
  CHECK (worst < 1e-6, "%s: split map differs by %.2e", name, worst);
  CHECK (memcmp (ym, yb, n * sizeof (float)) != 0, "%s: the map changed "
      "nothing", name);
  vae_denoiser_free (d);
  vae_model_free (m);
  free (x); free (ym); free (ya); free (yb); free (ones); free (split);
}

int
main (void)
{
  printf ("convolutional DAE gradients against a double-precision direct "
      "convolution (step 2^-12):\n");
  test_gradients ("3x3, depth 3, residual, level map",
      conv_cfg (3, 3, 3, 5, 4, VAE_ACT_RELU, 1, 1), 2, 1);
  test_gradients ("5x5 on 3x6 patches, depth 2, tanh",
      conv_cfg (2, 2, 5, 3, 6, VAE_ACT_TANH, 0, 0), 3, 2);
  test_gradients ("3x3, depth 4, lrelu, residual",
      conv_cfg (4, 4, 3, 6, 6, VAE_ACT_LRELU, 1, 0), 2, 3);
  test_gradients ("1x1 kernel, depth 2",
      conv_cfg (2, 3, 1, 4, 3, VAE_ACT_SIGMOID, 1, 1), 2, 4);
  /* 64x64 patches: one patch per im2col block, so the batch is chunked */
  test_gradients ("64x64 patches (chunked batch)",
      conv_cfg (2, 2, 3, 64, 64, VAE_ACT_TANH, 1, 1), 2, 5);
  /* colour: the interleaved 4:2:0 patch in 2 × 3 blocks of 6 planes */
  {
    VaeConfig a = conv_cfg (3, 4, 3, 4, 6, VAE_ACT_RELU, 1, 1);
    VaeConfig b = conv_cfg (2, 3, 3, 8, 9, VAE_ACT_TANH, 0, 0);
    a.colour = b.colour = VAE_COLOUR_YUV420;
    test_gradients ("colour 4x6 (2x2 blocks), level map", a, 2, 6);
    test_gradients ("colour 8x9 (4x3 blocks), tanh", b, 3, 7);
  }
  /* the im2col + sgemm path (5 channels), the direct kernel (16, 32 and
   * 48 channels: 3x3 with ReLU, 5x5 with leaky ReLU, the 1-channel output
   * through sgemm), and neither (tanh) */
  test_denoiser (conv_cfg (4, 5, 3, 8, 8, VAE_ACT_RELU, 1, 1), "width 5");
  test_denoiser (conv_cfg (3, 32, 3, 8, 8, VAE_ACT_RELU, 1, 1), "width 32");
  test_denoiser (conv_cfg (3, 16, 5, 8, 8, VAE_ACT_LRELU, 0, 0),
      "width 16, 5x5, lrelu");
  test_denoiser (conv_cfg (2, 16, 3, 8, 8, VAE_ACT_TANH, 1, 0),
      "width 16, tanh");
  /* AVX-512: a block of 32 channels and one of 16 */
  test_denoiser (conv_cfg (3, 48, 3, 8, 8, VAE_ACT_RELU, 1, 1), "width 48");
  {
    VaeConfig a = conv_cfg (3, 5, 3, 4, 6, VAE_ACT_RELU, 1, 1);
    VaeConfig b = conv_cfg (3, 32, 3, 8, 9, VAE_ACT_RELU, 1, 1);
    a.colour = b.colour = VAE_COLOUR_YUV420;
    test_denoiser (a, "colour, width 5");
    test_denoiser (b, "colour, width 32");
    test_level_map (a, "colour");
  }
  test_level_map (conv_cfg (3, 16, 3, 8, 8, VAE_ACT_RELU, 1, 1), "gray");
  {
    /* configurations the core must refuse */
    VaeConfig bad[6];
    VaeError err;
    for (int i = 0; i < 6; i++)
      bad[i] = conv_cfg (3, 4, 3, 8, 8, VAE_ACT_RELU, 1, 1);
    bad[0].conv_depth = 1;
    bad[1].conv_kernel = 4;
    bad[2].conv_width = VAE_MAX_CONV_WIDTH + 1;
    bad[2].n_latent = bad[2].conv_width;
    bad[3].kind = VAE_KIND_AE;
    bad[3].residual = bad[3].noise_input = 0;
    bad[3].noise = VAE_NOISE_NONE;
    bad[4].n_enc = 1;
    bad[4].enc[0] = 8;
    bad[5].conv_depth = VAE_MAX_CONV_DEPTH + 1;
    for (int i = 0; i < 6; i++) {
      VaeModel *m = vae_model_new (&bad[i], 1, &err);
      CHECK (m == NULL, "bad configuration %d accepted", i);
      vae_model_free (m);
    }
  }
  if (failures)
    printf ("%d failures\n", failures);
  return failures != 0;
}
