#!/usr/bin/env bash
# Prints one checksum line per output of the tools and elements, so that a
# refactoring can show it changed no byte: run it on the build before and
# after and diff the two listings.
#
#   tools/output-checksums.sh [BUILD] > sums.txt
#
# Covers: Set12 denoised by every shipped denoiser in every precision the CPU
# runs, vaedenoise in GRAY8/I420/NV12/Y444 on 1 and 2 threads, a vaesample
# run, vaeencode's vae-latent messages, and trained, pruned and quantised
# tensors for fixed seeds.  Needs ../shared/data (skips without it).
set -uo pipefail
export LC_ALL=C OMP_WAIT_POLICY=PASSIVE
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
[[ $BUILD == /* ]] || BUILD=$PWD/$BUILD
DATA=${SHARED:-$ROOT/../shared}/data
VAE=$BUILD/tools/vae
M=$ROOT/models
if [[ ! -d $DATA/denoise/set12 ]]; then
  echo "SKIP: $DATA/denoise/set12 not found" >&2
  exit 77
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export GST_PLUGIN_PATH=$BUILD/plugin \
  GST_REGISTRY=$W/registry.bin GST_VAE_MODEL_PATH=$M

sum() { md5sum "$1" | cut -d' ' -f1; }
# A model file's tensors (names, shapes, bytes), not its metadata, which
# records the run's speed and command line.
tsum() {
  python3 - "$1" <<'PY'
import hashlib, json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
head = json.loads(raw[8:8 + n])
head.pop("__metadata__", None)
h = hashlib.md5(json.dumps(head, sort_keys=True).encode())
h.update(raw[8 + n:])
print(h.hexdigest())
PY
}

# Set12 with fixed noise, every model and precision.
for img in "$DATA"/denoise/set12/*.png; do
  b=$(basename "$img" .png)
  "$VAE" noise --type gaussian --sigma 25 --seed 7 "$img" "$W/n-$b.png" >/dev/null
  echo "noise $b $(sum "$W/n-$b.png")"
  for model in denoise-s denoise-cnn denoise-sp denoise-mask; do
    for prec in fp32 bf16 int8; do
      if "$VAE" denoise --model "$M/$model.safetensors" --precision $prec \
          "$W/n-$b.png" "$W/d.png" >/dev/null 2>&1; then
        echo "denoise $model $prec $b $(sum "$W/d.png")"
      else
        echo "denoise $model $prec $b unsupported"
      fi
    done
  done
done

# The element on a noisy clip, in several formats and thread counts.
gst() { gst-launch-1.0 -q "$@" >/dev/null 2>&1 || echo "gst-launch failed: $*" >&2; }
for fmt in GRAY8 I420 NV12 Y444; do
  for t in 1 2; do
    for prec in auto fp32; do
      gst videotestsrc num-buffers=4 pattern=ball ! \
        video/x-raw,width=336,height=201,format=$fmt ! vaenoise sigma=25 seed=3 ! \
        vaedenoise n-threads=$t precision=$prec chroma=denoise ! \
        filesink location="$W/e.raw"
      echo "vaedenoise $fmt threads=$t $prec $(sum "$W/e.raw")"
    done
  done
done
gst videotestsrc num-buffers=3 ! video/x-raw,width=320,height=240,format=GRAY8 ! \
  vaedenoise model=denoise-cnn.safetensors noise-level=25 ! filesink location="$W/c.raw"
echo "vaedenoise cnn $(sum "$W/c.raw")"

# vaesample, and vaeencode's messages.
for mode in random walk interpolate grid; do
  gst vaesample num-buffers=5 mode=$mode seed=5 ! filesink location="$W/s.raw"
  echo "vaesample $mode $(sum "$W/s.raw")"
done
gst-launch-1.0 -m vaesample num-buffers=6 seed=5 ! vaeencode interval=2 ! fakesink 2>&1 |
  grep -E 'vae-latent|vae-anomaly' | sed 's/.*element [^:]*: //' | md5sum |
  sed 's/ .*//; s/^/vaeencode messages /'

# Training, pruning and quantising with fixed seeds.
t() { local out=$1; shift; "$VAE" train --out "$W/$out" "$@" >/dev/null 2>&1 &&
  echo "train $out $(tsum "$W/$out")" || echo "train $out failed"; }
t vae1 --kind vae --data synthetic:2000 --enc 32 --latent 4 --dec 32 --steps 60 --seed 3
t vae2 --kind vae --data synthetic:2000 --enc 32 --latent 4 --dec 32 --steps 60 --seed 3 --threads 2
t sae --kind sparse-ae --data synthetic:2000 --enc 32 --rho 0.05 --sparse-beta 1 --steps 40 --seed 3
t dae --kind dae --data images:"$DATA"/denoise/train400 --patch 8 --enc 64 --residual --noise-input \
  --noise gaussian --noise-min 0 --noise-max 50 --steps 40 --batch 64 --seed 3 --threads 2
t cnn --kind dae --data images:"$DATA"/denoise/train400 --conv-depth 3 --conv-width 8 --patch 24 \
  --residual --noise gaussian --noise-min 25 --noise-max 25 --steps 10 --batch 8 --seed 3
if grep -q avx512_bf16 /proc/cpuinfo; then
  t vaebf --kind vae --data synthetic:2000 --enc 32 --latent 4 --dec 32 --steps 60 --seed 3 --precision bf16
fi
"$VAE" prune "$M/denoise-s.safetensors" --data images:"$DATA"/denoise/train400 --keep 300 \
  --samples 2000 --seed 3 --out "$W/p" >/dev/null 2>&1 && echo "prune $(tsum "$W/p")"
"$VAE" quantize "$W/dae" --data images:"$DATA"/denoise/train400 --samples 2000 --seed 3 \
  --out "$W/q" >/dev/null 2>&1 && echo "quantize $(tsum "$W/q")"
"$VAE" sample --model "$M/mnist-vae.safetensors" --out "$W/g.png" --seed 3 >/dev/null &&
  echo "sample $(sum "$W/g.png")"
