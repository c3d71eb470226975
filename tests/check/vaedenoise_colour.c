/* vaedenoise with colour models: every format against the core run on
 * the interleaved 4:2:0 plane, odd sizes, model=auto across caps changes,
 * refused settings, and colour noise removed by default. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "vae_data.h"
#include "check_util.h"

static gchar *tmp_dir;
static gchar *colour_model;     /* random weights, 8x8 luma, 4:2:0 */
static gchar *colour_cnn;       /* convolutional, on 2x3 blocks of 4:2:0 */

static const gchar *formats[] = {
  "I420", "YV12", "NV12", "NV21", "Y42B", "Y444", "YUY2", "UYVY", "YVYU",
  "GRAY8", "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB", "ABGR"
};

/* The test colour models' common configuration: a residual,
 * noise-conditional Gaussian DAE on 8x8-luma 4:2:0 patches (8x12
 * interleaved), σ 0…50. */
static VaeConfig
colour_config (void)
{
  VaeConfig c = vae_config_default ();
  c.kind = VAE_KIND_DAE;
  c.img_w = 8;
  c.img_h = 12;
  c.n_in = 96;
  c.act = c.code_act = VAE_ACT_RELU;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_max = 50.0f / 255.0f;
  c.residual = 1;
  c.noise_input = 1;
  c.norm_mean = 0.5f;
  c.norm_scale = 0.2f;
  c.colour = VAE_COLOUR_YUV420;
  return c;
}

/* A model of c with random weights (seed) and, where biased, random
 * biases too, saved as name in the temporary folder. */
static gchar *
write_model (const VaeConfig * c, guint64 seed, gboolean biased,
    const gchar * name)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  VaeError err;
  VaeModel *m = vae_model_new (c, seed, &err);
  VaeRng r;

  if (m == NULL)
    g_error ("cannot make %s: %s", path, err.msg);
  vae_rng_seed (&r, 5);
  for (gint l = 0; biased && l < vae_model_n_layers (m); l++) {
    gint no;
    gfloat *b;
    vae_model_layer (m, l, NULL, &no, NULL, NULL, &b, NULL, NULL);
    for (gint j = 0; j < no; j++)
      b[j] = 0.2f * (gfloat) vae_rng_normal (&r);
  }
  if (vae_model_save (m, path, &err) != VAE_OK)
    g_error ("cannot write %s: %s", path, err.msg);
  vae_model_free (m);
  return path;
}

/* The patch model: 97-48-32-96. */
static gchar *
write_colour_model (const gchar * name)
{
  VaeConfig c = colour_config ();
  c.n_enc = 1;
  c.enc[0] = 48;
  c.n_latent = 32;
  return write_model (&c, 11, FALSE, name);
}

/* A convolutional colour model: 3 layers of 3x3 with 8 channels on the
 * interleaved plane's 2x3 blocks, random weights and biases. */
static gchar *
write_colour_cnn (const gchar * name)
{
  VaeConfig c = colour_config ();
  c.conv_depth = 3;
  c.conv_width = c.n_latent = 8;
  c.conv_kernel = 3;
  return write_model (&c, 12, TRUE, name);
}

static GstHarness *
new_harness (const gchar * model, gint n_threads, gfloat level)
{
  GstElement *e = gst_element_factory_make ("vaedenoise", NULL);
  GstHarness *h;

  fail_unless (e != NULL, "vaedenoise not found (GST_PLUGIN_PATH?)");
  g_object_set (e, "model", model, "n-threads", n_threads, "noise-level",
      level, NULL);
  gst_object_ref_sink (e);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

/* Bytes from a hash: a frame with detail in every plane. */
static GstBuffer *
make_buffer (const GstVideoInfo * info, guint salt)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++) {
    guint32 v = (guint32) i * 2654435761u ^ salt;
    v ^= v >> 15;
    map.data[i] = (guint8) (96 + (i / 7) % 64 + (v & 31));
  }
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Every plane's pixel bytes equal (padding is not compared). */
static void
assert_frames_equal (const GstVideoInfo * info, GstBuffer * a, GstBuffer * b,
    const gchar * what)
{
  GstVideoFrame fa, fb;

  fail_unless (gst_video_frame_map (&fa, (GstVideoInfo *) info, a,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, (GstVideoInfo *) info, b,
          GST_MAP_READ));
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&fa); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gst_video_format_info_component (info->finfo, p, comp);
    gint w = GST_VIDEO_FRAME_COMP_WIDTH (&fa, comp[0])
        * GST_VIDEO_FRAME_COMP_PSTRIDE (&fa, comp[0]);
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&fa, comp[0]); y++) {
      const guint8 *ra = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fa, p)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&fa, p);
      const guint8 *rb = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fb, p)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&fb, p);
      for (gint x = 0; x < w; x++)
        if (ra[x] != rb[x])
          fail ("%s %s %dx%d: plane %u differs at (%d, %d): %d vs %d", what,
              GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
              GST_VIDEO_INFO_HEIGHT (info), p, x, y, ra[x], rb[x]);
    }
  }
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
}

/* The core on a 4:2:0 (or GRAY8) frame, in place: its planes packed into
 * the interleaved plane (GRAY8 with chroma 128), denoised in one band at
 * the colour model's level for noise-level `level` (-1: from the luma's
 * estimate), unpacked. */
static void
core_420 (const VaeModel * m, GstVideoFrame * f, gfloat level)
{
  const VaeConfig *c = vae_model_config (m);
  gint w = GST_VIDEO_FRAME_WIDTH (f), h = GST_VIDEO_FRAME_HEIGHT (f), pw, ph;
  gboolean gray = GST_VIDEO_INFO_IS_GRAY (&f->info);
  guint8 *neutral, *pin, *pout, *u, *v;
  gint cs = 0, step = 1;
  gfloat ref[3], gain[3];
  VaeDenoiser *d;
  VaeError err;

  vae_yuv420_packed_size (w, h, c->img_w, c->img_h, &pw, &ph);
  neutral = g_malloc ((gsize) pw);
  memset (neutral, 128, pw);
  pin = g_malloc ((gsize) pw * ph);
  pout = g_malloc ((gsize) pw * ph);
  u = v = neutral;
  if (!gray) {
    u = GST_VIDEO_FRAME_COMP_DATA (f, GST_VIDEO_COMP_U);
    v = GST_VIDEO_FRAME_COMP_DATA (f, GST_VIDEO_COMP_V);
    cs = GST_VIDEO_FRAME_COMP_STRIDE (f, GST_VIDEO_COMP_U);
    step = GST_VIDEO_FRAME_COMP_PSTRIDE (f, GST_VIDEO_COMP_U);
  }
  vae_yuv420_pack (GST_VIDEO_FRAME_COMP_DATA (f, 0),
      GST_VIDEO_FRAME_COMP_STRIDE (f, 0), u, v, cs, step, w, h, pin, pw, pw,
      0, ph / 3);
  /* the level: RGB σ of BT.601 limited range, as the model was trained */
  vae_noise_gains (0, 0, ref);
  vae_noise_gains (f->info.colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709,
      f->info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255, gain);
  if (level < 0.0f)
    level = vae_estimate_noise_u8 (GST_VIDEO_FRAME_COMP_DATA (f, 0),
        GST_VIDEO_FRAME_COMP_STRIDE (f, 0), w, h) / ref[0];
  else
    level = gray ? level / ref[0] : level * gain[0] / ref[0];
  d = vae_denoiser_new (m, pw, ph, NULL, &err);
  fail_unless (d != NULL, "denoiser: %s", err.msg);
  fail_unless_equals_int (vae_denoiser_run_u8 (d, pin, pw, pout, pw, pw, ph,
          0, ph, level), VAE_OK);
  vae_denoiser_free (d);
  /* unpack writes the luma in place and the chroma into the frame too */
  memcpy (pin, pout, (gsize) pw * ph);
  vae_yuv420_unpack (pin, pw, GST_VIDEO_FRAME_COMP_DATA (f, 0),
      GST_VIDEO_FRAME_COMP_STRIDE (f, 0), gray ? NULL : u, gray ? NULL : v, cs,
      step, w, h, 0, (h + 1) / 2);
  g_free (neutral);
  g_free (pin);
  g_free (pout);
}

/* What the element promises for a colour model: 4:2:0 and GRAY8 frames
 * through core_420; other layouts converted without dithering to I420
 * (RGB as BT.601 limited range, YUV in its own colorimetry), through
 * core_420, converted back, alpha copied. */
static GstBuffer *
colour_reference (const VaeModel * m, GstBuffer * in,
    const GstVideoInfo * info, gfloat level)
{
  GstBuffer *out = gst_buffer_copy_deep (in);
  gboolean direct = GST_VIDEO_INFO_IS_GRAY (info)
      || (GST_VIDEO_INFO_IS_YUV (info)
      && GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, 1) == 1
      && GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, 1) == 1);
  GstVideoFrame fo, fy;

  fail_unless (gst_video_frame_map (&fo, (GstVideoInfo *) info, out,
          GST_MAP_READWRITE));
  if (direct) {
    core_420 (m, &fo, level);
  } else {
    GstStructure *opts = gst_structure_new ("GstVideoConverter",
        GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
        GST_VIDEO_DITHER_NONE, NULL);
    GstVideoConverter *to = NULL, *back = NULL;
    gboolean rgb = GST_VIDEO_INFO_IS_RGB (info);
    GstVideoInfo yi;
    GstBuffer *yb;
    GstVideoFrame fi;

    gst_video_info_set_format (&yi, GST_VIDEO_FORMAT_I420,
        GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
    yi.fps_n = info->fps_n;
    yi.fps_d = info->fps_d;
    yi.colorimetry = info->colorimetry;
    if (rgb) {
      yi.colorimetry.range = GST_VIDEO_COLOR_RANGE_16_235;
      yi.colorimetry.matrix = GST_VIDEO_COLOR_MATRIX_BT601;
    }
    yb = gst_buffer_new_allocate (NULL, yi.size, NULL);
    fail_unless (gst_video_frame_map (&fi, (GstVideoInfo *) info, in,
            GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fy, &yi, yb, GST_MAP_READWRITE));
    /* packed RGB: the core's conversions; 4:2:2 and 4:4:4 YUV: GStreamer's
     * chroma resampling */
    if (rgb) {
      check_rgb_to_yuv (&fi, &fy, TRUE);
    } else {
      to = gst_video_converter_new ((GstVideoInfo *) info, &yi,
          gst_structure_copy (opts));
      back = gst_video_converter_new (&yi, (GstVideoInfo *) info,
          gst_structure_copy (opts));
      fail_unless (to != NULL && back != NULL);
      gst_video_converter_frame (to, &fi, &fy);
    }
    gst_structure_free (opts);
    core_420 (m, &fy, level);
    if (rgb)
      check_yuv_to_rgb (&fy, &fi, &fo, TRUE);
    else
      gst_video_converter_frame (back, &fy, &fo);
    gst_video_frame_unmap (&fi);
    gst_video_frame_unmap (&fy);
    if (to != NULL)
      gst_video_converter_free (to);
    if (back != NULL)
      gst_video_converter_free (back);
    gst_buffer_unref (yb);
  }
  gst_video_frame_unmap (&fo);
  return out;
}

static void
run_one (GstHarness * h, const VaeModel * m, const gchar * fmt, gint w,
    gint hh, gfloat level)
{
  GstVideoInfo info;
  GstBuffer *in, *out, *ref;

  check_set_caps (h, &info, fmt, w, hh);
  in = make_buffer (&info, (guint) (w * 31 + hh));
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  fail_unless (out != NULL, "no output for %s %dx%d", fmt, w, hh);
  ref = colour_reference (m, in, &info, level);
  assert_frames_equal (&info, ref, out, "colour model");
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  gst_buffer_unref (ref);
}

/* Every format at odd and tiny sizes, on two bands (which must give the
 * single-band bytes), the level given and estimated. */
GST_START_TEST (test_colour_formats)
{
  static const gint sizes[][2] = { {1, 1}, {3, 5}, {641, 479}, {17, 8},
    {2, 2}, {64, 36} };
  VaeModel *m = check_load (colour_model);

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstHarness *h = new_harness (colour_model, 2, 25.0f);
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      run_one (h, m, formats[f], sizes[s][0], sizes[s][1], 25.0f);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
}

GST_END_TEST;

/* A convolutional colour model through the element's colour path: every
 * format and size on one to three bands, the level given and estimated,
 * the core's bytes on the same planes. */
GST_START_TEST (test_colour_cnn)
{
  static const gint sizes[][2] = { {1, 1}, {3, 5}, {641, 479}, {17, 8},
    {2, 2}, {300, 200} };
  VaeModel *m = check_load (colour_cnn);

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    gfloat level = f % 4 == 3 ? -1.0f : 25.0f;
    GstHarness *h = new_harness (colour_cnn, 1 + f % 3, level);
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      run_one (h, m, formats[f], sizes[s][0], sizes[s][1], level);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
}

GST_END_TEST;

/* noise-level=-1 estimates the luma's noise and gives the model its RGB
 * equivalent, in every layout. */
GST_START_TEST (test_colour_estimate)
{
  VaeModel *m = check_load (colour_model);
  static const gchar *fmts[] = { "I420", "NV21", "GRAY8", "Y444", "BGRA" };

  for (guint f = 0; f < G_N_ELEMENTS (fmts); f++) {
    GstHarness *h = new_harness (colour_model, 1, -1.0f);
    run_one (h, m, fmts[f], 96, 64, -1.0f);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
}

GST_END_TEST;

/* chroma=passthrough with a colour model: luma from the joint model,
 * chroma the input's bytes. */
GST_START_TEST (test_colour_chroma_passthrough)
{
  VaeModel *m = check_load (colour_model);
  GstHarness *h = new_harness (colour_model, 2, 20.0f);
  GstVideoInfo info;
  GstBuffer *in, *out, *ref;
  GstVideoFrame fi, fo, fr;

  gst_util_set_object_arg (G_OBJECT (h->element), "chroma", "passthrough");
  check_set_caps (h, &info, "NV12", 45, 33);
  in = make_buffer (&info, 8);
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  ref = colour_reference (m, in, &info, 20.0f);
  fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fr, &info, ref, GST_MAP_READ));
  for (gint y = 0; y < 33; y++) {
    fail_unless (memcmp ((guint8 *) fo.data[0] + y * fo.info.stride[0],
            (guint8 *) fr.data[0] + y * fr.info.stride[0], 45) == 0,
        "luma row %d", y);
    if (y < 17)
      fail_unless (memcmp ((guint8 *) fo.data[1] + y * fo.info.stride[1],
              (guint8 *) fi.data[1] + y * fi.info.stride[1], 46) == 0,
          "chroma row %d not passed through", y);
  }
  gst_video_frame_unmap (&fi);
  gst_video_frame_unmap (&fo);
  gst_video_frame_unmap (&fr);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  gst_buffer_unref (ref);
  gst_harness_teardown (h);
  vae_model_free (m);
}

GST_END_TEST;

/* Runs desc to its end: EOS where error is NULL, else an error whose
 * message holds error. */
static void
run_to_end (const gchar * desc, const gchar * error)
{
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "%s: no EOS or error", desc);
  if (error == NULL) {
    fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS, "%s: an error",
        desc);
  } else {
    GError *err = NULL;
    fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "%s ran",
        desc);
    gst_message_parse_error (msg, &err, NULL);
    fail_unless (strstr (err->message, error) != NULL, "error: %s",
        err->message);
    g_error_free (err);
  }
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

/* model=auto with an odd stride: GRAY8 runs on the gray model, colour caps
 * (the colour model's) end in a clear error. */
GST_START_TEST (test_auto_odd_stride)
{
  const gchar *dir = g_getenv ("GST_VAE_MODEL_PATH");
  gchar *c = dir ? g_build_filename (dir, "denoise-colour.safetensors",
      NULL) : NULL;

  if (c == NULL || !g_file_test (c, G_FILE_TEST_IS_REGULAR)) {
    g_print ("SKIP test_auto_odd_stride: the shipped colour model is not "
        "in GST_VAE_MODEL_PATH\n");
    g_free (c);
    return;
  }
  g_free (c);
  run_to_end ("videotestsrc num-buffers=2 ! video/x-raw,format=GRAY8,"
      "width=32,height=24 ! vaedenoise model=auto stride=3 ! fakesink", NULL);
  run_to_end ("videotestsrc num-buffers=2 ! video/x-raw,format=I420,"
      "width=32,height=24 ! vaedenoise model=auto stride=3 ! fakesink",
      "even stride");
}

GST_END_TEST;

/* An odd stride cannot keep the colour layout: a clear error at start. */
GST_START_TEST (test_colour_odd_stride)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=I420,width=32,height=24 ! vaedenoise model=\"%s\" "
      "stride=3 ! fakesink", colour_model);

  run_to_end (desc, "even stride");
  g_free (desc);
}

GST_END_TEST;

/* The shipped models (GST_VAE_MODEL_PATH), or NULL when absent. */
static gchar *
shipped (const gchar * name)
{
  const gchar *dir = g_getenv ("GST_VAE_MODEL_PATH");
  gchar *p = dir ? g_build_filename (dir, name, NULL) : NULL;
  if (p != NULL && !g_file_test (p, G_FILE_TEST_IS_REGULAR))
    g_clear_pointer (&p, g_free);
  return p;
}

/* One frame through a fresh element with these properties. */
static GstBuffer *
one_frame (const gchar * model, const GstVideoInfo * info, GstBuffer * in)
{
  GstHarness *h = new_harness (model, 2, 25.0f);
  GstBuffer *out;

  gst_harness_set_src_caps (h, gst_video_info_to_caps (info));
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  gst_harness_teardown (h);
  return out;
}

/* model=auto across caps changes: GRAY8 frames as denoise-s gives them,
 * colour frames as denoise-colour does, at every new size. */
GST_START_TEST (test_auto_caps_change)
{
  static const struct { const gchar *fmt; gint w, h; } seq[] = {
    {"GRAY8", 64, 48}, {"I420", 64, 48}, {"NV12", 33, 17}, {"GRAY8", 64, 48},
    {"BGRx", 40, 30}, {"I420", 1, 1},
  };
  gchar *gray = shipped ("denoise-s.safetensors");
  gchar *colour = shipped ("denoise-colour.safetensors");
  GstHarness *h;

  if (gray == NULL || colour == NULL) {
    GST_INFO ("shipped models not found: skipped");
    g_free (gray);
    g_free (colour);
    return;
  }
  h = new_harness ("auto", 2, 25.0f);
  for (guint i = 0; i < G_N_ELEMENTS (seq); i++) {
    GstVideoInfo info;
    GstBuffer *in, *out, *want;

    check_set_caps (h, &info, seq[i].fmt, seq[i].w, seq[i].h);
    in = make_buffer (&info, i);
    out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    fail_unless (out != NULL);
    want = one_frame (GST_VIDEO_INFO_IS_GRAY (&info) ? gray : colour, &info,
        in);
    assert_frames_equal (&info, want, out, "auto");
    gst_buffer_unref (in);
    gst_buffer_unref (out);
    gst_buffer_unref (want);
  }
  gst_harness_teardown (h);
  g_free (gray);
  g_free (colour);
}

GST_END_TEST;

/* A smooth colour picture with RGB noise σ = 25, converted to I420: the
 * default removes colour noise (the chroma's PSNR rises far above the
 * noisy input's) where the one-plane model leaves it (its chroma is the
 * input's). */
GST_START_TEST (test_colour_noise_removed)
{
  const gint w = 160, hh = 96;
  gchar *gray = shipped ("denoise-s.safetensors");
  gchar *colour = shipped ("denoise-colour.safetensors");
  GstVideoInfo ri, yi;
  GstBuffer *rgb[2], *yuv[2], *out[2];
  GstVideoConverter *cv;
  VaeRng rng;
  gdouble p[2][2];

  if (gray == NULL || colour == NULL) {
    GST_INFO ("shipped models not found: skipped");
    g_free (gray);
    g_free (colour);
    return;
  }
  gst_video_info_set_format (&ri, GST_VIDEO_FORMAT_RGB, w, hh);
  gst_video_info_set_format (&yi, GST_VIDEO_FORMAT_I420, w, hh);
  ri.fps_n = yi.fps_n = 30;
  ri.fps_d = yi.fps_d = 1;
  cv = gst_video_converter_new (&ri, &yi, NULL);
  vae_rng_seed (&rng, 7);
  for (gint k = 0; k < 2; k++) {      /* clean, noisy */
    GstVideoFrame fr, fy;
    rgb[k] = gst_buffer_new_allocate (NULL, ri.size, NULL);
    yuv[k] = gst_buffer_new_allocate (NULL, yi.size, NULL);
    fail_unless (gst_video_frame_map (&fr, &ri, rgb[k], GST_MAP_WRITE));
    for (gint y = 0; y < hh; y++)
      for (gint x = 0; x < w; x++) {
        guint8 *px = (guint8 *) fr.data[0] + y * fr.info.stride[0] + 3 * x;
        gdouble c[3] = { 128 + 80 * sin (x / 17.0) * cos (y / 23.0),
          110 + 60 * cos ((x + y) / 29.0), 120 + 70 * sin (y / 13.0) };
        for (gint j = 0; j < 3; j++)
          px[j] = (guint8) CLAMP (lrint (c[j] + (k ? 25.0
                      * vae_rng_normal (&rng) : 0.0)), 0, 255);
      }
    fail_unless (gst_video_frame_map (&fy, &yi, yuv[k], GST_MAP_WRITE));
    gst_video_converter_frame (cv, &fr, &fy);
    gst_video_frame_unmap (&fr);
    gst_video_frame_unmap (&fy);
  }
  out[0] = one_frame ("auto", &yi, yuv[1]);
  out[1] = one_frame (gray, &yi, yuv[1]);
  for (gint k = 0; k < 2; k++) {
    GstVideoFrame fc, fo, fn;
    fail_unless (gst_video_frame_map (&fc, &yi, yuv[0], GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fo, &yi, out[k], GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fn, &yi, yuv[1], GST_MAP_READ));
    for (gint pl = 0; pl < 2; pl++) {   /* luma, then U */
      gint pw = pl ? (w + 1) / 2 : w, ph = pl ? (hh + 1) / 2 : hh;
      p[k][pl] = vae_psnr_u8 (fc.data[pl], fc.info.stride[pl],
          fo.data[pl], fo.info.stride[pl], pw, ph);
      if (k == 1 && pl == 1)
        fail_unless (vae_psnr_u8 (fn.data[1], fn.info.stride[1],
                fo.data[1], fo.info.stride[1], pw, ph) > 99.0,
            "the one-plane model changed chroma");
    }
    gst_video_frame_unmap (&fc);
    gst_video_frame_unmap (&fo);
    gst_video_frame_unmap (&fn);
  }
  GST_INFO ("auto: Y %.2f U %.2f dB; denoise-s: Y %.2f U %.2f dB", p[0][0],
      p[0][1], p[1][0], p[1][1]);
  fail_unless (p[0][1] > p[1][1] + 4.0, "chroma: colour %.2f dB, one-plane "
      "%.2f dB", p[0][1], p[1][1]);
  fail_unless (p[0][0] > p[1][0] - 0.5, "luma: colour %.2f dB, one-plane "
      "%.2f dB", p[0][0], p[1][0]);
  for (gint k = 0; k < 2; k++) {
    gst_buffer_unref (rgb[k]);
    gst_buffer_unref (yuv[k]);
    gst_buffer_unref (out[k]);
  }
  gst_video_converter_free (cv);
  g_free (gray);
  g_free (colour);
}

GST_END_TEST;

static Suite *
colour_suite (void)
{
  Suite *s = suite_create ("vaedenoise_colour");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_colour_formats);
  tcase_add_test (tc, test_colour_cnn);
  tcase_add_test (tc, test_colour_estimate);
  tcase_add_test (tc, test_colour_chroma_passthrough);
  tcase_add_test (tc, test_colour_odd_stride);
  tcase_add_test (tc, test_auto_odd_stride);
  tcase_add_test (tc, test_auto_caps_change);
  tcase_add_test (tc, test_colour_noise_removed);
  return s;
}

int
main (int argc, char **argv)
{
  int n_failed;

  gst_check_init (&argc, &argv);
  tmp_dir = g_dir_make_tmp ("vaedenoise-colour-XXXXXX", NULL);
  g_assert (tmp_dir != NULL);
  colour_model = write_colour_model ("colour.safetensors");
  colour_cnn = write_colour_cnn ("colour-cnn.safetensors");
  n_failed = gst_check_run_suite (colour_suite (), "vaedenoise_colour",
      __FILE__);
  check_rmdir (tmp_dir);
  g_free (colour_model);
  g_free (colour_cnn);
  g_free (tmp_dir);
  return n_failed;
}
