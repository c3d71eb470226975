/* vaedenoise's noise levels, from the property or an estimate.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstvaedenoiselevel.h"

#include <math.h>

#include "vae.h"

void
gst_vae_noise_gains (const GstVideoInfo * info, gfloat gain[3])
{
  vae_noise_gains (info->colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709,
      info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255, gain);
}

gfloat
gst_vae_plane_level (const GstVideoFrame * f, guint comp,
    const guint8 * data, gint stride, gint w, gint h, gfloat level,
    gboolean noise_input, const gfloat gain[3])
{
  if (!noise_input)
    return 0.0f;
  /* chroma converted from RGB holds low-passed noise: the Haar estimate */
  if (level < 0.0f)
    return comp == 0 ? vae_estimate_noise_u8 (data, stride, w, h)
        : vae_estimate_noise_haar_u8 (data, stride, w, h);
  if (GST_VIDEO_INFO_IS_GRAY (&f->info))
    return level;
  if (comp == 0)
    return level * gain[0];
  return level * gain[comp] / sqrtf ((gfloat) (1 <<
          (GST_VIDEO_FORMAT_INFO_W_SUB (f->info.finfo, comp)
              + GST_VIDEO_FORMAT_INFO_H_SUB (f->info.finfo, comp))));
}

gfloat
gst_vae_colour_level (gfloat ylevel)
{
  gfloat ref[3];

  vae_noise_gains (0, 0, ref);
  return ylevel / ref[0];
}
