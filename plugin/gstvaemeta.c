/* gst-vae: GstVaeLatentMeta, the latent code of a video frame.
 *
 * The meta describes the picture's content, not its layout, so it is tagged
 * "video" only: GStreamer's converters and scalers keep it (a scaled or
 * converted frame has the same latent), other transforms drop it.
 */
#include "gstvaemeta.h"

#include <string.h>

typedef struct {
  guint n_latent;
  gboolean with_logvar;
  const gchar *model;
} GstVaeLatentMetaParams;

GType
gst_vae_latent_meta_api_get_type (void)
{
  static GType type = 0;
  /* GST_META_TAG_VIDEO_STR, spelled out to keep this library free of
   * gstreamer-video. */
  static const gchar *tags[] = { "video", NULL };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstVaeLatentMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
gst_vae_latent_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstVaeLatentMeta *m = (GstVaeLatentMeta *) meta;
  const GstVaeLatentMetaParams *p = params;
  gsize n;

  m->n_latent = 0;
  m->mu = m->logvar = NULL;
  m->model = NULL;
  m->score = m->reconstruction_error = 0.0f;
  m->frame = 0;
  /* gst_buffer_add_meta() with no params, as some generic code does. */
  if (p == NULL)
    return TRUE;

  g_return_val_if_fail (p->n_latent >= 1
      && p->n_latent <= GST_VAE_LATENT_META_MAX_K, FALSE);
  /* One block for μ and log σ²: a single allocation per frame. */
  n = (gsize) p->n_latent * (p->with_logvar ? 2 : 1);
  m->n_latent = p->n_latent;
  m->mu = g_new0 (gfloat, n);
  m->logvar = p->with_logvar ? m->mu + p->n_latent : NULL;
  m->model = p->model;
  return TRUE;
}

static void
gst_vae_latent_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstVaeLatentMeta *m = (GstVaeLatentMeta *) meta;

  g_free (m->mu);
  m->mu = m->logvar = NULL;
}

static gboolean
gst_vae_latent_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
{
  GstVaeLatentMeta *src = (GstVaeLatentMeta *) meta, *dst;

  /* Copies and scaled copies show the same picture; anything else (a region
   * of it, another picture) does not carry the latent over. */
  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *copy = data;
    if (copy->region)
      return FALSE;
  } else if (type != g_quark_from_static_string ("gst-video-scale")) {
    return FALSE;
  }
  if (src->n_latent == 0)
    return TRUE;

  dst = gst_buffer_add_vae_latent_meta (dest, src->n_latent,
      src->logvar != NULL, src->model);
  if (dst == NULL)
    return FALSE;
  memcpy (dst->mu, src->mu, src->n_latent * sizeof (gfloat));
  if (src->logvar != NULL)
    memcpy (dst->logvar, src->logvar, src->n_latent * sizeof (gfloat));
  dst->score = src->score;
  dst->reconstruction_error = src->reconstruction_error;
  dst->frame = src->frame;
  return TRUE;
}

const GstMetaInfo *
gst_vae_latent_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_VAE_LATENT_META_API_TYPE,
        "GstVaeLatentMeta", sizeof (GstVaeLatentMeta),
        gst_vae_latent_meta_init, gst_vae_latent_meta_free,
        gst_vae_latent_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

GstVaeLatentMeta *
gst_buffer_add_vae_latent_meta (GstBuffer * buffer, guint n_latent,
    gboolean with_logvar, const gchar * model)
{
  GstVaeLatentMetaParams p;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (n_latent >= 1
      && n_latent <= GST_VAE_LATENT_META_MAX_K, NULL);

  p.n_latent = n_latent;
  p.with_logvar = with_logvar;
  p.model = model != NULL ? g_intern_string (model) : NULL;
  return (GstVaeLatentMeta *) gst_buffer_add_meta (buffer,
      GST_VAE_LATENT_META_INFO, &p);
}
