#!/usr/bin/env bash
# Flags frames unlike what a model was trained on.  An MNIST VAE watches a
# stream that alternates between digits (decoded by vaesample) and test
# patterns (videotestsrc: SMPTE bars, then snow); vaeencode posts
# vae-anomaly for every frame whose negative ELBO exceeds THRESHOLD nats,
# and the script prints one line per segment with how many were flagged.
#
#   gst-launch-1.0 -m concat name=c ! vaeencode threshold=400 ! fakesink \
#       vaesample num-buffers=20 ! video/x-raw,format=GRAY8,width=112,height=112,framerate=10/1 ! c. \
#       videotestsrc num-buffers=20 ! video/x-raw,format=GRAY8,width=112,height=112,framerate=10/1 ! c.
#
# Env: THRESHOLD (default 400; MNIST digits score about 100), VAE_MODEL,
# NUM_BUFFERS (frames per segment, default 20), HEADLESS=0 shows the video.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

n=$NUM_BUFFERS
((n > 0)) || n=20
THRESHOLD=${THRESHOLD:-400}
vae_need vaesample vaeencode videotestsrc concat

CAPS=video/x-raw,format=GRAY8,width=112,height=112,framerate=10/1
MODEL_PROP=${VAE_MODEL:+model=$VAE_MODEL}
if [[ $HEADLESS == 1 ]]; then
  SINK=(fakesink sync=false)
else
  vae_need autovideosink videoconvert
  SINK=(videoconvert ! autovideosink)
fi

log=$(vae_run -m concat name=c ! \
  vaeencode threshold="$THRESHOLD" $MODEL_PROP ! "${SINK[@]}" \
  vaesample seed=1 num-buffers="$n" $MODEL_PROP ! $CAPS ! c. \
  videotestsrc pattern=smpte num-buffers="$n" ! $CAPS ! c. \
  vaesample seed=2 num-buffers="$n" $MODEL_PROP ! $CAPS ! c. \
  videotestsrc pattern=snow num-buffers="$n" ! $CAPS ! c.)

# Frame f of the concatenated stream belongs to segment f / n.
echo "$log" | grep 'vae-anomaly' | \
  sed -n 's/.*frame=(guint64)\([0-9]*\),.*score=(double)\([0-9.e+-]*\),.*/\1 \2/p' | \
  awk -v n="$n" -v t="$THRESHOLD" '
    { seg = int($1 / n); flagged[seg]++; if ($2 > top[seg]) top[seg] = $2 }
    END {
      split("digits (vaesample seed 1)|SMPTE bars|digits (vaesample seed 2)|snow", name, "|")
      for (s = 0; s < 4; s++)
        printf "%-26s %3d of %d frames flagged (threshold %s)%s\n", name[s + 1],
          flagged[s], n, t, flagged[s] ? sprintf(", highest score %.0f", top[s]) : ""
    }'
