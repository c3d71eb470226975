/* Motion-compensated recursive averaging (vae_temporal.h tells the
 * method). */
#include "vae_temporal.h"
#include "vae_private.h"
#include "temporal_kernels.h"
#include "temporal_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert (CELL == 4, "blend_plane finds a sample's cell by a shift");
#define RANGE_Q 4               /* the quarter-resolution search: ±16 px */
#define RANGE_H 2               /* then half resolution, ±2 half pixels */
_Static_assert (RANGE_H <= RANGE_Q, "search () sizes its grid by RANGE_Q");
#define RANGE_F 1               /* then full resolution, ±1 pixel */
#define PREFETCH 64             /* pixels ahead, when copying blocks */
#define REFINE_STEPS 4          /* at most, each */
#define MEMO (2 * (REFINE_STEPS * RANGE_F + 1) + 1)     /* the sums the
                                                         * refinement and
                                                         * parabola read */
/* a cell agrees with the average up to a mean absolute difference of
 * AGREE times what noise alone gives, and starts afresh from FRESH times;
 * more than CUT of the cells afresh is a cut */
#define AGREE 1.25f
#define FRESH 2.0f
#define CUT 0.5f
/* the most frames a cell averages: still, and where the block moved (each
 * frame's shift then blurs the average a little: 2 is best on flower and
 * Foreman) */
#define N_MAX 16.0f
#define N_MAX_MOVING 2.0f
#define LAMBDA 4.0f
/* matched against the caller's denoised frame (vae_temporal_set_reference)
 * the motion is surer: a lower lambda and a little more averaging where it
 * moves (a sweep on flower, Foreman and the 1080p street clip) */
#define N_MAX_MOVING_CLEAN 2.25f
#define LAMBDA_CLEAN 2.0f
/* and a block whose best predictor's sum is within FITS times what the
 * frame's noise alone gives skips the search (a quarter of the matching
 * time on the 1080p street clip, PSNR within ±0.02 dB) */
#define FITS 1.2f
/* motion that varies by more than SHEAR_LO pixels between neighbouring
 * blocks lowers the weight of their prediction, fully by SHEAR_HI (a
 * sweep on flower, Foreman and the 1080p street clip; the street's
 * forward motion lost to per-frame denoising without it) */
#define SHEAR_LO 4.0f
#define SHEAR_HI 12.0f             /* the cost of a pixel of shift, per unit σ */
/* half a pixel where a parabola through three sums puts the minimum
 * beyond this far from the whole pixel */
#define HALF_AT 0.35f
#define MAX_SIDE 65536
#define MAX_SIGMA 1000.0f       /* 8-bit units: far above any real noise */

/* A block's sum of absolute differences. */
static int
sad (const VaeTemporal *t, const uint8_t *a, int as, const uint8_t *b,
    int bs, int w, int h)
{
  return vae_tk_sad (t->simd, a, as, b, bs, w, h);
}

VaeTemporal *
vae_temporal_new (int w, int h, int n_planes, int shift_x, int shift_y,
    VaeError *err)
{
  VaeTemporal *t;
  size_t cells, px;

  if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE
      || (n_planes != 1 && n_planes != 3) || shift_x < 0 || shift_x > 1
      || shift_y < 0 || shift_y > 1) {
    vae_set_error (err, VAE_ERR_ARG, "cannot average %dx%d frames of %d "
        "planes (chroma shifts %d, %d)", w, h, n_planes, shift_x, shift_y);
    return NULL;
  }
  t = calloc (1, sizeof (*t));
  if (t == NULL)
    goto nomem;
  t->w = w;
  t->h = h;
  t->n_planes = n_planes;
  t->sx = shift_x;
  t->sy = shift_y;
  t->simd = vae_cpu_simd ();
  t->gain = 1.0f;
  t->settle_scale = 1.0f;
  t->hw = w / 2;
  t->hh = h / 2;
  t->qw = t->hw / 2;
  t->qh = t->hh / 2;
  t->bw = (w + BLOCK - 1) / BLOCK;
  t->bh = (h + BLOCK - 1) / BLOCK;
  t->gw = (w + CELL - 1) / CELL;
  t->gh = (h + CELL - 1) / CELL;
  cells = (size_t) t->gw * t->gh;
  px = (size_t) w * h;
  for (int p = 0; p < n_planes; p++) {
    t->pw[p] = p ? (w + shift_x) >> shift_x : w;
    t->ph[p] = p ? (h + shift_y) >> shift_y : h;
    for (int i = 0; i < 2; i++) {
      t->acc[p][i] = malloc ((size_t) t->pw[p] * t->ph[p]
          * sizeof (uint16_t));
      t->dref[p][i] = calloc ((size_t) t->pw[p] * t->ph[p], 1);
      if (t->acc[p][i] == NULL || t->dref[p][i] == NULL)
        goto nomem;
    }
  }
  t->ref = malloc (px);
  /* zeroed: the grid kernel reads the padding (for shifts it drops) */
  t->href = calloc ((size_t) t->hw * t->hh + VAE_TK_GRID_READ, 1);
  t->qref = calloc ((size_t) t->qw * t->qh + VAE_TK_GRID_READ, 1);
  t->mv = calloc ((size_t) t->bw * t->bh * 2, sizeof (int));
  t->mv_last = calloc ((size_t) t->bw * t->bh * 2, sizeof (int));
  t->ratio = malloc (cells * sizeof (float));
  t->bias = calloc ((size_t) t->bw * t->bh, sizeof (float));
  t->shear = calloc ((size_t) t->bw * t->bh, sizeof (float));
  t->from = malloc (cells * sizeof (int));
  t->alpha = malloc (cells * sizeof (int16_t));
  t->level = malloc (cells * sizeof (float));
  t->n_fresh = calloc ((size_t) t->bh, sizeof (int));
  for (int i = 0; i < 2; i++) {
    t->var[i] = malloc (cells * sizeof (float));
    if (t->var[i] == NULL)
      goto nomem;
  }
  if (!t->ref || !t->href || !t->qref || !t->mv || !t->mv_last || !t->ratio || !t->bias || !t->shear || !t->from || !t->alpha
      || !t->level || !t->n_fresh)
    goto nomem;
  for (size_t c = 0; c < cells; c++)
    t->level[c] = 1.0f;
  t->fresh = 1;
  return t;

nomem:
  vae_temporal_free (t);
  vae_set_error (err, VAE_ERR_NOMEM, "cannot allocate the temporal state "
      "of %dx%d frames", w, h);
  return NULL;
}

void
vae_temporal_free (VaeTemporal *t)
{
  if (t == NULL)
    return;
  for (int p = 0; p < 3; p++)
    for (int i = 0; i < 2; i++) {
      free (t->acc[p][i]);
      free (t->dref[p][i]);
    }
  for (int i = 0; i < 2; i++) {
    free (t->var[i]);
  }
  free (t->ref);
  free (t->href);
  free (t->qref);
  free (t->mv);
  free (t->mv_last);
  free (t->ratio);
  free (t->bias);
  free (t->shear);
  free (t->from);
  free (t->alpha);
  free (t->level);
  free (t->n_fresh);
  free (t);
}

void
vae_temporal_set_level_gain (VaeTemporal *t, float gain)
{
  t->gain = gain > 0.0f ? gain : 1.0f;
}

void
vae_temporal_set_settle_scale (VaeTemporal *t, float scale)
{
  t->settle_scale = scale > 0.0f ? scale : 1.0f;
}

void
vae_temporal_reset (VaeTemporal *t)
{
  if (t == NULL)
    return;
  t->valid = 0;
  t->feedback = 0;
  t->cfeedback = 0;
}

int
vae_temporal_rows (const VaeTemporal *t)
{
  return t->bh;
}

/* ------------------------------------------------------------- matching */

/* Row y of src luma, columns [x0, x1), into out (contiguous). */
static const uint8_t *
luma_row (const VaePlane *src, int y, int x0, int x1, uint8_t *out)
{
  const uint8_t *r = src->data + (size_t) y * src->stride;
  if (src->step == 1)
    return r + x0;
  for (int x = x0; x < x1; x++)
    out[x - x0] = r[(size_t) x * src->step];
  return out;
}

/* 2 × 2 means of a w × h block (w, h even) into (w / 2, h / 2). */
static void
halve (const VaeTemporal *t, const uint8_t *src, int ss, int w, int h,
    uint8_t *dst, int ds)
{
  vae_tk_halve (t->simd, src, ss, w, h, dst, ds);
}

/* The best shift of block b (bw × bh, rows bs apart) into ref (w × h) at
 * (x0, y0), within ±r of the centre (cx, cy): sum of absolute differences
 * plus lambda per pixel away from the centre, which keeps blocks the noise
 * cannot place (flat ones) at the coarser level's guess.  Ties keep the
 * first, the centre. */
static void
search (const VaeTemporal *t, const uint8_t *b, int bs, int bw, int bh,
    const uint8_t *ref, int w, int h, int x0, int y0, int cx, int cy, int r,
    int lambda, int *v)
{
  /* the shifts that keep the block in the plane */
  int dx0 = MAX (cx - r, -x0), dx1 = MIN (cx + r, w - bw - x0);
  int dy0 = MAX (cy - r, -y0), dy1 = MIN (cy + r, h - bh - y0);
  int best = -1, nx = dx1 - dx0 + 1, ny = dy1 - dy0 + 1;
  int grid[(2 * RANGE_Q + 1) * (2 * RANGE_Q + 1)];

  v[0] = v[1] = 0;
  if (nx < 1 || ny < 1)
    return;
  vae_tk_sad_grid (t->simd, b, bs, ref + (size_t) (y0 + dy0) * w + x0
      + dx0, w, bw, bh, nx, ny, grid);
  /* the centre first, then row by row */
  if (cx >= dx0 && cx <= dx1 && cy >= dy0 && cy <= dy1) {
    best = grid[(cy - dy0) * nx + cx - dx0];
    v[0] = cx;
    v[1] = cy;
  }
  for (int dy = dy0; dy <= dy1; dy++)
    for (int dx = dx0; dx <= dx1; dx++) {
      int c = grid[(dy - dy0) * nx + dx - dx0]
          + lambda * (abs (dx - cx) + abs (dy - cy));
      if (best < 0 || c < best) {
        best = c;
        v[0] = dx;
        v[1] = dy;
      }
    }
}

/* The median of n values (n ≤ 5; 0 for none). */
static int
median (int *a, int n)
{
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
      int s = a[j];
      a[j] = a[j - 1];
      a[j - 1] = s;
    }
  return n ? a[n / 2] : 0;
}

/* Whether v is one of the first n candidates: a shift's cost is the same
 * each time, so a repeat (a pan gives one vector six times) never wins. */
static int
listed (int (*cand)[2], int n, const int *v)
{
  for (int k = 0; k < n; k++)
    if (cand[k][0] == v[0] && cand[k][1] == v[1])
      return 1;
  return 0;
}

/* The average's luma (rounded) under the block shifted by hv half pixels,
 * bilinear between pixels, into pred (rows BLOCK apart). */
static void
predict_block (const VaeTemporal *t, int x0, int y0, int bw, int bh,
    const int *hv, uint8_t *pred)
{
  const uint8_t *r = t->ref + (size_t) (y0 + (hv[1] >> 1)) * t->w + x0
      + (hv[0] >> 1);
  vae_tk_predict (t->simd, r, t->w, hv[0] & 1, hv[1] & 1, bw, bh, pred);
}

/* The cost of shift v for the block at (x0, y0), bw × bh: its sum of
 * absolute differences against the reference (the average without one)
 * plus lambda per pixel away from p; -1 where the shifted block leaves the
 * plane. */
static int
cost_of (const VaeTemporal *t, const uint8_t *blk, int bs, int x0, int y0,
    int bw, int bh, const int *v, const int *p, int lambda)
{
  const uint8_t *r = t->feedback ? t->dref[0][t->dcur] : t->ref;

  if (x0 + v[0] < 0 || x0 + v[0] + bw > t->w || y0 + v[1] < 0
      || y0 + v[1] + bh > t->h)
    return -1;
  return sad (t, blk, bs, r + (size_t) (y0 + v[1]) * t->w + x0 + v[0],
      t->w, bw, bh) + lambda * (abs (v[0] - p[0]) + abs (v[1] - p[1]));
}

/* cost_of () without the lambda term, kept in memo: a MEMO × MEMO window
 * of shifts centred on o (-2 for not yet taken). */
static int
memo_sad (const VaeTemporal *t, const uint8_t *blk, int bs, int x0, int y0,
    int bw, int bh, const int *v, const int *o, int *memo)
{
  static const int zero[2] = { 0, 0 };
  int i = v[0] - o[0] + MEMO / 2, j = v[1] - o[1] + MEMO / 2;
  if (i < 0 || i >= MEMO || j < 0 || j >= MEMO)
    return cost_of (t, blk, bs, x0, y0, bw, bh, v, zero, 0);
  if (memo[j * MEMO + i] == -2)
    memo[j * MEMO + i] = cost_of (t, blk, bs, x0, y0, bw, bh, v, zero, 0);
  return memo[j * MEMO + i];
}

/* Block (bx, by)'s vector, the cheapest of: zero, the block's and its four
 * neighbours' last vectors, and a search at quarter resolution refined at
 * half resolution (whole blocks where the smaller planes hold them; fine
 * textures vanish there, so the predictors carry those blocks; skipped
 * where a predictor fits a denoised reference within FITS times the
 * noise); then refined by steps of one pixel while that lowers the cost.
 * Each pixel away from the neighbourhood's last motion costs LAMBDA σ
 * (LAMBDA_CLEAN against a denoised reference), so blocks the noise cannot
 * place (flat ones) move with their neighbours. */
static void
match_block (VaeTemporal *t, const uint8_t *blk, int bs, int bx, int by,
    float sigma, int *v)
{
  int x0 = bx * BLOCK, y0 = by * BLOCK;
  int bw = MIN (BLOCK, t->w - x0), bh = MIN (BLOCK, t->h - y0);
  int centre[2] = { 0, 0 };
  int cand[6][2], n = 0, best = -1, lambda = MAX (1,
      (int) (sigma * (t->feedback ? LAMBDA_CLEAN : LAMBDA)));

  cand[n][0] = cand[n][1] = 0;
  n++;
  for (int k = 0; k < 5; k++) {
    static const int nb[5][2] = { {0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1} };
    int x = bx + nb[k][0], y = by + nb[k][1];
    if (x < 0 || x >= t->bw || y < 0 || y >= t->bh)
      continue;
    cand[n][0] = t->mv_last[((size_t) y * t->bw + x) * 2] >> 1;
    cand[n][1] = t->mv_last[((size_t) y * t->bw + x) * 2 + 1] >> 1;
    n++;
  }
  int searchable = bw == BLOCK && bh == BLOCK && (x0 + BLOCK) / 2 <= t->hw
      && (y0 + BLOCK) / 2 <= t->hh;
  /* the costs count pixels away from the neighbourhood's last vector (the
   * component-wise median of the block's and its neighbours'), so a still
   * scene stays still and a pan pans */
  {
    int xs[5], ys[5], m = n - 1;
    for (int k = 0; k < m; k++) {
      xs[k] = cand[1 + k][0];
      ys[k] = cand[1 + k][1];
    }
    centre[0] = median (xs, m);
    centre[1] = median (ys, m);
  }
  v[0] = v[1] = 0;
  for (int k = 0; k < n; k++) {
    int c;
    if (listed (cand, k, cand[k]))
      continue;
    c = cost_of (t, blk, bs, x0, y0, bw, bh, cand[k], centre, lambda);
    if (c >= 0 && (best < 0 || c < best)) {
      best = c;
      v[0] = cand[k][0];
      v[1] = cand[k][1];
    }
  }
  /* against a denoised reference a predictor that fits within the noise
   * needs no search */
  if (searchable && t->feedback && best >= 0) {
    int raw = best - lambda * (abs (v[0] - centre[0]) + abs (v[1]
            - centre[1]));
    searchable = (float) raw > FITS * MEAN_ABS * sigma * (float) (BLOCK
        * BLOCK);
  }
  if (searchable) {
    uint8_t hb[(BLOCK / 2) * (BLOCK / 2)], qb[(BLOCK / 4) * (BLOCK / 4)];
    int c[2] = { 0, 0 }, u[2], cs;
    halve (t, blk, bs, BLOCK, BLOCK, hb, BLOCK / 2);
    halve (t, hb, BLOCK / 2, BLOCK / 2, BLOCK / 2, qb, BLOCK / 4);
    if ((x0 + BLOCK) / 4 <= t->qw && (y0 + BLOCK) / 4 <= t->qh) {
      search (t, qb, BLOCK / 4, BLOCK / 4, BLOCK / 4, t->qref, t->qw, t->qh,
          x0 / 4, y0 / 4, 0, 0, RANGE_Q, MAX (1, (int) (sigma / 2.0f)), c);
      c[0] *= 2;
      c[1] *= 2;
    }
    search (t, hb, BLOCK / 2, BLOCK / 2, BLOCK / 2, t->href, t->hw, t->hh,
        x0 / 2, y0 / 2, c[0], c[1], RANGE_H, MAX (1, (int) (2.0f * sigma)),
        c);
    u[0] = 2 * c[0];
    u[1] = 2 * c[1];
    if (!listed (cand, n, u)) {
      cs = cost_of (t, blk, bs, x0, y0, bw, bh, u, centre, lambda);
      if (cs >= 0 && (best < 0 || cs < best)) {
        best = cs;
        v[0] = u[0];
        v[1] = u[1];
      }
    }
  }
  /* the refinement and the parabola read the sums around the winner, many
   * twice: each is taken once */
  int o[2] = { v[0], v[1] }, memo[MEMO * MEMO];
  for (int i = 0; i < MEMO * MEMO; i++)
    memo[i] = -2;
  for (int step = 0; step < REFINE_STEPS && best >= 0; step++) {
    int c0[2] = { v[0], v[1] }, moved = 0;
    for (int dy = -RANGE_F; dy <= RANGE_F; dy++)
      for (int dx = -RANGE_F; dx <= RANGE_F; dx++) {
        int u[2] = { c0[0] + dx, c0[1] + dy }, c;
        if (dx == 0 && dy == 0)
          continue;
        c = memo_sad (t, blk, bs, x0, y0, bw, bh, u, o, memo);
        if (c >= 0)
          c += lambda * (abs (u[0] - centre[0]) + abs (u[1] - centre[1]));
        if (c >= 0 && c < best) {
          best = c;
          v[0] = u[0];
          v[1] = u[1];
          moved = 1;
        }
      }
    if (!moved)
      break;
  }
  /* half a pixel further where the sums of the pixels either side say the
   * minimum lies nearer the half than the whole pixel (a parabola through
   * three sums: comparing against interpolated pixels would favour them,
   * as interpolation halves their noise) */
  {
    int hv[2] = { 2 * v[0], 2 * v[1] };
    for (int a = 0; a < 2 && best >= 0; a++) {
      int um[2] = { v[0] - !a, v[1] - a }, up[2] = { v[0] + !a, v[1] + a };
      int s0 = memo_sad (t, blk, bs, x0, y0, bw, bh, v, o, memo);
      int sm = memo_sad (t, blk, bs, x0, y0, bw, bh, um, o, memo);
      int sp = memo_sad (t, blk, bs, x0, y0, bw, bh, up, o, memo);
      float curv = (float) (sm + sp - 2 * s0), off;
      if (sm < 0 || sp < 0 || curv <= 0.0f)
        continue;
      off = 0.5f * (float) (sm - sp) / curv;
      if (off > HALF_AT)
        hv[a]++;
      else if (off < -HALF_AT)
        hv[a]--;
    }
    v[0] = hv[0];
    v[1] = hv[1];
    if (!vae_temporal_half_fits (t, x0, y0, bw, bh, v)) {
      v[0] = 2 * (v[0] >> 1);
      v[1] = 2 * (v[1] >> 1);
    }
  }
}

void
vae_temporal_match (VaeTemporal *t, const VaePlane *src, float sigma,
    int r0, int r1)
{
  uint8_t blk[BLOCK * BLOCK], pred[BLOCK * BLOCK];

  /* NaN and levels below 0.5 start afresh; absurd ones are capped so the
   * costs stay in range */
  sigma = !(sigma >= 0.5f) ? 0.0f : sigma < MAX_SIGMA ? sigma : MAX_SIGMA;
  if (r0 == 0)
    t->sigma = sigma;
  for (int by = r0; by < r1; by++) {
    int fresh = 0;
    for (int bx = 0; bx < t->bw; bx++) {
      int x0 = bx * BLOCK, y0 = by * BLOCK;
      int bw = MIN (BLOCK, t->w - x0), bh = MIN (BLOCK, t->h - y0);
      int *v = t->mv + ((size_t) by * t->bw + bx) * 2;

      if (!t->valid || sigma < 0.5f)
        continue;
      for (int y = 0; y < bh; y++) {
        const uint8_t *r = luma_row (src, y0 + y, x0, x0 + bw,
            blk + y * BLOCK);
        if (x0 + PREFETCH < t->w)       /* the frame is new to the caches */
          __builtin_prefetch (src->data + (size_t) (y0 + y) * src->stride
              + (size_t) (x0 + PREFETCH) * src->step);
        if (r != blk + y * BLOCK)
          memcpy (blk + y * BLOCK, r, (size_t) bw);
      }
      double ssd = 0.0, vsum = 0.0;
      int npx = 0, csad[16], cssd[16];
      match_block (t, blk, BLOCK, bx, by, sigma, v);
      predict_block (t, x0, y0, bw, bh, v, pred);
      if (bw < BLOCK || bh < BLOCK)     /* pixels outside count nothing */
        for (int y = 0; y < BLOCK; y++)
          for (int x = 0; x < BLOCK; x++)
            if (x >= bw || y >= bh)
              blk[y * BLOCK + x] = pred[y * BLOCK + x] = 0;
      vae_tk_cell_sums (t->simd, blk, pred, 4, 4, csad, cssd);
      /* each cell against the average along v: the cells gathered, their
       * ratios in loops that vectorise, then taken in order */
      int n = 0, ck[16], cf[16], area[16];
      size_t cc[16];
      float cv[16], ce[16], cr[16];
      for (int gy = y0 / CELL; gy < (y0 + bh + CELL - 1) / CELL; gy++)
        for (int gx = x0 / CELL; gx < (x0 + bw + CELL - 1) / CELL; gx++) {
          int cx0 = gx * CELL, cy0 = gy * CELL;
          int fx = MIN ((2 * cx0 + v[0] + CELL) / (2 * CELL), t->gw - 1);
          int fy = MIN ((2 * cy0 + v[1] + CELL) / (2 * CELL), t->gh - 1);
          area[n] = MIN (CELL, t->w - cx0) * MIN (CELL, t->h - cy0);
          cc[n] = (size_t) gy * t->gw + gx;
          cf[n] = fy * t->gw + fx;
          ck[n] = (cy0 - y0) / CELL * 4 + (cx0 - x0) / CELL;
          cv[n] = t->var[t->cur][cf[n]];
          n++;
        }
      for (int i = 0; i < n; i++)
        ce[i] = MEAN_ABS * sqrtf (sigma * sigma + cv[i]) * (float) area[i];
      for (int i = 0; i < n; i++)
        cr[i] = (float) csad[ck[i]] / ce[i];
      for (int i = 0; i < n; i++) {
        t->ratio[cc[i]] = cr[i];
        t->from[cc[i]] = cf[i];
        fresh += cr[i] >= FRESH;
        if (cr[i] < FRESH) {
          ssd += cssd[ck[i]];
          vsum += (double) cv[i] * area[i];
          npx += area[i];
        }
      }
      /* beyond two standard deviations of what noise alone gives */
      t->bias[(size_t) by * t->bw + bx] = npx ? (float) fmax (0.0, (ssd
              - vsum * (1.0 + 2.0 * sqrt (2.0 / npx))) / npx
          - (double) sigma * sigma * (1.0 + 2.0 * sqrt (2.0 / npx))) : 0.0f;
    }
    t->n_fresh[by] = fresh;
  }
}

/* -------------------------------------------------------------- blending */

/* How much block (bx, by)'s vector differs from its neighbours', the
 * largest city-block distance, in pixels. */
static float
shear (const VaeTemporal *t, int by, int bx)
{
  static const int nb[4][2] = { {-1, 0}, {1, 0}, {0, -1}, {0, 1} };
  const int *v = t->mv + ((size_t) by * t->bw + bx) * 2;
  int d = 0;
  for (int k = 0; k < 4; k++) {
    int x = bx + nb[k][0], y = by + nb[k][1];
    const int *u;
    if (x < 0 || x >= t->bw || y < 0 || y >= t->bh)
      continue;
    u = t->mv + ((size_t) y * t->bw + x) * 2;
    d = MAX (d, abs (v[0] - u[0]) + abs (v[1] - u[1]));
  }
  return 0.5f * (float) d;      /* half pixels to pixels */
}

/* fminf (1, x), NaN included, inlined (fminf is a call without
 * -ffinite-math-only) */
static inline float
min1 (float x)
{
  return x < 1.0f ? x : 1.0f;
}

/* Cell weights for block rows [r0, r1): this frame's alpha, frames
 * averaged, noise variance and level. */
static void
cell_weights (VaeTemporal *t, int r0, int r1, int fresh)
{
  float s2 = t->sigma * t->sigma;
  const float *var = t->var[t->cur];
  float *vn = t->var[!t->cur];
  int gy1 = MIN (r1 * BLOCK / CELL, t->gh);

  for (int by = r0; by < r1 && !fresh; by++)
    for (int bx = 0; bx < t->bw; bx++)
      t->shear[(size_t) by * t->bw + bx] = shear (t, by, bx);
  for (int gy = r0 * BLOCK / CELL; gy < gy1; gy++)
    for (int gx = 0; gx < t->gw; gx++) {
      size_t c = (size_t) gy * t->gw + gx;
      size_t b = (size_t) (gy * CELL / BLOCK) * t->bw + gx * CELL / BLOCK;
      float a = 1.0f, r = t->ratio[c], p = 0.0f;
      if (!fresh) {
        const int *v = t->mv + b * 2;
        float nmax = v[0] == 0 && v[1] == 0 ? N_MAX : t->feedback
            ? N_MAX_MOVING_CLEAN : N_MAX_MOVING;
        /* the prediction's error: its noise and the block's bias; the
         * gain that weighs it against the frame's noise (Kalman's) */
        float a0, d = t->shear[b];
        p = var[t->from[c]] + t->bias[b];
        a0 = p / (p + s2);
        a0 = a0 > 1.0f / nmax ? a0 : 1.0f / nmax;
        /* motion that varies between blocks (zoom, rotation, depth) varies
         * inside them too: the prediction blurs, so weigh it less */
        if (d > SHEAR_LO)
          a0 += (1.0f - a0) * min1 ((d - SHEAR_LO) / (SHEAR_HI - SHEAR_LO));
        a = r <= AGREE ? a0 : r >= FRESH ? 1.0f
            : a0 + (1.0f - a0) * (r - AGREE) / (FRESH - AGREE);
      }
      t->alpha[c] = vae_tk_weight (a);
      vn[c] = a >= 1.0f ? s2 : (1.0f - a) * (1.0f - a) * p + a * a * s2;
      t->level[c] = a >= 1.0f || s2 <= 0.0f ? 1.0f
          : min1 (t->gain * sqrtf (vn[c] / s2));
    }
}

/* An average's sample, rounded to 8 bits. */
static inline uint8_t
acc_u8 (uint16_t v)
{
  return (uint8_t) ((v + VAE_TK_ACC_ONE / 2) / VAE_TK_ACC_ONE);
}

static void
acc_row_u8 (const uint16_t *n, uint8_t *o, int w)
{
  for (int x = 0; x < w; x++)
    o[x] = acc_u8 (n[x]);
}

/* Plane p's rows [y0, y1) (subsampled by sx, sy against the luma): each
 * block's run of samples moved from the average along its vector (in
 * quarter samples: half luma pixels, halved again where subsampled) to the
 * frame by each cell's alpha.  Runs whose bilinear reads leave the plane
 * go sample by sample, clamped; a fresh frame is the frame. */
static void
blend_plane (VaeTemporal *t, int p, const VaePlane *src, const VaePlane *dst,
    int y0, int y1, int fresh)
{
  uint16_t *next = t->acc[p][!t->cur];
  int w = t->pw[p], h = t->ph[p], sx = p ? t->sx : 0, sy = p ? t->sy : 0;
  const VaeTkBlendPlane bp = { t->acc[p][t->cur], w, h, sx, sy, t->w, BLOCK,
    CELL
  };

  for (int y = y0; y < y1; y++) {
    const uint8_t *s = src->data + (size_t) y * src->stride;
    uint8_t *o = dst->data + (size_t) y * dst->stride;
    uint16_t *n = next + (size_t) y * w;
    int ly = MIN (y << sy, t->h - 1);
    if (!fresh)
      vae_tk_blend_row (t->simd, &bp, y, n, s, src->step, t->mv + (size_t)
          (ly / BLOCK) * t->bw * 2, t->alpha + (size_t) (ly / CELL) * t->gw);
    else
      for (int x = 0; x < w; x++)
        n[x] = (uint16_t) (s[(size_t) x * src->step] * VAE_TK_ACC_ONE);
    if (p == 0) {
      uint8_t *r = t->ref + (size_t) y * w;
      acc_row_u8 (n, r, w);
      if (dst->step == 1)
        memcpy (o, r, (size_t) w);
      else
        for (int x = 0; x < w; x++)
          o[(size_t) x * dst->step] = r[x];
    } else if (dst->step == 1) {
      acc_row_u8 (n, o, w);
    } else {
      for (int x = 0; x < w; x++)
        o[(size_t) x * dst->step] = acc_u8 (n[x]);
    }
  }
}

void
vae_temporal_halve_rows (VaeTemporal *t, const uint8_t *luma, int r0, int r1)
{
  int hy0 = r0 * BLOCK / 2, hy1 = MIN (r1 * BLOCK / 2, t->hh);
  int qy0 = r0 * BLOCK / 4, qy1 = MIN (r1 * BLOCK / 4, t->qh);

  if (hy1 > hy0)
    halve (t, luma + (size_t) 2 * hy0 * t->w, t->w, 2 * t->hw,
        2 * (hy1 - hy0), t->href + (size_t) hy0 * t->hw, t->hw);
  if (qy1 > qy0)
    halve (t, t->href + (size_t) 2 * qy0 * t->hw, t->hw, 2 * t->qw,
        2 * (qy1 - qy0), t->qref + (size_t) qy0 * t->qw, t->qw);
}

/* Block rows [r0, r1): the luma, its half and quarter planes for the next
 * frame's search (unless the caller's denoised luma gives them), and the
 * chroma under them. */
static void
blend_rows (VaeTemporal *t, const VaePlane *src, const VaePlane *dst, int r0,
    int r1, int fresh)
{
  blend_plane (t, 0, &src[0], &dst[0], r0 * BLOCK, MIN (r1 * BLOCK, t->h),
      fresh);
  if (!t->feedback)
    vae_temporal_halve_rows (t, t->ref, r0, r1);
  for (int p = 1; p < t->n_planes; p++)
    if (src[p].data != NULL)
      blend_plane (t, p, &src[p], &dst[p], (r0 * BLOCK) >> t->sy,
          MIN ((r1 * BLOCK) >> t->sy, t->ph[p]), fresh);
}

void
vae_temporal_blend (VaeTemporal *t, const VaePlane *src, const VaePlane *dst,
    int r0, int r1)
{
  long n_fresh = 0;
  int fresh;

  /* every part sums the same counts, so all take the same decision */
  for (int by = 0; by < t->bh; by++)
    n_fresh += t->n_fresh[by];
  fresh = !t->valid || t->sigma < 0.5f
      || (float) n_fresh > CUT * (float) t->gw * (float) t->gh;
  if (fresh)
    for (int by = r0; by < r1; by++)
      memset (t->mv + (size_t) by * t->bw * 2, 0, (size_t) t->bw * 2
          * sizeof (int));
  cell_weights (t, r0, r1, fresh);
  blend_rows (t, src, dst, r0, r1, fresh);
  if (r0 == 0)
    t->fresh = fresh;
}

void
vae_temporal_done (VaeTemporal *t)
{
  int *mv = t->mv;
  t->mv = t->mv_last;
  t->mv_last = mv;
  t->cur = !t->cur;
  t->valid = 1;
}

void
vae_temporal_filter (VaeTemporal *t, const VaePlane *src, const VaePlane *dst,
    float sigma)
{
  vae_temporal_match (t, src, sigma, 0, t->bh);
  vae_temporal_blend (t, src, dst, 0, t->bh);
  vae_temporal_done (t);
}

/* ---------------------------------------------------------------- levels */

const float *
vae_temporal_levels (const VaeTemporal *t, int *map_w, int *map_h)
{
  *map_w = t->gw;
  *map_h = t->gh;
  return t->level;
}

int
vae_temporal_fresh (const VaeTemporal *t)
{
  return t->fresh;
}

float
vae_temporal_mean_level (const VaeTemporal *t)
{
  double s = 0.0;
  size_t n = (size_t) t->gw * t->gh;
  for (size_t c = 0; c < n; c++)
    s += t->level[c];
  return (float) (s / (double) n);
}
