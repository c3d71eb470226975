/* Helpers the gst-check suites share: a model loaded or the test fails, a
 * tiny model written, a harness's caps from a format and size, packed RGB frames
 * converted as the element promises, and the suite's temporary folder
 * removed. Include after gstcheck.h, gstharness.h,
 * video.h and vae.h. */
#ifndef VAE_CHECK_UTIL_H
#define VAE_CHECK_UTIL_H

#include <glib/gstdio.h>

static inline VaeModel *
check_load (const gchar * path)
{
  VaeError err;
  VaeModel *m = vae_model_load (path, &err);
  fail_unless (m != NULL, "load %s: %s", path, err.msg);
  return m;
}

/* info for fmt at w × hh, 30 fps, set as the harness's input caps. */
static inline void
check_set_caps (GstHarness * h, GstVideoInfo * info, const gchar * fmt,
    gint w, gint hh)
{
  GstCaps *caps;

  gst_video_info_set_format (info, gst_video_format_from_string (fmt), w, hh);
  info->fps_n = 30;
  info->fps_d = 1;
  caps = gst_video_info_to_caps (info);
  gst_harness_set_src_caps (h, caps);
}

/* A random model of configuration c (seed 3) saved as dir/name; the path
 * (g_free). */
static inline gchar *
check_save_model (const gchar * dir, const gchar * name, const VaeConfig * c)
{
  VaeError err;
  VaeModel *m = vae_model_new (c, 3, &err);
  gchar *path = g_build_filename (dir, name, NULL);

  if (m == NULL || vae_model_save (m, path, &err) != VAE_OK)
    g_error ("cannot write %s: %s", path, err.msg);
  vae_model_free (m);
  return path;
}

/* A tiny random model of kind (a Gaussian DAE or a Bernoulli VAE on 4 × 4
 * patches, 4 latents) saved as dir/name; the path (g_free). */
static inline gchar *
check_tiny_model (const gchar * dir, const gchar * name, VaeKind kind)
{
  VaeConfig c = vae_config_default ();

  c.kind = kind;
  c.img_w = c.img_h = 4;
  c.n_in = 16;
  c.n_latent = 4;
  if (kind == VAE_KIND_DAE) {
    c.noise = VAE_NOISE_GAUSSIAN;
    c.noise_max = 0.2f;
  } else {
    c.likelihood = VAE_LIK_BERNOULLI;
  }
  return check_save_model (dir, name, &c);
}

/* dir and the files in it. */
static inline void
check_rmdir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

/* What vaedenoise promises for packed RGB: the core's rounded conversions
 * (vae_rgb_to_ycc), to BT.601 4:2:0 limited range for colour models
 * (colour TRUE), else to the 4:4:4 opponent space. */
static inline VaeRgbLayout
check_rgb_layout (const GstVideoInfo * info)
{
  const GstVideoFormatInfo *f = info->finfo;
  VaeRgbLayout l = { GST_VIDEO_FORMAT_INFO_PSTRIDE (f, 0),
    GST_VIDEO_FORMAT_INFO_POFFSET (f, GST_VIDEO_COMP_R),
    GST_VIDEO_FORMAT_INFO_POFFSET (f, GST_VIDEO_COMP_G),
    GST_VIDEO_FORMAT_INFO_POFFSET (f, GST_VIDEO_COMP_B)
  };
  return l;
}

static inline void
check_rgb_to_yuv (const GstVideoFrame * rgb, GstVideoFrame * yuv,
    gboolean colour)
{
  VaeRgbLayout l = check_rgb_layout (&rgb->info);
  gfloat *scratch = g_new (gfloat, VAE_RGB_SCRATCH (GST_VIDEO_FRAME_WIDTH
          (rgb)));

  vae_rgb_to_ycc (&l, GST_VIDEO_FRAME_PLANE_DATA (rgb, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (rgb, 0), GST_VIDEO_FRAME_WIDTH (rgb),
      GST_VIDEO_FRAME_HEIGHT (rgb), colour, colour ? VAE_YCC_LIMITED
      : VAE_OPPONENT,
      GST_VIDEO_FRAME_PLANE_DATA (yuv, 0), GST_VIDEO_FRAME_PLANE_STRIDE (yuv,
          0), GST_VIDEO_FRAME_PLANE_DATA (yuv, 1),
      GST_VIDEO_FRAME_PLANE_DATA (yuv, 2), GST_VIDEO_FRAME_PLANE_STRIDE (yuv,
          1), 0, GST_VIDEO_FRAME_HEIGHT (rgb), scratch);
  g_free (scratch);
}

/* yuv back into out, whose other bytes (x or alpha) are in's. */
static inline void
check_yuv_to_rgb (const GstVideoFrame * yuv, const GstVideoFrame * in,
    GstVideoFrame * out, gboolean colour)
{
  VaeRgbLayout l = check_rgb_layout (&out->info);
  gint w = GST_VIDEO_FRAME_WIDTH (out), h = GST_VIDEO_FRAME_HEIGHT (out);
  gfloat *scratch = g_new (gfloat, VAE_RGB_SCRATCH (w));

  vae_ycc_to_rgb (&l, GST_VIDEO_FRAME_PLANE_DATA (yuv, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (yuv, 0), GST_VIDEO_FRAME_PLANE_DATA (yuv,
          1), GST_VIDEO_FRAME_PLANE_DATA (yuv, 2),
      GST_VIDEO_FRAME_PLANE_STRIDE (yuv, 1), w, h, colour,
      colour ? VAE_YCC_LIMITED : VAE_OPPONENT,
      GST_VIDEO_FRAME_PLANE_DATA (in, 0), GST_VIDEO_FRAME_PLANE_STRIDE (in, 0),
      GST_VIDEO_FRAME_PLANE_DATA (out, 0), GST_VIDEO_FRAME_PLANE_STRIDE (out,
          0), 0, h, scratch);
  g_free (scratch);
}

#endif
