/* gst-vae: vaeencode, the latent code of every frame as a meta.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-vaeencode
 * @title: vaeencode
 *
 * Runs the encoder of a variational (or plain) autoencoder on every frame
 * and attaches the result to the buffer as a #GstVaeLatentMeta: the
 * posterior mean μ and log-variance log σ², the negative ELBO of the frame
 * (its "score": how badly the model explains it) and the reconstruction
 * error.  The picture itself is not touched.
 *
 * Each frame is converted to gray and scaled to the model's input size
 * (28x28 for the MNIST models) by #GstVideoConverter, then mapped to [0, 1].
 *
 * With #GstVaeEncode:interval, every n-th frame also posts an element
 * message named `vae-latent`, laid out like the `level` element's:
 *
 * - `timestamp`, `stream-time`, `running-time`, `duration` (#guint64)
 * - `frame` (#guint64): index of the frame since the element started
 * - `model` (#gchararray): "<file name>:<first 16 hex digits of its SHA-256>"
 * - `mu`, `logvar` (#GstValueArray of #gfloat): the latent; `logvar` only
 *   for a VAE
 * - `score`, `reconstruction-error` (#gdouble): negative ELBO and
 *   reconstruction negative log-likelihood, in nats
 *
 * With #GstVaeEncode:threshold, a frame whose score exceeds it posts a
 * `vae-anomaly` message with the same fields: a frame unlike the model's
 * training data.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -m vaesample num-buffers=30 ! vaeencode interval=10 ! fakesink
 * ]| Prints the latent of every tenth generated digit
 * (pipelines/encode-print.sh).
 * |[
 * gst-launch-1.0 -m concat name=c ! vaeencode threshold=400 ! fakesink \
 *     vaesample num-buffers=20 ! video/x-raw,format=GRAY8,width=112,height=112,framerate=10/1 ! c. \
 *     videotestsrc num-buffers=20 ! video/x-raw,format=GRAY8,width=112,height=112,framerate=10/1 ! c.
 * ]| Posts `vae-anomaly` for the test pattern, not for the digits
 * (pipelines/anomaly.sh).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstvaeencode.h"
#include "gstvaecommon.h"
#include "gstvaemeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_vae_encode_debug);
#define GST_CAT_DEFAULT gst_vae_encode_debug

#define GST_VAE_ENCODE_FORMATS \
  "{ GRAY8, GRAY16_LE, I420, YV12, NV12, NV21, Y42B, Y444, YUY2, UYVY, " \
  "RGB, BGR, RGBA, BGRA, ARGB, ABGR, RGBx, BGRx, xRGB, xBGR }"
#define GST_VAE_ENCODE_CAPS GST_VIDEO_CAPS_MAKE (GST_VAE_ENCODE_FORMATS)

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_INTERVAL,
  PROP_THRESHOLD,
  PROP_SEED,
};

#define DEFAULT_PROP_MODEL "mnist-vae.safetensors"
#define DEFAULT_PROP_INTERVAL 0
#define DEFAULT_PROP_THRESHOLD 0.0f
#define DEFAULT_PROP_SEED 0

static const GstVaeModelNeeds model_needs = { "vaeencode",
  GST_VAE_KIND_BIT (VAE_KIND_AE) | GST_VAE_KIND_BIT (VAE_KIND_SPARSE_AE)
      | GST_VAE_KIND_BIT (VAE_KIND_VAE), "a whole-picture autoencoder"
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VAE_ENCODE_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VAE_ENCODE_CAPS));

#define gst_vae_encode_parent_class parent_class
G_DEFINE_TYPE (GstVaeEncode, gst_vae_encode, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (vaeencode, "vaeencode", GST_RANK_NONE,
    GST_TYPE_VAE_ENCODE);

static void gst_vae_encode_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_vae_encode_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_vae_encode_finalize (GObject * object);
static gboolean gst_vae_encode_start (GstBaseTransform * trans);
static gboolean gst_vae_encode_stop (GstBaseTransform * trans);
static gboolean gst_vae_encode_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static GstFlowReturn gst_vae_encode_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);

static void
gst_vae_encode_class_init (GstVaeEncodeClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_vae_encode_set_property;
  gobject_class->get_property = gst_vae_encode_get_property;
  gobject_class->finalize = gst_vae_encode_finalize;

  gst_vae_install_model_property (gobject_class, PROP_MODEL,
      DEFAULT_PROP_MODEL, "VAE or autoencoder model file: a path, or a file "
      "name looked up in $GST_VAE_MODEL_PATH and the installed models; read "
      "when the element starts", GST_PARAM_MUTABLE_READY);
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint ("interval", "Interval",
          "Post a vae-latent element message every this many frames "
          "(0 = never; the meta is attached to every frame regardless)",
          0, G_MAXUINT, DEFAULT_PROP_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_float ("threshold", "Threshold",
          "Post a vae-anomaly element message for frames whose score "
          "(negative ELBO, nats) exceeds this (0 = never)",
          0.0f, G_MAXFLOAT, DEFAULT_PROP_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "Seed of the noise draw in the ELBO; reused for every frame, so a "
          "frame's score depends on the frame alone",
          0, G_MAXUINT64, DEFAULT_PROP_SEED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "VAE encoder", "Filter/Analyzer/Video",
      "Attaches the latent code of every frame under a (variational) "
      "autoencoder, and flags frames the model explains badly",
      "gst-vae developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_vae_encode_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_vae_encode_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_vae_encode_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_vae_encode_transform_ip);
  /* The meta is added to the input buffer, which is therefore never passed
   * through read-only; the pixels are only mapped for reading. */
  trans_class->passthrough_on_same_caps = FALSE;

  GST_DEBUG_CATEGORY_INIT (gst_vae_encode_debug, "vaeencode", 0,
      "VAE encoder");
}

static void
gst_vae_encode_init (GstVaeEncode * self)
{
  self->model_name = g_strdup (DEFAULT_PROP_MODEL);
  self->interval = DEFAULT_PROP_INTERVAL;
  self->threshold = DEFAULT_PROP_THRESHOLD;
  self->seed = DEFAULT_PROP_SEED;
  gst_video_info_init (&self->in_info);
  gst_video_info_init (&self->small.info);
  /* In place: a writable buffer (a shallow copy when shared) takes the meta;
   * the memory is shared, never written. */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_vae_encode_finalize (GObject * object)
{
  GstVaeEncode *self = GST_VAE_ENCODE (object);

  g_free (self->model_name);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_vae_encode_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVaeEncode *self = GST_VAE_ENCODE (object);

  if (prop_id == PROP_MODEL) {
    gst_vae_set_model_name (GST_ELEMENT (self), pspec, value,
        &self->model_name);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_INTERVAL:
      self->interval = g_value_get_uint (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_float (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_vae_encode_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstVaeEncode *self = GST_VAE_ENCODE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_name);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_THRESHOLD:
      g_value_set_float (value, self->threshold);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* "<file name>:<first 16 hex digits of the file's SHA-256>": names the exact
 * weights, so latents from different trainings are never mixed up. */
static gchar *
model_identity (const gchar * path)
{
  gchar *data = NULL, *sum, *base, *id;
  gsize len = 0;

  base = g_path_get_basename (path);
  if (!g_file_get_contents (path, &data, &len, NULL))
    return base;
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data,
      len);
  id = g_strdup_printf ("%s:%.16s", base, sum);
  g_free (sum);
  g_free (data);
  g_free (base);
  return id;
}

static gboolean
gst_vae_encode_start (GstBaseTransform * trans)
{
  GstVaeEncode *self = GST_VAE_ENCODE (trans);
  const VaeConfig *c;
  gchar *name, *path = NULL, *id;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->model_name);
  GST_OBJECT_UNLOCK (self);

  self->model = gst_vae_element_load_model (GST_ELEMENT (self), &model_needs,
      name, 1, &self->ws, &path);
  g_free (name);
  if (self->model == NULL)
    return FALSE;

  c = vae_model_config (self->model);
  self->is_vae = c->kind == VAE_KIND_VAE;
  self->n_latent = c->n_latent;
  self->n_in = c->n_in;

  self->x = g_new (gfloat, self->n_in);
  self->mu = g_new (gfloat, self->n_latent);
  self->logvar = g_new (gfloat, self->n_latent);
  self->frame = 0;

  id = model_identity (path);
  self->model_id = g_intern_string (id);
  g_free (id);
  GST_INFO_OBJECT (self, "model %s: %s, %dx%d, K=%d", self->model_id,
      vae_kind_name (c->kind), c->img_w, c->img_h, c->n_latent);

  g_free (path);
  return TRUE;
}

static gboolean
gst_vae_encode_stop (GstBaseTransform * trans)
{
  GstVaeEncode *self = GST_VAE_ENCODE (trans);

  gst_vae_gray_frame_clear (&self->small);
  g_clear_pointer (&self->ws, vae_workspace_free);
  g_clear_pointer (&self->model, vae_model_free);
  g_clear_pointer (&self->x, g_free);
  g_clear_pointer (&self->mu, g_free);
  g_clear_pointer (&self->logvar, g_free);
  self->model_id = NULL;
  return TRUE;
}

static gboolean
gst_vae_encode_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstVaeEncode *self = GST_VAE_ENCODE (trans);
  const VaeConfig *c;

  if (self->model == NULL)
    return FALSE;
  if (!gst_video_info_from_caps (&self->in_info, incaps))
    goto bad_caps;

  /* The gray picture of planar YUV is its luma plane: scaling just that
   * plane skips converting the whole frame.  The luma's range is kept, so
   * the converter expands it as before. */
  self->luma_only = GST_VIDEO_INFO_IS_YUV (&self->in_info)
      && GST_VIDEO_INFO_N_PLANES (&self->in_info) > 1
      && GST_VIDEO_INFO_COMP_PLANE (&self->in_info, 0) == 0
      && GST_VIDEO_INFO_COMP_PSTRIDE (&self->in_info, 0) == 1
      && GST_VIDEO_INFO_COMP_DEPTH (&self->in_info, 0) == 8;
  if (self->luma_only) {
    gst_video_info_set_format (&self->luma_info, GST_VIDEO_FORMAT_GRAY8,
        GST_VIDEO_INFO_WIDTH (&self->in_info),
        GST_VIDEO_INFO_HEIGHT (&self->in_info));
    self->luma_info.colorimetry.range = self->in_info.colorimetry.range;
    GST_VIDEO_INFO_FPS_N (&self->luma_info) = GST_VIDEO_INFO_FPS_N (&self->in_info);
    GST_VIDEO_INFO_FPS_D (&self->luma_info) = GST_VIDEO_INFO_FPS_D (&self->in_info);
    GST_VIDEO_INFO_INTERLACE_MODE (&self->luma_info) =
        GST_VIDEO_INFO_INTERLACE_MODE (&self->in_info);
  }
  c = vae_model_config (self->model);
  if (!gst_vae_gray_frame_setup (&self->small, GST_ELEMENT (self), c->img_w,
          c->img_h, self->luma_only ? &self->luma_info : &self->in_info,
          FALSE))
    return FALSE;

  GST_DEBUG_OBJECT (self, "converting %s %dx%d to GRAY8 %dx%d",
      GST_VIDEO_INFO_NAME (&self->in_info), GST_VIDEO_INFO_WIDTH (&self->in_info),
      GST_VIDEO_INFO_HEIGHT (&self->in_info), c->img_w, c->img_h);
  return TRUE;

  /* ERRORS */
bad_caps:
  {
    GST_ERROR_OBJECT (self, "invalid caps %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
}

static void
take_float_array (GstStructure * s, const gchar * field, const gfloat * v,
    gint n)
{
  GValue arr = G_VALUE_INIT, item = G_VALUE_INIT;

  g_value_init (&arr, GST_TYPE_ARRAY);
  for (gint i = 0; i < n; i++) {
    g_value_init (&item, G_TYPE_FLOAT);
    g_value_set_float (&item, v[i]);
    gst_value_array_append_and_take_value (&arr, &item);
  }
  gst_structure_take_value (s, field, &arr);
}

static GstMessage *
gst_vae_encode_message (GstVaeEncode * self, const gchar * name,
    GstBuffer * buf, const GstVaeLatentMeta * meta)
{
  GstSegment *seg = &GST_BASE_TRANSFORM (self)->segment;
  GstClockTime ts = GST_BUFFER_PTS (buf);
  GstStructure *s;

  s = gst_structure_new (name,
      "timestamp", G_TYPE_UINT64, ts,
      "stream-time", G_TYPE_UINT64,
      gst_segment_to_stream_time (seg, GST_FORMAT_TIME, ts),
      "running-time", G_TYPE_UINT64,
      gst_segment_to_running_time (seg, GST_FORMAT_TIME, ts),
      "duration", G_TYPE_UINT64, GST_BUFFER_DURATION (buf),
      "frame", G_TYPE_UINT64, meta->frame,
      "model", G_TYPE_STRING, meta->model,
      "score", G_TYPE_DOUBLE, (gdouble) meta->score,
      "reconstruction-error", G_TYPE_DOUBLE,
      (gdouble) meta->reconstruction_error, NULL);
  take_float_array (s, "mu", meta->mu, meta->n_latent);
  if (meta->logvar != NULL)
    take_float_array (s, "logvar", meta->logvar, meta->n_latent);
  return gst_message_new_element (GST_OBJECT (self), s);
}

static GstFlowReturn
gst_vae_encode_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstVaeEncode *self = GST_VAE_ENCODE (trans);
  GstVideoFrame in;
  GstVaeLatentMeta *meta;
  VaeRng rng;
  guint interval;
  gfloat threshold, rec, neg_elbo;
  guint64 seed;
  gint w, h, stride, ret;
  const guint8 *p;

  if (self->small.convert == NULL)
    goto not_negotiated;

  GST_OBJECT_LOCK (self);
  interval = self->interval;
  threshold = self->threshold;
  seed = self->seed;
  GST_OBJECT_UNLOCK (self);

  if (!gst_video_frame_map (&in, &self->in_info, buf, GST_MAP_READ))
    goto map_failed;
  if (self->luma_only) {
    /* A GRAY8 view of the mapped luma plane, with the buffer's stride. */
    GstVideoFrame luma = in;

    luma.info = self->luma_info;
    GST_VIDEO_INFO_PLANE_STRIDE (&luma.info, 0) =
        GST_VIDEO_FRAME_PLANE_STRIDE (&in, 0);
    GST_VIDEO_INFO_PLANE_OFFSET (&luma.info, 0) = 0;
    luma.data[0] = in.data[0];
    for (guint i = 1; i < GST_VIDEO_MAX_PLANES; i++)
      luma.data[i] = NULL;
    gst_video_converter_frame (self->small.convert, &luma, &self->small.frame);
  } else {
    gst_video_converter_frame (self->small.convert, &in, &self->small.frame);
  }
  gst_video_frame_unmap (&in);

  w = GST_VIDEO_FRAME_WIDTH (&self->small.frame);
  h = GST_VIDEO_FRAME_HEIGHT (&self->small.frame);
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&self->small.frame, 0);
  p = GST_VIDEO_FRAME_PLANE_DATA (&self->small.frame, 0);
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      self->x[y * w + x] = p[y * stride + x] / 255.0f;

  ret = vae_encode (self->model, self->ws, self->x, 1, self->mu,
      self->is_vae ? self->logvar : NULL);
  if (ret == VAE_OK) {
    vae_rng_seed (&rng, seed);
    ret = vae_score (self->model, self->ws, self->x, 1, &rng, &rec,
        &neg_elbo);
  }
  if (ret != VAE_OK)
    goto model_failed;

  meta = gst_buffer_add_vae_latent_meta (buf, self->n_latent, self->is_vae,
      self->model_id);
  memcpy (meta->mu, self->mu, self->n_latent * sizeof (gfloat));
  if (self->is_vae)
    memcpy (meta->logvar, self->logvar, self->n_latent * sizeof (gfloat));
  meta->score = neg_elbo;
  meta->reconstruction_error = rec;
  meta->frame = self->frame++;

  if (interval > 0 && meta->frame % interval == 0)
    gst_element_post_message (GST_ELEMENT (self),
        gst_vae_encode_message (self, "vae-latent", buf, meta));
  if (threshold > 0.0f && neg_elbo > threshold) {
    GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": score %g > %g",
        meta->frame, neg_elbo, threshold);
    gst_element_post_message (GST_ELEMENT (self),
        gst_vae_encode_message (self, "vae-anomaly", buf, meta));
  }
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("vaeencode was not negotiated"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
map_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("could not map the input frame"));
    return GST_FLOW_ERROR;
  }
model_failed:
  {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Model %s failed on frame %" G_GUINT64_FORMAT ": %s",
            self->model_id, self->frame, vae_status_string (ret)), (NULL));
    return GST_FLOW_ERROR;
  }
}
