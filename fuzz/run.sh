#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined)
# straight from the core sources, into ${FUZZ_OUT:-/tmp/gst-vae-fuzz}; the
# meson/gcc build is not touched.  Then runs each target for a bounded time.
#
#   fuzz/run.sh                        build, replay regressions, fuzz 60 s each
#   FUZZ_TIME=1800 fuzz/run.sh model   fuzz only the loader for 30 min
#   FUZZ_TIME=120 fuzz/run.sh temporal
#   FUZZ_RUNS=10000000 fuzz/run.sh model
#   FUZZ_BUILD_ONLY=1 fuzz/run.sh
#
# Crashes land in $FUZZ_OUT/artifacts; copy a reproducer into
# fuzz/regressions/TARGET/ (replayed by the meson tests fuzz_*).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/gst-vae-fuzz}
CLANG=${CLANG:-clang}
mkdir -p "$out/artifacts" "$out/corpus-model" "$out/corpus-denoise" \
  "$out/corpus-temporal"

pkgs="glib-2.0 json-glib-1.0 openblas libpng zlib"
flags=(-std=c11 -g -O1 -fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L
  -D_DEFAULT_SOURCE -fsanitize=fuzzer,address,undefined
  -fno-sanitize-recover=undefined -I"$root/core")
# shellcheck disable=SC2046,SC2206
flags+=($(pkg-config --cflags $pkgs))
# shellcheck disable=SC2046,SC2206
libs=($(pkg-config --libs $pkgs) -lm)

for t in model_load denoise temporal; do
  src=$here/fuzz_$t.c
  if [[ ! $out/fuzz_$t -nt $src ]] || [[ -n $(find "$root/core" -newer "$out/fuzz_$t" -name '*.[ch]') ]]; then
    echo "run.sh: building $out/fuzz_$t"
    $CLANG "${flags[@]}" -o "$out/fuzz_$t" "$src" "$root"/core/*.c "${libs[@]}"
  fi
done
[[ ${FUZZ_BUILD_ONLY:-0} == 1 ]] && exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One OpenBLAS thread: the fuzzers' layers are tiny.
export OPENBLAS_NUM_THREADS=1

# Known crashers first: they must all pass.
"$out/fuzz_model_load" -runs=0 "$here/regressions/model" 2>&1 | tail -1
"$out/fuzz_denoise" -runs=0 "$here/regressions/denoise" 2>&1 | tail -1
"$out/fuzz_temporal" -runs=0 "$here/regressions/temporal" 2>&1 | tail -1

targets=("${@:-model denoise temporal}")
# shellcheck disable=SC2068
for t in ${targets[@]}; do
  case $t in
    model) bin=fuzz_model_load; corpus=("$out/corpus-model" "$here/corpus/model")
      extra=(-dict="$here/model.dict" -max_len=8192) ;;
    denoise) bin=fuzz_denoise; corpus=("$out/corpus-denoise"); extra=(-max_len=20000) ;;
    temporal) bin=fuzz_temporal; corpus=("$out/corpus-temporal" "$here/corpus/temporal")
      extra=(-max_len=4096) ;;
    *) echo "run.sh: unknown target $t (model, denoise, temporal)"; exit 2 ;;
  esac
  args=(-artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 "${extra[@]}")
  [[ -n ${FUZZ_RUNS:-} ]] && args+=(-runs="$FUZZ_RUNS")
  args+=(-max_total_time="${FUZZ_TIME:-60}")
  [[ -n ${FUZZ_JOBS:-} ]] && args+=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
  echo "run.sh: $bin ${args[*]}"
  (cd "$out" && nice "$out/$bin" "${args[@]}" "${corpus[@]}")
done
