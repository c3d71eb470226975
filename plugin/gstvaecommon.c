/* Helpers shared by the gst-vae elements: model lookup and loading. */
#include "gstvaecommon.h"

#include <cblas.h>

GST_DEBUG_CATEGORY_STATIC (vae_common_debug);
#define GST_CAT_DEFAULT vae_common_debug

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
gst_vae_load_model (const gchar * name, gchar ** path_out, gchar ** msg,
    gboolean * not_found)
{
  VaeError err;
  gchar *path;
  VaeModel *m;

  *not_found = FALSE;
  if (name == NULL || *name == '\0') {
    *not_found = TRUE;
    *msg = g_strdup ("no model set");
    return NULL;
  }
  path = gst_vae_find_model (name);
  m = vae_model_load (path, &err);
  if (m == NULL) {
    *not_found = !g_file_test (path, G_FILE_TEST_EXISTS);
    *msg = g_strdup_printf ("%s: %s", path, *not_found ?
        "no such file (looked in GST_VAE_MODEL_PATH and the model folders)" :
        err.msg);
    g_free (path);
    return NULL;
  }
  if (path_out != NULL)
    *path_out = path;
  else
    g_free (path);
  return m;
}

VaeModel *
gst_vae_element_load_model (GstElement * element, const gchar * name,
    gchar ** path)
{
  static gsize debug_once = 0;
  gchar *msg = NULL;
  gboolean not_found;
  VaeModel *m;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (vae_common_debug, "vaecommon", 0,
        "gst-vae model loading");
    g_once_init_leave (&debug_once, 1);
  }
  m = gst_vae_load_model (name, path, &msg, &not_found);

  if (m == NULL) {
    if (not_found)
      GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND,
          ("Cannot load model %s", msg), (NULL));
    else
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ,
          ("Cannot load model %s", msg), (NULL));
    g_free (msg);
  }
  return m;
}

void
gst_vae_blas_single_thread (void)
{
  vae_blas_threads (1);
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
