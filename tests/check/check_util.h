/* Helpers the vaedenoise gst-check suites share: a model loaded or the
 * test fails, a harness's caps from a format and size, and the suite's
 * temporary folder removed. Include after gstcheck.h, gstharness.h,
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

#endif
