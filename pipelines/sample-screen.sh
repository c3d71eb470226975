#!/usr/bin/env bash
# Shows what the MNIST VAE has learned: vaesample decodes latents drawn from
# its prior into video on the screen.  MODE=walk (default) drifts smoothly
# from digit to digit; random, interpolate and grid are the other modes.
#
#   gst-launch-1.0 vaesample mode=walk ! videoconvert ! autovideosink
#
# Env: MODE, TEMPERATURE (default 1), SEED, VAE_MODEL (default the
# element's mnist-vae.safetensors), plus NUM_BUFFERS, OUT_DIR and
# HEADLESS=1 (fakesink instead of a window).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

MODE=${MODE:-walk}
vae_need vaesample videoconvert

SRC=(vaesample mode="$MODE" temperature="${TEMPERATURE:-1}" seed="${SEED:-0}"
     num-buffers="$NUM_BUFFERS" ${VAE_MODEL:+model="$VAE_MODEL"})
if [[ $HEADLESS == 1 ]]; then
  SINK=(fakesink sync=false)
else
  vae_need autovideosink
  SINK=(videoconvert ! autovideosink)
fi
vae_run "${SRC[@]}" ! "${SINK[@]}"
