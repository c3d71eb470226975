/* vaedenoise's packed RGB path: frames converted to planar YUV 4:4:4, where
 * the planes are denoised, and back, with alpha carried over.  Private to
 * the element. */
#ifndef GST_VAE_DENOISE_RGB_H
#define GST_VAE_DENOISE_RGB_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* The YUV frames of one negotiated RGB size and the converters between
 * them and the stream: made once, mapped until freed. */
typedef struct
{
  GstVideoInfo info;            /* Y444, full range, BT.601 */
  GstVideoFrame in, out;        /* converted input, denoised planes */
  gboolean in_mapped, out_mapped;
  GstVideoConverter *to_yuv, *to_rgb;
  gint alpha;                   /* the alpha byte in a pixel, -1 without */
  gint pstride;                 /* bytes per pixel */
} GstVaeRgb;

/* For a packed RGB stream, its YUV frames and converters on n_threads
 * threads.  On failure returns NULL and sets *msg. */
GstVaeRgb *gst_vae_rgb_new (const GstVideoInfo * stream, guint n_threads,
    gchar ** msg);
void gst_vae_rgb_free (GstVaeRgb * rgb);

/* in into rgb->in. */
void gst_vae_rgb_to_yuv (GstVaeRgb * rgb, const GstVideoFrame * in);

/* rgb->out into out, with in's alpha bytes; chroma FALSE: U and V from
 * rgb->in (not denoised). */
void gst_vae_rgb_to_stream (GstVaeRgb * rgb, const GstVideoFrame * in,
    GstVideoFrame * out, gboolean chroma);

G_END_DECLS
#endif /* GST_VAE_DENOISE_RGB_H */
