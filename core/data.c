/* Training and evaluation data: IDX (gzip or not), Frey Face, PNG/PGM. */
#include "vae_data.h"
#include "vae_private.h"

#include <math.h>

#include <errno.h>
#include <glib.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void
vae_images_clear (VaeImages *im)
{
  free (im->pixels);
  memset (im, 0, sizeof *im);
}

static int
read_all (gzFile f, void *buf, size_t n)
{
  uint8_t *p = buf;
  while (n > 0) {
    int chunk = n > (1u << 30) ? 1 << 30 : (int) n;
    int r = gzread (f, p, (unsigned) chunk);
    if (r <= 0)
      return 0;
    p += r;
    n -= (size_t) r;
  }
  return 1;
}

int
vae_images_load_idx (const char *path, VaeImages *out, VaeError *err)
{
  gzFile f;
  uint8_t hdr[16];
  uint32_t v[4];
  size_t total;

  memset (out, 0, sizeof *out);
  f = gzopen (path, "rb");      /* reads plain files transparently */
  if (f == NULL)
    return vae_set_error (err, VAE_ERR_IO, "cannot open %s: %s", path,
        strerror (errno));
  if (!read_all (f, hdr, sizeof hdr)) {
    gzclose (f);
    return vae_set_error (err, VAE_ERR_DATA,
        "%s: shorter than an IDX3 header", path);
  }
  for (int i = 0; i < 4; i++)
    v[i] = (uint32_t) hdr[4 * i] << 24 | (uint32_t) hdr[4 * i + 1] << 16
        | (uint32_t) hdr[4 * i + 2] << 8 | hdr[4 * i + 3];
  if (v[0] != 0x803) {
    gzclose (f);
    return vae_set_error (err, VAE_ERR_DATA,
        "%s: magic 0x%08x, expected an IDX3 ubyte file (0x00000803)", path,
        v[0]);
  }
  if (v[1] == 0 || v[1] > 10000000 || v[2] == 0 || v[3] == 0 || v[2] > 4096
      || v[3] > 4096 || !vae_mul_ok ((size_t) v[1], (size_t) v[2] * v[3],
          &total) || total > ((size_t) 1 << 32)) {
    gzclose (f);
    return vae_set_error (err, VAE_ERR_DATA,
        "%s: implausible dimensions %u x %u x %u", path, v[1], v[2], v[3]);
  }
  out->pixels = malloc (total);
  if (out->pixels == NULL) {
    gzclose (f);
    return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
  }
  if (!read_all (f, out->pixels, total)) {
    gzclose (f);
    vae_images_clear (out);
    return vae_set_error (err, VAE_ERR_DATA,
        "%s: truncated, header promises %u images of %ux%u", path, v[1],
        v[3], v[2]);
  }
  gzclose (f);
  out->n = (int) v[1];
  out->h = (int) v[2];
  out->w = (int) v[3];
  return VAE_OK;
}

int
vae_images_load_frey (const char *path, VaeImages *out, VaeError *err)
{
  gchar *buf = NULL;
  gsize len = 0;
  GError *gerr = NULL;
  const size_t off = 184, img = 560;

  memset (out, 0, sizeof *out);
  if (!g_file_get_contents (path, &buf, &len, &gerr)) {
    vae_set_error (err, VAE_ERR_IO, "%s", gerr->message);
    g_error_free (gerr);
    return VAE_ERR_IO;
  }
  if (len < off + img || (len - off) % img != 0
      || memcmp (buf, "MATLAB", 6) != 0) {
    g_free (buf);
    return vae_set_error (err, VAE_ERR_DATA,
        "%s: not the Frey Face .mat (uint8 560 x N at offset %zu)", path, off);
  }
  out->n = (int) ((len - off) / img);
  out->w = 20;
  out->h = 28;
  out->pixels = malloc (len - off);
  if (out->pixels == NULL) {
    g_free (buf);
    return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
  }
  memcpy (out->pixels, buf + off, len - off);
  g_free (buf);
  return VAE_OK;
}

void
vae_image_clear (VaeImage *im)
{
  free (im->pixels);
  memset (im, 0, sizeof *im);
}

static int
load_pgm (const char *path, const gchar *buf, gsize len, VaeImage *out,
    VaeError *err)
{
  long vals[3];
  gsize p = 2;
  for (int k = 0; k < 3; k++) {
    while (p < len && (g_ascii_isspace (buf[p]) || buf[p] == '#')) {
      if (buf[p] == '#')
        while (p < len && buf[p] != '\n')
          p++;
      else
        p++;
    }
    if (p >= len || !g_ascii_isdigit (buf[p]))
      return vae_set_error (err, VAE_ERR_DATA, "%s: bad PGM header", path);
    vals[k] = 0;
    while (p < len && g_ascii_isdigit (buf[p]) && vals[k] < 1000000)
      vals[k] = vals[k] * 10 + (buf[p++] - '0');
  }
  p++;                          /* one whitespace byte after maxval */
  if (vals[0] < 1 || vals[1] < 1 || vals[0] > 65536 || vals[1] > 65536
      || vals[2] != 255)
    return vae_set_error (err, VAE_ERR_DATA,
        "%s: PGM %ldx%ld maxval %ld unsupported (8-bit only)", path, vals[0],
        vals[1], vals[2]);
  if (p > len || len - p < (gsize) vals[0] * vals[1])
    return vae_set_error (err, VAE_ERR_DATA, "%s: PGM data truncated", path);
  out->w = (int) vals[0];
  out->h = (int) vals[1];
  out->pixels = malloc ((size_t) out->w * out->h);
  if (out->pixels == NULL)
    return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
  memcpy (out->pixels, buf + p, (size_t) out->w * out->h);
  return VAE_OK;
}

/* RGB pixels (n of them) into Y, Cb and Cr planes n apart: BT.601,
 * limited range, rounded. */
static void
rgb_to_ycbcr (const uint8_t *rgb, uint8_t *ycc, size_t n)
{
  float k[3][3];
  vae_ycc_weights (0, k);
  for (size_t i = 0; i < n; i++) {
    float r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
    float y = 16.0f + (k[0][0] * r + k[0][1] * g + k[0][2] * b) * 219 / 255;
    float cb = 128.0f + (k[1][0] * r + k[1][1] * g + k[1][2] * b) * 224 / 255;
    float cr = 128.0f + (k[2][0] * r + k[2][1] * g + k[2][2] * b) * 224 / 255;
    ycc[i] = (uint8_t) (y + 0.5f);
    ycc[n + i] = (uint8_t) (cb + 0.5f);
    ycc[2 * n + i] = (uint8_t) (cr + 0.5f);
  }
}

static int
image_load (const char *path, int colour, VaeImage *out, VaeError *err)
{
  gchar *buf = NULL;
  gsize len = 0;
  GError *gerr = NULL;
  png_image img;
  int rc;

  memset (out, 0, sizeof *out);
  if (!g_file_get_contents (path, &buf, &len, &gerr)) {
    vae_set_error (err, VAE_ERR_IO, "%s", gerr->message);
    g_error_free (gerr);
    return VAE_ERR_IO;
  }
  if (!colour && len >= 2 && buf[0] == 'P' && buf[1] == '5') {
    rc = load_pgm (path, buf, len, out, err);
    g_free (buf);
    return rc;
  }
  memset (&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory (&img, buf, len)) {
    vae_set_error (err, VAE_ERR_DATA, "%s: %s", path, img.message);
    g_free (buf);
    return VAE_ERR_DATA;
  }
  img.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  if (img.width > 65536 || img.height > 65536) {
    png_image_free (&img);
    g_free (buf);
    return vae_set_error (err, VAE_ERR_DATA, "%s: %ux%u too large", path,
        img.width, img.height);
  }
  out->w = (int) img.width;
  out->h = (int) img.height;
  out->pixels = malloc (PNG_IMAGE_SIZE (img));
  if (out->pixels == NULL) {
    png_image_free (&img);
    g_free (buf);
    return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
  }
  if (!png_image_finish_read (&img, NULL, out->pixels, 0, NULL)) {
    vae_set_error (err, VAE_ERR_DATA, "%s: %s", path, img.message);
    vae_image_clear (out);
    g_free (buf);
    return VAE_ERR_DATA;
  }
  g_free (buf);
  if (colour) {
    size_t n = (size_t) out->w * out->h;
    uint8_t *ycc = malloc (3 * n);
    if (ycc == NULL) {
      vae_image_clear (out);
      return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
    }
    rgb_to_ycbcr (out->pixels, ycc, n);
    free (out->pixels);
    out->pixels = ycc;
    out->planes = 3;
  }
  return VAE_OK;
}

int
vae_image_load (const char *path, VaeImage *out, VaeError *err)
{
  return image_load (path, 0, out, err);
}

int
vae_image_load_ycbcr (const char *path, VaeImage *out, VaeError *err)
{
  return image_load (path, 1, out, err);
}

int
vae_image_save_png (const char *path, const uint8_t *pixels, int w, int h,
    int stride, VaeError *err)
{
  png_image img;
  memset (&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = (png_uint_32) w;
  img.height = (png_uint_32) h;
  img.format = PNG_FORMAT_GRAY;
  if (!png_image_write_to_file (&img, path, 0, pixels, stride, NULL))
    return vae_set_error (err, VAE_ERR_IO, "cannot write %s: %s", path,
        img.message);
  return VAE_OK;
}

static int
name_cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

void
vae_image_set_clear (VaeImageSet *s)
{
  for (int i = 0; i < s->n; i++) {
    vae_image_clear (&s->images[i]);
    g_free (s->names[i]);
  }
  free (s->images);
  free (s->names);
  memset (s, 0, sizeof *s);
}

static int
set_load_dir (const char *dir, int colour, VaeImageSet *out, VaeError *err)
{
  GError *gerr = NULL;
  GDir *d = g_dir_open (dir, 0, &gerr);
  GPtrArray *names;
  const char *e;
  int rc = VAE_OK;

  memset (out, 0, sizeof *out);
  if (d == NULL) {
    vae_set_error (err, VAE_ERR_IO, "%s", gerr->message);
    g_error_free (gerr);
    return VAE_ERR_IO;
  }
  names = g_ptr_array_new ();
  while ((e = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (e, ".png") || g_str_has_suffix (e, ".pgm")
        || g_str_has_suffix (e, ".PNG"))
      g_ptr_array_add (names, g_build_filename (dir, e, NULL));
  g_dir_close (d);
  if (names->len == 0) {
    g_ptr_array_free (names, TRUE);
    return vae_set_error (err, VAE_ERR_DATA, "%s: no PNG or PGM images",
        dir);
  }
  qsort (names->pdata, names->len, sizeof (gpointer), name_cmp);
  out->images = calloc (names->len, sizeof (VaeImage));
  out->names = calloc (names->len, sizeof (char *));
  if (!out->images || !out->names) {
    for (guint i = 0; i < names->len; i++)
      g_free (names->pdata[i]);
    g_ptr_array_free (names, TRUE);
    free (out->images);
    free (out->names);
    memset (out, 0, sizeof *out);
    return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
  }
  for (guint i = 0; i < names->len; i++) {
    out->names[i] = names->pdata[i];
    out->n = (int) i + 1;
    if (rc == VAE_OK)
      rc = image_load (out->names[i], colour, &out->images[i], err);
  }
  g_ptr_array_free (names, TRUE);
  if (rc != VAE_OK)
    vae_image_set_clear (out);
  return rc;
}

int
vae_image_set_load_dir (const char *dir, VaeImageSet *out, VaeError *err)
{
  return set_load_dir (dir, 0, out, err);
}

int
vae_image_set_load_dir_ycbcr (const char *dir, VaeImageSet *out,
    VaeError *err)
{
  return set_load_dir (dir, 1, out, err);
}

void
vae_image_set_sample_patch (const VaeImageSet *s, int pw, int ph, int augment,
    VaeRng *rng, float *out)
{
  vae_image_set_sample_patch_zoom (s, pw, ph, augment, 1.0f, rng, out);
}

/* A pw × ph patch of one plane of im (plane: its first pixel) under
 * flip/rotation t: from (fx0, fy0) enlarged zoom times, bilinearly, when
 * zoom > 1, else from (x0, y0). */
static void
sample_plane (const VaeImage *im, const uint8_t *plane, int pw, int ph,
    int t, float zoom, float fx0, float fy0, int x0, int y0, float *out)
{
  if (zoom > 1.0f) {
    for (int i = 0; i < ph; i++) {
      for (int j = 0; j < pw; j++) {
        int a, b;
        vae_sym_src (t, ph, pw, i, j, &a, &b);
        float fy = fy0 + a / zoom, fx = fx0 + b / zoom;
        int yy = (int) fy, xx = (int) fx;
        float wy = fy - yy, wx = fx - xx;
        int yy1 = yy + 1 < im->h ? yy + 1 : yy, xx1 = xx + 1 < im->w ? xx + 1 : xx;
        const uint8_t *r0 = plane + (size_t) yy * im->w;
        const uint8_t *r1 = plane + (size_t) yy1 * im->w;
        float v = (1.0f - wy) * ((1.0f - wx) * r0[xx] + wx * r0[xx1])
            + wy * ((1.0f - wx) * r1[xx] + wx * r1[xx1]);
        out[i * pw + j] = v / 255.0f;
      }
    }
    return;
  }
  for (int i = 0; i < ph; i++) {
    for (int j = 0; j < pw; j++) {
      int a, b;
      vae_sym_src (t, ph, pw, i, j, &a, &b);
      int yy = y0 + (a < im->h ? a : im->h - 1);
      int xx = x0 + (b < im->w ? b : im->w - 1);
      out[i * pw + j] = plane[(size_t) yy * im->w + xx] / 255.0f;
    }
  }
}

/* The random choices of a patch: image, flip/rotation and position. */
typedef struct {
  const VaeImage *im;
  int t, x0, y0;
  float zoom, fx0, fy0;
} PatchDraw;

static void
draw_patch (const VaeImageSet *s, int pw, int ph, int augment, float zoom,
    VaeRng *rng, PatchDraw *p)
{
  const VaeImage *im;
  int tries = 0;
  do {
    im = &s->images[vae_rng_below (rng, (uint32_t) s->n)];
  } while ((im->w < pw || im->h < ph) && ++tries < 100);
  memset (p, 0, sizeof *p);
  p->im = im;
  if (augment && pw == ph)
    p->t = (int) vae_rng_below (rng, 8);
  if (zoom > 1.0f && isfinite (zoom)) {
    /* The patch covers (p − 1)/zoom source pixels, sampled bilinearly: the
     * same scene at a higher resolution, smoother per pixel. */
    float ew = (pw - 1) / zoom, eh = (ph - 1) / zoom;
    p->zoom = zoom;
    p->fx0 = im->w - 1 > ew ? vae_rng_uniform (rng) * (im->w - 1 - ew) : 0;
    p->fy0 = im->h - 1 > eh ? vae_rng_uniform (rng) * (im->h - 1 - eh) : 0;
    return;
  }
  p->zoom = 1.0f;
  p->x0 = im->w > pw ? (int) vae_rng_below (rng, (uint32_t) (im->w - pw + 1)) : 0;
  p->y0 = im->h > ph ? (int) vae_rng_below (rng, (uint32_t) (im->h - ph + 1)) : 0;
}

void
vae_image_set_sample_patch_zoom (const VaeImageSet *s, int pw, int ph,
    int augment, float zoom, VaeRng *rng, float *out)
{
  PatchDraw p;
  draw_patch (s, pw, ph, augment, zoom, rng, &p);
  sample_plane (p.im, p.im->pixels, pw, ph, p.t, p.zoom, p.fx0, p.fy0, p.x0,
      p.y0, out);
}

void
vae_image_set_sample_yuv420 (const VaeImageSet *s, int pw, int ph,
    int augment, float zoom, VaeRng *rng, float *out)
{
  float ycc[3][VAE_MAX_PATCH * VAE_MAX_PATCH];
  int lh = ph / 3 * 2;        /* the luma patch is pw × lh */
  PatchDraw p;
  draw_patch (s, pw, lh, augment, zoom, rng, &p);
  for (int c = 0; c < 3; c++)
    sample_plane (p.im, p.im->pixels + (size_t) c * p.im->w * p.im->h
        , pw, lh, p.t, p.zoom, p.fx0, p.fy0, p.x0, p.y0,
        ycc[c]);
  for (int k = 0; k < lh / 2; k++) {
    float *o = out + (size_t) 3 * k * pw;
    memcpy (o, ycc[0] + 2 * k * pw, (size_t) 2 * pw * sizeof (float));
    for (int j = 0; j < pw / 2; j++)
      for (int c = 1; c < 3; c++) {
        const float *q = ycc[c] + 2 * k * pw + 2 * j;
        o[2 * pw + 2 * j + c - 1] = 0.25f * (q[0] + q[1] + q[pw] + q[pw + 1]);
      }
  }
}
