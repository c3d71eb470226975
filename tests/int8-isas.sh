#!/usr/bin/env bash
# The int8 path gives the same bytes on every int8 kernel (docs/internals.md,
# "Determinism"): vaedenoise precision=int8 on a moving noisy clip, GRAY8
# (denoise-s) and I420 (the colour model), with and without the temporal
# stage (its level map takes a second pass where the kernel has no fused
# epilogue), under VAE_GEMM_I8 unset, avx2 and c.  Forcing a kernel the CPU
# lacks falls back, so the test runs on any CPU.
#
# Env (meson's test environment sets them): GST_PLUGIN_PATH_1_0,
# GST_VAE_MODEL_PATH; the registry is the script's own.
set -uo pipefail
for m in denoise-s denoise-colour; do
  if [[ ! -f ${GST_VAE_MODEL_PATH:-}/$m.safetensors ]]; then
    echo "SKIP: no $m.safetensors in GST_VAE_MODEL_PATH"
    exit 77
  fi
done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export GST_REGISTRY=$W/registry.bin
fails=0
run() {   # FORMAT TEMPORAL: md5 of 8 denoised frames
  gst-launch-1.0 -q videotestsrc pattern=ball num-buffers=8 \
    ! "video/x-raw,format=$1,width=320,height=240,framerate=30/1" \
    ! vaenoise sigma=25 seed=3 ! vaedenoise precision=int8 noise-level=25 \
      temporal="$2" n-threads=2 ! filesink location="$W/out.raw" \
    && [[ -s $W/out.raw ]] && md5sum <"$W/out.raw" | cut -d' ' -f1
}
for fmt in GRAY8 I420; do
  for tmp in true false; do
    ref=$(VAE_GEMM_I8= run $fmt $tmp) || { echo "FAIL: $fmt temporal=$tmp: the pipeline failed"; fails=$((fails + 1)); continue; }
    bad=0
    for isa in avx2 c; do
      got=$(VAE_GEMM_I8=$isa run $fmt $tmp)
      if [[ $got != "$ref" ]]; then
        echo "FAIL: $fmt temporal=$tmp: VAE_GEMM_I8=$isa gives other bytes (${got:-none}) than the default kernel ($ref)"
        bad=1
      fi
    done
    fails=$((fails + bad))
    ((bad)) || echo "ok: $fmt temporal=$tmp: the same bytes on every int8 kernel ($ref)"
  done
done
exit $((fails > 0))
