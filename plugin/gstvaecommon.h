/* Helpers shared by the gst-vae elements. */
#ifndef GST_VAE_COMMON_H
#define GST_VAE_COMMON_H

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include "vae.h"

G_BEGIN_DECLS

/* Resolves a model name or path: an existing path is used as is; a bare
 * file name is looked up in $GST_VAE_MODEL_PATH (colon separated), the
 * installed model folder, then the source tree's models/ (uninstalled use).
 * Returns a newly allocated path, or NULL. */
gchar *gst_vae_find_model (const gchar * name_or_path);

/* Resolves and loads a model.  On failure returns NULL, sets *msg (g_free)
 * to "file: reason" and *not_found when no such file exists.  On success
 * *path (g_free; may be NULL) holds the resolved path. */
VaeModel *gst_vae_load_model (const gchar * name_or_path, gchar ** path,
    gchar ** msg, gboolean * not_found);

/* The same for an element's start(): a failure is posted as an ERROR
 * naming the file and the reason (RESOURCE/NOT_FOUND when there is no such
 * file or no model set, RESOURCE/OPEN_READ when the file is bad). */
VaeModel *gst_vae_element_load_model (GstElement * element,
    const gchar * name_or_path, gchar ** path);

/* OpenBLAS's own threads would oversubscribe the cores our bands use. */
void gst_vae_blas_single_thread (void);

/* GstVideoFilter only posts a WARNING when a buffer is smaller than its
 * caps say, and then passes on an unfilled output buffer.  Called first by
 * the filters' transform: posts an ERROR and returns FALSE for such a
 * buffer. */
gboolean gst_vae_frame_fits (GstVideoFilter * filter, GstBuffer * buf);

G_END_DECLS
#endif
