/* vaedenoise's per-size state: the denoisers, the patch store, the
 * NV12/NV21 chroma planes and the RGB path's frames.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstvaedenoiseengine.h"
#include "gstvaedenoiselevel.h"

#include <string.h>

void
gst_vae_engine_free (GstVaeEngine * e)
{
  if (e == NULL)
    return;
  for (gint i = 0; i < e->n; i++)
    vae_denoiser_free (e->dn[i]);
  g_free (e->uv);
  g_free (e->guided);
  g_free (e->guided_scratch);
  g_free (e->pin);
  g_free (e->pout);
  g_free (e->neutral);
  g_free (e->store);
  gst_vae_conv_free (e->conv);
  gst_vae_temporal_free (e->temporal);
  g_free (e);
}

static gboolean
is_semi_planar (GstVideoFormat f)
{
  return f == GST_VIDEO_FORMAT_NV12 || f == GST_VIDEO_FORMAT_NV21;
}

/* The element's precision values are the core's. */
G_STATIC_ASSERT ((gint) GST_VAE_DENOISE_PRECISION_AUTO == VAE_PRECISION_AUTO
    && (gint) GST_VAE_DENOISE_PRECISION_FP32 == VAE_PRECISION_FP32
    && (gint) GST_VAE_DENOISE_PRECISION_BF16 == VAE_PRECISION_BF16
    && (gint) GST_VAE_DENOISE_PRECISION_INT8 == VAE_PRECISION_INT8);

static VaeDenoiseOpts
engine_opts (gint stride, GstVaeDenoisePrecision precision)
{
  VaeDenoiseOpts o = vae_denoise_opts_default ();

  o.stride = stride;
  o.precision = (VaePrecision) precision;
  return o;
}

const gchar *
gst_vae_engine_check (const VaeModel * model, gint stride,
    GstVaeDenoisePrecision precision, gchar ** msg)
{
  VaeDenoiseOpts o = engine_opts (stride, precision);
  VaeDenoiser *probe;
  const gchar *used;
  VaeError err;

  probe = vae_denoiser_new (model, 1, 1, &o, &err);
  if (probe == NULL) {
    *msg = g_strdup (err.msg);
    return NULL;
  }
  used = vae_denoiser_arithmetic (probe);
  vae_denoiser_free (probe);
  return used;
}

/* YUY2, UYVY, YVYU: luma and chroma in one plane */
static gboolean
is_packed_yuv (const GstVideoInfo * info)
{
  return GST_VIDEO_INFO_IS_YUV (info) && !GST_VIDEO_INFO_IS_GRAY (info)
      && GST_VIDEO_INFO_N_PLANES (info) == 1;
}

/* Whether a colour model takes the stream's planes as they are (4:2:0 or
 * gray) or a converted I420 copy. */
static gboolean
is_420_or_gray (const GstVideoInfo * info)
{
  return GST_VIDEO_INFO_IS_GRAY (info) || (GST_VIDEO_INFO_IS_YUV (info)
      && GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, 1) == 1
      && GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, 1) == 1);
}

/* Colour: the interleaved planes (at least a patch) and for GRAY8 the
 * neutral chroma row. */
static gboolean
colour_buffers (GstVaeEngine * e, const VaeModel * model, gint w, gint h,
    gboolean gray)
{
  const VaeConfig *c = vae_model_config (model);
  gsize size;

  vae_yuv420_packed_size (w, h, c->img_w, c->img_h, &e->pack_w, &e->pack_h);
  if (!g_size_checked_mul (&size, (gsize) e->pack_w, (gsize) e->pack_h))
    return FALSE;
  e->pin = g_try_malloc (size);
  e->pout = g_try_malloc (size);
  if (gray) {
    e->neutral = g_try_malloc ((gsize) e->pack_w);
    if (e->neutral != NULL)
      memset (e->neutral, 128, (gsize) e->pack_w);
  }
  return e->pin != NULL && e->pout != NULL && (!gray || e->neutral != NULL);
}

/* The model's metadata key as a number in [lo, hi] into *v (left as it
 * is when the key is absent); FALSE with *msg set when it is not one. */
static gboolean
meta_number (const VaeModel * model, const gchar * key, gdouble lo,
    gdouble hi, gdouble * v, gchar ** msg)
{
  const gchar *s = vae_model_get_meta (model, key);
  gchar *end;
  gdouble x;

  if (s == NULL)
    return TRUE;
  x = g_ascii_strtod (s, &end);
  if (end == s || *end != '\0' || !(x >= lo && x <= hi)) {
    *msg = g_strdup_printf ("model metadata %s \"%s\" is not a number in "
        "%g..%g", key, s, lo, hi);
    return FALSE;
  }
  *v = x;
  return TRUE;
}

/* The temporal stage over the working frames (the converted ones for
 * converted formats), whether the model takes its level map, and the
 * model's own figures for it: its gain on the leftover noise it is told
 * (denoise.temporal-gain, 0.5 .. 4) and the scale of the differences up
 * to which its output settles (denoise.settle-scale, 0.25 .. 4). */
static gboolean
temporal_state (GstVaeEngine * e, const GstVideoInfo * info, gchar ** msg)
{
  static const gfloat one = 1.0f;
  gdouble gain = 1.0, settle = 1.0;

  if (!meta_number (e->model, "denoise.temporal-gain", 0.5, 4.0, &gain, msg)
      || !meta_number (e->model, "denoise.settle-scale", 0.25, 4.0, &settle,
          msg))
    return FALSE;
  e->temporal = gst_vae_temporal_new (e->conv ? &e->conv->info : info, msg);
  if (e->temporal == NULL)
    return FALSE;
  e->level_maps = vae_denoiser_set_level_map (e->dn[0], &one, 1, 1, 1, 1)
      == VAE_OK;
  vae_denoiser_set_level_map (e->dn[0], NULL, 0, 0, 0, 0);
  vae_temporal_set_level_gain (e->temporal->t, (gfloat) gain);
  vae_temporal_set_settle_scale (e->temporal->t, (gfloat) settle);
  return TRUE;
}

GstVaeEngine *
gst_vae_engine_new (const VaeModel * model, const GstVideoInfo * info,
    gint n, gint stride, GstVaeDenoisePrecision precision, gchar ** msg)
{
  GstVaeEngine *e = g_new0 (GstVaeEngine, 1);
  VaeDenoiseOpts o = engine_opts (stride, precision);
  VaeError err;
  gint w = GST_VIDEO_INFO_WIDTH (info);
  gint h = GST_VIDEO_INFO_HEIGHT (info);
  gint pw = w, ph = h;          /* the plane the denoisers take */

  e->model = model;
  e->colour = vae_model_config (model)->colour != VAE_COLOUR_NONE;
  e->width = w;
  e->height = h;
  e->format = GST_VIDEO_INFO_FORMAT (info);
  e->colorimetry = info->colorimetry;
  e->stride = stride;
  e->precision = precision;
  if (e->colour) {
    if (!colour_buffers (e, model, w, h, GST_VIDEO_INFO_IS_GRAY (info)))
      goto too_big;
    pw = e->pack_w;
    ph = e->pack_h;
  }
  for (e->n = 0; e->n < n; e->n++) {
    e->dn[e->n] = vae_denoiser_new (model, pw, ph, &o, &err);
    if (e->dn[e->n] == NULL)
      goto denoiser_failed;
  }
  /* the luma plane is the largest, so its store serves the chroma too */
  e->store = g_try_malloc (vae_denoiser_store_floats (e->dn[0])
      * sizeof (gfloat));
  if (e->store == NULL)
    goto too_big;
  if (!e->colour && is_semi_planar (e->format)) {
    gsize size;
    e->cw = GST_VIDEO_INFO_COMP_WIDTH (info, 1);
    e->ch = GST_VIDEO_INFO_COMP_HEIGHT (info, 1);
    /* caps bound w and h to G_MAXINT, so only the product can overflow */
    if (!g_size_checked_mul (&size, (gsize) e->cw, (gsize) e->ch)
        || !g_size_checked_mul (&size, size, 4))
      goto too_big;
    e->uv = g_try_malloc (size);
    if (e->uv == NULL)
      goto too_big;
  }
  if (GST_VIDEO_INFO_IS_RGB (info) || is_packed_yuv (info)
      || (e->colour && !is_420_or_gray (info))) {
    e->conv = gst_vae_conv_new (info, e->colour, n, msg);
    if (e->conv == NULL) {
      gst_vae_engine_free (e);
      return NULL;
    }
    if (e->conv->space == VAE_OPPONENT) {
      gsize plane = (gsize) w * h;
      e->guided = g_try_malloc (2 * plane);
      e->guided_scratch = g_try_new (gfloat, (gsize) n
          * VAE_GUIDED_SCRATCH (w, GST_VAE_GUIDED_RADIUS));
      if (e->guided == NULL || e->guided_scratch == NULL)
        goto too_big;
    }
  }
  /* packed RGB: the project's own conversion's space; else the frame
   * denoised, the stream's or its conversion's, by matrix and range */
  if (e->conv != NULL && gst_vae_conv_banded (e->conv))
    vae_space_noise_gains (e->conv->space, e->noise_gain);
  else
    gst_vae_noise_gains (e->conv ? &e->conv->info : info, e->noise_gain);
  if (!temporal_state (e, info, msg)) {
    gst_vae_engine_free (e);
    return NULL;
  }
  return e;

  /* ERRORS */
denoiser_failed:
  {
    *msg = g_strdup_printf ("cannot denoise %dx%d frames with stride %d: %s",
        w, h, stride, err.msg);
    gst_vae_engine_free (e);
    return NULL;
  }
too_big:
  {
    *msg = g_strdup_printf ("cannot allocate the patch store or chroma "
        "scratch for %dx%d frames", w, h);
    gst_vae_engine_free (e);
    return NULL;
  }
}

gboolean
gst_vae_engine_fits (const GstVaeEngine * e, const VaeModel * model,
    const GstVideoInfo * info, gint n, gint stride,
    GstVaeDenoisePrecision precision)
{
  return e != NULL && e->model == model && e->width == GST_VIDEO_INFO_WIDTH (info)
      && e->height == GST_VIDEO_INFO_HEIGHT (info)
      && e->format == GST_VIDEO_INFO_FORMAT (info)
      && gst_video_colorimetry_is_equal (&e->colorimetry, &info->colorimetry)
      && e->stride == stride
      && e->precision == precision && e->n == n;
}

/* NV12/NV21: the interleaved chroma of in as two planes, U then V, in the
 * first half of the engine's chroma scratch. */
void
gst_vae_engine_split_uv (const GstVaeEngine * e, const GstVideoFrame * in)
{
  const guint8 *s = GST_VIDEO_FRAME_PLANE_DATA (in, 1);
  gint ss = GST_VIDEO_FRAME_PLANE_STRIDE (in, 1);
  gsize sz = (gsize) e->cw * e->ch;
  guint8 *u = e->uv, *v = e->uv + sz;

  for (gint y = 0; y < e->ch; y++) {
    const guint8 *row = s + (gsize) y * ss;
    for (gint x = 0; x < e->cw; x++) {
      u[(gsize) y * e->cw + x] = row[2 * x];
      v[(gsize) y * e->cw + x] = row[2 * x + 1];
    }
  }
}

/* The denoised U and V planes (the scratch's second half) interleaved into
 * out's chroma. */
void
gst_vae_engine_merge_uv (const GstVaeEngine * e, GstVideoFrame * out)
{
  gsize sz = (gsize) e->cw * e->ch;
  const guint8 *u = e->uv + 2 * sz, *v = e->uv + 3 * sz;
  guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (out, 1);
  gint ds = GST_VIDEO_FRAME_PLANE_STRIDE (out, 1);

  for (gint y = 0; y < e->ch; y++) {
    guint8 *row = d + (gsize) y * ds;
    for (gint x = 0; x < e->cw; x++) {
      row[2 * x] = u[(gsize) y * e->cw + x];
      row[2 * x + 1] = v[(gsize) y * e->cw + x];
    }
  }
}

/* A colour frame's chroma: its U and V samples (NV12/NV21's interleaved),
 * or for GRAY8 the neutral row repeated (stride 0). */
static void
frame_chroma (const GstVaeEngine * e, const GstVideoFrame * f, guint8 ** u,
    guint8 ** v, gint * c_stride, gint * c_step)
{
  if (GST_VIDEO_FRAME_N_PLANES (f) == 1) {
    *u = *v = e->neutral;
    *c_stride = 0;
    *c_step = 1;
    return;
  }
  *u = GST_VIDEO_FRAME_COMP_DATA (f, GST_VIDEO_COMP_U);
  *v = GST_VIDEO_FRAME_COMP_DATA (f, GST_VIDEO_COMP_V);
  *c_stride = GST_VIDEO_FRAME_COMP_STRIDE (f, GST_VIDEO_COMP_U);
  *c_step = GST_VIDEO_FRAME_COMP_PSTRIDE (f, GST_VIDEO_COMP_U);
}

void
gst_vae_engine_pack (const GstVaeEngine * e, const GstVideoFrame * frame,
    const GstVaeTemporal * ts, gint band, gint n_bands)
{
  const guint8 *y = GST_VIDEO_FRAME_COMP_DATA (frame, 0);
  gint ys = GST_VIDEO_FRAME_COMP_STRIDE (frame, 0), n = e->pack_h / 3;
  guint8 *u, *v;
  gint cs, step;

  frame_chroma (e, frame, &u, &v, &cs, &step);
  if (ts != NULL) {
    y = ts->avg[0].data;
    ys = ts->avg[0].stride;
  }
  if (ts != NULL && ts->chroma) {
    u = ts->avg[1].data;
    v = ts->avg[2].data;
    cs = ts->avg[1].stride;
    step = 1;
  }
  vae_yuv420_pack (y, ys, u, v, cs, step, e->width, e->height, e->pin,
      e->pack_w, e->pack_w, n * band / n_bands, n * (band + 1) / n_bands);
}

void
gst_vae_engine_unpack (const GstVaeEngine * e, GstVideoFrame * frame,
    gboolean chroma, gint band, gint n_bands)
{
  gint n = (e->height + 1) / 2;
  guint8 *u, *v;
  gint cs, step;

  frame_chroma (e, frame, &u, &v, &cs, &step);
  if (cs == 0 || !chroma)       /* GRAY8's chroma is dropped */
    u = v = NULL;
  vae_yuv420_unpack (e->pout, e->pack_w, GST_VIDEO_FRAME_COMP_DATA (frame, 0),
      GST_VIDEO_FRAME_COMP_STRIDE (frame, 0), u, v, cs, step, e->width,
      e->height, n * band / n_bands, n * (band + 1) / n_bands);
}
