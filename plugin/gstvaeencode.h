/* gst-vae: vaeencode, the latent code of every frame as a meta. */
#ifndef GST_VAE_ENCODE_H
#define GST_VAE_ENCODE_H

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include "vae.h"
#include "gstvaecommon.h"

G_BEGIN_DECLS

#define GST_TYPE_VAE_ENCODE (gst_vae_encode_get_type ())
G_DECLARE_FINAL_TYPE (GstVaeEncode, gst_vae_encode, GST, VAE_ENCODE,
    GstBaseTransform)

struct _GstVaeEncode {
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *model_name;
  guint interval;
  gfloat threshold;
  guint64 seed;

  /* from start() to stop() */
  VaeModel *model;
  VaeWorkspace *ws;
  const gchar *model_id;        /* interned "<file>:<sha256 prefix>" */
  gboolean is_vae;
  gint n_latent;
  gint n_in;
  gfloat *x;                    /* (n_in), the frame in [0, 1] */
  gfloat *mu;                   /* (n_latent) */
  gfloat *logvar;               /* (n_latent) */
  guint64 frame;

  /* from set_caps() */
  GstVideoInfo in_info;
  gboolean luma_only;           /* YUV with its own 8-bit luma plane: scale that */
  GstVideoInfo luma_info;       /* GRAY8 view of that plane */
  GstVaeGrayFrame small;        /* the model's img_w x img_h, from in_info */
};

GST_ELEMENT_REGISTER_DECLARE (vaeencode);

G_END_DECLS
#endif /* GST_VAE_ENCODE_H */
