/* vaedenoise: learned patch denoiser for raw video. */
#ifndef GST_VAE_DENOISE_H
#define GST_VAE_DENOISE_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include "vae.h"

G_BEGIN_DECLS

#define GST_TYPE_VAE_DENOISE (gst_vae_denoise_get_type ())
G_DECLARE_FINAL_TYPE (GstVaeDenoise, gst_vae_denoise, GST, VAE_DENOISE,
    GstVideoFilter)

/**
 * GstVaeDenoiseChroma:
 * @GST_VAE_DENOISE_CHROMA_PASSTHROUGH: copy the chroma planes unchanged
 * @GST_VAE_DENOISE_CHROMA_DENOISE: denoise chroma: with a colour model,
 *   jointly with luma; with a one-plane model, plane by plane
 * @GST_VAE_DENOISE_CHROMA_AUTO: denoise with a colour model, copy with a
 *   one-plane model
 */
typedef enum
{
  GST_VAE_DENOISE_CHROMA_PASSTHROUGH = 0,
  GST_VAE_DENOISE_CHROMA_DENOISE = 1,
  GST_VAE_DENOISE_CHROMA_AUTO = 2,
} GstVaeDenoiseChroma;

#define GST_TYPE_VAE_DENOISE_CHROMA (gst_vae_denoise_chroma_get_type ())
GType gst_vae_denoise_chroma_get_type (void);

/**
 * GstVaeDenoisePrecision:
 * @GST_VAE_DENOISE_PRECISION_AUTO: int8, else bf16 where the CPU and model
 *   allow it, else fp32
 * @GST_VAE_DENOISE_PRECISION_FP32: float throughout
 * @GST_VAE_DENOISE_PRECISION_BF16: bfloat16 products, float sums
 * @GST_VAE_DENOISE_PRECISION_INT8: 8-bit products, exact int32 sums (the
 *   model's int8 weights)
 *
 * The values are those of the core's VaePrecision.
 */
typedef enum
{
  GST_VAE_DENOISE_PRECISION_AUTO = 0,
  GST_VAE_DENOISE_PRECISION_FP32 = 1,
  GST_VAE_DENOISE_PRECISION_BF16 = 2,
  GST_VAE_DENOISE_PRECISION_INT8 = 3,
} GstVaeDenoisePrecision;

#define GST_TYPE_VAE_DENOISE_PRECISION (gst_vae_denoise_precision_get_type ())
GType gst_vae_denoise_precision_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (vaedenoise);

G_END_DECLS
#endif /* GST_VAE_DENOISE_H */
