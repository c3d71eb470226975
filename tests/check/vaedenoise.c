/* Unit tests for vaedenoise.
 *
 * A tiny random denoiser made here is enough for everything but quality;
 * the quality test uses models/denoise-s.safetensors when it exists and
 * otherwise trains a small model for a second.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vae.h"
#include "vae_data.h"
#include "check_util.h"
#include "gstvaedenoiseengine.h"    /* GST_VAE_GUIDED_RADIUS, _EPS */

static gchar *tmp_dir;
static gchar *tiny_model;       /* residual, noise-conditional, 8x8 */
static gchar *int8_model;       /* the same kind, ReLU, with int8 weights */
static gchar *other_model;      /* 6x6, a different one for swapping */
static gchar *cnn_model;        /* convolutional, 3 layers of 3x3, 4 channels */

static const gchar *formats[] = {
  "GRAY8", "I420", "YV12", "NV12", "NV21", "Y42B", "Y444"
};

/* The test models' common configuration: a residual, noise-conditional
 * Gaussian DAE on patch × patch patches, σ 0…50. */
static VaeConfig
dae_config (gint patch)
{
  VaeConfig c = vae_config_default ();
  c.kind = VAE_KIND_DAE;
  c.img_w = c.img_h = patch;
  c.n_in = patch * patch;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_min = 0.0f;
  c.noise_max = 50.0f / 255.0f;
  c.residual = 1;
  c.noise_input = 1;
  c.norm_mean = 0.5f;
  c.norm_scale = 0.2f;
  return c;
}

/* Writes a new model of configuration c into tmp_dir, given int8 weights
 * calibrated on the n samples x (levels lv) when n > 0.  Runs outside any
 * test, where fail_unless cannot report. */
static gchar *
write_model (const gchar * name, const VaeConfig * c, guint64 seed,
    const gfloat * x, const gfloat * lv, gint n)
{
  VaeError err;
  VaeModel *m = vae_model_new (c, seed, &err);
  gchar *path = g_build_filename (tmp_dir, name, NULL);

  if (m == NULL || (n > 0 && vae_model_quantize (m, x, lv, n, NULL,
              &err) != VAE_OK) || vae_model_save (m, path, &err) != VAE_OK)
    g_error ("cannot write %s: %s", path, err.msg);
  vae_model_free (m);
  return path;
}

static gchar *
write_dae (const gchar * name, gint patch, guint64 seed)
{
  VaeConfig c = dae_config (patch);

  c.n_enc = 1;
  c.enc[0] = 48;
  c.n_latent = 32;
  c.n_dec = 1;
  c.dec[0] = 48;
  return write_model (name, &c, seed, NULL, NULL, 0);
}

/* A ReLU denoiser with int8 weights, calibrated on random 8-bit patches. */
static gchar *
write_dae_int8 (const gchar * name, guint64 seed)
{
  VaeConfig c = dae_config (8);
  VaeRng r;
  enum { N = 2048 };
  gfloat *x = g_new (gfloat, N * 64), *lv = g_new (gfloat, N);
  gchar *path;

  c.n_latent = 40;
  c.act = c.code_act = VAE_ACT_RELU;
  vae_rng_seed (&r, seed);
  for (gint i = 0; i < N; i++) {
    lv[i] = 50.0f * vae_rng_uniform (&r);
    for (gint k = 0; k < 64; k++)
      x[i * 64 + k] = (gfloat) (vae_rng_u64 (&r) & 255) / 255.0f;
  }
  path = write_model (name, &c, seed, x, lv, N);
  g_free (x);
  g_free (lv);
  return path;
}

static gchar *
write_cnn (const gchar * name, guint64 seed)
{
  VaeConfig c = dae_config (16);

  c.conv_depth = 3;
  c.conv_width = 4;
  c.conv_kernel = 3;
  c.n_latent = 4;
  return write_model (name, &c, seed, NULL, NULL, 0);
}

/* Deterministic texture: smooth gradients plus hashed noise. */
static guint8
texel (gint x, gint y, guint salt)
{
  guint32 v = (guint32) x * 73856093u ^ (guint32) y * 19349663u ^ salt;
  v ^= v >> 13;
  v *= 0x5bd1e995u;
  v ^= v >> 15;
  return (guint8) ((x * 3 + y * 5) / 2 + (v & 63));
}

static void
fill_frame (GstVideoFrame * f, guint salt)
{
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (f); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gst_video_format_info_component (f->info.finfo, p, comp);
    gint w = GST_VIDEO_FRAME_COMP_WIDTH (f, comp[0])
        * GST_VIDEO_FRAME_COMP_PSTRIDE (f, comp[0]);
    gint h = GST_VIDEO_FRAME_COMP_HEIGHT (f, comp[0]);
    guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (f, p);
    gint s = GST_VIDEO_FRAME_PLANE_STRIDE (f, p);
    for (gint y = 0; y < h; y++)
      for (gint x = 0; x < w; x++)
        d[y * s + x] = texel (x, y, salt + p * 101);
  }
}

static GstBuffer *
make_buffer (const GstVideoInfo * info, guint salt)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame f;

  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_WRITE));
  fill_frame (&f, salt);
  gst_video_frame_unmap (&f);
  return buf;
}

/* A buffer whose rows are padded and whose planes start at odd offsets,
 * described by a GstVideoMeta; the padding holds 0xAA. */
static GstBuffer *
make_padded_buffer (const GstVideoInfo * info, gint pad, guint salt)
{
  GstVideoInfo pi = *info;
  gsize off = 64 + 3;
  GstBuffer *buf;
  GstMapInfo map;
  GstVideoFrame f;

  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gst_video_format_info_component (info->finfo, p, comp);
    pi.stride[p] = info->stride[p] + pad;
    pi.offset[p] = off;
    off += (gsize) pi.stride[p] * GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0])
        + 5;
  }
  pi.size = off;
  buf = gst_buffer_new_allocate (NULL, pi.size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 0xAA, map.size);
  gst_buffer_unmap (buf, &map);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info),
      pi.offset, pi.stride);
  fail_unless (gst_video_frame_map (&f, &pi, buf, GST_MAP_WRITE));
  fill_frame (&f, salt);
  gst_video_frame_unmap (&f);
  return buf;
}

/* Denoises one plane with the core API in a single band, in the given
 * precision. */
static guint8 *
reference_plane_prec (const VaeModel * m, const guint8 * src, gint stride,
    gint w, gint h, gfloat sigma, VaePrecision prec)
{
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  VaeError err;
  VaeDenoiser *d;
  guint8 *out = g_malloc ((gsize) w * h);

  o.precision = prec;
  d = vae_denoiser_new (m, w, h, &o, &err);
  fail_unless (d != NULL, "denoiser: %s", err.msg);
  fail_unless_equals_int (vae_denoiser_run_u8 (d, src, stride, out, w, w, h,
          0, h, sigma), VAE_OK);
  vae_denoiser_free (d);
  return out;
}

static guint8 *
reference_plane (const VaeModel * m, const guint8 * src, gint stride, gint w,
    gint h, gfloat sigma)
{
  return reference_plane_prec (m, src, stride, w, h, sigma,
      VAE_PRECISION_AUTO);
}

/* The core promises that bands give exactly the single-band result (its
 * GEMM tiles depend on the plane size alone), so every band count must
 * match the core's full-frame output byte for byte. */
#define BAND_TOLERANCE 0

static void
assert_plane_equal (const guint8 * a, gint as, const guint8 * b, gint bs,
    gint w, gint h, const gchar * what, gint tol)
{
  if (tol > 0) {
    gint n_diff = 0;
    for (gint y = 0; y < h; y++)
      for (gint x = 0; x < w; x++) {
        gint d = ABS (a[(gsize) y * as + x] - b[(gsize) y * bs + x]);
        /* fail_unless costs a message per call: only on failure */
        if (d > tol)
          fail ("%s differs at (%d, %d) by %d", what, x, y, d);
        n_diff += d > 0;
      }
    fail_unless (n_diff <= 1 + w * h / 10000, "%s: %d of %d pixels differ",
        what, n_diff, w * h);
    return;
  }
  for (gint y = 0; y < h; y++) {
    if (memcmp (a + (gsize) y * as, b + (gsize) y * bs, w) != 0) {
      gint x = 0;
      while (a[(gsize) y * as + x] == b[(gsize) y * bs + x])
        x++;
      fail ("%s differs at (%d, %d): %d vs %d", what, x, y,
          a[(gsize) y * as + x], b[(gsize) y * bs + x]);
    }
  }
}

/* The level a one-plane model gets for component comp of a frame of info
 * when noise-level is level: on colour, level is RGB noise, which shows in
 * each plane by the core's gains (a subsampled plane's halved or quartered
 * in variance). */
static gfloat
plane_sigma (const GstVideoInfo * info, gint comp, gfloat level)
{
  gfloat g[3];
  if (GST_VIDEO_INFO_IS_GRAY (info))
    return level;
  vae_noise_gains (info->colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709,
      info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255, g);
  return level * g[comp] / sqrtf ((gfloat) (1 << (GST_VIDEO_FORMAT_INFO_W_SUB
              (info->finfo, comp) + GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo,
                  comp))));
}

/* Checks out against the core API run on in: luma denoised, chroma copied
 * or denoised plane by plane (NV12/NV21 de-interleaved), each at its
 * plane_sigma for the noise-level sigma. */
static void
check_against_core (const VaeModel * m, GstBuffer * in, GstBuffer * out,
    const GstVideoInfo * info, gfloat sigma, gboolean chroma, gint tol)
{
  GstVideoFrame fi, fo;

  fail_unless (gst_video_frame_map (&fi, (GstVideoInfo *) info, in,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fo, (GstVideoInfo *) info, out,
          GST_MAP_READ));
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&fi); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gst_video_format_info_component (info->finfo, p, comp);
    gint cw = GST_VIDEO_FRAME_COMP_WIDTH (&fi, comp[0]);
    gint pw = cw * GST_VIDEO_FRAME_COMP_PSTRIDE (&fi, comp[0]);
    gint ph = GST_VIDEO_FRAME_COMP_HEIGHT (&fi, comp[0]);
    const guint8 *s = GST_VIDEO_FRAME_PLANE_DATA (&fi, p);
    const guint8 *o = GST_VIDEO_FRAME_PLANE_DATA (&fo, p);
    gint ss = GST_VIDEO_FRAME_PLANE_STRIDE (&fi, p);
    gint os = GST_VIDEO_FRAME_PLANE_STRIDE (&fo, p);

    if (p > 0 && !chroma) {
      assert_plane_equal (s, ss, o, os, pw, ph, "passthrough chroma", 0);
    } else if (pw == cw) {
      guint8 *ref = reference_plane (m, s, ss, pw, ph, plane_sigma (info,
              comp[0], sigma));
      assert_plane_equal (ref, pw, o, os, pw, ph, p ? "chroma" : "luma",
          tol);
      g_free (ref);
    } else {
      /* interleaved U and V */
      guint8 *u = g_malloc ((gsize) cw * ph), *v = g_malloc ((gsize) cw * ph);
      guint8 *ru, *rv;
      for (gint y = 0; y < ph; y++)
        for (gint x = 0; x < cw; x++) {
          u[y * cw + x] = s[y * ss + 2 * x];
          v[y * cw + x] = s[y * ss + 2 * x + 1];
        }
      ru = reference_plane (m, u, cw, cw, ph, plane_sigma (info, 1, sigma));
      rv = reference_plane (m, v, cw, cw, ph, plane_sigma (info, 2, sigma));
      for (gint y = 0; y < ph; y++)
        for (gint x = 0; x < cw; x++) {
          if (ABS (o[y * os + 2 * x] - ru[y * cw + x]) > tol
              || ABS (o[y * os + 2 * x + 1] - rv[y * cw + x]) > tol)
            fail ("interleaved chroma differs at (%d, %d)", x, y);
        }
      g_free (u);
      g_free (v);
      g_free (ru);
      g_free (rv);
    }
  }
  gst_video_frame_unmap (&fi);
  gst_video_frame_unmap (&fo);
}

static GstHarness *
new_harness (const gchar * model, gint n_threads)
{
  GstElement *e = gst_element_factory_make ("vaedenoise", NULL);
  GstHarness *h;

  fail_unless (e != NULL, "vaedenoise not found (GST_PLUGIN_PATH?)");
  /* these tests check each frame against the core's per-frame result;
   * vaedenoise_temporal.c tests the temporal stage */
  g_object_set (e, "model", model, "n-threads", n_threads,
      "noise-level", 25.0f, "temporal", FALSE, NULL);
  /* the harness takes its own reference */
  gst_object_ref_sink (e);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

static gint
tolerance (GstHarness * h)
{
  gint n;
  g_object_get (h->element, "n-threads", &n, NULL);
  return n == 1 ? 0 : BAND_TOLERANCE;
}

static void
run_one (GstHarness * h, const VaeModel * m, const gchar * fmt, gint w,
    gint hh, gboolean chroma)
{
  GstVideoInfo info;
  GstBuffer *in, *out;

  check_set_caps (h, &info, fmt, w, hh);
  in = make_buffer (&info, w * 31 + hh);
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  fail_unless (out != NULL, "no output for %s %dx%d", fmt, w, hh);
  check_against_core (m, in, out, &info, 25.0f, chroma, tolerance (h));
  gst_buffer_unref (in);
  gst_buffer_unref (out);
}

GST_START_TEST (test_formats_and_sizes)
{
  static const gint sizes[][2] = { {1, 1}, {3, 5}, {641, 479}, {17, 8} };
  VaeModel *m = check_load (tiny_model);

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstHarness *h = new_harness (tiny_model, 2);
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      run_one (h, m, formats[f], sizes[s][0], sizes[s][1], FALSE);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
}

GST_END_TEST;

/* stride=0 (the default) runs at the model's own denoise.stride, and an
 * explicit stride still wins. */
GST_START_TEST (test_model_stride)
{
  VaeModel *m = check_load (tiny_model);
  VaeError err;
  gchar *path = g_build_filename (tmp_dir, "strided.safetensors", NULL);
  VaeDenoiseOpts o = vae_denoise_opts_default ();
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstVideoFrame fi, fo;
  GstHarness *h;
  gint w = 64, hh = 40, st;

  vae_model_set_meta (m, "denoise.stride", "6");
  fail_unless (vae_model_save (m, path, &err) == VAE_OK, "%s", err.msg);
  for (gint explicit = 0; explicit <= 1; explicit++) {
    guint8 *ref, *other;
    VaeDenoiser *d;
    h = new_harness (path, 2);
    if (explicit)
      g_object_set (h->element, "stride", 3, NULL);
    check_set_caps (h, &info, "GRAY8", w, hh);
    in = make_buffer (&info, 11);
    out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    fail_unless (out != NULL);
    fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
    st = explicit ? 3 : 6;
    ref = g_malloc ((gsize) w * hh);
    other = g_malloc ((gsize) w * hh);
    o.stride = st;
    d = vae_denoiser_new (m, w, hh, &o, &err);
    fail_unless (d != NULL, "%s", err.msg);
    vae_denoiser_run_u8 (d, GST_VIDEO_FRAME_PLANE_DATA (&fi, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0), ref, w, w, hh, 0, hh, 25.0f);
    vae_denoiser_free (d);
    o.stride = 4;
    d = vae_denoiser_new (m, w, hh, &o, &err);
    vae_denoiser_run_u8 (d, GST_VIDEO_FRAME_PLANE_DATA (&fi, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0), other, w, w, hh, 0, hh, 25.0f);
    vae_denoiser_free (d);
    assert_plane_equal (GST_VIDEO_FRAME_PLANE_DATA (&fo, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fo, 0), ref, w, w, hh, "stride", 0);
    fail_if (memcmp (ref, other, (gsize) w * hh) == 0,
        "stride %d and 4 gave the same plane: the test shows nothing", st);
    gst_video_frame_unmap (&fi);
    gst_video_frame_unmap (&fo);
    gst_buffer_unref (in);
    gst_buffer_unref (out);
    g_free (ref);
    g_free (other);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_full_hd)
{
  VaeModel *m = check_load (tiny_model);
  GstHarness *h = new_harness (tiny_model, 0);

  run_one (h, m, "GRAY8", 1920, 1080, FALSE);
  run_one (h, m, "NV12", 1920, 1080, FALSE);
  gst_harness_teardown (h);
  /* one band: bit-exact with the core */
  h = new_harness (tiny_model, 1);
  run_one (h, m, "I420", 1920, 1080, FALSE);
  gst_harness_teardown (h);
  vae_model_free (m);
}

GST_END_TEST;

GST_START_TEST (test_chroma_denoise)
{
  VaeModel *m = check_load (tiny_model);

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstHarness *h = new_harness (tiny_model, 3);
    g_object_set (h->element, "chroma", 1, NULL);
    run_one (h, m, formats[f], 37, 23, TRUE);
    run_one (h, m, formats[f], 3, 5, TRUE);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
}

GST_END_TEST;

/* Component comp of a mapped frame (any pixel stride) as a plane of its
 * own. */
static guint8 *
comp_plane (const GstVideoFrame * f, gint comp)
{
  gint cw = GST_VIDEO_FRAME_COMP_WIDTH (f, comp);
  gint ch = GST_VIDEO_FRAME_COMP_HEIGHT (f, comp);
  gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (f, comp);
  gint rs = GST_VIDEO_FRAME_COMP_STRIDE (f, comp);
  const guint8 *d = GST_VIDEO_FRAME_COMP_DATA (f, comp);
  guint8 *out = g_malloc ((gsize) cw * ch);

  for (gint y = 0; y < ch; y++)
    for (gint x = 0; x < cw; x++)
      out[y * cw + x] = d[y * rs + x * ps];
  return out;
}

/* Packed 4:2:2 (YUY2, UYVY, YVYU) with a one-plane model: the luma, and
 * with chroma=denoise U and V, each give the core's plane; with chroma
 * copied U and V come out byte for byte.  Odd sizes, one to three bands. */
GST_START_TEST (test_packed_422)
{
  static const gchar *packed[] = { "YUY2", "UYVY", "YVYU" };
  static const gint sizes[][2] = { {1, 1}, {3, 5}, {641, 479}, {17, 8} };
  VaeModel *m = check_load (tiny_model);

  for (guint f = 0; f < G_N_ELEMENTS (packed); f++)
    for (gint chroma = 0; chroma < 2; chroma++) {
      GstHarness *h = new_harness (tiny_model, 1 + (f + chroma) % 3);
      g_object_set (h->element, "chroma", chroma, NULL);
      for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
        gint w = sizes[s][0], hh = sizes[s][1];
        GstVideoInfo info;
        GstVideoFrame fi, fo;
        GstBuffer *in, *out;

        check_set_caps (h, &info, packed[f], w, hh);
        in = make_buffer (&info, w * 7 + hh);
        out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
        fail_unless (out != NULL, "no output for %s %dx%d", packed[f], w, hh);
        fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
        fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
        for (gint c = 0; c < 3; c++) {
          gint cw = GST_VIDEO_FRAME_COMP_WIDTH (&fi, c);
          gint ch = GST_VIDEO_FRAME_COMP_HEIGHT (&fi, c);
          guint8 *a = comp_plane (&fi, c), *b = comp_plane (&fo, c), *r;
          if (c > 0 && !chroma) {
            assert_plane_equal (a, cw, b, cw, cw, ch, "copied chroma", 0);
          } else {
            r = reference_plane (m, a, cw, cw, ch, plane_sigma (&info, c,
                    25.0f));
            assert_plane_equal (r, cw, b, cw, cw, ch, c ? "chroma" : "luma",
                tolerance (h));
            g_free (r);
          }
          g_free (a);
          g_free (b);
        }
        gst_video_frame_unmap (&fi);
        gst_video_frame_unmap (&fo);
        gst_buffer_unref (in);
        gst_buffer_unref (out);
      }
      gst_harness_teardown (h);
    }
  vae_model_free (m);
}

GST_END_TEST;

/* A convolutional model through the element: every format and size
 * (frames of several tiles among them), chroma denoised too, with 1 to 3
 * bands, byte for byte the core's single call; stride is ignored. */
GST_START_TEST (test_conv_model)
{
  static const gint sizes[][2] = { {1, 1}, {3, 5}, {301, 157}, {17, 8} };
  VaeModel *m = check_load (cnn_model);

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstHarness *h = new_harness (cnn_model, 1 + f % 3);
    g_object_set (h->element, "chroma", f % 2, "stride", 3, NULL);
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      run_one (h, m, formats[f], sizes[s][0], sizes[s][1], f % 2);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
}

GST_END_TEST;

GST_START_TEST (test_resolution_change)
{
  VaeModel *m = check_load (tiny_model);
  GstHarness *h = new_harness (tiny_model, 2);

  run_one (h, m, "I420", 64, 48, FALSE);
  run_one (h, m, "I420", 33, 17, FALSE);
  run_one (h, m, "NV21", 33, 17, FALSE);
  run_one (h, m, "GRAY8", 160, 120, FALSE);
  gst_harness_teardown (h);
  vae_model_free (m);
}

GST_END_TEST;

GST_START_TEST (test_padded_strides)
{
  VaeModel *m = check_load (tiny_model);

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstHarness *h = new_harness (tiny_model, 2);
    GstVideoInfo info;
    GstBuffer *in, *out;

    g_object_set (h->element, "chroma", f % 2, NULL);
    check_set_caps (h, &info, formats[f], 45, 31);
    in = make_padded_buffer (&info, 19, 7);
    out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    fail_unless (out != NULL);
    check_against_core (m, in, out, &info, 25.0f, f % 2, tolerance (h));
    gst_buffer_unref (in);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
}

GST_END_TEST;

GST_START_TEST (test_strength)
{
  VaeModel *m = check_load (tiny_model);
  GstHarness *h = new_harness (tiny_model, 2);
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstMapInfo a, b;

  /* 0: the very same bytes, without computing */
  g_object_set (h->element, "strength", 0.0f, NULL);
  check_set_caps (h, &info, "I420", 64, 36);
  in = make_buffer (&info, 3);
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  gst_buffer_map (in, &a, GST_MAP_READ);
  gst_buffer_map (out, &b, GST_MAP_READ);
  fail_unless_equals_int (a.size, b.size);
  fail_unless (memcmp (a.data, b.data, a.size) == 0);
  gst_buffer_unmap (in, &a);
  gst_buffer_unmap (out, &b);
  gst_buffer_unref (out);

  /* 0.5: halfway between input and the denoised frame */
  g_object_set (h->element, "strength", 0.5f, NULL);
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  {
    GstVideoFrame fi, fo;
    guint8 *ref;
    fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
    ref = reference_plane (m, GST_VIDEO_FRAME_PLANE_DATA (&fi, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0), 64, 36, plane_sigma (&info, 0,
            25.0f));
    for (gint y = 0; y < 36; y++)
      for (gint x = 0; x < 64; x++) {
        gint s = ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fi, 0))
            [y * GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0) + x];
        gint o = ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fo, 0))
            [y * GST_VIDEO_FRAME_PLANE_STRIDE (&fo, 0) + x];
        if (o != (s * 128 + ref[y * 64 + x] * 128 + 128) >> 8)
          fail ("blend wrong at (%d, %d)", x, y);
      }
    g_free (ref);
    gst_video_frame_unmap (&fi);
    gst_video_frame_unmap (&fo);
  }
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
  vae_model_free (m);
}

GST_END_TEST;

/* strength (and noise-level) are controllable: a linear fade bound to
 * strength sets it from each buffer's stream time before that buffer is
 * denoised, down to 0, where the buffer passes untouched, and up again. */
GST_START_TEST (test_strength_controlled)
{
  static const GstClockTime pts[] = { 0, GST_SECOND / 4, GST_SECOND / 2,
    GST_SECOND, 3 * GST_SECOND / 2
  };
  static const gfloat expect[] = { 1.0f, 0.75f, 0.5f, 0.0f, 0.5f };
  GstHarness *h = new_harness (tiny_model, 2);
  GstHarness *half = new_harness (tiny_model, 2);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GObjectClass *klass = G_OBJECT_GET_CLASS (h->element);
  GstVideoInfo info;

  fail_unless (g_object_class_find_property (klass, "strength")->flags
      & GST_PARAM_CONTROLLABLE);
  fail_unless (g_object_class_find_property (klass, "noise-level")->flags
      & GST_PARAM_CONTROLLABLE);
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  fail_unless (gst_timed_value_control_source_set
      (GST_TIMED_VALUE_CONTROL_SOURCE (cs), 0, 1.0));
  fail_unless (gst_timed_value_control_source_set
      (GST_TIMED_VALUE_CONTROL_SOURCE (cs), GST_SECOND, 0.0));
  fail_unless (gst_timed_value_control_source_set
      (GST_TIMED_VALUE_CONTROL_SOURCE (cs), 2 * GST_SECOND, 1.0));
  fail_unless (gst_object_add_control_binding (GST_OBJECT (h->element),
          gst_direct_control_binding_new_absolute (GST_OBJECT (h->element),
              "strength", cs)));
  g_object_set (half->element, "strength", 0.5f, NULL);
  check_set_caps (h, &info, "I420", 64, 36);
  check_set_caps (half, &info, "I420", 64, 36);

  for (guint i = 0; i < G_N_ELEMENTS (pts); i++) {
    GstBuffer *in = make_buffer (&info, 5 + i), *out, *ref = NULL;
    gfloat strength;

    GST_BUFFER_PTS (in) = pts[i];
    out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    fail_unless (out != NULL);
    g_object_get (h->element, "strength", &strength, NULL);
    fail_unless (fabsf (strength - expect[i]) < 1e-6f,
        "strength %g at %" GST_TIME_FORMAT ", not %g", strength,
        GST_TIME_ARGS (pts[i]), expect[i]);
    if (expect[i] == 0.5f)      /* the fade's value served this buffer */
      ref = gst_harness_push_and_pull (half, gst_buffer_ref (in));
    else if (expect[i] == 0.0f)
      ref = gst_buffer_ref (in);
    if (ref != NULL) {
      GstMapInfo a, b;
      gst_buffer_map (ref, &a, GST_MAP_READ);
      gst_buffer_map (out, &b, GST_MAP_READ);
      fail_unless_equals_int (a.size, b.size);
      fail_unless (memcmp (a.data, b.data, a.size) == 0,
          "strength %g: not the expected bytes", expect[i]);
      gst_buffer_unmap (ref, &a);
      gst_buffer_unmap (out, &b);
      gst_buffer_unref (ref);
    }
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  gst_object_unref (cs);
  gst_harness_teardown (half);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_noise_estimate)
{
  VaeModel *m = check_load (tiny_model);
  GstHarness *h = new_harness (tiny_model, 2);
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstVideoFrame fi;
  gfloat sigma;

  g_object_set (h->element, "noise-level", -1.0f, NULL);
  check_set_caps (h, &info, "GRAY8", 99, 71);
  in = make_buffer (&info, 11);
  fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
  sigma = vae_estimate_noise_u8 (GST_VIDEO_FRAME_PLANE_DATA (&fi, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0), 99, 71);
  gst_video_frame_unmap (&fi);
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  check_against_core (m, in, out, &info, sigma, FALSE, tolerance (h));
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  vae_model_free (m);
}

GST_END_TEST;

GST_START_TEST (test_property_stress)
{
  GstHarness *h = new_harness (tiny_model, 2);
  GstHarnessThread *t[5];
  GValue v = G_VALUE_INIT;
  GstVideoInfo info;

  check_set_caps (h, &info, "NV12", 64, 48);
  g_value_init (&v, G_TYPE_FLOAT);
  g_value_set_float (&v, 0.0f);
  t[0] = gst_harness_stress_property_start_full (h, "strength", &v, 100);
  g_value_set_float (&v, 0.7f);
  t[1] = gst_harness_stress_property_start_full (h, "strength", &v, 100);
  g_value_set_float (&v, -1.0f);
  t[2] = gst_harness_stress_property_start_full (h, "noise-level", &v, 100);
  g_value_set_float (&v, 12.0f);
  t[3] = gst_harness_stress_property_start_full (h, "noise-level", &v, 100);
  g_value_unset (&v);
  /* a model set while playing is swapped in between frames */
  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, other_model);
  t[4] = gst_harness_stress_property_start_full (h, "model", &v, 2000);
  g_value_unset (&v);

  for (gint i = 0; i < 200; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h, make_buffer (&info, i));
    fail_unless (out != NULL);
    fail_unless_equals_int (gst_buffer_get_size (out), info.size);
    gst_buffer_unref (out);
  }
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    gst_harness_stress_thread_stop (t[i]);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_model_swap)
{
  VaeModel *m1 = check_load (tiny_model), *m2 = check_load (other_model);
  GstHarness *h = new_harness (tiny_model, 2);

  run_one (h, m1, "GRAY8", 40, 30, FALSE);
  g_object_set (h->element, "model", other_model, NULL);
  run_one (h, m2, "GRAY8", 40, 30, FALSE);
  run_one (h, m2, "GRAY8", 41, 29, FALSE);
  gst_harness_teardown (h);
  vae_model_free (m1);
  vae_model_free (m2);
}

GST_END_TEST;

GST_START_TEST (test_qos)
{
  GstHarness *h = new_harness (tiny_model, 1);
  GstVideoInfo info;
  GstBuffer *buf;

  check_set_caps (h, &info, "GRAY8", 32, 24);
  buf = make_buffer (&info, 1);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 1);

  /* downstream says it is a second late: buffers before 1 s are dropped */
  gst_harness_push_upstream_event (h,
      gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW, 2.0, GST_SECOND, 0));
  buf = make_buffer (&info, 2);
  GST_BUFFER_PTS (buf) = GST_SECOND / 2;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 1);

  buf = make_buffer (&info, 3);
  GST_BUFFER_PTS (buf) = 3 * GST_SECOND;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------------ quality */

static gchar *
find_quality_model (void)
{
  const gchar *dirs = g_getenv ("GST_VAE_MODEL_PATH");
  gchar **v = g_strsplit (dirs ? dirs : "", ":", -1);
  gchar *found = NULL;

  for (gchar ** d = v; *d != NULL && found == NULL; d++) {
    gchar *p = g_build_filename (*d, "denoise-s.safetensors", NULL);
    if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
      found = p;
    else
      g_free (p);
  }
  g_strfreev (v);
  return found;
}

/* A few hundred Adam steps of an 8x8 residual DAE on the test images. */
static gchar *
train_quick_model (VaeImage * im, gint n)
{
  VaeConfig c = vae_config_default ();
  VaeImageSet set = { 0 };
  VaeTrainOpts o = vae_train_opts_default ();
  VaeWorkspace *ws;
  VaeError err;
  VaeRng rng;
  VaeModel *m;
  gfloat *x;
  gchar *path = g_build_filename (tmp_dir, "quick.safetensors", NULL);
  const gint batch = 128;

  c.kind = VAE_KIND_DAE;
  c.n_enc = 1;
  c.enc[0] = 128;
  c.n_latent = 64;
  c.n_dec = 0;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_min = c.noise_max = 25.0f / 255.0f;
  c.residual = 1;
  c.norm_mean = 0.5f;
  c.norm_scale = 0.2f;
  m = vae_model_new (&c, 1, &err);
  fail_unless (m != NULL, "%s", err.msg);
  fail_unless_equals_int (vae_model_prepare_training (m, &err), VAE_OK);
  ws = vae_workspace_new (m, batch, 1, &err);
  fail_unless (ws != NULL, "%s", err.msg);
  set.n = n;
  set.images = im;
  x = g_new (gfloat, batch * 64);
  vae_rng_seed (&rng, 7);
  o.total_steps = 1500;
  for (long s = 0; s < o.total_steps; s++) {
    VaeLoss l;
    for (gint b = 0; b < batch; b++)
      vae_image_set_sample_patch (&set, 8, 8, 1, &rng, x + b * 64);
    if (vae_model_train_step (m, ws, x, batch, &o, s, &rng, &l) != VAE_OK)
      fail ("training step %ld failed", s);
  }
  fail_unless (vae_model_save (m, path, &err) == VAE_OK, "%s", err.msg);
  g_free (x);
  vae_workspace_free (ws);
  vae_model_free (m);
  return path;
}

static void
synthetic_image (VaeImage * im, gint w, gint h)
{
  im->w = w;
  im->h = h;
  im->pixels = malloc ((gsize) w * h);
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++) {
      /* piecewise smooth: blobs, edges and a ramp */
      gdouble v = 90 + 60 * sin (x / 17.0) * cos (y / 23.0)
          + ((x / 40 + y / 40) % 2 ? 50 : -30) + x * 0.1;
      im->pixels[y * w + x] = (guint8) CLAMP (v, 0, 255);
    }
}

GST_START_TEST (test_quality)
{
  const gchar *shared = g_getenv ("VAE_SHARED_DATA");
  static const gchar *names[] = { "01.png", "05.png", "08.png" };
  VaeImage im[3] = { {0} };
  gint n = 0;
  gchar *model_path;
  VaeModel *m;

  for (guint i = 0; shared && i < G_N_ELEMENTS (names); i++) {
    gchar *p = g_build_filename (shared, "denoise", "set12", names[i], NULL);
    VaeError err;
    if (g_file_test (p, G_FILE_TEST_IS_REGULAR)
        && vae_image_load (p, &im[n], &err) == VAE_OK)
      n++;
    g_free (p);
  }
  if (n == 0) {
    GST_INFO ("no Set12 images, using a synthetic one");
    synthetic_image (&im[0], 256, 192);
    n = 1;
  }
  model_path = find_quality_model ();
  if (model_path == NULL)
    model_path = train_quick_model (im, n);
  m = check_load (model_path);

  for (gint i = 0; i < n; i++) {
    GstHarness *h = new_harness (model_path, 1);
    GstVideoInfo info;
    GstBuffer *in, *out;
    GstVideoFrame fi, fo;
    VaeRng rng;
    gdouble p_noisy, p_out;

    g_object_set (h->element, "noise-level", 25.0f, NULL);
    check_set_caps (h, &info, "GRAY8", im[i].w, im[i].h);
    in = gst_buffer_new_allocate (NULL, info.size, NULL);
    fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_WRITE));
    for (gint y = 0; y < im[i].h; y++)
      memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fi, 0) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0),
          im[i].pixels + y * im[i].w, im[i].w);
    vae_rng_seed (&rng, 1000 + i);
    vae_noise_apply_u8 (VAE_NOISE_GAUSSIAN, 25.0f,
        GST_VIDEO_FRAME_PLANE_DATA (&fi, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0), im[i].w, im[i].h, &rng);
    p_noisy = vae_psnr_u8 (im[i].pixels, im[i].w,
        GST_VIDEO_FRAME_PLANE_DATA (&fi, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0), im[i].w, im[i].h);
    gst_video_frame_unmap (&fi);

    out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
    p_out = vae_psnr_u8 (im[i].pixels, im[i].w,
        GST_VIDEO_FRAME_PLANE_DATA (&fo, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fo, 0), im[i].w, im[i].h);
    gst_video_frame_unmap (&fo);
    GST_INFO ("image %d: noisy %.2f dB, denoised %.2f dB", i, p_noisy, p_out);
    fail_unless (p_out > p_noisy + 3.0, "image %d: noisy %.2f dB, denoised "
        "%.2f dB", i, p_noisy, p_out);
    check_against_core (m, in, out, &info, 25.0f, FALSE, tolerance (h));
    gst_buffer_unref (in);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
  g_free (model_path);
  for (gint i = 0; i < n; i++)
    vae_image_clear (&im[i]);
}

GST_END_TEST;

/* ----------------------------------------------------------- packed RGB */

static const gchar *rgb_formats[] = {
  "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB", "ABGR"
};

/* Every plane's pixel bytes equal (padding is not compared). */
static void
assert_frames_equal (const GstVideoInfo * info, GstBuffer * a, GstBuffer * b,
    const gchar * what)
{
  GstVideoFrame fa, fb;

  fail_unless_equals_int (gst_buffer_get_size (a), gst_buffer_get_size (b));
  fail_unless (gst_video_frame_map (&fa, (GstVideoInfo *) info, a,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, (GstVideoInfo *) info, b,
          GST_MAP_READ));
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&fa); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gst_video_format_info_component (info->finfo, p, comp);
    assert_plane_equal (GST_VIDEO_FRAME_PLANE_DATA (&fa, p),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fa, p),
        GST_VIDEO_FRAME_PLANE_DATA (&fb, p),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fb, p),
        GST_VIDEO_FRAME_COMP_WIDTH (&fa, comp[0])
        * GST_VIDEO_FRAME_COMP_PSTRIDE (&fa, comp[0]),
        GST_VIDEO_FRAME_COMP_HEIGHT (&fa, comp[0]), what, 0);
  }
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
}

/* Copies src's alpha bytes into dst (check FALSE) or checks they are the
 * same (check TRUE). */
static void
alpha_bytes (const GstVideoFrame * src, GstVideoFrame * dst, gboolean check)
{
  gint a = GST_VIDEO_FRAME_COMP_POFFSET (src, GST_VIDEO_COMP_A);
  gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (src, GST_VIDEO_COMP_A);

  for (gint y = 0; y < GST_VIDEO_FRAME_HEIGHT (src); y++) {
    const guint8 *s = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (src, 0)
        + y * GST_VIDEO_FRAME_PLANE_STRIDE (src, 0) + a;
    guint8 *d = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (dst, 0)
        + y * GST_VIDEO_FRAME_PLANE_STRIDE (dst, 0) + a;
    for (gint x = 0; x < GST_VIDEO_FRAME_WIDTH (src); x++) {
      if (!check)
        d[x * ps] = s[x * ps];
      else if (d[x * ps] != s[x * ps])
        fail ("%s: alpha changed at (%d, %d)",
            gst_video_format_to_string (GST_VIDEO_FRAME_FORMAT (src)), x, y);
    }
  }
}

/* What the element promises for packed RGB with a one-plane model: the
 * frame converted by the core to the opponent space's three planes, the
 * first (and with chroma all three) denoised by the core, each at sigma
 * times the space's noise gain (vae_space_noise_gains), or with sigma < 0
 * at its own estimate, with chroma the two chroma planes then guided by
 * the denoised first (vae_guided_filter_u8), converted back, the input's
 * fourth byte (x or alpha) copied. */
static GstBuffer *
rgb_reference (const VaeModel * m, GstBuffer * in, const GstVideoInfo * info,
    gfloat sigma, gboolean chroma)
{
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  GstVideoInfo yi;
  GstBuffer *yb, *out = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame fi, fy, fo;
  gfloat gain[3];

  vae_space_noise_gains (VAE_OPPONENT, gain);
  gst_video_info_set_format (&yi, GST_VIDEO_FORMAT_Y444, w, h);
  yi.fps_n = info->fps_n;
  yi.fps_d = info->fps_d;
  yi.colorimetry = info->colorimetry;
  yi.colorimetry.range = GST_VIDEO_COLOR_RANGE_0_255;
  yi.colorimetry.matrix = GST_VIDEO_COLOR_MATRIX_BT601;
  yb = gst_buffer_new_allocate (NULL, yi.size, NULL);
  fail_unless (gst_video_frame_map (&fi, (GstVideoInfo *) info, in,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fy, &yi, yb, GST_MAP_READWRITE));
  fail_unless (gst_video_frame_map (&fo, (GstVideoInfo *) info, out,
          GST_MAP_WRITE));
  check_rgb_to_yuv (&fi, &fy, FALSE);
  for (gint p = 0; p < (chroma ? 3 : 1); p++) {
    guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (&fy, p);
    gint ds = GST_VIDEO_FRAME_PLANE_STRIDE (&fy, p);
    guint8 *ref = reference_plane (m, d, ds, w, h, sigma < 0.0f
        ? vae_estimate_noise_u8 (d, ds, w, h) : sigma * gain[p]);
    for (gint y = 0; y < h; y++)
      memcpy (d + (gsize) y * ds, ref + (gsize) y * w, w);
    g_free (ref);
  }
  for (gint p = 1; p < 3 && chroma; p++) {
    guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (&fy, p);
    gint ds = GST_VIDEO_FRAME_PLANE_STRIDE (&fy, p);
    guint8 *g = g_malloc ((gsize) w * h);
    gfloat *scratch = g_new (gfloat, VAE_GUIDED_SCRATCH (w,
            GST_VAE_GUIDED_RADIUS));
    vae_guided_filter_u8 (GST_VIDEO_FRAME_PLANE_DATA (&fy, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&fy, 0), d, ds, g, w, w, h,
        GST_VAE_GUIDED_RADIUS, GST_VAE_GUIDED_EPS, 0, h, scratch);
    for (gint y = 0; y < h; y++)
      memcpy (d + (gsize) y * ds, g + (gsize) y * w, w);
    g_free (scratch);
    g_free (g);
  }
  check_yuv_to_rgb (&fy, &fi, &fo, FALSE);
  gst_video_frame_unmap (&fi);
  gst_video_frame_unmap (&fy);
  gst_video_frame_unmap (&fo);
  gst_buffer_unref (yb);
  return out;
}

/* One RGB frame through h: the output caps are the input caps, the bytes
 * those of rgb_reference (so alpha is the input's). */
static void
run_one_rgb (GstHarness * h, const VaeModel * m, const gchar * fmt, gint w,
    gint hh, gfloat sigma, gboolean chroma)
{
  GstVideoInfo info;
  GstBuffer *in, *out, *ref;
  GstCaps *in_caps, *out_caps;

  check_set_caps (h, &info, fmt, w, hh);
  in = make_buffer (&info, w * 17 + hh);
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  fail_unless (out != NULL, "no output for %s %dx%d", fmt, w, hh);
  in_caps = gst_video_info_to_caps (&info);
  out_caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (gst_caps_is_equal (in_caps, out_caps), "%s: out caps %"
      GST_PTR_FORMAT, fmt, out_caps);
  ref = rgb_reference (m, in, &info, sigma, chroma);
  assert_frames_equal (&info, ref, out, fmt);
  gst_caps_unref (in_caps);
  gst_caps_unref (out_caps);
  gst_buffer_unref (ref);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
}

/* Every RGB format at odd sizes, chroma copied and denoised, then
 * strength=0: the input's very bytes. */
GST_START_TEST (test_rgb_formats)
{
  static const gint sizes[][2] = { {1, 1}, {3, 5}, {641, 479}, {17, 8} };
  VaeModel *m = check_load (tiny_model);

  for (guint f = 0; f < G_N_ELEMENTS (rgb_formats); f++) {
    GstHarness *h = new_harness (tiny_model, 2);
    GstVideoInfo info;
    GstBuffer *in, *out;

    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      run_one_rgb (h, m, rgb_formats[f], sizes[s][0], sizes[s][1], 25.0f,
          FALSE);
    g_object_set (h->element, "chroma", 1, NULL);
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      run_one_rgb (h, m, rgb_formats[f], sizes[s][0], sizes[s][1], 25.0f,
          TRUE);
    g_object_set (h->element, "strength", 0.0f, NULL);
    check_set_caps (h, &info, rgb_formats[f], 45, 31);
    in = make_buffer (&info, 9);
    out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    assert_frames_equal (&info, in, out, "strength=0");
    gst_buffer_unref (in);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  vae_model_free (m);
}

GST_END_TEST;

/* GRAY8 to BGRx (noise estimated on the opponent planes, chroma copied
 * and denoised) and back. */
GST_START_TEST (test_rgb_caps_change)
{
  VaeModel *m = check_load (tiny_model);
  GstHarness *h = new_harness (tiny_model, 2);

  run_one (h, m, "GRAY8", 64, 48, FALSE);
  g_object_set (h->element, "noise-level", -1.0f, NULL);
  run_one_rgb (h, m, "BGRx", 64, 48, -1.0f, FALSE);
  g_object_set (h->element, "chroma", 1, NULL);
  run_one_rgb (h, m, "BGRx", 64, 48, -1.0f, TRUE);
  g_object_set (h->element, "chroma", 0, NULL);
  g_object_set (h->element, "noise-level", 25.0f, NULL);
  run_one_rgb (h, m, "BGRx", 51, 29, 25.0f, FALSE);
  run_one (h, m, "GRAY8", 64, 48, FALSE);
  gst_harness_teardown (h);
  vae_model_free (m);
}

GST_END_TEST;

/* A smooth colour picture, three channels. */
static void
smooth_rgb (guint8 * rgb, gint w, gint h)
{
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++) {
      gdouble edge = (x / 48 + y / 40) % 2 ? 30 : -20;
      guint8 *p = rgb + ((gsize) y * w + x) * 3;
      p[0] = (guint8) CLAMP (128 + 70 * sin (x / 19.0) * cos (y / 27.0)
          + edge, 0, 255);
      p[1] = (guint8) CLAMP (120 + 60 * cos (x / 23.0 + y / 31.0) - edge,
          0, 255);
      p[2] = (guint8) CLAMP (100 + 50 * sin ((x + y) / 29.0) + x * 0.2, 0,
          255);
    }
}

/* BT.601 luma of rgb, a picture of f's size, or of f when rgb is NULL. */
static void
rgb_luma (const GstVideoFrame * f, const guint8 * rgb, guint8 * luma)
{
  gint w = GST_VIDEO_FRAME_WIDTH (f), h = GST_VIDEO_FRAME_HEIGHT (f);

  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++) {
      gint c[3];
      for (gint k = 0; k < 3; k++)
        c[k] = rgb != NULL ? rgb[((gsize) y * w + x) * 3 + k]
            : ((const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 0))
            [y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0)
            + x * GST_VIDEO_FRAME_COMP_PSTRIDE (f, k)
            + GST_VIDEO_FRAME_COMP_POFFSET (f, k)];
      luma[(gsize) y * w + x] = (guint8) lrint (0.299 * c[0] + 0.587 * c[1]
          + 0.114 * c[2]);
    }
}

/* The clean picture plus Gaussian noise σ = 25 in every channel (rounded,
 * clipped), alpha a ramp, x bytes 0x5A. */
static GstBuffer *
noisy_rgb_buffer (const GstVideoInfo * info, const guint8 * clean)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame f;
  VaeRng rng;

  vae_rng_seed (&rng, 2024);
  gst_buffer_memset (buf, 0, 0x5A, info->size);
  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_WRITE));
  for (gint y = 0; y < GST_VIDEO_FRAME_HEIGHT (&f); y++)
    for (gint x = 0; x < GST_VIDEO_FRAME_WIDTH (&f); x++) {
      guint8 *px = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0)
          + x * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, 0);
      for (gint k = 0; k < 3; k++) {
        gfloat v = clean[((gsize) y * GST_VIDEO_FRAME_WIDTH (&f) + x) * 3 + k]
            + 25.0f * vae_rng_normal (&rng);
        px[GST_VIDEO_FRAME_COMP_POFFSET (&f, k)] =
            (guint8) CLAMP (lrintf (v), 0, 255);
      }
      if (GST_VIDEO_INFO_HAS_ALPHA (info))
        px[GST_VIDEO_FRAME_COMP_POFFSET (&f, GST_VIDEO_COMP_A)] =
            (guint8) (x + 3 * y);
    }
  gst_video_frame_unmap (&f);
  return buf;
}

static gdouble
luma_psnr (const GstVideoInfo * info, GstBuffer * buf, const guint8 * clean)
{
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  guint8 *a = g_malloc ((gsize) w * h), *b = g_malloc ((gsize) w * h);
  GstVideoFrame f;
  gdouble p;

  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  rgb_luma (&f, clean, a);
  rgb_luma (&f, NULL, b);
  gst_video_frame_unmap (&f);
  p = vae_psnr_u8 (a, w, b, w, w, h);
  g_free (a);
  g_free (b);
  return p;
}

/* Denoising noisy RGB raises the luma's PSNR well, with the same bytes
 * on one and two threads, and alpha untouched. */
GST_START_TEST (test_rgb_quality)
{
  const gint w = 192, hh = 128;
  guint8 *clean = g_malloc ((gsize) w * hh * 3);
  gchar *model_path = find_quality_model ();

  smooth_rgb (clean, w, hh);
  if (model_path == NULL) {
    VaeImage im;
    synthetic_image (&im, 256, 192);
    model_path = train_quick_model (&im, 1);
    vae_image_clear (&im);
  }
  for (guint f = 0; f < G_N_ELEMENTS (rgb_formats); f++) {
    GstBuffer *in, *out[2];
    GstVideoFrame fi, fo;
    GstVideoInfo info;
    gdouble p_noisy, p_out;

    for (gint t = 0; t < 2; t++) {
      GstHarness *h = new_harness (model_path, t + 1);
      g_object_set (h->element, "noise-level", -1.0f, NULL);
      check_set_caps (h, &info, rgb_formats[f], w, hh);
      in = noisy_rgb_buffer (&info, clean);
      out[t] = gst_harness_push_and_pull (h, gst_buffer_ref (in));
      fail_unless (out[t] != NULL);
      gst_harness_teardown (h);
      if (t == 0)
        gst_buffer_unref (in);
    }
    assert_frames_equal (&info, out[0], out[1], "n-threads 1 vs 2");
    if (GST_VIDEO_INFO_HAS_ALPHA (&info)) {
      fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
      fail_unless (gst_video_frame_map (&fo, &info, out[1], GST_MAP_READ));
      alpha_bytes (&fi, &fo, TRUE);
      gst_video_frame_unmap (&fi);
      gst_video_frame_unmap (&fo);
    }
    p_noisy = luma_psnr (&info, in, clean);
    p_out = luma_psnr (&info, out[1], clean);
    GST_INFO ("%s: luma noisy %.2f dB, denoised %.2f dB", rgb_formats[f],
        p_noisy, p_out);
    fail_unless (p_out > p_noisy + 3.0, "%s: luma noisy %.2f dB, denoised "
        "%.2f dB", rgb_formats[f], p_noisy, p_out);
    gst_buffer_unref (in);
    gst_buffer_unref (out[0]);
    gst_buffer_unref (out[1]);
  }
  g_free (model_path);
  g_free (clean);
}

GST_END_TEST;

/* -------------------------------------------------------------- errors */

/* Runs a pipeline with the given model (and vaedenoise properties) and
 * returns the first error or NULL when it reaches EOS. */
static GError *
run_pipeline_with_props (const gchar * model, const gchar * props)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=GRAY8,width=32,height=24 ! "
      "vaedenoise model=\"%s\" %s ! fakesink", model, props);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "pipeline hung");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, NULL);
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_free (desc);
  return err;
}

static GError *
run_pipeline_with_model (const gchar * model)
{
  return run_pipeline_with_props (model, "");
}

static void
expect_model_error (const gchar * model, const gchar * reason)
{
  GError *err = run_pipeline_with_model (model);

  fail_unless (err != NULL, "no error for %s", model);
  GST_INFO ("error: %s", err->message);
  fail_unless (strstr (err->message, model) != NULL,
      "error \"%s\" does not name %s", err->message, model);
  if (reason != NULL)
    fail_unless (strstr (err->message, reason) != NULL,
        "error \"%s\" does not say \"%s\"", err->message, reason);
  g_error_free (err);
}

GST_START_TEST (test_good_model_runs)
{
  GError *err = run_pipeline_with_model (tiny_model);
  fail_unless (err == NULL, "%s", err ? err->message : "");
}

GST_END_TEST;

GST_START_TEST (test_missing_model)
{
  gchar *p = g_build_filename (tmp_dir, "no-such-model.safetensors", NULL);
  expect_model_error (p, "no such file");
  g_free (p);
}

GST_END_TEST;

GST_START_TEST (test_corrupt_model)
{
  gchar *p = g_build_filename (tmp_dir, "garbage.safetensors", NULL);
  gchar *junk = g_strnfill (3000, 'x');

  junk[0] = 8;                  /* a plausible tiny header length */
  fail_unless (g_file_set_contents (p, junk, 3000, NULL));
  expect_model_error (p, NULL);
  /* and a good file cut short */
  {
    gchar *data;
    gsize len;
    fail_unless (g_file_get_contents (tiny_model, &data, &len, NULL));
    fail_unless (g_file_set_contents (p, data, len / 2, NULL));
    expect_model_error (p, NULL);
    g_free (data);
  }
  g_free (junk);
  g_free (p);
}

GST_END_TEST;

GST_START_TEST (test_wrong_kind_model)
{
  VaeConfig c = vae_config_default ();  /* a plain AE */
  VaeError err;
  VaeModel *m = vae_model_new (&c, 1, &err);
  gchar *p = g_build_filename (tmp_dir, "plain-ae.safetensors", NULL);

  fail_unless (m != NULL);
  fail_unless (vae_model_save (m, p, &err) == VAE_OK);
  vae_model_free (m);
  expect_model_error (p, "a model of kind ae; vaedenoise needs dae");

  g_free (p);
}

GST_END_TEST;

/* precision: auto by default; fp32, (where the CPU has it) bf16 and int8
 * (on a model with int8 weights) give the core's bytes in that precision,
 * for 1 and 2 threads; bf16 where it cannot run, and int8 for a model
 * without int8 weights, are clear errors at start, not a silent fp32. */
GST_START_TEST (test_precision)
{
  static const gchar *names[] = { "auto", "fp32", "bf16", "int8" };
  VaeModel *m = check_load (tiny_model), *m8 = check_load (int8_model);
  gint def;

  {
    GstElement *e = gst_element_factory_make ("vaedenoise", NULL);
    g_object_get (e, "precision", &def, NULL);
    fail_unless_equals_int (def, VAE_PRECISION_AUTO);
    gst_object_unref (e);
  }
  {
    GError *err = run_pipeline_with_props (tiny_model, "precision=int8");
    fail_unless (err != NULL, "int8 ran on a model without int8 weights");
    fail_unless (strstr (err->message, "int8 weights") != NULL,
        "error \"%s\" does not say int8 weights", err->message);
    g_error_free (err);
  }
  for (gint p = VAE_PRECISION_AUTO; p <= VAE_PRECISION_INT8; p++) {
    const gchar *path = p == VAE_PRECISION_INT8
        || p == VAE_PRECISION_AUTO ? int8_model : tiny_model;
    if (p == VAE_PRECISION_BF16 && !vae_bf16_supported ()) {
      GError *err = run_pipeline_with_props (tiny_model, "precision=bf16");
      fail_unless (err != NULL, "bf16 ran without AVX512_BF16");
      fail_unless (strstr (err->message, "AVX512_BF16") != NULL,
          "error \"%s\" does not say AVX512_BF16", err->message);
      g_error_free (err);
      continue;
    }
    for (gint t = 1; t <= 2; t++) {
      GstHarness *h = new_harness (path, t);
      GstVideoInfo info;
      GstBuffer *in, *out;
      GstVideoFrame fi, fo;
      guint8 *ref;
      gst_util_set_object_arg (G_OBJECT (h->element), "precision", names[p]);
      check_set_caps (h, &info, "GRAY8", 96, 40);
      in = make_buffer (&info, 77);
      out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
      fail_unless (out != NULL);
      fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
      fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
      ref = reference_plane_prec (path == int8_model ? m8 : m,
          GST_VIDEO_FRAME_PLANE_DATA (&fi, 0),
          GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0), 96, 40, 25.0f,
          (VaePrecision) p);
      assert_plane_equal (ref, 96, GST_VIDEO_FRAME_PLANE_DATA (&fo, 0),
          GST_VIDEO_FRAME_PLANE_STRIDE (&fo, 0), 96, 40, names[p], 0);
      g_free (ref);
      gst_video_frame_unmap (&fi);
      gst_video_frame_unmap (&fo);
      gst_buffer_unref (in);
      gst_buffer_unref (out);
      gst_harness_teardown (h);
    }
  }
  if (vae_bf16_supported ()) {
    /* a convolutional model has no bf16 path: said, not ignored */
    GError *err = run_pipeline_with_props (cnn_model, "precision=bf16");
    fail_unless (err != NULL, "bf16 accepted for a convolutional model");
    fail_unless (strstr (err->message, "dense model") != NULL,
        "error \"%s\" does not say why", err->message);
    g_error_free (err);
  }
  vae_model_free (m);
  vae_model_free (m8);
}

GST_END_TEST;

static Suite *
vaedenoise_suite (void)
{
  Suite *s = suite_create ("vaedenoise");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_formats_and_sizes);
  tcase_add_test (tc, test_full_hd);
  tcase_add_test (tc, test_model_stride);
  tcase_add_test (tc, test_chroma_denoise);
  tcase_add_test (tc, test_packed_422);
  tcase_add_test (tc, test_conv_model);
  tcase_add_test (tc, test_resolution_change);
  tcase_add_test (tc, test_padded_strides);
  tcase_add_test (tc, test_strength);
  tcase_add_test (tc, test_strength_controlled);
  tcase_add_test (tc, test_noise_estimate);
  tcase_add_test (tc, test_property_stress);
  tcase_add_test (tc, test_model_swap);
  tcase_add_test (tc, test_qos);
  tcase_add_test (tc, test_quality);
  tcase_add_test (tc, test_rgb_formats);
  tcase_add_test (tc, test_rgb_caps_change);
  tcase_add_test (tc, test_rgb_quality);
  tcase_add_test (tc, test_good_model_runs);
  tcase_add_test (tc, test_missing_model);
  tcase_add_test (tc, test_corrupt_model);
  tcase_add_test (tc, test_wrong_kind_model);
  tcase_add_test (tc, test_precision);
  return s;
}

int
main (int argc, char **argv)
{
  int n_failed;

  gst_check_init (&argc, &argv);
  tmp_dir = g_dir_make_tmp ("vaedenoise-XXXXXX", NULL);
  g_assert (tmp_dir != NULL);
  tiny_model = write_dae ("tiny.safetensors", 8, 1);
  int8_model = write_dae_int8 ("int8.safetensors", 4);
  other_model = write_dae ("other.safetensors", 6, 2);
  cnn_model = write_cnn ("cnn.safetensors", 3);
  n_failed = gst_check_run_suite (vaedenoise_suite (), "vaedenoise",
      __FILE__);
  check_rmdir (tmp_dir);
  g_free (tiny_model);
  g_free (int8_model);
  g_free (other_model);
  g_free (cnn_model);
  g_free (tmp_dir);
  return n_failed;
}
