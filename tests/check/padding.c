/* The elements that write fresh buffers, vaedenoise and vaesample, leave
 * no stale memory in them: the bytes past each row's samples, and between
 * planes, are 0.  Each output buffer is filled with 0xA5 once pulled, so a
 * buffer the pool hands out again holds junk unless the element clears it.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <string.h>

#include "vae.h"
#include "check_util.h"

#define ROUNDS 6                /* more than the pools hold */

static gchar *tmp_dir, *dae_model, *vae_model;

/* Bytes [from, to) of the mapped buffer that are not 0. */
static gsize
nonzero (const guint8 * d, gsize from, gsize to)
{
  gsize n = 0;
  for (gsize i = from; i < to; i++)
    n += d[i] != 0;
  return n;
}

/* The buffer's bytes outside the picture that are not 0: past each row's
 * samples (the widest component's width times its pixel stride) and
 * between and after the planes (GStreamer's default layout, no meta). */
static gsize
stale_bytes (GstBuffer * buf, const GstVideoInfo * info)
{
  const GstVideoFormatInfo *f = info->finfo;
  GstMapInfo map;
  gsize n = 0;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS], wb = 0, h;
    gsize off = GST_VIDEO_INFO_PLANE_OFFSET (info, p), end;
    gint s = GST_VIDEO_INFO_PLANE_STRIDE (info, p);

    gst_video_format_info_component (f, p, comp);
    for (gint i = 0; i < GST_VIDEO_MAX_COMPONENTS && comp[i] >= 0; i++)
      wb = MAX (wb, GST_VIDEO_INFO_COMP_WIDTH (info, comp[i])
          * GST_VIDEO_INFO_COMP_PSTRIDE (info, comp[i]));
    h = GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
    for (gint y = 0; y < h; y++)
      n += nonzero (map.data, off + (gsize) y * s + wb, off + (gsize) (y
              + 1) * s);
    end = p + 1 < GST_VIDEO_INFO_N_PLANES (info)
        ? GST_VIDEO_INFO_PLANE_OFFSET (info, p + 1) : map.size;
    n += nonzero (map.data, off + (gsize) h * s, end);
  }
  gst_buffer_unmap (buf, &map);
  return n;
}

/* Fills the whole buffer with junk before the pool takes it back. */
static void
soil (GstBuffer * buf)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  memset (map.data, 0xA5, map.size);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
}

static GstBuffer *
input_frame (const GstVideoInfo * info, guint salt)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = (guint8) ((i * 7 + salt * 13) ^ (i >> 5));
  gst_buffer_unmap (buf, &map);
  return buf;
}

GST_START_TEST (test_denoise_padding)
{
  static const gchar *formats[] = { "GRAY8", "I420", "NV12", "Y42B", "Y444",
    "YUY2", "RGB", "BGRx", "RGBA"
  };
  static const gint sizes[][2] = { {13, 7}, {641, 9}, {1, 1} };

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    for (guint z = 0; z < G_N_ELEMENTS (sizes); z++)
      for (gint temporal = 0; temporal < 2; temporal++) {
        GstHarness *h = gst_harness_new ("vaedenoise");
        GstVideoInfo info;

        g_object_set (h->element, "model", dae_model, "noise-level", 20.0f,
            "temporal", temporal, "chroma", 1, "n-threads", 2, NULL);
        check_set_caps (h, &info, formats[f], sizes[z][0], sizes[z][1]);
        for (guint r = 0; r < ROUNDS; r++) {
          GstBuffer *out = gst_harness_push_and_pull (h, input_frame (&info,
                  r));
          fail_unless (out != NULL);
          fail_unless_equals_uint64 (stale_bytes (out, &info), 0);
          soil (out);
        }
        gst_harness_teardown (h);
      }
}

GST_END_TEST;

GST_START_TEST (test_sample_padding)
{
  GstHarness *h = gst_harness_new_with_padnames ("vaesample", NULL, "src");
  GstVideoInfo info;
  GstCaps *caps;

  g_object_set (h->element, "model", vae_model, NULL);
  gst_harness_set_sink_caps_str (h, "video/x-raw,format=GRAY8,width=13,"
      "height=7,framerate=30/1");
  gst_harness_play (h);
  for (guint r = 0; r < ROUNDS; r++) {
    GstBuffer *out = gst_harness_pull (h);
    fail_unless (out != NULL);
    if (r == 0) {
      caps = gst_pad_get_current_caps (h->sinkpad);
      fail_unless (gst_video_info_from_caps (&info, caps));
      gst_caps_unref (caps);
    }
    fail_unless_equals_uint64 (stale_bytes (out, &info), 0);
    soil (out);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
padding_suite (void)
{
  Suite *s = suite_create ("padding");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_denoise_padding);
  tcase_add_test (tc, test_sample_padding);
  return s;
}

int
main (int argc, char **argv)
{
  int nf;

  gst_check_init (&argc, &argv);
  tmp_dir = g_dir_make_tmp ("vae-padding-XXXXXX", NULL);
  g_assert (tmp_dir != NULL);
  dae_model = check_tiny_model (tmp_dir, "dae.safetensors", VAE_KIND_DAE);
  vae_model = check_tiny_model (tmp_dir, "vae.safetensors", VAE_KIND_VAE);
  nf = gst_check_run_suite (padding_suite (), "padding", __FILE__);
  check_rmdir (tmp_dir);
  g_free (tmp_dir);
  g_free (dae_model);
  g_free (vae_model);
  return nf;
}
