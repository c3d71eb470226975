/* The GEnum types of the elements' properties, registered for
 * gst-inspect, gst_util_set_object_arg() and bindings; the values are
 * documented in the elements' headers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstvaedenoise.h"
#include "gstvaenoise.h"
#include "gstvaesample.h"

GType
gst_vae_denoise_chroma_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_VAE_DENOISE_CHROMA_PASSTHROUGH, "Copy chroma unchanged",
        "passthrough"},
    {GST_VAE_DENOISE_CHROMA_DENOISE, "Denoise chroma: jointly with luma "
          "with a colour model, plane by plane with a one-plane model",
        "denoise"},
    {GST_VAE_DENOISE_CHROMA_AUTO, "Denoise with a colour model, copy with "
          "a one-plane model", "auto"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstVaeDenoiseChroma", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_vae_denoise_precision_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_VAE_DENOISE_PRECISION_AUTO,
        "int8 where the model has int8 weights and the CPU AVX512_VNNI, or "
          "AVX2 without AVX-512; else bf16 where the CPU has AVX512_BF16 and "
          "the model allows; else fp32",
        "auto"},
    {GST_VAE_DENOISE_PRECISION_FP32, "Float throughout", "fp32"},
    {GST_VAE_DENOISE_PRECISION_BF16,
        "bf16 products, float sums (an error without AVX512_BF16)", "bf16"},
    {GST_VAE_DENOISE_PRECISION_INT8,
          "8-bit pixels and activations times 7-bit weights, exact int32 sums "
          "(an error for a model without int8 weights)", "int8"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstVaeDenoisePrecision", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_vae_noise_type_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_VAE_NOISE_TYPE_GAUSSIAN, "Additive Gaussian (sigma)", "gaussian"},
    {GST_VAE_NOISE_TYPE_SALT_AND_PEPPER,
        "Salt and pepper: values to 0 or 255 (probability)", "salt-and-pepper"},
    {GST_VAE_NOISE_TYPE_MASKING, "Masking: values to 0 (probability)",
        "masking"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstVaeNoiseType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_vae_noise_planes_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_VAE_NOISE_PLANES_LUMA, "Luma only", "luma"},
    {GST_VAE_NOISE_PLANES_ALL, "All planes", "all"},
    {GST_VAE_NOISE_PLANES_RGB, "Gaussian noise per RGB channel, as it shows "
          "in Y, Cb and Cr", "rgb"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstVaeNoisePlanes", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_vae_sample_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_VAE_SAMPLE_MODE_RANDOM, "A fresh latent every frame", "random"},
    {GST_VAE_SAMPLE_MODE_WALK, "Smooth random walk on the prior", "walk"},
    {GST_VAE_SAMPLE_MODE_INTERPOLATE,
        "Spherical interpolation between random key latents", "interpolate"},
    {GST_VAE_SAMPLE_MODE_GRID,
        "grid-cols x grid-rows samples in one frame (the manifold for a "
          "2-D latent)", "grid"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstVaeSampleMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}
