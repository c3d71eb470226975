#!/usr/bin/env bash
# The main demo: a natural grayscale photo, Gaussian noise from vaenoise and
# vaedenoise's answer.  Writes clean | noisy | denoised side by side as one
# PNG and prints the PSNR of the noisy and the denoised image against the
# clean one.  Needs no display.
#
#   pipelines/compare-headless.sh [IMAGE]
#
# IMAGE (any picture GStreamer decodes; colour is reduced to luma) defaults
# to SciPy's "ascent" photo (512x512, from python3-scipy, which
# tools/setup-debian.sh installs); without SciPy, Set12's 08.png from the
# shared data ($VAE_SHARED_DATA or ../shared/data); failing both, a test
# pattern (which flatters any denoiser: PSNR on it means little).
#
# Env: SIGMA noise σ in 8-bit units (25), SEED (1), NOISE_LEVEL σ told to the
# denoiser (-1 = estimate it), OUT_DIR (./demo-out), MODEL.
# Files: clean.png noisy.png denoised.png compare.png in OUT_DIR.
#
# The core of it, as in vaedenoise's documentation:
#   gst-launch-1.0 filesrc location=clean.png ! pngdec ! videoconvert ! \
#       video/x-raw,format=GRAY8 ! imagefreeze num-buffers=1 ! \
#       vaenoise sigma=25 ! vaedenoise ! videoconvert ! pngenc ! \
#       filesink location=denoised.png
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

SIGMA=${SIGMA:-25}
SEED=${SEED:-1}
NOISE_LEVEL=${NOISE_LEVEL:--1}
PY=${PYTHON:-/usr/bin/python3}
[[ -x $PY ]] || PY=$(command -v python3 || true)
mkdir -p "$OUT_DIR"
vae_need vaenoise vaedenoise pngdec pngenc videoconvert imagefreeze compositor

CLEAN=$OUT_DIR/clean.png
NOISY=$OUT_DIR/noisy.png
DENOISED=$OUT_DIR/denoised.png
COMPARE=$OUT_DIR/compare.png
rm -f "$CLEAN" "$NOISY" "$DENOISED" "$COMPARE"

# ---- the clean image, as an 8-bit gray PNG
write_ascent () {
  [[ -n $PY ]] || return 1
  "$PY" - "$1" <<'PYEOF' 2>/dev/null
import struct, sys, warnings, zlib
from scipy import misc          # scipy 1.10 (Debian 12) ships the photo
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    a = misc.ascent()
h, w = a.shape
rows = b"".join(b"\0" + bytes(int(v) for v in a[y]) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
with open(sys.argv[1], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
PYEOF
}

to_gray_png () {
  gst-launch-1.0 -q filesrc location="$1" ! decodebin ! videoconvert ! \
    video/x-raw,format=GRAY8 ! pngenc ! filesink location="$2"
}

SHARED=${VAE_SHARED_DATA:-$VAE_ROOT/../shared/data}
if [[ -n ${1:-} ]]; then
  to_gray_png "$1" "$CLEAN"; WHAT=$1
elif write_ascent "$CLEAN"; then
  WHAT="scipy ascent"
elif [[ -r $SHARED/denoise/set12/08.png ]]; then
  to_gray_png "$SHARED/denoise/set12/08.png" "$CLEAN"; WHAT="Set12 08.png"
else
  echo "compare-headless.sh: no photo (apt-get install python3-scipy), using a test pattern" >&2
  gst-launch-1.0 -q videotestsrc pattern=pinwheel num-buffers=1 ! \
    video/x-raw,width=512,height=512 ! videoconvert ! \
    video/x-raw,format=GRAY8 ! pngenc ! filesink location="$CLEAN"
  WHAT="test pattern"
fi

# ---- noisy and denoised, from one decode
# shellcheck disable=SC2086 # DENOISE_PROPS is a list of name=value words
vae_run -q filesrc location="$CLEAN" ! pngdec ! videoconvert ! \
  video/x-raw,format=GRAY8 ! imagefreeze num-buffers=1 ! \
  vaenoise sigma="$SIGMA" seed="$SEED" ! tee name=t \
  t. ! queue ! pngenc ! filesink location="$NOISY" \
  t. ! queue ! vaedenoise noise-level="$NOISE_LEVEL" $DENOISE_PROPS ! \
  pngenc ! filesink location="$DENOISED"

# ---- clean | noisy | denoised
read -r W H < <(od -An -tu1 -j16 -N8 "$CLEAN" |
  awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}')
GAP=8
vae_run -q compositor name=c background=black \
    sink_1::xpos=$((W + GAP)) sink_2::xpos=$((2 * (W + GAP))) ! \
  videoconvert ! video/x-raw,format=GRAY8 ! pngenc ! \
  filesink location="$COMPARE" \
  filesrc location="$CLEAN" ! pngdec ! imagefreeze num-buffers=1 ! c.sink_0 \
  filesrc location="$NOISY" ! pngdec ! imagefreeze num-buffers=1 ! c.sink_1 \
  filesrc location="$DENOISED" ! pngdec ! imagefreeze num-buffers=1 ! c.sink_2

# ---- PSNR: the project's tool, else raw GRAY8 dumps and Python
psnr () {
  local tool
  tool=$(vae_tool) || true
  if [[ -n $tool ]]; then
    "$tool" psnr "$1" "$2"
    return
  fi
  [[ -n $PY ]] || { echo "n/a"; return; }
  local a=$OUT_DIR/.a.gray b=$OUT_DIR/.b.gray
  gst-launch-1.0 -q filesrc location="$1" ! pngdec ! videoconvert ! \
    video/x-raw,format=GRAY8 ! filesink location="$a"
  gst-launch-1.0 -q filesrc location="$2" ! pngdec ! videoconvert ! \
    video/x-raw,format=GRAY8 ! filesink location="$b"
  "$PY" - "$a" "$b" "$W" "$H" <<'PYEOF'
import math, sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
w, h = int(sys.argv[3]), int(sys.argv[4])
s = (w + 3) & ~3                 # GStreamer pads GRAY8 rows to 4 bytes
se = sum((a[y * s + x] - b[y * s + x]) ** 2 for y in range(h) for x in range(w))
print("%.2f" % (10 * math.log10(255 ** 2 * w * h / se)) if se else "inf")
PYEOF
  rm -f "$a" "$b"
}

P_NOISY=$(psnr "$CLEAN" "$NOISY")
P_DENOISED=$(psnr "$CLEAN" "$DENOISED")
echo "image: $WHAT, ${W}x${H}, sigma $SIGMA"
echo "PSNR noisy    vs clean: $P_NOISY dB"
echo "PSNR denoised vs clean: $P_DENOISED dB"
echo "wrote $COMPARE (clean | noisy | denoised)"
