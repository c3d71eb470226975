/* vaedenoise's noise levels: what the model is given for a plane, from
 * the noise-level property (RGB σ on colour video, the plane's σ on
 * GRAY8) or an estimate.  Private to the element. */
#ifndef GST_VAE_DENOISE_LEVEL_H
#define GST_VAE_DENOISE_LEVEL_H

#include <gst/video/video.h>

G_BEGIN_DECLS

/* The noise per unit of RGB noise σ in Y, Cb and Cr of frames of info
 * (vae_noise_gains for their matrix and range). */
void gst_vae_noise_gains (const GstVideoInfo * info, gfloat gain[3]);

/* A one-plane model's level for component comp of f (its pixels data,
 * w × h): the given level, in RGB units on colour (scaled by the plane's
 * gain, of the 3 in gain, its chroma's subsampling included), or with
 * level < 0 the plane's own estimate; 0 for a model without a noise
 * input. */
gfloat gst_vae_plane_level (const GstVideoFrame * f, guint comp,
    const guint8 * data, gint stride, gint w, gint h, gfloat level,
    gboolean noise_input, const gfloat gain[3]);

/* A colour model's level: RGB σ in its training's BT.601 limited range,
 * from the luma's level ylevel (gst_vae_plane_level's for component 0 with
 * a noise input: the given level times the luma's gain, or its estimate). */
gfloat gst_vae_colour_level (gfloat ylevel);

G_END_DECLS
#endif
