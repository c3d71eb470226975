/* vaedenoise temporal=true: still frames average over time, every reset
 * event makes the next frame exactly the per-frame result, and the same
 * input gives the same bytes. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "vae.h"
#include "vae_data.h"
#include "check_util.h"

#define W 96
#define H 64

/* The shipped GRAY8 model, or NULL (the tests then skip). */
static gchar *
shipped_gray (void)
{
  const gchar *dir = g_getenv ("GST_VAE_MODEL_PATH");
  gchar *p = dir ? g_build_filename (dir, "denoise-s.safetensors", NULL)
      : NULL;
  if (p != NULL && !g_file_test (p, G_FILE_TEST_IS_REGULAR))
    g_clear_pointer (&p, g_free);
  if (p == NULL)
    GST_INFO ("denoise-s.safetensors not found: skipped");
  return p;
}

static void
clean_picture (guint8 * px)
{
  for (gint y = 0; y < H; y++)
    for (gint x = 0; x < W; x++)
      px[y * W + x] = (guint8) (128 + 60 * sin (x / 9.0) * cos (y / 7.0));
}

/* Frame k: the clean picture with fresh σ = 25 noise (seed k). */
static GstBuffer *
noisy_frame (const GstVideoInfo * info, const guint8 * clean, guint k)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame f;
  VaeRng rng;

  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_WRITE));
  for (gint y = 0; y < H; y++)
    memcpy ((guint8 *) f.data[0] + y * f.info.stride[0], clean + y * W, W);
  vae_rng_seed (&rng, 100 + k);
  vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, 25.0f, f.data[0], f.info.stride[0],
      W, H, &rng);
  gst_video_frame_unmap (&f);
  GST_BUFFER_PTS (buf) = k * GST_SECOND / 30;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

static GstHarness *
harness (const gchar * model, gboolean temporal, GstVideoInfo * info)
{
  GstElement *e = gst_element_factory_make ("vaedenoise", NULL);
  GstHarness *h;

  fail_unless (e != NULL);
  g_object_set (e, "model", model, "noise-level", 25.0f, "temporal",
      temporal, "n-threads", 2, NULL);
  gst_object_ref_sink (e);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  check_set_caps (h, info, "GRAY8", W, H);
  return h;
}

static gdouble
psnr (GstBuffer * buf, const GstVideoInfo * info, const guint8 * clean)
{
  GstVideoFrame f;
  gdouble p;

  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  p = vae_psnr_u8 (f.data[0], f.info.stride[0], clean, W, W, H);
  gst_video_frame_unmap (&f);
  return p;
}

static gboolean
same_pixels (GstBuffer * a, GstBuffer * b, const GstVideoInfo * info)
{
  GstVideoFrame fa, fb;
  gboolean same = TRUE;

  fail_unless (gst_video_frame_map (&fa, (GstVideoInfo *) info, a,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, (GstVideoInfo *) info, b,
          GST_MAP_READ));
  for (gint y = 0; y < H && same; y++)
    same = memcmp ((guint8 *) fa.data[0] + y * fa.info.stride[0],
        (guint8 *) fb.data[0] + y * fb.info.stride[0], W) == 0;
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
  return same;
}

/* Still frames: by frame 8 the temporal output is well above the
 * per-frame one; the same run again gives the same bytes. */
GST_START_TEST (test_temporal_still)
{
  gchar *model = shipped_gray ();
  guint8 clean[W * H];
  GstVideoInfo info;
  GstHarness *ht, *hf, *h2;
  gdouble pt = 0, pf = 0;

  if (model == NULL)
    return;
  clean_picture (clean);
  ht = harness (model, TRUE, &info);
  hf = harness (model, FALSE, &info);
  h2 = harness (model, TRUE, &info);
  for (guint k = 0; k < 9; k++) {
    GstBuffer *in = noisy_frame (&info, clean, k);
    GstBuffer *ot = gst_harness_push_and_pull (ht, gst_buffer_ref (in));
    GstBuffer *of = gst_harness_push_and_pull (hf, gst_buffer_ref (in));
    GstBuffer *o2 = gst_harness_push_and_pull (h2, gst_buffer_ref (in));
    fail_unless (same_pixels (ot, o2, &info), "frame %u differs between "
        "two runs", k);
    if (k == 0)
      fail_unless (same_pixels (ot, of, &info), "the first frame blended");
    pt = psnr (ot, &info, clean);
    pf = psnr (of, &info, clean);
    gst_buffer_unref (in);
    gst_buffer_unref (ot);
    gst_buffer_unref (of);
    gst_buffer_unref (o2);
  }
  GST_INFO ("frame 8: temporal %.2f dB, per frame %.2f dB", pt, pf);
  fail_unless (pt > pf + 1.0, "frame 8: temporal %.2f dB, per frame %.2f",
      pt, pf);
  gst_harness_teardown (ht);
  gst_harness_teardown (hf);
  gst_harness_teardown (h2);
  g_free (model);
}

GST_END_TEST;

enum { EV_NONE, EV_FLUSH, EV_SEGMENT, EV_GAP, EV_DISCONT, EV_CAPS,
  EV_PROPERTY, EV_N };
static const gchar *ev_names[] = { "none", "flush", "segment", "gap",
  "discont", "caps", "property" };

/* Two still frames, then the event, then a third: after any event the
 * third frame is exactly the per-frame result; with none it is not (so
 * the check can fail). */
GST_START_TEST (test_temporal_resets)
{
  gchar *model = shipped_gray ();
  guint8 clean[W * H];

  if (model == NULL)
    return;
  clean_picture (clean);
  for (gint ev = EV_NONE; ev < EV_N; ev++) {
    GstVideoInfo info;
    GstHarness *ht = harness (model, TRUE, &info);
    GstHarness *hf = harness (model, FALSE, &info);
    GstBuffer *in, *ot, *of;

    for (guint k = 0; k < 2; k++)
      gst_buffer_unref (gst_harness_push_and_pull (ht,
              noisy_frame (&info, clean, k)));
    switch (ev) {
      case EV_FLUSH:{         /* as a flushing seek: then a segment */
        GstSegment seg;
        gst_segment_init (&seg, GST_FORMAT_TIME);
        gst_harness_push_event (ht, gst_event_new_flush_start ());
        gst_harness_push_event (ht, gst_event_new_flush_stop (TRUE));
        gst_harness_push_event (ht, gst_event_new_segment (&seg));
        break;
      }
      case EV_SEGMENT:{
        GstSegment seg;
        gst_segment_init (&seg, GST_FORMAT_TIME);
        gst_harness_push_event (ht, gst_event_new_segment (&seg));
        break;
      }
      case EV_GAP:
        gst_harness_push_event (ht, gst_event_new_gap (GST_SECOND / 15,
                GST_SECOND / 30));
        break;
      case EV_CAPS:{
        GstVideoInfo other;
        /* another size for a frame, then back */
        check_set_caps (ht, &other, "GRAY8", W / 2, H / 2);
        in = gst_buffer_new_allocate (NULL, other.size, NULL);
        gst_buffer_memset (in, 0, 100, other.size);
        gst_buffer_unref (gst_harness_push_and_pull (ht, in));
        check_set_caps (ht, &info, "GRAY8", W, H);
        break;
      }
      case EV_PROPERTY:
        g_object_set (ht->element, "temporal", TRUE, NULL);
        break;
      default:
        break;
    }
    in = noisy_frame (&info, clean, 2);
    if (ev == EV_DISCONT)
      GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
    ot = gst_harness_push_and_pull (ht, gst_buffer_ref (in));
    of = gst_harness_push_and_pull (hf, gst_buffer_ref (in));
    fail_unless (ot != NULL && of != NULL, "%s: no output", ev_names[ev]);
    if (ev == EV_NONE)
      fail_if (same_pixels (ot, of, &info), "no event, yet no blend");
    else
      fail_unless (same_pixels (ot, of, &info), "after %s the frame blended "
          "with the past", ev_names[ev]);
    gst_buffer_unref (in);
    gst_buffer_unref (ot);
    gst_buffer_unref (of);
    gst_harness_teardown (ht);
    gst_harness_teardown (hf);
  }
  g_free (model);
}

GST_END_TEST;

static Suite *
temporal_suite (void)
{
  Suite *s = suite_create ("vaedenoise_temporal");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_temporal_still);
  tcase_add_test (tc, test_temporal_resets);
  return s;
}

GST_CHECK_MAIN (temporal);
