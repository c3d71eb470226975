/* gst-vae: vaesample, video decoded from latent vectors. */
#ifndef GST_VAE_SAMPLE_H
#define GST_VAE_SAMPLE_H

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>
#include <gst/video/video.h>

#include "vae.h"
#include "gstvaecommon.h"

G_BEGIN_DECLS

typedef enum {
  GST_VAE_SAMPLE_MODE_RANDOM = 0,
  GST_VAE_SAMPLE_MODE_WALK = 1,
  GST_VAE_SAMPLE_MODE_INTERPOLATE = 2,
  GST_VAE_SAMPLE_MODE_GRID = 3,
} GstVaeSampleMode;

#define GST_TYPE_VAE_SAMPLE_MODE (gst_vae_sample_mode_get_type ())
GType gst_vae_sample_mode_get_type (void);

#define GST_TYPE_VAE_SAMPLE (gst_vae_sample_get_type ())
G_DECLARE_FINAL_TYPE (GstVaeSample, gst_vae_sample, GST, VAE_SAMPLE,
    GstPushSrc)

struct _GstVaeSample {
  GstPushSrc parent;

  /* properties, under the object lock */
  gchar *model_name;
  guint64 seed;
  gfloat temperature;
  GstVaeSampleMode mode;
  guint transition_frames;
  guint grid_cols, grid_rows;
  guint scale;

  /* from start() to stop(); tiles = cols x rows decoded per frame */
  VaeModel *model;
  VaeWorkspace *ws;
  gint n_latent, img_w, img_h;
  GstVaeSampleMode run_mode;
  guint64 run_seed;             /* seed, READY-only: read once here */
  guint cols, rows;
  gfloat *z;                    /* (cols * rows, n_latent) */
  gfloat *xhat;                 /* (cols * rows, img_h * img_w) */
  gfloat *key0, *key1;          /* (n_latent), interpolation end points */
  gfloat *walk;                 /* (n_latent), random-walk state */
  gint64 walk_frame;            /* frame the walk state belongs to, or -1 */
  VaeRng walk_rng;

  /* from set_caps() */
  GstVideoInfo info;
  GstVaeGrayFrame tiles;        /* cols * img_w x rows * img_h, to info */

  /* timing, in the streaming thread */
  gint64 n_frames;
  GstClockTime running_time;
};

GST_ELEMENT_REGISTER_DECLARE (vaesample);

G_END_DECLS
#endif /* GST_VAE_SAMPLE_H */
