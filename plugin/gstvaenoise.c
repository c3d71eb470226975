/* vaenoise: adds Gaussian, salt-and-pepper or masking noise to raw video.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-vaenoise
 * @title: vaenoise
 *
 * Corrupts raw video the way gst-vae's denoisers are trained: additive
 * Gaussian noise of σ 8-bit units (rounded and clipped), salt-and-pepper
 * (a fraction of the values set to 0 or 255) or masking (a fraction set
 * to 0).  The same #GstVaeNoise:seed gives the same output stream: frame k
 * uses a generator seeded from (seed, k), so a stream does not depend on
 * the sizes of earlier frames.  Semi-planar chroma (NV12, NV21) is treated
 * as one plane of interleaved U and V values.
 *
 * ## Example launch lines
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

#include "gstvaenoise.h"
#include "gstvaecommon.h"

GST_DEBUG_CATEGORY_STATIC (gst_vae_noise_debug);
#define GST_CAT_DEFAULT gst_vae_noise_debug

enum
{
  PROP_0,
  PROP_TYPE,
  PROP_SIGMA,
  PROP_PROBABILITY,
  PROP_SEED,
  PROP_PLANES,
};

#define DEFAULT_PROP_TYPE GST_VAE_NOISE_TYPE_GAUSSIAN
#define DEFAULT_PROP_SIGMA 25.0f
#define DEFAULT_PROP_PROBABILITY 0.1f
#define DEFAULT_PROP_SEED 0
#define DEFAULT_PROP_PLANES GST_VAE_NOISE_PLANES_LUMA

#define GST_VAE_NOISE_CAPS \
    GST_VIDEO_CAPS_MAKE ("{ GRAY8, I420, YV12, NV12, NV21, Y42B, Y444 }")

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VAE_NOISE_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VAE_NOISE_CAPS));

struct _GstVaeNoise
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  GstVaeNoiseType type;
  gfloat sigma;
  gfloat probability;
  guint64 seed;
  GstVaeNoisePlanes planes;

  /* streaming thread */
  guint64 frame;
};

G_DEFINE_TYPE (GstVaeNoise, gst_vae_noise, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (vaenoise, "vaenoise", GST_RANK_NONE,
    GST_TYPE_VAE_NOISE);

static gboolean
gst_vae_noise_start (GstBaseTransform * trans)
{
  GST_VAE_NOISE (trans)->frame = 0;
  return TRUE;
}

static GstFlowReturn
gst_vae_noise_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstVaeNoise *self = GST_VAE_NOISE (filter);
  GstVaeNoiseType type;
  GstVaeNoisePlanes planes;
  VaeNoise noise;
  gfloat level;
  guint64 seed;
  guint n_planes;
  VaeRng rng;

  GST_OBJECT_LOCK (self);
  type = self->type;
  planes = self->planes;
  seed = self->seed;
  level = type == GST_VAE_NOISE_TYPE_GAUSSIAN ? self->sigma :
      self->probability;
  GST_OBJECT_UNLOCK (self);

  switch (type) {
    case GST_VAE_NOISE_TYPE_SALT_AND_PEPPER:
      noise = VAE_NOISE_SALT_PEPPER;
      break;
    case GST_VAE_NOISE_TYPE_MASKING:
      noise = VAE_NOISE_MASK;
      break;
    case GST_VAE_NOISE_TYPE_GAUSSIAN:
    default:
      noise = VAE_NOISE_GAUSSIAN;
      break;
  }

  /* splitmix64 inside the seeding spreads (seed, frame) over the state */
  vae_rng_seed (&rng, seed ^ (self->frame * G_GUINT64_CONSTANT
          (0x9e3779b97f4a7c15)));
  self->frame++;

  if (planes == GST_VAE_NOISE_PLANES_RGB && noise == VAE_NOISE_GAUSSIAN
      && GST_VIDEO_FRAME_N_PLANES (frame) > 1) {
    const GstVideoInfo *info = &frame->info;
    vae_noise_rgb_u8 (level, info->colorimetry.matrix ==
        GST_VIDEO_COLOR_MATRIX_BT709, info->colorimetry.range ==
        GST_VIDEO_COLOR_RANGE_0_255, GST_VIDEO_FRAME_COMP_DATA (frame, 0),
        GST_VIDEO_FRAME_COMP_STRIDE (frame, 0),
        GST_VIDEO_FRAME_COMP_DATA (frame, GST_VIDEO_COMP_U),
        GST_VIDEO_FRAME_COMP_DATA (frame, GST_VIDEO_COMP_V),
        GST_VIDEO_FRAME_COMP_STRIDE (frame, GST_VIDEO_COMP_U),
        GST_VIDEO_FRAME_COMP_PSTRIDE (frame, GST_VIDEO_COMP_U),
        GST_VIDEO_FRAME_WIDTH (frame), GST_VIDEO_FRAME_HEIGHT (frame),
        GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, GST_VIDEO_COMP_U),
        GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, GST_VIDEO_COMP_U), &rng);
    return GST_FLOW_OK;
  }
  n_planes = planes != GST_VAE_NOISE_PLANES_LUMA ?
      GST_VIDEO_FRAME_N_PLANES (frame) : 1;
  for (guint p = 0; p < n_planes; p++) {
    gint width, height;

    gst_vae_frame_plane_size (frame, p, &width, &height);
    vae_noise_apply_u8 (noise, level, GST_VIDEO_FRAME_PLANE_DATA (frame, p),
        GST_VIDEO_FRAME_PLANE_STRIDE (frame, p), width, height, &rng);
  }
  return GST_FLOW_OK;
}

static void
gst_vae_noise_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVaeNoise *self = GST_VAE_NOISE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TYPE:
      self->type = g_value_get_enum (value);
      break;
    case PROP_SIGMA:
      self->sigma = g_value_get_float (value);
      break;
    case PROP_PROBABILITY:
      self->probability = g_value_get_float (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_PLANES:
      self->planes = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_vae_noise_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstVaeNoise *self = GST_VAE_NOISE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TYPE:
      g_value_set_enum (value, self->type);
      break;
    case PROP_SIGMA:
      g_value_set_float (value, self->sigma);
      break;
    case PROP_PROBABILITY:
      g_value_set_float (value, self->probability);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_PLANES:
      g_value_set_enum (value, self->planes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstFlowReturn
gst_vae_noise_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  if (!gst_vae_frame_fits (GST_VIDEO_FILTER (trans), buf))
    return GST_FLOW_ERROR;
  return GST_BASE_TRANSFORM_CLASS (gst_vae_noise_parent_class)->transform_ip
      (trans, buf);
}

static void
gst_vae_noise_class_init (GstVaeNoiseClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_vae_noise_debug, "vaenoise", 0,
      "noise generator");

  gobject_class->set_property = gst_vae_noise_set_property;
  gobject_class->get_property = gst_vae_noise_get_property;

  /**
   * GstVaeNoise:type:
   *
   * Kind of corruption.  Gaussian uses #GstVaeNoise:sigma, the others
   * #GstVaeNoise:probability.
   */
  g_object_class_install_property (gobject_class, PROP_TYPE,
      g_param_spec_enum ("type", "Type", "Kind of noise",
          GST_TYPE_VAE_NOISE_TYPE, DEFAULT_PROP_TYPE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstVaeNoise:sigma:
   *
   * Standard deviation of Gaussian noise in 8-bit units.
   */
  g_object_class_install_property (gobject_class, PROP_SIGMA,
      g_param_spec_float ("sigma", "Sigma",
          "Gaussian noise sigma in 8-bit units", 0.0f, 255.0f,
          DEFAULT_PROP_SIGMA,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstVaeNoise:probability:
   *
   * Fraction of values corrupted by salt-and-pepper or masking noise.
   */
  g_object_class_install_property (gobject_class, PROP_PROBABILITY,
      g_param_spec_float ("probability", "Probability",
          "Fraction of values corrupted (salt-and-pepper, masking)", 0.0f,
          1.0f, DEFAULT_PROP_PROBABILITY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstVaeNoise:seed:
   *
   * Seed of the noise stream; the frame count restarts when the element
   * starts, so a run is reproducible.
   */
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed", "Random seed", 0, G_MAXUINT64,
          DEFAULT_PROP_SEED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstVaeNoise:planes:
   *
   * Which planes get noise.
   */
  g_object_class_install_property (gobject_class, PROP_PLANES,
      g_param_spec_enum ("planes", "Planes", "Planes that get noise",
          GST_TYPE_VAE_NOISE_PLANES, DEFAULT_PROP_PLANES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "VAE noise", "Filter/Effect/Video",
      "Adds Gaussian, salt-and-pepper or masking noise",
      "gst-vae developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_vae_noise_start);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_vae_noise_transform_ip);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_vae_noise_transform_frame_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_VAE_NOISE_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_VAE_NOISE_PLANES, 0);
}

static void
gst_vae_noise_init (GstVaeNoise * self)
{
  self->type = DEFAULT_PROP_TYPE;
  self->sigma = DEFAULT_PROP_SIGMA;
  self->probability = DEFAULT_PROP_PROBABILITY;
  self->seed = DEFAULT_PROP_SEED;
  self->planes = DEFAULT_PROP_PLANES;
}
