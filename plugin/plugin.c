/* gst-vae: learned video denoising and autoencoders for GStreamer. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstvaedenoise.h"
#include "gstvaenoise.h"
#include "gstvaeencode.h"
#include "gstvaesample.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (vaedenoise, plugin);
  ret |= GST_ELEMENT_REGISTER (vaenoise, plugin);
  ret |= GST_ELEMENT_REGISTER (vaeencode, plugin);
  ret |= GST_ELEMENT_REGISTER (vaesample, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, vae,
    "Learned video denoising and autoencoders (AE, DAE, VAE)",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
