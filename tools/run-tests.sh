#!/usr/bin/env bash
# Sets up (tools/setup-debian.sh), builds and runs every test: the release
# build's suite, then the same suite built with AddressSanitizer and
# UndefinedBehaviorSanitizer.  Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup-debian.sh || { echo "0 passed, 1 failed"; exit 1; }

# Leave OpenBLAS's own settings (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) as the
# machine has them; keep its thread pool from busy-waiting against ours.
export OMP_WAIT_POLICY=PASSIVE

meson test -C build --print-errorlogs --num-processes 2
rc=$?

count() {
  python3 - "$@" <<'PY'
import json, sys
p = f = s = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line).get("result")
        if r == "OK" or r == "EXPECTEDFAIL": p += 1
        elif r == "SKIP": s += 1
        else: f += 1
print(p, f, s)
PY
}

logs=(build/meson-logs/testlog.json)
if [[ ${VAE_SKIP_SANITIZERS:-0} != 1 ]]; then
  if [[ ! -f build-asan/build.ninja ]]; then
    meson setup build-asan --werror -Dbuildtype=debugoptimized \
      -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
  fi
  ninja -C build-asan >/dev/null || rc=1
  # GStreamer's and GLib's one-time allocations are not ours.
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 \
      --timeout-multiplier 3 || rc=1
  logs+=(build-asan/meson-logs/testlog.json)
fi
read -r passed failed skipped < <(count "${logs[@]}")
echo "$passed passed, $failed failed, $skipped skipped"
exit $rc
