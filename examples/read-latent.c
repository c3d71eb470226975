/* Reads the latent code vaeencode attaches to every frame, from a pad probe.
 *
 *   cc read-latent.c -o read-latent \
 *       $(pkg-config --cflags --libs gstreamer-vae-1.0)
 *   ./read-latent                       # 10 generated digits
 *   ./read-latent "videotestsrc num-buffers=5"
 *
 * The argument is any source description producing raw video.
 */
#include <gst/gst.h>
#ifdef GST_VAE_IN_TREE
#include "gstvaemeta.h"         /* built with the project, uninstalled */
#else
#include <gst/vae/gstvaemeta.h>
#endif

static GstPadProbeReturn
on_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVaeLatentMeta *meta = gst_buffer_get_vae_latent_meta (buf);

  if (meta == NULL)
    return GST_PAD_PROBE_OK;
  g_print ("frame %3" G_GUINT64_FORMAT "  score %7.1f  rec %7.1f  z = [",
      meta->frame, meta->score, meta->reconstruction_error);
  for (guint i = 0; i < meta->n_latent && i < 4; i++)
    g_print (" %+.2f", meta->mu[i]);
  g_print ("%s ]  (%u dims, %s)\n", meta->n_latent > 4 ? " ..." : "",
      meta->n_latent, meta->model);
  return GST_PAD_PROBE_OK;
}

int
main (int argc, char **argv)
{
  const gchar *src = argc > 1 ? argv[1] : "vaesample num-buffers=10";
  GError *err = NULL;
  GstElement *pipe, *enc;
  GstPad *pad;
  GstMessage *msg;
  gchar *desc;
  int ret = 0;

  gst_init (&argc, &argv);
  desc = g_strdup_printf ("%s ! videoconvert ! vaeencode name=enc ! "
      "fakesink", src);
  pipe = gst_parse_launch (desc, &err);
  g_free (desc);
  if (pipe == NULL) {
    g_printerr ("%s\n", err->message);
    g_error_free (err);
    return 1;
  }

  enc = gst_bin_get_by_name (GST_BIN (pipe), "enc");
  pad = gst_element_get_static_pad (enc, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (enc);

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("%s\n", err->message);
    g_error_free (err);
    ret = 1;
  }
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  return ret;
}
