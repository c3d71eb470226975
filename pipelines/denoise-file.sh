#!/usr/bin/env bash
# Denoises a video or image file: anything GStreamer can decode goes through
# vaedenoise and is written out again.
#
#   pipelines/denoise-file.sh IN [OUT]
#   pipelines/denoise-file.sh            # a noisy test clip stands in for IN
#
# OUT's extension picks the encoder: .mkv (default) FFV1, lossless, when
# gst-libav is there, else raw video in Matroska; .webm VP8; .mp4 x264;
# a name with %d (frame-%05d.png) a PNG sequence.  Default OUT:
# $OUT_DIR/denoised.mkv.  Chroma is denoised too (CHROMA=passthrough to
# copy it); SIGMA sets the noise level (default: estimated per frame).
#
# The core of it, as in vaedenoise's documentation:
#   gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
#       vaedenoise ! videoconvert ! avenc_ffv1 ! matroskamux ! \
#       filesink location=out.mkv
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

IN=${1:-}
mkdir -p "$OUT_DIR"
OUT=${2:-$OUT_DIR/denoised.mkv}
CHROMA=${CHROMA:-denoise}
SIGMA=${SIGMA:--1}
vae_need vaedenoise videoconvert

if [[ -n $IN ]]; then
  [[ -r $IN ]] || { echo "denoise-file.sh: cannot read $IN" >&2; exit 1; }
  vae_need decodebin
  SRC=(filesrc location="$IN" ! decodebin ! videoconvert)
else
  # 2 s of a moving test pattern with σ=25 noise on all planes.
  echo "denoise-file.sh: no input given, using a noisy test clip" >&2
  n=$NUM_BUFFERS
  ((n > 0)) || n=60
  SRC=(videotestsrc pattern=ball num-buffers="$n" !
       video/x-raw,format=I420,width=320,height=240,framerate=30/1 !
       vaenoise sigma=25 planes=all)
fi
if ((NUM_BUFFERS > 0)); then
  SRC+=(! identity eos-after="$NUM_BUFFERS")
fi

case $OUT in
  *%*d*.png)
    vae_need pngenc multifilesink
    SINK=(videoconvert ! pngenc ! multifilesink location="$OUT") ;;
  *.webm)
    vae_need vp8enc webmmux
    SINK=(videoconvert ! vp8enc deadline=1 ! webmmux ! filesink location="$OUT") ;;
  *.mp4)
    vae_need x264enc mp4mux
    SINK=(videoconvert ! x264enc ! mp4mux ! filesink location="$OUT") ;;
  *.mkv)
    vae_need matroskamux
    if vae_have avenc_ffv1; then
      SINK=(videoconvert ! avenc_ffv1 ! matroskamux ! filesink location="$OUT")
    else
      echo "denoise-file.sh: no avenc_ffv1 (gstreamer1.0-libav), writing raw video" >&2
      SINK=(videoconvert ! video/x-raw,format=I420 ! matroskamux !
            filesink location="$OUT")
    fi ;;
  *)
    echo "denoise-file.sh: OUT must end in .mkv, .webm, .mp4 or %05d.png" >&2
    exit 1 ;;
esac

# shellcheck disable=SC2086 # DENOISE_PROPS is a list of name=value words
vae_run "${SRC[@]}" ! queue ! \
  vaedenoise chroma="$CHROMA" noise-level="$SIGMA" $DENOISE_PROPS ! \
  "${SINK[@]}"
echo "denoise-file.sh: wrote $OUT"
