/* vaedenoise's conversions: frames of a format the models do not take
 * (packed RGB; for colour models also 4:2:2 and 4:4:4) converted to the
 * planar YUV they are denoised in, and back, alpha carried over.  Private
 * to the element. */
#ifndef GST_VAE_DENOISE_CONV_H
#define GST_VAE_DENOISE_CONV_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* The YUV frames of one negotiated size and the converters between them
 * and the stream: made once, mapped until freed. */
typedef struct
{
  GstVideoInfo info;            /* the working format */
  GstVideoFrame in, out;        /* converted input, denoised planes */
  gboolean in_mapped, out_mapped;
  GstVideoConverter *to_yuv, *to_rgb;
  gint alpha;                   /* the alpha byte in a pixel, -1 without */
  gint pstride;                 /* bytes per pixel */
} GstVaeConv;

/* The working frames for a stream and converters on n_threads threads:
 * I420 for colour models (from RGB BT.601 limited range, their training's;
 * from YUV the stream's colorimetry, so only the chroma is resampled), else
 * Y444 (from RGB full-range BT.601).  On failure returns NULL and sets
 * *msg. */
GstVaeConv *gst_vae_conv_new (const GstVideoInfo * stream, gboolean colour,
    guint n_threads, gchar ** msg);
void gst_vae_conv_free (GstVaeConv * rgb);

/* in into rgb->in. */
void gst_vae_conv_to_yuv (GstVaeConv * rgb, const GstVideoFrame * in);

/* rgb->out into out, with in's alpha bytes; chroma FALSE: U and V from
 * rgb->in (not denoised). */
void gst_vae_conv_to_stream (GstVaeConv * rgb, const GstVideoFrame * in,
    GstVideoFrame * out, gboolean chroma);

G_END_DECLS
#endif /* GST_VAE_DENOISE_CONV_H */
