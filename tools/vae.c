/* vae: train, inspect and evaluate gst-vae models; this file dispatches
 * to the commands.
 *
 *   vae train --kind vae --data mnist:train-images-idx3-ubyte.gz --out m.safetensors
 *   vae info m.safetensors
 *   vae eval --model m.safetensors --data mnist:t10k-images-idx3-ubyte.gz [--iwae 5000]
 *   vae eval-denoise --model d.safetensors --set DIR --sigma 25
 *   vae denoise --model d.safetensors --sigma 25 in.png out.png
 *   vae noise --type gaussian --sigma 25 --seed 1 in.png out.png
 *   vae psnr a.png b.png
 *   vae sample --model m.safetensors --grid 10x10 --out grid.png
 */
#include "vae_tool.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *help;
} commands[] = {
  { "train", cmd_train, "train a model (vae train --help)" },
  { "info", cmd_info, "print a model's architecture and metadata" },
  { "meta", cmd_meta, "set metadata in a model file (KEY=VALUE...)" },
  { "prune", cmd_prune, "drop the hidden units that matter least on data" },
  { "quantize", cmd_quantize,
    "add int8 weights (precision=int8), calibrated on data" },
  { "eval", cmd_eval, "reconstruction NLL, ELBO and IWAE bound on a dataset" },
  { "eval-denoise", cmd_eval_denoise,
    "PSNR/SSIM of a denoiser on a folder of images" },
  { "denoise", cmd_denoise, "denoise one image" },
  { "noise", cmd_noise,
    "corrupt one image (gaussian, salt-and-pepper, masking)" },
  { "psnr", cmd_psnr, "PSNR between two images" },
  { "sample", cmd_sample,
    "a grid of samples from a VAE's prior (--manifold 1 for 2-D)" },
  { "filters", cmd_filters, "first-layer weights as a picture" },
  { "compare", cmd_compare,
    "clean | noisy | denoised strip of one image, with PSNRs" },
};

int
fail (const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "vae: ");
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\n");
  return 1;
}

static void
usage (void)
{
  fprintf (stderr, "usage: vae COMMAND [options]\n");
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stderr, "  %-14s%s\n", commands[i].name, commands[i].help);
}

int
main (int argc, char **argv)
{
  const char *cmd;
  if (argc < 2) {
    usage ();
    return 2;
  }
  cmd = argv[1];
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (cmd, commands[i].name) == 0)
      return commands[i].run (argc - 2, argv + 2);
  if (strcmp (cmd, "-h") == 0 || strcmp (cmd, "--help") == 0) {
    usage ();
    return 0;
  }
  usage ();
  return fail ("unknown command %s", cmd);
}
