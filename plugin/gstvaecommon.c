/* Helpers shared by the gst-vae elements: model lookup and loading. */
#include "gstvaecommon.h"

#include <cblas.h>

static gchar *
try_dir (const gchar * dir, const gchar * name)
{
  gchar *p = g_build_filename (dir, name, NULL);
  if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
    return p;
  g_free (p);
  return NULL;
}

gchar *
gst_vae_find_model (const gchar * name)
{
  const gchar *env;
  gchar *p;

  if (name == NULL || *name == '\0')
    return NULL;
  /* Anything with a directory part is a path the user meant literally. */
  if (strchr (name, G_DIR_SEPARATOR) != NULL
      || g_file_test (name, G_FILE_TEST_IS_REGULAR))
    return g_strdup (name);

  env = g_getenv ("GST_VAE_MODEL_PATH");
  if (env != NULL) {
    gchar **dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
    for (gchar ** d = dirs; *d != NULL; d++) {
      if (**d != '\0' && (p = try_dir (*d, name)) != NULL) {
        g_strfreev (dirs);
        return p;
      }
    }
    g_strfreev (dirs);
  }
  if ((p = try_dir (VAE_MODELS_INSTALL_DIR, name)) != NULL)
    return p;
  if ((p = try_dir (VAE_MODELS_SOURCE_DIR, name)) != NULL)
    return p;
  /* Not found: return the name so the error message names it. */
  return g_strdup (name);
}

VaeModel *
gst_vae_load_model (const gchar * name, gchar ** msg)
{
  VaeError err;
  gchar *path;
  VaeModel *m;

  if (name == NULL || *name == '\0') {
    *msg = g_strdup ("no model set");
    return NULL;
  }
  path = gst_vae_find_model (name);
  m = vae_model_load (path, &err);
  if (m == NULL)
    *msg = g_strdup_printf ("%s: %s", path, err.msg);
  g_free (path);
  return m;
}

void
gst_vae_blas_single_thread (void)
{
  openblas_set_num_threads (1);
}

gboolean
gst_vae_frame_fits (GstVideoFilter * filter, GstBuffer * buf)
{
  GstVideoFrame f;

  if (!filter->negotiated)
    return TRUE;                /* the base class reports that itself */
  if (gst_video_frame_map (&f, &filter->in_info, buf, GST_MAP_READ)) {
    gst_video_frame_unmap (&f);
    return TRUE;
  }
  GST_ELEMENT_ERROR (filter, STREAM, FORMAT,
      ("A buffer of %" G_GSIZE_FORMAT " bytes does not hold a %dx%d %s frame",
          gst_buffer_get_size (buf), GST_VIDEO_INFO_WIDTH (&filter->in_info),
          GST_VIDEO_INFO_HEIGHT (&filter->in_info),
          GST_VIDEO_INFO_NAME (&filter->in_info)),
      ("could not map the input frame"));
  return FALSE;
}
