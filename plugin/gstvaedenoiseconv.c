/* vaedenoise's conversions: RGB to Y444 (one-plane models) or I420 (colour
 * models), 4:2:2 and 4:4:4 YUV to I420 (colour models), and back, alpha
 * carried over.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstvaedenoiseconv.h"
#include "gstvaecommon.h"

static gboolean
map_new_frame (GstVideoFrame * frame, GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info),
      NULL);
  gboolean ok;

  if (buf == NULL)
    return FALSE;
  /* the frame keeps its own reference until it is unmapped */
  ok = gst_video_frame_map (frame, info, buf, GST_MAP_READWRITE);
  gst_buffer_unref (buf);
  return ok;
}

void
gst_vae_conv_free (GstVaeConv * rgb)
{
  if (rgb == NULL)
    return;
  if (rgb->in_mapped)
    gst_video_frame_unmap (&rgb->in);
  if (rgb->out_mapped)
    gst_video_frame_unmap (&rgb->out);
  g_clear_pointer (&rgb->to_yuv, gst_video_converter_free);
  g_clear_pointer (&rgb->to_rgb, gst_video_converter_free);
  g_free (rgb);
}

/* One-plane models: full-range BT.601 whatever the size: Y is then the
 * gray the models were trained on (Y = 0.299 R + 0.587 G + 0.114 B on all
 * 256 levels), the round trip loses the least, and a new frame size does
 * not change the result's character.  Colour models: from RGB, BT.601 in
 * limited range, as they were trained.  Transfer and primaries stay the
 * stream's: no gamma or gamut conversion happens. */
GstVaeConv *
gst_vae_conv_new (const GstVideoInfo * stream, gboolean colour,
    guint n_threads, gchar ** msg)
{
  GstVaeConv *rgb = g_new0 (GstVaeConv, 1);
  GstVideoInfo *yuv = &rgb->info;
  const GstVideoFormatInfo *finfo = stream->finfo;
  GstVideoFormat work = colour ? GST_VIDEO_FORMAT_I420 : GST_VIDEO_FORMAT_Y444;

  if (!gst_video_info_set_interlaced_format (yuv, work,
          GST_VIDEO_INFO_INTERLACE_MODE (stream), GST_VIDEO_INFO_WIDTH (stream),
          GST_VIDEO_INFO_HEIGHT (stream)))
    goto too_big;
  /* GstVideoConverter converts pictures, not rates or field layouts */
  GST_VIDEO_INFO_FPS_N (yuv) = GST_VIDEO_INFO_FPS_N (stream);
  GST_VIDEO_INFO_FPS_D (yuv) = GST_VIDEO_INFO_FPS_D (stream);
  GST_VIDEO_INFO_PAR_N (yuv) = GST_VIDEO_INFO_PAR_N (stream);
  GST_VIDEO_INFO_PAR_D (yuv) = GST_VIDEO_INFO_PAR_D (stream);
  GST_VIDEO_INFO_FIELD_ORDER (yuv) = GST_VIDEO_INFO_FIELD_ORDER (stream);
  yuv->colorimetry = stream->colorimetry;
  if (GST_VIDEO_INFO_IS_RGB (stream)) {
    yuv->colorimetry.range = colour ? GST_VIDEO_COLOR_RANGE_16_235
        : GST_VIDEO_COLOR_RANGE_0_255;
    yuv->colorimetry.matrix = GST_VIDEO_COLOR_MATRIX_BT601;
  }

  rgb->to_yuv = gst_vae_converter_new (stream, yuv, n_threads);
  rgb->to_rgb = gst_vae_converter_new (yuv, stream, n_threads);
  if (rgb->to_yuv == NULL || rgb->to_rgb == NULL)
    goto no_converter;
  rgb->in_mapped = map_new_frame (&rgb->in, yuv);
  rgb->out_mapped = map_new_frame (&rgb->out, yuv);
  if (!rgb->in_mapped || !rgb->out_mapped)
    goto too_big;
  rgb->alpha = GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo)
      ? (gint) GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_A) : -1;
  rgb->pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0);
  return rgb;

  /* ERRORS */
no_converter:
  {
    *msg = g_strdup_printf ("cannot convert %s to %s and back",
        GST_VIDEO_INFO_NAME (stream), GST_VIDEO_INFO_NAME (yuv));
    gst_vae_conv_free (rgb);
    return NULL;
  }
too_big:
  {
    *msg = g_strdup_printf ("cannot allocate two %dx%d %s frames",
        GST_VIDEO_INFO_WIDTH (stream), GST_VIDEO_INFO_HEIGHT (stream),
        GST_VIDEO_INFO_NAME (yuv));
    gst_vae_conv_free (rgb);
    return NULL;
  }
}

void
gst_vae_conv_to_yuv (GstVaeConv * rgb, const GstVideoFrame * in)
{
  gst_video_converter_frame (rgb->to_yuv, in, &rgb->in);
}

/* Without denoised chroma the converter takes U and V from rgb->in, so
 * they are never copied.  It writes opaque alpha (Y444 has none); the
 * input's goes over it byte for byte.  x padding stays as the converter
 * writes it, as videoconvert does. */
void
gst_vae_conv_to_stream (GstVaeConv * rgb, const GstVideoFrame * in,
    GstVideoFrame * out, gboolean chroma)
{
  const guint8 *s = GST_VIDEO_FRAME_PLANE_DATA (in, 0);
  guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (out, 0);
  gint ss = GST_VIDEO_FRAME_PLANE_STRIDE (in, 0);
  gint ds = GST_VIDEO_FRAME_PLANE_STRIDE (out, 0);
  gint w = GST_VIDEO_FRAME_WIDTH (in);
  GstVideoFrame yuv = rgb->out;

  if (!chroma) {
    yuv.data[1] = rgb->in.data[1];
    yuv.data[2] = rgb->in.data[2];
  }
  gst_video_converter_frame (rgb->to_rgb, &yuv, out);
  if (rgb->alpha < 0)
    return;
  for (gint y = 0; y < GST_VIDEO_FRAME_HEIGHT (in); y++) {
    const guint8 *sa = s + (gsize) y * ss + rgb->alpha;
    guint8 *da = d + (gsize) y * ds + rgb->alpha;
    for (gint x = 0; x < w; x++)
      da[x * rgb->pstride] = sa[x * rgb->pstride];
  }
}
