/* gst-vae: vaesample, video decoded from latent vectors.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-vaesample
 * @title: vaesample
 *
 * A video source in the manner of videotestsrc whose pictures come from the
 * decoder of a variational autoencoder: latent vectors z drawn from the
 * prior N(0, t² I) (t = #GstVaeSample:temperature) are decoded and the
 * decoder's mean image is scaled and converted to the negotiated format by
 * #GstVideoConverter.
 *
 * #GstVaeSample:mode chooses how z moves from frame to frame:
 *
 * - `random`: a fresh z every frame.
 * - `walk`: a smooth random walk that stays on the prior,
 *   z ← ρ z + √(1 − ρ²) ε with ρ = exp(−1 / transition-frames).
 * - `interpolate`: spherical interpolation between random key latents, one
 *   every #GstVaeSample:transition-frames frames.
 * - `grid`: #GstVaeSample:grid-cols × #GstVaeSample:grid-rows samples tiled
 *   in one frame.  For a model with a 2-D latent, the tiles show the learned
 *   manifold instead: z runs over the prior's quantiles through the inverse
 *   normal CDF, as in Kingma & Welling's figure 4.
 *
 * Frame n depends only on the properties and n, so the same seed gives the
 * same video and seeking is exact.  Without fixed caps the frame is the
 * model's size (times the grid) scaled up by #GstVaeSample:scale, at 30 fps.
 * With a framerate of 0/1, one frame is produced, then EOS.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 vaesample mode=walk ! videoconvert ! autovideosink
 * ]| Digits morphing into each other (pipelines/sample-screen.sh).
 * |[
 * gst-launch-1.0 vaesample model=mnist-vae2d.safetensors mode=grid grid-cols=20 grid-rows=20 \
 *     ! video/x-raw,framerate=0/1 ! pngenc ! filesink location=manifold.png
 * ]| The 2-D latent manifold of MNIST as a PNG (pipelines/sample-grid.sh).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstvaesample.h"
#include "gstvaecommon.h"

GST_DEBUG_CATEGORY_STATIC (gst_vae_sample_debug);
#define GST_CAT_DEFAULT gst_vae_sample_debug

#define GST_VAE_SAMPLE_FORMATS \
  "{ GRAY8, I420, YV12, NV12, NV21, Y42B, Y444, YUY2, UYVY, " \
  "RGB, BGR, RGBA, BGRA, ARGB, ABGR, RGBx, BGRx, xRGB, xBGR }"
#define GST_VAE_SAMPLE_CAPS GST_VIDEO_CAPS_MAKE (GST_VAE_SAMPLE_FORMATS)

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_SEED,
  PROP_TEMPERATURE,
  PROP_MODE,
  PROP_TRANSITION_FRAMES,
  PROP_GRID_COLS,
  PROP_GRID_ROWS,
  PROP_SCALE,
  PROP_IS_LIVE,
};

#define DEFAULT_PROP_MODEL "mnist-vae.safetensors"
#define DEFAULT_PROP_SEED 0
#define DEFAULT_PROP_TEMPERATURE 1.0f
#define DEFAULT_PROP_MODE GST_VAE_SAMPLE_MODE_RANDOM
#define DEFAULT_PROP_TRANSITION_FRAMES 30
#define DEFAULT_PROP_GRID_COLS 8
#define DEFAULT_PROP_GRID_ROWS 8
#define DEFAULT_PROP_SCALE 0
#define DEFAULT_PROP_IS_LIVE FALSE

static const GstVaeModelNeeds model_needs = { "vaesample",
  GST_VAE_KIND_BIT (VAE_KIND_VAE), "a model with a prior to sample from"
};

#define MAX_GRID 64
#define MAX_SCALE 64
/* scale = 0: the largest integer scale keeping the longer side <= this */
#define AUTO_SCALE_SIDE 256

/* Independent random streams per use, so that e.g. key k of the
 * interpolation never equals the random-mode latent of frame k. */
#define STREAM_RANDOM 1
#define STREAM_KEY 2
#define STREAM_WALK 3

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VAE_SAMPLE_CAPS));

#define gst_vae_sample_parent_class parent_class
G_DEFINE_TYPE (GstVaeSample, gst_vae_sample, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE (vaesample, "vaesample", GST_RANK_NONE,
    GST_TYPE_VAE_SAMPLE);

static void gst_vae_sample_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_vae_sample_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_vae_sample_finalize (GObject * object);
static gboolean gst_vae_sample_start (GstBaseSrc * bsrc);
static gboolean gst_vae_sample_stop (GstBaseSrc * bsrc);
static GstCaps *gst_vae_sample_fixate (GstBaseSrc * bsrc, GstCaps * caps);
static gboolean gst_vae_sample_set_caps (GstBaseSrc * bsrc, GstCaps * caps);
static gboolean gst_vae_sample_decide_allocation (GstBaseSrc * bsrc,
    GstQuery * query);
static gboolean gst_vae_sample_query (GstBaseSrc * bsrc, GstQuery * query);
static gboolean gst_vae_sample_is_seekable (GstBaseSrc * bsrc);
static gboolean gst_vae_sample_do_seek (GstBaseSrc * bsrc,
    GstSegment * segment);
static void gst_vae_sample_get_times (GstBaseSrc * bsrc, GstBuffer * buffer,
    GstClockTime * start, GstClockTime * end);
static GstFlowReturn gst_vae_sample_fill (GstPushSrc * psrc, GstBuffer * buf);

static void
gst_vae_sample_class_init (GstVaeSampleClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *bsrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *psrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = gst_vae_sample_set_property;
  gobject_class->get_property = gst_vae_sample_get_property;
  gobject_class->finalize = gst_vae_sample_finalize;

  gst_vae_install_model_property (gobject_class, PROP_MODEL,
      DEFAULT_PROP_MODEL, "VAE model file: a path, or a file name looked up "
      "in $GST_VAE_MODEL_PATH and the installed models; read when the "
      "element starts", GST_PARAM_MUTABLE_READY);
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "Seed of the latent draws: the same seed gives the same video",
          0, G_MAXUINT64, DEFAULT_PROP_SEED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TEMPERATURE,
      g_param_spec_float ("temperature", "Temperature",
          "Scale of the latents: z ~ N(0, t^2 I); below 1 gives cleaner, "
          "more typical pictures", 0.0f, 10.0f, DEFAULT_PROP_TEMPERATURE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "How the latent moves over time",
          GST_TYPE_VAE_SAMPLE_MODE, DEFAULT_PROP_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TRANSITION_FRAMES,
      g_param_spec_uint ("transition-frames", "Transition frames",
          "Frames between key latents (interpolate), or the correlation "
          "time of the random walk (walk)", 1, G_MAXINT,
          DEFAULT_PROP_TRANSITION_FRAMES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_GRID_COLS,
      g_param_spec_uint ("grid-cols", "Grid columns",
          "Samples per row in grid mode", 1, MAX_GRID, DEFAULT_PROP_GRID_COLS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_GRID_ROWS,
      g_param_spec_uint ("grid-rows", "Grid rows",
          "Samples per column in grid mode", 1, MAX_GRID,
          DEFAULT_PROP_GRID_ROWS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SCALE,
      g_param_spec_uint ("scale", "Scale",
          "Default frame size as a multiple of the model's (times the grid) "
          "when caps leave it open; 0 = largest with the longer side at "
          "most 256", 0, MAX_SCALE, DEFAULT_PROP_SCALE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean ("is-live", "Is live",
          "Act as a live source, producing frames at the framerate",
          DEFAULT_PROP_IS_LIVE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "VAE sample source", "Source/Video",
      "Video decoded by a variational autoencoder from latents drawn from "
      "its prior: random, random walk, interpolation or a grid/manifold",
      "gst-vae developers");

  bsrc_class->start = GST_DEBUG_FUNCPTR (gst_vae_sample_start);
  bsrc_class->stop = GST_DEBUG_FUNCPTR (gst_vae_sample_stop);
  bsrc_class->fixate = GST_DEBUG_FUNCPTR (gst_vae_sample_fixate);
  bsrc_class->set_caps = GST_DEBUG_FUNCPTR (gst_vae_sample_set_caps);
  bsrc_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_vae_sample_decide_allocation);
  bsrc_class->query = GST_DEBUG_FUNCPTR (gst_vae_sample_query);
  bsrc_class->is_seekable = GST_DEBUG_FUNCPTR (gst_vae_sample_is_seekable);
  bsrc_class->do_seek = GST_DEBUG_FUNCPTR (gst_vae_sample_do_seek);
  bsrc_class->get_times = GST_DEBUG_FUNCPTR (gst_vae_sample_get_times);
  psrc_class->fill = GST_DEBUG_FUNCPTR (gst_vae_sample_fill);

  gst_type_mark_as_plugin_api (GST_TYPE_VAE_SAMPLE_MODE, 0);

  GST_DEBUG_CATEGORY_INIT (gst_vae_sample_debug, "vaesample", 0,
      "VAE sample source");
}

static void
gst_vae_sample_init (GstVaeSample * self)
{
  self->model_name = g_strdup (DEFAULT_PROP_MODEL);
  self->seed = DEFAULT_PROP_SEED;
  self->temperature = DEFAULT_PROP_TEMPERATURE;
  self->mode = DEFAULT_PROP_MODE;
  self->transition_frames = DEFAULT_PROP_TRANSITION_FRAMES;
  self->grid_cols = DEFAULT_PROP_GRID_COLS;
  self->grid_rows = DEFAULT_PROP_GRID_ROWS;
  self->scale = DEFAULT_PROP_SCALE;
  self->walk_frame = -1;
  gst_video_info_init (&self->info);
  gst_video_info_init (&self->tiles.info);

  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_live (GST_BASE_SRC (self), DEFAULT_PROP_IS_LIVE);
}

static void
gst_vae_sample_finalize (GObject * object)
{
  GstVaeSample *self = GST_VAE_SAMPLE (object);

  g_free (self->model_name);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_vae_sample_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVaeSample *self = GST_VAE_SAMPLE (object);

  if (prop_id == PROP_IS_LIVE) {
    gst_base_src_set_live (GST_BASE_SRC (self), g_value_get_boolean (value));
    return;
  }
  if (prop_id == PROP_MODEL) {
    gst_vae_set_model_name (GST_ELEMENT (self), pspec, value,
        &self->model_name);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_TEMPERATURE:
      self->temperature = g_value_get_float (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_TRANSITION_FRAMES:
      self->transition_frames = g_value_get_uint (value);
      break;
    case PROP_GRID_COLS:
      self->grid_cols = g_value_get_uint (value);
      break;
    case PROP_GRID_ROWS:
      self->grid_rows = g_value_get_uint (value);
      break;
    case PROP_SCALE:
      self->scale = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_vae_sample_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstVaeSample *self = GST_VAE_SAMPLE (object);

  if (prop_id == PROP_IS_LIVE) {
    g_value_set_boolean (value, gst_base_src_is_live (GST_BASE_SRC (self)));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_name);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_TEMPERATURE:
      g_value_set_float (value, self->temperature);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_TRANSITION_FRAMES:
      g_value_set_uint (value, self->transition_frames);
      break;
    case PROP_GRID_COLS:
      g_value_set_uint (value, self->grid_cols);
      break;
    case PROP_GRID_ROWS:
      g_value_set_uint (value, self->grid_rows);
      break;
    case PROP_SCALE:
      g_value_set_uint (value, self->scale);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_vae_sample_start (GstBaseSrc * bsrc)
{
  GstVaeSample *self = GST_VAE_SAMPLE (bsrc);
  const VaeConfig *c;
  gchar *name, *path = NULL;
  guint tiles;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->model_name);
  self->run_mode = self->mode;
  self->run_seed = self->seed;
  self->cols = self->mode == GST_VAE_SAMPLE_MODE_GRID ? self->grid_cols : 1;
  self->rows = self->mode == GST_VAE_SAMPLE_MODE_GRID ? self->grid_rows : 1;
  GST_OBJECT_UNLOCK (self);

  tiles = self->cols * self->rows;
  self->model = gst_vae_element_load_model (GST_ELEMENT (self), &model_needs,
      name, tiles, &self->ws, &path);
  g_free (name);
  if (self->model == NULL)
    return FALSE;
  c = vae_model_config (self->model);

  self->n_latent = c->n_latent;
  self->img_w = c->img_w;
  self->img_h = c->img_h;
  self->z = g_new (gfloat, (gsize) tiles * self->n_latent);
  self->xhat = g_new (gfloat, (gsize) tiles * c->n_in);
  self->key0 = g_new (gfloat, self->n_latent);
  self->key1 = g_new (gfloat, self->n_latent);
  self->walk = g_new (gfloat, self->n_latent);
  self->walk_frame = -1;
  self->n_frames = 0;
  self->running_time = 0;

  GST_INFO_OBJECT (self, "model %s: %dx%d, K=%d, %ux%u tiles", path,
      c->img_w, c->img_h, c->n_latent, self->cols, self->rows);
  g_free (path);
  return TRUE;
}

static gboolean
gst_vae_sample_stop (GstBaseSrc * bsrc)
{
  GstVaeSample *self = GST_VAE_SAMPLE (bsrc);

  gst_vae_gray_frame_clear (&self->tiles);
  g_clear_pointer (&self->ws, vae_workspace_free);
  g_clear_pointer (&self->model, vae_model_free);
  g_clear_pointer (&self->z, g_free);
  g_clear_pointer (&self->xhat, g_free);
  g_clear_pointer (&self->key0, g_free);
  g_clear_pointer (&self->key1, g_free);
  g_clear_pointer (&self->walk, g_free);
  return TRUE;
}

static GstCaps *
gst_vae_sample_fixate (GstBaseSrc * bsrc, GstCaps * caps)
{
  GstVaeSample *self = GST_VAE_SAMPLE (bsrc);
  GstStructure *s;
  gint w = 320, h = 240;
  guint scale;

  /* Model-shaped by default, scaled by an integer factor. */
  if (self->model != NULL) {
    w = self->img_w * self->cols;
    h = self->img_h * self->rows;
    GST_OBJECT_LOCK (self);
    scale = self->scale;
    GST_OBJECT_UNLOCK (self);
    if (scale == 0)
      scale = MAX (1, AUTO_SCALE_SIDE / MAX (w, h));
    w *= scale;
    h *= scale;
  }

  caps = gst_caps_make_writable (caps);
  caps = gst_caps_truncate (caps);
  s = gst_caps_get_structure (caps, 0);
  gst_structure_fixate_field_nearest_int (s, "width", w);
  gst_structure_fixate_field_nearest_int (s, "height", h);
  gst_structure_fixate_field_nearest_fraction (s, "framerate", 30, 1);
  if (gst_structure_has_field (s, "pixel-aspect-ratio"))
    gst_structure_fixate_field_nearest_fraction (s, "pixel-aspect-ratio", 1,
        1);
  return GST_BASE_SRC_CLASS (parent_class)->fixate (bsrc, caps);
}

static gboolean
gst_vae_sample_set_caps (GstBaseSrc * bsrc, GstCaps * caps)
{
  GstVaeSample *self = GST_VAE_SAMPLE (bsrc);

  if (self->model == NULL)
    return FALSE;
  if (!gst_video_info_from_caps (&self->info, caps))
    goto bad_caps;
  if (!gst_vae_gray_frame_setup (&self->tiles, GST_ELEMENT (self),
          self->img_w * self->cols, self->img_h * self->rows, &self->info,
          TRUE))
    return FALSE;

  GST_DEBUG_OBJECT (self, "decoding %dx%d, output %" GST_PTR_FORMAT,
      GST_VIDEO_INFO_WIDTH (&self->tiles.info),
      GST_VIDEO_INFO_HEIGHT (&self->tiles.info), caps);
  return TRUE;

  /* ERRORS */
bad_caps:
  {
    GST_ERROR_OBJECT (self, "invalid caps %" GST_PTR_FORMAT, caps);
    return FALSE;
  }
}

static gboolean
gst_vae_sample_decide_allocation (GstBaseSrc * bsrc, GstQuery * query)
{
  GstVaeSample *self = GST_VAE_SAMPLE (bsrc);
  GstBufferPool *pool = NULL;
  GstStructure *config;
  GstCaps *caps = NULL;
  guint size, min = 0, max = 0;
  gboolean update;

  gst_query_parse_allocation (query, &caps, NULL);
  if (gst_query_get_n_allocation_pools (query) > 0) {
    gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
    size = MAX (size, GST_VIDEO_INFO_SIZE (&self->info));
    update = TRUE;
  } else {
    size = GST_VIDEO_INFO_SIZE (&self->info);
    update = FALSE;
  }
  if (pool == NULL)
    pool = gst_video_buffer_pool_new ();

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, size, min, max);
  if (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL))
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (!gst_buffer_pool_set_config (pool, config)) {
    /* The pool changed the configuration: accept it if it still fits. */
    config = gst_buffer_pool_get_config (pool);
    if (!gst_buffer_pool_config_validate_params (config, caps, size, min, max)) {
      gst_structure_free (config);
      gst_object_unref (pool);
      GST_ERROR_OBJECT (self, "buffer pool refused its configuration");
      return FALSE;
    }
    if (!gst_buffer_pool_set_config (pool, config)) {
      gst_object_unref (pool);
      GST_ERROR_OBJECT (self, "buffer pool refused its configuration");
      return FALSE;
    }
  }

  if (update)
    gst_query_set_nth_allocation_pool (query, 0, pool, size, min, max);
  else
    gst_query_add_allocation_pool (query, pool, size, min, max);
  gst_object_unref (pool);

  return GST_BASE_SRC_CLASS (parent_class)->decide_allocation (bsrc, query);
}

static gboolean
gst_vae_sample_query (GstBaseSrc * bsrc, GstQuery * query)
{
  GstVaeSample *self = GST_VAE_SAMPLE (bsrc);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    GstClockTime latency;
    gint fps_n = GST_VIDEO_INFO_FPS_N (&self->info);
    gint fps_d = GST_VIDEO_INFO_FPS_D (&self->info);

    if (self->tiles.convert == NULL || fps_n <= 0)
      return FALSE;
    /* A live source's frame is ready one frame duration after its start. */
    latency = gst_util_uint64_scale (GST_SECOND, fps_d, fps_n);
    gst_query_set_latency (query, gst_base_src_is_live (bsrc), latency,
        GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (parent_class)->query (bsrc, query);
}

static gboolean
gst_vae_sample_is_seekable (GstBaseSrc * bsrc)
{
  /* Frame n is a function of n, so any position can be produced. */
  return TRUE;
}

static gboolean
gst_vae_sample_do_seek (GstBaseSrc * bsrc, GstSegment * segment)
{
  GstVaeSample *self = GST_VAE_SAMPLE (bsrc);
  gint fps_n = GST_VIDEO_INFO_FPS_N (&self->info);
  gint fps_d = GST_VIDEO_INFO_FPS_D (&self->info);

  segment->time = segment->start;
  if (fps_n > 0) {
    /* The frame showing at position; frame times are rounded down to whole
     * nanoseconds, so a seek to a frame's own start lands on that frame. */
    self->n_frames = gst_util_uint64_scale (segment->position, fps_n,
        (guint64) fps_d * GST_SECOND);
    if (gst_util_uint64_scale (self->n_frames + 1,
            (guint64) fps_d * GST_SECOND, fps_n) <= segment->position)
      self->n_frames++;
    self->running_time = gst_util_uint64_scale (self->n_frames,
        (guint64) fps_d * GST_SECOND, fps_n);
  } else {
    self->n_frames = 0;
    self->running_time = 0;
  }
  return TRUE;
}

static void
gst_vae_sample_get_times (GstBaseSrc * bsrc, GstBuffer * buffer,
    GstClockTime * start, GstClockTime * end)
{
  /* Only a live source waits for the clock before pushing. */
  if (gst_base_src_is_live (bsrc)) {
    GstClockTime ts = GST_BUFFER_PTS (buffer);

    if (GST_CLOCK_TIME_IS_VALID (ts)) {
      GstClockTime dur = GST_BUFFER_DURATION (buffer);

      *start = ts;
      *end = GST_CLOCK_TIME_IS_VALID (dur) ? ts + dur : GST_CLOCK_TIME_NONE;
      return;
    }
  }
  *start = *end = GST_CLOCK_TIME_NONE;
}

/* Random stream `stream` for item n (frame, key, ...) under seed. */
static void
seed_stream (VaeRng * r, guint64 seed, guint64 stream, guint64 n)
{
  vae_rng_seed (r, seed + stream * G_GUINT64_CONSTANT (0xD1B54A32D192ED03)
      + n * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
}

static void
draw_normal (VaeRng * r, gfloat * z, gint n)
{
  for (gint i = 0; i < n; i++)
    z[i] = vae_rng_normal (r);
}

/* Spherical interpolation (Shoemake); nearly parallel ends fall back to a
 * straight line. */
static void
slerp (gfloat * out, const gfloat * a, const gfloat * b, gint n, gfloat t)
{
  double dot = 0.0, na = 0.0, nb = 0.0, omega, so, wa, wb;

  for (gint i = 0; i < n; i++) {
    dot += (double) a[i] * b[i];
    na += (double) a[i] * a[i];
    nb += (double) b[i] * b[i];
  }
  if (na > 0.0 && nb > 0.0)
    dot /= sqrt (na * nb);
  omega = acos (CLAMP (dot, -1.0, 1.0));
  so = sin (omega);
  if (so < 1e-6) {
    wa = 1.0 - t;
    wb = t;
  } else {
    wa = sin ((1.0 - t) * omega) / so;
    wb = sin (t * omega) / so;
  }
  for (gint i = 0; i < n; i++)
    out[i] = (gfloat) (wa * a[i] + wb * b[i]);
}

/* The latents of frame n (before the temperature), in self->z. */
static void
gst_vae_sample_latents (GstVaeSample * self, guint64 seed, guint64 n,
    guint transition)
{
  const gint k = self->n_latent;
  const guint tiles = self->cols * self->rows;
  VaeRng r;

  switch (self->run_mode) {
    case GST_VAE_SAMPLE_MODE_GRID:
      if (k == 2) {
        for (guint row = 0; row < self->rows; row++) {
          for (guint col = 0; col < self->cols; col++) {
            gfloat *z = self->z + (row * self->cols + col) * 2;
            /* z₁ grows to the right, z₂ upwards, like a plot's axes. */
            z[0] = vae_normal_quantile ((col + 0.5) / self->cols);
            z[1] = vae_normal_quantile (1.0 - (row + 0.5) / self->rows);
          }
        }
        break;
      }
      /* otherwise a grid of independent samples */
      G_GNUC_FALLTHROUGH;
    case GST_VAE_SAMPLE_MODE_RANDOM:
      seed_stream (&r, seed, STREAM_RANDOM, n);
      draw_normal (&r, self->z, tiles * k);
      break;
    case GST_VAE_SAMPLE_MODE_INTERPOLATE:{
      guint64 key = n / transition;

      seed_stream (&r, seed, STREAM_KEY, key);
      draw_normal (&r, self->key0, k);
      seed_stream (&r, seed, STREAM_KEY, key + 1);
      draw_normal (&r, self->key1, k);
      slerp (self->z, self->key0, self->key1, k,
          (gfloat) (n % transition) / transition);
      break;
    }
    case GST_VAE_SAMPLE_MODE_WALK:{
      const gfloat rho = expf (-1.0f / transition);
      const gfloat sd = sqrtf (1.0f - rho * rho);

      /* AR(1) keeps z ~ N(0, I) at every step; after a seek, replay. */
      if (self->walk_frame < 0 || (guint64) self->walk_frame > n) {
        seed_stream (&self->walk_rng, seed, STREAM_WALK, 0);
        draw_normal (&self->walk_rng, self->walk, k);
        self->walk_frame = 0;
      }
      while ((guint64) self->walk_frame < n) {
        for (gint i = 0; i < k; i++)
          self->walk[i] = rho * self->walk[i]
              + sd * vae_rng_normal (&self->walk_rng);
        self->walk_frame++;
      }
      memcpy (self->z, self->walk, k * sizeof (gfloat));
      break;
    }
  }
}

static GstFlowReturn
gst_vae_sample_fill (GstPushSrc * psrc, GstBuffer * buf)
{
  GstVaeSample *self = GST_VAE_SAMPLE (psrc);
  const gint k = self->n_latent, iw = self->img_w, ih = self->img_h;
  const guint tiles = self->cols * self->rows;
  gint fps_n = GST_VIDEO_INFO_FPS_N (&self->info);
  gint fps_d = GST_VIDEO_INFO_FPS_D (&self->info);
  GstVideoFrame out;
  GstClockTime next;
  guint64 seed;
  gfloat temperature;
  guint transition;
  gint stride, ret;
  guint8 *plane;

  if (self->tiles.convert == NULL)
    goto not_negotiated;
  /* Framerate 0/1: a still picture. */
  if (fps_n == 0 && self->n_frames == 1)
    return GST_FLOW_EOS;

  seed = self->run_seed;
  GST_OBJECT_LOCK (self);
  temperature = self->temperature;
  transition = self->transition_frames;
  GST_OBJECT_UNLOCK (self);

  gst_vae_sample_latents (self, seed, self->n_frames, transition);
  for (guint i = 0; i < tiles * k; i++)
    self->z[i] *= temperature;
  ret = vae_decode (self->model, self->ws, self->z, tiles, self->xhat);
  if (ret != VAE_OK)
    goto model_failed;

  plane = GST_VIDEO_FRAME_PLANE_DATA (&self->tiles.frame, 0);
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&self->tiles.frame, 0);
  for (guint t = 0; t < tiles; t++) {
    const gfloat *x = self->xhat + (gsize) t * iw * ih;
    guint8 *dst = plane + (t / self->cols) * ih * stride + (t % self->cols) * iw;

    for (gint y = 0; y < ih; y++)
      for (gint xx = 0; xx < iw; xx++)
        dst[y * stride + xx] =
            (guint8) lrintf (CLAMP (x[y * iw + xx], 0.0f, 1.0f) * 255.0f);
  }

  if (!gst_video_frame_map (&out, &self->info, buf, GST_MAP_WRITE))
    goto map_failed;
  gst_video_converter_frame (self->tiles.convert, &self->tiles.frame, &out);
  gst_vae_frame_clear_padding (&out);
  gst_video_frame_unmap (&out);

  GST_BUFFER_PTS (buf) = self->running_time;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buf) = self->n_frames;
  self->n_frames++;
  GST_BUFFER_OFFSET_END (buf) = self->n_frames;
  if (fps_n > 0) {
    next = gst_util_uint64_scale (self->n_frames,
        (guint64) fps_d * GST_SECOND, fps_n);
    GST_BUFFER_DURATION (buf) = next - self->running_time;
  } else {
    next = self->running_time;
    GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_NONE;
  }
  self->running_time = next;
  if (self->n_frames == 1)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("vaesample was not negotiated"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
model_failed:
  {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Decoding frame %" G_GINT64_FORMAT " failed: %s", self->n_frames,
            vae_status_string (ret)), (NULL));
    return GST_FLOW_ERROR;
  }
map_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, (NULL),
        ("could not map the output frame"));
    return GST_FLOW_ERROR;
  }
}
