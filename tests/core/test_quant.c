/* The int8 path (core/quant.c, the int8 kernels of core/gemm_i8.c and
 * core/gemm_amx.c, the int8
 * denoiser): the GEMM against exact integer sums computed here from the
 * unpacked weights, bit for bit, on edge shapes, on whichever kernel this
 * run gets (VAE_GEMM=blas: the plain C loop); GPTQ's weights against
 * rounding each weight alone (it must do better on the calibration data,
 * which is what it minimises); the denoiser's int8 output against the
 * network evaluated here from the quant.* tensors; the model file keeping
 * them exactly and refusing broken ones; training dropping them. */
#include "vae.h"
#include "vae_private.h"

#include <cblas.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* ------------------------------------------------------------------ GEMM */

/* to_codes 0: C = acc·mult + C; 1: codes of acc·mult + add; 2: C =
 * acc·mult + (x8·xa + add), x8 another m × n code matrix; 3: codes as 1,
 * with scales past int32's range and infinite and NaN biases in some
 * columns (the kernels' clamped path, not the bounded one) */
static void
gemm_case (int m, int n, int k, int to_codes, VaeRng *r)
{
  int with_x = to_codes == 2, wild = to_codes == 3;
  uint8_t *x8 = malloc ((size_t) m * (n + 5));
  float xa = 0.0123f;
  int k4 = (k + 3) / 4 * 4, lda = k4 + 4, ldc = n + 3;
  uint8_t *a = malloc ((size_t) m * lda);
  int8_t *b = malloc ((size_t) n * k);
  float *mult = malloc (n * sizeof (float)), *add = malloc (n * sizeof (float));
  float *c = malloc ((size_t) (m + 1) * ldc * sizeof (float));
  uint8_t *c8 = malloc ((size_t) (m + 1) * ldc);
  int8_t *buf = vae_aligned_alloc (vae_gemm_packed_i8 (n, k));
  VaeGemmB pb;
  int bad = 0, clipped = 0, zeroed = 0;

  for (size_t i = 0; i < (size_t) m * lda; i++)
    a[i] = (uint8_t) (vae_rng_u64 (r) & 255);
  for (size_t i = 0; i < (size_t) n * k; i++)    /* −64..64, the extremes often */
    b[i] = (int8_t) ((int) (vae_rng_u64 (r) % 129) - 64);
  for (int j = 0; j < n; j++) {
    /* scales that send some codes past 255 and some below 0 */
    mult[j] = urand (r, -2.0f, 2.0f) / (float) (k * 32);
    add[j] = urand (r, -60.0f, 300.0f);
    if (wild && j % 3 == 1)
      mult[j] = urand (r, -1.0f, 1.0f) * 1e5f;
    if (wild && j % 7 == 3)
      add[j] = NAN;
    if (wild && j % 11 == 5)
      add[j] = j % 2 ? INFINITY : -INFINITY;
  }
  for (size_t i = 0; i < (size_t) (m + 1) * ldc; i++) {
    c[i] = urand (r, -1.0f, 1.0f);
    c8[i] = 77;
  }
  for (size_t i = 0; i < (size_t) m * (n + 5); i++)
    x8[i] = (uint8_t) (vae_rng_u64 (r) & 255);
  if (with_x)
    to_codes = 0;
  vae_gemm_pack_i8 (&pb, buf, b, n, k, k);
  {
    float *c_in = malloc ((size_t) (m + 1) * ldc * sizeof (float));
    memcpy (c_in, c, (size_t) (m + 1) * ldc * sizeof (float));
    if (to_codes)
      vae_gemm_run_i8 (m, a, lda, &pb, mult, add, NULL, c8, ldc);
    else if (with_x)
      vae_gemm_run_i8_x (m, a, lda, &pb, mult, add, x8, n + 5, xa, c, ldc);
    else
      vae_gemm_run_i8 (m, a, lda, &pb, mult, NULL, c, NULL, ldc);
    for (int i = 0; i < m; i++)
      for (int j = 0; j < ldc; j++) {
        size_t o = (size_t) i * ldc + j;
        if (j >= n) {         /* past n: untouched */
          bad += to_codes ? c8[o] != 77 : c[o] != c_in[o];
          continue;
        }
        long acc = 0;
        for (int kk = 0; kk < k; kk++)
          acc += (long) a[(size_t) i * lda + kk] * b[(size_t) j * k + kk];
        if (to_codes) {
          float v = fmaf ((float) acc, mult[j], add[j]);
          float rv = nearbyintf (v);
          uint8_t want = (uint8_t) (rv >= 255.0f ? 255 : rv > 0.0f ? rv : 0);
          clipped += rv > 255.0f;
          zeroed += rv < 0.0f;
          if (c8[o] != want && bad++ < 3)
            printf ("  m=%d n=%d k=%d (%d,%d): code %d, want %d (v %g)\n", m,
                n, k, i, j, c8[o], want, v);
        } else {
          float want = fmaf ((float) acc, mult[j], with_x ? fmaf ((float)
                  x8[(size_t) i * (n + 5) + j], xa, add[j]) : c_in[o]);
          if (c[o] != want && bad++ < 3)
            printf ("  m=%d n=%d k=%d (%d,%d): %.9g, want %.9g\n", m, n, k, i,
                j, c[o], want);
        }
      }
    for (int j = 0; j < ldc; j++)   /* the row past m: untouched */
      bad += to_codes ? c8[(size_t) m * ldc + j] != 77
          : c[(size_t) m * ldc + j] != c_in[(size_t) m * ldc + j];
    free (c_in);
  }
  CHECK (bad == 0, "int8 GEMM m=%d n=%d k=%d %s: %d elements differ from "
      "the exact sums", m, n, k, wild ? "codes, wild scales" : to_codes
      ? "codes" : with_x ? "float + x" : "float", bad);
  if (to_codes && m * n >= 64)
    CHECK (clipped > 0 && zeroed > 0, "m=%d n=%d k=%d: the case should clamp "
        "at both ends (%d above 255, %d below 0)", m, n, k, clipped, zeroed);
  free (a);
  free (b);
  free (mult);
  free (add);
  free (c);
  free (c8);
  free (x8);
  vae_aligned_free (buf);
}

static void
test_gemm (void)
{
  static const int shapes[][3] = {
    { 1, 1, 1 }, { 3, 5, 3 }, { 4, 16, 4 }, { 7, 17, 9 }, { 13, 33, 64 },
    { 6, 448, 64 }, { 9, 64, 448 }, { 5, 31, 130 }, { 33, 48, 7 },
    /* AMX's 32-row blocks (k a multiple of 64) and the rows after them
     * (a block on a copy of them, an odd number of rows too) */
    { 32, 1, 64 }, { 70, 448, 64 }, { 45, 64, 448 }, { 64, 33, 128 },
    { 96, 40, 130 }, { 37, 33, 128 }, { 33, 96, 1024 }, { 40, 32, 1088 },
  };
  VaeRng r;
  vae_rng_seed (&r, 7);
  printf ("int8 GEMM on %s\n", vae_gemm_i8_isa () == VAE_GEMM_AMX ? "AMX"
      : vae_gemm_i8_isa () == VAE_GEMM_AVX512 ? "AVX512_VNNI" : vae_gemm_i8_isa () == VAE_GEMM_AVX2 ? "AVX2"
      : "plain C");
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int t = 0; t < 4; t++)
      gemm_case (shapes[s][0], shapes[s][1], shapes[s][2], t, &r);
  {
    /* the extreme products: 255 × ±64 in every position, k = 448, on 32
     * rows (an AMX block where the CPU has AMX) */
    int n = 16, k = 448, m = 32;
    uint8_t *a = malloc ((size_t) m * k);
    int8_t *b = malloc ((size_t) n * k), *buf = vae_aligned_alloc
        (vae_gemm_packed_i8 (n, k));
    float mult[16], c[32 * 16];
    VaeGemmB pb;
    memset (a, 255, (size_t) m * k);
    memset (c, 0, sizeof c);
    for (int j = 0; j < n; j++) {
      mult[j] = 1.0f;
      for (int kk = 0; kk < k; kk++)
        b[(size_t) j * k + kk] = (int8_t) (j & 1 ? -64 : 64);
    }
    vae_gemm_pack_i8 (&pb, buf, b, n, k, k);
    vae_gemm_run_i8 (m, a, k, &pb, mult, NULL, c, NULL, n);
    for (int i = 0; i < m * n; i++)
      CHECK (c[i] == (i & 1 ? -1.0f : 1.0f) * 255 * 64 * k, "extreme sum "
          "(%d,%d): %g, want %d", i / n, i % n, c[i], (i & 1 ? -1 : 1) * 255
          * 64 * k);
    free (a);
    free (b);
    vae_aligned_free (buf);
  }
}

/* vae_gemm_run_i8_level: each row's level term after the float epilogue,
 * into codes (+ ½ truncated, clamped) or ReLU in bf16 (bf16 2: without
 * the level term), against the same operations written out; where the
 * CPU's int8 kernels are not AVX-512 (or AMX) it declines and leaves C
 * alone. */
static void
level_case (int m, int n, int k, int bf16, VaeRng *r)
{
  int k4 = (k + 3) / 4 * 4, lda = k4 + 4, ldc = n + 3, bad = 0, done;
  uint8_t *a = malloc ((size_t) m * lda), *c8 = malloc ((size_t) (m + 1)
      * ldc);
  uint16_t *c16 = malloc ((size_t) (m + 1) * ldc * sizeof (uint16_t));
  int8_t *b = malloc ((size_t) n * k);
  int8_t *buf = vae_aligned_alloc (vae_gemm_packed_i8 (n, k));
  float *mult = malloc (n * sizeof (float)), *add = malloc (n * sizeof (float));
  float *w = malloc (n * sizeof (float)), *f = malloc (m * sizeof (float));
  VaeGemmB pb;

  for (size_t i = 0; i < (size_t) m * lda; i++)
    a[i] = (uint8_t) (vae_rng_u64 (r) & 255);
  for (size_t i = 0; i < (size_t) n * k; i++)
    b[i] = (int8_t) ((int) (vae_rng_u64 (r) % 129) - 64);
  for (int j = 0; j < n; j++) {
    mult[j] = urand (r, -2.0f, 2.0f) / (float) (k * 32);
    add[j] = urand (r, -60.0f, 300.0f);
    w[j] = urand (r, -40.0f, 40.0f);
  }
  for (int i = 0; i < m; i++)
    f[i] = urand (r, 0.0f, 2.0f);
  memset (c8, 77, (size_t) (m + 1) * ldc);
  for (size_t i = 0; i < (size_t) (m + 1) * ldc; i++)
    c16[i] = 0x7777;
  vae_gemm_pack_i8 (&pb, buf, b, n, k, k);
  done = vae_gemm_run_i8_level (m, a, lda, &pb, mult, add, bf16 == 2 ? NULL
      : f, w, bf16 ? NULL : c8, bf16 ? c16 : NULL, ldc);
  if (!done) {
    CHECK (vae_gemm_i8_isa () < VAE_GEMM_AVX512 || (bf16
            && !vae_bf16_supported ()), "the level epilogue declined on "
        "AVX-512 kernels");
    for (size_t i = 0; i < (size_t) (m + 1) * ldc; i++)
      bad += c8[i] != 77 || c16[i] != 0x7777;
  }
  for (int i = 0; i < m && done; i++)
    for (int j = 0; j < n; j++) {
      long acc = 0;
      size_t o = (size_t) i * ldc + j;
      for (int kk = 0; kk < k; kk++)
        acc += (long) a[(size_t) i * lda + kk] * b[(size_t) j * k + kk];
      float v = fmaf ((float) acc, mult[j], add[j]);
      if (bf16 != 2)
        v = fmaf (f[i], w[j], v);
      if (bf16) {
        bad += c16[o] != vae_bf16_from_float (v > 0.0f ? v : 0.0f);
      } else {
        float t = v + 0.5f;
        t = t > 0.0f ? t : 0.0f;
        bad += c8[o] != (uint8_t) (int) (t < 255.0f ? t : 255.0f);
      }
    }
  for (int i = 0; i <= m && done; i++)   /* past n and the row past m */
    for (int j = i < m ? n : 0; j < ldc; j++)
      bad += bf16 ? c16[(size_t) i * ldc + j] != 0x7777
          : c8[(size_t) i * ldc + j] != 77;
  CHECK (bad == 0, "int8 GEMM with levels m=%d n=%d k=%d into %s: %d "
      "elements differ", m, n, k, bf16 == 2 ? "bf16, no level" : bf16
      ? "bf16" : "codes", bad);
  free (a);
  free (b);
  free (c8);
  free (c16);
  free (mult);
  free (add);
  free (w);
  free (f);
  vae_aligned_free (buf);
}

static void
test_gemm_level (void)
{
  static const int shapes[][3] = {
    { 1, 1, 1 }, { 7, 17, 9 }, { 6, 448, 64 }, { 9, 576, 96 },
    { 33, 48, 7 }, { 70, 448, 64 }, { 37, 33, 128 }, { 64, 576, 96 },
  };
  VaeRng r;
  vae_rng_seed (&r, 11);
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int bf16 = 0; bf16 < 3; bf16++)
      level_case (shapes[s][0], shapes[s][1], shapes[s][2], bf16, &r);
}

/* ---------------------------------------------------------------- models */

static VaeModel *
make_dae (int hidden, int deep, uint64_t seed)
{
  VaeConfig c = vae_config_default ();
  VaeModel *m;
  c.kind = VAE_KIND_DAE;
  c.img_w = c.img_h = 8;
  c.n_in = 64;
  c.n_enc = deep;
  for (int i = 0; i < deep; i++)
    c.enc[i] = 40;
  c.n_latent = hidden;
  c.act = VAE_ACT_RELU;
  c.code_act = VAE_ACT_RELU;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_max = 50.0f / 255.0f;
  c.residual = 1;
  c.noise_input = 1;
  c.norm_mean = 0.5f;
  c.norm_scale = 0.2f;
  m = new_model_biased (&c, seed, 0.3f);
  return m;
}

/* Smooth noisy patches (data units, 8-bit values) and their levels. */
static void
calib_data (int n, uint64_t seed, float *x, float *lv)
{
  VaeRng r;
  vae_rng_seed (&r, seed);
  for (int i = 0; i < n; i++) {
    float base = urand (&r, 0.1f, 0.9f), gx = urand (&r, -0.05f, 0.05f),
        gy = urand (&r, -0.05f, 0.05f);
    lv[i] = urand (&r, 0.0f, 50.0f);
    for (int p = 0; p < 64; p++) {
      float v = base + gx * (p % 8) + gy * (p / 8)
          + lv[i] / 255.0f * vae_rng_normal (&r);
      v = nearbyintf (v * 255.0f);
      x[(size_t) i * 64 + p] = (v < 0 ? 0 : v > 255 ? 255 : v) / 255.0f;
    }
  }
}

/* Layer 0's pre-activations (level included) for codes u and levels lv:
 * from the float weights (q NULL), or scale · (q · u) + bias. */
static void
layer0_pre (const VaeModel *m, const int8_t *q, const float *scale,
    const float *bias, const float *x, const float *lv, int n, double *pre)
{
  const VaeConfig *c = vae_model_config (m);
  int ni, no;
  float *w, *b;
  vae_model_layer ((VaeModel *) m, 0, &ni, &no, NULL, &w, &b, NULL, NULL);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < no; j++) {
      double s = 0.0, lvl = lv[i] / 255.0 / c->norm_scale;
      const float *wj = w + (size_t) j * ni;
      if (q == NULL) {
        s = b[j];
        for (int p = 0; p < 64; p++)
          s += wj[p] * ((x[(size_t) i * 64 + p] - c->norm_mean) / c->norm_scale);
      } else {
        long acc = 0;
        for (int p = 0; p < 64; p++)
          acc += (long) nearbyintf (x[(size_t) i * 64 + p] * 255.0f)
              * q[(size_t) j * 64 + p];
        s = (double) scale[j] * acc + bias[j];
      }
      pre[(size_t) i * no + j] = s + wj[64] * lvl;
    }
}

static void
test_gptq (void)
{
  enum { N = 4096, H = 48 };
  VaeModel *m = make_dae (H, 0, 3);
  VaeError err;
  float *x = malloc ((size_t) N * 64 * sizeof (float)), *lv = malloc (N * sizeof (float));
  double *ref = malloc ((size_t) N * H * sizeof (double));
  double *got = malloc ((size_t) N * H * sizeof (double));
  int8_t rtn[H * 64];
  float rscale[H], rbias[H];
  double e_gptq = 0.0, e_rtn = 0.0;
  const VaeQuant *q;
  int wmax = 0;

  calib_data (N, 11, x, lv);
  CHECK (vae_model_quantize (m, x, lv, N, NULL, &err) == VAE_OK, "quantize: %s",
      err.msg);
  CHECK (vae_model_is_quantized (m), "not quantised after vae_model_quantize");
  q = m->quant;
  /* rounding to nearest, same scales, and the exact bias */
  {
    const VaeConfig *c = vae_model_config (m);
    int ni;
    float *w, *b;
    vae_model_layer (m, 0, &ni, NULL, NULL, &w, &b, NULL, NULL);
    for (int j = 0; j < H; j++) {
      double mx = 0.0, bias = b[j];
      for (int p = 0; p < 64; p++) {
        double wv = w[(size_t) j * ni + p] / (255.0 * c->norm_scale);
        mx = fabs (wv) > mx ? fabs (wv) : mx;
        bias -= w[(size_t) j * ni + p] * c->norm_mean / c->norm_scale;
      }
      rscale[j] = (float) (mx / VAE_QUANT_WMAX);
      rbias[j] = (float) bias;
      CHECK (fabsf (q->scale[0][j] - rscale[j]) <= 1e-6f * rscale[j],
          "row %d scale %g, want max|w|/%d = %g", j, q->scale[0][j],
          VAE_QUANT_WMAX, rscale[j]);
      for (int p = 0; p < 64; p++)
        rtn[j * 64 + p] = (int8_t) nearbyint (w[(size_t) j * ni + p]
            / (255.0 * c->norm_scale) / rscale[j]);
    }
  }
  for (int i = 0; i < H * 64; i++)
    wmax = abs (q->w[0][i]) > wmax ? abs (q->w[0][i]) : wmax;
  CHECK (wmax <= VAE_QUANT_WMAX, "a weight code %d beyond %d", wmax,
      VAE_QUANT_WMAX);
  layer0_pre (m, NULL, NULL, NULL, x, lv, N, ref);
  layer0_pre (m, q->w[0], q->scale[0], q->bias[0], x, lv, N, got);
  for (size_t i = 0; i < (size_t) N * H; i++)
    e_gptq += (got[i] - ref[i]) * (got[i] - ref[i]);
  layer0_pre (m, rtn, rscale, rbias, x, lv, N, got);
  for (size_t i = 0; i < (size_t) N * H; i++)
    e_rtn += (got[i] - ref[i]) * (got[i] - ref[i]);
  printf ("layer 0 output MSE on the calibration data: GPTQ %.3g, rounding "
      "%.3g\n", e_gptq / N / H, e_rtn / N / H);
  CHECK (e_gptq < 0.7 * e_rtn, "GPTQ's error %.3g is not well below "
      "rounding's %.3g", e_gptq / N / H, e_rtn / N / H);
  /* activation scales: the maximum over the data maps to code 255 */
  for (int j = 0; j < H; j++) {
    double mx = 0.0;
    layer0_pre (m, q->w[0], q->scale[0], q->bias[0], x, lv, N, got);
    for (int i = 0; i < N; i++)
      mx = got[(size_t) i * H + j] > mx ? got[(size_t) i * H + j] : mx;
    CHECK (mx > 0.0 && fabs (q->act[0][j] * 255.0 - mx) <= 1e-4 * mx,
        "unit %d: act scale %g, max %g", j, q->act[0][j], mx);
    break;                    /* one unit is enough and N·H is big */
  }
  /* training drops the int8 weights, which no longer match */
  CHECK (vae_model_prepare_training (m, &err) == VAE_OK, "prepare");
  CHECK (!vae_model_is_quantized (m), "training kept stale int8 weights");
  vae_model_free (m);
  free (x);
  free (lv);
  free (ref);
  free (got);
}

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

/* A hidden unit never active on the calibration data: its codes are all 0
 * there, so its outgoing weights, however large, must not set the output
 * layer's int8 row scales.  It takes the live units' median scale, and the
 * int8 outputs stay as close to the float ones as without the weights. */
static void
test_dead_unit (void)
{
  enum { N = 4096, H = 32, DEAD = 5 };
  VaeModel *m = make_dae (H, 0, 7);
  VaeError err;
  float *x = malloc ((size_t) N * 64 * sizeof (float)), *lv = malloc (N * sizeof (float));
  float *w0, *b0, *w1, live[H];
  double rms[2];
  int n_live = 0;

  calib_data (N, 13, x, lv);
  vae_model_layer (m, 0, NULL, NULL, NULL, &w0, &b0, NULL, NULL);
  vae_model_layer (m, 1, NULL, NULL, NULL, &w1, NULL, NULL, NULL);
  b0[DEAD] = -1e4f;             /* never above 0 on data in [0, 1] */
  for (int pass = 0; pass < 2; pass++) {
    /* the dead unit's outgoing weights: 0, then 100 times the others' */
    for (int o = 0; o < 64; o++)
      w1[(size_t) o * H + DEAD] = pass ? 30.0f * (o % 2 ? 1 : -1) : 0.0f;
    CHECK (vae_model_quantize (m, x, lv, N, &rms[pass], &err) == VAE_OK,
        "quantize: %s", err.msg);
  }
  for (int j = 0; j < H; j++)
    if (j != DEAD)
      live[n_live++] = m->quant->act[0][j];
  qsort (live, (size_t) n_live, sizeof *live, cmp_float);
  CHECK (m->quant->act[0][DEAD] == live[n_live / 2], "the dead unit's act "
      "scale %g, want the live units' median %g", m->quant->act[0][DEAD],
      live[n_live / 2]);
  printf ("int8 outputs with a dead unit: %.3f levels RMS without its "
      "outgoing weights, %.3f with\n", rms[0], rms[1]);
  CHECK (rms[0] > 0.0 && rms[1] <= 1.01 * rms[0], "a dead unit's outgoing "
      "weights took the int8 error from %.3f to %.3f levels RMS", rms[0],
      rms[1]);
  vae_model_free (m);
  free (x);
  free (lv);
}

/* --------------------------------------------------------- the denoiser */

/* The int8 network on one 8×8 plane (one patch, its own window), evaluated
 * here from the quant.* tensors: codes, exact sums, the float epilogue. */
static void
net_i8 (const VaeModel *m, const uint8_t *px, float sigma, float *out)
{
  const VaeConfig *c = vae_model_config (m);
  const VaeQuant *q = m->quant;
  int nl = vae_model_n_layers (m);
  uint8_t u[2][512];
  int k = 64;
  memcpy (u[0], px, 64);
  for (int l = 0; l < nl; l++) {
    int ni, no;
    float *w;
    vae_model_layer ((VaeModel *) m, l, &ni, &no, NULL, &w, NULL, NULL, NULL);
    for (int j = 0; j < no; j++) {
      long acc = 0;
      for (int i = 0; i < k; i++)
        acc += (long) u[l & 1][i] * q->w[l][(size_t) j * k + i];
      double v = (double) q->scale[l][j] * acc + q->bias[l][j];
      if (l == 0)
        v += w[(size_t) j * ni + 64] * (sigma / 255.0 / c->norm_scale);
      if (l < nl - 1) {
        double cv = nearbyint ((v > 0 ? v : 0) / q->act[l][j]);
        u[(l + 1) & 1][j] = (uint8_t) (cv > 255 ? 255 : cv);
      } else {
        double x = (px[j] / 255.0 - c->norm_mean) / c->norm_scale;
        out[j] = (float) (((x - v) * c->norm_scale + c->norm_mean) * 255.0);
      }
    }
    k = no;
  }
}

/* The float network on the same patch, in double, output as net_i8's. */
static void
net_f (const VaeModel *m, const uint8_t *px, float sigma, float *out)
{
  const VaeConfig *c = vae_model_config (m);
  int nl = vae_model_n_layers (m), k = 65;
  double u[2][520];
  for (int p = 0; p < 64; p++)
    u[0][p] = (px[p] / 255.0 - c->norm_mean) / c->norm_scale;
  u[0][64] = sigma / 255.0 / c->norm_scale;
  for (int l = 0; l < nl; l++) {
    int ni, no;
    float *w, *b;
    vae_model_layer ((VaeModel *) m, l, &ni, &no, NULL, &w, &b, NULL, NULL);
    for (int j = 0; j < no; j++) {
      double v = b[j];
      for (int i = 0; i < k; i++)
        v += w[(size_t) j * ni + i] * u[l & 1][i];
      u[(l + 1) & 1][j] = l < nl - 1 ? (v > 0 ? v : 0) : v;
    }
    k = no;
  }
  for (int p = 0; p < 64; p++) {
    double x = (px[p] / 255.0 - c->norm_mean) / c->norm_scale;
    out[p] = (float) (((x - u[nl & 1][p]) * c->norm_scale + c->norm_mean)
        * 255.0);
  }
}

static double
psnr_u8 (const uint8_t *a, const uint8_t *b, size_t n)
{
  double se = 0.0;
  for (size_t i = 0; i < n; i++)
    se += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
  return se == 0.0 ? 99.0 : 10.0 * log10 (255.0 * 255.0 * n / se);
}

/* memcmp over the first w bytes of h rows of stride ld */
static int
memcmp_rows (const uint8_t *a, const uint8_t *b, int ld, int w, int h)
{
  for (int y = 0; y < h; y++)
    if (memcmp (a + (size_t) y * ld, b + (size_t) y * ld, (size_t) w))
      return 1;
  return 0;
}

static void
test_denoiser (int deep)
{
  enum { N = 4096, W = 96, HH = 64 };
  VaeModel *m = make_dae (64, deep, 5 + deep);
  VaeError err;
  float *x = malloc ((size_t) N * 64 * sizeof (float)), *lv = malloc (N * sizeof (float));
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  VaeDenoiser *d8, *d32;
  uint8_t *src = malloc (W * HH), *o8 = malloc (W * HH), *o32 = malloc (W * HH);
  VaeRng r;
  int worst = 0;

  /* int8 wanted from a model without int8 weights: refused */
  o.precision = VAE_PRECISION_INT8;
  d8 = vae_denoiser_new (m, W, HH, &o, &err);
  CHECK (d8 == NULL && err.status == VAE_ERR_ARG && strstr (err.msg, "int8"),
      "int8 without int8 weights: %s", d8 ? "accepted" : err.msg);
  vae_denoiser_free (d8);
  calib_data (N, 13, x, lv);
  {
    double rms = -1.0, se = 0.0;
    CHECK (vae_model_quantize (m, x, lv, N, &rms, &err) == VAE_OK,
        "quantize: %s", err.msg);
    /* its report: the int8 network against the float one, evaluated here */
    for (int i = 0; i < N; i++) {
      uint8_t px[64];
      float qo[64], fo[64];
      for (int p = 0; p < 64; p++)
        px[p] = (uint8_t) nearbyintf (x[(size_t) i * 64 + p] * 255.0f);
      net_i8 (m, px, lv[i], qo);
      net_f (m, px, lv[i], fo);
      for (int p = 0; p < 64; p++)
        se += ((double) qo[p] - fo[p]) * ((double) qo[p] - fo[p]);
    }
    se = sqrt (se / N / 64);
    printf ("int8 against float outputs on the calibration data: RMS %.3f "
        "levels (reported %.3f)\n", se, rms);
    CHECK (fabs (rms - se) <= 1e-3 * se + 1e-4, "reported RMS %g, measured "
        "here %g", rms, se);
  }

  /* auto: int8 on an AVX512_VNNI CPU, or an AVX2 one without AVX-512,
   * else bf16 where the CPU has it, else fp32; float planes in bf16 where
   * the CPU has it, else fp32: the same bits as a denoiser asked for that */
  {
    VaeDenoiseOpts oa = vae_denoise_opts_default (), of = oa;
    VaeDenoiser *da = vae_denoiser_new (m, 24, 16, &oa, &err), *df;
    VaePrecision want = vae_gemm_i8_isa () >= VAE_GEMM_AVX512
        || vae_gemm_best_isa () == VAE_GEMM_AVX2 ? VAE_PRECISION_INT8
        : vae_bf16_supported () ? VAE_PRECISION_BF16 : VAE_PRECISION_FP32;
    float src[24 * 16], out_a[24 * 16], out_f[24 * 16];
    CHECK (da && vae_denoiser_precision (da) == want, "auto chose %d, want "
        "%d", da ? (int) vae_denoiser_precision (da) : -1, (int) want);
    of.precision = vae_bf16_supported () ? VAE_PRECISION_BF16
        : VAE_PRECISION_FP32;
    df = vae_denoiser_new (m, 24, 16, &of, &err);
    vae_rng_seed (&r, 23);
    for (int i = 0; i < 24 * 16; i++)
      src[i] = urand (&r, -0.1f, 1.1f);
    CHECK (da && df && vae_denoiser_run_f32 (da, src, 24, out_a, 24, 24, 16,
            0, 16, 25.0f) == VAE_OK && vae_denoiser_run_f32 (df, src, 24,
            out_f, 24, 24, 16, 0, 16, 25.0f) == VAE_OK
        && memcmp (out_a, out_f, sizeof out_a) == 0, "auto's float plane "
        "differs from precision %d's", (int) of.precision);
    vae_denoiser_free (da);
    vae_denoiser_free (df);
  }
  /* one patch: the plane is the patch and its output the network's */
  d8 = vae_denoiser_new (m, 8, 8, &o, &err);
  CHECK (d8 != NULL && vae_denoiser_precision (d8) == VAE_PRECISION_INT8,
      "int8 denoiser: %s", d8 ? "not int8" : err.msg);
  vae_rng_seed (&r, 17);
  for (int t = 0; d8 && t < 20; t++) {
    uint8_t px[64], got[64];
    float want[64], sigma = urand (&r, 0.0f, 50.0f);
    for (int p = 0; p < 64; p++)
      px[p] = (uint8_t) (x[(size_t) t * 64 + p] * 255.0f + 0.5f);
    net_i8 (m, px, sigma, want);
    vae_denoiser_run_u8 (d8, px, 8, got, 8, 8, 8, 0, 8, sigma);
    for (int p = 0; p < 64; p++) {
      float wv = want[p] < 0 ? 0 : want[p] > 255 ? 255 : want[p];
      int dv = abs ((int) got[p] - (int) nearbyintf (wv));
      worst = dv > worst ? dv : worst;
    }
  }
  CHECK (worst <= 1, "int8 denoiser against the network evaluated from its "
      "tensors: off by %d levels", worst);
  vae_denoiser_free (d8);

  /* a plane: close to fp32 (the network is random, so the bound is loose),
   * and float planes computed in fp32 exactly */
  for (int y = 0; y < HH; y++)
    for (int xx = 0; xx < W; xx++) {
      float v = 128 + 50 * sinf (xx * 0.2f) * cosf (y * 0.15f)
          + 15 * vae_rng_normal (&r);
      src[y * W + xx] = (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
    }
  d8 = vae_denoiser_new (m, W, HH, &o, &err);
  o.precision = VAE_PRECISION_FP32;
  d32 = vae_denoiser_new (m, W, HH, &o, &err);
  vae_denoiser_run_u8 (d8, src, W, o8, W, W, HH, 0, HH, 15.0f);
  vae_denoiser_run_u8 (d32, src, W, o32, W, W, HH, 0, HH, 15.0f);
  printf ("int8 against fp32 (random %s model): %.1f dB\n", deep ? "deep"
      : "shallow", psnr_u8 (o8, o32, W * HH));
  CHECK (psnr_u8 (o8, o32, W * HH) > 35.0, "int8 output %.1f dB from fp32",
      psnr_u8 (o8, o32, W * HH));
  {
    float *fs = malloc (W * HH * sizeof (float)), *f8 = malloc (W * HH
        * sizeof (float)), *f32 = malloc (W * HH * sizeof (float));
    for (int i = 0; i < W * HH; i++)
      fs[i] = src[i] / 255.0f + 0.05f;   /* past 1: fp32 keeps it */
    vae_denoiser_run_f32 (d8, fs, W, f8, W, W, HH, 0, HH, 15.0f);
    vae_denoiser_run_f32 (d32, fs, W, f32, W, W, HH, 0, HH, 15.0f);
    CHECK (memcmp (f8, f32, W * HH * sizeof (float)) == 0, "a float plane "
        "on the int8 denoiser is not the fp32 result");
    free (fs);
    free (f8);
    free (f32);
  }
  /* GEMM batches that split patch rows (the gather then starts mid-row)
   * give the same bytes, with and without a flush patch at the right */
  for (int wv = W; wv >= W - 3; wv -= 3) {
    static const int batches[] = { 5, 64, 200 };
    for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
      VaeDenoiseOpts ob = vae_denoise_opts_default ();
      VaeDenoiser *db;
      uint8_t *ref = malloc (W * HH), *ob8 = malloc (W * HH);
      ob.precision = VAE_PRECISION_INT8;
      ob.batch = batches[bi];
      db = vae_denoiser_new (m, W, HH, &ob, &err);
      CHECK (db != NULL, "int8 denoiser, batch %d: %s", ob.batch, err.msg);
      vae_denoiser_run_u8 (d8, src, W, ref, W, wv, HH, 0, HH, 15.0f);
      CHECK (db && vae_denoiser_run_u8 (db, src, W, ob8, W, wv, HH, 0, HH,
              15.0f) == VAE_OK && memcmp_rows (ref, ob8, W, wv, HH) == 0,
          "%dx%d int8 plane in batches of %d differs from one batch", wv,
          HH, ob.batch);
      vae_denoiser_free (db);
      free (ref);
      free (ob8);
    }
  }
  vae_denoiser_free (d8);
  vae_denoiser_free (d32);
  vae_model_free (m);
  free (x);
  free (lv);
  free (src);
  free (o8);
  free (o32);
}

/* ------------------------------------------------------ the mixed path */

/* whether the n bytes of s occur in data */
static int
has_bytes (const void *data, size_t size, const char *s)
{
  size_t n = strlen (s);
  for (size_t i = 0; i + n <= size; i++)
    if (memcmp ((const char *) data + i, s, n) == 0)
      return 1;
  return 0;
}

static float
bf16r (double v)
{
  return vae_bf16_to_float (vae_bf16_from_float ((float) v));
}

/* The mixed network on one 8×8 plane, evaluated here: layer 0 from its
 * quant.0 tensors (exact sums, the float epilogue and level, ReLU), the
 * later layers as the bf16 path computes them (inputs and weights rounded
 * to bf16, sums in double); in bf16 = 0 they are in double throughout (the
 * quantiser's RMS, and the fp32 path up to float rounding). */
static void
net_mixed (const VaeModel *m, const uint8_t *px, float sigma, int bf16,
    float *out)
{
  const VaeConfig *c = vae_model_config (m);
  const VaeQuant *q = m->quant;
  int nl = vae_model_n_layers (m), k = 64;
  double u[2][520];
  for (int l = 0; l < nl; l++) {
    int ni, no;
    float *w, *b;
    vae_model_layer ((VaeModel *) m, l, &ni, &no, NULL, &w, &b, NULL, NULL);
    for (int j = 0; j < no; j++) {
      double v;
      if (l == 0) {
        long acc = 0;
        for (int i = 0; i < 64; i++)
          acc += (long) px[i] * q->w[0][(size_t) j * 64 + i];
        v = (double) q->scale[0][j] * acc + q->bias[0][j]
            + w[(size_t) j * ni + 64] * (sigma / 255.0 / c->norm_scale);
      } else {
        v = b[j];
        for (int i = 0; i < k; i++)
          v += (bf16 ? bf16r (w[(size_t) j * ni + i]) : w[(size_t) j * ni
                  + i]) * u[l & 1][i];
      }
      v = l < nl - 1 ? (v > 0 ? v : 0) : v;
      u[(l + 1) & 1][j] = bf16 && l < nl - 1 ? bf16r (v) : v;
    }
    k = no;
  }
  for (int p = 0; p < 64; p++) {
    double x = (px[p] / 255.0 - c->norm_mean) / c->norm_scale;
    out[p] = (float) (((x - u[nl & 1][p]) * c->norm_scale + c->norm_mean)
        * 255.0);
  }
}

/* Int8 weights for layer 0 only: the quantiser's report, the file, the
 * precision auto takes, the denoiser against the network evaluated here,
 * level maps, batches. */
static void
test_mixed (void)
{
  enum { N = 4096, W = 96, HH = 64 };
  VaeModel *m = make_dae (64, 1, 31), *m2;
  VaeError err;
  float *x = malloc ((size_t) N * 64 * sizeof (float));
  float *lv = malloc (N * sizeof (float));
  static uint8_t src[W * HH], a[W * HH], b[W * HH];
  static float ones[(W / 8) * (HH / 8)];
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  VaeDenoiser *d;
  double rms = -1.0, se = 0.0;
  void *data;
  size_t size;
  VaeRng r;
  int worst = 0, bf16;

  calib_data (N, 37, x, lv);
  CHECK (vae_model_quantize_layers (m, x, lv, N, 4, NULL, &err)
      == VAE_ERR_ARG, "4 int8 layers of 3 accepted");
  CHECK (vae_model_quantize_layers (m, x, lv, N, 1, &rms, &err) == VAE_OK,
      "quantize layer 0: %s", err.msg);
  CHECK (m->quant && m->quant->n_layers == 1, "int8 layers: %d",
      m->quant ? m->quant->n_layers : -1);
  for (int i = 0; i < N; i++) {
    uint8_t px[64];
    float qo[64], fo[64];
    for (int p = 0; p < 64; p++)
      px[p] = (uint8_t) nearbyintf (x[(size_t) i * 64 + p] * 255.0f);
    net_mixed (m, px, lv[i], 0, qo);
    net_f (m, px, lv[i], fo);
    for (int p = 0; p < 64; p++)
      se += ((double) qo[p] - fo[p]) * ((double) qo[p] - fo[p]);
  }
  se = sqrt (se / N / 64);
  printf ("int8 layer 0 against float outputs: RMS %.3f levels (reported "
      "%.3f)\n", se, rms);
  CHECK (se > 0.0 && fabs (rms - se) <= 1e-3 * se + 1e-4, "reported RMS %g, "
      "measured here %g", rms, se);

  /* the file keeps quant.0.* only (no act_scale: no int8 layer follows) */
  CHECK (vae_model_save_to_memory (m, &data, &size, &err) == VAE_OK, "save");
  CHECK (!has_bytes (data, size, "quant.1.")
      && !has_bytes (data, size, "quant.0.act_scale")
      && has_bytes (data, size, "quant.0.weight"), "the file's "
      "int8 tensors are not layer 0's weight, scale and bias");
  m2 = vae_model_load_from_memory (data, size, &err);
  {
    int h0;
    vae_model_layer (m, 0, NULL, &h0, NULL, NULL, NULL, NULL, NULL);
    CHECK (m2 && m2->quant && m2->quant->n_layers == 1
        && memcmp (m2->quant->w[0], m->quant->w[0], (size_t) h0 * 64) == 0
        && memcmp (m2->quant->scale[0], m->quant->scale[0], h0
            * sizeof (float)) == 0 && memcmp (m2->quant->bias[0],
            m->quant->bias[0], h0 * sizeof (float)) == 0, "reload: %s", m2
        ? "layer 0's int8 tensors changed" : err.msg);
  }
  vae_model_free (m2);
  free (data);
  /* int8 layers must come first: all of layer 1's but its weights */
  {
    VaeModel *t = make_dae (64, 1, 31);
    int8_t *keep;
    vae_model_quantize (t, x, lv, 512, NULL, &err);
    keep = t->quant->w[1];
    t->quant->w[1] = NULL;
    vae_model_save_to_memory (t, &data, &size, &err);
    t->quant->w[1] = keep;
    m2 = vae_model_load_from_memory (data, size, &err);
    CHECK (m2 == NULL && strstr (err.msg, "come first"), "a gap in the int8 "
        "layers: %s", m2 ? "loaded" : err.msg);
    vae_model_free (m2);
    vae_model_free (t);
    free (data);
  }

  /* the later layers in bf16 where the CPU has it, else fp32 */
  bf16 = vae_bf16_supported ();
  printf ("the mixed path's later layers in %s\n", bf16 ? "bf16" : "fp32");
  o.precision = VAE_PRECISION_AUTO;
  d = vae_denoiser_new (m, 8, 8, &o, &err);
  {
    VaePrecision want = vae_gemm_i8_isa () >= VAE_GEMM_AVX512
        || vae_gemm_best_isa () == VAE_GEMM_AVX2 ? VAE_PRECISION_INT8 : bf16
        ? VAE_PRECISION_BF16 : VAE_PRECISION_FP32;
    CHECK (d && vae_denoiser_precision (d) == want, "auto on int8 layer 0 "
        "chose %d, want %d", d ? (int) vae_denoiser_precision (d) : -1,
        (int) want);
  }
  vae_denoiser_free (d);
  /* one patch against the network evaluated here */
  o.precision = VAE_PRECISION_INT8;
  d = vae_denoiser_new (m, 8, 8, &o, &err);
  CHECK (d != NULL, "mixed denoiser: %s", d ? "" : err.msg);
  vae_rng_seed (&r, 41);
  for (int t = 0; d && t < 40; t++) {
    uint8_t px[64], got[64];
    float want[64], sigma = urand (&r, 0.0f, 50.0f);
    for (int p = 0; p < 64; p++)
      px[p] = (uint8_t) (x[(size_t) t * 64 + p] * 255.0f + 0.5f);
    net_mixed (m, px, sigma, bf16, want);
    vae_denoiser_run_u8 (d, px, 8, got, 8, 8, 8, 0, 8, sigma);
    for (int p = 0; p < 64; p++) {
      float wv = want[p] < 0 ? 0 : want[p] > 255 ? 255 : want[p];
      int dv = abs ((int) got[p] - (int) nearbyintf (wv));
      worst = dv > worst ? dv : worst;
    }
  }
  CHECK (worst <= 1, "mixed denoiser against the network evaluated here: "
      "off by %d levels", worst);
  vae_denoiser_free (d);

  /* a plane: batches that split patch rows give the same bytes; a level
   * map of ones is the plane's level (within a level: the level moves
   * from the bias to each patch) */
  for (int y = 0; y < HH; y++)
    for (int xx = 0; xx < W; xx++) {
      float v = 128 + 50 * sinf (xx * 0.2f) * cosf (y * 0.15f)
          + 15 * vae_rng_normal (&r);
      src[y * W + xx] = (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
    }
  d = vae_denoiser_new (m, W, HH, &o, &err);
  vae_denoiser_run_u8 (d, src, W, a, W, W, HH, 0, HH, 20.0f);
  {
    VaeDenoiseOpts ob = o;
    VaeDenoiser *db;
    ob.batch = 7;
    db = vae_denoiser_new (m, W, HH, &ob, &err);
    CHECK (db && vae_denoiser_run_u8 (db, src, W, b, W, W - 3, HH, 0, HH,
            20.0f) == VAE_OK, "batch 7: %s", db ? "run failed" : err.msg);
    vae_denoiser_run_u8 (d, src, W, a, W, W - 3, HH, 0, HH, 20.0f);
    CHECK (memcmp_rows (a, b, W, W - 3, HH) == 0, "the mixed path in "
        "batches of 7 differs");
    vae_denoiser_free (db);
  }
  vae_denoiser_run_u8 (d, src, W, a, W, W, HH, 0, HH, 20.0f);
  for (size_t i = 0; i < sizeof ones / sizeof ones[0]; i++)
    ones[i] = 1.0f;
  CHECK (vae_denoiser_set_level_map (d, ones, W / 8, HH / 8, 8, 8) == VAE_OK,
      "set a map");
  vae_denoiser_run_u8 (d, src, W, b, W, W, HH, 0, HH, 20.0f);
  {
    int k = 0;
    for (int i = 0; i < W * HH; i++)
      k = abs (a[i] - b[i]) > k ? abs (a[i] - b[i]) : k;
    CHECK (k <= 1, "mixed: a map of ones differs by %d levels", k);
  }
  vae_denoiser_free (d);
  vae_model_free (m);
  free (x);
  free (lv);
}

/* ------------------------------------------------------------- the file */

static void
test_file (void)
{
  enum { N = 2048 };
  VaeModel *m = make_dae (32, 1, 9), *m2;
  VaeError err;
  float *x = malloc ((size_t) N * 64 * sizeof (float)), *lv = malloc (N * sizeof (float));
  void *data;
  size_t size;
  VaeQuant *q;

  calib_data (N, 21, x, lv);
  CHECK (vae_model_quantize (m, x, lv, N, NULL, &err) == VAE_OK, "quantize: %s",
      err.msg);
  q = m->quant;
  CHECK (vae_model_save_to_memory (m, &data, &size, &err) == VAE_OK, "save");
  m2 = vae_model_load_from_memory (data, size, &err);
  CHECK (m2 && vae_model_is_quantized (m2), "reload: %s", m2 ? "no int8"
      : err.msg);
  for (int l = 0; m2 && m2->quant && l < vae_model_n_layers (m); l++) {
    int no;
    vae_model_layer (m, l, NULL, &no, NULL, NULL, NULL, NULL, NULL);
    CHECK (m2->quant->k[l] == q->k[l]
        && memcmp (m2->quant->w[l], q->w[l], (size_t) no * q->k[l]) == 0
        && memcmp (m2->quant->scale[l], q->scale[l], no * sizeof (float)) == 0
        && memcmp (m2->quant->bias[l], q->bias[l], no * sizeof (float)) == 0
        && (l == vae_model_n_layers (m) - 1 || memcmp (m2->quant->act[l],
                q->act[l], no * sizeof (float)) == 0),
        "layer %d's int8 tensors changed in the file", l);
  }
  vae_model_free (m2);
  free (data);

  /* broken ones: a code beyond ±64 (the kernel's int16 pairs would
   * saturate), a scale ≤ 0, a missing tensor, a stray name */
  {
    int8_t keep = q->w[0][5];
    q->w[0][5] = 100;
    vae_model_save_to_memory (m, &data, &size, &err);
    m2 = vae_model_load_from_memory (data, size, &err);
    CHECK (m2 == NULL && strstr (err.msg, "outside -64..64"), "code 100: %s",
        m2 ? "loaded" : err.msg);
    vae_model_free (m2);
    free (data);
    q->w[0][5] = keep;
  }
  {
    float keep = q->scale[1][2];
    q->scale[1][2] = 0.0f;
    vae_model_save_to_memory (m, &data, &size, &err);
    m2 = vae_model_load_from_memory (data, size, &err);
    CHECK (m2 == NULL && strstr (err.msg, "positive"), "scale 0: %s",
        m2 ? "loaded" : err.msg);
    vae_model_free (m2);
    free (data);
    q->scale[1][2] = keep;
  }
  {
    float *keep = q->act[1];
    q->act[1] = NULL;         /* not written */
    vae_model_save_to_memory (m, &data, &size, &err);
    q->act[1] = keep;
    m2 = vae_model_load_from_memory (data, size, &err);
    CHECK (m2 == NULL && err.status == VAE_ERR_MISSING
        && strstr (err.msg, "quant.1.act_scale"), "missing act_scale: %s",
        m2 ? "loaded" : err.msg);
    vae_model_free (m2);
    free (data);
  }
  {
    char *hit;
    vae_model_save_to_memory (m, &data, &size, &err);
    hit = NULL;
    for (size_t i = 8; hit == NULL && i + 12 <= size; i++)
      if (memcmp ((char *) data + i, "quant.0.bias", 12) == 0)
        hit = (char *) data + i;
    CHECK (hit != NULL, "no quant.0.bias in the header");
    if (hit) {
      memcpy (hit, "quant.0.bian", 12);
      m2 = vae_model_load_from_memory (data, size, &err);
      CHECK (m2 == NULL && strstr (err.msg, "unexpected tensor"), "stray "
          "name: %s", m2 ? "loaded" : err.msg);
      vae_model_free (m2);
    }
    free (data);
  }
  /* every truncation of a quantised file fails cleanly */
  {
    int loaded = 0;
    vae_model_save_to_memory (m, &data, &size, &err);
    for (size_t cut = 0; cut < size; cut += size / 97 + 1) {
      m2 = vae_model_load_from_memory (data, cut, &err);
      loaded += m2 != NULL;
      vae_model_free (m2);
    }
    CHECK (loaded == 0, "%d truncated files loaded", loaded);
    free (data);
  }
  /* what the int8 path cannot run is refused */
  {
    VaeConfig c = *vae_model_config (m);
    VaeModel *t;
    c.act = VAE_ACT_TANH;
    c.code_act = VAE_ACT_TANH;
    t = vae_model_new (&c, 1, &err);
    CHECK (t && vae_model_quantize (t, x, lv, N, NULL, &err) == VAE_ERR_KIND
        && strstr (err.msg, "ReLU"), "tanh model: %s", err.msg);
    vae_model_free (t);
  }
  vae_model_free (m);
  free (x);
  free (lv);
}

int
main (void)
{
  openblas_set_num_threads (1);
  test_gemm ();
  test_gemm_level ();
  test_gptq ();
  test_dead_unit ();
  test_denoiser (0);
  test_denoiser (1);
  test_mixed ();
  test_file ();
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  printf ("all int8 checks passed\n");
  return 0;
}
