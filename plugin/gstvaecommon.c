/* Helpers shared by the gst-vae elements: the model property, model lookup
 * and loading, frame converters, the model-size gray frame, plane sizes. */
#include "gstvaecommon.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (vae_common_debug);
#define GST_CAT_DEFAULT vae_common_debug

static void
debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (vae_common_debug, "vaecommon", 0,
        "gst-vae model loading");
    g_once_init_leave (&done, 1);
  }
}

void
gst_vae_install_model_property (GObjectClass * klass, guint prop_id,
    const gchar * default_name, const gchar * blurb, GParamFlags flags)
{
  debug_init ();
  g_object_class_install_property (klass, prop_id,
      g_param_spec_string ("model", "Model", blurb, default_name,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | flags));
}

gboolean
gst_vae_set_model_name (GstElement * element, GParamSpec * pspec,
    const GValue * value, gchar ** name)
{
  GstState state;

  GST_OBJECT_LOCK (element);
  state = GST_STATE (element);
  if (!(pspec->flags & GST_PARAM_MUTABLE_PLAYING)
      && state != GST_STATE_READY && state != GST_STATE_NULL)
    goto wrong_state;
  g_free (*name);
  *name = g_value_dup_string (value);
  GST_OBJECT_UNLOCK (element);
  return TRUE;

  /* ERRORS */
wrong_state:
  {
    g_warning ("Changing the `model' property of %s while it runs is not "
        "supported; set it in the READY or NULL state",
        GST_ELEMENT_NAME (element));
    GST_OBJECT_UNLOCK (element);
    return FALSE;
  }
}

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

/* "ae, sparse-ae or vae": the kinds of a GST_VAE_KIND_BIT mask. */
static gchar *
kind_list (guint kinds)
{
  GString *s = g_string_new (NULL);
  guint left = kinds;

  for (VaeKind k = VAE_KIND_AE; k <= VAE_KIND_VAE; k++) {
    if (!(kinds & GST_VAE_KIND_BIT (k)))
      continue;
    left &= ~GST_VAE_KIND_BIT (k);
    if (s->len > 0)
      g_string_append (s, left != 0 ? ", " : " or ");
    g_string_append (s, vae_kind_name (k));
  }
  return g_string_free (s, FALSE);
}

VaeModel *
gst_vae_load_model (const gchar * name, const GstVaeModelNeeds * needs,
    gchar ** path_out, gchar ** msg, GstVaeLoadFailure * failure)
{
  VaeError err;
  gchar *path, *kinds;
  VaeModel *m;
  VaeKind kind;

  if (name == NULL || *name == '\0') {
    *failure = GST_VAE_LOAD_NOT_FOUND;
    *msg = g_strdup ("no model set");
    return NULL;
  }
  path = gst_vae_find_model (name);
  m = vae_model_load (path, &err);
  if (m == NULL)
    goto load_failed;
  kind = vae_model_config (m)->kind;
  if (!(needs->kinds & GST_VAE_KIND_BIT (kind)))
    goto wrong_kind;

  if (path_out != NULL)
    *path_out = path;
  else
    g_free (path);
  return m;

  /* ERRORS */
load_failed:
  {
    gboolean not_found = !g_file_test (path, G_FILE_TEST_EXISTS);

    *failure = not_found ? GST_VAE_LOAD_NOT_FOUND : GST_VAE_LOAD_BAD_FILE;
    *msg = g_strdup_printf ("%s: %s", path, not_found ?
        "no such file (looked in GST_VAE_MODEL_PATH and the model folders)" :
        err.msg);
    g_free (path);
    return NULL;
  }
wrong_kind:
  {
    kinds = kind_list (needs->kinds);
    *failure = GST_VAE_LOAD_WRONG_KIND;
    *msg = g_strdup_printf ("%s: a model of kind %s; %s needs %s (%s)",
        path, vae_kind_name (kind), needs->element, kinds, needs->what);
    g_free (kinds);
    vae_model_free (m);
    g_free (path);
    return NULL;
  }
}

VaeModel *
gst_vae_element_load_model (GstElement * element,
    const GstVaeModelNeeds * needs, const gchar * name, gint batch,
    VaeWorkspace ** ws, gchar ** path_out)
{
  GstVaeLoadFailure failure;
  gchar *msg = NULL, *path = NULL;
  VaeError err;
  VaeModel *m;

  debug_init ();
  /* OpenBLAS's own threads would oversubscribe the cores our bands use. */
  vae_blas_threads (1);
  m = gst_vae_load_model (name, needs, &path, &msg, &failure);
  if (m == NULL)
    goto load_failed;
  if (ws != NULL && (*ws = vae_workspace_new (m, batch, 0, &err)) == NULL)
    goto no_workspace;

  if (path_out != NULL)
    *path_out = path;
  else
    g_free (path);
  return m;

  /* ERRORS */
load_failed:
  {
    if (failure == GST_VAE_LOAD_NOT_FOUND)
      GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND,
          ("Cannot load model %s", msg), (NULL));
    else if (failure == GST_VAE_LOAD_BAD_FILE)
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ,
          ("Cannot load model %s", msg), (NULL));
    else
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
          ("Cannot use model %s", msg), (NULL));
    g_free (msg);
    return NULL;
  }
no_workspace:
  {
    GST_ELEMENT_ERROR (element, RESOURCE, FAILED,
        ("Could not prepare model %s: %s", path, err.msg), (NULL));
    vae_model_free (m);
    g_free (path);
    return NULL;
  }
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

void
gst_vae_frame_plane_size (const GstVideoFrame * f, guint plane,
    gint * width_bytes, gint * height)
{
  gint comp[GST_VIDEO_MAX_COMPONENTS];

  gst_video_format_info_component (f->info.finfo, plane, comp);
  *width_bytes = 0;
  /* the widest component: a row of odd-width YUY2 ends with a whole
   * Y U Y V group, which its chroma's width counts and its luma's not */
  for (gint i = 0; i < GST_VIDEO_MAX_COMPONENTS && comp[i] >= 0; i++)
    *width_bytes = MAX (*width_bytes, GST_VIDEO_FRAME_COMP_WIDTH (f, comp[i])
        * GST_VIDEO_FRAME_COMP_PSTRIDE (f, comp[i]));
  *height = GST_VIDEO_FRAME_COMP_HEIGHT (f, comp[0]);
}

void
gst_vae_frame_clear_padding (GstVideoFrame * f)
{
  guint n = GST_VIDEO_FRAME_N_PLANES (f);
  guint8 *base = f->map[0].data, *end = base + f->map[0].size;
  gboolean one_block = gst_buffer_n_memory (f->buffer) == 1;

  for (guint p = 0; p < n; p++) {
    guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (f, p), *next = end;
    gint s = GST_VIDEO_FRAME_PLANE_STRIDE (f, p), wb, h;

    gst_vae_frame_plane_size (f, p, &wb, &h);
    for (gint y = 0; y < h && s > wb; y++)
      memset (d + (gsize) y * s + wb, 0, (gsize) (s - wb));
    /* and, in a buffer of one block, what lies between this plane's last
     * row and the next plane (NV12's luma of odd height has a row more
     * than the picture) or the block's end */
    if (!one_block || s <= 0 || d < base || d + (gsize) h * s > end)
      continue;
    for (guint q = 0; q < n; q++) {
      guint8 *dq = GST_VIDEO_FRAME_PLANE_DATA (f, q);
      if (dq >= d + (gsize) h * s && dq < next)
        next = dq;
    }
    memset (d + (gsize) h * s, 0, (gsize) (next - (d + (gsize) h * s)));
  }
}

GstVideoConverter *
gst_vae_converter_new (const GstVideoInfo * in, const GstVideoInfo * out,
    guint n_threads)
{
  GstStructure *opts = gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
      GST_VIDEO_DITHER_NONE, GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT,
      MAX (n_threads, 1), NULL);

  return gst_video_converter_new (in, out, opts);
}

void
gst_vae_gray_frame_clear (GstVaeGrayFrame * g)
{
  if (g->mapped)
    gst_video_frame_unmap (&g->frame);
  g->mapped = FALSE;
  gst_clear_buffer (&g->buf);
  g_clear_pointer (&g->convert, gst_video_converter_free);
}

gboolean
gst_vae_gray_frame_setup (GstVaeGrayFrame * g, GstElement * element,
    gint width, gint height, const GstVideoInfo * stream, gboolean to_stream)
{
  debug_init ();
  gst_vae_gray_frame_clear (g);
  gst_video_info_set_format (&g->info, GST_VIDEO_FORMAT_GRAY8, width,
      height);
  /* GstVideoConverter converts pictures, not rates or field layouts. */
  GST_VIDEO_INFO_FPS_N (&g->info) = GST_VIDEO_INFO_FPS_N (stream);
  GST_VIDEO_INFO_FPS_D (&g->info) = GST_VIDEO_INFO_FPS_D (stream);
  GST_VIDEO_INFO_INTERLACE_MODE (&g->info) =
      GST_VIDEO_INFO_INTERLACE_MODE (stream);
  g->convert = to_stream ? gst_vae_converter_new (&g->info, stream, 1)
      : gst_vae_converter_new (stream, &g->info, 1);
  if (g->convert == NULL)
    goto no_converter;

  g->buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&g->info),
      NULL);
  if (g->buf == NULL || !gst_video_frame_map (&g->frame, &g->info, g->buf,
          GST_MAP_READWRITE))
    goto no_memory;
  g->mapped = TRUE;
  return TRUE;

  /* ERRORS */
no_converter:
  {
    GST_ERROR_OBJECT (element, "no converter %s %s", to_stream ? "to" : "from",
        GST_VIDEO_INFO_NAME (stream));
    return FALSE;
  }
no_memory:
  {
    GST_ERROR_OBJECT (element, "could not allocate a %dx%d GRAY8 frame",
        width, height);
    gst_vae_gray_frame_clear (g);
    return FALSE;
  }
}
