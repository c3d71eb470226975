/* Model files in the safetensors layout, parsed with json-glib (the
 * configuration in their metadata: config_json.c). */
#include "vae_private.h"
#include "config_json.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The most weight bytes an architecture read from memory may ask for. */
#define VAE_FILE_MAX_WEIGHTS ((size_t) 1 << 30)

/* ---------------------------------------------------------------- save */

/* A file's tensors: each layer's float weights and bias, and, for
 * quantised models (quant.c), its int8 weights, their row scales, the
 * bias that goes with them and, for hidden layers, the activation scales. */
enum { T_W, T_B, T_QW, T_QS, T_QB, T_QA, T_KINDS };
static const char *const tensor_name[T_KINDS][2] = {
  { "layers", "weight" }, { "layers", "bias" }, { "quant", "weight" },
  { "quant", "scale" }, { "quant", "bias" }, { "quant", "act_scale" },
};

/* Tensor `kind` of layer l as the file holds it: its data, elements, bytes
 * per element and shape (cols 0: a vector); NULL when the model has none. */
static const void *
tensor_at (const VaeModel *m, int l, int kind, size_t *n, size_t *es,
    int *rows, int *cols)
{
  const VaeLayer *L = &m->layers[l];
  const VaeQuant *q = m->quant && l < m->quant->n_layers ? m->quant : NULL;
  *rows = L->n_out;
  *cols = 0;
  *es = 4;
  *n = (size_t) L->n_out;
  switch (kind) {
    case T_W:
      *cols = L->n_in;
      *n *= L->n_in;
      return m->params + L->w_off;
    case T_B:
      return m->params + L->b_off;
    case T_QW:
      if (q == NULL)
        return NULL;
      *cols = q->k[l];
      *n *= q->k[l];
      *es = 1;
      return q->w[l];
    case T_QS:
      return q ? q->scale[l] : NULL;
    case T_QB:
      return q ? q->bias[l] : NULL;
    default:
      return q && l < q->n_layers - 1 ? q->act[l] : NULL;
  }
}

/* The header's JSON text: the metadata and, for each tensor, its dtype,
 * shape and offsets into a data area of *dsize bytes. */
static char *
header_json (const VaeModel *m, size_t *dsize)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  char *cfg = vae_config_to_json (&m->cfg), *hdr;

  *dsize = 0;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "__metadata__");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, VAE_FILE_FORMAT);
  json_builder_set_member_name (b, "config");
  json_builder_add_string_value (b, cfg);
  for (int i = 0; i < m->n_meta; i++) {
    if (strcmp (m->meta_key[i], "format") == 0
        || strcmp (m->meta_key[i], "config") == 0)
      continue;
    json_builder_set_member_name (b, m->meta_key[i]);
    json_builder_add_string_value (b, m->meta_val[i]);
  }
  json_builder_end_object (b);
  for (int l = 0; l < m->n_layers; l++) {
    for (int t = 0; t < T_KINDS; t++) {
      char name[64];
      size_t n, es;
      int rows, cols;
      if (!tensor_at (m, l, t, &n, &es, &rows, &cols))
        continue;
      snprintf (name, sizeof name, "%s.%d.%s", tensor_name[t][0], l,
          tensor_name[t][1]);
      json_builder_set_member_name (b, name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, es == 1 ? "I8" : "F32");
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, rows);
      if (cols > 0)
        json_builder_add_int_value (b, cols);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) *dsize);
      json_builder_add_int_value (b, (gint64) (*dsize + n * es));
      json_builder_end_array (b);
      json_builder_end_object (b);
      *dsize += n * es;
    }
  }
  json_builder_end_object (b);
  g_free (cfg);
  root = json_builder_get_root (b);
  hdr = json_to_string (root, FALSE);
  json_node_unref (root);
  g_object_unref (b);
  return hdr;
}

/* The tensors in header order into the data area at out. */
static void
write_tensors (const VaeModel *m, uint8_t *out)
{
  size_t off = 0;
  for (int l = 0; l < m->n_layers; l++) {
    for (int t = 0; t < T_KINDS; t++) {
      size_t n, es;
      int rows, cols;
      const void *src = tensor_at (m, l, t, &n, &es, &rows, &cols);
      if (src == NULL)
        continue;
      if (es == 1) {
        memcpy (out + off, src, n);
        off += n;
        continue;
      }
      for (size_t i = 0; i < n; i++) {
        guint32 u;
        memcpy (&u, (const float *) src + i, 4);
        u = GUINT32_TO_LE (u);
        memcpy (out + off, &u, 4);
        off += 4;
      }
    }
  }
}

int
vae_model_save_to_memory (const VaeModel *m, void **data, size_t *size,
    VaeError *err)
{
  size_t hlen, padded, dsize;
  char *hdr = header_json (m, &dsize);
  uint8_t *buf;

  hlen = strlen (hdr);
  padded = (hlen + VAE_FILE_ALIGN - 1) / VAE_FILE_ALIGN * VAE_FILE_ALIGN;
  *size = 8 + padded + dsize;
  buf = malloc (*size);
  if (buf == NULL) {
    g_free (hdr);
    return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < 8; i++)
    buf[i] = (uint8_t) ((uint64_t) padded >> (8 * i));
  memcpy (buf + 8, hdr, hlen);
  memset (buf + 8 + hlen, ' ', padded - hlen);
  g_free (hdr);
  write_tensors (m, buf + 8 + padded);
  *data = buf;
  return VAE_OK;
}

int
vae_model_save (const VaeModel *m, const char *path, VaeError *err)
{
  void *data;
  size_t size;
  char *tmp;
  FILE *f;
  int rc = vae_model_save_to_memory (m, &data, &size, err);
  if (rc != VAE_OK)
    return rc;
  tmp = g_strdup_printf ("%s.tmp", path);
  f = fopen (tmp, "wb");
  if (f == NULL) {
    rc = vae_set_error (err, VAE_ERR_IO, "cannot create %s: %s", tmp,
        strerror (errno));
    goto out;
  }
  if (fwrite (data, 1, size, f) != size || fflush (f) != 0
      || fsync (fileno (f)) != 0) {
    rc = vae_set_error (err, VAE_ERR_IO, "cannot write %s: %s", tmp,
        strerror (errno));
    fclose (f);
    unlink (tmp);
    goto out;
  }
  if (fclose (f) != 0 || rename (tmp, path) != 0) {
    rc = vae_set_error (err, VAE_ERR_IO, "cannot write %s: %s", path,
        strerror (errno));
    unlink (tmp);
    goto out;
  }
out:
  g_free (tmp);
  free (data);
  return rc;
}

/* ---------------------------------------------------------------- load */

typedef struct {
  size_t begin, end;
  const char *name;
} Span;

static int
span_cmp (const void *a, const void *b)
{
  const Span *x = a, *y = b;
  return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Parses "layers.L.weight", "quant.L.scale", … */
static int
tensor_id (const char *name, int n_layers, int *layer, int *kind)
{
  for (int t = 0; t < T_KINDS; t++) {
    size_t pl = strlen (tensor_name[t][0]);
    char *end;
    long l;
    if (strncmp (name, tensor_name[t][0], pl) != 0 || name[pl] != '.')
      continue;
    l = strtol (name + pl + 1, &end, 10);
    if (end == name + pl + 1 || l < 0 || l >= n_layers || *end != '.'
        || strcmp (end + 1, tensor_name[t][1]) != 0)
      continue;
    if (t == T_QA && l == n_layers - 1)
      return 0;               /* the output layer has no activation codes */
    *layer = (int) l;
    *kind = t;
    return 1;
  }
  return 0;
}

/* Checks and stores one element of a quantised tensor. */
static int
quant_store (VaeQuant *q, int kind, int l, size_t i, const uint8_t *src,
    const char *key, VaeError *err)
{
  float f;
  guint32 u;
  if (kind == T_QW) {
    int v = (int8_t) src[i];
    if (v < -VAE_QUANT_WMAX || v > VAE_QUANT_WMAX)
      return vae_set_error (err, VAE_ERR_CONFIG, "tensor %s: element %zu is "
          "%d, outside -%d..%d", key, i, v, VAE_QUANT_WMAX, VAE_QUANT_WMAX);
    q->w[l][i] = (int8_t) v;
    return VAE_OK;
  }
  memcpy (&u, src + 4 * i, 4);
  u = GUINT32_FROM_LE (u);
  memcpy (&f, &u, 4);
  if (!isfinite (f))
    return vae_set_error (err, VAE_ERR_NONFINITE, "tensor %s: element %zu "
        "is %s", key, i, isnan (f) ? "NaN" : "infinite");
  if (kind != T_QB && !(f > 0.0f))
    return vae_set_error (err, VAE_ERR_CONFIG, "tensor %s: element %zu is "
        "%g, a scale must be positive", key, i, f);
  (kind == T_QS ? q->scale : kind == T_QB ? q->bias : q->act)[l][i] = f;
  return VAE_OK;
}

/* What the loader keeps while it reads a file's tensors. */
typedef struct {
  const uint8_t *data;        /* the data area, after the header */
  size_t data_size;
  Span spans[T_KINDS * VAE_MAX_LAYERS];
  int n_spans;
  int seen[T_KINDS * VAE_MAX_LAYERS];   /* by T_KINDS * layer + kind */
  int quant;                  /* the file has quant.* tensors */
} TensorTable;

/* The 8-byte header length, checked against the file's size. */
static int
read_header_length (const uint8_t *bytes, size_t size, uint64_t *hlen,
    VaeError *err)
{
  *hlen = 0;
  if (size < 8)
    return vae_set_error (err, VAE_ERR_TRUNCATED,
        "file is %zu bytes, shorter than the 8-byte header length", size);
  for (int i = 0; i < 8; i++)
    *hlen |= (uint64_t) bytes[i] << (8 * i);
  if (*hlen > VAE_FILE_MAX_HEADER)
    return vae_set_error (err, VAE_ERR_HEADER,
        "header length %" G_GUINT64_FORMAT " exceeds the %u-byte limit",
        *hlen, VAE_FILE_MAX_HEADER);
  if (*hlen > size - 8)
    return vae_set_error (err, VAE_ERR_HEADER,
        "header length %" G_GUINT64_FORMAT " exceeds the %zu bytes that "
        "follow", *hlen, size - 8);
  if (*hlen < 2)
    return vae_set_error (err, VAE_ERR_HEADER, "header length %"
        G_GUINT64_FORMAT " is too short for a JSON object", *hlen);
  return VAE_OK;
}

/* The header's JSON object (obj) and its __metadata__ (meta): string
 * values only, our format, and a configuration parsed into cfg. */
static int
parse_header (JsonParser *parser, const uint8_t *text, uint64_t hlen,
    JsonObject **obj, JsonObject **meta, VaeConfig *cfg, VaeError *err)
{
  JsonNode *root, *metan, *val;
  JsonObjectIter it;
  const char *key, *s;

  if (!json_parser_load_from_data (parser, (const char *) text,
          (gssize) hlen, NULL)
      || (root = json_parser_get_root (parser)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root))
    return vae_set_error (err, VAE_ERR_JSON, "header is not a JSON object");
  *obj = json_node_get_object (root);
  metan = json_object_get_member (*obj, "__metadata__");
  if (metan == NULL || !JSON_NODE_HOLDS_OBJECT (metan))
    return vae_set_error (err, VAE_ERR_JSON,
        "header has no __metadata__ object");
  *meta = json_node_get_object (metan);
  json_object_iter_init (&it, *meta);
  while (json_object_iter_next (&it, &key, &val)) {
    if (!JSON_NODE_HOLDS_VALUE (val)
        || json_node_get_value_type (val) != G_TYPE_STRING)
      return vae_set_error (err, VAE_ERR_JSON,
          "__metadata__ value \"%.64s\" is not a string", key);
  }
  s = json_object_has_member (*meta, "format")
      ? json_object_get_string_member (*meta, "format") : NULL;
  if (s == NULL || strcmp (s, VAE_FILE_FORMAT) != 0)
    return vae_set_error (err, VAE_ERR_CONFIG,
        "not a gst-vae model (format \"%.32s\", expected \"%s\")",
        s ? s : "(none)", VAE_FILE_FORMAT);
  s = json_object_has_member (*meta, "config")
      ? json_object_get_string_member (*meta, "config") : NULL;
  if (s == NULL)
    return vae_set_error (err, VAE_ERR_CONFIG, "metadata has no \"config\"");
  return vae_config_from_json (s, cfg, err);
}

/* What the architecture needs, overflow-checked, against the data area
 * before anything is allocated. */
static int
check_weight_bytes (const VaeConfig *cfg, size_t data_size, VaeError *err)
{
  int n_in[VAE_MAX_LAYERS], n_out[VAE_MAX_LAYERS], n;
  size_t need = 0;

  n = vae_config_layer_dims (cfg, n_in, n_out, NULL);
  for (int l = 0; l < n; l++) {
    size_t w;
    if (!vae_mul_ok ((size_t) n_in[l], (size_t) n_out[l], &w)
        || !vae_mul_ok (w + n_out[l], 4, &w) || need + w < need)
      return vae_set_error (err, VAE_ERR_DIMS, "layer sizes overflow");
    need += w;
  }
  if (need > VAE_FILE_MAX_WEIGHTS)
    return vae_set_error (err, VAE_ERR_DIMS,
        "architecture needs %zu bytes of weights, more than the %zu limit",
        need, VAE_FILE_MAX_WEIGHTS);
  if (need > data_size)
    return vae_set_error (err, VAE_ERR_TRUNCATED,
        "file truncated: the architecture needs %zu bytes of weights, "
        "the file holds %zu", need, data_size);
  return VAE_OK;
}

/* shape (a JSON array) must be [rows] for a vector, else [rows, cols]. */
static int
check_shape (JsonArray *shape, int is_bias, int rows, int cols,
    const char *key, VaeError *err)
{
  guint rank = json_array_get_length (shape);
  gint64 want[2] = { rows, cols };
  guint want_rank = is_bias ? 1 : 2;
  int ok = rank == want_rank;

  for (guint i = 0; ok && i < rank; i++) {
    JsonNode *e = json_array_get_element (shape, i);
    ok = JSON_NODE_HOLDS_VALUE (e)
        && json_node_get_value_type (e) == G_TYPE_INT64
        && json_node_get_int (e) == want[i];
  }
  if (ok)
    return VAE_OK;
  if (is_bias)
    return vae_set_error (err, VAE_ERR_SHAPE,
        "tensor %s: shape does not match the architecture's [%d]", key, rows);
  return vae_set_error (err, VAE_ERR_SHAPE,
      "tensor %s: shape does not match the architecture's [%d, %d]", key,
      rows, cols);
}

/* data_offsets (a JSON array) as [b0, b1] inside the data area, spanning
 * exactly bytes. */
static int
read_offsets (JsonArray *offs, size_t data_size, size_t bytes,
    const char *key, gint64 *b0, gint64 *b1, VaeError *err)
{
  if (json_array_get_length (offs) != 2
      || !JSON_NODE_HOLDS_VALUE (json_array_get_element (offs, 0))
      || !JSON_NODE_HOLDS_VALUE (json_array_get_element (offs, 1))
      || json_node_get_value_type (json_array_get_element (offs, 0)) != G_TYPE_INT64
      || json_node_get_value_type (json_array_get_element (offs, 1)) != G_TYPE_INT64)
    return vae_set_error (err, VAE_ERR_JSON,
        "tensor %s: data_offsets is not [begin, end]", key);
  *b0 = json_array_get_int_element (offs, 0);
  *b1 = json_array_get_int_element (offs, 1);
  if (*b0 < 0 || *b1 < *b0 || (uint64_t) *b1 > data_size)
    return vae_set_error (err, VAE_ERR_OFFSET,
        "tensor %s: offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
        "] outside the %zu-byte data area", key, *b0, *b1, data_size);
  if ((uint64_t) (*b1 - *b0) != bytes)
    return vae_set_error (err, VAE_ERR_OFFSET,
        "tensor %s: offsets span %" G_GINT64_FORMAT " bytes, its shape needs "
        "%zu", key, *b1 - *b0, bytes);
  return VAE_OK;
}

/* count little-endian floats from src into dst, all finite. */
static int
copy_f32 (float *dst, const uint8_t *src, size_t count, const char *key,
    VaeError *err)
{
  for (size_t i = 0; i < count; i++) {
    guint32 u;
    memcpy (&u, src + 4 * i, 4);
    u = GUINT32_FROM_LE (u);
    memcpy (&dst[i], &u, 4);
    if (!isfinite (dst[i]))
      return vae_set_error (err, VAE_ERR_NONFINITE,
          "tensor %s: element %zu is %s", key, i,
          isnan (dst[i]) ? "NaN" : "infinite");
  }
  return VAE_OK;
}

/* One tensor of the header: its name, dtype, shape and offsets checked
 * against the architecture, its span recorded, its data stored. */
static int
load_tensor (VaeModel *m, TensorTable *tt, const char *key, JsonNode *val,
    VaeError *err)
{
  JsonObject *t;
  JsonNode *dn, *sn, *on;
  int layer, kind, is_bias, rc, cols;
  const VaeLayer *L;
  gint64 b0 = 0, b1 = 0;
  size_t count, esize;
  const char *dtype;

  if (!tensor_id (key, m->n_layers, &layer, &kind))
    return vae_set_error (err, VAE_ERR_JSON, "unexpected tensor \"%.64s\"",
        key);
  is_bias = kind != T_W && kind != T_QW;
  dtype = kind == T_QW ? "I8" : "F32";
  esize = kind == T_QW ? 1 : 4;
  L = &m->layers[layer];
  if (kind >= T_QW && m->quant == NULL) {
    tt->quant = 1;
    m->quant = vae_quant_new (m);
    if (m->quant == NULL)
      return vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
  }
  if (!JSON_NODE_HOLDS_OBJECT (val))
    return vae_set_error (err, VAE_ERR_JSON, "tensor %s is not an object",
        key);
  t = json_node_get_object (val);
  dn = json_object_get_member (t, "dtype");
  sn = json_object_get_member (t, "shape");
  on = json_object_get_member (t, "data_offsets");
  if (dn == NULL || sn == NULL || on == NULL || !JSON_NODE_HOLDS_VALUE (dn)
      || json_node_get_value_type (dn) != G_TYPE_STRING
      || !JSON_NODE_HOLDS_ARRAY (sn) || !JSON_NODE_HOLDS_ARRAY (on))
    return vae_set_error (err, VAE_ERR_JSON,
        "tensor %s needs dtype, shape and data_offsets", key);
  if (strcmp (json_node_get_string (dn), dtype) != 0)
    return vae_set_error (err, VAE_ERR_DTYPE,
        "tensor %s has dtype %.16s, expected %s", key,
        json_node_get_string (dn), dtype);
  cols = kind == T_QW ? m->quant->k[layer] : L->n_in;
  if ((rc = check_shape (json_node_get_array (sn), is_bias, L->n_out, cols,
              key, err)) != VAE_OK)
    return rc;
  count = is_bias ? (size_t) L->n_out : (size_t) L->n_out * cols;
  if ((rc = read_offsets (json_node_get_array (on), tt->data_size,
              count * esize, key, &b0, &b1, err)) != VAE_OK)
    return rc;
  if (tt->seen[T_KINDS * layer + kind]++)
    return vae_set_error (err, VAE_ERR_JSON, "tensor %s appears twice", key);
  tt->spans[tt->n_spans].begin = (size_t) b0;
  tt->spans[tt->n_spans].end = (size_t) b1;
  tt->spans[tt->n_spans].name = key;
  tt->n_spans++;
  if (kind >= T_QW) {
    for (size_t i = 0; i < count; i++)
      if ((rc = quant_store (m->quant, kind, layer, i, tt->data + b0, key,
                  err)) != VAE_OK)
        return rc;
    return VAE_OK;
  }
  return copy_f32 (m->params + (is_bias ? L->b_off : L->w_off),
      tt->data + b0, count, key, err);
}

/* Every tensor the model needs is there: the float ones always, and for a
 * quantised model all the quant.* ones of its first nq layers (those with
 * quant.L.weight, which must come first; act_scale where another int8
 * layer follows); and the model must fit the int8 path. */
static int
check_complete (const VaeModel *m, const TensorTable *tt, VaeError *err)
{
  int nq = 0;
  while (tt->quant && nq < m->n_layers && tt->seen[T_KINDS * nq + T_QW])
    nq++;
  for (int id = 0; id < T_KINDS * m->n_layers; id++) {
    int l = id / T_KINDS, t = id % T_KINDS;
    int want = t <= T_B || (l < nq && (t != T_QA || l < nq - 1));
    if (!tt->seen[id] && want)
      return vae_set_error (err, VAE_ERR_MISSING,
          "tensor %s.%d.%s is missing%s", tensor_name[t][0], l,
          tensor_name[t][1], t > T_B
          ? " (an int8 layer has all its quant.* tensors)" : "");
    if (tt->seen[id] && !want)
      return vae_set_error (err, VAE_ERR_JSON, "tensor %s.%d.%s is "
          "unexpected: %s", tensor_name[t][0], l, tensor_name[t][1], nq == 0
          ? "int8 layers start at layer 0" : "int8 layers come first, and "
          "act_scale goes with an int8 layer followed by another");
  }
  if (tt->quant)
    m->quant->n_layers = nq;
  if (tt->quant && vae_quant_unfit (m))
    return vae_set_error (err, VAE_ERR_KIND, "quant.* tensors need %s",
        vae_quant_unfit (m));
  return VAE_OK;
}

/* safetensors: the data area is covered exactly, without overlaps. */
static int
check_spans (TensorTable *tt, VaeError *err)
{
  Span *sp = tt->spans;
  int n = tt->n_spans;

  qsort (sp, n, sizeof sp[0], span_cmp);
  for (int i = 0; i < n; i++) {
    size_t prev = i == 0 ? 0 : sp[i - 1].end;
    if (sp[i].begin < prev)
      return vae_set_error (err, VAE_ERR_OFFSET, "tensors %s and %s overlap",
          sp[i - 1].name, sp[i].name);
    if (sp[i].begin > prev)
      return vae_set_error (err, VAE_ERR_OFFSET,
          "gap of %zu bytes before tensor %s", sp[i].begin - prev,
          sp[i].name);
  }
  if (n > 0 && sp[n - 1].end != tt->data_size)
    return vae_set_error (err, VAE_ERR_OFFSET,
        "%zu bytes after the last tensor", tt->data_size - sp[n - 1].end);
  return VAE_OK;
}

/* The user's metadata: every __metadata__ entry but format and config. */
static int
copy_meta (VaeModel *m, JsonObject *meta, VaeError *err)
{
  JsonObjectIter it;
  const char *key;
  JsonNode *val;

  json_object_iter_init (&it, meta);
  while (json_object_iter_next (&it, &key, &val)) {
    if (strcmp (key, "format") == 0 || strcmp (key, "config") == 0)
      continue;
    if (vae_model_set_meta (m, key, json_node_get_string (val)) != VAE_OK)
      return vae_set_error (err, VAE_ERR_JSON,
          "too many metadata entries (max %d)", VAE_MAX_META);
  }
  return VAE_OK;
}

VaeModel *
vae_model_load_from_memory (const void *data, size_t size, VaeError *err)
{
  const uint8_t *bytes = data;
  uint64_t hlen;
  JsonParser *parser;
  JsonObject *obj = NULL, *meta = NULL;
  JsonObjectIter it;
  const char *key;
  JsonNode *val;
  VaeConfig cfg;
  VaeModel *m = NULL;
  TensorTable tt;

  if (read_header_length (bytes, size, &hlen, err) != VAE_OK)
    return NULL;
  memset (&tt, 0, sizeof tt);
  tt.data = bytes + 8 + hlen;
  tt.data_size = size - 8 - (size_t) hlen;
  parser = json_parser_new ();
  if (parse_header (parser, bytes + 8, hlen, &obj, &meta, &cfg, err) != VAE_OK
      || check_weight_bytes (&cfg, tt.data_size, err) != VAE_OK
      || (m = vae_model_new (&cfg, 0, err)) == NULL)
    goto fail;
  json_object_iter_init (&it, obj);
  while (json_object_iter_next (&it, &key, &val))
    if (strcmp (key, "__metadata__") != 0
        && load_tensor (m, &tt, key, val, err) != VAE_OK)
      goto fail;
  if (check_complete (m, &tt, err) != VAE_OK || check_spans (&tt, err) != VAE_OK
      || copy_meta (m, meta, err) != VAE_OK)
    goto fail;
  g_object_unref (parser);
  return m;

fail:
  vae_model_free (m);
  g_object_unref (parser);
  return NULL;
}

/* Reads the model file at path into *contents (free()): a regular file of
 * at most VAE_FILE_MAX_SIZE bytes, so that a device such as /dev/zero is
 * not read forever.  The checks are made on the open descriptor, so the
 * path cannot change between them and the read; it is opened
 * non-blocking, so that opening a FIFO returns at once.  The messages for
 * failed opens and reads are GLib's, as g_file_get_contents gave them. */
static int
read_model_file (const char *path, uint8_t **contents, size_t *len,
    VaeError *err)
{
  char *name = g_filename_display_name (path);
  struct stat st;
  uint8_t *buf = NULL;
  size_t size, got = 0;
  int fd, flags, rc = VAE_OK;

  fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    /* a socket cannot be opened at all */
    if (stat (path, &st) == 0 && !S_ISREG (st.st_mode))
      rc = vae_set_error (err, VAE_ERR_IO, "'%s' is not a regular file",
          name);
    else
      rc = vae_set_error (err, VAE_ERR_IO, "Failed to open file “%s”: %s",
          name, g_strerror (e));
    goto out;
  }
  if (fstat (fd, &st) != 0) {
    rc = vae_set_error (err, VAE_ERR_IO, "cannot stat '%s': %s", name,
        g_strerror (errno));
    goto out;
  }
  if (!S_ISREG (st.st_mode)) {
    rc = vae_set_error (err, VAE_ERR_IO, "'%s' is not a regular file", name);
    goto out;
  }
  if ((uintmax_t) st.st_size > VAE_FILE_MAX_SIZE) {
    rc = vae_set_error (err, VAE_ERR_IO, "'%s' is %ju MiB, over the %zu MiB "
        "limit for a model file", name, ((uintmax_t) st.st_size
            + (1u << 20) - 1) >> 20, VAE_FILE_MAX_SIZE >> 20);
    goto out;
  }
  size = (size_t) st.st_size;
  buf = malloc (size > 0 ? size : 1);
  if (buf == NULL) {
    rc = vae_set_error (err, VAE_ERR_NOMEM, "out of memory");
    goto out;
  }
  if ((flags = fcntl (fd, F_GETFL)) >= 0)     /* blocking reads again */
    fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);
  while (got < size) {
    ssize_t r = read (fd, buf + got, size - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      rc = vae_set_error (err, VAE_ERR_IO, "Failed to read from file "
          "“%s”: %s", name, g_strerror (errno));
      goto out;
    }
    if (r == 0)
      break;                  /* shrunk since fstat: load what is there */
    got += (size_t) r;
  }
  *contents = buf;
  *len = got;
  buf = NULL;
out:
  free (buf);
  if (fd >= 0)
    close (fd);
  g_free (name);
  return rc;
}

VaeModel *
vae_model_load (const char *path, VaeError *err)
{
  uint8_t *contents = NULL;
  size_t len = 0;
  VaeModel *m;

  if (path == NULL) {
    vae_set_error (err, VAE_ERR_ARG, "no model path");
    return NULL;
  }
  if (read_model_file (path, &contents, &len, err) != VAE_OK)
    return NULL;
  m = vae_model_load_from_memory (contents, len, err);
  free (contents);
  return m;
}
