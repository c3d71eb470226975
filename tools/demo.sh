#!/usr/bin/env bash
# The main job: set up, build, then denoise through GStreamer (vaenoise !
# vaedenoise with the shipped default model, all defaults) a natural photo
# and a 3-second 640x360 video panning over it; leaves clean | noisy |
# denoised side by side in demo-out/ (compare.png, video-frame.png) and the
# video noisy | denoised (video-compare.mkv), printing PSNR before and after.
# Env: SIGMA (default 25), OUT_DIR (default demo-out); an argument replaces
# the photo (any picture GStreamer decodes).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-debian.sh
export GST_PLUGIN_PATH=$PWD/build/plugin
export OUT_DIR=${OUT_DIR:-$PWD/demo-out}
pipelines/compare-headless.sh "$@"
exec pipelines/demo-video.sh
