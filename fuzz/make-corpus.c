/* Writes the loader fuzzer's seed corpus: small valid models of each kind
 * and one broken file per way a model file can be bad.  Usage:
 * make-corpus DIR */
#include "vae.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;

static void
put (const char *name, const void *data, size_t size)
{
  char path[4096];
  FILE *f;
  snprintf (path, sizeof path, "%s/%s", dir, name);
  f = fopen (path, "wb");
  if (f == NULL || fwrite (data, 1, size, f) != size || fclose (f) != 0) {
    perror (path);
    exit (1);
  }
}

static VaeModel *
model (VaeKind kind, int pw, int ph, int hidden, int latent)
{
  VaeConfig c = vae_config_default ();
  VaeError err;
  VaeModel *m;
  c.kind = kind;
  c.img_w = pw;
  c.img_h = ph;
  c.n_in = pw * ph;
  c.n_enc = c.n_dec = hidden > 0;
  c.enc[0] = c.dec[0] = hidden;
  c.n_latent = latent;
  if (kind == VAE_KIND_SPARSE_AE)
    c.code_act = VAE_ACT_SIGMOID;
  if (kind == VAE_KIND_DAE) {
    c.noise = VAE_NOISE_GAUSSIAN;
    c.noise_max = 0.2f;
    c.residual = 1;
    c.noise_input = 1;
    c.norm_mean = 0.5f;
    c.norm_scale = 0.2f;
  }
  if (kind == VAE_KIND_VAE)
    c.likelihood = VAE_LIK_BERNOULLI;
  if (kind == VAE_KIND_DAE && hidden < 0) {
    /* convolutional: -hidden layers of 3x3 convolutions, latent channels */
    c.n_enc = c.n_dec = 0;
    c.conv_depth = -hidden;
    c.conv_width = latent;
    c.conv_kernel = 3;
  }
  m = vae_model_new (&c, 7, &err);
  if (m == NULL) {
    fprintf (stderr, "make-corpus: %s\n", err.msg);
    exit (1);
  }
  vae_model_set_meta (m, "trained_on", "nothing");
  return m;
}

/* Replaces the first occurrence of from by to in the JSON header, fixing the
 * header length (padding with spaces to keep the alignment). */
static void
put_edited (const char *name, const uint8_t *buf, size_t size,
    const char *from, const char *to)
{
  uint64_t hlen = 0;
  for (int i = 0; i < 8; i++)
    hlen |= (uint64_t) buf[i] << (8 * i);
  char *hdr = malloc (hlen + 1);
  memcpy (hdr, buf + 8, hlen);
  hdr[hlen] = 0;
  char *at = strstr (hdr, from);
  if (at == NULL) {
    fprintf (stderr, "make-corpus: %s: \"%s\" not in header\n", name, from);
    exit (1);
  }
  size_t nh = hlen - strlen (from) + strlen (to);
  size_t padded = (nh + 7) / 8 * 8;
  size_t dsize = size - 8 - hlen, out_size = 8 + padded + dsize;
  uint8_t *out = malloc (out_size);
  for (int i = 0; i < 8; i++)
    out[i] = (uint8_t) (padded >> (8 * i));
  size_t pre = (size_t) (at - hdr);
  memcpy (out + 8, hdr, pre);
  memcpy (out + 8 + pre, to, strlen (to));
  memcpy (out + 8 + pre + strlen (to), at + strlen (from),
      hlen - pre - strlen (from));
  memset (out + 8 + nh, ' ', padded - nh);
  memcpy (out + 8 + padded, buf + 8 + hlen, dsize);
  put (name, out, out_size);
  free (out);
  free (hdr);
}

int
main (int argc, char **argv)
{
  VaeError err;
  void *data;
  size_t size;
  uint8_t *b;
  uint64_t hlen = 0;

  if (argc != 2) {
    fprintf (stderr, "usage: make-corpus DIR\n");
    return 2;
  }
  dir = argv[1];
  struct { const char *name; VaeKind kind; int pw, ph, hidden, latent; } ok[] = {
    { "ok-ae.safetensors", VAE_KIND_AE, 4, 4, 8, 3 },
    { "ok-sparse-ae.safetensors", VAE_KIND_SPARSE_AE, 3, 3, 0, 4 },
    { "ok-dae.safetensors", VAE_KIND_DAE, 4, 4, 8, 6 },
    { "ok-vae.safetensors", VAE_KIND_VAE, 2, 5, 6, 2 },
    { "ok-conv-dae.safetensors", VAE_KIND_DAE, 6, 6, -3, 4 },
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    VaeModel *m = model (ok[i].kind, ok[i].pw, ok[i].ph, ok[i].hidden,
        ok[i].latent);
    if (vae_model_save_to_memory (m, &data, &size, &err) != VAE_OK)
      return 1;
    put (ok[i].name, data, size);
    free (data);
    vae_model_free (m);
  }

  /* A DAE with int8 weights (quant.* tensors, I8 among them). */
  {
    VaeModel *m = model (VAE_KIND_DAE, 4, 4, 8, 6);
    VaeConfig c = *vae_model_config (m);
    float x[64 * 16], lv[64];
    vae_model_free (m);
    c.act = c.code_act = VAE_ACT_RELU;
    m = vae_model_new (&c, 7, &err);
    for (int i = 0; i < 64 * 16; i++)
      x[i] = (float) ((i * 37) % 256) / 255.0f;
    for (int i = 0; i < 64; i++)
      lv[i] = (float) (i % 50);
    if (m == NULL || vae_model_quantize (m, x, lv, 64, NULL, &err) != VAE_OK
        || vae_model_save_to_memory (m, &data, &size, &err) != VAE_OK) {
      fprintf (stderr, "make-corpus: int8 model: %s\n", err.msg);
      return 1;
    }
    put ("ok-dae-int8.safetensors", data, size);
    free (data);
    /* and with int8 weights for layer 0 only */
    if (vae_model_quantize_layers (m, x, lv, 64, 1, NULL, &err) != VAE_OK
        || vae_model_save_to_memory (m, &data, &size, &err) != VAE_OK) {
      fprintf (stderr, "make-corpus: int8 layer 0: %s\n", err.msg);
      return 1;
    }
    put ("ok-dae-int8-layer0.safetensors", data, size);
    free (data);
    vae_model_free (m);
  }

  /* Broken variants of the DAE. */
  {
    VaeModel *m = model (VAE_KIND_DAE, 4, 4, 8, 6);
    vae_model_save_to_memory (m, &data, &size, &err);
    vae_model_free (m);
  }
  b = data;
  for (int i = 0; i < 8; i++)
    hlen |= (uint64_t) b[i] << (8 * i);

  put ("bad-empty", b, 0);
  put ("bad-short-length", b, 5);
  put ("bad-header-only", b, 8 + hlen);
  put ("bad-truncated-data", b, size - 10);
  {
    uint8_t *c = malloc (size);
    memcpy (c, b, size);
    c[7] = 0x7f;                        /* huge header length */
    put ("bad-huge-header", c, size);
    memcpy (c, b, size);
    c[0] = (uint8_t) (hlen + 1);        /* header length one past */
    put ("bad-header-off-by-one", c, size);
    memcpy (c, b, size);
    memset (c + 8 + hlen, 0xff, 4);     /* first weight NaN */
    put ("bad-nan-weight", c, size);
    memcpy (c, b, size);
    c[8] = '[';
    put ("bad-json", c, size);
    free (c);
  }
  put_edited ("bad-dtype", b, size, "\"F32\"", "\"F16\"");
  put_edited ("bad-shape", b, size, "\"shape\":[8,17]", "\"shape\":[8,16]");
  put_edited ("bad-offsets", b, size, "\"data_offsets\":[0,", "\"data_offsets\":[4,");
  put_edited ("bad-missing-tensor", b, size, "layers.0.bias", "layers.9.bias");
  put_edited ("bad-extra-name", b, size, "layers.0.bias", "layers.0.bogus");
  put_edited ("bad-format", b, size, "gst-vae/1", "gst-vae/2");
  put_edited ("bad-no-metadata", b, size, "__metadata__", "__metadatx__");
  put_edited ("bad-kind", b, size, "\\\"dae\\\"", "\\\"xae\\\"");
  put_edited ("bad-dims", b, size, "\\\"latent\\\":6", "\\\"latent\\\":99999999");
  put_edited ("bad-config-json", b, size, "\"config\":\"{", "\"config\":\"[");
  put_edited ("bad-negative-offset", b, size, "\"data_offsets\":[0,", "\"data_offsets\":[-8,");
  put_edited ("bad-meta-type", b, size, "\"trained_on\":\"nothing\"", "\"trained_on\":1");
  free (data);

  /* Broken variants of the convolutional DAE. */
  {
    VaeModel *m = model (VAE_KIND_DAE, 6, 6, -3, 4);
    vae_model_save_to_memory (m, &data, &size, &err);
    vae_model_free (m);
  }
  put_edited ("bad-conv-depth", data, size, "\\\"conv_depth\\\":3",
      "\\\"conv_depth\\\":9");
  put_edited ("bad-conv-kernel", data, size, "\\\"conv_kernel\\\":3",
      "\\\"conv_kernel\\\":4");
  put_edited ("bad-conv-width", data, size, "\\\"conv_width\\\":4",
      "\\\"conv_width\\\":5");
  free (data);
  return 0;
}
