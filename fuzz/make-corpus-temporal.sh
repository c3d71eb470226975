#!/usr/bin/env bash
# Writes fuzz/corpus/temporal/: small scripts for fuzz_temporal.c.
# Usage: fuzz/make-corpus-temporal.sh [OUTDIR]
#
# A script: a refused geometry, then caps (w − 1, h − 1, layout, stride
# padding ×2, σ, gain) and ops (first byte mod 12): 0-4 a frame of the
# scene (flags, match split, blend split, shift, noise), 5 a frame of the
# script's bytes (flags, splits, pixels), 6 flush, 7 caps, 8 scene (kind,
# seed ×2), 9 paint (x, y, w, h, value), 10 σ, 11 gain.  Layout bits: 3
# planes, shift x, shift y, source chroma interleaved, destination chroma
# interleaved, the 3x5 model, source luma step 2, destination luma step 2.
# Frame flags: in place (one call), in place (parts), no U, no V.  σ bytes
# from 32 are (b − 32) / 4; below, special values (0: 0, 2: 0.3, 8: 300,
# 11: −1).  Gain bytes from 3 are 0.5 + 3.5 (b − 3) / 252.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/corpus/temporal}
mkdir -p "$out"

put () {
  local name=$1
  shift
  # shellcheck disable=SC2059
  printf "$(printf '\\x%02x' "$@")" > "$out/$name"
}

# frames SHIFT N FLAGS NOISE: N frames of the scene, on varied splits
frames () {
  local shift=$1 n=$2 flags=$3 noise=$4
  for ((i = 0; i < n; i++)); do
    echo 0 "$flags" $((i * 37 % 256)) $((i * 91 % 256)) "$shift" "$noise"
  done
}

# a still grey-level scene, luma only, σ 10, gain 1.5
put luma-still 0  46 39 0x00 0 0  72 75 $(frames 0x88 6 0 16)
# I420 (luma of step 2) panning right a pixel a frame, in place, bands as
# the element cuts
put i420-pan 7  63 47 0x47 0x12 0x34  80 39 \
  $(for i in 0 1 2 3 4 5 6; do echo 1 3 $((1 + 4 * i)) $((0x85 + 4 * i)) \
    $((0x88 + i)) 20; done)
# NV12 in, I420 out; a flush, chroma skipped then back (a reset), new caps
# (to NV12 with a luma of step 2)
put nv12-flush-caps 12  79 63 0x0f 0 0  64 120 \
  $(frames 0x88 3 0 12) 6 $(frames 0x78 2 12 12) $(frames 0x98 2 0 12) \
  7 32 17 0x97 0x21 0 100 200 $(frames 0x89 3 2 8)
# σ at its edges and the gain not above 0, NaN and 4, on 4:4:4
put sigma-edges 21  39 29 0x01 0 0  60 0 \
  $(frames 0x88 2 0 8) 10 0 $(frames 0x88 2 0 8) 10 3 \
  $(frames 0x88 2 0 8) 10 8 11 2 $(frames 0x88 2 0 60) 10 11 11 255 \
  $(frames 0x88 2 0 8) 10 4 $(frames 0x88 2 0 8)
# scenes, a painted object moving, frames of the script's bytes (9x7
# I420, the 3x5 model)
put scenes-raw 33  8 6 0x27 0 0  48 100 \
  8 1 0 7 $(frames 0x88 2 0 4) 9 2 2 3 3 250 $(frames 0x88 1 0 4) \
  9 3 2 3 3 250 $(frames 0x88 1 0 4) 5 1 2 131 $(seq 100 202) \
  5 0 3 3 $(seq 101 203) 8 3 0 0 $(seq 0 2 204) $(frames 0x88 2 1 4)
# one-pixel frames
put one-pixel 3  0 0 0x07 0xff 0xff  72 75 $(frames 0x88 3 0 30)
ls "$out" | wc -l | xargs echo "make-corpus-temporal: files in $out:"
