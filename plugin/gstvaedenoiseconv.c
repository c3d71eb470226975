/* vaedenoise's conversions: RGB to Y444 (one-plane models) or I420 (colour
 * models), packed 4:2:2 YUV to Y42B (one-plane models), 4:2:2 and 4:4:4
 * YUV to I420 (colour models), and back, alpha carried over.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstvaedenoiseconv.h"
#include "gstvaecommon.h"

#include <string.h>

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
  /* converters read whole pixel groups: an odd-width row's missing pixel
   * is then 0, not stale memory */
  if (ok)
    gst_vae_frame_clear_padding (frame);
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
  g_free (rgb->scratch);
  g_free (rgb);
}

/* One-plane models: from RGB to the opponent space whatever the size: its
 * planes' noise is independent, so each plane's model sees all of it (the
 * figures against full-range BT.601 are in models/README.md), and a new
 * frame size does not change the result's character; packed 4:2:2
 * unpacked to Y42B, no value changed.  Colour models: from RGB, BT.601 in
 * limited range, as they were trained.  Transfer and primaries stay the
 * stream's: no gamma or gamut conversion happens. */
GstVaeConv *
gst_vae_conv_new (const GstVideoInfo * stream, gboolean colour,
    guint n_threads, gchar ** msg)
{
  GstVaeConv *rgb = g_new0 (GstVaeConv, 1);
  GstVideoInfo *yuv = &rgb->info;
  const GstVideoFormatInfo *finfo = stream->finfo;
  GstVideoFormat work = colour ? GST_VIDEO_FORMAT_I420
      : GST_VIDEO_INFO_IS_RGB (stream) ? GST_VIDEO_FORMAT_Y444
      : GST_VIDEO_FORMAT_Y42B;

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

  if (GST_VIDEO_INFO_IS_RGB (stream) && GST_VIDEO_INFO_N_PLANES (stream) == 1
      && GST_VIDEO_FORMAT_INFO_BITS (finfo) == 8) {
    gint w = GST_VIDEO_INFO_WIDTH (stream);
    rgb->layout.pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0);
    rgb->layout.r = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_R);
    rgb->layout.g = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_G);
    rgb->layout.b = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_B);
    rgb->space = colour ? VAE_YCC_LIMITED : VAE_OPPONENT;
    rgb->n_bands = MAX (n_threads, 1);
    rgb->scratch = g_try_new (gfloat, rgb->n_bands * VAE_RGB_SCRATCH (w));
    if (rgb->scratch == NULL)
      goto too_big;
  } else {
    /* on two threads GStreamer 1.22's converter gave other YVYU bytes
     * where its slices meet (641x479, row 240) than on one: packed 4:2:2
     * converts on one thread, so n-threads does not change the output */
    guint nt = GST_VIDEO_INFO_N_PLANES (stream) == 1 ? 1 : n_threads;
    rgb->to_yuv = gst_vae_converter_new (stream, yuv, nt);
    rgb->to_rgb = gst_vae_converter_new (yuv, stream, nt);
    if (rgb->to_yuv == NULL || rgb->to_rgb == NULL)
      goto no_converter;
  }
  rgb->in_mapped = map_new_frame (&rgb->in, yuv);
  rgb->out_mapped = map_new_frame (&rgb->out, yuv);
  if (!rgb->in_mapped || !rgb->out_mapped)
    goto too_big;
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

gboolean
gst_vae_conv_banded (const GstVaeConv * rgb)
{
  return rgb->to_yuv == NULL;
}

/* Rows [r0, r1) of band of n: split at even rows (4:2:0 chroma). */
static void
band_rows (gint h, gint band, gint n, gint * r0, gint * r1)
{
  *r0 = (gint) ((gint64) h * band / n) & ~1;
  *r1 = band + 1 == n ? h : (gint) ((gint64) h * (band + 1) / n) & ~1;
}

void
gst_vae_conv_to_yuv (GstVaeConv * rgb, const GstVideoFrame * in, gint band,
    gint n_bands)
{
  GstVideoFrame *f = &rgb->in;
  gint r0, r1;

  if (rgb->to_yuv != NULL) {
    gst_video_converter_frame (rgb->to_yuv, in, f);
    return;
  }
  band_rows (GST_VIDEO_FRAME_HEIGHT (in), band, n_bands, &r0, &r1);
  vae_rgb_to_ycc (&rgb->layout, GST_VIDEO_FRAME_PLANE_DATA (in, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (in, 0), GST_VIDEO_FRAME_WIDTH (in),
      GST_VIDEO_FRAME_HEIGHT (in), rgb->space == VAE_YCC_LIMITED, rgb->space,
      GST_VIDEO_FRAME_PLANE_DATA (f, 0), GST_VIDEO_FRAME_PLANE_STRIDE (f, 0),
      GST_VIDEO_FRAME_PLANE_DATA (f, 1), GST_VIDEO_FRAME_PLANE_DATA (f, 2),
      GST_VIDEO_FRAME_PLANE_STRIDE (f, 1), r0, r1,
      rgb->scratch + band * VAE_RGB_SCRATCH (GST_VIDEO_FRAME_WIDTH (in)));
}

/* Without denoised chroma U and V come from rgb->in, so the stream's
 * chroma survives only subsampled (4:2:0 for colour models). */
void
gst_vae_conv_to_stream (GstVaeConv * rgb, const GstVideoFrame * in,
    GstVideoFrame * out, gboolean chroma, gint band, gint n_bands)
{
  gint w = GST_VIDEO_FRAME_WIDTH (in), r0, r1;
  GstVideoFrame yuv = rgb->out;

  if (!chroma) {
    yuv.data[1] = rgb->in.data[1];
    yuv.data[2] = rgb->in.data[2];
  }
  /* 4:2:2 and 4:4:4 YUV: no alpha to carry */
  if (rgb->to_rgb != NULL) {
    gst_video_converter_frame (rgb->to_rgb, &yuv, out);
    return;
  }
  band_rows (GST_VIDEO_FRAME_HEIGHT (in), band, n_bands, &r0, &r1);
  /* packed RGB: the fourth byte (x or alpha) as it came in */
  vae_ycc_to_rgb (&rgb->layout, yuv.data[0],
      GST_VIDEO_FRAME_PLANE_STRIDE (&yuv, 0), yuv.data[1], yuv.data[2],
      GST_VIDEO_FRAME_PLANE_STRIDE (&yuv, 1), w, GST_VIDEO_FRAME_HEIGHT (in),
      rgb->space == VAE_YCC_LIMITED, rgb->space,
      GST_VIDEO_FRAME_PLANE_DATA (in, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (in, 0), GST_VIDEO_FRAME_PLANE_DATA (out,
          0), GST_VIDEO_FRAME_PLANE_STRIDE (out, 0), r0, r1,
      rgb->scratch + band * VAE_RGB_SCRATCH (w));
}
