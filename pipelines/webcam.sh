#!/usr/bin/env bash
# A camera's own noise removed live: the raw picture on the left, vaedenoise's
# on the right.  The noise level is estimated from every frame, since a
# camera's depends on its gain and light.
#
#   pipelines/webcam.sh            # DEVICE=/dev/video0 by default
#
# Without a camera (no DEVICE), it says so and shows the same thing on a
# noisy test pattern instead.  HEADLESS=1: no window; the last composed frame
# goes to $OUT_DIR/webcam.png.  Env: WIDTH x HEIGHT (640x480), NUM_BUFFERS,
# MODEL.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

DEVICE=${DEVICE:-/dev/video0}
WIDTH=${WIDTH:-640}
HEIGHT=${HEIGHT:-480}
vae_need vaedenoise compositor videoconvert videoscale tee queue

CAPS="video/x-raw,format=I420,width=$WIDTH,height=$HEIGHT"
if [[ -e $DEVICE ]] && vae_have v4l2src; then
  SRC=(v4l2src device="$DEVICE" ! videoconvert ! videoscale ! "$CAPS")
else
  echo "webcam.sh: no camera at $DEVICE (or no v4l2src); showing a test" \
    "pattern with sigma 15 noise instead. Set DEVICE=/dev/videoN for" \
    "another camera." >&2
  vae_need vaenoise
  SRC=(videotestsrc pattern=smpte is-live=true ! "$CAPS,framerate=30/1" !
       vaenoise sigma=15 planes=all)
fi
if ((NUM_BUFFERS > 0)); then
  SRC+=(! identity eos-after="$NUM_BUFFERS")
fi

if [[ $HEADLESS == 1 ]]; then
  mkdir -p "$OUT_DIR"
  vae_need pngenc multifilesink
  SINK=(pngenc ! multifilesink location="$OUT_DIR/webcam.png" max-files=1
        sync=false)
else
  SINK=(autovideosink)
fi

# shellcheck disable=SC2086 # DENOISE_PROPS is a list of name=value words
vae_run "${SRC[@]}" ! tee name=t \
  t. ! queue ! c.sink_0 \
  t. ! queue ! vaedenoise noise-level=-1 chroma=denoise $DENOISE_PROPS ! \
    c.sink_1 \
  compositor name=c background=black sink_1::xpos="$WIDTH" ! \
  videoconvert ! "${SINK[@]}"
