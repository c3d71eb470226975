/* denoise_bench: where a vaedenoise frame's time goes.
 *
 * Times one plane per frame on T threads with OpenBLAS single-threaded, as
 * the element does: the plane's GEMM tiles shared out (vae_denoiser_tile_u8),
 * a barrier, then each thread's band of rows blended
 * (vae_denoiser_blend_u8).  It then replays
 * the same GEMM sequence alone (same shapes, same batch sizes, same bands)
 * on the kernel the denoiser uses (core/cpu.c picks it: AVX-512, AVX2 or OpenBLAS),
 * and again with the bias and ReLU fused as the denoiser runs them.
 * frame − dense = patch gather, overlap-add and output; dense − gemm = bias
 * and activation; and it times the second phase alone (oadd:
 * vae_denoiser_blend_u8 on the last frame's store, the rows two tiles share;
 * a tile overlap-adds and writes its other rows itself).  With -p it first measures OpenBLAS's sgemm peak (square
 * 2048) with 1 and 2 OpenBLAS threads, and the CPU's FMA ceiling for the
 * kernel's instruction set with 1 and 2 threads (independent FMAs on
 * registers, no memory).
 *
 *   denoise_bench [-W 1280] [-H 720] [-f noisy.gray] [-s 25] [-n frames]
 *                 [-t 1,2] [-b batch] [-S stride] [-p] [-o out.gray] MODEL
 *
 * Prints one "key=value ..." line per measurement.  When run under the
 * malloc-counting shim (bench/malloc_count.c, LD_PRELOAD) it also prints the
 * allocations made while the timed frames ran. */
#include "vae.h"
#include "vae_private.h"
#include "denoise_impl.h"
#include "bench_util.h"

#include <cblas.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void openblas_set_num_threads (int);
extern char *openblas_get_corename (void);

#define MAX_T 8


/* ------------------------------------------------------------ the plane */

static int W = 1280, H = 720, T_list[MAX_T], n_T, frames = 20, batch = 1024,
    stride = 0, peak = 0;
static float sigma = 25.0f;
static uint8_t *src, *dst;
static VaeModel *model;
static int n_layers, l_in[16], l_out[16];
static VaeAct l_act[16];
static float *l_w[16], *l_b[16];
static int l_k[16], l_lda[16];    /* the denoiser's inner dimension, A's stride */
static VaeGemmB l_pb[16];
static float *l_pack;
/* bf16: the weights as the denoiser packs them, and each layer's A and
 * C strides (bf16 rows even, the output layer's float rows as they are) */
static int use_bf16, l_lda16[16], l_ldc16[16];
static uint16_t *l_pack16;
/* int8: the model's int8 weights packed, A's and C's strides in bytes
 * (the output layer's C in floats), per-column scales */
static int use_i8, l_lda8[16], l_ldc8[16];
static int8_t *l_pack8;
static float *l_mul8[16];
static VaePrecision precision = VAE_PRECISION_AUTO;

/* ------------------------------------------------------------ the bands */

typedef enum { JOB_FRAME, JOB_GEMM, JOB_DENSE, JOB_BLEND, JOB_QUIT } Job;

typedef struct {
  int index, T;
  VaeDenoiser *d;
  int row0, row1;
  int *bsz, n_b;              /* batch sizes of this band's GEMM sequence */
  float *buf[17];             /* (batch, widest) inputs/outputs per layer */
  int status;
  pthread_t th;
} Band;

static Band bands[MAX_T];
static pthread_barrier_t go, done, mid;
static Job job;
static float *store;            /* the plane's denoised patches */
static int n_tiles;
static int next_tile;           /* tiles are claimed in turn, as the element does */

/* The band's GEMMs in int8 as vae_denoise_i8_forward runs them, their
 * epilogue (scale, offset, codes; a residual output layer's x − ŷ from the
 * patch codes) fused: the GEMM job and the dense job are the same. */
static void
gemm_i8_sequence (Band *b)
{
  const VaeConfig *c = vae_model_config (model);
  for (int k = 0; k < b->n_b; k++)
    for (int l = 0; l < n_layers; l++) {
      const uint8_t *a = (const uint8_t *) b->buf[l];
      if (l < n_layers - 1)
        vae_gemm_run_i8 (b->bsz[k], a, l_lda8[l], &l_pb[l], l_mul8[l],
            l_b[l], NULL, (uint8_t *) b->buf[l + 1], l_ldc8[l]);
      else if (c->residual)
        vae_gemm_run_i8_x (b->bsz[k], a, l_lda8[l], &l_pb[l], l_mul8[l],
            l_b[l], (const uint8_t *) b->buf[0], l_lda8[0], 1.0f / 255.0f,
            b->buf[l + 1], l_ldc8[l]);
      else
        vae_gemm_run_i8 (b->bsz[k], a, l_lda8[l], &l_pb[l], l_mul8[l],
            l_b[l], b->buf[l + 1], NULL, l_ldc8[l]);
    }
}

static void
band_work (Band *b)
{
  switch (job) {
    case JOB_FRAME:
      b->status = VAE_OK;
      while (b->status == VAE_OK) {
        int t = __atomic_fetch_add (&next_tile, 1, __ATOMIC_RELAXED);
        if (t >= n_tiles)
          break;
        b->status = vae_denoiser_tile_u8 (b->d, src, W, dst, W, W, H, t,
            sigma, store);
      }
      pthread_barrier_wait (&mid);
      if (b->status == VAE_OK && b->row0 < b->row1)
        b->status = vae_denoiser_blend_u8 (b->d, store, dst, W, W, H, b->row0,
            b->row1);
      break;
    case JOB_BLEND:
      /* phase 2 alone, from the last frame's store */
      if (b->row0 < b->row1)
        b->status = vae_denoiser_blend_u8 (b->d, store, dst, W, W, H, b->row0,
            b->row1);
      break;
    case JOB_GEMM:
      if (use_i8) {
        gemm_i8_sequence (b);
        break;
      }
      if (use_bf16) {
        /* hidden outputs rounded to bf16, as the kernel stores them */
        for (int k = 0; k < b->n_b; k++)
          for (int l = 0; l < n_layers; l++) {
            int last = l == n_layers - 1;
            vae_gemm_run_bf16 (b->bsz[k], (const uint16_t *) b->buf[l],
                l_lda16[l], &l_pb[l], 1.0f, last ? b->buf[l + 1] : NULL,
                last ? NULL : (uint16_t *) b->buf[l + 1], l_ldc16[l], 0,
                NULL);
          }
        break;
      }
      for (int k = 0; k < b->n_b; k++)
        for (int l = 0; l < n_layers; l++)
          vae_gemm_run (b->bsz[k], b->buf[l], l_lda[l], &l_pb[l], 1.0f,
              b->buf[l + 1], l_out[l], 0, NULL);
      break;
    case JOB_DENSE:
      /* hidden layers with the bias and ReLU fused, as
       * vae_denoise_f32_forward runs them; the output layer accumulates
       * onto its initial values */
      if (use_i8) {
        gemm_i8_sequence (b);
        break;
      }
      if (use_bf16) {
        for (int k = 0; k < b->n_b; k++)
          for (int l = 0; l < n_layers; l++) {
            int last = l == n_layers - 1;
            vae_gemm_run_bf16 (b->bsz[k], (const uint16_t *) b->buf[l],
                l_lda16[l], &l_pb[l], 1.0f, last ? b->buf[l + 1] : NULL,
                last ? NULL : (uint16_t *) b->buf[l + 1], l_ldc16[l],
                !last && l_act[l] == VAE_ACT_RELU, last ? NULL : l_b[l]);
          }
        break;
      }
      for (int k = 0; k < b->n_b; k++)
        for (int l = 0; l < n_layers; l++) {
          int last = l == n_layers - 1;
          vae_gemm_run (b->bsz[k], b->buf[l], l_lda[l], &l_pb[l], 1.0f,
              b->buf[l + 1], l_out[l], !last && l_act[l] == VAE_ACT_RELU,
              last ? NULL : l_b[l]);
          if (!last && l_act[l] != VAE_ACT_RELU)
            vae_act_forward (b->buf[l + 1], (size_t) b->bsz[k] * l_out[l],
                l_act[l]);
        }
      break;
    default:
      break;
  }
}

static void *
worker (void *p)
{
  Band *b = p;
  for (;;) {
    pthread_barrier_wait (&go);
    if (job == JOB_QUIT)
      return NULL;
    band_work (b);
    pthread_barrier_wait (&done);
  }
}

static double
run_job (Job j)
{
  double t0 = now ();
  job = j;
  next_tile = 0;
  pthread_barrier_wait (&go);
  band_work (&bands[0]);
  pthread_barrier_wait (&done);
  return now () - t0;
}

typedef struct {
  double min, med;
} Stat;

/* The n_jobs jobs n times each, interleaved (job outer within a round), so
 * that a noisy moment on a shared machine hits them alike and their ratios
 * hold; after one warm-up round. */
static void
time_jobs (const Job *jobs, int n_jobs, int n, Stat *out)
{
  static double t[4][1024];
  if (n > 1024)
    n = 1024;
  for (int q = 0; q < n_jobs; q++)
    run_job (jobs[q]);
  for (int i = 0; i < n; i++)
    for (int q = 0; q < n_jobs; q++)
      t[q][i] = run_job (jobs[q]);
  for (int q = 0; q < n_jobs; q++) {
    out[q].min = t[q][0];
    for (int i = 1; i < n; i++)
      out[q].min = t[q][i] < out[q].min ? t[q][i] : out[q].min;
    out[q].med = median (t[q], n);
  }
}

/* ------------------------------------------------------------ sgemm peak */

static void
sgemm_peak (void)
{
  int n = 2048;
  float *a = malloc (sizeof (float) * n * n), *b = malloc (sizeof (float) * n * n),
      *c = calloc ((size_t) n * n, sizeof (float));
  for (long i = 0; i < (long) n * n; i++) {
    a[i] = (float) ((i * 7) % 13) * 0.01f;
    b[i] = (float) ((i * 5) % 11) * 0.01f;
  }
  for (int t = 1; t <= 2; t++) {
    openblas_set_num_threads (t);
    double best = 1e9;
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n,
        b, n, 0.0f, c, n);
    for (int r = 0; r < 5; r++) {
      double t0 = now ();
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a,
          n, b, n, 0.0f, c, n);
      double dt = now () - t0;
      best = dt < best ? dt : best;
    }
    printf ("peak threads=%d shape=2048x2048x2048 gflops=%.1f\n", t,
        2.0 * n * n * n / best / 1e9);
  }
  /* back to one thread, and OpenBLAS's worker ended: it would spin on a
   * core for about 0.1 s, into the timings that follow */
  vae_blas_threads (1);
  free (a);
  free (b);
  free (c);
}

/* The FMA ceiling of the kernel's instruction set: 24 (AVX-512) or 12
 * (AVX2) independent FMA chains on registers, on T threads at once. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
__attribute__ ((target ("avx512f"))) static float
fma_loop_512 (long n)
{
  __m512 a[24], b = _mm512_set1_ps (0.999f), c = _mm512_set1_ps (1e-4f);
  float s = 0;
  for (int i = 0; i < 24; i++)
    a[i] = _mm512_set1_ps (i * 1e-3f);
  for (long i = 0; i < n; i++) {
#pragma GCC unroll 24
    for (int j = 0; j < 24; j++)
      a[j] = _mm512_fmadd_ps (a[j], b, c);
  }
  for (int i = 0; i < 24; i++)
    s += _mm512_reduce_add_ps (a[i]);
  return s;
}

/* 24 independent vdpbf16ps chains: 64 flops each (16 lanes × 2 pairs) */
__attribute__ ((target ("avx512f,avx512bf16"))) static float
bf16_loop_512 (long n)
{
  __m512 a[24];
  __m512bh b = (__m512bh) _mm512_set1_epi32 (0x3f7f3f7f);
  __m512bh c = (__m512bh) _mm512_set1_epi32 (0x38d138d1);
  float s = 0;
  for (int i = 0; i < 24; i++)
    a[i] = _mm512_set1_ps (i * 1e-3f);
  for (long i = 0; i < n; i++) {
#pragma GCC unroll 24
    for (int j = 0; j < 24; j++)
      a[j] = _mm512_dpbf16_ps (a[j], b, c);
  }
  for (int i = 0; i < 24; i++)
    s += _mm512_reduce_add_ps (a[i]);
  return s;
}

/* 24 independent chains of vpdpbusd on zmm (the AVX512_VNNI int8 kernel):
 * 128 operations each (16 lanes × 4 products, a multiply-add as two).  In
 * asm: GCC 12 keeps an array of these accumulators on the stack. */
#define DPB(i) "vpdpbusd %[b], %[c], %[a" #i "]\n\t"
__attribute__ ((target ("avx512f,avx512vnni"))) static float
vnni_loop_512 (long n)
{
  __m512i b = _mm512_set1_epi8 (3), c = _mm512_set1_epi8 (5);
  __m512i a0 = _mm512_set1_epi32 (0), a1 = a0, a2 = a0, a3 = a0, a4 = a0,
      a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  int s = 0, t[16];
  for (long i = 0; i < n; i++)
    __asm__ (DPB (0) DPB (1) DPB (2) DPB (3) DPB (4) DPB (5) DPB (6) DPB (7)
        DPB (8) DPB (9) DPB (10) DPB (11) DPB (0) DPB (1) DPB (2) DPB (3)
        DPB (4) DPB (5) DPB (6) DPB (7) DPB (8) DPB (9) DPB (10) DPB (11)
        : [a0] "+v" (a0), [a1] "+v" (a1), [a2] "+v" (a2), [a3] "+v" (a3),
        [a4] "+v" (a4), [a5] "+v" (a5), [a6] "+v" (a6), [a7] "+v" (a7),
        [a8] "+v" (a8), [a9] "+v" (a9), [a10] "+v" (a10), [a11] "+v" (a11)
        : [b] "v" (b), [c] "v" (c));
  __m512i sum = _mm512_add_epi32 (_mm512_add_epi32 (_mm512_add_epi32 (a0,
              a1), _mm512_add_epi32 (a2, a3)), _mm512_add_epi32
      (_mm512_add_epi32 (a4, a5), _mm512_add_epi32 (a6, a7)));
  sum = _mm512_add_epi32 (sum, _mm512_add_epi32 (_mm512_add_epi32 (a8, a9),
          _mm512_add_epi32 (a10, a11)));
  _mm512_storeu_si512 ((void *) t, sum);
  for (int k = 0; k < 16; k++)
    s += t[k];
  return (float) s;
}
#undef DPB

/* 12 independent chains of the int8 kernel's step, vpaddd (vpmaddwd
 * (vpmaddubsw (a, b), ones)): 64 operations each (8 lanes × 4 products) */
__attribute__ ((target ("avx2"))) static float
i8_loop_256 (long n)
{
  __m256i a[12], b = _mm256_set1_epi8 (3), c = _mm256_set1_epi8 (5);
  const __m256i ones = _mm256_set1_epi16 (1);
  int s = 0, t[8];
  for (int i = 0; i < 12; i++)
    a[i] = _mm256_set1_epi32 (i);
  for (long i = 0; i < n; i++) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; j++)
      a[j] = _mm256_add_epi32 (a[j], _mm256_madd_epi16 (_mm256_maddubs_epi16
              (b, c), ones));
    __asm__ volatile ("" : "+x" (b));   /* the products are not loop-invariant */
  }
  for (int i = 0; i < 12; i++) {
    _mm256_storeu_si256 ((void *) t, a[i]);
    for (int k = 0; k < 8; k++)
      s += t[k];
  }
  return (float) s;
}

__attribute__ ((target ("avx2,fma"))) static float
fma_loop_256 (long n)
{
  __m256 a[12], b = _mm256_set1_ps (0.999f), c = _mm256_set1_ps (1e-4f);
  float s = 0, t[8];
  for (int i = 0; i < 12; i++)
    a[i] = _mm256_set1_ps (i * 1e-3f);
  for (long i = 0; i < n; i++) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; j++)
      a[j] = _mm256_fmadd_ps (a[j], b, c);
  }
  for (int i = 0; i < 12; i++) {
    _mm256_storeu_ps (t, a[i]);
    for (int k = 0; k < 8; k++)
      s += t[k];
  }
  return s;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* tdpbusd into four independent tiles of sums from the same two A and two
 * B tiles, as the AMX kernel's 32 × 32 block does: 16 × 16 × 64 × 2
 * operations each.  The tiles are the process's once vae_gemm_i8_isa ()
 * has asked Linux for them. */
static const struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} amx_cfg __attribute__ ((aligned (64))) = { 1, 0, { 0 },
  { 64, 64, 64, 64, 64, 64, 64, 64 }, { 16, 16, 16, 16, 16, 16, 16, 16 } };

__attribute__ ((target ("amx-tile,amx-int8"))) static float
amx_loop (long n)
{
  static uint8_t buf[1024] __attribute__ ((aligned (64)));
  int32_t out[256] __attribute__ ((aligned (64)));
  memset (buf, 1, sizeof buf);
  _tile_loadconfig (&amx_cfg);
  _tile_zero (0);
  _tile_zero (1);
  _tile_zero (2);
  _tile_zero (3);
  _tile_loadd (4, buf, 64);
  _tile_loadd (5, buf, 64);
  _tile_loadd (6, buf, 64);
  _tile_loadd (7, buf, 64);
  for (long i = 0; i < n; i++) {
    _tile_dpbusd (0, 4, 6);
    _tile_dpbusd (1, 4, 7);
    _tile_dpbusd (2, 5, 6);
    _tile_dpbusd (3, 5, 7);
  }
  _tile_stored (0, out, 64);
  __asm__ volatile ("" : : "r" (out) : "memory");
  _tile_release ();
  return (float) out[0];
}
#endif

static volatile float fma_sink;
static long fma_n;
static int fma_kind;            /* 0 vfmadd, 1 vdpbf16ps, 2 the AVX2 int8 step,
                                 * 3 vpdpbusd, 4 AMX tdpbusd */

static void *
fma_thread (void *p)
{
  (void) p;
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  fma_sink = fma_kind == 1 ? bf16_loop_512 (fma_n)
      : fma_kind == 2 ? i8_loop_256 (fma_n)
      : fma_kind == 3 ? vnni_loop_512 (fma_n)
      : fma_kind == 4 ? amx_loop (fma_n)
      : vae_gemm_best_isa () == VAE_GEMM_AVX512 ? fma_loop_512 (fma_n)
      : fma_loop_256 (fma_n);
#endif
  return NULL;
}

static void
fma_ceiling (int kind)
{
  VaeGemmIsa isa = vae_gemm_best_isa ();
  double per_iter = kind == 1 ? 24 * 64 : kind == 2 ? 12 * 64
      : kind == 3 ? 24 * 128 : kind == 4 ? 4 * 32768
      : isa == VAE_GEMM_AVX512 ? 24 * 32 : 12 * 16;
  if (isa == VAE_GEMM_BLAS)
    return;
  fma_kind = kind;
  fma_n = kind == 4 ? 500000 : 20000000;
  for (int t = 1; t <= 2; t++) {
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
      pthread_t th[2];
      double t0 = now ();
      for (int i = 0; i < t; i++)
        pthread_create (&th[i], NULL, fma_thread, NULL);
      for (int i = 0; i < t; i++)
        pthread_join (th[i], NULL);
      double dt = now () - t0;
      best = dt < best ? dt : best;
    }
    printf ("fma threads=%d isa=%s gflops=%.1f\n", t, kind == 1
        ? "avx512-bf16" : kind == 2 ? "avx2-int8" : kind == 3
        ? "avx512-vnni-int8" : kind == 4 ? "amx-int8" : isa == VAE_GEMM_AVX512
        ? "avx512" : "avx2", t * per_iter * fma_n
        / best / 1e9);
  }
}

/* ------------------------------------------------------------ allocations */

static long
allocs_now (void)
{
  long (*f) (void) = (long (*) (void)) dlsym (RTLD_DEFAULT, "malloc_count_total");
  return f ? f () : -1;
}

static void
usage (void)
{
  fprintf (stderr, "usage: denoise_bench [-W w] [-H h] [-f noisy.gray] [-s sigma] "
      "[-n frames] [-t 1,2] [-b batch] [-S stride] [-P auto|fp32|bf16|int8] [-p] "
      "[-o out.gray] MODEL\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  const char *file = NULL, *out = NULL;
  char tl[64] = "1,2";
  int c;
  VaeError err;

  while ((c = getopt (argc, argv, "W:H:f:s:n:t:b:S:P:po:")) != -1) {
    switch (c) {
      case 'W': W = atoi (optarg); break;
      case 'H': H = atoi (optarg); break;
      case 'f': file = optarg; break;
      case 's': sigma = (float) atof (optarg); break;
      case 'n': frames = atoi (optarg); break;
      case 't': snprintf (tl, sizeof tl, "%s", optarg); break;
      case 'b': batch = atoi (optarg); break;
      case 'S': stride = atoi (optarg); break;
      case 'p': peak = 1; break;
      case 'P':
        precision = !strcmp (optarg, "fp32") ? VAE_PRECISION_FP32
            : !strcmp (optarg, "bf16") ? VAE_PRECISION_BF16
            : !strcmp (optarg, "int8") ? VAE_PRECISION_INT8
            : !strcmp (optarg, "auto") ? VAE_PRECISION_AUTO : (VaePrecision) -1;
        if ((int) precision < 0)
          usage ();
        break;
      case 'o': out = optarg; break;
      default: usage ();
    }
  }
  if (optind != argc - 1 || W < 1 || H < 1 || frames < 1)
    usage ();
  for (char *p = strtok (tl, ","); p && n_T < MAX_T; p = strtok (NULL, ","))
    T_list[n_T++] = atoi (p);

  vae_blas_threads (1);
  model = vae_model_load (argv[optind], &err);
  if (!model) {
    fprintf (stderr, "%s\n", err.msg);
    return 1;
  }
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  o.batch = batch;
  o.stride = stride;
  o.precision = precision;
  {
    VaeDenoiser *probe = vae_denoiser_new (model, W, H, &o, &err);
    if (!probe) {
      fprintf (stderr, "%s\n", err.msg);
      return 1;
    }
    use_bf16 = vae_denoiser_precision (probe) == VAE_PRECISION_BF16;
    use_i8 = vae_denoiser_precision (probe) == VAE_PRECISION_INT8;
    vae_denoiser_free (probe);
  }
  if (peak) {
    printf ("blas core=%s\n", openblas_get_corename ());
    sgemm_peak ();
    fma_ceiling (0);
    if (use_bf16 || vae_bf16_supported ())
      fma_ceiling (1);
    if (use_i8 && vae_gemm_i8_isa () != VAE_GEMM_BLAS)
      fma_ceiling (vae_gemm_i8_isa () >= VAE_GEMM_AVX512 ? 3 : 2);
    if (use_i8 && vae_gemm_i8_isa () == VAE_GEMM_AMX)
      fma_ceiling (4);
  }
  n_layers = vae_model_n_layers (model);
  if (vae_model_config (model)->conv_depth > 0) {
    fprintf (stderr, "denoise_bench times patch models; %s is convolutional\n",
        argv[optind]);
    return 1;
  }
  int widest = vae_model_net_in (model);
  char shape[128] = "";
  for (int l = 0; l < n_layers; l++) {
    vae_model_layer (model, l, &l_in[l], &l_out[l], &l_act[l], &l_w[l],
        &l_b[l], NULL, NULL);
    widest = l_out[l] > widest ? l_out[l] : widest;
    snprintf (shape + strlen (shape), sizeof shape - strlen (shape), "%s%d",
        l ? "-" : "", l_in[l]);
  }
  snprintf (shape + strlen (shape), sizeof shape - strlen (shape), "-%d",
      l_out[n_layers - 1]);
  {
    /* the layers as vae_denoise_f32_forward runs them: layer 0 without its
     * level column (folded into the bias), on rows of net_in floats */
    size_t nf = 0, off = 0;
    for (int l = 0; l < n_layers; l++) {
      l_k[l] = l == 0 ? vae_model_config (model)->n_in : l_in[l];
      l_lda[l] = l_in[l];
      nf += vae_gemm_packed_floats (l_out[l], l_k[l]);
    }
    l_pack = vae_aligned_alloc (nf * sizeof (float));
    for (int l = 0; l < n_layers; l++) {
      vae_gemm_pack (&l_pb[l], l_pack + off, l_w[l], l_out[l], l_k[l],
          l_in[l], vae_gemm_best_isa ());
      off += vae_gemm_packed_floats (l_out[l], l_k[l]);
    }
  }
  if (use_bf16) {
    size_t nh = 0, off = 0;
    for (int l = 0; l < n_layers; l++) {
      l_lda16[l] = (l_k[l] + 1) / 2 * 2;
      l_ldc16[l] = l == n_layers - 1 ? l_out[l] : (l_out[l] + 1) / 2 * 2;
      nh += vae_gemm_packed_bf16 (l_out[l], l_k[l]);
    }
    l_pack16 = vae_aligned_alloc (nh * sizeof (uint16_t));
    for (int l = 0; l < n_layers; l++) {
      vae_gemm_pack_bf16 (&l_pb[l], l_pack16 + off, l_w[l], l_out[l],
          l_k[l], l_in[l]);
      off += vae_gemm_packed_bf16 (l_out[l], l_k[l]);
    }
  }

  if (use_i8) {
    const VaeQuant *q = model->quant;
    size_t nb = 0, off = 0;
    for (int l = 0; l < n_layers; l++) {
      l_lda8[l] = (l_k[l] + 3) / 4 * 4;
      l_ldc8[l] = l == n_layers - 1 ? l_out[l] : (l_out[l] + 3) / 4 * 4;
      nb += vae_gemm_packed_i8 (l_out[l], l_k[l]);
    }
    l_pack8 = vae_aligned_alloc (nb);
    for (int l = 0; l < n_layers; l++) {
      vae_gemm_pack_i8 (&l_pb[l], l_pack8 + off, q->w[l], l_out[l], l_k[l],
          l_k[l]);
      off += vae_gemm_packed_i8 (l_out[l], l_k[l]);
      l_mul8[l] = q->scale[l];
    }
  }

  src = malloc ((size_t) W * H);
  dst = malloc ((size_t) W * H);
  if (file) {
    FILE *f = fopen (file, "rb");
    if (!f || fread (src, 1, (size_t) W * H, f) != (size_t) W * H) {
      fprintf (stderr, "cannot read a %dx%d frame from %s\n", W, H, file);
      return 1;
    }
    fclose (f);
  } else {
    VaeRng rng;
    vae_rng_seed (&rng, 1);
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        src[(size_t) y * W + x] = (uint8_t) (128 + 60 * ((x / 37 + y / 23) % 3 - 1));
    vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, sigma, src, W, W, H, &rng);
  }

  for (int ti = 0; ti < n_T; ti++) {
    int T = T_list[ti];
    if (T < 1 || T > MAX_T)
      continue;
    pthread_barrier_init (&go, NULL, T);
    pthread_barrier_init (&done, NULL, T);
    pthread_barrier_init (&mid, NULL, T);
    int s = 0, pw = 0, *xs = malloc ((W + 2) * sizeof (int)),
        *ys = malloc ((H + 2) * sizeof (int));
    long patches = 0;
    for (int i = 0; i < T; i++) {
      Band *b = &bands[i];
      b->index = i;
      b->T = T;
      b->d = vae_denoiser_new (model, W, H, &o, &err);
      if (!b->d) {
        fprintf (stderr, "%s\n", err.msg);
        return 1;
      }
      s = vae_denoiser_stride (b->d);
      pw = vae_denoiser_patch (b->d);
      b->row0 = (int) ((long) H * i / T);
      b->row1 = (int) ((long) H * (i + 1) / T);
      /* this thread's tiles: i, i + T, … of the plane's canonical split */
      int nx = vae_denoise_origins (xs, W, pw, s);
      int ny = vae_denoise_origins (ys, H, vae_denoiser_patch_rows (b->d),
          vae_denoiser_stride_rows (b->d));
      long np = (long) nx * ny;
      n_tiles = vae_denoiser_n_tiles (b->d, W, H);
      long tile = (np + n_tiles - 1) / n_tiles;
      b->n_b = 0;
      b->bsz = malloc (((n_tiles + T - 1) / T + 1) * sizeof (int));
      for (int t = i; t < n_tiles; t += T) {
        long k0 = (long) t * tile, k1 = k0 + tile < np ? k0 + tile : np;
        if (k1 > k0) {
          b->bsz[b->n_b++] = (int) (k1 - k0);
          patches += k1 - k0;
        }
      }
      if (i == 0) {
        store = malloc (vae_denoiser_store_floats (b->d) * sizeof (float));
        if (!store) {
          fprintf (stderr, "cannot allocate the patch store\n");
          return 1;
        }
      }
      for (int l = 0; l <= n_layers; l++) {
        size_t n = (size_t) batch * widest;
        b->buf[l] = malloc (n * sizeof (float));
        for (size_t q = 0; q < n; q++)
          b->buf[l][q] = (float) ((q * 2654435761u) % 1000) * 1e-4f - 0.05f;
        if (use_bf16 && l < n_layers) {
          /* bf16 rows: the same values, rounded */
          uint16_t *h = (uint16_t *) b->buf[l];
          for (size_t q = 0; q < n; q++)
            h[q] = vae_bf16_from_float (b->buf[l][q]);
        }
      }
      if (i > 0)
        pthread_create (&b->th, NULL, worker, b);
    }
    double flops = vae_denoiser_flops (bands[0].d, W, H);
    double per_patch = 0;
    for (int l = 0; l < n_layers; l++)
      per_patch += 2.0 * l_k[l] * l_out[l];
    double band_flops = per_patch * patches;    /* every patch once */
    if (ti == 0) {
      static const char *isa_names[] = { "openblas", "avx2", "avx512" };
      printf ("model layers=%s patch=%d stride=%d batch=%d size=%dx%d "
          "gflop_per_frame=%.3f gemm=%s\n", shape, pw, s, batch, W, H,
          flops / 1e9, use_bf16 ? "avx512-bf16" : use_i8
          ? (vae_gemm_i8_isa () == VAE_GEMM_AMX ? "amx-int8"
              : vae_gemm_i8_isa () == VAE_GEMM_AVX512 ? "avx512-vnni-int8"
              : vae_gemm_i8_isa () == VAE_GEMM_AVX2 ? "avx2-int8" : "c-int8")
          : isa_names[vae_gemm_best_isa ()]);
    }

    /* the allocations over frames alone, then the three jobs interleaved */
    long a0 = allocs_now ();
    for (int f = 0; f <= frames; f++)
      run_job (JOB_FRAME);
    long a1 = allocs_now ();
    for (int i = 0; i < T; i++)
      if (bands[i].status != VAE_OK) {
        fprintf (stderr, "run failed: %s\n", vae_status_string (bands[i].status));
        return 1;
      }
    static const Job jobs[4] = { JOB_FRAME, JOB_GEMM, JOB_DENSE, JOB_BLEND };
    Stat st[4];
    time_jobs (jobs, 4, frames, st);
    Stat fr = st[0], ge = st[1], de = st[2], bl = st[3];
    printf ("frame threads=%d min_ms=%.2f med_ms=%.2f fps=%.2f ns_per_px=%.2f "
        "gflops=%.1f\n", T, fr.min * 1e3, fr.med * 1e3, 1.0 / fr.med,
        fr.med * 1e9 / ((double) W * H), flops / fr.med / 1e9);
    printf ("gemm threads=%d min_ms=%.2f med_ms=%.2f gflops=%.1f "
        "gflops_best=%.1f patches=%ld band_overlap=%.3f\n", T, ge.min * 1e3,
        ge.med * 1e3, band_flops / ge.med / 1e9, band_flops / ge.min / 1e9,
        patches, band_flops / flops);
    printf ("dense threads=%d min_ms=%.2f med_ms=%.2f\n", T, de.min * 1e3,
        de.med * 1e3);
    printf ("blend threads=%d min_ms=%.2f med_ms=%.2f\n", T, bl.min * 1e3,
        bl.med * 1e3);
    printf ("split threads=%d frame_over_gemm=%.3f outside_gemm=%.3f "
        "bias_act=%.3f gather_oadd=%.3f oadd=%.3f\n", T, fr.med / ge.med,
        1.0 - ge.med / fr.med, (de.med - ge.med) / fr.med,
        (fr.med - de.med) / fr.med, bl.med / fr.med);
    if (a0 >= 0)
      printf ("allocs threads=%d frames=%d count=%ld\n", T, frames + 1, a1 - a0);

    job = JOB_QUIT;
    if (T > 1)
      pthread_barrier_wait (&go);
    for (int i = 0; i < T; i++) {
      Band *b = &bands[i];
      if (i > 0)
        pthread_join (b->th, NULL);
      vae_denoiser_free (b->d);
      free (b->bsz);
      for (int l = 0; l <= n_layers; l++)
        free (b->buf[l]);
    }
    free (xs);
    free (ys);
    pthread_barrier_destroy (&go);
    pthread_barrier_destroy (&done);
    pthread_barrier_destroy (&mid);
    free (store);
    store = NULL;
  }
  if (out) {
    FILE *f = fopen (out, "wb");
    if (!f || fwrite (dst, 1, (size_t) W * H, f) != (size_t) W * H)
      return 1;
    fclose (f);
  }
  free (src);
  free (dst);
  vae_aligned_free (l_pack);
  vae_aligned_free (l_pack16);
  vae_aligned_free (l_pack8);
  vae_model_free (model);
  return 0;
}
