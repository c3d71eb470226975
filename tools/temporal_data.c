/* temporal:DIR[,N] training data: what vaedenoise's temporal stage hands
 * its spatial model.  Short sequences are made from DIR's gray pictures
 * (a crop panning at a random sub-pixel speed, sometimes still, sometimes
 * with a square from elsewhere moving across it, on the picture enlarged
 * up to 3 times for half of them), Gaussian noise of a
 * random level is added, rounded and clipped to 8 bits, and the sequence
 * goes through core/temporal.c; patches of its last average are the
 * inputs, the same patches of the clean last frame the targets, and each
 * patch's level the noise level times the stage's level (gain 1) at the
 * patch's centre, as the element gives it. */
#include "vae_tool.h"
#include "vae_temporal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEQ 96                  /* the crop's side */
#define MAX_FRAMES 16
#define MAX_SPEED 3.0           /* pixels per frame */
#define OBJECT 24               /* the moving square's side */
#define PATCHES 32              /* patches taken from each sequence */

/* The picture's value at (x, y), bilinear, clamped to the picture. */
static float
bilinear (const VaeImage *im, double x, double y)
{
  int x0 = (int) floor (x), y0 = (int) floor (y);
  float fx = (float) (x - x0), fy = (float) (y - y0);
  int xa = CLAMP (x0, 0, im->w - 1), xb = CLAMP (x0 + 1, 0, im->w - 1);
  int ya = CLAMP (y0, 0, im->h - 1), yb = CLAMP (y0 + 1, 0, im->h - 1);
  const uint8_t *p = im->pixels;
  float top = p[ya * im->w + xa] + fx * (p[ya * im->w + xb]
      - p[ya * im->w + xa]);
  float bot = p[yb * im->w + xa] + fx * (p[yb * im->w + xb]
      - p[yb * im->w + xa]);
  return top + fy * (bot - top);
}

/* One sequence's motion: the crop's origin and speed, and the square's. */
typedef struct {
  const VaeImage *im;
  double zoom;                  /* the picture enlarged this much */
  double x0, y0, vx, vy;
  int object;
  double ox, oy, ovx, ovy;      /* the square in the crop */
  double sx, sy;                /* its source in the picture */
} Motion;

static void
motion_draw (Motion *mo, const VaeImage *im, int frames, VaeRng *r)
{
  double travel;
  memset (mo, 0, sizeof *mo);
  mo->im = im;
  /* half the sequences on the picture enlarged 1..3 times (log-uniform):
   * video is smoother than photos, as for denoise-s's --zoom-max 3 */
  mo->zoom = vae_rng_uniform (r) < 0.5f ? exp (vae_rng_uniform (r) * log (3.0))
      : 1.0;
  if (vae_rng_uniform (r) >= 0.25f) {   /* a quarter stand still */
    mo->vx = MAX_SPEED * (2.0 * vae_rng_uniform (r) - 1.0);
    mo->vy = MAX_SPEED * (2.0 * vae_rng_uniform (r) - 1.0);
  }
  travel = MAX_SPEED * frames;
  /* the crop's path stays inside the picture where it can */
  mo->x0 = travel + vae_rng_uniform (r) * fmax (0.0, im->w * mo->zoom - SEQ
      - 2 * travel);
  mo->y0 = travel + vae_rng_uniform (r) * fmax (0.0, im->h * mo->zoom - SEQ
      - 2 * travel);
  mo->object = vae_rng_uniform (r) < 0.3f;
  if (mo->object) {
    mo->ox = vae_rng_uniform (r) * (SEQ - OBJECT);
    mo->oy = vae_rng_uniform (r) * (SEQ - OBJECT);
    mo->ovx = 2 * MAX_SPEED * (2.0 * vae_rng_uniform (r) - 1.0);
    mo->ovy = 2 * MAX_SPEED * (2.0 * vae_rng_uniform (r) - 1.0);
    mo->sx = vae_rng_uniform (r) * (im->w * mo->zoom - OBJECT);
    mo->sy = vae_rng_uniform (r) * (im->h * mo->zoom - OBJECT);
  }
}

/* Frame t of the sequence, clean (rounded to 8 bits). */
static void
motion_frame (const Motion *mo, int t, uint8_t *out)
{
  double ox = mo->ox + mo->ovx * t, oy = mo->oy + mo->ovy * t;
  for (int y = 0; y < SEQ; y++)
    for (int x = 0; x < SEQ; x++) {
      float v;
      if (mo->object && x >= ox && x < ox + OBJECT && y >= oy
          && y < oy + OBJECT)
        v = bilinear (mo->im, (mo->sx + x - ox) / mo->zoom, (mo->sy + y - oy)
            / mo->zoom);
      else
        v = bilinear (mo->im, (mo->x0 + x - mo->vx * t) / mo->zoom, (mo->y0
                + y - mo->vy * t) / mo->zoom);
      out[y * SEQ + x] = (uint8_t) (v + 0.5f);
    }
}

int
dataset_load_temporal (const char *spec, const VaeConfig *c, Dataset *d,
    VaeError *err)
{
  const char *comma = strchr (spec, ',');
  gchar *dir = comma ? g_strndup (spec, (gsize) (comma - spec))
      : g_strdup (spec);
  long n = comma ? strtol (comma + 1, NULL, 10) : 262144;
  int pw = c->img_w, ph = c->img_h, dim = pw * ph, rc;
  uint8_t *clean = NULL, *noisy = NULL, *avg = NULL;
  VaeTemporal *t = NULL;
  VaeRng r;
  long k = 0;

  memset (d, 0, sizeof *d);
  g_snprintf (d->desc, sizeof d->desc, "temporal:%s", spec);
  rc = vae_image_set_load_dir (dir, &d->images, err);
  g_free (dir);
  if (rc != VAE_OK)
    return rc;
  if (n < 1 || n > 16L << 20 || pw > SEQ || ph > SEQ || c->colour) {
    err->status = VAE_ERR_ARG;
    g_snprintf (err->msg, sizeof err->msg, "temporal data: %ld samples of "
        "%dx%d gray patches (1..16M, at most %d a side)", n, pw, ph, SEQ);
    return VAE_ERR_ARG;
  }
  d->n = (int) n;
  d->dim = dim;
  d->w = pw;
  d->h = ph;
  d->x = malloc ((size_t) n * dim * sizeof (float));
  d->xn = malloc ((size_t) n * dim * sizeof (float));
  d->lv = malloc ((size_t) n * sizeof (float));
  clean = malloc ((size_t) SEQ * SEQ);
  noisy = malloc ((size_t) SEQ * SEQ);
  avg = malloc ((size_t) SEQ * SEQ);
  t = vae_temporal_new (SEQ, SEQ, 1, 0, 0, err);
  if (!d->x || !d->xn || !d->lv || !clean || !noisy || !avg || !t) {
    rc = t ? VAE_ERR_NOMEM : err->status;
    goto out;
  }
  vae_rng_seed (&r, 0x7e3407a1);
  while (k < n) {
    const VaeImage *im = &d->images.images[vae_rng_below (&r,
            (uint32_t) d->images.n)];
    int frames = vae_rng_uniform (&r) < 0.25f ? 1
        : 2 + (int) vae_rng_below (&r, MAX_FRAMES - 1);
    float sigma = 255.0f * (c->noise_min + (c->noise_max - c->noise_min)
        * vae_rng_uniform (&r));
    VaePlane src = { noisy, SEQ, 1 }, dst = { avg, SEQ, 1 };
    const float *lv;
    int mw, mh;
    Motion mo;

    motion_draw (&mo, im, frames, &r);
    vae_temporal_reset (t);
    for (int f = 0; f < frames; f++) {
      motion_frame (&mo, f, clean);
      for (int i = 0; i < SEQ * SEQ; i++) {
        float v = roundf (clean[i] + sigma * vae_rng_normal (&r));
        noisy[i] = (uint8_t) (v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
      }
      vae_temporal_filter (t, &src, &dst, sigma);
    }
    lv = vae_temporal_levels (t, &mw, &mh);
    for (int p = 0; p < PATCHES && k < n; p++, k++) {
      int px = (int) vae_rng_below (&r, SEQ - pw + 1);
      int py = (int) vae_rng_below (&r, SEQ - ph + 1);
      int cx = MIN ((px + pw / 2) / VAE_TEMPORAL_CELL, mw - 1);
      int cy = MIN ((py + ph / 2) / VAE_TEMPORAL_CELL, mh - 1);
      for (int i = 0; i < ph; i++)
        for (int j = 0; j < pw; j++) {
          int o = (py + i) * SEQ + px + j;
          d->x[(size_t) k * dim + i * pw + j] = clean[o] / 255.0f;
          d->xn[(size_t) k * dim + i * pw + j] = avg[o] / 255.0f;
        }
      d->lv[k] = sigma / 255.0f * lv[cy * mw + cx];
    }
  }
  rc = VAE_OK;
out:
  vae_temporal_free (t);
  free (clean);
  free (noisy);
  free (avg);
  return rc;
}
