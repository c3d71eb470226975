#!/usr/bin/env bash
# Soak: pushes many small frames through every element that processes
# video and checks that memory stays flat.
#
#   videotestsrc ! GRAY8 64x48 ! vaenoise ! vaedenoise ! vaeencode ! fakesink
#
# VmRSS of gst-launch-1.0 is sampled every SOAK_INTERVAL seconds; the first
# sample is taken after SOAK_WARMUP frames' worth of time (allocators, the
# registry and the first buffers settle), the last just before EOS.  Fails
# when the end exceeds the start by more than SOAK_MAX_GROWTH_KB.
#
#   tools/soak.sh                       100000 frames, build/ plugin
#   SOAK_FRAMES=1000000 BUILD_DIR=build-asan tools/soak.sh
#
# Models: models/denoise-s.safetensors and models/mnist-vae.safetensors when
# present, else the tiny ones of the fuzz seed corpus (same code paths,
# different cost); DENOISE_MODEL / ENCODE_MODEL override.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-build}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
FRAMES=${SOAK_FRAMES:-100000}
INTERVAL=${SOAK_INTERVAL:-2}
WARMUP=${SOAK_WARMUP:-5}
MAX_GROWTH_KB=${SOAK_MAX_GROWTH_KB:-2048}
SIZE=${SOAK_SIZE:-width=64,height=48}

pick() { [[ -f $ROOT/models/$1 ]] && echo "$ROOT/models/$1" || echo "$ROOT/fuzz/corpus/model/$2"; }
DN=${DENOISE_MODEL:-$(pick denoise-s.safetensors ok-dae.safetensors)}
EN=${ENCODE_MODEL:-$(pick mnist-vae.safetensors ok-vae.safetensors)}

export GST_PLUGIN_PATH_1_0=$BUILD/plugin
export GST_REGISTRY=${TMPDIR:-/tmp}/gst-vae-soak-registry.bin
export OMP_WAIT_POLICY=PASSIVE
log=$(mktemp "${TMPDIR:-/tmp}/vae-soak-XXXXXX.log")

echo "soak: $FRAMES frames GRAY8 $SIZE; vaedenoise $DN; vaeencode $EN"
gst-launch-1.0 -q videotestsrc num-buffers="$FRAMES" pattern=ball ! \
  "video/x-raw,format=GRAY8,$SIZE,framerate=30/1" ! \
  vaenoise sigma=20 ! vaedenoise model="$DN" n-threads=2 ! \
  vaeencode model="$EN" interval=0 ! fakesink sync=false > "$log" 2>&1 &
pid=$!
t0=$(date +%s)
start_kb=""
end_kb=""
samples=()
sleep "$WARMUP"
while kill -0 "$pid" 2>/dev/null; do
  kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  if [[ -n $kb ]]; then
    [[ -z $start_kb ]] && start_kb=$kb
    end_kb=$kb
    samples+=("$kb")
  fi
  sleep "$INTERVAL"
done
wait "$pid"
rc=$?
secs=$(($(date +%s) - t0))
if ((rc != 0)); then
  echo "soak: gst-launch-1.0 failed (exit $rc):"
  cat "$log"
  exit 1
fi
rm -f "$log"
if [[ -z $start_kb ]]; then
  echo "soak: finished within the warm-up; raise SOAK_FRAMES"
  exit 1
fi
max_kb=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
echo "soak: $FRAMES frames in ${secs} s, ${#samples[@]} RSS samples"
echo "soak: VmRSS start ${start_kb} kB, end ${end_kb} kB, max ${max_kb} kB," \
  "growth $((end_kb - start_kb)) kB"
if ((end_kb - start_kb > MAX_GROWTH_KB)); then
  echo "soak: FAIL: RSS grew by more than ${MAX_GROWTH_KB} kB"
  echo "soak: samples (kB): ${samples[*]}"
  exit 1
fi
echo "soak: OK (flat within ${MAX_GROWTH_KB} kB)"
