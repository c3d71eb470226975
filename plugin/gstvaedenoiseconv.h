/* vaedenoise's conversions: frames of a format the models do not take
 * (packed RGB; for colour models also 4:2:2 and 4:4:4) converted to the
 * planar YUV they are denoised in, and back, alpha carried over.  Private
 * to the element. */
#ifndef GST_VAE_DENOISE_CONV_H
#define GST_VAE_DENOISE_CONV_H

#include <gst/gst.h>
#include <gst/video/video.h>

#include "vae.h"

G_BEGIN_DECLS

/* The YUV frames of one negotiated size and the converters between them
 * and the stream: made once, mapped until freed. */
typedef struct
{
  GstVideoInfo info;            /* the working format */
  GstVideoFrame in, out;        /* converted input, denoised planes */
  gboolean in_mapped, out_mapped;
  GstVideoConverter *to_yuv, *to_rgb;    /* NULL for packed RGB */
  /* packed RGB: the project's own conversions (vae_rgb_to_ycc), on the
   * element's bands, each with its scratch row */
  VaeRgbLayout layout;
  gint space;                   /* VAE_YCC_LIMITED or VAE_OPPONENT */
  gint n_bands;
  gfloat *scratch;
} GstVaeConv;

/* The working frames for a stream and converters on n_threads threads:
 * I420 for colour models (from RGB BT.601 limited range, their training's;
 * from YUV the stream's colorimetry, so only the chroma is resampled), else
 * from RGB the opponent space's three planes (vae.h) in a Y444 frame, from
 * packed 4:2:2 Y42B.  Packed RGB converts with the project's rounded
 * conversions: GStreamer 1.22's converter truncates and
 * turns RGB about 1.5 to 4 levels dark there and back (docs/internals.md).
 * On failure returns NULL and sets *msg. */
GstVaeConv *gst_vae_conv_new (const GstVideoInfo * stream, gboolean colour,
    guint n_threads, gchar ** msg);
void gst_vae_conv_free (GstVaeConv * rgb);

/* Whether the conversions run in bands (packed RGB): then call the two
 * below on each band of rows instead of the whole frame's. */
gboolean gst_vae_conv_banded (const GstVaeConv * rgb);

/* in into rgb->in: band of n_bands (0, 1 for the whole frame). */
void gst_vae_conv_to_yuv (GstVaeConv * rgb, const GstVideoFrame * in,
    gint band, gint n_bands);

/* rgb->out into out, with in's alpha bytes; chroma FALSE: U and V from
 * rgb->in (not denoised).  band of n_bands as above. */
void gst_vae_conv_to_stream (GstVaeConv * rgb, const GstVideoFrame * in,
    GstVideoFrame * out, gboolean chroma, gint band, gint n_bands);

G_END_DECLS
#endif /* GST_VAE_DENOISE_CONV_H */
