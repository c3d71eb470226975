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
