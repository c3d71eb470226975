/* vaedenoise's temporal stage: each denoised plane blended with the
 * previous output where the two agree within the noise, block by block,
 * so static parts average over frames and moving parts stay as denoised.
 * Private to the element. */
#ifndef GST_VAE_DENOISE_TEMPORAL_H
#define GST_VAE_DENOISE_TEMPORAL_H

#include <glib.h>

G_BEGIN_DECLS

#define GST_VAE_TEMPORAL_MAX_PLANES 3

/* The previous output of up to 3 planes, made for their sizes once. */
typedef struct
{
  gint n;
  guint8 *prev[GST_VAE_TEMPORAL_MAX_PLANES];
  gint w[GST_VAE_TEMPORAL_MAX_PLANES], h[GST_VAE_TEMPORAL_MAX_PLANES];
  gboolean valid;               /* prev holds the last frame's output */
  gint32 *diff;                 /* a plane's blocks' summed differences */
} GstVaeTemporal;

GstVaeTemporal *gst_vae_temporal_new (gint n, const gint * w, const gint * h);
void gst_vae_temporal_free (GstVaeTemporal * t);
/* Forget the past: the next frame is taken as it is. */
void gst_vae_temporal_reset (GstVaeTemporal * t);

/* Plane p of this frame (denoised, in place): each 4 × 4 block whose mean
 * absolute difference D from the previous output is below tau moves toward
 * it by keep · (1 − D / tau), then becomes the previous output.  tau is in
 * 8-bit levels.  Where fewer than a quarter of the blocks pass, the
 * content changed (a scene cut, a fast pan) and no block blends. */
void gst_vae_temporal_apply (GstVaeTemporal * t, gint p, guint8 * plane,
    gint stride, gfloat tau, gfloat keep);
/* After every plane of a frame. */
void gst_vae_temporal_frame_done (GstVaeTemporal * t);

G_END_DECLS
#endif
