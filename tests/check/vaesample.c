/* gst-vae: vaesample element tests, on the shipped models
 * (GST_VAE_MODEL_PATH). */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "vae.h"
#include "model_property.h"

#define MODEL "mnist-vae.safetensors"
#define MODEL_2D "mnist-vae2d.safetensors"

static gchar *
model_path (const gchar * name)
{
  const gchar *dir = g_getenv ("GST_VAE_MODEL_PATH");
  gchar *p = g_build_filename (dir ? dir : "models", name, NULL);

  fail_unless (g_file_test (p, G_FILE_TEST_IS_REGULAR),
      "model %s is missing (GST_VAE_MODEL_PATH)", p);
  return p;
}

/* A harness around vaesample with "name=value ..." properties, pulling
 * caps (NULL: whatever it picks). */
static GstHarness *
sample_harness (const gchar * props, const gchar * caps)
{
  GstHarness *h = gst_harness_new_with_padnames ("vaesample", NULL, "src");
  gchar **kv = g_strsplit (props, " ", -1);

  for (gchar ** p = kv; *p != NULL; p++) {
    gchar **pair = g_strsplit (*p, "=", 2);
    if (pair[0] != NULL && pair[1] != NULL)
      gst_util_set_object_arg (G_OBJECT (h->element), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);
  if (caps != NULL)
    gst_harness_set_sink_caps_str (h, caps);
  gst_harness_play (h);
  return h;
}

static GstVideoInfo
current_info (GstHarness * h)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstVideoInfo info;

  fail_unless (caps != NULL);
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  return info;
}

/* The first n frames' bytes, concatenated. */
static GBytes *
pull_frames (const gchar * props, const gchar * caps, gint n)
{
  gchar *all = g_strdup_printf ("%s num-buffers=%d", props, n);
  GstHarness *h = sample_harness (all, caps);
  GByteArray *out = g_byte_array_new ();

  for (gint i = 0; i < n; i++) {
    GstBuffer *b = gst_harness_pull (h);
    GstMapInfo map;

    fail_unless (b != NULL);
    fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
    g_byte_array_append (out, map.data, map.size);
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
  }
  gst_harness_teardown (h);
  g_free (all);
  return g_byte_array_free_to_bytes (out);
}

GST_START_TEST (test_default_caps)
{
  GstHarness *h = sample_harness ("num-buffers=1", NULL);
  GstBuffer *b = gst_harness_pull (h);
  GstVideoInfo info = current_info (h);

  /* 28x28 scaled by the largest integer with the side <= 256: 9. */
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), 252);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), 252);
  fail_unless_equals_int (GST_VIDEO_INFO_FPS_N (&info), 30);
  fail_unless_equals_int (GST_VIDEO_INFO_FPS_D (&info), 1);
  fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&info),
      GST_VIDEO_FORMAT_GRAY8);
  fail_unless_equals_int (gst_buffer_get_size (b), 252 * 252);
  gst_buffer_unref (b);
  gst_harness_teardown (h);

  h = sample_harness ("num-buffers=1 scale=2 mode=grid grid-cols=3 "
      "grid-rows=2", NULL);
  b = gst_harness_pull (h);
  info = current_info (h);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), 3 * 28 * 2);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), 2 * 28 * 2);
  gst_buffer_unref (b);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_negotiation)
{
  static const struct {
    const gchar *format;
    gint w, h;
  } cases[] = {
    {"GRAY8", 28, 28}, {"GRAY8", 30, 17}, {"I420", 320, 240},
    {"NV12", 64, 48}, {"RGB", 100, 75}, {"BGR", 28, 56}, {"RGBA", 33, 33},
    {"BGRA", 16, 16}, {"RGBx", 640, 480}, {"xRGB", 7, 5}, {"YUY2", 50, 50},
    {"Y444", 29, 31},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
        "framerate=25/1", cases[i].format, cases[i].w, cases[i].h);
    GstHarness *h = sample_harness ("num-buffers=2", caps);
    GstBuffer *b = gst_harness_pull (h);
    GstVideoInfo info = current_info (h);
    GstVideoFrame f;
    guint64 sum = 0;

    fail_unless_equals_string (gst_video_format_to_string
        (GST_VIDEO_INFO_FORMAT (&info)), cases[i].format);
    fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), cases[i].w);
    fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), cases[i].h);
    fail_unless (gst_buffer_get_size (b) >= GST_VIDEO_INFO_SIZE (&info));
    /* Some ink: not an empty frame. */
    fail_unless (gst_video_frame_map (&f, &info, b, GST_MAP_READ));
    for (gint y = 0; y < cases[i].h; y++) {
      const guint8 *row = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0);
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&f, 0) *
          GST_VIDEO_FRAME_COMP_PSTRIDE (&f, 0); x++)
        sum += row[x];
    }
    gst_video_frame_unmap (&f);
    fail_unless (sum > 0, "%s: black frame", caps);
    gst_buffer_unref (b);
    gst_harness_teardown (h);
    g_free (caps);
  }
}

GST_END_TEST;

#define SMALL_CAPS "video/x-raw,format=GRAY8,width=56,height=56,framerate=30/1"

GST_START_TEST (test_seed)
{
  static const gchar *modes[] = { "random", "walk", "interpolate", "grid" };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++) {
    gchar *p5 = g_strdup_printf ("mode=%s seed=5 transition-frames=4 "
        "grid-cols=2 grid-rows=2", modes[i]);
    gchar *p6 = g_strdup_printf ("mode=%s seed=6 transition-frames=4 "
        "grid-cols=2 grid-rows=2", modes[i]);
    GBytes *a = pull_frames (p5, SMALL_CAPS, 6);
    GBytes *b = pull_frames (p5, SMALL_CAPS, 6);
    GBytes *c = pull_frames (p6, SMALL_CAPS, 6);

    fail_unless (g_bytes_equal (a, b), "%s: same seed, different video",
        modes[i]);
    fail_if (g_bytes_equal (a, c), "%s: different seeds, same video",
        modes[i]);
    g_bytes_unref (a);
    g_bytes_unref (b);
    g_bytes_unref (c);
    g_free (p5);
    g_free (p6);
  }
}

GST_END_TEST;

static double
mean_abs_diff (const guint8 * a, const guint8 * b, gsize n)
{
  double s = 0.0;

  for (gsize i = 0; i < n; i++)
    s += ABS ((int) a[i] - (int) b[i]);
  return s / n;
}

/* Mean change between consecutive frames. */
static double
motion (const gchar * props, gint n)
{
  GBytes *v = pull_frames (props, SMALL_CAPS, n);
  const guint8 *d = g_bytes_get_data (v, NULL);
  double s = 0.0;

  for (gint i = 1; i < n; i++)
    s += mean_abs_diff (d + (i - 1) * 56 * 56, d + i * 56 * 56, 56 * 56);
  g_bytes_unref (v);
  return s / (n - 1);
}

/* Every mode runs; walk and interpolate move smoothly, random jumps. */
GST_START_TEST (test_modes)
{
  double jump = motion ("mode=random", 12);
  double walk = motion ("mode=walk transition-frames=60", 12);
  double interp = motion ("mode=interpolate transition-frames=30", 12);
  GBytes *v;
  const guint8 *d;

  GST_INFO ("mean frame-to-frame change: random %.2f, walk %.2f, "
      "interpolate %.2f", jump, walk, interp);
  fail_unless (jump > 0.0);
  fail_unless (walk < jump, "walk %.2f, random %.2f", walk, jump);
  fail_unless (interp < jump, "interpolate %.2f, random %.2f", interp, jump);

  /* Interpolation passes through its keys: frame k*T is key k, which does
   * not depend on T. */
  {
    GBytes *t4 = pull_frames ("mode=interpolate transition-frames=4",
        SMALL_CAPS, 9);
    GBytes *t2 = pull_frames ("mode=interpolate transition-frames=2",
        SMALL_CAPS, 5);
    const guint8 *a = g_bytes_get_data (t4, NULL);
    const guint8 *b = g_bytes_get_data (t2, NULL);

    fail_unless (memcmp (a + 4 * 56 * 56, b + 2 * 56 * 56, 56 * 56) == 0);
    fail_unless (memcmp (a + 8 * 56 * 56, b + 4 * 56 * 56, 56 * 56) == 0);
    g_bytes_unref (t4);
    g_bytes_unref (t2);
  }

  /* Temperature 0 decodes z = 0 in every mode: the same picture. */
  v = pull_frames ("mode=random temperature=0", SMALL_CAPS, 3);
  d = g_bytes_get_data (v, NULL);
  fail_unless (memcmp (d, d + 56 * 56, 56 * 56) == 0);
  g_bytes_unref (v);
}

GST_END_TEST;

/* Grid of a 2-D model: the manifold, the same in every frame and
 * point-symmetric in z, so tile (c, r) and (C-1-c, R-1-r) differ. */
GST_START_TEST (test_grid_manifold)
{
  gchar *path = model_path (MODEL_2D);
  gchar *props = g_strdup_printf ("model=%s mode=grid grid-cols=5 "
      "grid-rows=4 scale=1", path);
  GBytes *v = pull_frames (props, NULL, 2);
  gsize size;
  const guint8 *d = g_bytes_get_data (v, &size);
  const gint w = 5 * 28, h = 4 * 28;

  fail_unless_equals_int (size, 2 * w * h);
  fail_unless (memcmp (d, d + w * h, w * h) == 0);
  g_bytes_unref (v);
  g_free (props);

  /* A grid of the 20-D model: fresh samples every frame. */
  v = pull_frames ("mode=grid grid-cols=2 grid-rows=2 scale=1", NULL, 2);
  d = g_bytes_get_data (v, &size);
  fail_unless_equals_int (size, 2 * 56 * 56);
  fail_if (memcmp (d, d + 56 * 56, 56 * 56) == 0);
  g_bytes_unref (v);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_timestamps)
{
  GstHarness *h = sample_harness ("num-buffers=40",
      "video/x-raw,format=GRAY8,width=28,height=28,framerate=30000/1001");
  GstClockTime end = 0;

  for (gint n = 0; n < 40; n++) {
    GstBuffer *b = gst_harness_pull (h);
    GstClockTime pts = gst_util_uint64_scale (n, 1001 * GST_SECOND, 30000);
    GstClockTime next = gst_util_uint64_scale (n + 1, 1001 * GST_SECOND,
        30000);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), pts);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (b), next - pts);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), end);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (b), n);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (b), n + 1);
    end = pts + GST_BUFFER_DURATION (b);
    gst_buffer_unref (b);
  }
  gst_harness_teardown (h);

  /* framerate 0/1: one still frame, no duration. */
  h = sample_harness ("",
      "video/x-raw,format=GRAY8,width=28,height=28,framerate=0/1");
  {
    GstBuffer *b = gst_harness_pull (h);
    GstEvent *e;
    gboolean eos = FALSE;

    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 0);
    fail_unless (!GST_BUFFER_DURATION_IS_VALID (b));
    gst_buffer_unref (b);
    while (!eos && (e = gst_harness_pull_event (h)) != NULL) {
      eos = GST_EVENT_TYPE (e) == GST_EVENT_EOS;
      gst_event_unref (e);
    }
    fail_unless (eos);
    fail_unless (gst_harness_try_pull (h) == NULL);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
on_handoff (GstElement * sink, GstBuffer * b, GstPad * pad, gint * count)
{
  (*count)++;
}

static GstMessage *
run_pipeline (const gchar * desc, gint * count)
{
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink;
  GstMessage *msg;

  fail_unless (pipe != NULL, "%s", desc);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  if (sink != NULL) {
    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), count);
    gst_object_unref (sink);
  }
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe), 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  return msg;
}

GST_START_TEST (test_eos_after_num_buffers)
{
  gint count = 0;
  GstMessage *msg = run_pipeline ("vaesample num-buffers=17 ! "
      "video/x-raw,width=56,height=56 ! fakesink name=sink "
      "signal-handoffs=true", &count);

  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  fail_unless_equals_int (count, 17);
  gst_message_unref (msg);

  /* Live: paced by the clock (10 frames at 100 fps take about 0.1 s). */
  {
    gint64 t0 = g_get_monotonic_time ();
    count = 0;
    msg = run_pipeline ("vaesample is-live=true num-buffers=10 ! "
        "video/x-raw,width=28,height=28,framerate=100/1 ! fakesink name=sink "
        "signal-handoffs=true", &count);
    fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
    fail_unless_equals_int (count, 10);
    fail_unless (g_get_monotonic_time () - t0 >= 80000);
    gst_message_unref (msg);
  }
}

GST_END_TEST;

/* Seeking to frame n gives frame n. */
GST_START_TEST (test_seek)
{
  static const gchar *modes[] = { "random", "walk", "interpolate" };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++) {
    gchar *props = g_strdup_printf ("mode=%s transition-frames=3", modes[i]);
    GBytes *all = pull_frames (props, SMALL_CAPS, 10);
    GstHarness *h = sample_harness (props, SMALL_CAPS);
    GstBuffer *b;
    GstMapInfo map;
    GstEvent *seek;

    gst_buffer_unref (gst_harness_pull (h));
    seek = gst_event_new_seek (1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
        GST_SEEK_TYPE_SET, gst_util_uint64_scale (7, GST_SECOND, 30),
        GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE);
    fail_unless (gst_harness_push_upstream_event (h, seek));
    /* Frames queued before the seek are still in the harness: skip to the
     * first one after it (DISCONT), which must be frame 7. */
    for (gint tries = 0;; tries++) {
      fail_unless (tries < 1000, "%s: no frame after the seek", modes[i]);
      b = gst_harness_pull (h);
      fail_unless (b != NULL);
      if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DISCONT)
          && GST_BUFFER_OFFSET (b) > 0)
        break;
      gst_buffer_unref (b);
    }
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (b), 7);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b),
        gst_util_uint64_scale (7, GST_SECOND, 30));
    fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
    fail_unless (memcmp (map.data,
            (const guint8 *) g_bytes_get_data (all, NULL) + 7 * 56 * 56,
            56 * 56) == 0, "%s: frame 7 after a seek differs", modes[i]);
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
    gst_harness_teardown (h);
    g_bytes_unref (all);
    g_free (props);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_models)
{
  gchar *dir = g_dir_make_tmp ("vaesample-XXXXXX", NULL);
  gchar *corrupt = g_build_filename (dir, "corrupt.safetensors", NULL);
  gchar *dae = g_build_filename (dir, "dae.safetensors", NULL);
  gchar *ae = g_build_filename (dir, "ae.safetensors", NULL);
  const gchar *files[] = { corrupt, dae, ae };
  const gchar *reasons[] = { "", "dae", "ae" };
  VaeConfig c = vae_config_default ();
  VaeModel *m;
  VaeError err;

  fail_unless (g_file_set_contents (corrupt, "\x10\x00\x00\x00\x00\x00\x00"
          "\x00{\"a\":[1,2,3]}  \x01\x02", 26, NULL));
  c.kind = VAE_KIND_DAE;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_min = 0.05f;
  c.noise_max = 0.1f;
  m = vae_model_new (&c, 1, &err);
  fail_unless (m != NULL, "%s", err.msg);
  fail_unless_equals_int (vae_model_save (m, dae, &err), VAE_OK);
  vae_model_free (m);
  c = vae_config_default ();
  m = vae_model_new (&c, 1, &err);
  fail_unless (m != NULL, "%s", err.msg);
  fail_unless_equals_int (vae_model_save (m, ae, &err), VAE_OK);
  vae_model_free (m);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    gchar *desc = g_strdup_printf ("vaesample model=\"%s\" num-buffers=1 ! "
        "fakesink", files[i]);
    GstMessage *msg = run_pipeline (desc, NULL);
    GError *gerr = NULL;

    fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR,
        "no error for %s", files[i]);
    gst_message_parse_error (msg, &gerr, NULL);
    fail_unless (strstr (gerr->message, files[i]) != NULL, "%s",
        gerr->message);
    fail_unless (strstr (gerr->message, reasons[i]) != NULL, "%s",
        gerr->message);
    fail_unless (strlen (gerr->message) > strlen (files[i]) + 10, "%s",
        gerr->message);
    GST_INFO ("%s", gerr->message);
    g_error_free (gerr);
    gst_message_unref (msg);
    g_unlink (files[i]);
    g_free (desc);
  }
  g_rmdir (dir);
  g_free (corrupt);
  g_free (dae);
  g_free (ae);
  g_free (dir);
}

GST_END_TEST;

/* The model is read when the element starts: see model_property.h. */
GST_START_TEST (test_model_ready_only)
{
  GstHarness *h = sample_harness ("", SMALL_CAPS);

  check_model_ready_only (h, MODEL);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* n frames from h, concatenated, starting with the first whose PTS is
 * from (frames queued before a seek come first and are skipped). */
static GBytes *
pull_from (GstHarness * h, GstClockTime from, gint n)
{
  GByteArray *out = g_byte_array_new ();

  while (n > 0) {
    GstBuffer *b = gst_harness_pull (h);
    GstMapInfo map;

    fail_unless (b != NULL);
    if (out->len > 0 || GST_BUFFER_PTS (b) == from) {
      fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
      g_byte_array_append (out, map.data, map.size);
      gst_buffer_unmap (b, &map);
      n--;
    }
    gst_buffer_unref (b);
  }
  return g_byte_array_free_to_bytes (out);
}

/* seed is READY-only: set while playing, it waits for the next start, so
 * a seek back to the start replays the frames of the first seed. */
GST_START_TEST (test_seed_ready_only)
{
  GstHarness *h = sample_harness ("seed=5", SMALL_CAPS);
  GBytes *first = pull_from (h, 0, 3), *again;

  g_object_set (h->element, "seed", (guint64) 6, NULL);
  fail_unless (gst_harness_push_upstream_event (h,
          gst_event_new_seek (1.0, GST_FORMAT_TIME,
              GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 0,
              GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE)));
  again = pull_from (h, 0, 3);
  fail_unless (g_bytes_equal (first, again),
      "a seed set while playing changed the stream");
  g_bytes_unref (first);
  g_bytes_unref (again);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_property_stress)
{
  GstHarness *h = sample_harness ("mode=walk num-buffers=100", SMALL_CAPS);
  GValue t = G_VALUE_INIT, tf = G_VALUE_INIT;
  GstHarnessThread *t1, *t2;

  g_value_init (&t, G_TYPE_FLOAT);
  g_value_set_float (&t, 0.5f);
  g_value_init (&tf, G_TYPE_UINT);
  g_value_set_uint (&tf, 7);
  t1 = gst_harness_stress_property_start_full (h, "temperature", &t, 100);
  t2 = gst_harness_stress_property_start_full (h, "transition-frames", &tf,
      100);
  for (gint n = 0; n < 100; n++)
    gst_buffer_unref (gst_harness_pull (h));
  gst_harness_stress_thread_stop (t1);
  gst_harness_stress_thread_stop (t2);
  g_value_unset (&t);
  g_value_unset (&tf);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Without the shipped models one test says so, instead of every test
 * failing on its own way. */
static gboolean
models_present (void)
{
  static const gchar *names[] = { MODEL, MODEL_2D, NULL };
  const gchar *dir = g_getenv ("GST_VAE_MODEL_PATH");
  gboolean ok = TRUE;

  for (guint i = 0; names[i] != NULL; i++) {
    gchar *p = g_build_filename (dir ? dir : "models", names[i], NULL);
    ok = ok && g_file_test (p, G_FILE_TEST_IS_REGULAR);
    g_free (p);
  }
  return ok;
}

GST_START_TEST (test_models_present)
{
  static const gchar *names[] = { MODEL, MODEL_2D, NULL };

  for (guint i = 0; names[i] != NULL; i++)
    g_free (model_path (names[i]));
}

GST_END_TEST;

static Suite *
vaesample_suite (void)
{
  Suite *s = suite_create ("vaesample");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  if (!models_present ()) {
    tcase_add_test (tc, test_models_present);
    return s;
  }
  tcase_add_test (tc, test_default_caps);
  tcase_add_test (tc, test_negotiation);
  tcase_add_test (tc, test_seed);
  tcase_add_test (tc, test_modes);
  tcase_add_test (tc, test_grid_manifold);
  tcase_add_test (tc, test_timestamps);
  tcase_add_test (tc, test_eos_after_num_buffers);
  tcase_add_test (tc, test_seek);
  tcase_add_test (tc, test_bad_models);
  tcase_add_test (tc, test_model_ready_only);
  tcase_add_test (tc, test_seed_ready_only);
  tcase_add_test (tc, test_property_stress);
  return s;
}

GST_CHECK_MAIN (vaesample);
