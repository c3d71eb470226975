#!/usr/bin/env bash
# Valgrind memcheck on a short pipeline through each element: no invalid
# reads or writes, no use of uninitialised values, 0 bytes definitely lost.
# GLib's suppressions plus tests/valgrind.supp (GStreamer's one-time
# allocations); G_SLICE=always-malloc, GST_DEBUG=0.
#
# Env (meson's test environment sets them): GST_PLUGIN_PATH_1_0, GST_REGISTRY,
# VAE_SOURCE_ROOT.  Models: the fuzz seed corpus's tiny DAE and VAE.
set -uo pipefail
ROOT=${VAE_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
if ! command -v valgrind >/dev/null; then
  echo "SKIP: valgrind is not installed"
  exit 77
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vae-valgrind-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DN=$ROOT/fuzz/corpus/model/ok-dae.safetensors
EN=$ROOT/fuzz/corpus/model/ok-vae.safetensors
export G_SLICE=always-malloc G_DEBUG=gc-friendly GST_DEBUG=0
export OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
# Scan the registry once outside valgrind, then never again.
export GST_REGISTRY=${GST_REGISTRY:-$WORK/registry.bin}
gst-inspect-1.0 vaedenoise > /dev/null || { echo "vaedenoise not found"; exit 1; }
export GST_REGISTRY_UPDATE=no

supp=(--suppressions="$ROOT/tests/valgrind.supp")
[[ -f /usr/share/glib-2.0/valgrind/glib.supp ]] &&
  supp+=(--suppressions=/usr/share/glib-2.0/valgrind/glib.supp)

pipelines=(
  "videotestsrc num-buffers=20 pattern=snow ! video/x-raw,format=GRAY8,width=40,height=30 ! vaenoise sigma=15 ! vaedenoise model=$DN n-threads=2 ! vaeencode model=$EN ! fakesink"
  "videotestsrc num-buffers=10 ! video/x-raw,format=I420,width=33,height=17 ! vaenoise type=salt-and-pepper ! vaedenoise model=$DN n-threads=1 ! vaeencode model=$EN ! fakesink"
  "vaesample model=$EN num-buffers=10 ! fakesink"
)
fail=0
total_lost=0
for i in "${!pipelines[@]}"; do
  log=$WORK/vg-$i.log
  # shellcheck disable=SC2086
  valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30 \
    --track-origins=no "${supp[@]}" --log-file="$log" \
    gst-launch-1.0 -q ${pipelines[$i]} > "$WORK/out-$i.log" 2>&1
  rc=$?
  lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -1)
  errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tr -d , | tail -1)
  lost=${lost:-0}
  total_lost=$((total_lost + lost))
  echo "pipeline $i: exit $rc, $errs errors, definitely lost $lost bytes: ${pipelines[$i]}"
  if ((rc != 0)); then
    fail=1
    cat "$WORK/out-$i.log"
    grep -v "^==[0-9]*== *$" "$log" | tail -60
  fi
done
echo "valgrind: definitely lost $total_lost bytes in all"
exit $fail
