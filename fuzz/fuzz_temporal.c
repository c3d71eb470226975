/* libFuzzer target: the temporal stage (vae_temporal.h) on scripted frame
 * sequences, and a noise-conditional denoiser on its output.
 *
 * The input is a script: a byte naming a geometry vae_temporal_new must
 * refuse, then caps (frame size 1..80 × 1..64, one plane or three with
 * chroma shifts 0 or 1, chroma planar or interleaved like NV12's and luma
 * of step 1 or 2 in source and destination, stride padding, the
 * denoiser's model, σ, level gain), then ops until the input ends: a frame
 * (the scene shifted plus noise, or pixels straight from the input), a
 * flush, new caps, a new scene, a rectangle painted into it, a new σ or
 * gain.
 *
 * Each frame goes through two VaeTemporal side by side: one in one call
 * (vae_temporal_filter), the other in parts (vae_temporal_match and
 * vae_temporal_blend on their own splits of the block rows, in any order,
 * then vae_temporal_done), each in place or not.  A tiny noise-conditional
 * DAE then denoises the averaged luma under the stage's level map, in fp32
 * and, where the CPU has it, bf16; a flag of the frame gives that
 * denoised luma back as the next frame's reference
 * (vae_temporal_set_reference), another settles it first
 * (vae_temporal_settle, in one call and in parts).  The script runs twice on new objects.
 *
 * Checks beyond no crash and no sanitizer report: planes are allocated to
 * exactly the bytes their geometry allows; both objects give the same
 * bytes, levels and freshness (and settled luma); bytes outside the samples written, chroma
 * planes skipped and the source (when not in place) stay untouched; a
 * fresh frame's output is its input and its levels 1; the first frame
 * after a reset and a frame at σ below 0.5 are fresh; levels are finite,
 * in [0, 1], and at most the gain where below 1; the two runs give the
 * same bytes; sizes out of range are refused with VAE_ERR_ARG (and, once,
 * the largest taken). */
#include "vae.h"
#include "vae_temporal.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_W 80
#define MAX_H 64
#define MAX_OPS 48
#define MAX_PARTS 16

#define CHECK(cond, what) \
  do { if (!(cond)) fail (__LINE__, what); } while (0)

static void
fail (int line, const char *what)
{
  fprintf (stderr, "fuzz_temporal.c:%d: %s\n", line, what);
  abort ();
}

static VaeModel *models[2];     /* noise-input DAEs, patch 4x4 and 3x5 */

typedef struct {
  int w, h, n_planes, sx, sy;
  int lstep[2];                 /* luma step: [source, destination] */
  int inter[2];                 /* chroma interleaved: [source, destination] */
  int pad[2][2];                /* stride padding: [side][luma, chroma] */
  int model;
} Caps;

/* A picture's planes, each in a buffer of exactly stride (rows − 1) plus
 * one row's bytes; interleaved chroma shares buf[1] (U at +0, V at +1); a
 * luma of step 2 leaves every other byte of its rows (as YUY2's). */
typedef struct {
  uint8_t *buf[3];
  size_t len[3];
  VaePlane pl[3];
} Frame;

static int
plane_w (const Caps *c, int p)
{
  return p ? (c->w + c->sx) >> c->sx : c->w;
}

static int
plane_h (const Caps *c, int p)
{
  return p ? (c->h + c->sy) >> c->sy : c->h;
}

static uint8_t *
at (const VaePlane *pl, int x, int y)
{
  return pl->data + (size_t) y * pl->stride + (size_t) x * pl->step;
}

static void
frame_alloc (Frame *f, const Caps *c, int side, uint8_t fill)
{
  memset (f, 0, sizeof (*f));
  f->pl[0] = (VaePlane) { NULL, c->w * c->lstep[side] + c->pad[side][0],
    c->lstep[side]
  };
  f->len[0] = (size_t) f->pl[0].stride * (c->h - 1)
      + (size_t) (c->w - 1) * c->lstep[side] + 1;
  if (c->n_planes == 3) {
    int cw = plane_w (c, 1), ch = plane_h (c, 1);
    if (c->inter[side]) {
      f->pl[1] = (VaePlane) { NULL, 2 * cw + c->pad[side][1], 2 };
      f->pl[2] = f->pl[1];
      f->len[1] = (size_t) f->pl[1].stride * (ch - 1) + 2 * cw;
    } else {
      for (int p = 1; p < 3; p++) {
        f->pl[p] = (VaePlane) { NULL, cw + c->pad[side][1], 1 };
        f->len[p] = (size_t) f->pl[p].stride * (ch - 1) + cw;
      }
    }
  }
  for (int b = 0; b < 3; b++)
    if (f->len[b]) {
      f->buf[b] = malloc (f->len[b]);
      CHECK (f->buf[b] != NULL, "frame");
      memset (f->buf[b], fill, f->len[b]);
    }
  f->pl[0].data = f->buf[0];
  if (c->n_planes == 3) {
    f->pl[1].data = f->buf[1];
    f->pl[2].data = c->inter[side] ? f->buf[1] + 1 : f->buf[2];
  }
}

static void
frame_free (Frame *f)
{
  for (int b = 0; b < 3; b++)
    free (f->buf[b]);
  memset (f, 0, sizeof (*f));
}

static void
frame_copy (Frame *dst, const Frame *src)
{
  for (int b = 0; b < 3; b++)
    if (src->len[b])
      memcpy (dst->buf[b], src->buf[b], src->len[b]);
}

/* The plane byte o of buffer b holds a sample of (-1: padding). */
static int
plane_of (const Frame *f, const Caps *c, int side, int b, size_t o)
{
  size_t x = o % (size_t) f->pl[b ? 1 : 0].stride;
  if (b == 0)
    return x < (size_t) c->w * c->lstep[side] && x % c->lstep[side] == 0
        ? 0 : -1;
  if (c->inter[side])
    return x < (size_t) 2 * plane_w (c, 1) ? 1 + (int) (x & 1) : -1;
  return x < (size_t) plane_w (c, 1) ? b : -1;
}

/* Bytes that are no sample of a plane in mask equal ref's (or fill). */
static void
check_untouched (const Frame *f, const Caps *c, int side, unsigned mask,
    const Frame *ref, uint8_t fill)
{
  for (int b = 0; b < 3; b++)
    for (size_t o = 0; o < f->len[b]; o++) {
      int p = plane_of (f, c, side, b, o);
      if (p < 0 || !(mask & (1u << p)))
        CHECK (f->buf[b][o] == (ref ? ref->buf[b][o] : fill),
            "a byte outside the planes written changed");
    }
}

static uint64_t
hash (uint64_t h, const void *data, size_t n)
{
  const uint8_t *p = data;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

/* One run of the script: the state it builds up. */
typedef struct {
  Caps caps;
  VaeTemporal *t[2];            /* one call; in parts */
  Frame in, src[2], dst[2];
  uint8_t scene[3][MAX_W * MAX_H];
  uint8_t *luma, *den;          /* (h, w) the average's luma; denoised */
  VaeDenoiser *d[2][2];         /* [model][fp32, bf16] */
  float sigma, gain;
  int stale[3];                 /* chroma skipped since the last reset */
  int after_reset;
  unsigned n_frames;
  uint64_t digest;
} Run;

/* 0, near 0.5, up to 65535 and negative (from about 5e8 up the stage's
 * search converts 4σ to int out of range). */
static float
read_sigma (Reader *r)
{
  static const float special[] = { 0.0f, 1e-6f, 0.3f, 0.499f, 0.5f,
    0.501f, 1.0f, 255.0f, 300.0f, 1000.0f, 65535.0f, -1.0f, -300.0f
  };
  unsigned b = take (r, 8);
  if (b < 32)
    return special[b % (sizeof (special) / sizeof (special[0]))];
  return (float) (b - 32) * 0.25f;
}

/* 0.5..4, or a value not above 0 (the stage then takes 1). */
static float
read_gain (Reader *r)
{
  unsigned b = take (r, 8);
  if (b < 3)
    return b == 0 ? 0.0f : b == 1 ? -1.0f : NAN;
  return 0.5f + 3.5f * (float) (b - 3) / 252.0f;
}

static void
make_scene (Run *s, unsigned kind, unsigned seed, Reader *r)
{
  const Caps *c = &s->caps;
  VaeRng g;
  int bsz = 2 + (int) (seed % 7), gx = (int) (seed % 9) - 4;
  int gy = (int) (seed / 9 % 9) - 4;

  vae_rng_seed (&g, seed);
  for (int p = 0; p < c->n_planes; p++)
    for (int y = 0; y < plane_h (c, p); y++)
      for (int x = 0; x < plane_w (c, p); x++) {
        uint8_t *v = &s->scene[p][y * MAX_W + x];
        switch (kind & 3) {
          case 0:                /* random blocks */
            *v = (uint8_t) ((((unsigned) (x / bsz) * 73856093u)
                    ^ ((unsigned) (y / bsz) * 19349663u) ^ (seed + p)
                    * 83492791u) * 2654435761u >> 24);
            break;
          case 1:                /* a random texture */
            *v = (uint8_t) vae_rng_below (&g, 256);
            break;
          case 2:                /* a ramp */
            *v = (uint8_t) (128 + gx * x + gy * y + (int) (seed >> 8));
            break;
          default:               /* the input's */
            *v = (uint8_t) take (r, 8);
        }
      }
}

static void
paint (Run *s, Reader *r)
{
  const Caps *c = &s->caps;
  int x0 = (int) take (r, 8) % c->w, y0 = (int) take (r, 8) % c->h;
  int w = 1 + (int) take (r, 8) % c->w, h = 1 + (int) take (r, 8) % c->h;
  uint8_t v = (uint8_t) take (r, 8);

  for (int p = 0; p < c->n_planes; p++) {
    int sx = p ? c->sx : 0, sy = p ? c->sy : 0;
    for (int y = y0 >> sy; y < (y0 + h) >> sy && y < plane_h (c, p); y++)
      for (int x = x0 >> sx; x < (x0 + w) >> sx && x < plane_w (c, p); x++)
        s->scene[p][y * MAX_W + x] = (uint8_t) (v + 40 * p);
  }
}

static VaeDenoiser *
denoiser (Run *s, int model, int bf16)
{
  if (s->d[model][bf16] == NULL) {
    VaeDenoiseOpts o = vae_denoise_opts_default ();
    VaeError err;
    o.precision = bf16 ? VAE_PRECISION_BF16 : VAE_PRECISION_FP32;
    s->d[model][bf16] = vae_denoiser_new (models[model], MAX_W, MAX_H, &o,
        &err);
    CHECK (s->d[model][bf16] != NULL, "denoiser");
    CHECK (vae_denoiser_precision (s->d[model][bf16]) == o.precision,
        "the denoiser's precision");
  }
  return s->d[model][bf16];
}

static void
caps_free (Run *s)
{
  for (int k = 0; k < 2; k++) {
    vae_temporal_free (s->t[k]);
    s->t[k] = NULL;
    frame_free (&s->src[k]);
    frame_free (&s->dst[k]);
  }
  frame_free (&s->in);
  free (s->luma);
  free (s->den);
  s->luma = s->den = NULL;
}

static void
read_caps (Run *s, Reader *r)
{
  Caps *c = &s->caps;
  unsigned l, pad;

  caps_free (s);
  c->w = 1 + (int) take (r, 8) % MAX_W;
  c->h = 1 + (int) take (r, 8) % MAX_H;
  l = take (r, 8);
  c->n_planes = l & 1 ? 3 : 1;
  c->sx = (l >> 1) & 1;
  c->sy = (l >> 2) & 1;
  c->inter[0] = (l >> 3) & 1;
  c->inter[1] = (l >> 4) & 1;
  c->model = (l >> 5) & 1;
  c->lstep[0] = 1 + ((l >> 6) & 1);
  c->lstep[1] = 1 + ((l >> 7) & 1);
  pad = take (r, 16);
  for (int i = 0; i < 4; i++)
    c->pad[i / 2][i % 2] = (int) (pad >> (4 * i)) & 15;
  s->sigma = read_sigma (r);
  s->gain = read_gain (r);

  for (int k = 0; k < 2; k++) {
    VaeError err;
    s->t[k] = vae_temporal_new (c->w, c->h, c->n_planes, c->sx, c->sy, &err);
    CHECK (s->t[k] != NULL, "vae_temporal_new on valid caps");
    CHECK (vae_temporal_rows (s->t[k]) == (c->h + VAE_TEMPORAL_BLOCK - 1)
        / VAE_TEMPORAL_BLOCK, "vae_temporal_rows");
    vae_temporal_set_level_gain (s->t[k], s->gain);
    frame_alloc (&s->src[k], c, 0, 0x55);
    frame_alloc (&s->dst[k], c, 1, 0xAA);
  }
  frame_alloc (&s->in, c, 0, 0x55);
  s->luma = malloc ((size_t) c->w * c->h);
  s->den = malloc ((size_t) c->w * c->h);
  CHECK (s->luma != NULL && s->den != NULL, "luma");
  memset (s->stale, 0, sizeof (s->stale));
  s->after_reset = 1;
  make_scene (s, 0, (unsigned) (c->w * c->h), r);
}

/* Block rows [0, rows) cut into parts as b says: one part; n bands cut as
 * the element cuts them (empty ones where n > rows); random cuts; a row
 * each between empty parts.  The top bit shuffles their order. */
static int
split (unsigned b, int rows, int *r0, int *r1)
{
  VaeRng g;
  int n = 0;

  CHECK (rows + 2 <= MAX_PARTS, "rows");
  vae_rng_seed (&g, b);
  switch (b & 3) {
    case 0:
      r0[n] = 0;
      r1[n++] = rows;
      break;
    case 1:
      for (int k = 1 + (int) (b >> 2) % 8; n < k; n++) {
        r0[n] = rows * n / k;
        r1[n] = rows * (n + 1) / k;
      }
      break;
    case 2:
      for (int y = 0; y < rows; y = r1[n++]) {
        r0[n] = y;
        r1[n] = y + 1 + (int) vae_rng_below (&g, (uint32_t) (rows - y));
      }
      break;
    default:
      r0[n] = r1[n] = 0;
      n++;
      for (int y = 0; y < rows; y++, n++) {
        r0[n] = y;
        r1[n] = y + 1;
      }
      r0[n] = r1[n] = rows;
      n++;
  }
  if (b & 0x80)
    for (int i = n - 1; i > 0; i--) {
      int j = (int) vae_rng_below (&g, (uint32_t) i + 1), s0 = r0[i],
          s1 = r1[i];
      r0[i] = r0[j];
      r1[i] = r1[j];
      r0[j] = s0;
      r1[j] = s1;
    }
  return n;
}

/* The next frame's input: the scene shifted plus uniform noise, or the
 * script's bytes. */
static void
make_frame (Run *s, Reader *r, int raw)
{
  const Caps *c = &s->caps;
  unsigned shift = raw ? 0 : take (r, 8), noise = raw ? 0 : take (r, 8);
  int dx = (int) (shift & 15) - 8, dy = (int) (shift >> 4) - 8;
  int a = (int) (noise & 63);
  VaeRng g;

  vae_rng_seed (&g, ((uint64_t) s->n_frames << 8) | noise);
  for (int p = 0; p < c->n_planes; p++) {
    int w = plane_w (c, p), h = plane_h (c, p);
    int px = p ? dx / (1 << c->sx) : dx, py = p ? dy / (1 << c->sy) : dy;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        int v;
        if (raw) {
          v = (int) take (r, 8);
        } else {
          int sx = x + px < 0 ? 0 : x + px >= w ? w - 1 : x + px;
          int sy = y + py < 0 ? 0 : y + py >= h ? h - 1 : y + py;
          v = s->scene[p][sy * MAX_W + sx] + (int) vae_rng_below (&g,
              (uint32_t) (2 * a + 1)) - a;
        }
        *at (&s->in.pl[p], x, y) = (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
      }
  }
}

static void
check_levels (Run *s)
{
  const Caps *c = &s->caps;
  int mw[2], mh[2], fresh = vae_temporal_fresh (s->t[0]);
  const float *lv[2];
  float g = s->gain > 0.0f ? s->gain : 1.0f, mean;

  for (int k = 0; k < 2; k++) {
    lv[k] = vae_temporal_levels (s->t[k], &mw[k], &mh[k]);
    CHECK (mw[k] == (c->w + VAE_TEMPORAL_CELL - 1) / VAE_TEMPORAL_CELL
        && mh[k] == (c->h + VAE_TEMPORAL_CELL - 1) / VAE_TEMPORAL_CELL,
        "the level map's size");
  }
  CHECK (vae_temporal_fresh (s->t[1]) == fresh, "parts: another freshness");
  CHECK (!(s->after_reset || s->sigma < 0.5f) || fresh,
      "a frame after a reset or at sigma below 0.5 not fresh");
  CHECK (memcmp (lv[0], lv[1], (size_t) mw[0] * mh[0] * sizeof (float)) == 0,
      "parts: other levels");
  for (int i = 0; i < mw[0] * mh[0]; i++) {
    float l = lv[0][i];
    CHECK (isfinite (l) && l >= 0.0f && l <= 1.0f, "a level outside [0, 1]");
    CHECK (l == 1.0f || l <= g * (1.0f + 1e-5f), "a level above the gain");
    CHECK (!fresh || l == 1.0f, "a fresh frame's level not 1");
  }
  mean = vae_temporal_mean_level (s->t[0]);
  CHECK (isfinite (mean) && mean >= 0.0f && mean <= 1.0f
      && mean == vae_temporal_mean_level (s->t[1]), "the mean level");
  s->digest = hash (s->digest, lv[0], (size_t) mw[0] * mh[0] * sizeof (float));
  s->digest = hash (s->digest, &fresh, sizeof (fresh));
}

static void
frame (Run *s, Reader *r, int raw)
{
  const Caps *c = &s->caps;
  unsigned flags = take (r, 8), sm = take (r, 8), sb = take (r, 8);
  unsigned mask = 1;            /* the planes this frame carries */
  VaePlane src[2][3];
  const Frame *out[2];
  int r0[MAX_PARTS], r1[MAX_PARTS], n, rows = vae_temporal_rows (s->t[1]);

  if (c->n_planes == 3)
    mask |= (flags & 4 ? 0 : 2) | (flags & 8 ? 0 : 4);
  /* a chroma plane skipped before is stale: reset before it is used */
  if (((mask & 2) && s->stale[1]) || ((mask & 4) && s->stale[2])) {
    vae_temporal_reset (s->t[0]);
    vae_temporal_reset (s->t[1]);
    s->after_reset = 1;
    s->stale[1] = s->stale[2] = 0;
  }
  for (int p = 1; p < c->n_planes; p++)
    s->stale[p] |= !(mask & (1u << p));
  make_frame (s, r, raw);
  for (int k = 0; k < 2; k++) {
    frame_copy (&s->src[k], &s->in);
    for (int b = 0; b < 3; b++)
      if (s->dst[k].len[b])
        memset (s->dst[k].buf[b], 0xAA, s->dst[k].len[b]);
    out[k] = (flags >> k) & 1 ? &s->src[k] : &s->dst[k];
    for (int p = 0; p < 3; p++) {
      src[k][p] = s->src[k].pl[p];
      if (!(mask & (1u << p)))
        src[k][p].data = NULL;
    }
  }

  vae_temporal_filter (s->t[0], src[0], out[0]->pl, s->sigma);
  n = split (sm, rows, r0, r1);
  for (int i = 0; i < n; i++)
    vae_temporal_match (s->t[1], src[1], s->sigma, r0[i], r1[i]);
  n = split (sb, rows, r0, r1);
  for (int i = 0; i < n; i++)
    vae_temporal_blend (s->t[1], src[1], out[1]->pl, r0[i], r1[i]);
  vae_temporal_done (s->t[1]);

  check_levels (s);
  for (int p = 0; p < c->n_planes; p++) {
    if (!(mask & (1u << p)))
      continue;
    for (int y = 0; y < plane_h (c, p); y++)
      for (int x = 0; x < plane_w (c, p); x++) {
        uint8_t v = *at (&out[0]->pl[p], x, y);
        CHECK (v == *at (&out[1]->pl[p], x, y), "parts: other bytes");
        CHECK (!vae_temporal_fresh (s->t[0]) || v == *at (&s->in.pl[p], x,
                y), "a fresh frame's output is not its input");
        s->digest = hash (s->digest, &v, 1);
      }
  }
  for (int k = 0; k < 2; k++) {
    if (out[k] == &s->src[k]) {
      check_untouched (&s->src[k], c, 0, mask, &s->in, 0);
    } else {
      check_untouched (&s->dst[k], c, 1, mask, NULL, 0xAA);
      for (int b = 0; b < 3; b++)
        CHECK (s->in.len[b] == 0 || memcmp (s->src[k].buf[b], s->in.buf[b],
                s->in.len[b]) == 0, "the source changed");
    }
  }

  /* the denoiser on the average's luma under its level map */
  for (int y = 0; y < c->h; y++)
    for (int x = 0; x < c->w; x++)
      s->luma[y * c->w + x] = *at (&out[0]->pl[0], x, y);
  for (int bf16 = 0; bf16 < 1 + vae_bf16_supported (); bf16++) {
    VaeDenoiser *d = denoiser (s, c->model, bf16);
    int mw, mh;
    const float *map = vae_temporal_levels (s->t[0], &mw, &mh);
    CHECK (vae_denoiser_set_level_map (d, map, mw, mh, VAE_TEMPORAL_CELL,
            VAE_TEMPORAL_CELL) == VAE_OK, "set the level map");
    CHECK (vae_denoiser_run_u8 (d, s->luma, c->w, s->den, c->w, c->w, c->h,
            0, c->h, s->sigma) == VAE_OK,
        "denoise");
    s->digest = hash (s->digest, s->den, (size_t) c->w * c->h);
  }
  /* the next frame matched against this one denoised, settled or not */
  if ((flags & 48) == 16) {
    VaePlane ref = { s->den, c->w, 1 };
    vae_temporal_set_reference (s->t[0], &ref);
    vae_temporal_set_reference (s->t[1], &ref);
  } else if (flags & 32) {
    /* the luma denoised, the chroma the average's (NULL where skipped) */
    size_t len = (size_t) c->w * c->h;
    VaePlane o[2][3] = { {{s->luma, c->w, 1}}, {{s->den, c->w, 1}} };
    for (int k = 0; k < 2; k++)
      for (int p = 1; p < 3; p++)
        o[k][p] = src[k][p].data ? out[k]->pl[p] : (VaePlane) {
        NULL, 0, 1};
    memcpy (s->luma, s->den, len);
    vae_temporal_settle (s->t[0], o[0], c->n_planes, 0, rows);
    n = split (sm ^ sb, rows, r0, r1);
    for (int i = n - 1; i >= 0; i--)
      vae_temporal_settle (s->t[1], o[1], c->n_planes, r0[i], r1[i]);
    vae_temporal_settle_done (s->t[0]);
    vae_temporal_settle_done (s->t[1]);
    CHECK (memcmp (s->luma, s->den, len) == 0, "settle: parts: other "
        "bytes");
    s->digest = hash (s->digest, s->den, len);
    for (int p = 1; p < c->n_planes; p++)
      for (int y = 0; y < plane_h (c, p) && o[0][p].data; y++)
        for (int x = 0; x < plane_w (c, p); x++) {
          uint8_t v = *at (&o[0][p], x, y);
          CHECK (v == *at (&o[1][p], x, y), "settle: parts: other chroma");
          s->digest = hash (s->digest, &v, 1);
        }
  }
  s->after_reset = 0;
  s->n_frames++;
}

static uint64_t
run_script (Reader r)
{
  static Run s;
  uint64_t digest;

  memset (&s, 0, sizeof (s));
  s.digest = 0xcbf29ce484222325ull;
  read_caps (&s, &r);
  for (int k = 0; k < MAX_OPS && r.n > 0; k++) {
    unsigned op = take (&r, 8) % 12;
    if (op < 5) {
      frame (&s, &r, 0);
    } else if (op == 5) {
      frame (&s, &r, 1);
    } else if (op == 6) {
      vae_temporal_reset (s.t[0]);
      vae_temporal_reset (s.t[1]);
      s.after_reset = 1;
      s.stale[1] = s.stale[2] = 0;
    } else if (op == 7) {
      read_caps (&s, &r);
    } else if (op == 8) {
      unsigned kind = take (&r, 8);
      make_scene (&s, kind, take (&r, 16), &r);
    } else if (op == 9) {
      paint (&s, &r);
    } else if (op == 10) {
      s.sigma = read_sigma (&r);
    } else {
      s.gain = read_gain (&r);
      vae_temporal_set_level_gain (s.t[0], s.gain);
      vae_temporal_set_level_gain (s.t[1], s.gain);
    }
  }
  caps_free (&s);
  for (int m = 0; m < 2; m++)
    for (int b = 0; b < 2; b++)
      vae_denoiser_free (s.d[m][b]);
  digest = s.digest;
  return digest;
}

/* A geometry out of range, as b picks it, is refused. */
static void
check_refused (unsigned b)
{
  static const int sides[] = { 0, -1, 65537, INT_MAX, INT_MIN };
  static const int planes[] = { 0, 2, 4, -1 };
  static const int shifts[] = { -1, 2, 31 };
  int w = 16, h = 16, n = 3, sx = 1, sy = 1;
  VaeTemporal *t;
  VaeError err;

  switch (b % 5) {
    case 0:
      w = sides[b / 5 % 5];
      break;
    case 1:
      h = sides[b / 5 % 5];
      break;
    case 2:
      n = planes[b / 5 % 4];
      break;
    case 3:
      sx = shifts[b / 5 % 3];
      break;
    default:
      sy = shifts[b / 5 % 3];
  }
  memset (&err, 'x', sizeof (err));
  t = vae_temporal_new (w, h, n, sx, sy, &err);
  CHECK (t == NULL && err.status == VAE_ERR_ARG
      && memchr (err.msg, 0, sizeof (err.msg)) != NULL,
      "a geometry out of range not refused with VAE_ERR_ARG");
}

/* The largest sides are taken, and two frames run through. */
static void
check_largest (void)
{
  static const int sizes[2][2] = { {65536, 1}, {1, 65536} };
  for (int i = 0; i < 2; i++) {
    Caps c = { sizes[i][0], sizes[i][1], 3, 1, i, {1, 1}, {0, 1},
      {{0, 0}, {0, 0}}, 0
    };
    VaeError err;
    VaeTemporal *t = vae_temporal_new (c.w, c.h, 3, c.sx, c.sy, &err);
    Frame f, o;
    CHECK (t != NULL, "the largest sides refused");
    frame_alloc (&f, &c, 0, 0x80);
    frame_alloc (&o, &c, 1, 0xAA);
    for (int k = 0; k < 2; k++) {
      vae_temporal_filter (t, f.pl, o.pl, 10.0f);
      CHECK (k || *at (&o.pl[0], c.w - 1, c.h - 1) == 0x80, "a fresh frame");
    }
    frame_free (&f);
    frame_free (&o);
    vae_temporal_free (t);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Reader r = { data, size };
  uint64_t d0, d1;

  if (models[0] == NULL) {
    models[0] = tiny_model (4, 4, 1, 1);
    models[1] = tiny_model (3, 5, 1, 1);
    check_largest ();
  }
  check_refused (take (&r, 8));
  d0 = run_script (r);
  d1 = run_script (r);
  CHECK (d0 == d1, "two runs differ");
  return 0;
}
