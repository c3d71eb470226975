#!/usr/bin/env bash
# Picks the ffmpeg peers' settings for models/evaluate.sh: a small PSNR sweep
# per noise level on Train400 images (training data, so the test sets are not
# used for tuning).  Noise as in the pipeline protocol: Gaussian, rounded and
# clipped to 8 bits (vae noise).  Prints "sigma filter mean-PSNR" lines, best
# per filter family last.
#   tools/eval_tune_peers.sh            Env: SIGMAS ["15 25 50"], N [6] images,
#   FAMILIES ["nlmeans hqdn3d vaguedenoiser bm3d"], VAE [build/tools/vae],
#   NLMEANS_K, VAGUE_K, BM3D_K: the multiples of σ tried (see candidates)
# The temporal filters of models/evaluate.sh's temporal part (FAMILIES="hqdn3d_tmp
# atadenoise fftdnoiz") are swept on video instead: a clip no table uses
# (TUNE_CLIP [VID_1920x1080_cabac_temporal_direct.264], the street clip; its
# TUNE_CROP [640x360] centre, TUNE_FRAMES [20] frames, GRAY8), noise from the
# vaenoise element (seed 1, fresh per frame; PLUGIN_DIR [build/plugin]),
# criterion the mean PSNR over frames (tools/eval_util.py clip).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAE=${VAE:-$ROOT/build/tools/vae}
DATA=${DATA:-$ROOT/../shared/data}
SIGMAS=${SIGMAS:-"15 25 50"}
N=${N:-6}
FAMILIES=${FAMILIES:-"nlmeans hqdn3d vaguedenoiser bm3d"}
W=$(mktemp -d "${TMPDIR:-/tmp}/vae_tune.XXXXXX")
trap 'rm -rf "$W"' EXIT
PY=${PYTHON:-/usr/bin/python3}
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
  hqdn3d_tmp)   # the temporal strength stays 10 (the issue's peer); the spatial one is swept
    for ls in 16 32 48 64 80 96 128; do
      echo "format=yuvj444p,hqdn3d=luma_spatial=$ls:chroma_spatial=0:luma_tmp=10:chroma_tmp=0"
    done ;;
  atadenoise)   # 0a is capped at 0.3, 0b at 5; s frames, centred on the current one
    for a in 0.1 0.2 0.3; do for b in 1 2 5; do for n in 9 15; do
      echo "atadenoise=0a=$a:0b=$b:s=$n"
    done; done; done ;;
  fftdnoiz)     # one frame before and one after; sigma is capped at 100
    for k in 20 40 60 80 100; do for b in 16 32; do
      echo "fftdnoiz=sigma=$k:block=$b:prev=1:next=1"
    done; done ;;
  esac
}

# Temporal families: one noisy clip per σ, each filter on the whole clip.
tune_video() {  # sigma families...
  local s=$1 fam flt p best bestp w h cw ch
  shift
  w=1920 h=1080 cw=${TUNE_CROP%x*} ch=${TUNE_CROP#*x}
  ffmpeg -nostdin -v error -y -i "$DATA/video/$TUNE_CLIP" -frames:v "$TUNE_FRAMES" \
    -vf "crop=$cw:$ch:$(((w - cw) / 2)):$(((h - ch) / 2)),format=gray" -f rawvideo "$W/v.clean"
  GST_PLUGIN_PATH=$PLUGIN_DIR GST_REGISTRY=$W/registry.bin gst-launch-1.0 -q \
    filesrc "location=$W/v.clean" blocksize=$((cw * ch)) \
    ! rawvideoparse format=gray8 "width=$cw" "height=$ch" framerate=30/1 \
    ! vaenoise type=gaussian "sigma=$s" seed=1 ! filesink "location=$W/v.noisy" >/dev/null
  for fam in "$@"; do
    best=""; bestp=0
    while read -r flt; do
      ffmpeg -nostdin -v error -y -f rawvideo -pix_fmt gray -s "$TUNE_CROP" -r 30 -i "$W/v.noisy" \
        -vf "$flt,format=gray" -f rawvideo -pix_fmt gray "$W/v.out"
      p=$("$PY" "$ROOT/tools/eval_util.py" clip "$TUNE_CROP" "$W/v.clean" "$W/v.out" | awk '{printf "%.2f", $3}')
      echo "$s $flt $p"
      if awk -v a="$p" -v b="$bestp" 'BEGIN{exit !(a>b)}'; then best=$flt; bestp=$p; fi
    done < <(candidates "$fam" "$s")
    echo "BEST $s $fam $best $bestp"
  done
}
TUNE_CLIP=${TUNE_CLIP:-VID_1920x1080_cabac_temporal_direct.264}
TUNE_CROP=${TUNE_CROP:-640x360}
TUNE_FRAMES=${TUNE_FRAMES:-20}
PLUGIN_DIR=${PLUGIN_DIR:-$ROOT/build/plugin}
VFAMS="" IFAMS=""
for fam in $FAMILIES; do
  case $fam in hqdn3d_tmp|atadenoise|fftdnoiz) VFAMS+=" $fam" ;; *) IFAMS+=" $fam" ;; esac
done
if [[ -n $VFAMS ]]; then
  for s in $SIGMAS; do tune_video "$s" $VFAMS; done
fi
[[ -n $IFAMS ]] || exit 0

for s in $SIGMAS; do
  i=0
  for f in "${imgs[@]}"; do
    i=$((i + 1))
    "$VAE" noise --type gaussian --sigma "$s" --seed "$i" "$f" "$W/n$i.png"
  done
  for fam in $IFAMS; do
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
