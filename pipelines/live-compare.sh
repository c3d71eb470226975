#!/usr/bin/env bash
# Noisy and denoised video side by side in a window: vaenoise adds σ=SIGMA
# noise, the stream splits, one half goes through vaedenoise, and compositor
# puts them next to each other (noisy left, denoised right).
#
#   pipelines/live-compare.sh [FILE]
#
# Source: FILE (any video GStreamer decodes) or videotestsrc's moving ball.
# A frame that comes too late is dropped (vaedenoise honours QoS), so the
# window keeps up even when denoising does not.
# HEADLESS=1: no window; the last composed frame goes to
# $OUT_DIR/live-compare.png.  Env: SIGMA (25), WIDTH x HEIGHT (640x360),
# NUM_BUFFERS, MODEL.
#
# The core of it, as in vaedenoise's documentation:
#   gst-launch-1.0 videotestsrc pattern=ball ! video/x-raw,format=GRAY8 ! \
#       vaenoise sigma=25 ! tee name=t \
#       t. ! queue ! compositor name=c sink_1::xpos=320 ! videoconvert ! \
#       autovideosink \
#       t. ! queue ! vaedenoise ! c.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

SIGMA=${SIGMA:-25}
WIDTH=${WIDTH:-640}
HEIGHT=${HEIGHT:-360}
vae_need vaenoise vaedenoise compositor videoconvert videoscale tee queue

CAPS="video/x-raw,format=I420,width=$WIDTH,height=$HEIGHT"
if [[ -n ${1:-} ]]; then
  vae_need decodebin
  SRC=(filesrc location="$1" ! decodebin ! videoconvert ! videoscale !
       "$CAPS,pixel-aspect-ratio=1/1")
else
  # mid-gray background: noise on black would be half clipped away
  SRC=(videotestsrc pattern=ball background-color=0xff808080
       foreground-color=0xffe0c040 is-live=true ! "$CAPS,framerate=30/1")
fi
if ((NUM_BUFFERS > 0)); then
  SRC+=(! identity eos-after="$NUM_BUFFERS")
fi

if [[ $HEADLESS == 1 ]]; then
  mkdir -p "$OUT_DIR"
  vae_need pngenc multifilesink
  SINK=(pngenc ! multifilesink location="$OUT_DIR/live-compare.png"
        max-files=1 sync=false)
else
  SINK=(autovideosink)
fi

# shellcheck disable=SC2086 # DENOISE_PROPS is a list of name=value words
vae_run "${SRC[@]}" ! vaenoise sigma="$SIGMA" planes=all ! tee name=t \
  t. ! queue ! c.sink_0 \
  t. ! queue ! vaedenoise chroma=denoise $DENOISE_PROPS ! c.sink_1 \
  compositor name=c background=black sink_1::xpos="$WIDTH" ! \
  videoconvert ! "${SINK[@]}"
