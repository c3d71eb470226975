#!/usr/bin/env bash
# Runs every pipelines/*.sh headless with a few buffers, as CI does: each
# must exit 0; compare-headless.sh and demo-video.sh must also write their
# PNG and raise PSNR.
#
# Env (meson's test environment sets them): GST_PLUGIN_PATH_1_0,
# GST_REGISTRY, GST_VAE_MODEL_PATH, VAE_TOOL, VAE_SHARED_DATA.
# PIPELINES_NUM_BUFFERS (5) and PIPELINES_TIMEOUT (300 s per script).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NB=${PIPELINES_NUM_BUFFERS:-5}
TIMEOUT=${PIPELINES_TIMEOUT:-300}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vae-pipelines-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Without the shipped default model (models/ not trained yet), train a
# small stand-in so the scripts still run end to end.
if [[ -z ${MODEL:-} ]]; then
  found=""
  IFS=: read -ra dirs <<< "${GST_VAE_MODEL_PATH:-$ROOT/models}"
  for d in "${dirs[@]}"; do
    [[ -f $d/denoise-s.safetensors ]] && found=$d/denoise-s.safetensors
  done
  data=${VAE_SHARED_DATA:-$ROOT/../shared/data}/denoise/train400
  if [[ -z $found && -x ${VAE_TOOL:-} && -d $data ]]; then
    echo "# no denoise-s.safetensors: training a small stand-in model"
    if "$VAE_TOOL" train --kind dae --data "images:$data" --patch 8 \
        --enc none --latent 256 --code-act relu --dec none \
        --noise gaussian --noise-min 0 --noise-max 50 --residual \
        --noise-input --norm-mean 0.5 --norm-scale 0.2 --augment \
        --batch 128 --steps 1500 --out "$WORK/standin.safetensors" \
        > "$WORK/train.log" 2>&1; then
      export MODEL=$WORK/standin.safetensors
    else
      cat "$WORK/train.log"
    fi
  fi
fi

# psnr_raised LOG LABEL FILE...: empty when the script wrote every FILE (in
# the log's folder) and its "LABEL noisy/denoised vs clean: X dB" lines show
# a gain of over 1 dB (the gain goes to stdout as a comment); else why not.
psnr_raised () {
  local log=$1 label=$2 dir noisy denoised f
  dir=$(dirname "$log")
  shift 2
  for f in "$@"; do
    [[ -s $dir/$f ]] || { echo "no $f"; return; }
  done
  noisy=$(sed -n "s/^$label noisy *vs clean: \([0-9.]*\) dB/\1/p" "$log")
  denoised=$(sed -n "s/^$label denoised vs clean: \([0-9.]*\) dB/\1/p" "$log")
  if [[ -z $noisy || -z $denoised ]]; then
    echo "no PSNR printed"
  elif ! awk -v a="$noisy" -v b="$denoised" 'BEGIN { exit !(b > a + 1) }'; then
    echo "PSNR did not improve: noisy $noisy dB, denoised $denoised dB"
  else
    echo "# $(basename "$dir"): $label noisy $noisy dB -> denoised $denoised dB" >&2
  fi
}

pass=0
fail=0
n=0
# every script with the default model, and the main demo with the quality model
runs=("$ROOT"/pipelines/*.sh)
[[ -f $ROOT/models/denoise-cnn.safetensors ]] \
  && runs+=("$ROOT/pipelines/compare-headless.sh:denoise-cnn.safetensors")
for run in "${runs[@]}"; do
  script=${run%%:*}
  model=${run#"$script"}
  model=${model#:}
  name=$(basename "$script" .sh)
  out=$WORK/$name${model:+-${model%.safetensors}}
  mkdir -p "$out"
  n=$((n + 1))
  start=$(date +%s.%N)
  HEADLESS=1 NUM_BUFFERS=$NB OUT_DIR=$out MODEL=$model \
    timeout "$TIMEOUT" bash "$script" > "$out/log" 2>&1
  rc=$?
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  why=""
  if ((rc != 0)); then
    why="exit $rc"
  elif [[ $name == compare-headless ]]; then
    why=$(psnr_raised "$out/log" "PSNR" compare.png)
  elif [[ $name == demo-video ]]; then
    why=$(psnr_raised "$out/log" "mean PSNR" video-frame.png video-compare.mkv)
  fi
  if [[ -z $why ]]; then
    echo "ok $n - $name${model:+ model=$model} (${secs}s)"
    pass=$((pass + 1))
  else
    echo "not ok $n - $name${model:+ model=$model}: $why (${secs}s)"
    sed 's/^/#   /' "$out/log" | tail -n 40
    fail=$((fail + 1))
  fi
done
echo "1..$n"
echo "$pass passed, $fail failed"
((fail == 0))
