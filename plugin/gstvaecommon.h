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

/* Loads a model, turning a failure into a GError-free message:
 * on failure returns NULL and sets *msg (g_free) to "file: reason". */
VaeModel *gst_vae_load_model (const gchar * name_or_path, gchar ** msg);

/* OpenBLAS's own threads would oversubscribe the cores our bands use. */
void gst_vae_blas_single_thread (void);

/* GstVideoFilter only posts a WARNING when a buffer is smaller than its
 * caps say, and then passes on an unfilled output buffer.  Called first by
 * the filters' transform: posts an ERROR and returns FALSE for such a
 * buffer. */
gboolean gst_vae_frame_fits (GstVideoFilter * filter, GstBuffer * buf);

G_END_DECLS
#endif
