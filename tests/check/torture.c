/* State torture for vaedenoise and vaeencode: many NULL→PLAYING→NULL
 * cycles, a resolution change every 10 frames, model and property changes
 * from other threads while playing, two pipelines sharing one model file.
 * Tiny models are written with the core API, so nothing here depends on
 * trained weights. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>

#include "vae.h"
#include "check_util.h"

static gchar *tmp_dir;
static gchar *dae4, *dae6, *vae_model;

static gchar *
write_model (const gchar * name, VaeKind kind, gint patch)
{
  VaeConfig c = vae_config_default ();

  c.kind = kind;
  c.img_w = c.img_h = patch;
  c.n_in = patch * patch;
  c.n_enc = 1;
  c.enc[0] = 16;
  c.n_latent = 4;
  if (kind == VAE_KIND_DAE) {
    c.noise = VAE_NOISE_GAUSSIAN;
    c.noise_max = 0.2f;
    c.residual = 1;
    c.noise_input = 1;
    c.norm_mean = 0.5f;
    c.norm_scale = 0.2f;
  } else {
    c.likelihood = VAE_LIK_BERNOULLI;
  }
  return check_save_model (tmp_dir, name, &c);
}

/* Fails on the first ERROR or WARNING message on the bus. */
static void
assert_no_error (GstBus * bus)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus,
              GST_MESSAGE_ERROR | GST_MESSAGE_WARNING)) != NULL) {
    GError *err = NULL;
    gchar *dbg = NULL;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &err, &dbg);
    else
      gst_message_parse_warning (msg, &err, &dbg);
    fail ("%s from %s: %s (%s)", GST_MESSAGE_TYPE_NAME (msg),
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
        dbg ? dbg : "");
  }
}

static GstElement *
launch (const gchar * fmt, ...) G_GNUC_PRINTF (1, 2);

static GstElement *
launch (const gchar * fmt, ...)
{
  va_list ap;
  gchar *desc;
  GError *err = NULL;
  GstElement *p;

  va_start (ap, fmt);
  desc = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  p = gst_parse_launch (desc, &err);
  fail_unless (p != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "");
  g_free (desc);
  return p;
}

/* 1000 NULL→PLAYING→NULL cycles.  Every other cycle waits for PLAYING
 * (frames have flowed through both elements); the rest go straight back
 * to NULL, racing the streaming thread's first buffers. */
GST_START_TEST (test_state_cycles)
{
  GstElement *p = launch ("videotestsrc pattern=snow ! "
      "video/x-raw,format=GRAY8,width=32,height=24 ! "
      "vaedenoise model=\"%s\" n-threads=2 ! vaeencode model=\"%s\" ! "
      "fakesink sync=false", dae4, vae_model);
  GstBus *bus = gst_element_get_bus (p);
  gint64 t0 = g_get_monotonic_time ();

  for (gint i = 0; i < 1000; i++) {
    GstStateChangeReturn r = gst_element_set_state (p, GST_STATE_PLAYING);
    fail_if (r == GST_STATE_CHANGE_FAILURE, "cycle %d: PLAYING failed", i);
    if (i % 2 == 0) {
      r = gst_element_get_state (p, NULL, NULL, 10 * GST_SECOND);
      fail_unless_equals_int (r, GST_STATE_CHANGE_SUCCESS);
    }
    fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    assert_no_error (bus);
  }
  GST_INFO ("1000 cycles in %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  gst_object_unref (bus);
  gst_object_unref (p);
}

GST_END_TEST;

/* Caps change every 10 frames: sizes below, at and above the patch, odd
 * sizes, planar and semi-planar formats.  Every output has the size its
 * caps say and a latent meta. */
GST_START_TEST (test_resolution_changes)
{
  static const struct { const gchar *fmt; gint w, h; } sizes[] = {
    {"GRAY8", 32, 24}, {"GRAY8", 1, 1}, {"I420", 33, 17}, {"GRAY8", 3, 2},
    {"NV12", 64, 48}, {"GRAY8", 4, 4}, {"Y444", 7, 5}, {"I420", 2, 2},
    {"GRAY8", 161, 9}, {"NV21", 18, 30}, {"GRAY8", 32, 24},
  };
  gchar *desc = g_strdup_printf ("vaedenoise model=\"%s\" n-threads=2 ! "
      "vaeencode model=\"%s\"", dae4, vae_model);
  GstHarness *h = gst_harness_new_parse (desc);
  guint n = 0;

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    GstVideoInfo info;
    gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,"
        "height=%d,framerate=30/1", sizes[s].fmt, sizes[s].w, sizes[s].h);
    gst_harness_set_src_caps_str (h, caps);
    {
      GstCaps *c = gst_caps_from_string (caps);
      fail_unless (gst_video_info_from_caps (&info, c));
      gst_caps_unref (c);
    }
    for (gint f = 0; f < 10; f++, n++) {
      GstBuffer *in = gst_buffer_new_allocate (NULL, info.size, NULL);
      GstBuffer *out;
      GstMapInfo map;

      gst_buffer_map (in, &map, GST_MAP_WRITE);
      for (gsize i = 0; i < map.size; i++)
        map.data[i] = (guint8) ((i * 2654435761u + n * 97u) >> 13);
      gst_buffer_unmap (in, &map);
      GST_BUFFER_PTS (in) = n * GST_SECOND / 30;
      out = gst_harness_push_and_pull (h, in);
      fail_unless (out != NULL, "no output for frame %u (%s %dx%d)", n,
          sizes[s].fmt, sizes[s].w, sizes[s].h);
      fail_unless_equals_int ((gint) gst_buffer_get_size (out),
          (gint) info.size);
      gst_buffer_unref (out);
    }
    g_free (caps);
  }
  gst_harness_teardown (h);
  g_free (desc);
}

GST_END_TEST;

typedef struct {
  GstElement *denoise, *encode;
  volatile gint stop;
  guint n_sets;
} Props;

static gpointer
property_thread (gpointer data)
{
  Props *p = data;
  GRand *r = g_rand_new_with_seed (5);

  while (!g_atomic_int_get (&p->stop)) {
    g_object_set (p->denoise, "strength", (gfloat) g_rand_double (r),
        "noise-level", (gfloat) g_rand_double_range (r, 0.0, 100.0), NULL);
    g_object_set (p->encode, "threshold", (gfloat) g_rand_double (r) * 50,
        "interval", g_rand_int_range (r, 0, 5), NULL);
    p->n_sets++;
    g_usleep (200);
  }
  g_rand_free (r);
  return NULL;
}

/* A model thread takes the pipeline to READY, gives vaedenoise the other
 * model (another patch size) and goes back to PLAYING, while the property
 * thread changes strength and noise level and frames flow. */
static gpointer
model_thread (gpointer data)
{
  GstElement *pipe = data;
  GstElement *dn = gst_bin_get_by_name (GST_BIN (pipe), "dn");

  for (gint i = 0; i < 20; i++) {
    fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    g_object_set (dn, "model", i % 2 ? dae4 : dae6, NULL);
    fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING)
        == GST_STATE_CHANGE_FAILURE);
    fail_unless_equals_int (gst_element_get_state (pipe, NULL, NULL,
            10 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
    g_usleep (20000);
  }
  gst_object_unref (dn);
  return NULL;
}

GST_START_TEST (test_changes_while_playing)
{
  GstElement *pipe = launch ("videotestsrc pattern=snow ! "
      "video/x-raw,format=I420,width=48,height=32 ! "
      "vaedenoise name=dn model=\"%s\" n-threads=2 ! "
      "vaeencode name=enc model=\"%s\" ! fakesink sync=false", dae4,
      vae_model);
  GstBus *bus = gst_element_get_bus (pipe);
  Props props = { 0 };
  GThread *pt, *mt;

  props.denoise = gst_bin_get_by_name (GST_BIN (pipe), "dn");
  props.encode = gst_bin_get_by_name (GST_BIN (pipe), "enc");
  fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  pt = g_thread_new ("props", property_thread, &props);
  mt = g_thread_new ("model", model_thread, pipe);
  g_thread_join (mt);
  g_atomic_int_set (&props.stop, 1);
  g_thread_join (pt);
  GST_INFO ("%u property sets", props.n_sets);
  fail_unless (props.n_sets > 0);
  /* Element messages (vae-latent, vae-anomaly) are fine; errors are not. */
  assert_no_error (bus);
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (props.denoise);
  gst_object_unref (props.encode);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

typedef struct {
  guint64 hash;
  guint n;
} Hash;

/* FNV-1a over every buffer fakesink receives, in order. */
static void
hash_buffer (GstElement * sink, GstBuffer * b, GstPad * pad, gpointer data)
{
  Hash *h = data;
  GstMapInfo map;

  gst_buffer_map (b, &map, GST_MAP_READ);
  for (gsize i = 0; i < map.size; i++)
    h->hash = (h->hash ^ map.data[i]) * 1099511628211ull;
  gst_buffer_unmap (b, &map);
  h->n++;
}

/* Two pipelines load the same model file at once and run side by side;
 * both finish and give identical output. */
GST_START_TEST (test_two_pipelines_one_model)
{
  GstElement *p[2];
  Hash hash[2] = { {1469598103934665603ull, 0}, {1469598103934665603ull, 0} };

  for (gint i = 0; i < 2; i++)
    p[i] = launch ("videotestsrc num-buffers=60 pattern=ball ! "
        "video/x-raw,format=GRAY8,width=40,height=30 ! "
        "vaenoise seed=9 sigma=20 ! vaedenoise model=\"%s\" n-threads=2 ! "
        "vaeencode model=\"%s\" ! fakesink name=sink sync=false "
        "signal-handoffs=true", dae6, vae_model);
  for (gint i = 0; i < 2; i++) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (p[i]), "sink");
    g_signal_connect (sink, "handoff", G_CALLBACK (hash_buffer), &hash[i]);
    gst_object_unref (sink);
  }
  for (gint i = 0; i < 2; i++)
    fail_if (gst_element_set_state (p[i], GST_STATE_PLAYING)
        == GST_STATE_CHANGE_FAILURE);
  for (gint i = 0; i < 2; i++) {
    GstBus *bus = gst_element_get_bus (p[i]);
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    fail_unless (m != NULL, "pipeline %d hung", i);
    fail_unless_equals_int (GST_MESSAGE_TYPE (m), GST_MESSAGE_EOS);
    gst_message_unref (m);
    gst_object_unref (bus);
  }
  fail_unless_equals_int (hash[0].n, 60);
  fail_unless_equals_int (hash[1].n, 60);
  fail_unless (hash[0].hash == hash[1].hash, "the two pipelines differ");
  for (gint i = 0; i < 2; i++) {
    fail_unless_equals_int (gst_element_set_state (p[i], GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    gst_object_unref (p[i]);
  }
}

GST_END_TEST;

static Suite *
torture_suite (void)
{
  Suite *s = suite_create ("torture");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_resolution_changes);
  tcase_add_test (tc, test_changes_while_playing);
  tcase_add_test (tc, test_two_pipelines_one_model);
  return s;
}

int
main (int argc, char **argv)
{
  int n_failed;

  gst_check_init (&argc, &argv);
  tmp_dir = g_dir_make_tmp ("vae-torture-XXXXXX", NULL);
  g_assert (tmp_dir != NULL);
  dae4 = write_model ("dae4.safetensors", VAE_KIND_DAE, 4);
  dae6 = write_model ("dae6.safetensors", VAE_KIND_DAE, 6);
  vae_model = write_model ("vae.safetensors", VAE_KIND_VAE, 8);
  n_failed = gst_check_run_suite (torture_suite (), "torture", __FILE__);
  check_rmdir (tmp_dir);
  g_free (dae4);
  g_free (dae6);
  g_free (vae_model);
  g_free (tmp_dir);
  return n_failed;
}
