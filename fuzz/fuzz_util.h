/* What the fuzz targets share: their input read as unsigned fields (zeros
 * once it runs out), and the tiny dense DAEs they denoise with. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vae.h"

typedef struct {
  const uint8_t *p;
  size_t n;
} Reader;

/* The next (bits + 7) / 8 bytes, big-endian, kept to their low bits. */
static unsigned
take (Reader *r, unsigned bits)
{
  unsigned v = 0;
  for (unsigned i = 0; i < (bits + 7) / 8; i++) {
    v = (v << 8) | (r->n ? *r->p : 0);
    if (r->n) {
      r->p++;
      r->n--;
    }
  }
  return bits < 32 ? v & ((1u << bits) - 1) : v;
}

/* A pw × ph dense DAE, 8 hidden units and a 6-unit code, normalised as
 * the shipped models. */
static VaeConfig
tiny_config (int pw, int ph, int residual, int noise_input)
{
  VaeConfig c = vae_config_default ();
  c.kind = VAE_KIND_DAE;
  c.img_w = pw;
  c.img_h = ph;
  c.n_in = pw * ph;
  c.n_enc = 1;
  c.enc[0] = 8;
  c.n_latent = 6;
  c.n_dec = 0;
  c.noise = VAE_NOISE_GAUSSIAN;
  c.noise_min = 0.0f;
  c.noise_max = 0.2f;
  c.residual = residual;
  c.noise_input = noise_input;
  c.norm_mean = 0.5f;
  c.norm_scale = 0.2f;
  return c;
}

/* A model of c with random weights (seed 1); aborts if it cannot be made. */
static VaeModel *
tiny_new (const VaeConfig *c)
{
  VaeError err;
  VaeModel *m = vae_model_new (c, 1, &err);
  if (m == NULL)
    abort ();
  return m;
}

static VaeModel *
tiny_model (int pw, int ph, int residual, int noise_input)
{
  VaeConfig c = tiny_config (pw, ph, residual, noise_input);
  return tiny_new (&c);
}

#endif /* FUZZ_UTIL_H */
