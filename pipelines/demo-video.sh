#!/usr/bin/env bash
# The video demo: a 3-second 640x360 camera pan over a colour photo (SciPy's
# "face", enlarged 2x with cubic interpolation, so it is as smooth per pixel
# as HD video), in I420, RGB Gaussian noise from vaenoise planes=rgb, and
# vaedenoise at its defaults (the shipped colour model, its own stride, the
# noise level estimated per frame).  Writes noisy | denoised side by side as a lossless video, one
# frame of clean | noisy | denoised as a PNG, and prints the mean PSNR over
# the frames and the denoiser's speed.  Needs no display.
#
#   pipelines/demo-video.sh
#
# Env: SIGMA RGB noise σ in 8-bit units (25), FRAMES (90, or NUM_BUFFERS), OUT_DIR (./demo-out),
# MODEL.  Files in OUT_DIR: video-compare.mkv (FFV1; raw video in Matroska
# without gst-libav), video-frame.png.
#
# The core of it:
#   gst-launch-1.0 filesrc location=clean.rgb ! rawvideoparse format=rgb \
#       width=640 height=360 ! videoconvert ! video/x-raw,format=I420 ! \
#       vaenoise planes=rgb sigma=25 ! vaedenoise ! ...
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

SIGMA=${SIGMA:-25}
FRAMES=${FRAMES:-$((NUM_BUFFERS > 0 ? NUM_BUFFERS : 90))}
W=640 H=360
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$OUT_DIR"
vae_need vaenoise vaedenoise rawvideoparse compositor videoconvert matroskamux pngenc
"$PY" -c "import numpy, scipy.ndimage" 2>/dev/null ||
  { echo "demo-video.sh: needs python3-numpy and python3-scipy (tools/setup-debian.sh)" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/vae-demo-video.XXXXXX")
trap 'rm -rf "$T"' EXIT
CLEAN=$T/clean.rgb NOISY=$T/noisy.rgb DENOISED=$T/denoised.rgb
VIDEO=$OUT_DIR/video-compare.mkv FRAME=$OUT_DIR/video-frame.png

# ---- the clean clip: a diagonal pan with a slow zoom
"$PY" - "$CLEAN" "$FRAMES" "$W" "$H" <<'PYEOF'
import sys, warnings
import numpy as np
from scipy import misc, ndimage
out, n, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    a = misc.face().astype(np.float64)              # 768 x 1024, RGB
big = [ndimage.zoom(a[:, :, c], 2.0, order=3) for c in range(3)]
frames = np.empty((n, h, w, 3), np.uint8)
for k in range(n):
    t = k / max(n - 1, 1)
    s = 1.0 + 0.15 * t                              # zoom in a little
    y0, x0 = 500 + 400 * t, 1000 + 300 * t          # pan down and right
    yy, xx = np.mgrid[0:h, 0:w]
    coords = [y0 + yy / s, x0 + xx / s]
    for c in range(3):
        f = ndimage.map_coordinates(big[c], coords, order=1, mode="reflect")
        frames[k, :, :, c] = np.clip(np.rint(f), 0, 255)
frames.tofile(out)
PYEOF

RAW=(rawvideoparse format=rgb width=$W height=$H framerate=30/1)
RGB=(videoconvert ! video/x-raw,format=RGB)
# ---- noisy and denoised in one pipeline; the denoiser's own time
# shellcheck disable=SC2086 # DENOISE_PROPS is a list of name=value words
t0=$(date +%s.%N)
vae_run -q filesrc location="$CLEAN" blocksize=$((W * H * 3)) ! "${RAW[@]}" ! \
  videoconvert ! video/x-raw,format=I420 ! \
  vaenoise planes=rgb sigma="$SIGMA" seed=1 ! tee name=t \
  t. ! queue ! "${RGB[@]}" ! filesink location="$NOISY" \
  t. ! queue ! vaedenoise $DENOISE_PROPS ! "${RGB[@]}" ! filesink location="$DENOISED"
t1=$(date +%s.%N)

# ---- noisy | denoised as a lossless video
if vae_have avenc_ffv1; then ENC=(avenc_ffv1); else ENC=(identity); fi
vae_run -q compositor name=c background=black sink_1::xpos=$((W + 8)) ! \
  videoconvert ! "${ENC[@]}" ! matroskamux ! filesink location="$VIDEO" \
  filesrc location="$NOISY" blocksize=$((W * H * 3)) ! "${RAW[@]}" ! c.sink_0 \
  filesrc location="$DENOISED" blocksize=$((W * H * 3)) ! "${RAW[@]}" ! c.sink_1

# ---- mean PSNR, and the middle frame as clean | noisy | denoised
"$PY" - "$CLEAN" "$NOISY" "$DENOISED" "$FRAMES" "$W" "$H" "$FRAME" "$SIGMA" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')" <<'PYEOF'
import struct, sys, zlib
import numpy as np
c, n, d = (np.fromfile(p, np.uint8) for p in sys.argv[1:4])
frames, w, h = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
c, n, d = (x.reshape(frames, h, w, 3).astype(np.float64) for x in (c, n, d))
def psnr(x, y):
    return np.mean([10 * np.log10(255.0 ** 2 / ((a - b) ** 2).mean()) for a, b in zip(x, y)])
k = frames // 2
strip = np.full((h, 3 * w + 16, 3), 0, np.uint8)
for i, img in enumerate((c[k], n[k], d[k])):
    strip[:, i * (w + 8):i * (w + 8) + w] = img
rows = b"".join(b"\0" + strip[y].tobytes() for y in range(h))
def chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data))
with open(sys.argv[7], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", strip.shape[1], h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))
secs = float(sys.argv[9])
print("video: %d frames of %dx%d I420, a pan over scipy's face, RGB noise sigma %s" % (frames, w, h, sys.argv[8]))
print("(PSNR over R, G and B; the I420 round trip alone costs some detail)")
print("mean PSNR noisy    vs clean: %.2f dB" % psnr(n, c))
print("mean PSNR denoised vs clean: %.2f dB" % psnr(d, c))
print("noise and denoise pipeline: %.2f s for %d frames (%.0f fps, start-up included)" % (secs, frames, frames / secs))
PYEOF
echo "wrote $VIDEO (noisy | denoised) and $FRAME (clean | noisy | denoised, frame $((FRAMES / 2)))"
