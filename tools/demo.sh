#!/usr/bin/env bash
# The main job: set up, build, then denoise a natural photo through
# GStreamer (vaenoise ! vaedenoise with the shipped default model) and leave
# clean | noisy | denoised side by side in demo-out/, printing PSNR before
# and after.  Env: SIGMA (default 25), IMAGE (any PNG/JPEG; default a photo
# from a Debian package), OUT_DIR (default demo-out).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-debian.sh
export GST_PLUGIN_PATH=$PWD/build/plugin
export OUT_DIR=${OUT_DIR:-$PWD/demo-out}
exec pipelines/compare-headless.sh "$@"
