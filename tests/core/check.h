/* The core tests' one assertion: CHECK (cond, printf-style message) counts
 * a failure and goes on, so one run reports every broken check; main ends
 * with a non-zero status when `failures` is. */
#ifndef VAE_TEST_CHECK_H
#define VAE_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int failures = 0;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      failures++; \
      printf ("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

/* Helpers of the reference computations (need vae.h and math.h first). */
#ifdef VAE_H
static inline float
urand (VaeRng *r, float lo, float hi)
{
  return lo + (hi - lo) * vae_rng_uniform (r);
}

/* A new model of configuration c (exits on failure) whose biases are
 * uniform in [−amp, amp] (seeded per layer from seed), so that some units
 * sit below zero for most inputs. */
static inline VaeModel *
new_model_biased (const VaeConfig *c, uint64_t seed, float amp)
{
  VaeError err;
  VaeModel *m = vae_model_new (c, seed, &err);
  if (m == NULL) {
    printf ("vae_model_new: %s\n", err.msg);
    exit (1);
  }
  for (int l = 0; l < vae_model_n_layers (m); l++) {
    int no;
    float *b;
    VaeRng r;
    vae_rng_seed (&r, seed * 100 + l);
    vae_model_layer (m, l, NULL, &no, NULL, NULL, &b, NULL, NULL);
    for (int j = 0; j < no; j++)
      b[j] = amp * (2.0f * vae_rng_uniform (&r) - 1.0f);
  }
  return m;
}

/* An activation in double precision, from its definition. */
static inline double
act_d (double v, VaeAct a)
{
  switch (a) {
    case VAE_ACT_RELU: return v > 0 ? v : 0;
    case VAE_ACT_LRELU: return v > 0 ? v : VAE_LRELU_SLOPE * v;
    case VAE_ACT_SIGMOID: return 1.0 / (1.0 + exp (-v));
    case VAE_ACT_TANH: return tanh (v);
    default: return v;
  }
}
#endif

#endif
