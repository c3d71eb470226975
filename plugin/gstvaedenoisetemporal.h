/* vaedenoise's temporal stage: the frame's planes averaged with the past
 * along the motion (core/temporal.c) into planes of its own, which the
 * denoiser then reads, with the leftover noise of each region as its
 * level map.  Private to the element. */
#ifndef GST_VAE_DENOISE_TEMPORAL_H
#define GST_VAE_DENOISE_TEMPORAL_H

#include <gst/video/video.h>

#include "vae_temporal.h"

G_BEGIN_DECLS

typedef struct
{
  VaeTemporal *t;
  gint n_planes;                /* 1 (GRAY8) or 3 */
  gint sx, sy;                  /* the chroma's subsampling shifts */
  gint w[3], h[3];
  guint8 *buf;                  /* the averaged planes */
  VaePlane avg[3];
  VaePlane src[3];              /* the frame in flight's planes */
  VaePlane out[3];              /* and its denoised planes (chroma's
                                 * data NULL where passed through) */
  gboolean chroma;              /* its chroma is averaged too */
  gfloat sigma;                 /* its luma's noise level */
  /* the next row of motion blocks to match, to blend and to settle: the
   * bands claim rows one at a time (atomically), so a band slowed down
   * leaves its share to the others */
  gint next_match, next_blend, next_settle;
} GstVaeTemporal;

/* For frames of info (GRAY8 or YUV, planar or semi-planar); NULL with *msg
 * set when it cannot be made. */
GstVaeTemporal *gst_vae_temporal_new (const GstVideoInfo * info,
    gchar ** msg);
void gst_vae_temporal_free (GstVaeTemporal * t);
/* Forget the past: the next frame is taken as it is. */
void gst_vae_temporal_reset (GstVaeTemporal * t);

/* Before the stage runs on frame: its planes (the luma alone without
 * chroma) and its luma noise level in 8-bit units.  A frame whose chroma
 * is averaged after one whose chroma was not starts afresh. */
void gst_vae_temporal_set_frame (GstVaeTemporal * t,
    const GstVideoFrame * frame, gboolean chroma, gfloat sigma);

/* After the frame is denoised into dst: its luma, and its chroma if
 * denoised, are what the stage settles (vae_temporal_settle); the next
 * frame's motion search then matches against the luma. */
void gst_vae_temporal_set_output (GstVaeTemporal * t, GstVideoFrame * dst,
    gboolean chroma);

G_END_DECLS
#endif
