/* A model's configuration as the JSON text in its file's metadata
 * ("config"), and back. */
#include "vae_private.h"
#include "config_json.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- write */

static void
add_int_array (JsonBuilder *b, const char *key, const int *v, int n)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_builder_add_int_value (b, v[i]);
  json_builder_end_array (b);
}

char *
vae_config_to_json (const VaeConfig *c)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  char *s;

  json_builder_begin_object (b);
#define S(k, v) json_builder_set_member_name (b, k); json_builder_add_string_value (b, v)
#define I(k, v) json_builder_set_member_name (b, k); json_builder_add_int_value (b, v)
#define D(k, v) json_builder_set_member_name (b, k); json_builder_add_double_value (b, v)
  S ("kind", vae_kind_name (c->kind));
  S ("likelihood", c->likelihood == VAE_LIK_BERNOULLI ? "bernoulli" : "gaussian");
  I ("img_w", c->img_w);
  I ("img_h", c->img_h);
  add_int_array (b, "enc", c->enc, c->n_enc);
  I ("latent", c->n_latent);
  add_int_array (b, "dec", c->dec, c->n_dec);
  S ("act", vae_act_name (c->act));
  S ("code_act", vae_act_name (c->code_act));
  D ("obs_sigma", c->obs_sigma);
  D ("sparse_rho", c->sparse_rho);
  D ("sparse_beta", c->sparse_beta);
  S ("noise", vae_noise_name (c->noise));
  D ("noise_min", c->noise_min);
  D ("noise_max", c->noise_max);
  I ("residual", c->residual);
  I ("noise_input", c->noise_input);
  D ("norm_mean", c->norm_mean);
  D ("norm_scale", c->norm_scale);
  if (c->conv_depth > 0) {    /* absent from dense models' files */
    I ("conv_depth", c->conv_depth);
    I ("conv_width", c->conv_width);
    I ("conv_kernel", c->conv_kernel);
  }
  if (c->colour) {            /* absent from one-plane models' files */
    S ("colour", "yuv420");
  }
#undef S
#undef I
#undef D
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  s = json_to_string (root, FALSE);
  json_node_unref (root);
  g_object_unref (b);
  return s;
}

/* ----------------------------------------------------------------- read */

static int
get_int (JsonObject *o, const char *key, long lo, long hi, int *out,
    VaeError *err)
{
  JsonNode *n = json_object_get_member (o, key);
  gint64 v;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_INT64)
    return vae_set_error (err, VAE_ERR_CONFIG,
        "config field \"%s\" missing or not an integer", key);
  v = json_node_get_int (n);
  if (v < lo || v > hi)
    return vae_set_error (err, VAE_ERR_DIMS,
        "config field \"%s\" = %" G_GINT64_FORMAT " outside %ld..%ld", key, v,
        lo, hi);
  *out = (int) v;
  return VAE_OK;
}

static int
get_float (JsonObject *o, const char *key, float *out, VaeError *err)
{
  JsonNode *n = json_object_get_member (o, key);
  GType t;
  double v;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return vae_set_error (err, VAE_ERR_CONFIG,
        "config field \"%s\" missing or not a number", key);
  t = json_node_get_value_type (n);
  if (t == G_TYPE_DOUBLE)
    v = json_node_get_double (n);
  else if (t == G_TYPE_INT64)
    v = (double) json_node_get_int (n);
  else
    return vae_set_error (err, VAE_ERR_CONFIG,
        "config field \"%s\" is not a number", key);
  if (!isfinite (v) || fabs (v) > 1e30)
    return vae_set_error (err, VAE_ERR_CONFIG,
        "config field \"%s\" is not a finite number", key);
  *out = (float) v;
  return VAE_OK;
}

static int
get_enum (JsonObject *o, const char *key, int (*from_name) (const char *),
    int *out, VaeError *err)
{
  JsonNode *n = json_object_get_member (o, key);
  int v;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return vae_set_error (err, VAE_ERR_CONFIG,
        "config field \"%s\" missing or not a string", key);
  v = from_name (json_node_get_string (n));
  if (v < 0)
    return vae_set_error (err, VAE_ERR_CONFIG,
        "config field \"%s\" has unknown value \"%s\"", key,
        json_node_get_string (n));
  *out = v;
  return VAE_OK;
}

static int
lik_from_name (const char *s)
{
  return strcmp (s, "gaussian") == 0 ? VAE_LIK_GAUSSIAN
      : strcmp (s, "bernoulli") == 0 ? VAE_LIK_BERNOULLI : -1;
}

static int
get_int_array (JsonObject *o, const char *key, int *v, int *n, VaeError *err)
{
  JsonNode *node = json_object_get_member (o, key);
  JsonArray *a;
  guint len;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return vae_set_error (err, VAE_ERR_CONFIG,
        "config field \"%s\" missing or not an array", key);
  a = json_node_get_array (node);
  len = json_array_get_length (a);
  if (len > VAE_MAX_HIDDEN)
    return vae_set_error (err, VAE_ERR_DIMS,
        "config field \"%s\" has %u layers, at most %d allowed", key, len,
        VAE_MAX_HIDDEN);
  for (guint i = 0; i < len; i++) {
    JsonNode *e = json_array_get_element (a, i);
    gint64 x;
    if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_INT64)
      return vae_set_error (err, VAE_ERR_CONFIG,
          "config field \"%s\"[%u] is not an integer", key, i);
    x = json_node_get_int (e);
    if (x < 1 || x > VAE_MAX_DIM)
      return vae_set_error (err, VAE_ERR_DIMS,
          "config field \"%s\"[%u] = %" G_GINT64_FORMAT " outside 1..%d", key,
          i, x, VAE_MAX_DIM);
    v[i] = (int) x;
  }
  *n = (int) len;
  return VAE_OK;
}

int
vae_config_from_json (const char *text, VaeConfig *c, VaeError *err)
{
  JsonParser *p = json_parser_new ();
  JsonNode *root;
  JsonObject *o;
  int rc, v;

  *c = vae_config_default ();
  if (!json_parser_load_from_data (p, text, -1, NULL)
      || (root = json_parser_get_root (p)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_object_unref (p);
    return vae_set_error (err, VAE_ERR_CONFIG,
        "metadata \"config\" is not a JSON object");
  }
  o = json_node_get_object (root);
#define TRY(x) if ((rc = (x)) != VAE_OK) goto out
  TRY (get_enum (o, "kind", vae_kind_from_name, &v, err));
  c->kind = v;
  TRY (get_enum (o, "likelihood", lik_from_name, &v, err));
  c->likelihood = v;
  TRY (get_int (o, "img_w", 1, 4096, &c->img_w, err));
  TRY (get_int (o, "img_h", 1, 4096, &c->img_h, err));
  TRY (get_int_array (o, "enc", c->enc, &c->n_enc, err));
  TRY (get_int (o, "latent", 1, VAE_MAX_DIM, &c->n_latent, err));
  TRY (get_int_array (o, "dec", c->dec, &c->n_dec, err));
  TRY (get_enum (o, "act", vae_act_from_name, &v, err));
  c->act = v;
  TRY (get_enum (o, "code_act", vae_act_from_name, &v, err));
  c->code_act = v;
  TRY (get_float (o, "obs_sigma", &c->obs_sigma, err));
  TRY (get_float (o, "sparse_rho", &c->sparse_rho, err));
  TRY (get_float (o, "sparse_beta", &c->sparse_beta, err));
  TRY (get_enum (o, "noise", vae_noise_from_name, &v, err));
  c->noise = v;
  TRY (get_float (o, "noise_min", &c->noise_min, err));
  TRY (get_float (o, "noise_max", &c->noise_max, err));
  TRY (get_int (o, "residual", 0, 1, &c->residual, err));
  TRY (get_int (o, "noise_input", 0, 1, &c->noise_input, err));
  TRY (get_float (o, "norm_mean", &c->norm_mean, err));
  TRY (get_float (o, "norm_scale", &c->norm_scale, err));
  if (json_object_has_member (o, "conv_depth")) {
    TRY (get_int (o, "conv_depth", 1, VAE_MAX_CONV_DEPTH, &c->conv_depth, err));
    TRY (get_int (o, "conv_width", 1, VAE_MAX_CONV_WIDTH, &c->conv_width, err));
    TRY (get_int (o, "conv_kernel", 1, VAE_MAX_CONV_KERNEL, &c->conv_kernel,
            err));
  }
  if (json_object_has_member (o, "colour")) {
    JsonNode *n = json_object_get_member (o, "colour");
    const char *v = JSON_NODE_HOLDS_VALUE (n)
        && json_node_get_value_type (n) == G_TYPE_STRING
        ? json_node_get_string (n) : "";
    if (strcmp (v, "yuv420") != 0) {
      rc = vae_set_error (err, VAE_ERR_CONFIG, "unknown colour layout "
          "\"%s\" (yuv420)", v);
      goto out;
    }
    c->colour = VAE_COLOUR_YUV420;
  }
#undef TRY
  if ((long) c->img_w * c->img_h > VAE_MAX_DIM) {
    rc = vae_set_error (err, VAE_ERR_DIMS, "input %dx%d exceeds %d values",
        c->img_w, c->img_h, VAE_MAX_DIM);
    goto out;
  }
  c->n_in = c->img_w * c->img_h;
  rc = vae_config_validate (c, err);
out:
  g_object_unref (p);
  return rc;
}
