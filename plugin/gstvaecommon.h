/* Helpers shared by the gst-vae elements. */
#ifndef GST_VAE_COMMON_H
#define GST_VAE_COMMON_H

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>
#include "vae.h"

G_BEGIN_DECLS

/* A model kind as a bit of GstVaeModelNeeds.kinds. */
#define GST_VAE_KIND_BIT(kind) (1u << (kind))

/* What an element needs of its model: checked by the loaders below and
 * named in their errors. */
typedef struct
{
  const gchar *element;         /* "vaedenoise" */
  guint kinds;                  /* GST_VAE_KIND_BIT () of each kind it takes */
  const gchar *what;            /* such a model in words */
} GstVaeModelNeeds;

/* Why gst_vae_load_model() failed. */
typedef enum
{
  GST_VAE_LOAD_NOT_FOUND = 1,   /* no model set, or no such file */
  GST_VAE_LOAD_BAD_FILE,        /* the core refused the file */
  GST_VAE_LOAD_WRONG_KIND,      /* a good model of a kind the element cannot use */
} GstVaeLoadFailure;

/* Installs the `model` property (a string) with the element's default and
 * blurb.  flags: GST_PARAM_MUTABLE_READY for an element that reads the
 * model in start(), GST_PARAM_MUTABLE_PLAYING for one that swaps models
 * while running. */
void gst_vae_install_model_property (GObjectClass * klass, guint prop_id,
    const gchar * default_name, const gchar * blurb, GParamFlags flags);

/* set_property() of `model`: replaces *name under the object lock and
 * returns TRUE.  A model that is READY-only (pspec) is refused with a
 * warning while the element is past READY, as filesrc refuses a new
 * location while open: *name stays, and FALSE is returned. */
gboolean gst_vae_set_model_name (GstElement * element, GParamSpec * pspec,
    const GValue * value, gchar ** name);

/* Resolves a model name or path: an existing path is used as is; a bare
 * file name is looked up in $GST_VAE_MODEL_PATH (colon separated), the
 * installed model folder, then the source tree's models/ (uninstalled use).
 * Returns a newly allocated path, or NULL. */
gchar *gst_vae_find_model (const gchar * name_or_path);

/* Resolves and loads a model and checks that it is of a kind in needs.  On
 * failure returns NULL, sets *msg (g_free) to "file: reason" and *failure.
 * On success *path (g_free; may be NULL) holds the resolved path. */
VaeModel *gst_vae_load_model (const gchar * name_or_path,
    const GstVaeModelNeeds * needs, gchar ** path, gchar ** msg,
    GstVaeLoadFailure * failure);

/* The same for an element's start(), which also keeps OpenBLAS to one
 * thread and, when ws is not NULL, makes *ws a workspace for batch items.
 * A failure is posted as an ERROR naming the file and the reason
 * (RESOURCE/NOT_FOUND when there is no such file or no model set,
 * RESOURCE/OPEN_READ when the file is bad, RESOURCE/SETTINGS when the
 * model is of the wrong kind, RESOURCE/FAILED without a workspace). */
VaeModel *gst_vae_element_load_model (GstElement * element,
    const GstVaeModelNeeds * needs, const gchar * name_or_path, gint batch,
    VaeWorkspace ** ws, gchar ** path);

/* GstVideoFilter only posts a WARNING when a buffer is smaller than its
 * caps say, and then passes on an unfilled output buffer.  Called first by
 * the filters' transform: posts an ERROR and returns FALSE for such a
 * buffer. */
gboolean gst_vae_frame_fits (GstVideoFilter * filter, GstBuffer * buf);

/* A GstVideoConverter from in to out without dithering (its output depends
 * on the pixels alone), on n_threads threads; NULL when GStreamer cannot
 * convert between the two. */
GstVideoConverter *gst_vae_converter_new (const GstVideoInfo * in,
    const GstVideoInfo * out, guint n_threads);

/* A GRAY8 picture at the model's size, mapped from set_caps() to stop(),
 * and the GstVideoConverter between it and the stream's frames: nothing is
 * allocated per frame. */
typedef struct
{
  GstVideoInfo info;            /* GRAY8 */
  GstBuffer *buf;
  GstVideoFrame frame;          /* buf, mapped while mapped */
  gboolean mapped;
  GstVideoConverter *convert;   /* stream -> frame, or frame -> stream */
} GstVaeGrayFrame;

/* Sets g up as a width x height picture with a converter from stream
 * (to_stream FALSE) or to it, without dithering.  On failure logs why
 * against element, leaves g cleared and returns FALSE. */
gboolean gst_vae_gray_frame_setup (GstVaeGrayFrame * g, GstElement * element,
    gint width, gint height, const GstVideoInfo * stream, gboolean to_stream);

/* Frees what gst_vae_gray_frame_setup() made; g can be set up again. */
void gst_vae_gray_frame_clear (GstVaeGrayFrame * g);

/* A plane's width in bytes (interleaved UV counts both values) and its
 * height. */
void gst_vae_frame_plane_size (const GstVideoFrame * f, guint plane,
    gint * width_bytes, gint * height);

/* Zeroes the bytes past each row's samples up to the stride: an element
 * that writes a fresh buffer leaves no stale memory in it, and its output
 * bytes depend on its input alone. */
void gst_vae_frame_clear_padding (GstVideoFrame * f);

G_END_DECLS
#endif
