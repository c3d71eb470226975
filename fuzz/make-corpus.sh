#!/usr/bin/env bash
# Regenerates fuzz/corpus/model/: small valid models of every kind and one
# broken file per way a model file can be bad (fuzz/make-corpus.c).
# Usage: fuzz/make-corpus.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$here/corpus/model}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkgs="glib-2.0 json-glib-1.0 openblas libpng zlib"
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -O1 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
  -I"$root/core" $(pkg-config --cflags $pkgs) \
  -o "$tmp/make-corpus" "$here/make-corpus.c" "$root"/core/*.c \
  $(pkg-config --libs $pkgs) -lm
mkdir -p "$out"
"$tmp/make-corpus" "$out"
ls "$out" | wc -l | xargs echo "make-corpus: files in $out:"
