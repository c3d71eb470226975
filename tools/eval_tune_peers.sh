#!/usr/bin/env bash
# Picks the ffmpeg peers' settings for models/evaluate.sh: a small PSNR sweep
# per noise level on Train400 images (training data, so the test sets are not
# used for tuning).  Noise as in the pipeline protocol: Gaussian, rounded and
# clipped to 8 bits (vae noise).  Prints "sigma filter mean-PSNR" lines, best
# per filter family last.
#   tools/eval_tune_peers.sh            Env: SIGMAS ["15 25 50"], N [6] images,
#   FAMILIES ["nlmeans hqdn3d vaguedenoiser bm3d"], VAE [build/tools/vae],
#   NLMEANS_K, VAGUE_K, BM3D_K: the multiples of σ tried (see candidates)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAE=${VAE:-$ROOT/build/tools/vae}
DATA=${DATA:-$ROOT/../shared/data}
SIGMAS=${SIGMAS:-"15 25 50"}
N=${N:-6}
FAMILIES=${FAMILIES:-"nlmeans hqdn3d vaguedenoiser bm3d"}
W=$(mktemp -d "${TMPDIR:-/tmp}/vae_tune.XXXXXX")
trap 'rm -rf "$W"' EXIT
mapfile -t imgs < <(ls "$DATA"/denoise/train400/*.png | awk 'NR % 67 == 1' | head -n "$N")

candidates() {  # family sigma
  local s=$2
  case $1 in
  nlmeans)
    for k in ${NLMEANS_K:-0.35 0.45 0.55 0.7}; do
      for pr in "p=5:r=21" "p=7:r=15"; do
        # ffmpeg's nlmeans takes s in [1, 30]
        printf 'nlmeans=s=%s:%s\n' "$(awk -v k=$k -v s=$s 'BEGIN{v=k*s; if (v>30) v=30; printf "%.1f", v}')" "$pr"
      done
    done | awk '!seen[$0]++' ;;
  hqdn3d)
    for ls in 8 16 32 64 128 255; do
      echo "format=yuvj444p,hqdn3d=luma_spatial=$ls:chroma_spatial=0:luma_tmp=0:chroma_tmp=0"
    done ;;
  vaguedenoiser)
    for k in ${VAGUE_K:-0.75 1 1.5 2 2.5 3 4}; do
      for m in soft garrote; do
        printf 'vaguedenoiser=threshold=%s:method=%s:percent=100\n' \
          "$(awk -v k=$k -v s=$s 'BEGIN{printf "%.1f", k*s}')" $m
      done
    done ;;
  bm3d)
    for k in ${BM3D_K:-20 30 40 60}; do
      echo "bm3d=sigma=$((k * s)):group=16:bstep=2:estim=basic"
    done ;;
  esac
}

for s in $SIGMAS; do
  i=0
  for f in "${imgs[@]}"; do
    i=$((i + 1))
    "$VAE" noise --type gaussian --sigma "$s" --seed "$i" "$f" "$W/n$i.png"
  done
  for fam in $FAMILIES; do
    best=""; bestp=0
    while read -r flt; do
      sum=0; i=0
      for f in "${imgs[@]}"; do
        i=$((i + 1))
        rm -f "$W/o.png"
        if ! ffmpeg -nostdin -v error -y -i "$W/n$i.png" -vf "format=gray,$flt,format=gray" "$W/o.png"; then
          sum=-1e9; break
        fi
        sum=$(awk -v a="$sum" -v b="$("$VAE" psnr "$f" "$W/o.png")" 'BEGIN{print a+b}')
      done
      p=$(awk -v a="$sum" -v n="$i" 'BEGIN{printf "%.2f", a/n}')
      echo "$s $flt $p"
      if awk -v a="$p" -v b="$bestp" 'BEGIN{exit !(a>b)}'; then best=$flt; bestp=$p; fi
    done < <(candidates "$fam" "$s")
    echo "BEST $s $fam $best $bestp"
  done
done
