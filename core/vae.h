/* gst-vae core: autoencoders in plain C11 on OpenBLAS.
 *
 * A model is a stack of dense layers split into an encoder and a decoder:
 *
 *   AE         z = F(x|Θ), x̂ = G(z|Φ), loss = reconstruction NLL
 *   sparse AE  AE + β·Σⱼ KL(ρ‖ρ̂ⱼ) on the mean sigmoid code activations
 *   DAE        AE trained on corrupted inputs (Gaussian, salt-and-pepper,
 *              masking); optionally residual (predicts the noise) and
 *              noise-conditional (σ appended to the input)
 *   VAE        encoder heads μ, log σ²; z = μ + σ⊙ε; loss = −ELBO =
 *              NLL + β·KL(q(z|x) ‖ N(0, I))
 *
 * Parameters live in one aligned arena; gradients and Adam moments share its
 * layout.  Activations live in a VaeWorkspace sized once for the largest
 * batch, so after preparation inference allocates nothing, but for one
 * buffer per thread, on its first GEMM: where the CPU has AVX2 or AVX-512
 * the GEMMs run on the project's FMA kernels (gemm.c), which pack the
 * weights there (a VaeDenoiser packs its own once).  A model is
 * read-only during inference: several threads may share one model, each with
 * its own workspace.
 *
 * Example: denoise an 8-bit plane (src to dst, width × height, stride
 * bytes a row) with a model shipped in models/, at noise level σ = 25 in
 * 8-bit units.
 *
 *   VaeError err;
 *   VaeModel *m = vae_model_load ("models/denoise-s.safetensors", &err);
 *   VaeDenoiseOpts o = vae_denoise_opts_default ();  // the model's stride
 *   VaeDenoiser *d = m ? vae_denoiser_new (m, width, height, &o, &err)
 *       : NULL;
 *   if (d == NULL) {
 *     fprintf (stderr, "%s\n", err.msg);
 *     vae_model_free (m);
 *     return 1;
 *   }
 *   int rc = vae_denoiser_run_u8 (d, src, stride, dst, stride, width,
 *       height, 0, height, 25.0f);     // rows 0 to height: the whole plane
 *   vae_denoiser_free (d);
 *   vae_model_free (m);
 *   return rc == VAE_OK ? 0 : 1;
 *
 * Errors: functions return VAE_OK (0) or a negative VaeStatus and, when given
 * a VaeError, fill it with the status and a precise message.  The core never
 * prints, exits or aborts on bad data.
 */
#ifndef VAE_H
#define VAE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  VAE_OK = 0,
  VAE_ERR_ARG = -1,           /* invalid argument or option */
  VAE_ERR_NOMEM = -2,
  VAE_ERR_IO = -3,            /* cannot open, read or write a file */
  VAE_ERR_TRUNCATED = -4,     /* file shorter than its header needs */
  VAE_ERR_HEADER = -5,        /* header length field impossible */
  VAE_ERR_JSON = -6,          /* header is not valid JSON of the right shape */
  VAE_ERR_DTYPE = -7,         /* tensor dtype other than F32 */
  VAE_ERR_SHAPE = -8,         /* tensor shape does not match the architecture */
  VAE_ERR_OFFSET = -9,        /* data offsets outside the data area or overlapping */
  VAE_ERR_NONFINITE = -10,    /* NaN or infinite weight */
  VAE_ERR_DIMS = -11,         /* absurd or out-of-range dimensions */
  VAE_ERR_CONFIG = -12,       /* model configuration missing or inconsistent */
  VAE_ERR_MISSING = -13,      /* a required tensor is missing */
  VAE_ERR_KIND = -14,         /* model of the wrong kind for this use */
  VAE_ERR_DATA = -15,         /* training or evaluation data malformed */
} VaeStatus;

#define VAE_ERROR_MSG_LEN 256

typedef struct {
  int status;
  char msg[VAE_ERROR_MSG_LEN];
} VaeError;

const char *vae_status_string (int status);

/* ------------------------------------------------------------------ PRNG */

/* xoshiro256** (Blackman & Vigna 2018), seeded through splitmix64.  Normals
 * come from the Marsaglia polar method. */
typedef struct {
  uint64_t s[4];
  int has_spare;
  float spare;
} VaeRng;

void vae_rng_seed (VaeRng *r, uint64_t seed);
uint64_t vae_rng_u64 (VaeRng *r);
float vae_rng_uniform (VaeRng *r);     /* [0, 1) */
float vae_rng_normal (VaeRng *r);      /* N(0, 1) */
uint32_t vae_rng_below (VaeRng *r, uint32_t n); /* [0, n) */
/* Φ⁻¹(p), the standard normal quantile; ±INFINITY at p ≤ 0 and p ≥ 1. */
double vae_normal_quantile (double p);

/* ---------------------------------------------------------------- noise */

typedef enum {
  VAE_NOISE_NONE = 0,
  VAE_NOISE_GAUSSIAN = 1,     /* x + ε, ε ~ N(0, σ²) */
  VAE_NOISE_SALT_PEPPER = 2,  /* each value → lo or hi with probability p/2 each */
  VAE_NOISE_MASK = 3,         /* x · m, m ~ Bernoulli(1 − p) */
} VaeNoise;

const char *vae_noise_name (VaeNoise n);
int vae_noise_from_name (const char *name); /* -1 when unknown */

/* Corrupts n floats from x into y (may alias).  level is σ for Gaussian, p
 * otherwise; lo/hi are the salt-and-pepper values. */
void vae_noise_apply_f32 (VaeNoise type, float level, float lo, float hi,
    const float *x, float *y, size_t n, VaeRng *rng);

/* RGB Gaussian noise of σ = level per channel as it shows in a colour
 * model's interleaved 4:2:0 patch (VaeConfig.colour; pw × ph, ph a
 * multiple of 3): each luma pixel's Y moves by the BT.601 limited-range
 * mix of its R, G and B noise, and each chroma value by the mean of its
 * 2 × 2 luma pixels' Cb or Cr mix.  x into y (may alias), data units. */
void vae_noise_yuv420_f32 (float level, int pw, int ph, const float *x,
    float *y, VaeRng *rng);

/* Same for an 8-bit plane with stride; Gaussian noise is rounded and clipped
 * to [0, 255]; salt-and-pepper uses 0 and 255. */
void vae_noise_apply_u8 (VaeNoise type, float level, uint8_t *plane,
    int stride, int width, int height, VaeRng *rng);

/* --------------------------------------------------------------- layers */

typedef enum {
  VAE_ACT_IDENTITY = 0,
  VAE_ACT_RELU = 1,
  VAE_ACT_LRELU = 2,          /* slope 0.01 below zero */
  VAE_ACT_SIGMOID = 3,
  VAE_ACT_TANH = 4,
} VaeAct;

#define VAE_LRELU_SLOPE 0.01f

const char *vae_act_name (VaeAct a);
int vae_act_from_name (const char *name);

/* y = act(x W^T + b).  W is (n_out, n_in) row-major as in PyTorch's Linear. */
void vae_dense_forward (float *y, const float *x, const float *w,
    const float *b, int batch, int n_in, int n_out, VaeAct act);
/* Given y (the forward output) and dy (dL/dy, overwritten with dL/d(pre)),
 * adds dL/dW into dw and dL/db into db, and writes dL/dx into dx when dx is
 * not NULL. */
void vae_dense_backward (float *dx, float *dw, float *db, float *dy,
    const float *y, const float *x, const float *w, int batch, int n_in,
    int n_out, VaeAct act);

/* In-place activation, and its derivative expressed through the output. */
void vae_act_forward (float *y, size_t n, VaeAct act);
void vae_act_backward (float *dy, const float *y, size_t n, VaeAct act);

/* ---------------------------------------------------------------- models */

typedef enum {
  VAE_KIND_AE = 0,
  VAE_KIND_SPARSE_AE = 1,
  VAE_KIND_DAE = 2,
  VAE_KIND_VAE = 3,
} VaeKind;

typedef enum {
  VAE_LIK_GAUSSIAN = 0,       /* ½‖x − x̂‖²/σₓ² (+ const for the VAE) */
  VAE_LIK_BERNOULLI = 1,      /* binary cross-entropy from logits */
} VaeLikelihood;

const char *vae_kind_name (VaeKind k);
int vae_kind_from_name (const char *name);

#define VAE_MAX_HIDDEN 8      /* hidden layers per side */
#define VAE_MAX_DIM 65536     /* any layer width */
#define VAE_MAX_PATCH 64
#define VAE_MAX_CONV_DEPTH 18  /* = VAE_MAX_LAYERS */
#define VAE_MAX_CONV_WIDTH 512
#define VAE_MAX_CONV_KERNEL 7

typedef struct {
  VaeKind kind;
  VaeLikelihood likelihood;
  int n_in;                   /* data dimension = img_w · img_h */
  int img_w, img_h;           /* input geometry (a patch for denoisers) */
  int n_enc;                  /* encoder hidden layers */
  int enc[VAE_MAX_HIDDEN];
  int n_latent;               /* code / latent size K */
  int n_dec;                  /* decoder hidden layers */
  int dec[VAE_MAX_HIDDEN];
  VaeAct act;                 /* hidden activation */
  VaeAct code_act;            /* AE code activation (sigmoid for sparse AE) */
  float obs_sigma;            /* Gaussian likelihood σₓ (data units) */
  float sparse_rho, sparse_beta;
  /* denoising */
  VaeNoise noise;
  float noise_min, noise_max; /* training level range (σ in data units, or p) */
  int residual;               /* decoder predicts the noise */
  int noise_input;            /* σ appended as an extra input */
  /* data normalisation: network input = (x − norm_mean) / norm_scale, x in [0, 1] */
  float norm_mean, norm_scale;
  /* Convolutional DAE when conv_depth > 0: conv_depth 'same' (zero-padded)
   * conv_kernel × conv_kernel convolutions with conv_width channels (the
   * last gives one per input plane), `act` between them, on a plane of any
   * size; its input channels are the plane and, when noise_input, the level
   * map.  A colour one sees its interleaved 4:2:0 plane (below) in 2 × 3
   * blocks, each a position with 6 planes: the two rows' luma pairs, then
   * Cb and Cr.  img_w × img_h is then the training patch.  Layer L's weight is (c_out, k, k,
   * c_in) row-major, i.e. (n_out, n_in) with n_in = k·k·c_in, taps in raster
   * order and channels innermost; enc/dec and n_latent are unused (n_latent
   * holds conv_width). */
  int conv_depth, conv_width, conv_kernel;
  /* Colour (VAE_COLOUR_YUV420): a Gaussian DAE on one 4:2:0 YCbCr
   * patch (BT.601, limited range) of img_w × (2·img_h/3) luma pixels and
   * its two chroma blocks, interleaved as a plane img_w wide and img_h
   * tall: per chroma row k, luma rows 2k and 2k + 1, then Cb and Cr
   * alternating (Cb₀ Cr₀ Cb₁ Cr₁ …).  Its Gaussian noise is RGB noise of σ
   * (the level) per channel, as converted to that layout. */
  int colour;
} VaeConfig;

#define VAE_COLOUR_NONE 0
#define VAE_COLOUR_YUV420 1

VaeConfig vae_config_default (void);
/* Checks a configuration; fills err with what is wrong. */
int vae_config_validate (const VaeConfig *c, VaeError *err);

typedef struct VaeModel VaeModel;

/* Creates a model with weights initialised (He/Xavier uniform) from seed. */
VaeModel *vae_model_new (const VaeConfig *c, uint64_t seed, VaeError *err);
void vae_model_free (VaeModel *m);
const VaeConfig *vae_model_config (const VaeModel *m);
size_t vae_model_n_params (const VaeModel *m);
float *vae_model_params (VaeModel *m);
float *vae_model_grads (VaeModel *m);      /* NULL until training is prepared */
int vae_model_n_layers (const VaeModel *m);
/* Layer l: its dims and views into the parameter/gradient arenas. */
void vae_model_layer (VaeModel *m, int l, int *n_in, int *n_out, VaeAct *act,
    float **w, float **b, float **dw, float **db);
int vae_model_n_encoder_layers (const VaeModel *m);
/* Network input width (n_in, plus one when noise-conditional). */
int vae_model_net_in (const VaeModel *m);

/* String metadata carried in the file (training data, seed, metrics ...). */
int vae_model_set_meta (VaeModel *m, const char *key, const char *value);
const char *vae_model_get_meta (const VaeModel *m, const char *key);
int vae_model_n_meta (const VaeModel *m);
void vae_model_meta_at (const VaeModel *m, int i, const char **key,
    const char **value);

/* ------------------------------------------------------------- workspace */

typedef struct VaeWorkspace VaeWorkspace;

/* Activation memory for batches up to max_batch; training also keeps deltas. */
VaeWorkspace *vae_workspace_new (const VaeModel *m, int max_batch,
    int training, VaeError *err);
void vae_workspace_free (VaeWorkspace *ws);
int vae_workspace_max_batch (const VaeWorkspace *ws);

/* Pruning hidden units (any hidden layer but a VAE's code layer).
 * vae_model_unit_scores adds, for each unit j of layer `layer`, the sum over
 * the batch of a_j² · ‖column j of the next layer's weights‖² to acc[j]
 * (x in data units, levels the noise levels of noise-conditional models or
 * NULL).  vae_model_prune returns a copy of m without the units whose keep[j]
 * is 0 (metadata copied), or NULL with err set. */
/* VAE_OK if layer `layer` can be pruned, else an error saying why. */
int vae_model_check_prunable (const VaeModel *m, int layer, VaeError *err);
int vae_model_unit_scores (const VaeModel *m, VaeWorkspace *ws, int layer,
    const float *x, const float *levels, int batch, double *acc);
VaeModel *vae_model_prune (const VaeModel *m, int layer,
    const unsigned char *keep, VaeError *err);

/* 8-bit weights for the denoiser's int8 path (precision INT8), from
 * calibration samples: x (n × n_in, data units, noisy as the denoiser will
 * see them) and, for noise-conditional models, their levels (8-bit units).
 * Each layer's weights become 7-bit codes with a scale per row, chosen
 * with GPTQ's error feedback on the calibration inputs (quant.c); the
 * activations 8-bit codes scaled by their calibration maxima.  Replaces
 * any earlier quantisation; saved with the model (its quant.* tensors).
 * Needs a dense denoiser with ReLU hidden layers and a linear output.
 * rms (may be NULL) gets the RMS difference between the int8 and the
 * float network's outputs on the calibration samples, in 8-bit levels:
 * what to check before shipping the int8 weights (some models are far
 * more sensitive than others to their first layer's precision).
 * Changing the float weights by training (vae_model_adam_step) drops the
 * int8 weights, which would no longer match them. */
int vae_model_quantize (VaeModel *m, const float *x, const float *levels,
    int n, double *rms, VaeError *err);
/* The same for the first n_layers layers only (0: all): the float layers
 * after them take the last int8 layer's output as floats, in bf16 or fp32
 * on the denoiser's mixed path (a first layer in int8 where the later ones
 * need float weights). */
int vae_model_quantize_layers (VaeModel *m, const float *x,
    const float *levels, int n, int n_layers, double *rms, VaeError *err);
int vae_model_is_quantized (const VaeModel *m);
/* How many layers, from the first, have int8 weights (0: none). */
int vae_model_int8_layers (const VaeModel *m);
void vae_model_drop_quant (VaeModel *m);

/* ------------------------------------------------------------- inference */

/* Network-space helpers: x in data units [0, 1]. */
/* μ and log σ² (VAE), or the code z (AE: logvar may be NULL and is ignored). */
int vae_encode (const VaeModel *m, VaeWorkspace *ws, const float *x, int batch,
    float *mu, float *logvar);
/* x̂ in data units (sigmoid of the logits for Bernoulli). */
int vae_decode (const VaeModel *m, VaeWorkspace *ws, const float *z, int batch,
    float *xhat);
/* x̂ = G(μ(x)), or for a DAE the denoised x given its level (data units). */
int vae_reconstruct (const VaeModel *m, VaeWorkspace *ws, const float *x,
    int batch, float level, float *xhat);
/* z ~ N(0, t² I), decoded. */
int vae_sample (const VaeModel *m, VaeWorkspace *ws, int batch,
    float temperature, VaeRng *rng, float *xhat);
/* Per-sample reconstruction error (the likelihood's NLL at z = μ) and
 * negative ELBO with one ε draw (VAE; for other kinds equals rec). */
int vae_score (const VaeModel *m, VaeWorkspace *ws, const float *x, int batch,
    VaeRng *rng, float *rec, float *neg_elbo);
/* Importance-weighted log-likelihood estimate log p(x) ≥ IWAE_k, per sample. */
int vae_iwae (const VaeModel *m, VaeWorkspace *ws, const float *x, int batch,
    int k, VaeRng *rng, float *log_px);

/* -------------------------------------------------------------- training */

typedef struct {
  float lr;                   /* Adam step size */
  float beta1, beta2, eps;
  float weight_decay;         /* decoupled (AdamW) */
  float kl_beta;              /* β_max for the VAE */
  long kl_anneal_steps;       /* β rises linearly 0 → β_max over these; 0 = constant */
  float lr_final;             /* cosine decay to this at total_steps; <0 = constant */
  long total_steps;
  /* Share of Gaussian-noise samples rounded to 8 bits and clipped to [0, 1]
   * after corruption, as a GRAY8 video pipeline delivers them; 0 keeps the
   * papers' unclipped float noise (and draws no extra random numbers). */
  float u8_fraction;
} VaeTrainOpts;

VaeTrainOpts vae_train_opts_default (void);

typedef struct {
  float loss;                 /* total minimised loss, mean per sample */
  float rec;                  /* reconstruction NLL per sample */
  float kl;                   /* VAE KL per sample, or sparse KL penalty */
  float beta;                 /* β used */
} VaeLoss;

/* Prepares gradient and Adam memory. */
int vae_model_prepare_training (VaeModel *m, VaeError *err);

/* Weights w (n_in, finite, ≥ 0, copied) on the squared error of each
 * output pixel of a dense Gaussian DAE: the training loss becomes
 * Σⱼ wⱼ·½(yⱼ − tⱼ)², in vae_model_loss_grad and the train steps (so
 * also in the tool's val_loss); vae_rec_nll and vae_score stay
 * unweighted.  NULL restores the plain loss.  See
 * vae_denoise_loss_weights() for the weights that match a stride. */
int vae_model_set_loss_weights (VaeModel *m, const float *w, VaeError *err);

/* Loss and gradients (zeroed first) for one batch.
 *   x_in:     network input in data units (corrupted for a DAE), (batch, n_in)
 *   x_target: clean data, (batch, n_in)
 *   level:    per-sample noise level for noise-conditional DAEs (or NULL)
 *   eps:      fixed VAE noise (batch, K) or NULL to draw from rng */
int vae_model_loss_grad (VaeModel *m, VaeWorkspace *ws, const float *x_in,
    const float *x_target, const float *level, int batch, const float *eps,
    float beta, VaeRng *rng, VaeLoss *out);

/* One Adam step on the current gradients. */
void vae_model_adam_step (VaeModel *m, const VaeTrainOpts *o, long step);

/* The DAE's corruption of a batch: per sample a level drawn uniformly from
 * [noise_min, noise_max] (into levels), the noise model applied, and for a
 * u8_fraction share of Gaussian samples rounding to 8 bits and clipping. */
void vae_corrupt_batch (const VaeConfig *c, const VaeTrainOpts *o,
    const float *x_clean, int batch, VaeRng *rng, float *x_noisy,
    float *levels);

/* One full training step on clean data: corrupts (DAE, level drawn per
 * sample from [noise_min, noise_max]), computes loss and gradients, steps
 * Adam.  step counts from 0. */
int vae_model_train_step (VaeModel *m, VaeWorkspace *ws, const float *x_clean,
    int batch, const VaeTrainOpts *o, long step, VaeRng *rng, VaeLoss *out);
/* The same on inputs corrupted beforehand (x_in, with their levels for a
 * noise-conditional model, else NULL): no corruption here. */
int vae_model_train_step_pairs (VaeModel *m, VaeWorkspace *ws,
    const float *x_in, const float *x_clean, const float *levels, int batch,
    const VaeTrainOpts *o, long step, VaeRng *rng, VaeLoss *out);

/* OpenBLAS's threads for the BLAS calls this process makes outside the
 * project's own kernels (training's narrow products, the fallback without
 * AVX2).  n = 1 also ends OpenBLAS's idle worker threads: they spin on a
 * core for a while after the library loads and after each threaded call,
 * taking it from the caller's own threads.  OpenBLAS starts them
 * again when a call asks for more threads.  The thread count is the
 * process's: call it where no other thread is inside an OpenBLAS call. */
void vae_blas_threads (int n);

/* Data-parallel training on `threads` threads: each batch is cut into as
 * many shards, whose losses and gradients are computed at once (a
 * workspace and a gradient arena each, OpenBLAS on one thread in each: the
 * pool sets that), summed in shard order, and applied by Adam sliced over
 * the threads.  The random numbers are drawn in vae_model_train_step's
 * order, and the result is the same on every run with the same thread
 * count; with one thread (and for sparse AEs, whose penalty needs the whole
 * batch) a step is vae_model_train_step itself. */
#define VAE_MAX_THREADS 64
typedef struct VaeTrainPool VaeTrainPool;
VaeTrainPool *vae_train_pool_new (VaeModel *m, int max_batch, int threads,
    VaeError *err);
void vae_train_pool_free (VaeTrainPool *p);
/* Threads actually used (1 for sparse AEs or batches smaller than threads). */
int vae_train_pool_threads (const VaeTrainPool *p);
/* Mixed-precision training from the next step on: every dense layer's
 * products (y = x·Wᵀ, dW, dx) take their operands rounded to bfloat16 and
 * sum in float; weights, Adam's moments, activations and gradients stay
 * float.  Needs a CPU with AVX512_BF16 (vae_bf16_supported) and a dense
 * model, else an error and the pool trains in float as before. */
int vae_train_pool_use_bf16 (VaeTrainPool *p, VaeError *err);
int vae_train_pool_step (VaeTrainPool *p, const float *x_clean, int batch,
    const VaeTrainOpts *o, long step, VaeRng *rng, VaeLoss *out);
int vae_train_pool_step_pairs (VaeTrainPool *p, const float *x_in,
    const float *x_clean, const float *levels, int batch,
    const VaeTrainOpts *o, long step, VaeRng *rng, VaeLoss *out);

/* Closed-form KL(N(μ, σ²) ‖ N(0, 1)) summed over K. */
float vae_gaussian_kl (const float *mu, const float *logvar, int k);

/* --------------------------------------------------------------- file I/O */

/* safetensors layout: u64 LE header length, JSON header, raw F32 LE tensors.
 * Tensors "layers.L.weight" (n_out, n_in) and "layers.L.bias" (n_out).
 * __metadata__ holds "format" = VAE_FILE_FORMAT, "config" (JSON) and any
 * user metadata. */
#define VAE_FILE_FORMAT "gst-vae/1"
#define VAE_FILE_MAX_HEADER (1u << 20)
#define VAE_FILE_ALIGN 8
/* The largest file vae_model_load reads, far above any model's size. */
#define VAE_FILE_MAX_SIZE ((size_t) 256 << 20)

/* Atomic: writes path.tmp, fsyncs, renames. */
int vae_model_save (const VaeModel *m, const char *path, VaeError *err);
/* path must name a regular file of at most VAE_FILE_MAX_SIZE bytes: a
 * device, FIFO, folder or socket, or a larger file, is refused at once
 * (VAE_ERR_IO, with a message naming the file). */
VaeModel *vae_model_load (const char *path, VaeError *err);
VaeModel *vae_model_load_from_memory (const void *data, size_t size,
    VaeError *err);
/* Serialises into a newly allocated buffer (free()). */
int vae_model_save_to_memory (const VaeModel *m, void **data, size_t *size,
    VaeError *err);

/* ------------------------------------------------------------- denoising */

typedef enum {
  VAE_WINDOW_FLAT = 0,
  VAE_WINDOW_GAUSS = 1,       /* overlap-add weights exp(−d²/(2(P/4)²)) */
} VaeWindow;

/* The patch denoiser's arithmetic.  AUTO, for 8-bit planes: int8 where
 * the model carries int8 weights (vae_model_quantize) and the CPU has
 * AVX512_VNNI, or AVX2 but not AVX-512 (on AVX-512 without VNNI the AVX2
 * int8 kernel is as wide as the fp32 one); else bf16 where the CPU has
 * AVX512_BF16 and the model a path for it (dense layers, ReLU or identity
 * hidden activations); else fp32.  Float planes: bf16 where it applies,
 * else fp32.  bf16 rounds the network's inputs, weights and hidden
 * activations to 8 significant bits and sums in float: twice the
 * multiply-adds per instruction, at a quality close to fp32's
 * (models/eval).  INT8 multiplies the 8-bit pixels and 8-bit activation
 * codes by 7-bit weights, summed exactly in int32, with the same results
 * on every CPU: vpdpbusd on AVX512_VNNI, vpmaddubsw on AVX2, plain C
 * elsewhere (speeds in bench/RESULTS.md); it applies to 8-bit
 * planes (vae_denoiser_run_u8), float planes are computed in fp32 (bf16
 * under AUTO where it applies).  FP32 is float throughout. */
typedef enum {
  VAE_PRECISION_AUTO = 0,
  VAE_PRECISION_FP32 = 1,
  VAE_PRECISION_BF16 = 2,
  VAE_PRECISION_INT8 = 3,
} VaePrecision;

typedef struct {
  int stride;                 /* patch step in pixels; 0 = the model's
                               * denoise.stride metadata, else patch/2 */
  int batch;                  /* patches per GEMM tile, at most [1024] */
  VaeWindow window;
  VaePrecision precision;     /* [AUTO]; BF16 where unavailable, INT8 for
                               * a model without int8 weights: an error */
} VaeDenoiseOpts;

VaeDenoiseOpts vae_denoise_opts_default (void);

/* The share of each pixel of a pw×ph patch in the overlap-add output at
 * this stride with this window, away from the plane's borders:
 * w[i·pw + j] = a(i)·a(j), a(i) = g(i) / Σₖ g(i + k·stride) over the
 * patches covering that pixel.  Every output pixel's shares sum to 1, so
 * with these as training loss weights a patch's loss is its part of the
 * plane's squared error.  0 on success, VAE_ERR_ARG for a stride < 1 or
 * a patch outside [1, VAE_MAX_PATCH]. */
int vae_denoise_loss_weights (int pw, int ph, int stride, VaeWindow window,
    float *w);

typedef struct VaeDenoiser VaeDenoiser;

/* A denoiser for planes up to max_w × max_h (all memory allocated here). */
VaeDenoiser *vae_denoiser_new (const VaeModel *m, int max_w, int max_h,
    const VaeDenoiseOpts *o, VaeError *err);
void vae_denoiser_free (VaeDenoiser *d);
int vae_denoiser_patch (const VaeDenoiser *d);
int vae_denoiser_stride (const VaeDenoiser *d);
/* Patch rows and the step between patch rows (the patch and stride but for
 * colour models' interleaved rows: 3/2 of them). */
int vae_denoiser_patch_rows (const VaeDenoiser *d);
int vae_denoiser_stride_rows (const VaeDenoiser *d);
/* FP32, BF16 or INT8: what the denoiser computes 8-bit planes in (never
 * AUTO). */
VaePrecision vae_denoiser_precision (const VaeDenoiser *d);
/* The same in words, for logs: "fp32", "bf16 (...)", "int8 (...)", or for
 * a model with int8 weights for layer 0 only "int8 for layer 0 (...), then
 * bf16" (or fp32). */
const char *vae_denoiser_arithmetic (const VaeDenoiser *d);
/* 1 where this CPU runs the bf16 kernels (AVX512_BF16; not when the
 * environment's VAE_GEMM asks for less than AVX-512). */
int vae_bf16_supported (void);

/* Denoises rows [row0, row1) of the output from the whole source plane
 * (w × h).  Bands computed separately give exactly the single-band result,
 * so bands may run on several threads with one denoiser each.  sigma is the
 * noise level in 8-bit units (used by noise-conditional models). */
int vae_denoiser_run_u8 (VaeDenoiser *d, const uint8_t *src, int src_stride,
    uint8_t *dst, int dst_stride, int w, int h, int row0, int row1,
    float sigma);
/* Float plane in [0, 1]. */
int vae_denoiser_run_f32 (VaeDenoiser *d, const float *src, int src_stride,
    float *dst, int dst_stride, int w, int h, int row0, int row1,
    float sigma);

/* The same in two phases, for a pool of workers with one denoiser each
 * (all made alike) and one shared store of vae_denoiser_store_floats()
 * floats:
 *   1. the n = vae_denoiser_n_tiles (d, w, h) tiles of the plane, in any
 *      order and on any worker: vae_denoiser_tile_u8 (d_k, …, tile, …),
 *      which writes the output rows that tile's patches alone cover and
 *      leaves its share of the others in the store;
 *   2. once all are done, any split of the rows into bands:
 *      vae_denoiser_blend_u8 (d_k, store, dst, …, row0, row1), which writes
 *      the rows shared by two tiles.
 * A tile is whole rows of patches; no patch is computed twice, GEMMs are of
 * up to opts.batch patches whatever the frame width, and the bytes equal
 * vae_denoiser_run_u8's for any number of workers.  n_tiles is 0 for a
 * plane the denoiser cannot take.  (Convolutional models leave every row to
 * phase 2.) */
size_t vae_denoiser_store_floats (const VaeDenoiser *d);
int vae_denoiser_n_tiles (VaeDenoiser *d, int w, int h);
int vae_denoiser_tile_u8 (VaeDenoiser *d, const uint8_t *src, int src_stride,
    uint8_t *dst, int dst_stride, int w, int h, int tile, float sigma,
    float *store);
int vae_denoiser_blend_u8 (VaeDenoiser *d, const float *store, uint8_t *dst,
    int dst_stride, int w, int h, int row0, int row1);

/* Per-region levels for noise-conditional patch models: until set again,
 * each patch's level is the call's sigma times map[cell of the patch's
 * centre], the plane cut into cells of cell_w × cell_h pixels, map_w ×
 * map_h of them (row-major; the last row and column take the rest of the
 * plane).  The map is the caller's and must stay valid while the denoiser
 * runs; NULL goes back to one level per plane.  A convolutional model
 * reads it as its level plane, each pixel (or 2 × 3 block) at its cell's
 * value.  VAE_ERR_KIND for models without a level input, VAE_ERR_ARG for
 * empty sizes. */
int vae_denoiser_set_level_map (VaeDenoiser *d, const float *map, int map_w,
    int map_h, int cell_w, int cell_h);

/* Geometric self-ensemble for offline quality: the mean of the denoised
 * plane over its 8 flips and rotations, each undone; 8× the compute.  The
 * denoiser must take both w × h and h × w planes; work holds 3·w·h floats.
 * Whole planes only (no bands). */
int vae_denoiser_run_f32_x8 (VaeDenoiser *d, const float *src, int src_stride,
    float *dst, int dst_stride, int w, int h, float sigma, float *work);

/* Colour models (VaeConfig.colour) denoise one plane that interleaves a
 * 4:2:0 picture's Y, Cb and Cr rows (see VaeConfig); these make it and
 * take it apart.  For a w × h picture (chroma ⌈w/2⌉ × ⌈h/2⌉) and a model
 * patch pw × ph, the plane is pack_w × pack_h: 2·⌈w/2⌉ × 3·⌈h/2⌉, or the
 * patch where that is larger; the picture's last row and column fill it.
 * Chroma samples lie c_step bytes apart (1 planar, 2 for NV12's pairs:
 * u = uv, v = uv + 1; NV21 swaps them).  Both work on triples of plane
 * rows [row0, row1), each a chroma row and its two luma rows: pack fills
 * the plane's (use 0, pack_h / 3 for all of it), unpack writes the
 * picture's (use 0, ⌈h/2⌉), so bands may run apart; unpack with u and v
 * NULL writes the luma alone. */
void vae_yuv420_packed_size (int w, int h, int pw, int ph, int *pack_w,
    int *pack_h);
void vae_yuv420_pack (const uint8_t *y, int y_stride, const uint8_t *u,
    const uint8_t *v, int c_stride, int c_step, int w, int h, uint8_t *dst,
    int dst_stride, int pack_w, int row0, int row1);
void vae_yuv420_unpack (const uint8_t *src, int src_stride, uint8_t *y,
    int y_stride, uint8_t *u, uint8_t *v, int c_stride, int c_step, int w,
    int h, int row0, int row1);
/* How much of RGB noise (σ per channel) shows in Y, Cb and Cr (full
 * resolution): their σ per unit σ, for BT.601 (bt709 = 0) or BT.709
 * weights, limited or full range; BT.601 limited: 0.5742, 0.5473, 0.5773.
 * A colour model's level is RGB σ as in its training (BT.601, limited),
 * so with luma noise σ_Y it is σ_Y / 0.5742. */
void vae_noise_gains (int bt709, int full_range, float gain[3]);
/* BT.601 (bt709 = 0) or BT.709: the weights of R, G and B in Y, Cb and Cr
 * (rows), unscaled: limited range multiplies Y by 219/255, Cb and Cr by
 * 224/255.  The one place the project's colour conversions take them. */
void vae_ycc_weights (int bt709, float k[3][3]);
/* Adds RGB Gaussian noise of σ per channel to an 8-bit Y'CbCr picture, as
 * a camera's RGB noise shows after conversion: per luma pixel three
 * normals mixed into Y, and into each chroma sample the mean of its
 * pixels' Cb or Cr mixes (chroma subsampled by 2^w_sub × 2^h_sub; its
 * samples c_step bytes apart as in vae_yuv420_pack); rounded, clipped. */
void vae_noise_rgb_u8 (float sigma, int bt709, int full_range, uint8_t *y,
    int y_stride, uint8_t *u, uint8_t *v, int c_stride, int c_step, int w,
    int h, int w_sub, int h_sub, VaeRng *rng);

/* The spaces packed RGB converts to: BT.601 Y'CbCr in limited or full
 * range, or the opponent space: Y = (R + G + B) / 3, Cb = 128 + (R − B) /
 * 2, Cr = 128 + (R − 2G + B) / 4.  The opponent space's rows are
 * orthogonal, so RGB's white noise stays white and independent in each
 * plane (as CBM3D uses it): plane by plane, a one-plane model then
 * denoises each with all the noise there is. */
enum {
  VAE_YCC_LIMITED = 0,
  VAE_YCC_FULL = 1,
  VAE_OPPONENT = 2
};
/* The noise per unit of RGB noise σ in each plane of space (4:4:4). */
void vae_space_noise_gains (int space, float gain[3]);

/* Packed 8-bit RGB (pstride bytes a pixel, R, G and B at byte offsets r,
 * g and b) and one of the spaces above, chroma 4:2:0 (sub) or 4:4:4
 * (chroma rows cs bytes apart), each value rounded.  4:2:0 chroma
 * is centre-sited: the mean of each 2 × 2 down, 3/4 and 1/4 of the
 * nearest two samples each way up.  Rows [row0, row1) (row0 even for
 * 4:2:0: a band writes the chroma rows under its luma rows).  Back to
 * RGB, a 4-byte pixel's other byte (x or alpha) is src's (rows src_stride
 * apart; src NULL: left as it is).  Each call needs scratch of
 * VAE_RGB_SCRATCH (w) floats of its own. */
#define VAE_RGB_SCRATCH(w) (9 * ((size_t) (w) + 1))
typedef struct {
  int pstride, r, g, b;
} VaeRgbLayout;
void vae_rgb_to_ycc (const VaeRgbLayout *l, const uint8_t *rgb,
    int rgb_stride, int w, int h, int sub, int space, uint8_t *y, int ys,
    uint8_t *u, uint8_t *v, int cs, int row0, int row1, float *scratch);
void vae_ycc_to_rgb (const VaeRgbLayout *l, const uint8_t *y, int ys,
    const uint8_t *u, const uint8_t *v, int cs, int w, int h, int sub,
    int space, const uint8_t *src, int src_stride, uint8_t *rgb,
    int rgb_stride, int row0, int row1, float *scratch);

/* The fast guided filter (He and Sun): with the denoised luma as the guide
 * I it smooths a chroma plane p where the luma is flat and keeps its edges
 * where the luma has them.  On the half-resolution planes (the means of
 * 2 × 2 squares, the last column and row repeated) a and b fit p ≈ a I + b
 * in each (2r + 1)² window: a = cov(I, p) / (var(I) + eps), b = mean(p) −
 * a mean(I); their means over the same windows come back to full
 * resolution centre-sited (3/4 of the nearer and 1/4 of the next sample
 * each way) as A and B, and dst = A I + B, rounded.  Windows and samples
 * clamp to the planes.  8-bit w × h planes (rows gs, ps, ds bytes apart;
 * dst apart from both); rows [row0, row1) of dst, the same bytes for any
 * split.  scratch: VAE_GUIDED_SCRATCH (w, r) floats. */
#define VAE_GUIDED_CHUNK 32
#define VAE_GUIDED_SCRATCH(w, r) \
  ((8 * ((size_t) VAE_GUIDED_CHUNK / 2 + 3 + 4 * (size_t) (r)) + 8) \
      * (((size_t) (w) + 1) / 2) + 3 * (size_t) (w))
void vae_guided_filter_u8 (const uint8_t *guide, int gs, const uint8_t *p,
    int ps, uint8_t *dst, int ds, int w, int h, int r, float eps, int row0,
    int row1, float *scratch);

/* Robust σ estimate (8-bit units) of white Gaussian noise in a plane: the
 * noise in its flattest blocks, seen through a mask that cancels smooth
 * structure (Immerkær); small planes: vae_estimate_noise_haar_u8. */
float vae_estimate_noise_u8 (const uint8_t *src, int stride, int w, int h);
/* The median absolute deviation of the finest diagonal Haar detail
 * (Donoho).  Texture raises it, but it reads noise that a conversion has
 * low-passed (subsampled chroma) less low than the block estimate does. */
float vae_estimate_noise_haar_u8 (const uint8_t *src, int stride, int w,
    int h);

/* Number of multiply-adds per denoised frame, for GFLOPS figures. */
double vae_denoiser_flops (const VaeDenoiser *d, int w, int h);

/* ------------------------------------------------------------ whitening */

/* ZCA whitening: from n samples of dim values, their mean and W = U (Λ +
 * eps)^(−1/2) Uᵀ (and its inverse), so that W (x − mean) has nearly unit
 * covariance; LAPACK's dsyev does the eigen-decomposition. */
int vae_zca_fit (const float *x, size_t n, int dim, float eps, float *mean,
    float *w, float *w_inv, VaeError *err);
/* x (n, dim) ← W (x − mean) row by row; tmp holds n·dim floats. */
void vae_zca_apply (const float *mean, const float *w, int dim, float *x,
    size_t n, float *tmp);
/* Folds whitening into an AE trained on whitened data (its first layer and
 * linear output), so it takes and returns raw data. */
int vae_model_fold_whitening (VaeModel *m, const float *mean, const float *w,
    const float *w_inv, VaeError *err);

#ifdef __cplusplus
}
#endif
#endif /* VAE_H */
