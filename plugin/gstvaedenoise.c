/* vaedenoise: learned patch denoiser for raw video.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-vaedenoise
 * @title: vaedenoise
 *
 * Removes noise from raw video with a denoising autoencoder from gst-vae's
 * core: every overlapping patch goes through the model and the patches are
 * averaged back (overlap-add).  The frame is cut into horizontal bands, one
 * per thread; each band gives exactly the result of a single-threaded run.
 *
 * By default (model=auto) colour video goes through a colour model, which
 * takes each patch's luma and the chroma under it together (a 4:2:0 patch
 * interleaved into one plane): I420, YV12, NV12, NV21 directly, Y42B, Y444,
 * packed 4:2:2 (YUY2, UYVY, YVYU) and packed RGB through an I420 copy (RGB
 * as BT.601 limited range), alpha byte for byte.  GRAY8 goes through a
 * one-plane model, which on colour video denoises the luma and copies or
 * denoises the chroma plane by plane (#GstVaeDenoise:chroma); packed RGB is
 * then converted to the opponent space's three planes ((R + G + B) / 3,
 * (R − B) / 2, (R − 2G + B) / 4: each holds RGB noise independently), and
 * denoised chroma goes through a guided filter with the denoised luma as
 * the guide; packed 4:2:2 is unpacked to Y42B (its chroma untouched).
 *
 * The noise level σ is given with #GstVaeDenoise:noise-level, as the σ of
 * RGB noise per channel on colour video (each plane gets its share: Y
 * 0.574 σ in BT.601 limited range), or estimated from each frame's luma.
 * #GstVaeDenoise:strength blends the result with the input; 0 passes
 * buffers through untouched.
 *
 * By default (#GstVaeDenoise:temporal) each frame is first averaged with
 * the frames before it along the motion (16 × 16 blocks matched to half a
 * pixel), cell by cell where they agree within the noise; the denoiser
 * then gets each region's leftover noise as its level.  A cut, a flush,
 * a seek, a gap, a DISCONT buffer, new caps or a new model start afresh;
 * the output stays one frame in, one frame out, with no added latency.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *     vaedenoise ! videoconvert ! avenc_ffv1 ! matroskamux ! \
 *     filesink location=out.mkv
 * ]| Denoises a file (pipelines/denoise-file.sh IN OUT).
 * |[
 * gst-launch-1.0 videotestsrc pattern=ball ! video/x-raw,format=GRAY8 ! \
 *     vaenoise sigma=25 ! tee name=t \
 *     t. ! queue ! compositor name=c sink_1::xpos=320 ! videoconvert ! \
 *     autovideosink \
 *     t. ! queue ! vaedenoise ! c.
 * ]| Noisy and denoised side by side (pipelines/live-compare.sh).
 * |[
 * gst-launch-1.0 filesrc location=clean.png ! pngdec ! videoconvert ! \
 *     video/x-raw,format=GRAY8 ! imagefreeze num-buffers=1 ! \
 *     vaenoise sigma=25 ! vaedenoise ! videoconvert ! pngenc ! \
 *     filesink location=denoised.png
 * ]| One image, noised then denoised (pipelines/compare-headless.sh).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvaedenoise.h"
#include "gstvaedenoiseengine.h"
#include "gstvaedenoisepriv.h"
#include "gstvaecommon.h"
#include "vae_pool.h"

GST_DEBUG_CATEGORY_STATIC (gst_vae_denoise_debug);
#define GST_CAT_DEFAULT gst_vae_denoise_debug


enum
{
  PROP_0,
  PROP_MODEL,
  PROP_NOISE_LEVEL,
  PROP_STRENGTH,
  PROP_STRIDE,
  PROP_N_THREADS,
  PROP_CHROMA,
  PROP_PRECISION,
  PROP_TEMPORAL,
};

#define DEFAULT_PROP_MODEL "auto"
/* what model=auto loads: one model for GRAY8, one for colour */
#define AUTO_GRAY_MODEL "denoise-s.safetensors"
#define AUTO_COLOUR_MODEL "denoise-colour.safetensors"
#define DEFAULT_PROP_NOISE_LEVEL -1.0f
#define DEFAULT_PROP_STRENGTH 1.0f
#define DEFAULT_PROP_STRIDE 0
#define DEFAULT_PROP_N_THREADS 0
#define DEFAULT_PROP_CHROMA GST_VAE_DENOISE_CHROMA_AUTO
#define DEFAULT_PROP_PRECISION GST_VAE_DENOISE_PRECISION_AUTO
#define DEFAULT_PROP_TEMPORAL TRUE


static const GstVaeModelNeeds model_needs = { "vaedenoise",
  GST_VAE_KIND_BIT (VAE_KIND_DAE), "a denoising autoencoder"
};

#define GST_VAE_DENOISE_CAPS \
    GST_VIDEO_CAPS_MAKE ("{ GRAY8, I420, YV12, NV12, NV21, Y42B, Y444, " \
        "YUY2, UYVY, YVYU, " \
        "RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR }")

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VAE_DENOISE_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VAE_DENOISE_CAPS));


G_DEFINE_TYPE (GstVaeDenoise, gst_vae_denoise, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (vaedenoise, "vaedenoise", GST_RANK_NONE,
    GST_TYPE_VAE_DENOISE);

/* ------------------------------------------------------------- properties */

/* model=auto: denoise-s for GRAY8, the colour model for colour */
static gboolean
is_auto (const gchar * name)
{
  return g_strcmp0 (name, "auto") == 0;
}

static void
gst_vae_denoise_update_passthrough (GstVaeDenoise * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  gboolean passthrough, current;

  GST_OBJECT_LOCK (self);
  passthrough = self->strength <= 0.0f;
  GST_OBJECT_UNLOCK (self);
  current = gst_base_transform_is_passthrough (trans);
  if (passthrough != current) {
    gst_base_transform_reconfigure_src (trans);
    gst_base_transform_set_passthrough (trans, passthrough);
  }
}

/* A model set while running is loaded here, in the caller's thread, and
 * swapped in between two frames.  A model that fails to load is reported
 * as a warning and the previous one stays. */
static void
gst_vae_denoise_swap_model (GstVaeDenoise * self, const gchar * name)
{
  VaeModel *model, *colour = NULL, *old_model = NULL, *old_colour = NULL;
  GstVaeEngine *engine = NULL, *old_engine = NULL;
  GstVaeLoadFailure failure;
  gchar *msg = NULL;

  g_mutex_lock (&self->load_lock);
  if (!self->started)
    goto done;

  model = gst_vae_load_model (is_auto (name) ? AUTO_GRAY_MODEL : name,
      &model_needs, NULL, &msg, &failure);
  if (model == NULL)
    goto load_failed;
  if (is_auto (name)) {
    colour = gst_vae_load_model (AUTO_COLOUR_MODEL, &model_needs, NULL, &msg,
        &failure);
    if (colour == NULL) {
      vae_model_free (model);
      goto load_failed;
    }
  }

  for (;;) {
    GstVideoInfo info;
    gboolean have_info;
    guint gen;
    gint n, stride;
    GstVaeDenoisePrecision precision;

    g_mutex_lock (&self->engine_lock);
    info = self->info;
    have_info = self->have_info;
    gen = self->info_gen;
    n = self->n_bands;
    g_mutex_unlock (&self->engine_lock);
    GST_OBJECT_LOCK (self);
    stride = self->stride;
    precision = self->precision;
    GST_OBJECT_UNLOCK (self);

    if (have_info) {
      VaeModel *m = colour != NULL && !GST_VIDEO_INFO_IS_GRAY (&info)
          ? colour : model;
      engine = gst_vae_engine_new (m, &info, n, stride, precision, &msg);
      if (engine == NULL) {
        vae_model_free (model);
        vae_model_free (colour);
        goto load_failed;
      }
    }
    g_mutex_lock (&self->engine_lock);
    if (gen == self->info_gen) {
      old_model = self->model;
      old_colour = self->colour_model;
      old_engine = self->engine;
      self->model = model;
      self->colour_model = colour;
      if (have_info)
        self->engine = engine;
      g_mutex_unlock (&self->engine_lock);
      break;
    }
    /* caps changed meanwhile: build again for the new size */
    g_mutex_unlock (&self->engine_lock);
    gst_vae_engine_free (engine);
    engine = NULL;
  }
  GST_INFO_OBJECT (self, "switched to model %s", name);
  gst_vae_engine_free (old_engine);
  vae_model_free (old_model);
  vae_model_free (old_colour);

done:
  g_mutex_unlock (&self->load_lock);
  return;

  /* ERRORS */
load_failed:
  {
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
        ("Cannot switch to model %s, keeping the previous one", msg), (NULL));
    g_free (msg);
    goto done;
  }
}

static void
gst_vae_denoise_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVaeDenoise *self = GST_VAE_DENOISE (object);

  if (prop_id == PROP_MODEL) {
    if (gst_vae_set_model_name (GST_ELEMENT (self), pspec, value,
            &self->model_name))
      gst_vae_denoise_swap_model (self, g_value_get_string (value));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NOISE_LEVEL:
      self->noise_level = g_value_get_float (value);
      break;
    case PROP_STRENGTH:
      self->strength = g_value_get_float (value);
      break;
    case PROP_STRIDE:
      self->stride = g_value_get_int (value);
      break;
    case PROP_N_THREADS:
      self->n_threads = g_value_get_int (value);
      break;
    case PROP_CHROMA:
      self->chroma = g_value_get_enum (value);
      break;
    case PROP_PRECISION:
      self->precision = g_value_get_enum (value);
      break;
    case PROP_TEMPORAL:
      self->temporal = g_value_get_boolean (value);
      self->temporal_reset = TRUE;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  if (prop_id == PROP_STRENGTH)
    gst_vae_denoise_update_passthrough (self);
}

static void
gst_vae_denoise_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstVaeDenoise *self = GST_VAE_DENOISE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_name);
      break;
    case PROP_NOISE_LEVEL:
      g_value_set_float (value, self->noise_level);
      break;
    case PROP_STRENGTH:
      g_value_set_float (value, self->strength);
      break;
    case PROP_STRIDE:
      g_value_set_int (value, self->stride);
      break;
    case PROP_N_THREADS:
      g_value_set_int (value, self->n_threads);
      break;
    case PROP_CHROMA:
      g_value_set_enum (value, self->chroma);
      break;
    case PROP_PRECISION:
      g_value_set_enum (value, self->precision);
      break;
    case PROP_TEMPORAL:
      g_value_set_boolean (value, self->temporal);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* A worker done with a frame watches for the next one this long before it
 * sleeps: where frames follow each other at once (a file, a queue ahead),
 * waking a sleeping thread on a virtual machine costs more than the spin;
 * a live stream pays a small share of a core for it.  The bands also spin
 * a while at their barriers (core/pool.c). */
#define WORKER_SPIN_US 300

/* --------------------------------------------------------- state changes */

static gboolean
gst_vae_denoise_start (GstBaseTransform * trans)
{
  GstVaeDenoise *self = GST_VAE_DENOISE (trans);
  VaeError verr;
  VaeModel *model, *colour = NULL;
  gchar *name, *path = NULL, *msg = NULL;
  const gchar *computing;
  gint n, stride;
  GstVaeDenoisePrecision precision;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->model_name);
  n = self->n_threads;
  stride = self->stride;
  precision = self->precision;
  GST_OBJECT_UNLOCK (self);
  if (n <= 0)
    n = (gint) g_get_num_processors ();
  n = CLAMP (n, 1, MAX_THREADS);

  model = gst_vae_element_load_model (GST_ELEMENT (self), &model_needs,
      is_auto (name) ? AUTO_GRAY_MODEL : name, 0, NULL, &path);
  if (model == NULL)
    goto load_failed;
  /* what the core refuses is said now, not when caps come */
  computing = gst_vae_engine_check (model, stride, precision, &msg);
  if (computing == NULL)
    goto unusable;
  GST_INFO_OBJECT (self, "computing in %s", computing);
  if (is_auto (name)) {
    g_free (path);
    colour = gst_vae_element_load_model (GST_ELEMENT (self), &model_needs,
        AUTO_COLOUR_MODEL, 0, NULL, &path);
    if (colour == NULL) {
      vae_model_free (model);
      goto load_failed;
    }
    /* it serves colour caps only: settings it cannot take (an odd stride,
     * say) fail when such caps come, and GRAY8 still runs */
    computing = gst_vae_engine_check (colour, stride, precision, &msg);
    if (computing == NULL) {
      GST_INFO_OBJECT (self, "%s: %s; colour caps will fail", path, msg);
      g_clear_pointer (&msg, g_free);
    } else {
      GST_INFO_OBJECT (self, "colour model computing in %s", computing);
    }
  }

  g_mutex_lock (&self->load_lock);
  self->pool = vae_pool_new ("vaedenoise", n, WORKER_SPIN_US, &verr);
  if (self->pool == NULL) {
    g_mutex_unlock (&self->load_lock);
    vae_model_free (model);
    vae_model_free (colour);
    goto no_threads;
  }
  g_mutex_lock (&self->engine_lock);
  self->model = model;
  self->colour_model = colour;
  self->n_bands = n;
  self->have_info = FALSE;
  g_mutex_unlock (&self->engine_lock);
  self->started = TRUE;
  g_mutex_unlock (&self->load_lock);

  GST_INFO_OBJECT (self, "model %s, %d band(s)", path, n);
  g_free (path);
  g_free (name);
  return TRUE;

  /* ERRORS */
load_failed:
  {
    g_free (name);
    return FALSE;
  }
unusable:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot use model %s: %s", path, msg), (NULL));
    g_free (msg);
    vae_model_free (model);
    vae_model_free (colour);
    g_free (path);
    g_free (name);
    return FALSE;
  }
no_threads:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Cannot start %d worker threads: %s", n - 1, verr.msg), (NULL));
    g_free (path);
    g_free (name);
    return FALSE;
  }
}

static gboolean
gst_vae_denoise_stop (GstBaseTransform * trans)
{
  GstVaeDenoise *self = GST_VAE_DENOISE (trans);

  g_mutex_lock (&self->load_lock);
  self->started = FALSE;
  g_clear_pointer (&self->pool, vae_pool_free);
  g_mutex_lock (&self->engine_lock);
  gst_vae_engine_free (self->engine);
  self->engine = NULL;
  vae_model_free (self->model);
  vae_model_free (self->colour_model);
  self->model = NULL;
  self->colour_model = NULL;
  self->have_info = FALSE;
  g_mutex_unlock (&self->engine_lock);
  g_mutex_unlock (&self->load_lock);
  return TRUE;
}

static gboolean
gst_vae_denoise_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstVaeDenoise *self = GST_VAE_DENOISE (filter);
  GstVaeEngine *e;
  VaeModel *model;
  gchar *msg = NULL;
  gint stride;
  GstVaeDenoisePrecision precision;

  GST_OBJECT_LOCK (self);
  stride = self->stride;
  precision = self->precision;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->engine_lock);
  if (self->model == NULL) {
    g_mutex_unlock (&self->engine_lock);
    goto not_started;
  }
  e = self->engine;
  model = self->colour_model != NULL && !GST_VIDEO_INFO_IS_GRAY (in_info)
      ? self->colour_model : self->model;
  if (!gst_vae_engine_fits (e, model, in_info, self->n_bands, stride,
          precision)) {
    /* free first: the old and new engines need not coexist */
    gst_vae_engine_free (e);
    self->engine = gst_vae_engine_new (model, in_info, self->n_bands,
        stride, precision, &msg);
  }
  gst_vae_temporal_reset (self->engine ? self->engine->temporal : NULL);
  self->info = *in_info;
  self->have_info = self->engine != NULL;
  self->info_gen++;
  g_mutex_unlock (&self->engine_lock);
  if (msg != NULL)
    goto engine_failed;

  GST_DEBUG_OBJECT (self, "negotiated %" GST_PTR_FORMAT, incaps);
  gst_vae_denoise_update_passthrough (self);
  return TRUE;

  /* ERRORS */
not_started:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("No model loaded"), (NULL));
    return FALSE;
  }
engine_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot set up denoising: %s", msg), (NULL));
    g_free (msg);
    return FALSE;
  }
}

/* ------------------------------------------------------------------ class */

static void
gst_vae_denoise_finalize (GObject * object)
{
  GstVaeDenoise *self = GST_VAE_DENOISE (object);

  g_free (self->model_name);
  g_mutex_clear (&self->load_lock);
  g_mutex_clear (&self->engine_lock);
  G_OBJECT_CLASS (gst_vae_denoise_parent_class)->finalize (object);
}

/* A flush, a new segment (a seek), a gap or a new stream: the temporal
 * stage starts afresh with the next frame. */
static gboolean
gst_vae_denoise_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstVaeDenoise *self = GST_VAE_DENOISE (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_GAP:
    case GST_EVENT_STREAM_START:
      GST_OBJECT_LOCK (self);
      self->temporal_reset = TRUE;
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_vae_denoise_parent_class)->sink_event
      (trans, event);
}

/* Controlled properties (a GstController fading strength, say) take their
 * values at this buffer's stream time before it is transformed or passed
 * through.  A DISCONT buffer starts the temporal stage afresh here, where
 * every buffer passes: one that QoS then drops never reaches
 * transform_frame, and basetransform only marks the next output buffer. */
static void
gst_vae_denoise_before_transform (GstBaseTransform * trans, GstBuffer * buf)
{
  GstVaeDenoise *self = GST_VAE_DENOISE (trans);
  GstClockTime stream_time;

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT)) {
    GST_OBJECT_LOCK (self);
    self->temporal_reset = TRUE;
    GST_OBJECT_UNLOCK (self);
  }
  if (trans->segment.format != GST_FORMAT_TIME)
    return;
  stream_time = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    gst_object_sync_values (GST_OBJECT (trans), stream_time);
}

static GstFlowReturn
gst_vae_denoise_transform (GstBaseTransform * trans, GstBuffer * inbuf,
    GstBuffer * outbuf)
{
  if (!gst_vae_frame_fits (GST_VIDEO_FILTER (trans), inbuf))
    return GST_FLOW_ERROR;
  return GST_BASE_TRANSFORM_CLASS (gst_vae_denoise_parent_class)->transform
      (trans, inbuf, outbuf);
}

static void
gst_vae_denoise_class_init (GstVaeDenoiseClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_vae_denoise_debug, "vaedenoise", 0,
      "learned video denoiser");

  gobject_class->set_property = gst_vae_denoise_set_property;
  gobject_class->get_property = gst_vae_denoise_get_property;
  gobject_class->finalize = gst_vae_denoise_finalize;

  /**
   * GstVaeDenoise:model:
   *
   * Model file: a name looked up in $GST_VAE_MODEL_PATH and the installed
   * model folder, or a path.  Must be a denoising autoencoder: a patch
   * network like the real-time default, or a convolutional one like
   * denoise-cnn.safetensors (the quality model: better, at many times the
   * compute per pixel, for offline and low-resolution use).  Read when the
   * element starts; set while playing, the new model is loaded in the
   * setting thread and replaces the old one between two frames (a model
   * that fails to load then only warns and the old one stays).
   */
  gst_vae_install_model_property (gobject_class, PROP_MODEL,
      DEFAULT_PROP_MODEL, "Denoising model: file name (searched in "
      "GST_VAE_MODEL_PATH and the model folders) or path; auto = "
      AUTO_COLOUR_MODEL " for colour, " AUTO_GRAY_MODEL " for GRAY8; set "
      "while playing, it replaces the running model between two frames",
      GST_PARAM_MUTABLE_PLAYING);
  /**
   * GstVaeDenoise:noise-level:
   *
   * Noise standard deviation in 8-bit units given to noise-conditional
   * models; -1 estimates it from every frame's luma.  Models trained
   * without a noise input ignore it.  Controllable: a GstController sets
   * it per buffer.
   */
  g_object_class_install_property (gobject_class, PROP_NOISE_LEVEL,
      g_param_spec_float ("noise-level", "Noise level",
          "Noise sigma in 8-bit units: per RGB channel on colour video, of "
          "the plane on GRAY8 (-1 = estimate per frame)",
          -1.0f, 255.0f, DEFAULT_PROP_NOISE_LEVEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));
  /**
   * GstVaeDenoise:strength:
   *
   * Blend of the denoised frame with the input: 1 is fully denoised, 0
   * passes buffers through untouched without computing anything.
   * Controllable: a GstController can fade the denoiser in and out.
   */
  g_object_class_install_property (gobject_class, PROP_STRENGTH,
      g_param_spec_float ("strength", "Strength",
          "Blend with the input (0 = passthrough, 1 = fully denoised)",
          0.0f, 1.0f, DEFAULT_PROP_STRENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));
  /**
   * GstVaeDenoise:stride:
   *
   * Step between patches in pixels; 0 uses the model's own operating
   * point (its denoise.stride metadata, else half a patch: 6 for the
   * default model).  Smaller is slower and usually a little better.  Takes
   * effect at the next caps negotiation.  Convolutional models compute
   * every pixel once and ignore it.
   */
  g_object_class_install_property (gobject_class, PROP_STRIDE,
      g_param_spec_int ("stride", "Stride",
          "Patch step in pixels (0 = the model's own stride, else half the patch)", 0, 64,
          DEFAULT_PROP_STRIDE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstVaeDenoise:n-threads:
   *
   * Number of bands computed in parallel; 0 uses one per processor.
   */
  g_object_class_install_property (gobject_class, PROP_N_THREADS,
      g_param_spec_int ("n-threads", "Threads",
          "Worker threads, one band each (0 = one per processor)", 0,
          MAX_THREADS, DEFAULT_PROP_N_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstVaeDenoise:chroma:
   *
   * What happens to the chroma planes (for RGB with a one-plane model, the
   * opponent space's second and third planes).
   */
  g_object_class_install_property (gobject_class, PROP_CHROMA,
      g_param_spec_enum ("chroma", "Chroma",
          "Chroma: auto = denoised by colour models, copied with one-plane "
          "models; passthrough = copied; denoise = denoised",
          GST_TYPE_VAE_DENOISE_CHROMA, DEFAULT_PROP_CHROMA,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstVaeDenoise:precision:
   *
   * The arithmetic of patch models.  bf16 rounds the network's inputs,
   * weights and hidden activations to bfloat16 and sums in float: faster
   * than fp32 on CPUs with AVX512_BF16, and the outputs differ by at most
   * one level.  int8 multiplies 8-bit pixels and activation codes by the
   * model's 7-bit weights (vae quantize) with exact int32 sums, the same
   * bytes on every CPU: the fastest with AVX512_VNNI (AMX-INT8 where the
   * CPU has it) or AVX2.  The speeds are in bench/RESULTS.md, the models'
   * scores in each precision in models/README.md.  A model with int8
   * weights for its first layer only (`vae quantize --layers 1`) runs
   * that layer in int8 and the others in bf16 where the CPU has
   * AVX512_BF16, else in fp32.  auto takes int8 where the model has int8 weights and the CPU
   * has AVX512_VNNI or is AVX2 without AVX-512, else bf16 where it can,
   * else fp32; bf16 on a CPU without
   * it, or int8 with a model without int8 weights, is an error at start.
   * Convolutional models always compute in fp32.  Takes effect at the
   * next caps negotiation.
   */
  g_object_class_install_property (gobject_class, PROP_PRECISION,
      g_param_spec_enum ("precision", "Precision",
          "Arithmetic of patch models: auto (int8 where the model has int8 "
          "weights and the CPU AVX512_VNNI (on AMX where it has AMX-INT8), "
          "or AVX2 without AVX-512; else "
          "bf16 where the CPU has AVX512_BF16; else fp32), fp32, bf16 or "
          "int8 (for a model with int8 weights for its first layer only, "
          "that layer in int8 and the rest in bf16 or fp32)",
          GST_TYPE_VAE_DENOISE_PRECISION, DEFAULT_PROP_PRECISION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstVaeDenoise:temporal:
   *
   * Averages each frame with the frames before it along the motion before
   * denoising (core/temporal.c): 16 × 16 blocks matched against the running
   * average to half a pixel; each 4 × 4 cell weighs the average by how
   * well it has held (up to 16 frames where still, 2 where moving) and
   * starts afresh where it disagrees with the frame beyond the noise; a
   * frame where most cells disagree is a cut.  Noise-conditional patch
   * models then get each region's leftover noise as its level.  Starts
   * afresh on a flush, seek, gap, DISCONT buffer, caps or model change, and
   * when set.  FALSE denoises each frame alone.
   */
  g_object_class_install_property (gobject_class, PROP_TEMPORAL,
      g_param_spec_boolean ("temporal", "Temporal",
          "Average with the frames before along the motion before denoising",
          DEFAULT_PROP_TEMPORAL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "VAE denoiser", "Filter/Effect/Video",
      "Removes noise with a learned denoising autoencoder (patch or convolutional)",
      "gst-vae developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_vae_denoise_start);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_vae_denoise_sink_event);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_vae_denoise_stop);
  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_vae_denoise_before_transform);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_vae_denoise_transform);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_vae_denoise_set_info);
  filter_class->transform_frame =
      GST_DEBUG_FUNCPTR (gst_vae_denoise_transform_frame);

  gst_type_mark_as_plugin_api (GST_TYPE_VAE_DENOISE_CHROMA, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_VAE_DENOISE_PRECISION, 0);
}

static void
gst_vae_denoise_init (GstVaeDenoise * self)
{
  self->model_name = g_strdup (DEFAULT_PROP_MODEL);
  self->noise_level = DEFAULT_PROP_NOISE_LEVEL;
  self->strength = DEFAULT_PROP_STRENGTH;
  self->stride = DEFAULT_PROP_STRIDE;
  self->n_threads = DEFAULT_PROP_N_THREADS;
  self->chroma = DEFAULT_PROP_CHROMA;
  self->precision = DEFAULT_PROP_PRECISION;
  self->temporal = DEFAULT_PROP_TEMPORAL;
  g_mutex_init (&self->load_lock);
  g_mutex_init (&self->engine_lock);
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), TRUE);
}
