/* vaedenoise's per-size state: the denoisers, the patch store, the
 * NV12/NV21 chroma planes and the RGB path's frames.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstvaedenoiseengine.h"

void
gst_vae_engine_free (GstVaeEngine * e)
{
  if (e == NULL)
    return;
  for (gint i = 0; i < e->n; i++)
    vae_denoiser_free (e->dn[i]);
  g_free (e->uv);
  g_free (e->store);
  gst_vae_rgb_free (e->rgb);
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
  VaePrecision used;
  VaeError err;

  probe = vae_denoiser_new (model, 1, 1, &o, &err);
  if (probe == NULL) {
    *msg = g_strdup (err.msg);
    return NULL;
  }
  used = vae_denoiser_precision (probe);
  vae_denoiser_free (probe);
  return used == VAE_PRECISION_BF16 ? "bf16 (AVX512_BF16 products, float sums)"
      : used == VAE_PRECISION_INT8 ? "int8 (8-bit products, int32 sums)"
      : "fp32";
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

  e->width = w;
  e->height = h;
  e->format = GST_VIDEO_INFO_FORMAT (info);
  e->colorimetry = info->colorimetry;
  e->stride = stride;
  e->precision = precision;
  for (e->n = 0; e->n < n; e->n++) {
    e->dn[e->n] = vae_denoiser_new (model, w, h, &o, &err);
    if (e->dn[e->n] == NULL)
      goto denoiser_failed;
  }
  /* the luma plane is the largest, so its store serves the chroma too */
  e->store = g_try_malloc (vae_denoiser_store_floats (e->dn[0])
      * sizeof (gfloat));
  if (e->store == NULL)
    goto too_big;
  if (is_semi_planar (e->format)) {
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
  if (GST_VIDEO_INFO_IS_RGB (info)) {
    e->rgb = gst_vae_rgb_new (info, n, msg);
    if (e->rgb == NULL) {
      gst_vae_engine_free (e);
      return NULL;
    }
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
gst_vae_engine_fits (const GstVaeEngine * e, const GstVideoInfo * info,
    gint n, gint stride, GstVaeDenoisePrecision precision)
{
  return e != NULL && e->width == GST_VIDEO_INFO_WIDTH (info)
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
