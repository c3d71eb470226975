/* Internals shared by the core's files; not installed. */
#ifndef VAE_PRIVATE_H
#define VAE_PRIVATE_H

#include "vae.h"

#include <stdarg.h>

#define VAE_ALIGN 64
#define VAE_MAX_LAYERS (2 * VAE_MAX_HIDDEN + 2)
#define VAE_MAX_META 64

typedef struct {
  int n_in, n_out;
  VaeAct act;
  size_t w_off, b_off;        /* offsets into the parameter arena */
} VaeLayer;

/* 8-bit weights for the denoiser's int8 path (quant.c; the file's quant.*
 * tensors).  Layer l, n_out × k (k: the patch for layer 0, whose level
 * input stays float, else n_in): pre-activation ≈ scale[j] · Σ w[j][i] ·
 * u[i] + bias[j], u the layer's input in 8-bit codes: the pixel values for
 * layer 0, else the previous layer's activations h coded as clamp(round(h /
 * act[j]), 0, 255).  |w| ≤ VAE_QUANT_WMAX, so the products of a pair of
 * codes fit an int16 (the AVX2 kernel's vpmaddubsw). */
#define VAE_QUANT_WMAX 64
typedef struct {
  int n_layers;               /* layers [0, n_layers) have int8 weights: all
                               * of them, or a first few whose output the
                               * float layers after them take as floats */
  int k[VAE_MAX_LAYERS];
  int8_t *w[VAE_MAX_LAYERS];
  float *scale[VAE_MAX_LAYERS], *bias[VAE_MAX_LAYERS];
  float *act[VAE_MAX_LAYERS]; /* layers before the last int8 one */
} VaeQuant;

VaeQuant *vae_quant_new (const VaeModel *m);
void vae_quant_free (VaeQuant *q);
/* NULL, or why the int8 path cannot run this architecture */
const char *vae_quant_unfit (const VaeModel *m);

struct VaeModel {
  VaeConfig cfg;
  VaeQuant *quant;            /* NULL unless quantised */
  int n_layers;
  int n_enc_layers;           /* layers up to and including the code layer */
  VaeLayer layers[VAE_MAX_LAYERS];
  size_t n_params;
  float *params;              /* arena; all four share its layout */
  float *grads;
  float *adam_m;
  float *adam_v;
  float *loss_w;              /* (n_in) per-pixel loss weights, or NULL */
  int n_meta;
  char *meta_key[VAE_MAX_META];
  char *meta_val[VAE_MAX_META];
};

/* Whether the model has int8 weights for its first layers only. */
static inline int
vae_quant_partial (const VaeModel *m)
{
  return m->quant != NULL && m->quant->n_layers < m->n_layers;
}

struct VaeWorkspace {
  int max_batch;
  int training;
  int net_in;
  float *x;                   /* (B, net_in) network input */
  float *act[VAE_MAX_LAYERS]; /* (B, n_out) outputs of each layer */
  float *dact[VAE_MAX_LAYERS];/* (B, n_out) gradients, training only */
  float *dx;                  /* (B, max width) scratch for dL/dx */
  float *z;                   /* (B, K) sampled latent (VAE) */
  float *dz;                  /* (B, K) */
  float *eps;                 /* (B, K) */
  float *tmp;                 /* (B, n_in) */
  float *tmp2;                /* (B, max(n_in, K)) */
  /* convolutional models: every matrix has a row per patch pixel */
  float *col;                 /* (rows of a chunk, max k·k·c_in) im2col */
  float *wflip;               /* a layer's flipped kernel (training) */
  void *block;
  /* bf16 training (vae_workspace_use_bf16): an operand rounded to bf16
   * (rows or pairs of rows) and a packed B, sized for every layer */
  uint16_t *h_a, *h_p;
};

/* Gives a training workspace the bf16 operands' memory: from then on
 * its train steps run every dense product in bf16 (gemm_bf16.c).  Needs
 * AVX512_BF16 and a dense model. */
int vae_workspace_use_bf16 (VaeWorkspace *ws, const VaeModel *m,
    VaeError *err);
void vae_dense_forward_bf16 (VaeWorkspace *ws, float *y, const float *x,
    const float *w, const float *b, int batch, int n_in, int n_out,
    VaeAct act);
/* as vae_dense_backward_set, the products in bf16 */
void vae_dense_backward_set_bf16 (VaeWorkspace *ws, float *dx, float *dw,
    float *db, float *dy, const float *y, const float *x, const float *w,
    int batch, int n_in, int n_out, VaeAct act);

/* Hot elementwise loops get an AVX2 clone where the CPU has one.  ISO C
 * mode keeps FMA contraction off, so every clone rounds alike and the bits
 * do not depend on the CPU. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VAE_AVX2_CLONE __attribute__ ((target_clones ("avx2", "default")))
#else
#define VAE_AVX2_CLONE
#endif

/* y[i] = expf (x[i]), bit for bit, 8 lanes where the CPU has AVX2 and FMA
 * (vmath.c); y may be x. */
void vae_expf_n (float *y, const float *x, size_t n);
int vae_vec_fma_available (void);

/* gemm.c: C += α·A·Bᵀ, or C = bias + α·A·Bᵀ when bias (n) is given, then
 * max(·, 0) if relu; A (m × k, lda), B (n × k, ldb, row-major as the
 * layers store it) packed once. */
typedef enum {
  VAE_GEMM_BLAS = 0,          /* cblas_sgemm on B itself */
  VAE_GEMM_AVX2 = 1,
  VAE_GEMM_AVX512 = 2,
  VAE_GEMM_AMX = 3,           /* int8 (vae_gemm_i8_isa), bf16 training */
} VaeGemmIsa;

typedef struct {
  int n, k, ldb;
  VaeGemmIsa isa;
  const float *b;             /* B itself (the BLAS path) */
  float *p;                   /* packed panels (the kernels) */
  uint16_t *h;                /* bf16 panels (vae_gemm_pack_bf16) */
  int8_t *q;                  /* int8 panels (vae_gemm_pack_i8) */
} VaeGemmB;

/* the CPU's best, or a lesser one named by the environment's VAE_GEMM */
VaeGemmIsa vae_gemm_best_isa (void);

/* The vector loops outside the GEMMs (the temporal stage's kernels, the
 * noise estimate): 0 plain C (VAE_GEMM=blas, or no AVX2 and FMA), 1 SSE2,
 * 2 AVX2.  Read once, with the GEMMs' choices. */
int vae_cpu_simd (void);
/* noise_estimate.c: vae_estimate_noise_u8 on the plain C loop, or with
 * avx2 set on AVX2 (the same result). */
float vae_estimate_noise_u8_isa (const uint8_t *src, int stride, int w,
    int h, int avx2);
/* floats for vae_gemm_pack's buf (64-byte aligned) */
size_t vae_gemm_packed_floats (int n, int k);
void vae_gemm_pack (VaeGemmB *pb, float *buf, const float *b, int n, int k,
    int ldb, VaeGemmIsa isa);
void vae_gemm_run (int m, const float *a, int lda, const VaeGemmB *pb,
    float alpha, float *c, int ldc, int relu, const float *bias);
/* bfloat16 products (AVX512_BF16; gemm_bf16.c tells the layout): whether this
 * CPU has them (and VAE_GEMM names nothing less than AVX-512); B (n × k,
 * ldb) rounded (to nearest even, in vector instructions that flush
 * denormals to zero) and packed into buf of vae_gemm_packed_bf16 ()
 * elements (64-byte aligned); then C (c, float, C + α·A·Bᵀ when bias is NULL) or Ch (ch,
 * bf16, bias + α·A·Bᵀ) for A bf16 (m × k, even lda, zero past k). */
int vae_gemm_bf16_available (void);
size_t vae_gemm_packed_bf16 (int n, int k);
void vae_gemm_pack_bf16 (VaeGemmB *pb, uint16_t *buf, const float *b, int n,
    int k, int ldb);
void vae_gemm_run_bf16 (int m, const uint16_t *a, int lda, const VaeGemmB *pb,
    float alpha, float *c, uint16_t *ch, int ldc, int relu,
    const float *bias);
uint16_t vae_bf16_from_float (float f);
/* The training products in bf16 (AVX512_BF16 only; gemm_bf16.c tells why):
 * rows of src rounded to dst (ldd even, zero in [cols, ldd)); rows of src
 * in pairs, dst's word q·ldd + j = (src[2q][j], src[2q + 1][j]) (zero past
 * rows and cols; ldd words a row, (rows + 1) / 2 rows); srcᵀ by rows (dst
 * cols × ldd, zero in [rows, ldd)); B given n × k or k × n (op(B) = B)
 * packed as vae_gemm_pack_bf16 packs n × k, with k padded to kp (even, ≥ k:
 * vae_gemm_bf16_k (k) takes AMX where vae_gemm_bf16_amx ()); C =
 * α·op(A)·op(B) (accumulate: C +=), A as vae_bf16_rows or vae_bf16_trans
 * give it (lda ≥ kp, zero past k) or, ta (not with AMX): op(A) = Aᵀ given
 * as vae_bf16_pairs' words (lda words a row). */
int vae_gemm_bf16_amx (void);
int vae_gemm_bf16_k (int k);
void vae_bf16_rows (uint16_t *dst, int ldd, const float *src, int lds,
    int rows, int cols);
void vae_bf16_pairs (uint16_t *dst, int ldd, const float *src, int lds,
    int rows, int cols);
void vae_bf16_trans (uint16_t *dst, int ldd, const float *src, int lds,
    int rows, int cols);
void vae_gemm_pack_bf16_nk (VaeGemmB *pb, uint16_t *buf, const float *b,
    int n, int k, int kp, int ldb);
void vae_gemm_pack_bf16_kn (VaeGemmB *pb, uint16_t *buf, const float *b,
    int n, int k, int kp, int ldb);
void vae_gemm_run_bf16_ta (int ta, int m, const uint16_t *a, int lda,
    const VaeGemmB *pb, float alpha, float *c, int ldc, int accumulate);
/* int8 products (gemm_i8.c tells the layout): A 8-bit codes (m × k, lda ≥ k
 * rounded up to 4), B int8 (n × k, ldb, |b| ≤ VAE_QUANT_WMAX) packed into
 * buf of vae_gemm_packed_i8 () bytes (32-byte aligned); acc = A·Bᵀ exact,
 * then C = acc·mult + (add, or C when add is NULL) as floats, or, with c8,
 * the codes clamp(round(acc·mult + add), 0, 255).  AVX512_VNNI or AVX2
 * where the CPU has it (vae_gemm_i8_isa: AMX where the CPU has AMX-INT8
 * and the kernel grants the tiles, AVX512, AVX2), else plain C (BLAS), all
 * with the same bits. */
VaeGemmIsa vae_gemm_i8_isa (void);
size_t vae_gemm_packed_i8 (int n, int k);
void vae_gemm_pack_i8 (VaeGemmB *pb, int8_t *buf, const int8_t *b, int n,
    int k, int ldb);
void vae_gemm_run_i8 (int m, const uint8_t *a, int lda, const VaeGemmB *pb,
    const float *mult, const float *add, float *c, uint8_t *c8, int ldc);
/* C = acc·mult + (x8·xa + add) as floats, x8 (m × n, ldx) codes: a
 * residual output layer, x8 its patches' pixels (add may not be NULL). */
void vae_gemm_run_i8_x (int m, const uint8_t *a, int lda, const VaeGemmB *pb,
    const float *mult, const float *add, const uint8_t *x8, int ldx,
    float xa, float *c, int ldc);
/* vae_gemm_run_i8's float epilogue, then each row i's level term f[i]·w[j]
 * added: into codes c8 (+ ½ truncated, clamped to [0, 255]) or, with c16,
 * ReLU in bf16, without the floats reaching memory.  With c16, f may be
 * NULL: no level term.  On the AVX-512 and
 * AMX kernels only (and bf16 where the CPU has it); 0 where it cannot, and
 * the caller takes the two steps, which give the same bits. */
int vae_gemm_run_i8_level (int m, const uint8_t *a, int lda,
    const VaeGemmB *pb, const float *mult, const float *add, const float *f,
    const float *w, uint8_t *c8, uint16_t *c16, int ldc);
float vae_bf16_to_float (uint16_t h);
/* cblas_sgemm (row-major; ta, tb: 1 = transposed) on the same kernels,
 * B packed per call into the thread's own buffer (allocated once, as it
 * grows); OpenBLAS itself for β other than 0 and 1, n < 8 or without a
 * kernel. */
void vae_sgemm (int ta, int tb, int m, int n, int k, float alpha,
    const float *a, int lda, const float *b, int ldb, float beta, float *c,
    int ldc);
/* vae_dense_backward writing dL/dW into dw instead of adding it (dL/db is
 * still added): for a pass whose gradients start at zero and meet each
 * layer once, where it saves the kernels reading dw (the same bits). */
void vae_dense_backward_set (float *dx, float *dw, float *db, float *dy,
    const float *y, const float *x, const float *w, int batch, int n_in,
    int n_out, VaeAct act);
/* C = bias (n floats, broadcast over the rows) + A·op(B), then max(·, 0) if
 * relu: the same bits as C filled with bias and vae_sgemm with β = 1, then
 * the ReLU, in one pass. */
void vae_sgemm_bias (int tb, int m, int n, int k, const float *a, int lda,
    const float *b, int ldb, const float *bias, int relu, float *c, int ldc);


int vae_set_error (VaeError *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

void *vae_aligned_alloc (size_t bytes);
void vae_aligned_free (void *p);

/* Layer l's n_in and n_out for a validated configuration; returns the
 * number of layers, and in *n_enc (may be NULL) those up to the code layer. */
int vae_config_layer_dims (const VaeConfig *c, int *n_in, int *n_out,
    int *n_enc);

/* size_t multiply with overflow check; returns 0 on overflow. */
int vae_mul_ok (size_t a, size_t b, size_t *out);

/* Runs the network from ws->x through layers [l0, l1), writing ws->act. */
void vae_net_forward (const VaeModel *m, VaeWorkspace *ws, const float *in,
    int batch, int l0, int l1);

/* Fills ws->x with x normalised and, for noise-conditional models, the
 * level feature: levels[i] (data units) per sample, or `level` when levels
 * is NULL. */
void vae_load_input (const VaeModel *m, VaeWorkspace *ws, const float *x,
    int batch, const float *levels, float level);

/* Per-sample reconstruction NLL of one network output row. */
float vae_rec_nll (const VaeModel *m, const float *y, const float *x_target,
    const float *x_norm_in, int net_in);

/* A convolutional model reads its plane in blocks of bw × bh values, one
 * block per position of its feature map, plane q = bw·dy + dx of the
 * block: 1 × 1 for a one-plane model; 2 × 3 for a colour model's
 * interleaved 4:2:0 plane (vae.h), whose blocks hold four luma pixels, Cb
 * and Cr (6 planes, half the luma resolution).  Returns the planes. */
static inline int
vae_conv_block (const VaeConfig *c, int *bw, int *bh)
{
  *bw = c->colour ? 2 : 1;
  *bh = c->colour ? 3 : 1;
  return *bw * *bh;
}

/* The feature map of a training patch: h × w positions. */
static inline int
vae_conv_map (const VaeConfig *c, int *h, int *w)
{
  int bw, bh, planes = vae_conv_block (c, &bw, &bh);
  *h = c->img_h / bh;
  *w = c->img_w / bw;
  return planes;
}

/* The patch index of plane q at position p of a patch's map, w positions
 * wide. */
static inline size_t
vae_conv_index (const VaeConfig *c, int w, size_t p, int q)
{
  int bw, bh;
  size_t y = p / (size_t) w, x = p % (size_t) w;
  vae_conv_block (c, &bw, &bh);
  return ((size_t) bh * y + (size_t) (q / bw)) * (size_t) c->img_w
      + (size_t) bw * x + (size_t) (q % bw);
}

/* Rows of im2col per GEMM in convolutional training (a block of a few MiB,
 * still in cache when its GEMM reads it): whole patches, at least one. */
#define VAE_CONV_CHUNK_ROWS 4096
static inline int
vae_conv_chunk (int patch_pixels)
{
  return VAE_CONV_CHUNK_ROWS / patch_pixels > 1
      ? VAE_CONV_CHUNK_ROWS / patch_pixels : 1;
}

/* Convolutional models (conv.c), NHWC maps: im2col rows (n·h·w, k·k·c)
 * of 'same' zero-padded k×k neighbourhoods. */
void vae_im2col (const float *x, int n, int h, int w, int c, int k,
    float *col);
/* Inference on one plane.  The layers' weights repacked as (k·k·c_in,
 * c_out) each, one after the other (vae_conv_repack_floats () floats);
 * then the network on one h × w map: `in` holds the input channels with a
 * border of k/2 (its interior filled, the border is zeroed here), a and b
 * are scratch maps of (h + k − 1)(w + k − 1) · width floats, col holds
 * (w, k·k·width) im2col rows, out gets the (h · w) output. */
size_t vae_conv_repack_floats (const VaeModel *m);
void vae_conv_repack (const VaeModel *m, float *wr);
void vae_conv_plane_forward (const VaeModel *m, const float *wr, float *in,
    int h, int w, float *a, float *b, float *col, float *out);
/* The kernel of the adjoint convolution: w (c_out, k, k, c_in) flipped in
 * space, channels swapped, into wt (c_in, k, k, c_out). */
void vae_conv_flip_weights (const float *w, int k, int c_in, int c_out,
    float *wt);
/* The network on the batch's input channels in ws->x, every layer's
 * output into ws->act. */
void vae_conv_forward (const VaeModel *m, VaeWorkspace *ws, int batch);
/* The input channels of n planes of `per` pixels (data units): the
 * normalised plane, then the level (levels[i], or level) when
 * noise-conditional. */
void vae_conv_load_input (const VaeModel *m, const float *x, int n, int per,
    const float *levels, float level, float *dst);
/* loss_grad for a convolutional model: gradients into grads (zeroed
 * first), each divided by norm_batch; returns the summed NLL. */
double vae_conv_loss_grad (VaeModel *m, VaeWorkspace *ws, float *grads,
    const float *x_in, const float *x_target, const float *level, int batch,
    int norm_batch);

/* Normalisation between data units [0,1] and network units. */
static inline float
vae_norm (const VaeConfig *c, float x)
{
  return (x - c->norm_mean) / c->norm_scale;
}

/* One of the 8 symmetries of an h × w grid (t: bit 0 transposes, bit 1
 * flips rows, bit 2 flips columns): the source cell (*sy, *sx) of cell
 * (i, j) of the transformed grid, which is w × h when t transposes.  Used
 * for patch augmentation and the denoiser's self-ensemble. */
static inline void
vae_sym_src (int t, int h, int w, int i, int j, int *sy, int *sx)
{
  int a = i, b = j;
  if (t & 1) {
    a = j;
    b = i;
  }
  if (t & 2)
    a = h - 1 - a;
  if (t & 4)
    b = w - 1 - b;
  *sy = a;
  *sx = b;
}

/* n floats to bytes, rounded (half up) and clipped to [0, 255], in a
 * form the compiler vectorises. */
static inline void
vae_floats_to_u8 (const float *v, uint8_t *o, int n)
{
  for (int x = 0; x < n; x++) {
    float f = v[x] + 0.5f;
    f = f > 0.0f ? f : 0.0f;
    f = f < 255.0f ? f : 255.0f;
    o[x] = (uint8_t) (int) f;
  }
}

#endif
