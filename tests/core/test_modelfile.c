/* Model files: a bit-exact round trip, one test per way a file can be bad
 * (each with its own status and a message that says what is wrong), and a
 * random-mutation loop through the in-memory loader; paths that name no
 * regular file, or one too large, refused at once.
 *
 * Broken files are made by editing the JSON header of a valid file as text
 * and re-assembling it with a consistent 8-byte length, so each test
 * changes exactly one thing. */
#include "vae.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"

typedef struct {
  uint8_t *bytes;
  size_t size;
} Blob;

static void
blob_free (Blob *b)
{
  free (b->bytes);
  b->bytes = NULL;
  b->size = 0;
}

static uint64_t
header_len (const Blob *b)
{
  uint64_t h = 0;
  for (int i = 0; i < 8; i++)
    h |= (uint64_t) b->bytes[i] << (8 * i);
  return h;
}

/* The header as a NUL-terminated string (with its padding). */
static char *
header_text (const Blob *b)
{
  return g_strndup ((const char *) b->bytes + 8, header_len (b));
}

/* A file from a header text and the data area of b, length field
 * consistent with the (8-byte padded) header. */
static Blob
assemble (const char *hdr, const Blob *b)
{
  size_t hl = strlen (hdr), padded = (hl + 7) / 8 * 8;
  size_t dsize = b->size - 8 - header_len (b);
  Blob o;
  o.size = 8 + padded + dsize;
  o.bytes = malloc (o.size);
  for (int i = 0; i < 8; i++)
    o.bytes[i] = (uint8_t) ((uint64_t) padded >> (8 * i));
  memcpy (o.bytes + 8, hdr, hl);
  memset (o.bytes + 8 + hl, ' ', padded - hl);
  memcpy (o.bytes + 8 + padded, b->bytes + 8 + header_len (b), dsize);
  return o;
}

/* b with the first occurrence of old in its header replaced by new. */
static Blob
edit_header (const Blob *b, const char *old, const char *new_)
{
  char *h = header_text (b);
  char *at = strstr (h, old);
  Blob o = { NULL, 0 };
  if (at == NULL) {
    CHECK (0, "test bug: \"%s\" not in the header", old);
    g_free (h);
    return o;
  }
  {
    GString *s = g_string_new_len (h, at - h);
    g_string_append (s, new_);
    g_string_append (s, at + strlen (old));
    o = assemble (s->str, b);
    g_string_free (s, TRUE);
  }
  g_free (h);
  return o;
}

static Blob
copy_blob (const Blob *b)
{
  Blob o;
  o.size = b->size;
  o.bytes = malloc (b->size ? b->size : 1);
  memcpy (o.bytes, b->bytes, b->size);
  return o;
}

/* Loads b, expects failure with status and a message containing what. */
static void
expect_bad (const char *name, Blob b, int status, const char *what)
{
  VaeError err;
  VaeModel *m;
  memset (&err, 0, sizeof err);
  if (b.bytes == NULL)
    return;                     /* the edit already failed loudly */
  m = vae_model_load_from_memory (b.bytes, b.size, &err);
  printf ("  %-26s -> %-18s \"%s\"\n", name,
      m ? "LOADED" : vae_status_string (err.status), m ? "" : err.msg);
  CHECK (m == NULL, "%s: loaded", name);
  CHECK (err.status == status, "%s: status %d (%s), expected %d (%s)", name,
      err.status, vae_status_string (err.status), status,
      vae_status_string (status));
  CHECK (strstr (err.msg, what) != NULL, "%s: message \"%s\" lacks \"%s\"",
      name, err.msg, what);
  vae_model_free (m);
  free (b.bytes);
}

static VaeModel *
make_model (VaeKind kind, uint64_t seed)
{
  VaeError err;
  VaeConfig c = vae_config_default ();
  VaeModel *m;
  c.kind = kind;
  c.img_w = 4;
  c.img_h = 3;
  c.n_in = 12;
  c.n_latent = 5;
  c.n_enc = 2;
  c.enc[0] = 11;
  c.enc[1] = 9;
  c.n_dec = 1;
  c.dec[0] = 10;
  c.act = VAE_ACT_TANH;
  c.obs_sigma = 0.123456789f;
  switch (kind) {
    case VAE_KIND_SPARSE_AE:
      c.code_act = VAE_ACT_SIGMOID;
      c.sparse_rho = 0.07f;
      c.sparse_beta = 2.5f;
      break;
    case VAE_KIND_DAE:
      c.residual = 1;
      c.noise_input = 1;
      c.noise = VAE_NOISE_GAUSSIAN;
      c.noise_min = 5.0f / 255;
      c.noise_max = 50.0f / 255;
      c.norm_mean = 0.4567f;
      c.norm_scale = 0.2345f;
      c.code_act = VAE_ACT_LRELU;
      break;
    case VAE_KIND_VAE:
      c.likelihood = VAE_LIK_BERNOULLI;
      break;
    default:
      c.code_act = VAE_ACT_IDENTITY;
      c.norm_mean = 0.3f;
      c.norm_scale = 1.7f;
      break;
  }
  m = vae_model_new (&c, seed, &err);
  CHECK (m != NULL, "vae_model_new (%s): %s", vae_kind_name (kind), err.msg);
  if (m) {
    /* non-zero biases, awkward floats: denormals, −0, extremes */
    float *p = vae_model_params (m);
    int nl = vae_model_n_layers (m);
    for (int l = 0; l < nl; l++) {
      int no;
      float *b;
      vae_model_layer (m, l, NULL, &no, NULL, NULL, &b, NULL, NULL);
      for (int j = 0; j < no; j++)
        b[j] = 0.01f * (j - l);
    }
    p[0] = 1e-40f;
    p[1] = -0.0f;
    p[2] = 3.4e38f;
    p[3] = -1.17549435e-38f;
    vae_model_set_meta (m, "train.data", "images:/data/train400 \"quoted\" \\ é");
    vae_model_set_meta (m, "metrics.psnr", "29.31");
    vae_model_set_meta (m, "empty", "");
  }
  return m;
}

/* Parameters bit for bit, configuration, layers and metadata. */
static int
same_model (VaeModel *a, VaeModel *b, const char *what)
{
  int ok = 1;
  if (vae_model_n_params (a) != vae_model_n_params (b)
      || memcmp (vae_model_params (a), vae_model_params (b),
          vae_model_n_params (a) * sizeof (float)) != 0) {
    CHECK (0, "%s: parameters differ", what);
    ok = 0;
  }
  if (memcmp (vae_model_config (a), vae_model_config (b),
          sizeof (VaeConfig)) != 0) {
    CHECK (0, "%s: configuration differs", what);
    ok = 0;
  }
  if (vae_model_n_layers (a) != vae_model_n_layers (b)
      || vae_model_n_encoder_layers (a) != vae_model_n_encoder_layers (b)) {
    CHECK (0, "%s: layer structure differs", what);
    ok = 0;
  }
  if (vae_model_n_meta (a) != vae_model_n_meta (b)) {
    CHECK (0, "%s: %d metadata entries, %d after", what, vae_model_n_meta (a),
        vae_model_n_meta (b));
    ok = 0;
  }
  for (int i = 0; i < vae_model_n_meta (a); i++) {
    const char *key, *val, *val2;
    vae_model_meta_at (a, i, &key, &val);
    val2 = vae_model_get_meta (b, key);
    if (val2 == NULL || strcmp (val, val2) != 0) {
      CHECK (0, "%s: metadata \"%s\" is \"%s\", then \"%s\"", what, key,
          val, val2 ? val2 : "(missing)");
      ok = 0;
    }
  }
  return ok;
}

static void
test_round_trip (void)
{
  printf ("round trip:\n");
  for (VaeKind k = VAE_KIND_AE; k <= VAE_KIND_VAE; k++) {
    VaeModel *m = make_model (k, 10 + k), *m2, *m3;
    VaeError err;
    void *data, *data2;
    size_t size, size2;
    int ok;

    if (m == NULL)
      continue;
    CHECK (vae_model_save_to_memory (m, &data, &size, &err) == VAE_OK,
        "save_to_memory: %s", err.msg);
    m2 = vae_model_load_from_memory (data, size, &err);
    CHECK (m2 != NULL, "%s: load_from_memory: %s", vae_kind_name (k),
        err.msg);
    if (m2 == NULL) {
      free (data);
      vae_model_free (m);
      continue;
    }
    ok = same_model (m, m2, vae_kind_name (k));
    /* saving the loaded model gives a file of the same size that loads to
     * the same model (metadata may come back in another order) */
    CHECK (vae_model_save_to_memory (m2, &data2, &size2, &err) == VAE_OK
        && size2 == size, "%s: re-saved file has %zu bytes, not %zu",
        vae_kind_name (k), size2, size);
    m3 = vae_model_load_from_memory (data2, size2, &err);
    CHECK (m3 != NULL, "%s: re-saved file: %s", vae_kind_name (k), err.msg);
    if (m3)
      ok &= same_model (m, m3, "re-saved");
    printf ("  %-10s %zu bytes, %zu parameters, %d metadata: %s\n",
        vae_kind_name (k), size, vae_model_n_params (m), vae_model_n_meta (m),
        ok ? "identical" : "DIFFERENT");
    free (data2);
    free (data);
    vae_model_free (m3);
    vae_model_free (m2);
    vae_model_free (m);
  }
}

static void
test_save_load_file (const char *dir)
{
  VaeModel *m = make_model (VAE_KIND_DAE, 3), *m2;
  VaeError err;
  char *path = g_build_filename (dir, "model.safetensors", NULL);
  char *tmp = g_strdup_printf ("%s.tmp", path);
  void *data;
  size_t size;
  gchar *contents;
  gsize len;

  CHECK (vae_model_save (m, path, &err) == VAE_OK, "save: %s", err.msg);
  CHECK (!g_file_test (tmp, G_FILE_TEST_EXISTS), "%s left behind", tmp);
  vae_model_save_to_memory (m, &data, &size, &err);
  CHECK (g_file_get_contents (path, &contents, &len, NULL) && len == size
      && memcmp (contents, data, size) == 0,
      "file differs from save_to_memory");
  g_free (contents);
  m2 = vae_model_load (path, &err);
  CHECK (m2 != NULL, "load: %s", err.msg);
  if (m2)
    same_model (m, m2, "file");
  /* saving over an existing file replaces it */
  vae_model_set_meta (m, "metrics.psnr", "30.00");
  CHECK (vae_model_save (m, path, &err) == VAE_OK, "re-save: %s", err.msg);
  vae_model_free (m2);
  m2 = vae_model_load (path, &err);
  CHECK (m2 && strcmp (vae_model_get_meta (m2, "metrics.psnr"), "30.00") == 0,
      "re-saved file not replaced");
  /* a save that cannot happen reports I/O and leaves nothing */
  {
    char *bad = g_build_filename (dir, "no-such-dir", "m.safetensors", NULL);
    CHECK (vae_model_save (m, bad, &err) == VAE_ERR_IO
        && err.status == VAE_ERR_IO && strstr (err.msg, "no-such-dir"),
        "save into a missing folder: %d \"%s\"", err.status, err.msg);
    g_free (bad);
  }
  printf ("file save/load: %zu bytes, identical, no .tmp left\n", size);
  g_unlink (path);
  free (data);
  g_free (path);
  g_free (tmp);
  vae_model_free (m2);
  vae_model_free (m);
}

static void
test_bad_files (const char *dir)
{
  VaeModel *m = make_model (VAE_KIND_DAE, 5);
  VaeError err;
  Blob good, b;
  void *data;
  uint64_t hl;
  size_t dsize;
  char text[256];

  vae_model_save_to_memory (m, &data, &good.size, &err);
  good.bytes = data;
  hl = header_len (&good);
  dsize = good.size - 8 - hl;
  printf ("bad files (from a valid %zu-byte file, header %u, data %zu):\n",
      good.size, (unsigned) hl, dsize);

  /* sanity: the helpers reproduce a loadable file */
  b = edit_header (&good, "\"format\"", "\"format\"");
  CHECK (b.size == good.size && memcmp (b.bytes, good.bytes, b.size) == 0,
      "test bug: re-assembly changes the file");
  blob_free (&b);

  /* 1. truncated: the last tensor's bytes are cut */
  b = copy_blob (&good);
  b.size -= 5;
  expect_bad ("truncated", b, VAE_ERR_TRUNCATED, "truncated");
  b = copy_blob (&good);
  b.size = 8 + hl;              /* header only, no data at all */
  expect_bad ("header only", b, VAE_ERR_TRUNCATED, "truncated");

  /* 2. shorter than the length field */
  b = copy_blob (&good);
  b.size = 5;
  expect_bad ("5 bytes", b, VAE_ERR_TRUNCATED, "shorter than the 8-byte");
  b = copy_blob (&good);
  b.size = 0;
  expect_bad ("empty", b, VAE_ERR_TRUNCATED, "0 bytes");

  /* 3. header length impossible */
  b = copy_blob (&good);
  b.bytes[0] = (uint8_t) ((good.size - 8 + 1) & 0xff);
  b.bytes[1] = (uint8_t) ((good.size - 8 + 1) >> 8);
  expect_bad ("header past the end", b, VAE_ERR_HEADER, "exceeds the");
  b = copy_blob (&good);
  b.bytes[5] = 1;               /* 2^40 + … */
  expect_bad ("header length 2^40", b, VAE_ERR_HEADER, "limit");
  b = copy_blob (&good);
  memset (b.bytes, 0, 8);
  expect_bad ("header length 0", b, VAE_ERR_HEADER, "too short");
  b = copy_blob (&good);
  memset (b.bytes, 0xff, 8);
  expect_bad ("header length 2^64-1", b, VAE_ERR_HEADER, "limit");

  /* 4. not JSON, or JSON of the wrong shape */
  b = edit_header (&good, "{\"__metadata__\"", "{\"__metadata__\"}");
  expect_bad ("bad JSON", b, VAE_ERR_JSON, "not a JSON object");
  b = edit_header (&good, "{\"__metadata__\"", "[{\"__metadata__\"");
  expect_bad ("JSON array", b, VAE_ERR_JSON, "not a JSON object");
  b = edit_header (&good, "\"__metadata__\"", "\"__metadata\"");
  expect_bad ("no __metadata__", b, VAE_ERR_JSON, "__metadata__");
  b = edit_header (&good, "\"metrics.psnr\":\"29.31\"", "\"metrics.psnr\":29.31");
  expect_bad ("metadata not a string", b, VAE_ERR_JSON, "metrics.psnr");
  b = edit_header (&good, "\"layers.3.bias\"", "\"layers.9.bias\"");
  expect_bad ("unknown tensor", b, VAE_ERR_JSON, "layers.9.bias");
  b = edit_header (&good, "\"layers.2.bias\":{\"dtype\":\"F32\",",
      "\"layers.2.bias\":{");
  expect_bad ("tensor without dtype", b, VAE_ERR_JSON, "dtype");

  /* 5. dtype */
  b = edit_header (&good, "\"F32\"", "\"F16\"");
  expect_bad ("dtype F16", b, VAE_ERR_DTYPE, "F16");
  b = edit_header (&good, "\"F32\"", "\"F64\"");
  expect_bad ("dtype F64", b, VAE_ERR_DTYPE, "F64");

  /* 6. shape: layer 0 is (11, 13): 12 inputs + the noise level */
  b = edit_header (&good, "\"shape\":[11,13]", "\"shape\":[11,12]");
  expect_bad ("weight shape", b, VAE_ERR_SHAPE, "[11, 13]");
  b = edit_header (&good, "\"shape\":[11]", "\"shape\":[11,1]");
  expect_bad ("bias rank", b, VAE_ERR_SHAPE, "layers.0.bias");

  /* 7. offsets: the last tensor (layers.3.bias, 12 floats) ends the data */
  g_snprintf (text, sizeof text, "\"data_offsets\":[%zu,%zu]", dsize - 48,
      dsize);
  {
    char moved[128];
    g_snprintf (moved, sizeof moved, "\"data_offsets\":[%zu,%zu]", dsize - 44,
        dsize + 4);
    b = edit_header (&good, text, moved);
    expect_bad ("offsets past the end", b, VAE_ERR_OFFSET, "outside");
    g_snprintf (moved, sizeof moved, "\"data_offsets\":[%zu,%zu]", dsize - 48,
        dsize - 4);
    b = edit_header (&good, text, moved);
    expect_bad ("offsets span wrong size", b, VAE_ERR_OFFSET, "span");
    /* 8. overlap: slide the last tensor 4 bytes into its neighbour */
    g_snprintf (moved, sizeof moved, "\"data_offsets\":[%zu,%zu]", dsize - 52,
        dsize - 4);
    b = edit_header (&good, text, moved);
    expect_bad ("overlapping offsets", b, VAE_ERR_OFFSET, "overlap");
  }
  b = edit_header (&good, "\"data_offsets\":[0,", "\"data_offsets\":[-4,");
  expect_bad ("negative offset", b, VAE_ERR_OFFSET, "outside");
  {
    /* a gap: all of the data area is not covered */
    Blob big = copy_blob (&good);
    big.bytes = realloc (big.bytes, good.size + 8);
    memset (big.bytes + good.size, 0, 8);
    big.size += 8;
    expect_bad ("bytes after last tensor", big, VAE_ERR_OFFSET, "after the last");
  }

  /* 9. non-finite weights */
  b = copy_blob (&good);
  {
    uint8_t nan_le[4] = { 0x00, 0x00, 0xc0, 0x7f };
    memcpy (b.bytes + 8 + hl + 40, nan_le, 4);
  }
  expect_bad ("NaN weight", b, VAE_ERR_NONFINITE, "NaN");
  b = copy_blob (&good);
  {
    uint8_t inf_le[4] = { 0x00, 0x00, 0x80, 0xff };
    memcpy (b.bytes + good.size - 4, inf_le, 4);
  }
  expect_bad ("-inf bias", b, VAE_ERR_NONFINITE, "infinite");

  /* 10. absurd dimensions (inside the escaped config string) */
  b = edit_header (&good, "\\\"img_w\\\":4", "\\\"img_w\\\":100000");
  expect_bad ("img_w 100000", b, VAE_ERR_DIMS, "img_w");
  b = edit_header (&good, "\\\"latent\\\":5", "\\\"latent\\\":1000000000");
  expect_bad ("latent 1e9", b, VAE_ERR_DIMS, "latent");
  b = edit_header (&good, "\\\"enc\\\":[11,9]", "\\\"enc\\\":[11,0]");
  expect_bad ("hidden width 0", b, VAE_ERR_DIMS, "enc");
  b = edit_header (&good, "\\\"img_w\\\":4,\\\"img_h\\\":3",
      "\\\"img_w\\\":4096,\\\"img_h\\\":4096");
  expect_bad ("4096x4096 input", b, VAE_ERR_DIMS, "4096x4096");
  b = edit_header (&good, "\\\"enc\\\":[11,9]",
      "\\\"enc\\\":[65536,65536,65536,65536,65536]");
  expect_bad ("weights over 1 GiB", b, VAE_ERR_DIMS, "limit");
  b = edit_header (&good, "\\\"enc\\\":[11,9]", "\\\"enc\\\":[1,1,1,1,1,1,1,1,1]");
  expect_bad ("9 hidden layers", b, VAE_ERR_DIMS, "at most 8");

  /* 11. a tensor missing (its bytes left in place) */
  {
    char *h = header_text (&good);
    char *at = strstr (h, ",\"layers.1.bias\"");
    char *end = at ? strchr (at + 1, '}') : NULL;
    CHECK (at && end, "test bug: layers.1.bias not found");
    if (at && end) {
      memmove (at, end + 1, strlen (end + 1) + 1);
      b = assemble (h, &good);
      expect_bad ("missing tensor", b, VAE_ERR_MISSING, "layers.1.bias");
    }
    g_free (h);
  }
  {
    char *h = header_text (&good);
    char *at = strstr (h, ",\"layers.0.weight\"");
    char *end = at ? strchr (at + 1, '}') : NULL;
    if (at && end) {
      /* a tensor given twice */
      GString *s = g_string_new_len (h, end + 1 - h);
      g_string_append_len (s, at, end + 1 - at);
      g_string_append (s, end + 1);
      b = assemble (s->str, &good);
      g_string_free (s, TRUE);
      /* json-glib keeps the last of two equal keys: both name the same
       * bytes, so the file stays valid or is refused as a duplicate */
      {
        VaeModel *mm = vae_model_load_from_memory (b.bytes, b.size, &err);
        CHECK (mm != NULL || (err.status == VAE_ERR_JSON
                && strstr (err.msg, "twice")),
            "duplicated tensor: %d %s", err.status, err.msg);
        printf ("  %-26s -> %s\n", "tensor given twice",
            mm ? "loaded (JSON keeps one)" : err.msg);
        vae_model_free (mm);
      }
      blob_free (&b);
    }
    g_free (h);
  }

  /* 12. configuration */
  b = edit_header (&good, "gst-vae/1", "gst-vae/9");
  expect_bad ("format gst-vae/9", b, VAE_ERR_CONFIG, "not a gst-vae model");
  b = edit_header (&good, "\"format\":\"gst-vae/1\",", "");
  expect_bad ("no format", b, VAE_ERR_CONFIG, "(none)");
  b = edit_header (&good, "\\\"kind\\\":\\\"dae\\\"", "\\\"kind\\\":\\\"gan\\\"");
  expect_bad ("unknown kind", b, VAE_ERR_CONFIG, "gan");
  b = edit_header (&good, "\\\"latent\\\":5,", "");
  expect_bad ("config field missing", b, VAE_ERR_CONFIG, "latent");
  b = edit_header (&good, "\"config\":\"{", "\"config\":\"[{");
  expect_bad ("config not an object", b, VAE_ERR_CONFIG, "config");
  b = edit_header (&good, "\\\"norm_scale\\\":", "\\\"norm_scale\\\":-");
  expect_bad ("negative norm_scale", b, VAE_ERR_CONFIG, "normalisation");
  b = edit_header (&good, "\\\"residual\\\":1", "\\\"residual\\\":2");
  expect_bad ("residual 2", b, VAE_ERR_DIMS, "residual");

  /* 13. not a file */
  {
    VaeModel *mm;
    char *missing = g_build_filename (dir, "does-not-exist.safetensors", NULL);
    mm = vae_model_load (missing, &err);
    printf ("  %-26s -> %-18s \"%s\"\n", "missing file",
        vae_status_string (err.status), err.msg);
    CHECK (mm == NULL && err.status == VAE_ERR_IO
        && strstr (err.msg, "does-not-exist"),
        "missing file: %d \"%s\"", err.status, err.msg);
    mm = vae_model_load (NULL, &err);
    CHECK (mm == NULL && err.status == VAE_ERR_ARG, "NULL path: %d",
        err.status);
    g_free (missing);
  }

  /* the error struct is optional */
  CHECK (vae_model_load_from_memory (good.bytes, 3, NULL) == NULL,
      "3 bytes loaded without an error struct");

  blob_free (&good);
  vae_model_free (m);
}

/* vae_model_load (path) must fail at once with VAE_ERR_IO and a message
 * containing want. */
static void
expect_refused (const char *what, const char *path, const char *want)
{
  VaeError err;
  VaeModel *m;

  memset (&err, 0, sizeof err);
  m = vae_model_load (path, &err);
  printf ("  %-26s -> %-18s \"%s\"\n", what, vae_status_string (err.status),
      err.msg);
  CHECK (m == NULL && err.status == VAE_ERR_IO && strstr (err.msg, want),
      "%s: status %d, message \"%s\" lacks \"%s\"", what, err.status,
      err.msg, want);
  vae_model_free (m);
}

/* A file of size bytes, all a hole: no disk space used. */
static void
make_sparse (const char *path, off_t size)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CHECK (fd >= 0 && ftruncate (fd, size) == 0, "sparse file %s: %s", path,
      strerror (errno));
  if (fd >= 0)
    close (fd);
}

/* A model path must name a regular file of at most VAE_FILE_MAX_SIZE
 * bytes; anything else is refused before a byte is read.  (A FIFO without
 * a writer would block a plain open forever, /dev/zero read forever.) */
static void
test_not_model_files (const char *dir)
{
  char *fifo = g_build_filename (dir, "fifo", NULL);
  char *sock = g_build_filename (dir, "socket", NULL);
  char *big = g_build_filename (dir, "big.safetensors", NULL);
  char *want;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int fd;

  printf ("not model files:\n");
  expect_refused ("/dev/zero", "/dev/zero",
      "'/dev/zero' is not a regular file");

  CHECK (mkfifo (fifo, 0600) == 0, "mkfifo %s: %s", fifo, strerror (errno));
  want = g_strdup_printf ("'%s' is not a regular file", fifo);
  expect_refused ("a FIFO", fifo, want);
  g_free (want);

  want = g_strdup_printf ("'%s' is not a regular file", dir);
  expect_refused ("a folder", dir, want);
  g_free (want);

  fd = socket (AF_UNIX, SOCK_STREAM, 0);
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", sock);
  CHECK (fd >= 0 && bind (fd, (struct sockaddr *) &sa, sizeof sa) == 0,
      "socket %s: %s", sock, strerror (errno));
  want = g_strdup_printf ("'%s' is not a regular file", sock);
  expect_refused ("a socket", sock, want);
  g_free (want);
  if (fd >= 0)
    close (fd);

  make_sparse (big, (off_t) 300 << 20);
  want = g_strdup_printf ("'%s' is 300 MiB, over the 256 MiB limit for a "
      "model file", big);
  expect_refused ("a 300 MiB file", big, want);
  g_free (want);
  make_sparse (big, (off_t) VAE_FILE_MAX_SIZE + 1);
  want = g_strdup_printf ("'%s' is 257 MiB, over the 256 MiB limit", big);
  expect_refused ("one byte over the limit", big, want);
  g_free (want);

  g_unlink (fifo);
  g_unlink (sock);
  g_unlink (big);
  g_free (fifo);
  g_free (sock);
  g_free (big);
}

/* Random corruption of valid files must never crash: the loader either
 * returns a model (usable for inference) or a status with a message. */
static void
test_mutations (void)
{
  static const uint8_t interesting[] = { '"', '{', '}', '[', ']', ',', ':',
    '0', '1', '9', '-', '.', 'e', '\\', ' ', 0, 0xff, 0x80 };
  VaeError err;
  VaeRng r;
  int counts[32] = { 0 }, loaded = 0, iters = 10000;
  Blob good[2];

  for (int k = 0; k < 2; k++) {
    VaeModel *m = make_model (k ? VAE_KIND_VAE : VAE_KIND_DAE, 9);
    void *d;
    vae_model_save_to_memory (m, &d, &good[k].size, &err);
    good[k].bytes = d;
    vae_model_free (m);
  }
  vae_rng_seed (&r, 2024);
  for (int it = 0; it < iters; it++) {
    Blob *g = &good[it & 1];
    Blob b = copy_blob (g);
    uint64_t hl = header_len (g);
    int kind = (int) vae_rng_below (&r, 6);
    int n = 1 + (int) vae_rng_below (&r, 4);
    VaeModel *m;

    for (int j = 0; j < n; j++) {
      /* mostly the header, where the parsing is */
      size_t pos = kind < 4 ? 8 + vae_rng_below (&r, (uint32_t) hl)
          : vae_rng_below (&r, (uint32_t) b.size);
      switch (kind) {
        case 0: case 4:
          b.bytes[pos] ^= (uint8_t) (1u << vae_rng_below (&r, 8));
          break;
        case 1:
          b.bytes[pos] = interesting[vae_rng_below (&r, sizeof interesting)];
          break;
        case 2:
          if (b.bytes[pos] >= '0' && b.bytes[pos] <= '9')
            b.bytes[pos] = (uint8_t) ('0' + vae_rng_below (&r, 10));
          else
            b.bytes[pos] = (uint8_t) vae_rng_below (&r, 256);
          break;
        case 3:
          b.bytes[vae_rng_below (&r, 8)] = (uint8_t) vae_rng_below (&r, 256);
          break;
        default:
          b.size = vae_rng_below (&r, (uint32_t) b.size);
          break;
      }
    }
    memset (&err, 0, sizeof err);
    m = vae_model_load_from_memory (b.bytes, b.size, &err);
    if (m) {
      /* a loaded model must be consistent enough to run */
      const VaeConfig *c = vae_model_config (m);
      VaeWorkspace *ws = vae_workspace_new (m, 2, 0, NULL);
      float x[2 * 64], y[2 * 64];
      loaded++;
      CHECK (c->n_in <= 64 && ws != NULL, "mutant model unusable");
      if (ws && c->n_in <= 64) {
        for (int i = 0; i < 2 * c->n_in; i++)
          x[i] = 0.5f;
        vae_reconstruct (m, ws, x, 2, 0.1f, y);
      }
      vae_workspace_free (ws);
      vae_model_free (m);
    } else {
      CHECK (err.status < 0 && err.msg[0] != '\0'
          && strcmp (vae_status_string (err.status), "unknown error") != 0,
          "mutation %d: status %d, message \"%s\"", it, err.status, err.msg);
      if (err.status < 0 && -err.status < 32)
        counts[-err.status]++;
    }
    blob_free (&b);
  }
  printf ("random mutations: %d files, %d loaded;", iters, loaded);
  for (int s = 1; s < 32; s++)
    if (counts[s])
      printf (" %s %d,", vae_status_string (-s), counts[s]);
  printf ("\n");
  blob_free (&good[0]);
  blob_free (&good[1]);
}

int
main (void)
{
  GError *gerr = NULL;
  char *dir = g_dir_make_tmp ("vae-modelfile-XXXXXX", &gerr);
  if (dir == NULL) {
    printf ("cannot make a temporary folder: %s\n", gerr->message);
    return 1;
  }
  test_round_trip ();
  test_save_load_file (dir);
  test_bad_files (dir);
  test_not_model_files (dir);
  test_mutations ();
  g_rmdir (dir);
  g_free (dir);
  if (failures) {
    printf ("%d check(s) failed\n", failures);
    return 1;
  }
  printf ("all model-file checks passed\n");
  return 0;
}
