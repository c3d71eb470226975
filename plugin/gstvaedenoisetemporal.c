/* vaedenoise's temporal stage: the state of core/temporal.c for the
 * negotiated frames, and the planes it averages into.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstvaedenoisetemporal.h"

GstVaeTemporal *
gst_vae_temporal_new (const GstVideoInfo * info, gchar ** msg)
{
  GstVaeTemporal *t = g_new0 (GstVaeTemporal, 1);
  const GstVideoFormatInfo *fi = info->finfo;
  gsize size = 0, off = 0;
  VaeError err;

  t->n_planes = GST_VIDEO_INFO_N_COMPONENTS (info) >= 3 ? 3 : 1;
  for (gint p = 0; p < t->n_planes; p++) {
    t->w[p] = GST_VIDEO_INFO_COMP_WIDTH (info, p);
    t->h[p] = GST_VIDEO_INFO_COMP_HEIGHT (info, p);
    /* caps bound w and h to G_MAXINT: the sum of products fits a gsize */
    size += (gsize) t->w[p] * t->h[p];
  }
  if (t->n_planes == 3) {
    t->sx = GST_VIDEO_FORMAT_INFO_W_SUB (fi, 1);
    t->sy = GST_VIDEO_FORMAT_INFO_H_SUB (fi, 1);
  }
  t->t = vae_temporal_new (t->w[0], t->h[0], t->n_planes, t->sx, t->sy,
      &err);
  if (t->t == NULL) {
    *msg = g_strdup (err.msg);
    goto failed;
  }
  t->buf = g_try_malloc (size);
  if (t->buf == NULL) {
    *msg = g_strdup_printf ("cannot allocate the averaged planes of %dx%d "
        "frames", t->w[0], t->h[0]);
    goto failed;
  }
  for (gint p = 0; p < t->n_planes; p++) {
    t->avg[p].data = t->buf + off;
    t->avg[p].stride = t->w[p];
    t->avg[p].step = 1;
    off += (gsize) t->w[p] * t->h[p];
  }
  return t;

failed:
  gst_vae_temporal_free (t);
  return NULL;
}

void
gst_vae_temporal_free (GstVaeTemporal * t)
{
  if (t == NULL)
    return;
  vae_temporal_free (t->t);
  g_free (t->buf);
  g_free (t);
}

void
gst_vae_temporal_reset (GstVaeTemporal * t)
{
  if (t != NULL)
    vae_temporal_reset (t->t);
}

void
gst_vae_temporal_set_frame (GstVaeTemporal * t, const GstVideoFrame * frame,
    gboolean chroma, gfloat sigma)
{
  chroma = chroma && t->n_planes == 3;
  /* the chroma averages are stale where chroma was skipped */
  if (chroma && !t->chroma)
    vae_temporal_reset (t->t);
  t->chroma = chroma;
  t->sigma = sigma;
  t->next_match = t->next_blend = 0;
  for (gint p = 0; p < 3; p++) {
    gboolean on = p == 0 || (chroma && p < t->n_planes);
    t->src[p].data = on ? GST_VIDEO_FRAME_COMP_DATA (frame, p) : NULL;
    t->src[p].stride = on ? GST_VIDEO_FRAME_COMP_STRIDE (frame, p) : 0;
    t->src[p].step = on ? GST_VIDEO_FRAME_COMP_PSTRIDE (frame, p) : 1;
  }
}

void
gst_vae_temporal_set_output (GstVaeTemporal * t, GstVideoFrame * dst,
    gboolean chroma)
{
  t->next_settle = 0;
  for (gint p = 0; p < 3; p++) {
    gboolean on = p == 0 || (chroma && p < t->n_planes);
    t->out[p].data = on ? GST_VIDEO_FRAME_COMP_DATA (dst, p) : NULL;
    t->out[p].stride = on ? GST_VIDEO_FRAME_COMP_STRIDE (dst, p) : 0;
    t->out[p].step = on ? GST_VIDEO_FRAME_COMP_PSTRIDE (dst, p) : 1;
  }
}
