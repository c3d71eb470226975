/* Unit tests for vaenoise. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "vae.h"

static const gchar *formats[] = {
  "GRAY8", "I420", "YV12", "NV12", "NV21", "Y42B", "Y444"
};

/* props: "name=value name=value" */
static GstHarness *
new_harness (const gchar * props)
{
  GstElement *e = gst_element_factory_make ("vaenoise", NULL);
  GstHarness *h;
  gchar **kv = g_strsplit (props ? props : "", " ", -1);

  fail_unless (e != NULL, "vaenoise not found (GST_PLUGIN_PATH?)");
  for (gchar ** p = kv; *p != NULL; p++) {
    gchar **pair = g_strsplit (*p, "=", 2);
    if (pair[0] && pair[1])
      gst_util_set_object_arg (G_OBJECT (e), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);
  /* the harness takes its own reference */
  gst_object_ref_sink (e);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

static void
set_caps (GstHarness * h, GstVideoInfo * info, const gchar * fmt, gint w,
    gint hh)
{
  gst_video_info_set_format (info, gst_video_format_from_string (fmt), w, hh);
  info->fps_n = 30;
  info->fps_d = 1;
  gst_harness_set_src_caps (h, gst_video_info_to_caps (info));
}

static gint
plane_width (const GstVideoInfo * info, guint p, gint * height)
{
  gint comp[GST_VIDEO_MAX_COMPONENTS];

  gst_video_format_info_component (info->finfo, p, comp);
  *height = GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
  return GST_VIDEO_INFO_COMP_WIDTH (info, comp[0])
      * GST_VIDEO_INFO_COMP_PSTRIDE (info, comp[0]);
}

/* Every plane filled with one value; with pad > 0 the rows are padded,
 * planes sit at odd offsets (a GstVideoMeta says where) and the padding
 * holds 0xAA. */
static GstBuffer *
make_flat (const GstVideoInfo * info, guint8 value, gint pad,
    GstVideoInfo * out_layout)
{
  GstVideoInfo pi = *info;
  GstBuffer *buf;
  GstMapInfo map;
  GstVideoFrame f;

  if (pad > 0) {
    gsize off = 32 + 1;
    for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
      gint h;
      plane_width (info, p, &h);
      pi.stride[p] = info->stride[p] + pad;
      pi.offset[p] = off;
      off += (gsize) pi.stride[p] * h + 7;
    }
    pi.size = off;
  }
  buf = gst_buffer_new_allocate (NULL, pi.size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 0xAA, map.size);
  gst_buffer_unmap (buf, &map);
  if (pad > 0)
    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info),
        pi.offset, pi.stride);
  fail_unless (gst_video_frame_map (&f, &pi, buf, GST_MAP_WRITE));
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&f); p++) {
    gint h, w = plane_width (info, p, &h);
    for (gint y = 0; y < h; y++)
      memset ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, p) +
          (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, p), value, w);
  }
  gst_video_frame_unmap (&f);
  if (out_layout)
    *out_layout = pi;
  return buf;
}

typedef struct
{
  gdouble mean, sd;
  gint64 n, n_changed, n_zero, n_max;
} PlaneStats;

static PlaneStats
plane_stats (GstBuffer * buf, const GstVideoInfo * info, guint p,
    guint8 orig)
{
  PlaneStats s = { 0 };
  GstVideoFrame f;
  gdouble sum = 0, sum2 = 0;
  gint h, w = plane_width (info, p, &h);

  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  for (gint y = 0; y < h; y++) {
    const guint8 *r = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, p)
        + (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, p);
    for (gint x = 0; x < w; x++) {
      gdouble d = (gdouble) r[x] - orig;
      sum += d;
      sum2 += d * d;
      s.n_changed += r[x] != orig;
      s.n_zero += r[x] == 0;
      s.n_max += r[x] == 255;
    }
  }
  gst_video_frame_unmap (&f);
  s.n = (gint64) w * h;
  s.mean = sum / s.n;
  s.sd = sqrt (sum2 / s.n - s.mean * s.mean);
  return s;
}

GST_START_TEST (test_formats_and_sizes)
{
  static const gint sizes[][2] = {
    {1, 1}, {3, 5}, {641, 479}, {1920, 1080}
  };

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (gint all = 0; all < 2; all++) {
      GstHarness *h = new_harness (all ? "planes=all" : "planes=luma");
      for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
        GstVideoInfo info;
        GstBuffer *out;

        /* the large size once per format is enough */
        if (sizes[s][0] > 1000 && all)
          continue;
        set_caps (h, &info, formats[f], sizes[s][0], sizes[s][1]);
        out = gst_harness_push_and_pull (h, make_flat (&info, 128, 0, NULL));
        fail_unless (out != NULL);
        fail_unless_equals_int (gst_buffer_get_size (out), info.size);
        for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
          PlaneStats st = plane_stats (out, &info, p, 128);
          gboolean noisy = p == 0 || all;
          if (!noisy) {
            fail_unless_equals_int (st.n_changed, 0);
          } else if (st.n > 1000) {
            /* P(|round(25 z)| < 0.5) is about 1.6 % */
            fail_unless (st.n_changed > st.n * 0.95,
                "%s %dx%d plane %u: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                " changed", formats[f], sizes[s][0], sizes[s][1], p,
                st.n_changed, st.n);
          }
        }
        gst_buffer_unref (out);
      }
      gst_harness_teardown (h);
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_gaussian_stats)
{
  static const gfloat sigmas[] = { 5.0f, 25.0f, 50.0f };

  for (guint i = 0; i < G_N_ELEMENTS (sigmas); i++) {
    gchar *props = g_strdup_printf ("sigma=%g seed=%u", sigmas[i], i);
    GstHarness *h = new_harness (props);
    GstVideoInfo info;
    GstBuffer *out;
    PlaneStats st;

    set_caps (h, &info, "GRAY8", 320, 240);
    out = gst_harness_push_and_pull (h, make_flat (&info, 128, 0, NULL));
    st = plane_stats (out, &info, 0, 128);
    /* 76800 samples: the sd's standard error is sigma/392 */
    GST_INFO ("sigma %g: mean %f sd %f", sigmas[i], st.mean, st.sd);
    fail_unless (fabs (st.mean) < 0.05 * sigmas[i] + 0.1, "mean %f", st.mean);
    /* rounding adds 1/12 to the variance */
    fail_unless (fabs (st.sd - sqrt (sigmas[i] * sigmas[i] + 1.0 / 12))
        < 0.02 * sigmas[i], "sigma %g gave sd %f", sigmas[i], st.sd);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
    g_free (props);
  }
}

GST_END_TEST;

/* planes=rgb: RGB noise of sigma per channel as it shows in I420 (Y
 * 0.574 sigma, Cb 0.547 sigma and Cr 0.577 sigma at full resolution, 4:2:0
 * chroma the mean of four pixels: half that), in NV12 and Y444 alike; the
 * core's gains are the reference. */
GST_START_TEST (test_rgb_noise)
{
  static const gchar *fmts[] = { "I420", "NV21", "Y444" };
  const gfloat sigma = 20.0f;
  gfloat g[3];

  vae_noise_gains (0, 0, g);
  for (guint f = 0; f < G_N_ELEMENTS (fmts); f++) {
    GstHarness *h = new_harness ("planes=rgb sigma=20 seed=3");
    GstVideoInfo info;
    GstBuffer *out;
    gboolean sub = strcmp (fmts[f], "Y444") != 0;

    set_caps (h, &info, fmts[f], 320, 240);
    out = gst_harness_push_and_pull (h, make_flat (&info, 128, 0, NULL));
    for (guint c = 0; c < 3; c++) {
      gdouble want = sigma * g[c] / (c > 0 && sub ? 2.0 : 1.0);
      gdouble sd;
      if (strcmp (fmts[f], "NV21") == 0 && c > 0) {
        /* interleaved V U: the plane holds both, of nearly equal sd */
        sd = plane_stats (out, &info, 1, 128).sd;
        want = sigma * (g[1] + g[2]) / 4.0;
      } else {
        sd = plane_stats (out, &info, c, 128).sd;
      }
      GST_INFO ("%s component %u: sd %f, want %f", fmts[f], c, sd, want);
      /* rounding adds 1/12 to the variance */
      fail_unless (fabs (sd - sqrt (want * want + 1.0 / 12)) < 0.04 * want,
          "%s component %u: sd %f, want %f", fmts[f], c, sd, want);
    }
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_salt_and_pepper_and_masking)
{
  GstHarness *h = new_harness ("type=salt-and-pepper probability=0.2");
  GstVideoInfo info;
  GstBuffer *out;
  PlaneStats st;

  set_caps (h, &info, "GRAY8", 320, 240);
  out = gst_harness_push_and_pull (h, make_flat (&info, 100, 0, NULL));
  st = plane_stats (out, &info, 0, 100);
  GST_INFO ("s&p: %f corrupted", (gdouble) st.n_changed / st.n);
  fail_unless (fabs ((gdouble) st.n_changed / st.n - 0.2) < 0.01);
  fail_unless_equals_int (st.n_changed, st.n_zero + st.n_max);
  fail_unless (fabs ((gdouble) st.n_zero / st.n - 0.1) < 0.01);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  h = new_harness ("type=masking probability=0.3 planes=all");
  set_caps (h, &info, "I420", 320, 240);
  out = gst_harness_push_and_pull (h, make_flat (&info, 100, 0, NULL));
  for (guint p = 0; p < 3; p++) {
    st = plane_stats (out, &info, p, 100);
    fail_unless_equals_int (st.n_changed, st.n_zero);
    fail_unless (fabs ((gdouble) st.n_zero / st.n - 0.3) < 0.02,
        "plane %u: %f masked", p, (gdouble) st.n_zero / st.n);
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* n frames of a stream with the given seed, concatenated */
static GByteArray *
stream_bytes (guint64 seed, gint n)
{
  gchar *props = g_strdup_printf ("seed=%" G_GUINT64_FORMAT " planes=all",
      seed);
  GstHarness *h = new_harness (props);
  GByteArray *bytes = g_byte_array_new ();
  GstVideoInfo info;

  set_caps (h, &info, "NV12", 64, 48);
  for (gint i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h, make_flat (&info, 90, 0,
            NULL));
    GstMapInfo map;
    gst_buffer_map (out, &map, GST_MAP_READ);
    g_byte_array_append (bytes, map.data, map.size);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (props);
  return bytes;
}

GST_START_TEST (test_seed)
{
  GByteArray *a = stream_bytes (42, 3), *b = stream_bytes (42, 3);
  GByteArray *c = stream_bytes (43, 3);
  guint frame = a->len / 3;

  fail_unless_equals_int (a->len, b->len);
  fail_unless (memcmp (a->data, b->data, a->len) == 0,
      "same seed, different streams");
  fail_unless (memcmp (a->data, c->data, a->len) != 0,
      "different seeds, same stream");
  fail_unless (memcmp (a->data, a->data + frame, frame) != 0,
      "consecutive frames got the same noise");
  g_byte_array_unref (a);
  g_byte_array_unref (b);
  g_byte_array_unref (c);
}

GST_END_TEST;

GST_START_TEST (test_nv12_interleaved)
{
  GstHarness *h = new_harness ("planes=all sigma=40");
  GstVideoInfo info;
  GstVideoFrame f;
  GstBuffer *out;
  gint cw;
  gint64 changed[2] = { 0, 0 };

  /* odd width: 17 chroma pairs, the last one must get noise too */
  set_caps (h, &info, "NV12", 33, 64);
  out = gst_harness_push_and_pull (h, make_flat (&info, 128, 0, NULL));
  cw = GST_VIDEO_INFO_COMP_WIDTH (&info, 1);
  fail_unless_equals_int (cw, 17);
  fail_unless (gst_video_frame_map (&f, &info, out, GST_MAP_READ));
  for (gint y = 0; y < GST_VIDEO_INFO_COMP_HEIGHT (&info, 1); y++) {
    const guint8 *r = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 1)
        + (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 1);
    changed[0] += r[2 * (cw - 1)] != 128;
    changed[1] += r[2 * (cw - 1) + 1] != 128;
  }
  gst_video_frame_unmap (&f);
  fail_unless (changed[0] > 25 && changed[1] > 25, "last U %" G_GINT64_FORMAT
      ", V %" G_GINT64_FORMAT " of 32 changed", changed[0], changed[1]);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_padded_strides)
{
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstHarness *h = new_harness ("planes=all type=salt-and-pepper "
        "probability=1");
    GstVideoInfo info, layout;
    GstBuffer *out;
    GstMapInfo map;
    gint64 pad_bytes = 0, pad_kept = 0;

    set_caps (h, &info, formats[f], 37, 21);
    out = gst_harness_push_and_pull (h, make_flat (&info, 0xAA, 11, &layout));
    /* every pixel is now 0 or 255; every padding byte must still be 0xAA */
    gst_buffer_map (out, &map, GST_MAP_READ);
    for (gsize i = 0; i < map.size; i++) {
      gboolean in_plane = FALSE;
      for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
        gint h2, w = plane_width (&info, p, &h2);
        if (i >= layout.offset[p]) {
          gsize rel = i - layout.offset[p];
          if (rel / layout.stride[p] < (gsize) h2
              && rel % layout.stride[p] < (gsize) w)
            in_plane = TRUE;
        }
      }
      if (in_plane) {
        if (map.data[i] != 0 && map.data[i] != 255)
          fail ("%s: pixel byte %" G_GSIZE_FORMAT " untouched", formats[f], i);
      } else {
        pad_bytes++;
        pad_kept += map.data[i] == 0xAA;
      }
    }
    gst_buffer_unmap (out, &map);
    fail_unless (pad_bytes > 0);
    fail_unless_equals_int (pad_kept, pad_bytes);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_property_stress)
{
  GstHarness *h = new_harness (NULL);
  GstHarnessThread *t[4];
  GValue v = G_VALUE_INIT;
  GstVideoInfo info;

  set_caps (h, &info, "I420", 64, 48);
  g_value_init (&v, G_TYPE_FLOAT);
  g_value_set_float (&v, 80.0f);
  t[0] = gst_harness_stress_property_start_full (h, "sigma", &v, 100);
  g_value_set_float (&v, 0.5f);
  t[1] = gst_harness_stress_property_start_full (h, "probability", &v, 100);
  g_value_unset (&v);
  g_value_init (&v, G_PARAM_SPEC_VALUE_TYPE (g_object_class_find_property
          (G_OBJECT_GET_CLASS (h->element), "type")));
  g_value_set_enum (&v, 2);     /* masking */
  t[2] = gst_harness_stress_property_start_full (h, "type", &v, 100);
  g_value_unset (&v);
  g_value_init (&v, G_PARAM_SPEC_VALUE_TYPE (g_object_class_find_property
          (G_OBJECT_GET_CLASS (h->element), "planes")));
  g_value_set_enum (&v, 1);     /* all */
  t[3] = gst_harness_stress_property_start_full (h, "planes", &v, 100);
  g_value_unset (&v);

  for (gint i = 0; i < 200; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h, make_flat (&info, 50, 0,
            NULL));
    fail_unless (out != NULL);
    gst_buffer_unref (out);
  }
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    gst_harness_stress_thread_stop (t[i]);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
vaenoise_suite (void)
{
  Suite *s = suite_create ("vaenoise");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_formats_and_sizes);
  tcase_add_test (tc, test_gaussian_stats);
  tcase_add_test (tc, test_salt_and_pepper_and_masking);
  tcase_add_test (tc, test_seed);
  tcase_add_test (tc, test_nv12_interleaved);
  tcase_add_test (tc, test_padded_strides);
  tcase_add_test (tc, test_property_stress);
  tcase_add_test (tc, test_rgb_noise);
  return s;
}

GST_CHECK_MAIN (vaenoise);
