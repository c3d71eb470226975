/* Bad input for every element: each malformed model file gives an ERROR
 * naming the file and the core's reason, and so, at once, does a model
 * path that names a device, a FIFO or a file too large; caps an element cannot handle are
 * refused at negotiation; a buffer smaller than its caps say gives an
 * error, never a read past its end; out-of-range property values are
 * refused by the param specs. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vae.h"
#include "check_util.h"

static const gchar *model_elements[] = { "vaedenoise", "vaeencode",
  "vaesample" };
static const gchar *all_elements[] = { "vaedenoise", "vaenoise", "vaeencode",
  "vaesample" };
static gchar *tmp_dir, *dae_model, *vae_model;

/* A one-buffer pipeline through the element with this model. */
static gchar *
model_pipeline (const gchar * element, const gchar * path)
{
  if (strcmp (element, "vaesample") == 0)
    return g_strdup_printf ("vaesample num-buffers=1 model=\"%s\" ! "
        "fakesink", path);
  return g_strdup_printf ("videotestsrc num-buffers=1 ! "
      "video/x-raw,format=GRAY8,width=16,height=16 ! %s model=\"%s\" ! "
      "fakesink", element, path);
}

/* An ERROR message's text and debug text joined. */
static gchar *
error_text (GstMessage * msg)
{
  GError *gerr = NULL;
  gchar *debug = NULL, *text;

  gst_message_parse_error (msg, &gerr, &debug);
  text = g_strdup_printf ("%s | %s", gerr->message, debug ? debug : "");
  g_error_free (gerr);
  g_free (debug);
  return text;
}

/* Sets a pipeline with the element and model to PLAYING and returns the
 * first ERROR's message and debug text joined, or NULL at EOS. */
static gchar *
model_error (const gchar * element, const gchar * path)
{
  gchar *desc = model_pipeline (element, path), *text = NULL;
  GstElement *pipe;
  GstMessage *msg;

  pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe), 20 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "%s hung", desc);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    text = error_text (msg);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  g_free (desc);
  return text;
}

/* Every broken file of the fuzz seed corpus (fuzz/make-corpus.c writes one
 * per way a model file can be bad), through every element that loads a
 * model: an ERROR that names the file and carries the core's reason. */
GST_START_TEST (test_malformed_models)
{
  gchar *dir = g_build_filename (g_getenv ("VAE_SOURCE_ROOT"), "fuzz",
      "corpus", "model", NULL);
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  gint n = 0;

  fail_unless (d != NULL, "no %s", dir);
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path;
    VaeError err;
    VaeModel *m;

    if (!g_str_has_prefix (name, "bad-"))
      continue;
    path = g_build_filename (dir, name, NULL);
    m = vae_model_load (path, &err);
    fail_unless (m == NULL, "%s loads", path);
    for (guint e = 0; e < G_N_ELEMENTS (model_elements); e++) {
      gchar *text = model_error (model_elements[e], path);
      fail_unless (text != NULL, "%s with %s: no error", model_elements[e],
          path);
      fail_unless (strstr (text, path) != NULL, "%s: \"%s\" does not name %s",
          model_elements[e], text, path);
      fail_unless (strstr (text, err.msg) != NULL,
          "%s: \"%s\" does not give the reason \"%s\"", model_elements[e],
          text, err.msg);
      g_free (text);
    }
    n++;
    g_free (path);
  }
  g_dir_close (d);
  fail_unless (n >= 10, "only %d broken files in %s", n, dir);
  g_free (dir);
}

GST_END_TEST;

/* The element with this model, set to `state`: the state change fails
 * within a few seconds (no read that never ends, no open that blocks) and
 * an ERROR names the file and says why. */
static void
refused_at_once (const gchar * element, const gchar * path, GstState state,
    const gchar * why)
{
  gchar *desc = model_pipeline (element, path), *text;
  GstElement *pipe = gst_parse_launch (desc, NULL);
  gint64 t0 = g_get_monotonic_time ();
  GstStateChangeReturn ret;
  GstMessage *msg;

  fail_unless (pipe != NULL);
  ret = gst_element_set_state (pipe, state);
  if (ret == GST_STATE_CHANGE_ASYNC)
    ret = gst_element_get_state (pipe, NULL, NULL, 5 * GST_SECOND);
  fail_unless_equals_int (ret, GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe), 5 * GST_SECOND,
      GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no ERROR", desc);
  fail_unless (g_get_monotonic_time () - t0 < 5 * G_TIME_SPAN_SECOND,
      "%s: %.1f s to fail", desc, (g_get_monotonic_time () - t0) / 1e6);
  text = error_text (msg);
  fail_unless (strstr (text, path) != NULL, "%s: \"%s\" does not name %s",
      element, text, path);
  fail_unless (strstr (text, why) != NULL, "%s: \"%s\" does not say \"%s\"",
      element, text, why);
  GST_INFO ("%s to %s: %s", desc, gst_element_state_get_name (state), text);
  g_free (text);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  g_free (desc);
}

/* Paths that name no regular file, or one far larger than a model:
 * /dev/zero (read forever before), a FIFO without a writer (its open
 * blocked) and a sparse 300 MiB file, through every element that loads a
 * model, towards PAUSED and PLAYING. */
GST_START_TEST (test_not_model_files)
{
  gchar *fifo = g_build_filename (tmp_dir, "fifo.safetensors", NULL);
  gchar *big = g_build_filename (tmp_dir, "big.safetensors", NULL);
  FILE *f;

  fail_unless (mkfifo (fifo, 0600) == 0, "mkfifo %s", fifo);
  f = fopen (big, "wb");
  fail_unless (f != NULL && ftruncate (fileno (f), (off_t) 300 << 20) == 0,
      "sparse file %s", big);
  fclose (f);
  for (guint e = 0; e < G_N_ELEMENTS (model_elements); e++) {
    for (GstState st = GST_STATE_PAUSED; st <= GST_STATE_PLAYING; st++) {
      refused_at_once (model_elements[e], "/dev/zero", st,
          "is not a regular file");
      refused_at_once (model_elements[e], fifo, st, "is not a regular file");
      refused_at_once (model_elements[e], big, st,
          "is 300 MiB, over the 256 MiB limit for a model file");
    }
  }
  g_unlink (fifo);
  g_unlink (big);
  g_free (fifo);
  g_free (big);
}

GST_END_TEST;

static gboolean
accepts (const gchar * element, const gchar * model, const gchar * caps_str)
{
  GstElement *e = gst_element_factory_make (element, NULL);
  GstPad *pad = gst_element_get_static_pad (e, "sink");
  GstCaps *caps = gst_caps_from_string (caps_str);
  gboolean ok;

  if (model)
    g_object_set (e, "model", model, NULL);
  ok = gst_pad_query_accept_caps (pad, caps);
  gst_caps_unref (caps);
  gst_object_unref (pad);
  gst_object_unref (e);
  return ok;
}

/* Caps outside the templates are refused by the sink pads, and a pipeline
 * that forces them fails with not-negotiated, not a crash. */
GST_START_TEST (test_caps_refused)
{
  static const gchar *bad_for_planar[] = {
    "video/x-raw,format=RGB16,width=16,height=16,framerate=0/1",
    "video/x-raw,format=GRAY16_LE,width=16,height=16,framerate=0/1",
    "video/x-raw,format=AYUV,width=16,height=16,framerate=0/1",
    "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved",
    "video/x-raw(memory:GLMemory),format=GRAY8,width=16,height=16",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad_for_planar); i++) {
    fail_if (accepts ("vaedenoise", dae_model, bad_for_planar[i]), "%s",
        bad_for_planar[i]);
    fail_if (accepts ("vaenoise", NULL, bad_for_planar[i]), "%s",
        bad_for_planar[i]);
  }
  fail_unless (accepts ("vaedenoise", dae_model,
          "video/x-raw,format=GRAY8,width=16,height=16,framerate=0/1"));
  /* packed RGB and 4:2:2: vaedenoise takes them, vaenoise not yet */
  fail_unless (accepts ("vaedenoise", dae_model,
          "video/x-raw,format=BGRA,width=16,height=16,framerate=0/1"));
  fail_if (accepts ("vaenoise", NULL,
          "video/x-raw,format=BGRA,width=16,height=16,framerate=0/1"));
  fail_unless (accepts ("vaedenoise", dae_model,
          "video/x-raw,format=YUY2,width=16,height=16,framerate=0/1"));
  fail_if (accepts ("vaenoise", NULL,
          "video/x-raw,format=YUY2,width=16,height=16,framerate=0/1"));
  fail_if (accepts ("vaeencode", vae_model,
          "video/x-raw,format=v210,width=16,height=16,framerate=0/1"));
  fail_if (accepts ("vaeencode", vae_model, bad_for_planar[3]));

  {
    GstElement *pipe = gst_parse_launch ("videotestsrc num-buffers=1 ! "
        "video/x-raw,format=RGB16,width=16,height=16 ! vaedenoise ! fakesink",
        NULL);
    GstMessage *msg;
    GError *gerr = NULL;

    gst_element_set_state (pipe, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe),
        20 * GST_SECOND, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    gst_message_parse_error (msg, &gerr, NULL);
    GST_INFO ("RGB16 into vaedenoise: %s", gerr->message);
    g_error_free (gerr);
    gst_message_unref (msg);
    gst_element_set_state (pipe, GST_STATE_NULL);
    gst_object_unref (pipe);
  }
}

GST_END_TEST;

/* Caps that fit the template but not the core (a plane wider than the
 * denoiser's 16384 limit) fail at set_caps with an ERROR, and no buffer
 * is processed. */
GST_START_TEST (test_caps_beyond_core_limits)
{
  gchar *desc = g_strdup_printf ("vaedenoise model=\"%s\" n-threads=1",
      dae_model);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstFlowReturn ret;

  g_free (desc);
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=20000,"
      "height=2,framerate=0/1");
  ret = gst_harness_push (h, gst_buffer_new_allocate (NULL, 40000, NULL));
  fail_unless (ret == GST_FLOW_NOT_NEGOTIATED || ret == GST_FLOW_ERROR,
      "flow %s", gst_flow_get_name (ret));
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no ERROR for a 20000-pixel-wide plane");
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A buffer smaller than its caps claim: GST_FLOW_ERROR and an ERROR
 * message; ASan (the sanitizer build) would catch any read past its end. */
static void
short_buffer (const gchar * element, const gchar * model, const gchar * fmt)
{
  gchar *desc = model ? g_strdup_printf ("%s model=\"%s\"", element, model)
      : g_strdup (element);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=64,height=48,"
      "framerate=30/1", fmt);
  GstVideoInfo info;
  GstCaps *c = gst_caps_from_string (caps);
  GstFlowReturn ret;
  GstMessage *msg;

  fail_unless (gst_video_info_from_caps (&info, c));
  gst_caps_unref (c);
  g_free (desc);
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, caps);
  /* one good frame first, so the element is fully set up */
  ret = gst_harness_push (h, gst_buffer_new_allocate (NULL, info.size, NULL));
  fail_unless_equals_int (ret, GST_FLOW_OK);
  ret = gst_harness_push (h, gst_buffer_new_allocate (NULL, info.size / 2,
          NULL));
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s %s: no ERROR for a short buffer", element,
      fmt);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_free (caps);
}

GST_START_TEST (test_short_buffers)
{
  short_buffer ("vaedenoise", dae_model, "GRAY8");
  short_buffer ("vaedenoise", dae_model, "I420");
  short_buffer ("vaenoise", NULL, "GRAY8");
  short_buffer ("vaenoise", NULL, "NV12");
  short_buffer ("vaeencode", vae_model, "GRAY8");
  short_buffer ("vaeencode", vae_model, "I420");
  short_buffer ("vaeencode", vae_model, "RGB");
}

GST_END_TEST;

/* Out-of-range values: GObject would only warn and ignore them, so check
 * the param specs themselves: every bounded numeric property refuses
 * min−1 and max+1, every enum an undefined value. */
GST_START_TEST (test_pspecs_refuse_out_of_range)
{
  gint n_checked = 0;

  for (guint e = 0; e < G_N_ELEMENTS (all_elements); e++) {
    GstElement *el = gst_element_factory_make (all_elements[e], NULL);
    guint n;
    GParamSpec **specs =
        g_object_class_list_properties (G_OBJECT_GET_CLASS (el), &n);

    fail_unless (el != NULL, "no %s", all_elements[e]);
    for (guint i = 0; i < n; i++) {
      GParamSpec *p = specs[i];
      GValue v[2] = { G_VALUE_INIT, G_VALUE_INIT };
      gint nv = 0;

      if (p->owner_type != G_OBJECT_TYPE (el) || !(p->flags & G_PARAM_WRITABLE))
        continue;
      if (G_IS_PARAM_SPEC_FLOAT (p)) {
        GParamSpecFloat *f = G_PARAM_SPEC_FLOAT (p);
        if (f->minimum > -G_MAXFLOAT) {
          g_value_init (&v[nv], G_TYPE_FLOAT);
          g_value_set_float (&v[nv++], f->minimum - 1.0f - fabsf (f->minimum));
        }
        if (f->maximum < G_MAXFLOAT) {
          g_value_init (&v[nv], G_TYPE_FLOAT);
          g_value_set_float (&v[nv++], f->maximum + 1.0f + fabsf (f->maximum));
        }
      } else if (G_IS_PARAM_SPEC_DOUBLE (p)) {
        GParamSpecDouble *f = G_PARAM_SPEC_DOUBLE (p);
        if (f->minimum > -G_MAXDOUBLE) {
          g_value_init (&v[nv], G_TYPE_DOUBLE);
          g_value_set_double (&v[nv++], f->minimum - 1.0 - fabs (f->minimum));
        }
        if (f->maximum < G_MAXDOUBLE) {
          g_value_init (&v[nv], G_TYPE_DOUBLE);
          g_value_set_double (&v[nv++], f->maximum + 1.0 + fabs (f->maximum));
        }
      } else if (G_IS_PARAM_SPEC_INT (p)) {
        GParamSpecInt *f = G_PARAM_SPEC_INT (p);
        if (f->minimum > G_MININT) {
          g_value_init (&v[nv], G_TYPE_INT);
          g_value_set_int (&v[nv++], f->minimum - 1);
        }
        if (f->maximum < G_MAXINT) {
          g_value_init (&v[nv], G_TYPE_INT);
          g_value_set_int (&v[nv++], f->maximum + 1);
        }
      } else if (G_IS_PARAM_SPEC_UINT (p)) {
        GParamSpecUInt *f = G_PARAM_SPEC_UINT (p);
        if (f->minimum > 0) {
          g_value_init (&v[nv], G_TYPE_UINT);
          g_value_set_uint (&v[nv++], f->minimum - 1);
        }
        if (f->maximum < G_MAXUINT) {
          g_value_init (&v[nv], G_TYPE_UINT);
          g_value_set_uint (&v[nv++], f->maximum + 1);
        }
      } else if (G_IS_PARAM_SPEC_ENUM (p)) {
        g_value_init (&v[nv], p->value_type);
        g_value_set_enum (&v[nv++], 12345);
      }
      for (gint k = 0; k < nv; k++) {
        gchar *s = g_strdup_value_contents (&v[k]);
        fail_unless (g_param_value_validate (p, &v[k]),
            "%s::%s accepts %s", all_elements[e], p->name, s);
        g_free (s);
        g_value_unset (&v[k]);
        n_checked++;
      }
    }
    g_free (specs);
    gst_object_unref (el);
  }
  GST_INFO ("%d out-of-range values refused", n_checked);
  fail_unless (n_checked >= 10, "only %d values checked", n_checked);
}

GST_END_TEST;

static Suite *
badinput_suite (void)
{
  Suite *s = suite_create ("badinput");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_malformed_models);
  tcase_add_test (tc, test_not_model_files);
  tcase_add_test (tc, test_caps_refused);
  tcase_add_test (tc, test_caps_beyond_core_limits);
  tcase_add_test (tc, test_short_buffers);
  tcase_add_test (tc, test_pspecs_refuse_out_of_range);
  return s;
}

int
main (int argc, char **argv)
{
  int n_failed;

  gst_check_init (&argc, &argv);
  tmp_dir = g_dir_make_tmp ("vae-badinput-XXXXXX", NULL);
  g_assert (tmp_dir != NULL);
  dae_model = check_tiny_model (tmp_dir, "dae.safetensors", VAE_KIND_DAE);
  vae_model = check_tiny_model (tmp_dir, "vae.safetensors", VAE_KIND_VAE);
  n_failed = gst_check_run_suite (badinput_suite (), "badinput", __FILE__);
  check_rmdir (tmp_dir);
  g_free (dae_model);
  g_free (vae_model);
  g_free (tmp_dir);
  return n_failed;
}
