/* vaedenoise's per-size state: one core denoiser per band, the patch store
 * they share and, for NV12/NV21, the chroma split into planes; for packed
 * RGB, the YUV frames it is denoised in.  Private to the element. */
#ifndef GST_VAE_DENOISE_ENGINE_H
#define GST_VAE_DENOISE_ENGINE_H

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstvaedenoise.h"
#include "gstvaedenoiseconv.h"
#include "gstvaedenoisetemporal.h"
#include "vae.h"

G_BEGIN_DECLS

#define GST_VAE_MAX_BANDS 64

/* Everything that depends on the negotiated caps and the model: one
 * denoiser per band, for NV12/NV21 the de-interleaved chroma, for packed
 * RGB its YUV frames.  A colour model denoises one plane that interleaves
 * the frame's Y, Cb and Cr rows (core/colour.c), packed from the stream's
 * 4:2:0 planes (or from GRAY8 with neutral chroma) or from I420 frames
 * converted from the other layouts. */
typedef struct
{
  const VaeModel *model;
  gboolean colour;              /* a colour model */
  gint n;
  VaeDenoiser *dn[GST_VAE_MAX_BANDS];
  guint8 *pin, *pout;           /* colour: the interleaved planes */
  gint pack_w, pack_h;
  guint8 *neutral;              /* colour on GRAY8: a row of chroma 128 */
  gint width, height;
  GstVideoFormat format;
  GstVideoColorimetry colorimetry;
  gint stride;
  GstVaeDenoisePrecision precision;
  guint8 *uv;                   /* (4, ch, cw): src U, src V, dst U, dst V */
  gint cw, ch;
  gfloat *store;                /* denoised patches of the plane in flight */
  GstVaeConv *conv;             /* frames denoised in another format */
  /* the noise per unit of RGB noise σ in each plane denoised */
  gfloat noise_gain[3];
  /* the opponent space's denoised chroma, which the guided filter
   * (vae_guided_filter_u8) then writes into the frame guided by its luma:
   * 2 planes of width × height, and each band's scratch; NULL elsewhere */
  guint8 *guided;
  gfloat *guided_scratch;
  GstVaeTemporal *temporal;     /* the past of the working frames */
  gboolean level_maps;          /* the model takes a level per region */
} GstVaeEngine;

/* The guided filter of the opponent space's chroma: its radius at half
 * resolution and eps (8-bit units squared of the luma), models/README.md */
#define GST_VAE_GUIDED_RADIUS 1
#define GST_VAE_GUIDED_EPS 100.0f

/* Whether model denoises at all with stride and precision (the core
 * refuses some patch/stride combinations, and precisions the CPU or the
 * model lack): what it computes in, for the log, or NULL with *msg set. */
const gchar *gst_vae_engine_check (const VaeModel * model, gint stride,
    GstVaeDenoisePrecision precision, gchar ** msg);

/* n bands of info's size (and for RGB, converters on n threads).  On
 * failure returns NULL and sets *msg.  The engine keeps a pointer to
 * model, which must outlive it. */
GstVaeEngine *gst_vae_engine_new (const VaeModel * model,
    const GstVideoInfo * info, gint n, gint stride,
    GstVaeDenoisePrecision precision, gchar ** msg);
void gst_vae_engine_free (GstVaeEngine * e);

/* Whether e (may be NULL) was made for these arguments. */
gboolean gst_vae_engine_fits (const GstVaeEngine * e,
    const VaeModel * model, const GstVideoInfo * info, gint n, gint stride,
    GstVaeDenoisePrecision precision);

/* Colour: frame's Y, U and V (frame is the stream's, or e->conv->in), or
 * with ts the temporal stage's averaged luma and the chroma where it
 * averaged them, into e->pin; e->pout's luma and (unless chroma is FALSE)
 * chroma back into frame.  Band band of n_bands does its share of the
 * rows, so the bands may run at once. */
void gst_vae_engine_pack (const GstVaeEngine * e, const GstVideoFrame * frame,
    const GstVaeTemporal * ts, gint band, gint n_bands);
void gst_vae_engine_unpack (const GstVaeEngine * e, GstVideoFrame * frame,
    gboolean chroma, gint band, gint n_bands);

/* NV12/NV21: in's interleaved chroma into the U and V source planes, and
 * the denoised U and V planes back into out's. */
void gst_vae_engine_split_uv (const GstVaeEngine * e,
    const GstVideoFrame * in);
void gst_vae_engine_merge_uv (const GstVaeEngine * e, GstVideoFrame * out);

G_END_DECLS
#endif /* GST_VAE_DENOISE_ENGINE_H */
