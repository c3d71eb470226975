/* vaedenoise's instance, shared by the element's files: gstvaedenoise.c
 * (properties, models, caps, events) and gstvaedenoiseframe.c (the
 * per-frame flow).  Private to the element. */
#ifndef GST_VAE_DENOISE_PRIV_H
#define GST_VAE_DENOISE_PRIV_H

#include <gst/video/video.h>

#include "gstvaedenoise.h"
#include "gstvaedenoiseengine.h"
#include "vae_pool.h"

G_BEGIN_DECLS

#define MAX_THREADS GST_VAE_MAX_BANDS
#define MAX_JOBS 3

typedef struct
{
  const guint8 *src;
  gint src_stride;
  guint8 *dst;
  gint dst_stride;
  gint width, height;
  gint next_tile;               /* the plane's next unclaimed GEMM tile */
  gfloat sigma;                 /* the level the model is given */
  const gfloat *map;            /* each region's share of it, or NULL */
  gint map_w, map_h, cell_w, cell_h;
} GstVaePlaneJob;

struct _GstVaeDenoise
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  gchar *model_name;
  gfloat noise_level;
  gfloat strength;
  gint stride;
  gint n_threads;
  GstVaeDenoiseChroma chroma;
  GstVaeDenoisePrecision precision;
  gboolean temporal;
  gboolean temporal_reset;      /* the next frame starts afresh */

  /* load_lock serialises start/stop with model swaps from property setters;
   * engine_lock guards model, engine and info, and is held for a whole
   * frame so swaps land between frames.  Order: load_lock, engine_lock. */
  GMutex load_lock;
  gboolean started;
  GMutex engine_lock;
  VaeModel *model;              /* the model, or model=auto's for GRAY8 */
  VaeModel *colour_model;       /* model=auto's for colour, else NULL */
  GstVaeEngine *engine;
  GstVideoInfo info;
  gboolean have_info;
  guint info_gen;
  gint n_bands;

  /* n_bands threads, from start to stop; the streaming thread runs band 0 */
  VaePool *pool;

  /* the current frame's job, written before the pool runs it */
  GstVaePlaneJob jobs[MAX_JOBS];
  gint n_jobs;
  gint blend;                   /* strength in 1/256, 256 = no blending */
  gint band_status[MAX_THREADS];
  GstVideoFrame *copy_out;      /* passthrough planes copy_from.. of copy_in */
  GstVideoFrame *copy_in;
  guint copy_from;
  GstVideoFrame *guide;         /* the frame whose chroma is guided */
  /* the packed RGB conversion in flight (gst_vae_denoise_convert) */
  GstVideoFrame *conv_in, *conv_out;
  gboolean conv_back, conv_chroma;
  /* the colour model's packing in flight (gst_vae_denoise_colour) */
  GstVideoFrame *pack_frame;
  GstVaeTemporal *pack_ts;
  gboolean pack_back, pack_chroma;
};

/* gstvaedenoiseframe.c: the GstVideoFilter transform_frame vfunc */
GstFlowReturn gst_vae_denoise_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in, GstVideoFrame * out);

G_END_DECLS
#endif
