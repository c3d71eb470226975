#!/usr/bin/env bash
# vae train on missing or malformed image data (the images: and frey:
# specs; test_cli.sh covers mnist:/idx:): a non-zero exit, a message that
# names the file and the reason, and no model file written.
# Usage: test_train_data.sh VAE_TOOL
set -uo pipefail
VAE=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vae-train-data-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0

mkdir -p "$TMP"/{empty,badpng,shortpng,shortpgm,hugepgm}
head -c 300 /dev/urandom > "$TMP/badpng/a.png"
# a real 16x16 gray PNG cut after 60 bytes
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x00\x00\x00\x00\x3a\x98\xa0\xbd\x00\x00\x00\x20IDATx' \
  > "$TMP/shortpng/a.png"
printf 'P5\n4 4\n255\n01' > "$TMP/shortpgm/a.pgm"
printf 'P5\n100000 100000\n255\nxx' > "$TMP/hugepgm/a.pgm"
head -c 100 /dev/urandom > "$TMP/frey.mat"

check () {
  local name=$1 spec=$2 what=$3 out rc
  out=$(timeout 60 "$VAE" train --kind dae --data "$spec" --patch 8 \
      --noise gaussian --noise-max 0.2 --steps 5 --batch 4 \
      --out "$TMP/x.safetensors" 2>&1)
  rc=$?
  if ((rc == 0)); then
    echo "FAIL  $name: exit status 0"; failures=$((failures + 1))
  elif ((rc > 125)); then
    echo "FAIL  $name: exit status $rc (timeout or crash): $out"
    failures=$((failures + 1))
  elif [[ $out != *"$what"* ]]; then
    echo "FAIL  $name: message lacks \"$what\": $out"
    failures=$((failures + 1))
  elif [[ -e $TMP/x.safetensors ]]; then
    echo "FAIL  $name: wrote a model"; failures=$((failures + 1))
  else
    echo "ok    $name: $out"
  fi
}

check "missing image folder" "images:$TMP/nope" "$TMP/nope"
check "empty image folder" "images:$TMP/empty" "no PNG or PGM images"
check "not a PNG" "images:$TMP/badpng" "$TMP/badpng/a.png"
check "truncated PNG" "images:$TMP/shortpng" "$TMP/shortpng/a.png"
check "truncated PGM" "images:$TMP/shortpgm" "truncated"
check "absurd PGM size" "images:$TMP/hugepgm" "$TMP/hugepgm/a.pgm"
check "missing Frey file" "frey:$TMP/nope.mat" "$TMP/nope.mat"
check "malformed Frey file" "frey:$TMP/frey.mat" "not the Frey Face"

echo "$failures failure(s)"
exit $((failures > 0))
