#!/usr/bin/env bash
# Writes two PNGs in the manner of the VAE paper's figures:
#   manifold.png  the learned 2-D latent manifold of MNIST
#                 (mnist-vae2d.safetensors): a 20x20 grid of decodings of z
#                 at the prior's quantiles, through the inverse normal CDF;
#   samples.png   a 10x10 grid of random samples of the 20-D model.
# Files go to OUT_DIR.  A framerate of 0/1 makes vaesample produce one
# frame, then EOS.
#
#   gst-launch-1.0 vaesample model=mnist-vae2d.safetensors mode=grid \
#       grid-cols=20 grid-rows=20 scale=1 ! video/x-raw,framerate=0/1 ! \
#       pngenc ! filesink location=manifold.png
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

mkdir -p "$OUT_DIR"
vae_need vaesample pngenc

vae_run vaesample model="${VAE_MODEL_2D:-mnist-vae2d.safetensors}" \
  mode=grid grid-cols=20 grid-rows=20 scale=1 ! \
  video/x-raw,format=GRAY8,framerate=0/1 ! pngenc ! \
  filesink location="$OUT_DIR/manifold.png"
vae_run vaesample ${VAE_MODEL:+model="$VAE_MODEL"} seed="${SEED:-0}" \
  mode=grid grid-cols=10 grid-rows=10 scale=1 ! \
  video/x-raw,format=GRAY8,framerate=0/1 ! pngenc ! \
  filesink location="$OUT_DIR/samples.png"
echo "wrote $OUT_DIR/manifold.png and $OUT_DIR/samples.png"
