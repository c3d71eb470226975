#!/usr/bin/env bash
# Writes a video of digits dreamt by the MNIST VAE to a file: vaesample
# interpolates between random latents (MODE=interpolate, one key every
# TRANSITION frames) at 640x640.
#
#   pipelines/sample-file.sh [OUT]
#
# OUT's extension picks the encoder: .mkv (default) FFV1, lossless, when
# gst-libav is there, else raw video in Matroska; .webm VP8.  Default OUT:
# $OUT_DIR/samples.mkv; NUM_BUFFERS frames (default 300, 10 s at 30 fps).
#
#   gst-launch-1.0 vaesample mode=interpolate num-buffers=300 ! \
#       video/x-raw,width=640,height=640 ! videoconvert ! avenc_ffv1 ! \
#       matroskamux ! filesink location=samples.mkv
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

mkdir -p "$OUT_DIR"
OUT=${1:-$OUT_DIR/samples.mkv}
MODE=${MODE:-interpolate}
SIZE=${SIZE:-640}
n=$NUM_BUFFERS
((n > 0)) || n=300
vae_need vaesample videoconvert

case $OUT in
  *.webm)
    vae_need vp8enc webmmux
    ENC=(videoconvert ! vp8enc deadline=1 ! webmmux) ;;
  *)
    vae_need matroskamux
    if vae_have avenc_ffv1; then
      ENC=(videoconvert ! avenc_ffv1 ! matroskamux)
    else
      ENC=(videoconvert ! matroskamux)
    fi ;;
esac

vae_run vaesample mode="$MODE" transition-frames="${TRANSITION:-30}" \
  seed="${SEED:-0}" num-buffers="$n" ${VAE_MODEL:+model="$VAE_MODEL"} ! \
  video/x-raw,width="$SIZE",height="$SIZE",framerate=30/1 ! \
  "${ENC[@]}" ! filesink location="$OUT"
echo "wrote $OUT"
