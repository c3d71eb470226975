/* libFuzzer target: the model-file loader on arbitrary bytes.
 *
 * A file that loads is also saved again and reloaded (the round trip must
 * succeed and give the same bytes), and, when small, run once through the
 * network (and a DAE through the 8-bit denoiser) so weights that parse but
 * misbehave (huge values) are exercised. */
#include "vae.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  VaeError err;
  VaeModel *m;
  void *out = NULL, *out2 = NULL;
  size_t out_size = 0, out2_size = 0;

  memset (&err, 0, sizeof err);
  m = vae_model_load_from_memory (data, size, &err);
  if (m == NULL) {
    /* The message must be a terminated string with a status set. */
    if (err.status >= 0 || strlen (err.msg) >= VAE_ERROR_MSG_LEN)
      abort ();
    return 0;
  }
  if (vae_model_save_to_memory (m, &out, &out_size, &err) != VAE_OK)
    abort ();
  {
    VaeModel *m2 = vae_model_load_from_memory (out, out_size, &err);
    if (m2 == NULL)
      abort ();
    if (vae_model_save_to_memory (m2, &out2, &out2_size, &err) != VAE_OK
        || out2_size != out_size || memcmp (out, out2, out_size) != 0)
      abort ();
    vae_model_free (m2);
  }
  if (vae_model_n_params (m) < 20000) {
    const VaeConfig *c = vae_model_config (m);
    VaeWorkspace *ws = vae_workspace_new (m, 2, 0, &err);
    float *x = calloc (2 * (size_t) c->n_in, sizeof (float));
    float *y = calloc (2 * (size_t) c->n_in, sizeof (float));
    if (ws && x && y)
      vae_reconstruct (m, ws, x, 2, 0.1f, y);
    free (x);
    free (y);
    vae_workspace_free (ws);
    /* A denoiser runs the weights through the 8-bit output path too. */
    if (c->kind == VAE_KIND_DAE && c->likelihood == VAE_LIK_GAUSSIAN
        && c->img_w <= 16 && c->img_h <= 16) {
      VaeDenoiseOpts o = vae_denoise_opts_default ();
      VaeDenoiser *d;
      uint8_t src[9 * 7], dst[9 * 7];
      o.batch = 4;
      d = vae_denoiser_new (m, 9, 7, &o, &err);
      for (int i = 0; i < 9 * 7; i++)
        src[i] = (uint8_t) (i * 37);
      if (d == NULL
          || vae_denoiser_run_u8 (d, src, 9, dst, 9, 9, 7, 0, 7, 25.0f)
          != VAE_OK)
        abort ();
      vae_denoiser_free (d);
    }
  }
  free (out);
  free (out2);
  vae_model_free (m);
  return 0;
}
