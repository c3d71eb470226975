#!/usr/bin/env bash
# Prints the latent code of video frames: vaeencode attaches μ, log σ² and a
# score to every frame and, every INTERVAL frames, posts a vae-latent
# message that gst-launch-1.0 -m prints.
#
#   pipelines/encode-print.sh [FILE]   # any video or image GStreamer decodes
#   pipelines/encode-print.sh          # digits from vaesample stand in
#
#   gst-launch-1.0 -m vaesample num-buffers=30 ! vaeencode interval=10 ! \
#       fakesink
#
# Env: INTERVAL (default 10), VAE_MODEL, NUM_BUFFERS (default 30).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

IN=${1:-}
n=$NUM_BUFFERS
((n > 0)) || n=30
vae_need vaeencode vaesample

if [[ -n $IN ]]; then
  [[ -r $IN ]] || { echo "encode-print.sh: cannot read $IN" >&2; exit 1; }
  vae_need decodebin videoconvert
  SRC=(filesrc location="$IN" ! decodebin ! videoconvert)
else
  SRC=(vaesample num-buffers="$n")
fi
# Only the vae-latent lines of gst-launch's message log.
vae_run -m "${SRC[@]}" ! \
  vaeencode interval="${INTERVAL:-10}" ${VAE_MODEL:+model="$VAE_MODEL"} ! \
  fakesink sync=false | grep --line-buffered 'vae-latent' || true
