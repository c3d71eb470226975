#!/usr/bin/env bash
# Installs what gst-vae needs on Debian 12 (bookworm) and builds it into build/.
# Idempotent; uses sudo when not run as root.  Used by the demo, the test
# command and CI alike.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  build-essential meson ninja-build pkg-config      # toolchain
  libopenblas-dev                                   # every dense layer is a cblas_sgemm
  libglib2.0-dev libjson-glib-dev                   # model file JSON header, file/dir helpers
  libpng-dev zlib1g-dev                             # PNG images, gzip'd MNIST IDX files
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev  # the elements
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-libav                                # FFV1/H.264 in the file pipelines and the camera clip
  python3-numpy python3-scipy                       # demo photo (scipy's ascent) and reference checks
  python3-torch                                     # PyTorch reference test of the gradients
  dataset-fashion-mnist                             # real training data on a fresh machine
)
# callers that need more (bench/run.sh: ffmpeg, time) name them here
read -r -a extra <<<"${SETUP_EXTRA_PKGS:-}"
PKGS+=("${extra[@]}")

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

BUILD=${BUILD_DIR:-build}
if [[ ! -f $BUILD/build.ninja ]]; then
  meson setup "$BUILD" --werror ${MESON_ARGS:-}
fi
ninja -C "$BUILD"
