/* gst-vae: the latent code of a video frame, as a GstMeta.
 *
 * vaeencode attaches one GstVaeLatentMeta to every buffer it passes on: the
 * encoder's posterior mean μ and log-variance log σ² of the frame (scaled
 * to the model's input size and converted to gray), the model that produced
 * them, and how well the model explains the frame.
 *
 * Reading it from a pad probe (see examples/read-latent.c):
 *
 *   #include <gst/vae/gstvaemeta.h>
 *
 *   GstVaeLatentMeta *meta = gst_buffer_get_vae_latent_meta (buf);
 *   if (meta != NULL)
 *     g_print ("frame %" G_GUINT64_FORMAT ": z0 %f, score %f\n",
 *         meta->frame, meta->mu[0], meta->score);
 *
 * Build with `pkg-config --cflags --libs gstreamer-vae-1.0`.
 */
#ifndef GST_VAE_META_H
#define GST_VAE_META_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* Matches VAE_MAX_DIM in the core: no layer, the latent included, is wider. */
#define GST_VAE_LATENT_META_MAX_K 65536

#define GST_VAE_LATENT_META_API_TYPE (gst_vae_latent_meta_api_get_type ())
#define GST_VAE_LATENT_META_INFO (gst_vae_latent_meta_get_info ())

typedef struct _GstVaeLatentMeta GstVaeLatentMeta;

/**
 * GstVaeLatentMeta:
 * @meta: parent #GstMeta
 * @n_latent: latent size K (1 .. %GST_VAE_LATENT_META_MAX_K)
 * @mu: (array length=n_latent): posterior mean μ, or the code z of a
 *   deterministic autoencoder
 * @logvar: (array length=n_latent) (nullable): posterior log σ², %NULL for a
 *   deterministic autoencoder
 * @model: (nullable): interned identity of the model:
 *   "<file name>:<first 16 hex digits of the file's SHA-256>"
 * @score: negative ELBO of the frame in nats (for an AE: its reconstruction
 *   error); higher means the model explains the frame worse
 * @reconstruction_error: the likelihood's negative log-likelihood of the
 *   frame given z = μ, in nats
 * @frame: index of the frame since the encoder started, from 0
 *
 * The latent code of one frame.  @mu and @logvar live in the meta and are
 * freed with it; copies of the buffer carry their own copy.
 */
struct _GstVaeLatentMeta {
  GstMeta meta;

  guint n_latent;
  gfloat *mu;                   /* (n_latent) */
  gfloat *logvar;               /* (n_latent) or NULL */
  const gchar *model;
  gfloat score;
  gfloat reconstruction_error;
  guint64 frame;
};

GType gst_vae_latent_meta_api_get_type (void);
const GstMetaInfo *gst_vae_latent_meta_get_info (void);

/* Adds a meta for a latent of size n_latent (1 .. GST_VAE_LATENT_META_MAX_K)
 * with μ (and log σ² when with_logvar) zeroed for the caller to fill.  The
 * buffer must be writable.  model is interned. */
GstVaeLatentMeta *gst_buffer_add_vae_latent_meta (GstBuffer * buffer,
    guint n_latent, gboolean with_logvar, const gchar * model);

#define gst_buffer_get_vae_latent_meta(b) \
  ((GstVaeLatentMeta *) gst_buffer_get_meta ((b), GST_VAE_LATENT_META_API_TYPE))

G_END_DECLS
#endif /* GST_VAE_META_H */
