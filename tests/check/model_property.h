/* A check shared by the tests of the elements that read their model in
 * start() (vaeencode, vaesample). */
#ifndef VAE_CHECK_MODEL_PROPERTY_H
#define VAE_CHECK_MODEL_PROPERTY_H

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

/* h's element plays with model: a new model is refused with a warning and
 * the property keeps naming the model in use; in READY it is taken. */
static void
check_model_ready_only (GstHarness * h, const gchar * model)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (h->element), "model");
  gchar *name;

  fail_unless (pspec->flags & GST_PARAM_MUTABLE_READY);
  fail_if (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  ASSERT_WARNING (g_object_set (h->element, "model", "other.safetensors",
          NULL));
  g_object_get (h->element, "model", &name, NULL);
  fail_unless_equals_string (name, model);
  g_free (name);
  fail_unless_equals_int (gst_element_set_state (h->element,
          GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  g_object_set (h->element, "model", "other.safetensors", NULL);
  g_object_get (h->element, "model", &name, NULL);
  fail_unless_equals_string (name, "other.safetensors");
  g_free (name);
}

#endif
