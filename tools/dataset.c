/* The training data: dataset specs and loading, batches, and the sampler
 * that prune and quantize calibrate on. */
#include "vae_tool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
dataset_clear (Dataset *d)
{
  free (d->x);
  free (d->xn);
  free (d->lv);
  vae_image_set_clear (&d->images);
  memset (d, 0, sizeof *d);
}

static void
file_sha256 (const char *path, char *out)
{
  gchar *buf = NULL, *s;
  gsize len;
  out[0] = '\0';
  if (g_file_get_contents (path, &buf, &len, NULL)) {
    s = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) buf, len);
    g_strlcpy (out, s, 65);
    g_free (s);
    g_free (buf);
  }
}

static void
dir_sha256 (const VaeImageSet *s, char *out)
{
  GChecksum *c = g_checksum_new (G_CHECKSUM_SHA256);
  for (int i = 0; i < s->n; i++) {
    char one[65];
    file_sha256 (s->names[i], one);
    g_checksum_update (c, (guchar *) one, 64);
  }
  g_strlcpy (out, g_checksum_get_string (c), 65);
  g_checksum_free (c);
}

/* mnist:, idx: and frey: files: rows of 8-bit pixels, scaled to [0, 1]. */
static int
dataset_load_rows (const char *type, const char *path, Dataset *d,
    VaeError *err)
{
  VaeImages im;
  int rc = strcmp (type, "frey") == 0 ? vae_images_load_frey (path, &im, err)
      : vae_images_load_idx (path, &im, err);
  if (rc != VAE_OK)
    return rc;
  d->n = im.n;
  d->w = im.w;
  d->h = im.h;
  d->dim = im.w * im.h;
  d->x = malloc ((size_t) d->n * d->dim * sizeof (float));
  if (d->x == NULL) {
    vae_images_clear (&im);
    return VAE_ERR_NOMEM;
  }
  for (size_t i = 0; i < (size_t) d->n * d->dim; i++)
    d->x[i] = im.pixels[i] / 255.0f;
  vae_images_clear (&im);
  file_sha256 (path, d->sha);
  return VAE_OK;
}

/* synthetic[:N]: rank-4 data in 32 dimensions, squashed into (0, 1);
 * count is N, or NULL for 4096. */
static int
dataset_synthetic (const char *count, Dataset *d, VaeError *err)
{
  VaeRng r;
  float basis[4][32];
  d->n = count ? atoi (count) : 4096;
  if (d->n < 16 || d->n > 1000000) {
    err->status = VAE_ERR_ARG;
    g_snprintf (err->msg, sizeof err->msg,
        "synthetic:%s: the count must be 16 to 1000000", count);
    return VAE_ERR_ARG;
  }
  d->w = 32;
  d->h = 1;
  d->dim = 32;
  vae_rng_seed (&r, 12345);
  for (int k = 0; k < 4; k++)
    for (int j = 0; j < 32; j++)
      basis[k][j] = vae_rng_normal (&r) * 0.25f;
  d->x = malloc ((size_t) d->n * 32 * sizeof (float));
  if (d->x == NULL)
    return VAE_ERR_NOMEM;
  for (int i = 0; i < d->n; i++) {
    float c[4];
    for (int k = 0; k < 4; k++)
      c[k] = vae_rng_normal (&r);
    for (int j = 0; j < 32; j++) {
      float v = 0.5f;
      for (int k = 0; k < 4; k++)
        v += c[k] * basis[k][j];
      d->x[(size_t) i * 32 + j] = 1.0f / (1.0f + expf (-4.0f * (v - 0.5f)));
    }
  }
  g_strlcpy (d->sha, "synthetic", sizeof d->sha);
  return VAE_OK;
}

/* colour:DIR[,DIR…]: the folders' images as Y'CbCr, in the order given,
 * each folder's sorted; patches come from each folder equally often,
 * whatever its number of images (at most 16 folders). */
static int
dataset_load_colour (const char *dirs, Dataset *d, VaeError *err)
{
  gchar **list = g_strsplit (dirs, ",", -1);
  VaeImageSet *all = &d->images;
  int rc = VAE_OK;
  if (g_strv_length (list) > G_N_ELEMENTS (d->group_end)) {
    g_strfreev (list);
    err->status = VAE_ERR_ARG;
    g_strlcpy (err->msg, "colour: at most 16 folders", sizeof err->msg);
    return VAE_ERR_ARG;
  }
  for (int k = 0; list[k] && rc == VAE_OK; k++) {
    VaeImageSet one;
    VaeImage *im;
    char **names;
    rc = vae_image_set_load_dir_ycbcr (list[k], &one, err);
    if (rc != VAE_OK)
      break;
    im = realloc (all->images, (size_t) (all->n + one.n) * sizeof *im);
    if (im)
      all->images = im;
    names = realloc (all->names, (size_t) (all->n + one.n) * sizeof *names);
    if (names)
      all->names = names;
    if (!im || !names) {
      vae_image_set_clear (&one);
      err->status = rc = VAE_ERR_NOMEM;
      g_strlcpy (err->msg, "out of memory", sizeof err->msg);
      break;
    }
    memcpy (all->images + all->n, one.images, (size_t) one.n * sizeof *im);
    memcpy (all->names + all->n, one.names, (size_t) one.n * sizeof *names);
    all->n += one.n;
    d->group_end[d->n_groups++] = all->n;
    free (one.images);
    free (one.names);
  }
  g_strfreev (list);
  if (rc != VAE_OK) {
    vae_image_set_clear (all);
    return rc;
  }
  d->colour = 1;
  d->img_lo = 0;
  d->img_hi = all->n;
  dir_sha256 (all, d->sha);
  return VAE_OK;
}

/* spec: mnist:PATH | idx:PATH | frey:PATH | images:DIR | colour:DIR[,DIR…]
 * | synthetic[:N] */
int
dataset_load (const char *spec, Dataset *d, VaeError *err)
{
  const char *colon = strchr (spec, ':');
  char type[32];
  const char *path;
  int rc;

  memset (d, 0, sizeof *d);
  if (colon == NULL) {
    g_strlcpy (type, spec, sizeof type);
    path = "";
  } else {
    size_t n = (size_t) (colon - spec);
    if (n >= sizeof type)
      n = sizeof type - 1;
    memcpy (type, spec, n);
    type[n] = '\0';
    path = colon + 1;
  }
  g_snprintf (d->desc, sizeof d->desc, "%s", spec);
  if (strcmp (type, "mnist") == 0 || strcmp (type, "idx") == 0
      || strcmp (type, "frey") == 0)
    return dataset_load_rows (type, path, d, err);
  if (strcmp (type, "images") == 0) {
    rc = vae_image_set_load_dir (path, &d->images, err);
    if (rc != VAE_OK)
      return rc;
    d->img_lo = 0;
    d->img_hi = d->images.n;
    dir_sha256 (&d->images, d->sha);
    return VAE_OK;
  }
  if (strcmp (type, "colour") == 0)
    return dataset_load_colour (path, d, err);
  if (strcmp (type, "synthetic") == 0)
    return dataset_synthetic (colon ? path : NULL, d, err);
  err->status = VAE_ERR_ARG;
  g_snprintf (err->msg, sizeof err->msg,
      "unknown data spec \"%s\" (mnist:PATH, idx:PATH, frey:PATH, "
      "images:DIR, colour:DIR[,DIR…], synthetic[:N])",
      spec);
  return VAE_ERR_ARG;
}

/* A folder drawn at random, its images within [img_lo, img_hi) as sub
 * (the whole range when that leaves none). */
static void
group_subset (const Dataset *d, VaeRng *rng, VaeImageSet *sub)
{
  int g = (int) vae_rng_below (rng, (uint32_t) d->n_groups);
  int lo = g > 0 ? d->group_end[g - 1] : 0, hi = d->group_end[g];
  lo = lo > d->img_lo ? lo : d->img_lo;
  hi = hi < d->img_hi ? hi : d->img_hi;
  if (lo >= hi) {
    lo = d->img_lo;
    hi = d->img_hi;
  }
  *sub = d->images;
  sub->images += lo;
  sub->n = hi - lo;
}

/* Fills a batch: rows from a shuffled order, or random patches. */
void
dataset_batch (const Dataset *d, const int *order, long pos, int batch,
    int pw, int ph, int augment, int binarize, double zoom_max,
    double zoom_prob, VaeRng *rng, float *out)
{
  if (d->n > 0) {
    for (int i = 0; i < batch; i++) {
      const float *src = d->x + (size_t) order[(pos + i) % d->n] * d->dim;
      float *o = out + (size_t) i * d->dim;
      if (binarize)
        for (int j = 0; j < d->dim; j++)
          o[j] = vae_rng_uniform (rng) < src[j] ? 1.0f : 0.0f;
      else
        memcpy (o, src, (size_t) d->dim * sizeof (float));
    }
  } else {
    VaeImageSet sub = d->images;
    sub.images += d->img_lo;
    sub.n = d->img_hi - d->img_lo;
    for (int i = 0; i < batch; i++) {
      float zoom = 1.0f;
      if (d->n_groups > 1)
        group_subset (d, rng, &sub);
      /* log-uniform in [1, zoom_max] for a zoom_prob share of the patches */
      if (zoom_prob > 0.0 && zoom_max > 1.0
          && vae_rng_uniform (rng) < zoom_prob)
        zoom = (float) exp (vae_rng_uniform (rng) * log (zoom_max));
      if (d->colour)
        vae_image_set_sample_yuv420 (&sub, pw, ph, augment, zoom, rng,
            out + (size_t) i * pw * ph);
      else
        vae_image_set_sample_patch_zoom (&sub, pw, ph, augment, zoom, rng,
            out + (size_t) i * pw * ph);
    }
  }
}

void
dataset_batch_inputs (const Dataset *d, const int *order, long pos,
    int batch, float *xn, float *lv)
{
  for (int i = 0; i < batch; i++) {
    int k = order[(pos + i) % d->n];
    memcpy (xn + (size_t) i * d->dim, d->xn + (size_t) k * d->dim,
        (size_t) d->dim * sizeof (float));
    lv[i] = d->lv[k];
  }
}

void
shuffle (int *order, int n, VaeRng *rng)
{
  for (int i = n - 1; i > 0; i--) {
    int j = (int) vae_rng_below (rng, (uint32_t) (i + 1));
    int t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

/* ------------------------------------------------- calibration samples */

/* Takes argv[*i] (and its value) when it is a sampling option: 1, with
 * *i moved past it; 0 when it is not one; -1 on a bad value (said). */
int
sampler_opt (Sampler *s, int argc, char **argv, int *i)
{
  const char *k = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  char *e = NULL;
  if (strcmp (k, "--augment") == 0) {
    s->augment = 1;
    return 1;
  }
  if (strcmp (k, "--data") != 0 && strcmp (k, "--samples") != 0
      && strcmp (k, "--seed") != 0 && strcmp (k, "--zoom-max") != 0
      && strcmp (k, "--zoom-prob") != 0 && strcmp (k, "--u8-fraction") != 0)
    return 0;
  if (v == NULL) {
    fail ("%s: %s needs a value", s->cmd, k);
    return -1;
  }
  ++*i;
  if (strcmp (k, "--data") == 0) s->data = v;
  else if (strcmp (k, "--samples") == 0) s->samples = strtol (v, &e, 10);
  else if (strcmp (k, "--seed") == 0) s->seed = strtol (v, &e, 10);
  else if (strcmp (k, "--zoom-max") == 0) s->zoom_max = strtod (v, &e);
  else if (strcmp (k, "--zoom-prob") == 0) s->zoom_prob = strtod (v, &e);
  else s->u8 = strtod (v, &e);
  if (e != NULL && (*e != '\0' || e == v)) {
    fail ("%s: %s: \"%s\" is not a number", s->cmd, k, v);
    return -1;
  }
  return 1;
}

/* Checks the options (samples within [lo, hi]) and loads the data for a
 * model of configuration c; VAE_OK, else said. */
int
sampler_open (Sampler *s, const VaeConfig *c, long lo, long hi)
{
  VaeError err;
  if (s->samples < lo || s->samples > hi || !(s->zoom_max >= 1.0
          && s->zoom_max <= 8.0) || !(s->zoom_prob >= 0.0
          && s->zoom_prob <= 1.0) || !(s->u8 >= 0.0 && s->u8 <= 1.0)) {
    fail ("%s: --samples %ld..%ld, --zoom-max 1..8, --zoom-prob and "
        "--u8-fraction 0..1", s->cmd, lo, hi);
    return VAE_ERR_ARG;
  }
  s->c = c;
  if (dataset_load (s->data, &s->d, &err) != VAE_OK) {
    fail ("%s: %s: %s", s->cmd, s->data, err.msg[0] ? err.msg
        : "cannot load");
    return VAE_ERR_IO;
  }
  if (s->d.n == 0 && s->d.colour != (c->colour != VAE_COLOUR_NONE)) {
    fail ("%s: %s: a %s model needs %s data", s->cmd, s->data, c->colour
        ? "colour" : "one-plane", c->colour ? "colour:DIR" : "images:DIR");
    return VAE_ERR_ARG;
  }
  if (s->d.n > 0 && s->d.dim != c->n_in) {
    fail ("%s: %s has %d values per sample, the model reads %d", s->cmd,
        s->data, s->d.dim, c->n_in);
    return VAE_ERR_ARG;
  }
  s->clean = malloc ((size_t) SAMPLER_BATCH * c->n_in * sizeof (float));
  if (s->d.n > 0)
    s->order = malloc ((size_t) s->d.n * sizeof (int));
  if (s->clean == NULL || (s->d.n > 0 && s->order == NULL)) {
    fail ("%s: out of memory", s->cmd);
    return VAE_ERR_NOMEM;
  }
  vae_rng_seed (&s->rng, (uint64_t) s->seed);
  for (int i = 0; i < s->d.n; i++)
    s->order[i] = i;
  if (s->d.n > 0)
    shuffle (s->order, s->d.n, &s->rng);
  s->o = vae_train_opts_default ();
  s->o.u8_fraction = (float) s->u8;
  return VAE_OK;
}

/* Samples [done, done + b), b ≤ SAMPLER_BATCH, into x (data units; the
 * clean ones for a model without noise) and, for a DAE, their levels
 * (data units) into lv. */
void
sampler_batch (Sampler *s, long done, int b, float *x, float *lv)
{
  const VaeConfig *c = s->c;
  dataset_batch (&s->d, s->order, done, b, c->img_w, c->img_h, s->augment,
      0, s->zoom_max, s->zoom_prob, &s->rng, s->clean);
  if (c->noise != VAE_NOISE_NONE)
    vae_corrupt_batch (c, &s->o, s->clean, b, &s->rng, x, lv);
  else
    memcpy (x, s->clean, (size_t) b * c->n_in * sizeof (float));
}

void
sampler_close (Sampler *s)
{
  dataset_clear (&s->d);
  free (s->order);
  free (s->clean);
}
