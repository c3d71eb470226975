/* vaenoise: adds Gaussian, salt-and-pepper or masking noise to raw video. */
#ifndef GST_VAE_NOISE_H
#define GST_VAE_NOISE_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include "vae.h"

G_BEGIN_DECLS

#define GST_TYPE_VAE_NOISE (gst_vae_noise_get_type ())
G_DECLARE_FINAL_TYPE (GstVaeNoise, gst_vae_noise, GST, VAE_NOISE,
    GstVideoFilter)

/**
 * GstVaeNoiseType:
 * @GST_VAE_NOISE_TYPE_GAUSSIAN: x + N(0, sigma²), rounded and clipped
 * @GST_VAE_NOISE_TYPE_SALT_AND_PEPPER: each value becomes 0 or 255 with
 *   probability/2 each
 * @GST_VAE_NOISE_TYPE_MASKING: each value becomes 0 with the probability
 */
typedef enum
{
  GST_VAE_NOISE_TYPE_GAUSSIAN = 0,
  GST_VAE_NOISE_TYPE_SALT_AND_PEPPER = 1,
  GST_VAE_NOISE_TYPE_MASKING = 2,
} GstVaeNoiseType;

/**
 * GstVaeNoisePlanes:
 * @GST_VAE_NOISE_PLANES_LUMA: only the luma (first) plane
 * @GST_VAE_NOISE_PLANES_ALL: every plane
 * @GST_VAE_NOISE_PLANES_RGB: Gaussian noise of sigma per RGB channel as it
 *   shows in the frame's Y, Cb and Cr (correlated, chroma averaged over its
 *   pixels), what vaedenoise's noise-level means on colour video; GRAY8 and
 *   impulse noise take it as all
 */
typedef enum
{
  GST_VAE_NOISE_PLANES_LUMA = 0,
  GST_VAE_NOISE_PLANES_ALL = 1,
  GST_VAE_NOISE_PLANES_RGB = 2,
} GstVaeNoisePlanes;

#define GST_TYPE_VAE_NOISE_TYPE (gst_vae_noise_type_get_type ())
GType gst_vae_noise_type_get_type (void);
#define GST_TYPE_VAE_NOISE_PLANES (gst_vae_noise_planes_get_type ())
GType gst_vae_noise_planes_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (vaenoise);

G_END_DECLS
#endif /* GST_VAE_NOISE_H */
