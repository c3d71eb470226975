/* Motion-compensated recursive averaging of noisy video frames: the
 * temporal stage that runs before a spatial denoiser.
 *
 * Each frame, 16 × 16 luma blocks are matched against the running average
 * (a search at quarter resolution, then ±2 pixels at full resolution).
 * Each 4 × 4 cell then takes the matched average back in, weighted by how
 * many frames it already holds, where the cell agrees with it within the
 * noise, and starts afresh where it does not (a moving object, a reveal).
 * Where most cells disagree the content cut: every cell starts afresh.
 * The cells' leftover noise, as a factor of the input's, is the level map
 * the denoiser then uses (vae_denoiser_set_level_map), so averaged regions
 * are denoised gently and fresh ones fully.  The denoised luma then
 * settles against the last one along the motion (less flicker) and is
 * what the next frame's search matches against.
 *
 *   VaeTemporal *t = vae_temporal_new (w, h, 3, 1, 1, &err);  // I420
 *   for each frame:
 *     vae_temporal_filter (t, src, avg, sigma);     // avg: 3 VaePlanes
 *     map = vae_temporal_levels (t, &mw, &mh);
 *     vae_denoiser_set_level_map (d, map, mw, mh, VAE_TEMPORAL_CELL,
 *         VAE_TEMPORAL_CELL);
 *     vae_denoiser_run_u8 (d, avg[0].data, …, sigma);   // into out[0]
 *     vae_temporal_settle (t, out, 3, 0, vae_temporal_rows (t));
 *     vae_temporal_settle_done (t);
 *   vae_temporal_reset (t) on a seek, a gap, a new stream.
 *
 * The work splits by block rows for a pool of threads: for any split,
 * vae_temporal_match on each part, then (all matched) vae_temporal_blend
 * on each part, then vae_temporal_done once.  The bytes do not depend on
 * the split. */
#ifndef VAE_TEMPORAL_H
#define VAE_TEMPORAL_H

#include "vae.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VAE_TEMPORAL_CELL 4     /* luma pixels per level-map cell, each way */
#define VAE_TEMPORAL_BLOCK 16   /* luma pixels per motion block, each way */

typedef struct VaeTemporal VaeTemporal;

/* A plane of 8-bit samples: step bytes apart in a row (1, or 2 for the U
 * and V of NV12), rows stride bytes apart. */
typedef struct {
  uint8_t *data;
  int stride, step;
} VaePlane;

/* A w × h picture of n_planes planes (1: luma; 3: luma and two chroma
 * planes of ⌈w / 2^shift_x⌉ × ⌈h / 2^shift_y⌉, shifts 0 or 1). */
VaeTemporal *vae_temporal_new (int w, int h, int n_planes, int shift_x,
    int shift_y, VaeError *err);
void vae_temporal_free (VaeTemporal *t);
/* The next frame starts afresh. */
void vae_temporal_reset (VaeTemporal *t);
/* The levels are gain times the leftover noise's estimated σ, at most 1
 * (default 1; not above 0: 1).  The average's error is not white noise
 * alone (the shifts leave a little blur); a spatial model may remove it
 * best told a little more: each model's own figure. */
void vae_temporal_set_level_gain (VaeTemporal *t, float gain);

/* One frame, src to dst (which may be src): sigma is the luma's noise
 * level in 8-bit units (below 0.5, or NaN, the frame starts afresh; above
 * 1000 it counts as 1000).  Chroma planes
 * whose src data is NULL are skipped (their averages are then stale: reset
 * before they are used again). */
void vae_temporal_filter (VaeTemporal *t, const VaePlane *src,
    const VaePlane *dst, float sigma);

/* The same in parts: rows of motion blocks [r0, r1) of
 * vae_temporal_rows (t). */
int vae_temporal_rows (const VaeTemporal *t);
void vae_temporal_match (VaeTemporal *t, const VaePlane *src, float sigma,
    int r0, int r1);
void vae_temporal_blend (VaeTemporal *t, const VaePlane *src,
    const VaePlane *dst, int r0, int r1);
void vae_temporal_done (VaeTemporal *t);

/* The denoised frame's luma (w × h), after vae_temporal_done: the next
 * frame's motion search matches against it rather than against the noisy
 * average, which places blocks better.  Once given, give one after every
 * frame, until vae_temporal_reset. */
void vae_temporal_set_reference (VaeTemporal *t, const VaePlane *luma);

/* The same, settling the output first (in place): each 4 × 4 luma cell
 * that agrees with the last denoised luma moved along its block's vector,
 * within a small part of the noise, takes up to half of it in, and so do
 * the chroma samples under it where the chroma is given.  The error left
 * then changes less from frame to frame (less flicker), and is a little
 * smaller.  Nothing moves after a reset, a cut or a frame without a
 * reference before it; the chroma not after a frame given without.  out:
 * n_planes planes (1: luma; 3: chroma too, a NULL chroma data for none).
 * In parts, as the blend: vae_temporal_settle on block rows [r0, r1) (any
 * split, the same bytes), then vae_temporal_settle_done once. */
void vae_temporal_settle (VaeTemporal *t, const VaePlane *out, int n_planes,
    int r0, int r1);
void vae_temporal_settle_done (VaeTemporal *t);
/* The differences up to which a cell settles, as a factor (default 1; not
 * above 0: 1): a model whose output error is larger settles best with
 * larger ones (each model's own figure). */
void vae_temporal_set_settle_scale (VaeTemporal *t, float scale);

/* The last frame's leftover noise per cell, as a factor of the input's
 * times the gain (1: as noisy as the input), map_w × map_h cells of VAE_TEMPORAL_CELL
 * luma pixels. */
const float *vae_temporal_levels (const VaeTemporal *t, int *map_w,
    int *map_h);
/* Whether the last frame started afresh everywhere (the first after a
 * reset, a cut, a level below 0.5): its output is the input and its
 * levels all 1. */
int vae_temporal_fresh (const VaeTemporal *t);
/* The mean of the last frame's levels. */
float vae_temporal_mean_level (const VaeTemporal *t);

#ifdef __cplusplus
}
#endif
#endif /* VAE_TEMPORAL_H */
