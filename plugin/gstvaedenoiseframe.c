/* vaedenoise's per-frame flow: the frame's planes as jobs for the band
 * pool, the temporal stage before them, the colour model's interleaved
 * plane around them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>

#include "gstvaedenoise.h"
#include "gstvaedenoiseengine.h"
#include "gstvaedenoiselevel.h"
#include "gstvaedenoisepriv.h"
#include "gstvaecommon.h"
#include "vae_pool.h"

/* ------------------------------------------------------------- worker pool */


/* Each plane in two phases: the bands share its tiles (a tile computes
 * whole patch rows and writes the output rows they alone cover), then
 * write the rows of their own band that two tiles share, from the common
 * store.  A band claims the next tile
 * until none is left, so a band slowed down (another process on its core)
 * leaves its share to the others instead of holding them at the barrier.
 * No patch is computed twice and the bytes depend neither on the number of
 * bands nor on who computed which tile.  Every band reaches every barrier,
 * failed or not. */
static void
gst_vae_denoise_run_band (GstVaeDenoise * self, gint band)
{
  VaeDenoiser *d = self->engine->dn[band];
  gfloat *store = self->engine->store;
  gint n = self->n_bands;
  gint status = VAE_OK;

  for (gint j = 0; j < self->n_jobs; j++) {
    GstVaePlaneJob *job = &self->jobs[j];
    gint r0 = (gint) ((gint64) job->height * band / n);
    gint r1 = (gint) ((gint64) job->height * (band + 1) / n);
    gint n_tiles = vae_denoiser_n_tiles (d, job->width, job->height);

    if (n_tiles < 1)
      status = VAE_ERR_ARG;
    if (status == VAE_OK)
      status = vae_denoiser_set_level_map (d, job->map, job->map_w,
          job->map_h, job->cell_w, job->cell_h);
    while (status == VAE_OK) {
      gint t = g_atomic_int_add (&job->next_tile, 1);
      if (t >= n_tiles)
        break;
      status = vae_denoiser_tile_u8 (d, job->src, job->src_stride,
          job->dst, job->dst_stride, job->width, job->height, t, job->sigma,
          store);
    }
    vae_pool_barrier (self->pool);
    if (status == VAE_OK && r0 < r1)
      status = vae_denoiser_blend_u8 (d, store, job->dst, job->dst_stride,
          job->width, job->height, r0, r1);
    if (status == VAE_OK && r0 < r1 && self->blend < 256) {
      /* out = in + strength (denoised - in), in 1/256 steps */
      for (gint y = r0; y < r1; y++) {
        const guint8 *s = job->src + (gsize) y * job->src_stride;
        guint8 *o = job->dst + (gsize) y * job->dst_stride;
        gint k = self->blend;
        for (gint x = 0; x < job->width; x++)
          o[x] = (guint8) ((s[x] * (256 - k) + o[x] * k + 128) >> 8);
      }
    }
    /* the next plane's tiles overwrite the store */
    if (j + 1 < self->n_jobs)
      vae_pool_barrier (self->pool);
  }
  self->band_status[band] = status;
}

/* Band 0 runs on the streaming thread and copies the passthrough chroma
 * first, while the other bands start. */
static void
gst_vae_denoise_band_job (void *data, gint band)
{
  GstVaeDenoise *self = data;

  if (band == 0 && self->copy_out != NULL) {
    guint n_planes = GST_VIDEO_FRAME_N_PLANES (self->copy_in);
    for (guint p = self->copy_from; p < n_planes; p++)
      gst_video_frame_copy_plane (self->copy_out, self->copy_in, p);
  }
  gst_vae_denoise_run_band (self, band);
}

/* Runs the jobs already set up in self on all bands and waits for them. */
static void
gst_vae_denoise_pool_run (GstVaeDenoise * self, GstVideoFrame * copy_out,
    GstVideoFrame * copy_in, gint copy_from)
{
  self->copy_out = copy_out;
  self->copy_in = copy_in;
  self->copy_from = copy_from;
  vae_pool_run (self->pool, gst_vae_denoise_band_job, self);
}

/* -------------------------------------------------------------- streaming */

static void
add_job (GstVaeDenoise * self, const guint8 * src, gint src_stride,
    guint8 * dst, gint dst_stride, gint width, gint height, gfloat sigma)
{
  GstVaePlaneJob *j = &self->jobs[self->n_jobs++];

  j->src = src;
  j->src_stride = src_stride;
  j->dst = dst;
  j->dst_stride = dst_stride;
  j->width = width;
  j->height = height;
  j->next_tile = 0;
  j->sigma = sigma;
  j->map = NULL;
}

/* One-plane models: the frame's planes as the bands' jobs: the luma (at
 * its level ylevel), and with chroma the chroma planes (NV12/NV21's split
 * into U and V first).  With the temporal stage ts, the jobs read its
 * averaged planes; the levels are always the frame's own. */
static void
gst_vae_denoise_add_jobs (GstVaeDenoise * self, const GstVideoFrame * in,
    GstVideoFrame * out, gboolean chroma, gfloat level, gfloat ylevel,
    const GstVaeTemporal * ts)
{
  GstVaeEngine *e = self->engine;
  gboolean ni = vae_model_config (e->model)->noise_input;
  gint w = GST_VIDEO_FRAME_WIDTH (in), h = GST_VIDEO_FRAME_HEIGHT (in);
  const guint8 *y = GST_VIDEO_FRAME_PLANE_DATA (in, 0);
  gint ys = GST_VIDEO_FRAME_PLANE_STRIDE (in, 0);

  self->n_jobs = 0;
  add_job (self, ts ? ts->avg[0].data : y, ts ? ts->avg[0].stride : ys,
      GST_VIDEO_FRAME_PLANE_DATA (out, 0), GST_VIDEO_FRAME_PLANE_STRIDE (out,
          0), w, h, ni ? ylevel : 0.0f);
  if (!chroma)
    return;

  if (e->uv != NULL) {
    gsize sz = (gsize) e->cw * e->ch;

    /* the split serves as the source, and for the chroma's estimates */
    if (ts == NULL || (ni && level < 0.0f))
      gst_vae_engine_split_uv (e, in);
    for (guint c = 1; c <= 2; c++) {
      guint8 *u = e->uv + (c - 1) * sz;
      add_job (self, ts ? ts->avg[c].data : u, e->cw, e->uv + (c + 1) * sz,
          e->cw, e->cw, e->ch, gst_vae_plane_level (in, c, u, e->cw, e->cw,
              e->ch, level, ni, e->noise_gain));
    }
    return;
  }
  for (guint p = 1; p < GST_VIDEO_FRAME_N_PLANES (in); p++) {
    /* YV12's plane 1 is V */
    guint comp = GST_VIDEO_FORMAT_INFO_PLANE (in->info.finfo, 2) == p ? 2 : 1;
    const guint8 *c = GST_VIDEO_FRAME_PLANE_DATA (in, p);
    gint cs = GST_VIDEO_FRAME_PLANE_STRIDE (in, p);
    guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (out, p);
    gint ds = GST_VIDEO_FRAME_PLANE_STRIDE (out, p), pw, ph;
    gst_vae_frame_plane_size (in, p, &pw, &ph);
    /* the opponent space's chroma goes to the guided filter, which then
     * writes out's planes (gst_vae_denoise_guide_band) */
    if (e->guided != NULL) {
      d = e->guided + (gsize) (p - 1) * pw * ph;
      ds = pw;
    }
    add_job (self, ts ? ts->avg[comp].data : c, ts ? ts->avg[comp].stride
        : cs, d, ds, pw, ph,
        gst_vae_plane_level (in, comp, c, cs, pw, ph, level, ni,
            e->noise_gain));
  }
}

/* The temporal stage's bands: each matches the rows of motion blocks it
 * claims, then, once all are matched, blends the rows it claims.  The
 * bytes do not depend on who took which row (vae_temporal.h). */
static void
gst_vae_denoise_temporal_band (void *data, gint band)
{
  GstVaeDenoise *self = data;
  GstVaeTemporal *ts = self->engine->temporal;
  gint n = vae_temporal_rows (ts->t), r;

  while ((r = g_atomic_int_add (&ts->next_match, 1)) < n)
    vae_temporal_match (ts->t, ts->src, ts->sigma, r, r + 1);
  vae_pool_barrier (self->pool);
  while ((r = g_atomic_int_add (&ts->next_blend, 1)) < n)
    vae_temporal_blend (ts->t, ts->src, ts->avg, r, r + 1);
}

/* The temporal stage on the working frame src, whose luma's noise level is
 * ylevel: its planes (the luma alone without chroma) averaged with the past
 * into e->temporal's planes. */
static void
gst_vae_denoise_temporal (GstVaeDenoise * self, GstVaeEngine * e,
    const GstVideoFrame * src, gboolean chroma, gfloat ylevel)
{
  gst_vae_temporal_set_frame (e->temporal, src, chroma, ylevel);
  vae_pool_run (self->pool, gst_vae_denoise_temporal_band, self);
  vae_temporal_done (e->temporal->t);
}

/* The jobs' level maps: the temporal stage's leftover noise, in each job's
 * plane (luma, chroma, or a colour model's interleaved rows: 3 per 2 luma
 * rows).  A model without maps gets the mean; a fresh frame none. */
static void
gst_vae_denoise_set_maps (GstVaeDenoise * self, GstVaeEngine * e)
{
  GstVaeTemporal *ts = e->temporal;
  const gfloat *map;
  gint mw, mh, c = VAE_TEMPORAL_CELL;

  if (vae_temporal_fresh (ts->t))
    return;
  map = vae_temporal_levels (ts->t, &mw, &mh);
  for (gint j = 0; j < self->n_jobs; j++) {
    GstVaePlaneJob *job = &self->jobs[j];
    if (!e->level_maps) {
      job->sigma *= vae_temporal_mean_level (ts->t);
      continue;
    }
    job->map = map;
    job->map_w = mw;
    job->map_h = mh;
    job->cell_w = e->colour || j == 0 ? c : c >> ts->sx;
    job->cell_h = e->colour ? c / 2 * 3 : j == 0 ? c : c >> ts->sy;
  }
}

/* The opponent space's bands after denoising: each filters its rows of
 * the two denoised chroma planes (e->guided) into f, guided by f's
 * denoised luma. */
static void
gst_vae_denoise_guide_band (void *data, gint band)
{
  GstVaeDenoise *self = data;
  GstVaeEngine *e = self->engine;
  GstVideoFrame *f = self->guide;
  gint w = e->width, h = e->height;
  gint r0 = (gint) ((gint64) h * band / self->n_bands);
  gint r1 = (gint) ((gint64) h * (band + 1) / self->n_bands);
  gsize plane = (gsize) w * h;

  for (guint p = 1; p <= 2; p++)
    vae_guided_filter_u8 (GST_VIDEO_FRAME_PLANE_DATA (f, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (f, 0), e->guided + (p - 1) * plane, w,
        GST_VIDEO_FRAME_PLANE_DATA (f, p), GST_VIDEO_FRAME_PLANE_STRIDE (f,
            p), w, h, GST_VAE_GUIDED_RADIUS, GST_VAE_GUIDED_EPS, r0, r1,
        e->guided_scratch + band * VAE_GUIDED_SCRATCH (w,
            GST_VAE_GUIDED_RADIUS));
}

/* The temporal stage's bands after denoising: each settles the rows of
 * the denoised luma it claims and keeps them as the next frame's
 * reference. */
static void
gst_vae_denoise_settle_band (void *data, gint band)
{
  GstVaeDenoise *self = data;
  GstVaeTemporal *ts = self->engine->temporal;
  gint n = vae_temporal_rows (ts->t), r;

  while ((r = g_atomic_int_add (&ts->next_settle, 1)) < n)
    vae_temporal_settle (ts->t, ts->out, 3, r, r + 1);
}

/* The denoised dst's luma (and its chroma, if denoised) settled against
 * the last along the motion, and kept: the next frame's search matches
 * against the luma. */
static void
gst_vae_denoise_settle (GstVaeDenoise * self, GstVaeEngine * e,
    GstVideoFrame * dst, gboolean chroma)
{
  gst_vae_temporal_set_output (e->temporal, dst, chroma);
  vae_pool_run (self->pool, gst_vae_denoise_settle_band, self);
  vae_temporal_settle_done (e->temporal->t);
}

/* The conversions' bands (packed RGB): to the working frame before, or
 * back to the stream's after (self->conv_back), rows split between them. */
static void
gst_vae_denoise_conv_band (void *data, gint band)
{
  GstVaeDenoise *self = data;
  GstVaeConv *c = self->engine->conv;

  if (self->conv_back)
    gst_vae_conv_to_stream (c, self->conv_in, self->conv_out,
        self->conv_chroma, band, self->n_bands);
  else
    gst_vae_conv_to_yuv (c, self->conv_in, band, self->n_bands);
}

/* in to the working frame (back: the working frame to out). */
static void
gst_vae_denoise_convert (GstVaeDenoise * self, GstVaeConv * c,
    GstVideoFrame * in, GstVideoFrame * out, gboolean back, gboolean chroma)
{
  if (!gst_vae_conv_banded (c)) {
    if (back)
      gst_vae_conv_to_stream (c, in, out, chroma, 0, 1);
    else
      gst_vae_conv_to_yuv (c, in, 0, 1);
    return;
  }
  self->conv_in = in;
  self->conv_out = out;
  self->conv_back = back;
  self->conv_chroma = chroma;
  vae_pool_run (self->pool, gst_vae_denoise_conv_band, self);
}

/* The colour model's plane: packed from self->pack_frame (or the temporal
 * stage's planes), or (pack_back) unpacked into it, rows split between
 * the bands. */
static void
gst_vae_denoise_pack_band (void *data, gint band)
{
  GstVaeDenoise *self = data;

  if (self->pack_back)
    gst_vae_engine_unpack (self->engine, self->pack_frame, self->pack_chroma,
        band, self->n_bands);
  else
    gst_vae_engine_pack (self->engine, self->pack_frame, self->pack_ts,
        band, self->n_bands);
}

static void
gst_vae_denoise_pack (GstVaeDenoise * self, GstVideoFrame * frame,
    GstVaeTemporal * ts, gboolean back, gboolean chroma)
{
  self->pack_frame = frame;
  self->pack_ts = ts;
  self->pack_back = back;
  self->pack_chroma = chroma;
  vae_pool_run (self->pool, gst_vae_denoise_pack_band, self);
}

/* A colour model: the frame's planes (or the temporal stage's) interleaved
 * into one, denoised, and taken apart again (with chroma passthrough, the
 * luma alone: the chroma is copied, or for the converted path read from
 * the converted input). */
static void
gst_vae_denoise_colour (GstVaeDenoise * self, GstVideoFrame * src,
    GstVideoFrame * dst, gboolean chroma, gfloat ylevel, gboolean temporal)
{
  GstVaeEngine *e = self->engine;

  gst_vae_denoise_pack (self, src, temporal ? e->temporal : NULL, FALSE,
      FALSE);
  self->n_jobs = 0;
  add_job (self, e->pin, e->pack_w, e->pout, e->pack_w, e->pack_w, e->pack_h,
      vae_model_config (e->model)->noise_input ? gst_vae_colour_level (ylevel)
      : 0.0f);
  if (temporal)
    gst_vae_denoise_set_maps (self, e);
  gst_vae_denoise_pool_run (self, NULL, NULL, 0);
  gst_vae_denoise_pack (self, dst, NULL, TRUE, chroma);
  if (!chroma && e->conv == NULL)
    for (guint p = 1; p < GST_VIDEO_FRAME_N_PLANES (src); p++)
      gst_video_frame_copy_plane (dst, src, p);
}

GstFlowReturn
gst_vae_denoise_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in, GstVideoFrame * out)
{
  GstVaeDenoise *self = GST_VAE_DENOISE (filter);
  GstVaeEngine *e;
  GstVideoFrame *src = in, *dst = out;  /* the planes denoised */
  GstVaeDenoiseChroma chroma;
  gfloat level, strength, ylevel = 0.0f;
  gboolean with_chroma, temporal, reset;
  gint w, h, status = VAE_OK;

  GST_OBJECT_LOCK (self);
  level = self->noise_level;
  strength = self->strength;
  chroma = self->chroma;
  temporal = self->temporal;
  /* a DISCONT buffer (before_transform), a flush, a seek or a gap: the
   * past does not apply */
  reset = self->temporal_reset;
  self->temporal_reset = FALSE;
  GST_OBJECT_UNLOCK (self);

  gst_vae_frame_clear_padding (out);
  /* strength went to 0 after this buffer was queued for transforming */
  if (strength <= 0.0f) {
    gst_video_frame_copy (out, in);
    return GST_FLOW_OK;
  }

  g_mutex_lock (&self->engine_lock);
  e = self->engine;
  if (e == NULL || e->width != GST_VIDEO_FRAME_WIDTH (in)
      || e->height != GST_VIDEO_FRAME_HEIGHT (in)) {
    g_mutex_unlock (&self->engine_lock);
    goto not_negotiated;
  }

  w = GST_VIDEO_FRAME_WIDTH (in);
  h = GST_VIDEO_FRAME_HEIGHT (in);
  if (reset)
    gst_vae_temporal_reset (e->temporal);
  if (e->conv != NULL) {
    gst_vae_denoise_convert (self, e->conv, in, NULL, FALSE, FALSE);
    src = &e->conv->in;
    dst = &e->conv->out;
  }
  self->blend = MIN ((gint) lrintf (strength * 256.0f), 256);
  with_chroma = GST_VIDEO_FRAME_N_PLANES (src) > 1
      && (chroma == GST_VAE_DENOISE_CHROMA_DENOISE
      || (chroma == GST_VAE_DENOISE_CHROMA_AUTO && e->colour));
  /* the luma's noise level, estimated at most once a frame: the temporal
   * stage's, the luma job's, and over its gain the colour model's */
  if (temporal || vae_model_config (e->model)->noise_input)
    ylevel = gst_vae_plane_level (src, 0, GST_VIDEO_FRAME_PLANE_DATA (src, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (src, 0), GST_VIDEO_FRAME_WIDTH (src),
        GST_VIDEO_FRAME_HEIGHT (src), level, TRUE, e->noise_gain);
  /* a colour model reads the chroma whether it writes it or not */
  if (temporal)
    gst_vae_denoise_temporal (self, e, src, with_chroma || e->colour, ylevel);

  if (e->colour) {
    gst_vae_denoise_colour (self, src, dst, with_chroma, ylevel, temporal);
  } else {
    gst_vae_denoise_add_jobs (self, src, dst, with_chroma, level, ylevel,
        temporal ? e->temporal : NULL);
    if (temporal)
      gst_vae_denoise_set_maps (self, e);
    /* RGB's copied chroma is read from the converted input, not copied */
    if (with_chroma || e->conv != NULL)
      gst_vae_denoise_pool_run (self, NULL, NULL, 0);
    else
      gst_vae_denoise_pool_run (self, dst, src, 1);
    if (with_chroma && e->uv != NULL)
      gst_vae_engine_merge_uv (e, dst);
    /* the opponent space's chroma, denoised plane by plane, guided by
     * the luma it shares edges with */
    if (with_chroma && e->guided != NULL) {
      self->guide = dst;
      vae_pool_run (self->pool, gst_vae_denoise_guide_band, self);
    }
  }
  /* less flicker; the next frame's motion search matches against it */
  if (temporal)
    gst_vae_denoise_settle (self, e, dst, with_chroma);
  if (e->conv != NULL)
    gst_vae_denoise_convert (self, e->conv, in, out, TRUE, with_chroma);

  for (gint i = 0; i < self->n_bands; i++) {
    if (self->band_status[i] != VAE_OK)
      status = self->band_status[i];
  }
  g_mutex_unlock (&self->engine_lock);

  if (status != VAE_OK)
    goto denoise_failed;
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("frame arrived without a denoiser for its size"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
denoise_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Denoising a %dx%d frame failed: %s", w, h,
            vae_status_string (status)), (NULL));
    return GST_FLOW_ERROR;
  }
}
