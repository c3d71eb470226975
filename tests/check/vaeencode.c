/* gst-vae: vaeencode element tests.
 *
 * Uses the shipped models (GST_VAE_MODEL_PATH) and MNIST's test digits from
 * $VAE_SHARED_DATA/mnist (the tests that need them skip without them).
 */
#include <string.h>
#include <math.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "vae.h"
#include "vae_data.h"
#include "gstvaemeta.h"
#include "model_property.h"

#define MODEL "mnist-vae.safetensors"
#define W 28
#define H 28
#define GRAY_CAPS "video/x-raw,format=GRAY8,width=28,height=28,framerate=30/1"

static VaeImages digits;
static gboolean have_digits;

static gchar *
model_path (const gchar * name)
{
  const gchar *dir = g_getenv ("GST_VAE_MODEL_PATH");
  gchar *p = g_build_filename (dir ? dir : "models", name, NULL);

  fail_unless (g_file_test (p, G_FILE_TEST_IS_REGULAR),
      "model %s is missing (GST_VAE_MODEL_PATH)", p);
  return p;
}

static VaeModel *
load_model (const gchar * name)
{
  gchar *p = model_path (name);
  VaeError err;
  VaeModel *m = vae_model_load (p, &err);

  fail_unless (m != NULL, "%s: %s", p, err.msg);
  g_free (p);
  return m;
}

static void
load_digits (void)
{
  const gchar *dir = g_getenv ("VAE_SHARED_DATA");
  gchar *p;
  VaeError err;

  if (have_digits || dir == NULL)
    return;
  p = g_build_filename (dir, "mnist", "t10k-images-idx3-ubyte.gz", NULL);
  if (g_file_test (p, G_FILE_TEST_IS_REGULAR)
      && vae_images_load_idx (p, &digits, &err) == VAE_OK)
    have_digits = TRUE;
  g_free (p);
}

#define SKIP_WITHOUT_DIGITS() G_STMT_START {                              \
  load_digits ();                                                        \
  if (!have_digits) {                                                    \
    g_print ("SKIP %s: MNIST test digits not found under "               \
        "$VAE_SHARED_DATA/mnist\n", __func__);                           \
    return;                                                              \
  }                                                                      \
} G_STMT_END

static GstBuffer *
gray_buffer (const guint8 * pixels, gint n)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, W * H, NULL);

  gst_buffer_fill (b, 0, pixels, W * H);
  GST_BUFFER_PTS (b) = gst_util_uint64_scale (n, GST_SECOND, 30);
  GST_BUFFER_DURATION (b) = gst_util_uint64_scale (n + 1, GST_SECOND, 30)
      - GST_BUFFER_PTS (b);
  return b;
}

/* What the core says about a 28x28 8-bit picture. */
static void
core_encode (VaeModel * m, const guint8 * pixels, gint stride, float *mu,
    float *logvar, float *rec, float *score)
{
  const VaeConfig *c = vae_model_config (m);
  VaeWorkspace *ws = vae_workspace_new (m, 1, 0, NULL);
  float x[W * H];
  VaeRng r;

  for (gint y = 0; y < H; y++)
    for (gint i = 0; i < W; i++)
      x[y * W + i] = pixels[y * stride + i] / 255.0f;
  fail_unless_equals_int (vae_encode (m, ws, x, 1, mu,
          c->kind == VAE_KIND_VAE ? logvar : NULL), VAE_OK);
  vae_rng_seed (&r, 0);         /* the element's default seed */
  fail_unless_equals_int (vae_score (m, ws, x, 1, &r, rec, score), VAE_OK);
  vae_workspace_free (ws);
}

static void
check_meta (GstBuffer * out, VaeModel * m, const guint8 * pixels, gint stride,
    guint64 frame)
{
  const VaeConfig *c = vae_model_config (m);
  GstVaeLatentMeta *meta = gst_buffer_get_vae_latent_meta (out);
  float mu[256], logvar[256], rec, score;

  fail_unless (meta != NULL, "frame %" G_GUINT64_FORMAT " has no meta", frame);
  fail_unless (c->n_latent <= 256);
  fail_unless_equals_int (meta->n_latent, c->n_latent);
  fail_unless_equals_uint64 (meta->frame, frame);
  fail_unless (meta->model != NULL && g_str_has_prefix (meta->model,
          MODEL ":"), "model id %s", meta->model);
  fail_unless_equals_int (strlen (meta->model), strlen (MODEL ":") + 16);
  core_encode (m, pixels, stride, mu, logvar, &rec, &score);
  /* Same code, same input: the same bits. */
  for (gint i = 0; i < c->n_latent; i++) {
    fail_unless_equals_float (meta->mu[i], mu[i]);
    fail_unless_equals_float (meta->logvar[i], logvar[i]);
  }
  fail_unless_equals_float (meta->score, score);
  fail_unless_equals_float (meta->reconstruction_error, rec);
}

/* A harness around vaeencode with "name=value ..." properties. */
static GstHarness *
encode_harness (const gchar * props, const gchar * caps)
{
  GstHarness *h = gst_harness_new ("vaeencode");
  gchar **kv = g_strsplit (props, " ", -1);

  for (gchar ** p = kv; *p != NULL; p++) {
    gchar **pair = g_strsplit (*p, "=", 2);
    if (pair[0] != NULL && pair[1] != NULL)
      gst_util_set_object_arg (G_OBJECT (h->element), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);
  gst_harness_set_src_caps_str (h, caps);
  return h;
}

GST_START_TEST (test_meta_matches_core)
{
  VaeModel *m;
  GstHarness *h;

  SKIP_WITHOUT_DIGITS ();
  m = load_model (MODEL);
  h = encode_harness ("", GRAY_CAPS);
  for (gint n = 0; n < 50; n++) {
    const guint8 *px = digits.pixels + (gsize) n * W * H;
    GstBuffer *out = gst_harness_push_and_pull (h, gray_buffer (px, n));
    GstMapInfo map;

    fail_unless (out != NULL);
    check_meta (out, m, px, W, n);
    /* The picture passes untouched. */
    fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
    fail_unless_equals_int (map.size, W * H);
    fail_unless (memcmp (map.data, px, W * H) == 0);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  vae_model_free (m);
}

GST_END_TEST;

/* A larger colour frame is converted and scaled to the model by
 * GstVideoConverter; the meta equals the core's answer on that picture. */
GST_START_TEST (test_meta_scaled_formats)
{
  static const gchar *formats[] = { "I420", "NV12", "RGB", "BGRx", "GRAY8" };
  VaeModel *m;

  SKIP_WITHOUT_DIGITS ();
  m = load_model (MODEL);
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstVideoInfo gray, in, small;
    GstVideoConverter *up, *down;
    GstBuffer *gbuf, *inbuf, *sbuf, *out;
    GstVideoFrame gf, inf, sf;
    gchar *caps;
    GstHarness *h;
    GstMapInfo a, b;

    /* The test picture: a digit blown up to 84x56 in the format. */
    gst_video_info_set_format (&gray, GST_VIDEO_FORMAT_GRAY8, W, H);
    gst_video_info_set_format (&in, gst_video_format_from_string (formats[f]),
        84, 56);
    GST_VIDEO_INFO_FPS_N (&gray) = GST_VIDEO_INFO_FPS_N (&in) = 30;
    gbuf = gray_buffer (digits.pixels + 7 * W * H, 0);
    inbuf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&in), NULL);
    up = gst_video_converter_new (&gray, &in, NULL);
    fail_unless (gst_video_frame_map (&gf, &gray, gbuf, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&inf, &in, inbuf, GST_MAP_WRITE));
    gst_video_converter_frame (up, &gf, &inf);
    gst_video_frame_unmap (&inf);
    gst_video_frame_unmap (&gf);
    gst_video_converter_free (up);
    GST_BUFFER_PTS (inbuf) = 0;

    /* What the element should see: the picture scaled to 28x28 gray by
     * GstVideoConverter; for planar YUV, from the luma plane alone. */
    gst_video_info_set_format (&small, GST_VIDEO_FORMAT_GRAY8, W, H);
    GST_VIDEO_INFO_FPS_N (&small) = 30;
    sbuf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&small), NULL);
    fail_unless (gst_video_frame_map (&inf, &in, inbuf, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&sf, &small, sbuf, GST_MAP_WRITE));
    if (GST_VIDEO_INFO_IS_YUV (&in) && GST_VIDEO_INFO_N_PLANES (&in) > 1) {
      GstVideoInfo luma;
      GstVideoFrame lf = inf;

      gst_video_info_set_format (&luma, GST_VIDEO_FORMAT_GRAY8, 84, 56);
      luma.colorimetry.range = in.colorimetry.range;
      GST_VIDEO_INFO_FPS_N (&luma) = 30;
      lf.info = luma;
      GST_VIDEO_INFO_PLANE_STRIDE (&lf.info, 0) =
          GST_VIDEO_FRAME_PLANE_STRIDE (&inf, 0);
      down = gst_video_converter_new (&luma, &small,
          gst_structure_new ("GstVideoConverter",
              GST_VIDEO_CONVERTER_OPT_DITHER_METHOD,
              GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE, NULL));
      gst_video_converter_frame (down, &lf, &sf);
    } else {
      down = gst_video_converter_new (&in, &small,
          gst_structure_new ("GstVideoConverter",
              GST_VIDEO_CONVERTER_OPT_DITHER_METHOD,
              GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE, NULL));
      gst_video_converter_frame (down, &inf, &sf);
    }
    gst_video_frame_unmap (&inf);

    caps = g_strdup_printf ("video/x-raw,format=%s,width=84,height=56,"
        "framerate=30/1", formats[f]);
    h = encode_harness ("", caps);
    out = gst_harness_push_and_pull (h, gst_buffer_ref (inbuf));
    check_meta (out, m, GST_VIDEO_FRAME_PLANE_DATA (&sf, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&sf, 0), 0);
    gst_video_frame_unmap (&sf);

    fail_unless (gst_buffer_map (out, &a, GST_MAP_READ));
    fail_unless (gst_buffer_map (inbuf, &b, GST_MAP_READ));
    fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) == 0,
        "%s frame modified", formats[f]);
    gst_buffer_unmap (out, &a);
    gst_buffer_unmap (inbuf, &b);

    gst_buffer_unref (out);
    gst_buffer_unref (inbuf);
    gst_buffer_unref (sbuf);
    gst_buffer_unref (gbuf);
    gst_video_converter_free (down);
    gst_harness_teardown (h);
    g_free (caps);
  }
  vae_model_free (m);
}

GST_END_TEST;

/* A copy of the buffer carries its own copy of the meta. */
GST_START_TEST (test_meta_copy)
{
  guint8 px[W * H];
  GstHarness *h = encode_harness ("", GRAY_CAPS);
  GstBuffer *out, *copy;
  GstVaeLatentMeta *a, *b;

  for (gint i = 0; i < W * H; i++)
    px[i] = (i * 7) & 255;
  out = gst_harness_push_and_pull (h, gray_buffer (px, 0));
  copy = gst_buffer_copy (out);
  a = gst_buffer_get_vae_latent_meta (out);
  b = gst_buffer_get_vae_latent_meta (copy);
  fail_unless (a != NULL && b != NULL && a != b);
  fail_unless (a->mu != b->mu);
  fail_unless_equals_int (a->n_latent, b->n_latent);
  fail_unless (memcmp (a->mu, b->mu, a->n_latent * sizeof (float)) == 0);
  fail_unless (memcmp (a->logvar, b->logvar, a->n_latent * sizeof (float))
      == 0);
  fail_unless_equals_float (a->score, b->score);
  fail_unless_equals_float (a->reconstruction_error, b->reconstruction_error);
  fail_unless (a->model == b->model);
  gst_buffer_unref (copy);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
check_array (const GstStructure * s, const gchar * field, guint n)
{
  const GValue *v = gst_structure_get_value (s, field);

  fail_unless (v != NULL && GST_VALUE_HOLDS_ARRAY (v), "no %s", field);
  fail_unless_equals_int (gst_value_array_get_size (v), n);
  for (guint i = 0; i < n; i++) {
    const GValue *x = gst_value_array_get_value (v, i);
    fail_unless (G_VALUE_HOLDS_FLOAT (x));
    fail_unless (isfinite (g_value_get_float (x)));
  }
}

static void
check_message (GstMessage * msg, const gchar * name, guint64 frame, guint k,
    const GstVaeLatentMeta * meta)
{
  const GstStructure *s = gst_message_get_structure (msg);
  GstClockTime ts = gst_util_uint64_scale (frame, GST_SECOND, 30), t;
  guint64 f;
  gdouble score, rec;

  fail_unless (gst_structure_has_name (s, name), "got %" GST_PTR_FORMAT, s);
  fail_unless (gst_structure_get_uint64 (s, "timestamp", &t));
  fail_unless_equals_uint64 (t, ts);
  fail_unless (gst_structure_get_uint64 (s, "stream-time", &t));
  fail_unless_equals_uint64 (t, ts);
  fail_unless (gst_structure_get_uint64 (s, "running-time", &t));
  fail_unless_equals_uint64 (t, ts);
  fail_unless (gst_structure_get_uint64 (s, "duration", &t));
  fail_unless (t == 33333333 || t == 33333334);
  fail_unless (gst_structure_get_uint64 (s, "frame", &f));
  fail_unless_equals_uint64 (f, frame);
  fail_unless (g_str_has_prefix (gst_structure_get_string (s, "model"),
          MODEL ":"));
  fail_unless (gst_structure_get_double (s, "score", &score));
  fail_unless (gst_structure_get_double (s, "reconstruction-error", &rec));
  fail_unless (isfinite (score) && isfinite (rec) && rec >= 0.0);
  check_array (s, "mu", k);
  check_array (s, "logvar", k);
  if (meta != NULL) {
    fail_unless_equals_float ((float) score, meta->score);
    fail_unless_equals_float (g_value_get_float (gst_value_array_get_value
            (gst_structure_get_value (s, "mu"), k - 1)), meta->mu[k - 1]);
  }
}

GST_START_TEST (test_messages_interval)
{
  VaeModel *m = load_model (MODEL);
  guint k = vae_model_config (m)->n_latent;
  GstHarness *h = encode_harness ("interval=3", GRAY_CAPS);
  GstBus *bus = gst_bus_new ();
  guint8 px[W * H];
  GstMessage *msg;

  gst_element_set_bus (h->element, bus);
  memset (px, 0, sizeof px);
  for (gint n = 0; n < 10; n++) {
    GstBuffer *out;
    GstVaeLatentMeta *meta;

    px[n * 30 + 200] = 255;
    out = gst_harness_push_and_pull (h, gray_buffer (px, n));
    meta = gst_buffer_get_vae_latent_meta (out);
    fail_unless (meta != NULL);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
    if (n % 3 == 0) {
      fail_unless (msg != NULL, "no message for frame %d", n);
      check_message (msg, "vae-latent", n, k, meta);
      gst_message_unref (msg);
    } else {
      fail_unless (msg == NULL, "message for frame %d", n);
    }
    gst_buffer_unref (out);
  }

  /* interval=0: none */
  g_object_set (h->element, "interval", 0, NULL);
  gst_buffer_unref (gst_harness_push_and_pull (h, gray_buffer (px, 10)));
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  vae_model_free (m);
}

GST_END_TEST;

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

/* Scores of frames pushed through vaeencode threshold=t: how many posted
 * vae-anomaly. */
static guint
count_anomalies (GstHarness * h, GstBus * bus, GstBuffer * frame, gint n)
{
  guint count = 0;
  GstMessage *msg;

  gst_buffer_unref (gst_harness_push_and_pull (h, frame));
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    if (gst_structure_has_name (gst_message_get_structure (msg),
            "vae-anomaly")) {
      check_message (msg, "vae-anomaly", n, 20, NULL);
      count++;
    }
    gst_message_unref (msg);
  }
  return count;
}

GST_START_TEST (test_anomaly)
{
  const gint n_cal = 1000, n_in = 200;
  VaeModel *m;
  float *scores, mu[256], lv[256], rec, threshold;
  GstHarness *h;
  GstBus *bus;
  guint flagged = 0, n = 0;
  guint8 px[W * H];
  gchar *props, *photo_path;
  VaeImage photo;
  VaeError err;
  VaeRng r;

  SKIP_WITHOUT_DIGITS ();
  m = load_model (MODEL);
  fail_unless_equals_int (vae_model_config (m)->n_latent, 20);

  /* Threshold: the 99.5th percentile of the scores of 1000 test digits. */
  scores = g_new (float, n_cal);
  for (gint i = 0; i < n_cal; i++)
    core_encode (m, digits.pixels + (gsize) i * W * H, W, mu, lv, &rec,
        &scores[i]);
  qsort (scores, n_cal, sizeof (float), cmp_float);
  threshold = scores[n_cal * 995 / 1000];
  GST_INFO ("digit scores: median %.1f, max %.1f; threshold %.1f",
      scores[n_cal / 2], scores[n_cal - 1], threshold);
  g_free (scores);

  props = g_strdup_printf ("threshold=%f", threshold);
  h = encode_harness (props, GRAY_CAPS);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);

  /* Other digits: (almost) none flagged. */
  for (gint i = n_cal; i < n_cal + n_in; i++, n++)
    flagged += count_anomalies (h, bus,
        gray_buffer (digits.pixels + (gsize) i * W * H, n), n);
  fail_unless (flagged <= 4, "%u of %d unseen digits flagged", flagged, n_in);

  /* Uniform noise. */
  vae_rng_seed (&r, 3);
  for (gint i = 0; i < W * H; i++)
    px[i] = vae_rng_below (&r, 256);
  fail_unless_equals_int (count_anomalies (h, bus, gray_buffer (px, n), n),
      1);
  n++;
  /* A flat mid-gray frame. */
  memset (px, 128, sizeof px);
  fail_unless_equals_int (count_anomalies (h, bus, gray_buffer (px, n), n),
      1);
  n++;
  /* A flat white frame. */
  memset (px, 255, sizeof px);
  fail_unless_equals_int (count_anomalies (h, bus, gray_buffer (px, n), n),
      1);
  n++;
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);

  /* A natural photo at its own size, scaled by the element. */
  photo_path = g_build_filename (g_getenv ("VAE_SHARED_DATA"), "denoise",
      "set12", "01.png", NULL);
  if (vae_image_load (photo_path, &photo, &err) == VAE_OK) {
    gchar *caps = g_strdup_printf ("video/x-raw,format=GRAY8,width=%d,"
        "height=%d,framerate=30/1", photo.w, photo.h);
    GstBuffer *b;
    GstVideoInfo info;
    GstVideoFrame f;

    gst_video_info_set_format (&info, GST_VIDEO_FORMAT_GRAY8, photo.w,
        photo.h);
    b = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
    fail_unless (gst_video_frame_map (&f, &info, b, GST_MAP_WRITE));
    for (gint y = 0; y < photo.h; y++)
      memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0),
          photo.pixels + (gsize) y * photo.w, photo.w);
    gst_video_frame_unmap (&f);
    GST_BUFFER_PTS (b) = 0;
    GST_BUFFER_DURATION (b) = gst_util_uint64_scale (1, GST_SECOND, 30);

    h = encode_harness (props, caps);
    gst_element_set_bus (h->element, bus);
    fail_unless_equals_int (count_anomalies (h, bus, b, 0), 1);
    gst_element_set_bus (h->element, NULL);
    gst_harness_teardown (h);
    vae_image_clear (&photo);
    g_free (caps);
  } else {
    g_print ("SKIP photo part of %s: %s\n", __func__, err.msg);
  }
  g_free (photo_path);
  g_free (props);
  gst_object_unref (bus);
  vae_model_free (m);
}

GST_END_TEST;

/* Starts "videotestsrc ! vaeencode model=<path> ! fakesink" and returns the
 * ERROR's text. */
static gchar *
start_error (const gchar * element, const gchar * path)
{
  gchar *desc, *text;
  GstElement *pipe;
  GstMessage *msg;
  GError *gerr = NULL;
  gchar *debug = NULL;

  desc = g_strdup_printf ("videotestsrc num-buffers=1 ! %s model=\"%s\" ! "
      "fakesink", element, path);
  pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (pipe), GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no ERROR for %s", path);
  gst_message_parse_error (msg, &gerr, &debug);
  text = g_strdup (gerr->message);
  g_error_free (gerr);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  g_free (desc);
  return text;
}

GST_START_TEST (test_bad_models)
{
  gchar *dir = g_dir_make_tmp ("vaeencode-XXXXXX", NULL);
  gchar *corrupt = g_build_filename (dir, "corrupt.safetensors", NULL);
  gchar *short_file = g_build_filename (dir, "short.safetensors", NULL);
  gchar *dae = g_build_filename (dir, "dae.safetensors", NULL);
  gchar *missing = g_build_filename (dir, "missing.safetensors", NULL);
  gchar *msg;
  VaeConfig c = vae_config_default ();
  VaeModel *m;
  VaeError err;

  fail_unless (g_file_set_contents (corrupt, "\xff\x00\x00\x00\x00\x00\x00"
          "\x00{not json", 17, NULL));
  fail_unless (g_file_set_contents (short_file, "abc", 3, NULL));
  c.kind = VAE_KIND_DAE;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_min = 0.05f;
  c.noise_max = 0.1f;
  m = vae_model_new (&c, 1, &err);
  fail_unless (m != NULL, "%s", err.msg);
  fail_unless_equals_int (vae_model_save (m, dae, &err), VAE_OK);
  vae_model_free (m);

  msg = start_error ("vaeencode", corrupt);
  fail_unless (strstr (msg, corrupt) != NULL, "%s", msg);
  fail_unless (strlen (msg) > strlen (corrupt) + 20, "no reason: %s", msg);
  g_free (msg);
  msg = start_error ("vaeencode", short_file);
  fail_unless (strstr (msg, short_file) != NULL, "%s", msg);
  g_free (msg);
  msg = start_error ("vaeencode", missing);
  fail_unless (strstr (msg, missing) != NULL, "%s", msg);
  g_free (msg);
  msg = start_error ("vaeencode", dae);
  fail_unless (strstr (msg, dae) != NULL && strstr (msg, "dae") != NULL,
      "%s", msg);
  g_free (msg);

  g_unlink (corrupt);
  g_unlink (short_file);
  g_unlink (dae);
  g_rmdir (dir);
  g_free (corrupt);
  g_free (short_file);
  g_free (dae);
  g_free (missing);
  g_free (dir);
}

GST_END_TEST;

/* The model is read when the element starts: see model_property.h. */
GST_START_TEST (test_model_ready_only)
{
  GstHarness *h = encode_harness ("", GRAY_CAPS);

  check_model_ready_only (h, MODEL);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Properties changed from another thread while frames flow. */
GST_START_TEST (test_property_stress)
{
  GstHarness *h = encode_harness ("", GRAY_CAPS);
  GValue interval = G_VALUE_INIT, threshold = G_VALUE_INIT;
  GstHarnessThread *t1, *t2;
  GstBus *bus = gst_bus_new ();
  guint8 px[W * H];
  GstMessage *msg;

  gst_element_set_bus (h->element, bus);
  g_value_init (&interval, G_TYPE_UINT);
  g_value_set_uint (&interval, 2);
  g_value_init (&threshold, G_TYPE_FLOAT);
  g_value_set_float (&threshold, 1.0f);
  t1 = gst_harness_stress_property_start_full (h, "interval", &interval, 100);
  t2 = gst_harness_stress_property_start_full (h, "threshold", &threshold,
      100);
  memset (px, 40, sizeof px);
  for (gint n = 0; n < 200; n++) {
    GstBuffer *out = gst_harness_push_and_pull (h, gray_buffer (px, n));
    fail_unless (gst_buffer_get_vae_latent_meta (out) != NULL);
    gst_buffer_unref (out);
    while ((msg = gst_bus_pop (bus)) != NULL)
      gst_message_unref (msg);
  }
  gst_harness_stress_thread_stop (t1);
  gst_harness_stress_thread_stop (t2);
  g_value_unset (&interval);
  g_value_unset (&threshold);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Without the shipped models one test says so, instead of every test
 * failing on its own way. */
static gboolean
models_present (void)
{
  static const gchar *names[] = { MODEL, NULL };
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
  static const gchar *names[] = { MODEL, NULL };

  for (guint i = 0; names[i] != NULL; i++)
    g_free (model_path (names[i]));
}

GST_END_TEST;

static Suite *
vaeencode_suite (void)
{
  Suite *s = suite_create ("vaeencode");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  if (!models_present ()) {
    tcase_add_test (tc, test_models_present);
    return s;
  }
  tcase_add_test (tc, test_meta_matches_core);
  tcase_add_test (tc, test_meta_scaled_formats);
  tcase_add_test (tc, test_meta_copy);
  tcase_add_test (tc, test_messages_interval);
  tcase_add_test (tc, test_anomaly);
  tcase_add_test (tc, test_bad_models);
  tcase_add_test (tc, test_model_ready_only);
  tcase_add_test (tc, test_property_stress);
  return s;
}

GST_CHECK_MAIN (vaeencode);
