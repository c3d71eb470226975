#!/usr/bin/env bash
# Reproduces every quality number of the model cards (models/README.md) and
# prints them as Markdown tables, to stdout and to models/eval/*.md.
#
#   models/evaluate.sh                 everything (about 20 min on an idle 2-core machine)
#   QUICK=1 models/evaluate.sh         Set12 only, σ=25, p=0.1, IWAE on 100 samples
#   LIMIT=2 PARTS=paper models/evaluate.sh   first 2 images of each set, one part
#
# Parts (PARTS, default all, in this order):
#   paper      Gaussian denoisers, papers' protocol: float noise added to the 0..255
#              image, seeded per image, no clipping (`vae eval-denoise --protocol paper`);
#              PSNR/SSIM beside the published BSD68/Set12 averages.
#   pipeline   Gaussian denoisers, pipeline protocol: the real elements
#              (pngdec ! GRAY8 ! vaenoise sigma=S seed=i ! vaedenoise noise-level=S), noise
#              rounded and clipped to 8 bits; ffmpeg nlmeans/hqdn3d/vaguedenoiser/bm3d
#              run on the very same noisy PNGs.
#   impulse    salt-and-pepper and masking (dead pixel) models through the elements
#              (vaenoise type=… probability=p; vaedenoise noise-level=255·p) vs GStreamer
#              videomedian and ffmpeg median on the same noisy images.
#   generative VAEs: test −ELBO, IWAE bound on a subset, Frey held-out ELBO.
#   video      real camera clips (Foreman CIF, the 720p flower clip) through
#              vaenoise ! vaedenoise, mean PSNR over frames.
#
# Env (defaults in brackets):
#   BUILD [build]  VAE [$BUILD/tools/vae]  PLUGIN_DIR [$BUILD/plugin]
#   DATA [../shared/data]  MODELS_DIR [models]  PYTHON [/usr/bin/python3]
#   OUT [models/eval; $WORK/out when QUICK or LIMIT is set]
#   WORK [${TMPDIR:-/tmp}/vae_evaluate]  (noisy and denoised PNGs stay there)
#   THREADS [2]  OpenBLAS threads of the tool, n-threads of vaedenoise, parallel ffmpeg jobs
#   SETS ["set12 bsd68"]  SIGMAS ["15 25 50"]  LIMIT [all] images per set
#   MODELS ["denoise-s denoise-s@6 denoise-s@2 denoise-cnn"]   names in MODELS_DIR or paths (NAME@S: stride S;
#              NAME+x8: self-ensemble, papers' protocol only)  PAPER_FILE [denoise-paper.md]
#   PEERS ["nlmeans hqdn3d vaguedenoiser bm3d"]  BM3D_SETS ["set12"] (bm3d is slow)
#   IMPULSE_MODELS ["denoise-sp denoise-mask"]  PS ["0.1 0.2"]
#   IMPULSE_TYPES ["salt-and-pepper masking"]  (baselines run even without a model)
#   GEN_MODELS ["mnist-vae mnist-vae2d mnist-vae-deep frey-vae"]
#   IWAE_MODELS ["mnist-vae mnist-vae-deep frey-vae"]  IWAE_K [5000]  IWAE_N [1000]
#   SEED [1]  the papers' protocol seed (image i uses SEED*1000003+i); the elements'
#              vaenoise uses seed=i for the i-th image (1-based) of a set.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
VAE=${VAE:-$BUILD/tools/vae}
PLUGIN_DIR=${PLUGIN_DIR:-$BUILD/plugin}
DATA=${DATA:-$ROOT/../shared/data}
MODELS_DIR=${MODELS_DIR:-$ROOT/models}
PY=${PYTHON:-/usr/bin/python3}
UTIL=$ROOT/tools/eval_util.py
WORK=${WORK:-${TMPDIR:-/tmp}/vae_evaluate}
THREADS=${THREADS:-2}
QUICK=${QUICK:-0}
LIMIT=${LIMIT:-0}
if [[ $QUICK == 1 ]]; then
  SETS=${SETS:-set12} SIGMAS=${SIGMAS:-25} PS=${PS:-0.1} IWAE_N=${IWAE_N:-100}
fi
SETS=${SETS:-"set12 bsd68"}
SIGMAS=${SIGMAS:-"15 25 50"}
MODELS=${MODELS:-"denoise-s denoise-s@6 denoise-s@2 denoise-cnn"}
PAPER_FILE=${PAPER_FILE:-denoise-paper.md}
PEERS=${PEERS:-"nlmeans hqdn3d vaguedenoiser bm3d"}
BM3D_SETS=${BM3D_SETS:-"set12"}
IMPULSE_MODELS=${IMPULSE_MODELS:-"denoise-sp denoise-mask"}
IMPULSE_TYPES=${IMPULSE_TYPES:-"salt-and-pepper masking"}
PS=${PS:-"0.1 0.2"}
GEN_MODELS=${GEN_MODELS:-"mnist-vae mnist-vae2d mnist-vae-deep frey-vae"}
IWAE_MODELS=${IWAE_MODELS:-"mnist-vae mnist-vae-deep frey-vae"}
IWAE_K=${IWAE_K:-5000}
IWAE_N=${IWAE_N:-1000}
SEED=${SEED:-1}
PARTS=${PARTS:-"paper pipeline impulse generative video"}
if [[ $QUICK == 1 || $LIMIT != 0 ]]; then OUT=${OUT:-$WORK/out}; else OUT=${OUT:-$ROOT/models/eval}; fi

export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1   # the tool sets its own; GStreamer threads must not spin
export GST_PLUGIN_PATH=$PLUGIN_DIR GST_REGISTRY=$WORK/gst-registry.bin

die() { echo "evaluate.sh: $*" >&2; exit 1; }
note() { echo "evaluate.sh: $*" >&2; }
[[ -x $VAE ]] || die "no tool at $VAE (meson setup build && ninja -C build, or set VAE/BUILD)"
"$PY" -c 'import numpy, PIL' 2>/dev/null || die "$PY needs numpy and PIL (apt-get install python3-numpy python3-pil)"
mkdir -p "$WORK" "$OUT"
START=$SECONDS
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
SETTINGS="SETS=\"$SETS\" SIGMAS=\"$SIGMAS\" PS=\"$PS\" LIMIT=$LIMIT QUICK=$QUICK THREADS=$THREADS PARTS=\"$PARTS\" MODELS=\"$MODELS\" PEERS=\"$PEERS\" PAPER_FILE=$PAPER_FILE"

declare -A R          # results: key -> "psnr ssim"
set_label() { case $1 in set12) echo Set12 ;; bsd68) echo BSD68 ;; *) echo "$1" ;; esac; }

# A set's images (all, or the first LIMIT as symlinks).
set_dir() {
  local src=$DATA/denoise/$1
  [[ -d $src ]] || die "no image set $src"
  if [[ $LIMIT == 0 ]]; then echo "$src"; return; fi
  local d=$WORK/sets/$1-$LIMIT
  if [[ ! -d $d ]]; then
    mkdir -p "$d"
    ls "$src"/*.png | head -n "$LIMIT" | while read -r f; do ln -s "$f" "$d/"; done
  fi
  echo "$d"
}
set_desc() {
  local n; n=$(ls "$(set_dir "$1")"/*.png | wc -l)
  echo "$(set_label "$1") ($n images$([[ $LIMIT != 0 ]] && echo ", the first $LIMIT only"))"
}

sets_desc() {
  local s out=""
  for s in $SETS; do out+="${out:+; }$(set_desc "$s")"; done
  echo "$out."
}

# Model NAME (in MODELS_DIR) or path -> path, or nothing when absent.
model_path() {
  local m=$1
  [[ $m == */* || $m == *.safetensors ]] || m=$MODELS_DIR/$m.safetensors
  [[ -f $m ]] && echo "$m"
  return 0
}
model_label() { local b; b=$(basename "$1"); echo "${b%.safetensors}"; }
model_desc() {  # path -> one line for the table headers
  local p=$1 sha steps
  sha=$(sha256sum "$p" | cut -c1-12)
  steps=$("$VAE" info "$p" | awk '$1=="train.steps"{print $2}')
  echo "\`$(model_label "$p")\`: \`${p#"$ROOT"/}\` (sha256 $sha…${steps:+, $steps training steps})"
}
model_noise() { "$VAE" info "$1" | awk '$1=="noise:"{print $2}'; }

header() {  # title, extra lines...
  echo "<!-- written by models/evaluate.sh; rerun it instead of editing -->"
  echo "## $1"
  echo
  echo "Run: \`$SETTINGS models/evaluate.sh\` at commit $COMMIT."
  shift
  for l in "$@"; do echo "$l"; done
  echo
}

fmt() {  # "psnr ssim" -> cell
  local v=${1:-}
  if [[ -z $v ]]; then echo "–"; return; fi
  awk -v p="${v% *}" -v s="${v#* }" 'BEGIN {
    if (p == "nan") { print "–"; exit }
    if (s == "" || s == "-" || s == p) printf "%.2f\n", p; else printf "%.2f / %.4f\n", p, s }'
}

# ffmpeg peers: name sigma -> -vf chain (gray in, gray out).  Settings from
# tools/eval_tune_peers.sh: a PSNR sweep per σ on 3-6 Train400 images (training
# data, so the test sets are not used for tuning); σ outside 15/25/50 scale the
# nearest.  ffmpeg's nlmeans caps s at 30; its bm3d sigma is not in pixel units
# and not proportional to σ.
peer_filter() {
  local p=$1 s=$2
  case $p:$s in
  nlmeans:15) echo "nlmeans=s=8.2:p=5:r=21" ;;
  nlmeans:25) echo "nlmeans=s=11.2:p=5:r=21" ;;
  nlmeans:50) echo "nlmeans=s=30:p=7:r=15" ;;
  nlmeans:*) echo "nlmeans=s=$(awk -v s="$s" 'BEGIN{v=0.45*s; if (v>30) v=30; if (v<1) v=1; printf "%.1f", v}'):p=5:r=21" ;;
  hqdn3d:*) echo "format=yuvj444p,hqdn3d=luma_spatial=$(awk -v s="$s" 'BEGIN{print (s>37 ? 128 : 64)}'):chroma_spatial=0:luma_tmp=0:chroma_tmp=0" ;;
  vaguedenoiser:*) echo "vaguedenoiser=threshold=$(awk -v s="$s" 'BEGIN{printf "%g", 2*s}'):method=garrote:percent=100" ;;
  bm3d:15) echo "bm3d=sigma=375:group=16:bstep=2:estim=basic" ;;
  bm3d:25) echo "bm3d=sigma=1000:group=16:bstep=2:estim=basic" ;;
  bm3d:50) echo "bm3d=sigma=3000:group=16:bstep=2:estim=basic" ;;
  bm3d:*) echo "bm3d=sigma=$((40 * s)):group=16:bstep=2:estim=basic" ;;
  median1:*) echo "median=radius=1" ;;
  median2:*) echo "median=radius=2" ;;
  *) die "unknown peer $p" ;;
  esac
}
peer_label() {
  case $1 in
  nlmeans|hqdn3d|vaguedenoiser) echo "ffmpeg \`$(peer_filter "$1" "$2" | sed 's/^format=yuvj444p,//')\`" ;;
  bm3d) echo "ffmpeg \`$(peer_filter bm3d "$2")\` (basic estimate)" ;;
  median1) echo "ffmpeg \`median=radius=1\` (3×3)" ;;
  median2) echo "ffmpeg \`median=radius=2\` (5×5)" ;;
  vm5) echo "GStreamer \`videomedian filtersize=5\` (5-pixel cross)" ;;
  vm9) echo "GStreamer \`videomedian filtersize=9\` (3×3)" ;;
  esac
}

# Runs ffmpeg filter $3 on every PNG of dir $1 into dir $2, THREADS jobs at once.
run_ffmpeg_dir() {
  local in=$1 out=$2 vf=$3
  mkdir -p "$out"
  ls "$in"/*.png | xargs -P "$THREADS" -I{} sh -c \
    'ffmpeg -nostdin -v error -y -threads 1 -filter_threads 1 -i "$1" -vf "$2" "$3/$(basename "$1")"' _ {} "format=gray,$vf,format=gray" "$out"
}

metrics() {  # clean_dir dir... -> lines "dir n psnr ssim"
  "$PY" "$UTIL" metrics "$@"
}

check_psnr() {  # cross-check the Python PSNR against `vae psnr` on one pair
  local clean=$1 x=$2 a b
  a=$("$VAE" psnr "$clean" "$x")
  b=$("$PY" "$UTIL" ssim "$clean" "$x" | awk '{printf "%.2f", $1}')
  [[ $a == "$b" ]] || die "PSNR mismatch on $x: vae psnr $a, eval_util.py $b"
}

need_gst() {
  command -v gst-launch-1.0 >/dev/null || die "gst-launch-1.0 not found"
  for e in vaenoise vaedenoise "$@"; do
    gst-inspect-1.0 "$e" >/dev/null 2>&1 || die "GStreamer element $e not found (PLUGIN_DIR=$PLUGIN_DIR)"
  done
}

declare -a DMODELS=() DSTRIDE=() DENS=() DLABEL=()
# MODELS entries: NAME, NAME@S (stride S), NAME+x8 (geometric self-ensemble,
# papers' protocol only), or both: NAME@3+x8.
resolve_denoisers() {
  DMODELS=(); DSTRIDE=(); DENS=(); DLABEL=()
  local m p base st ens lab
  for m in $MODELS; do
    base=${m%%[@+]*}; st=0; ens=1
    [[ $m == *@* ]] && { st=${m#*@}; st=${st%%+*}; }
    [[ $m == *+x8 ]] && ens=8
    p=$(model_path "$base")
    if [[ -z $p ]]; then note "model $base not found in $MODELS_DIR: skipped"; continue; fi
    lab=$(model_label "$p")
    ((st > 0)) && lab+=" stride $st"
    ((ens == 8)) && lab+=" ×8 ensemble"
    DMODELS+=("$p"); DSTRIDE+=("$st"); DENS+=("$ens"); DLABEL+=("$lab")
  done
}

anchor() {  # method set sigma -> published average PSNR (papers' protocol)
  case $1:$2:$3 in
  BM3D:bsd68:15) echo 31.07 ;; BM3D:bsd68:25) echo 28.57 ;; BM3D:bsd68:50) echo 25.62 ;;
  BM3D:set12:25) echo 29.97 ;;
  MLP:bsd68:25) echo 28.96 ;; MLP:bsd68:50) echo 26.03 ;;
  TNRD:bsd68:15) echo 31.42 ;; TNRD:bsd68:25) echo 28.92 ;; TNRD:bsd68:50) echo 25.97 ;;
  DnCNN-S:bsd68:15) echo 31.73 ;; DnCNN-S:bsd68:25) echo 29.23 ;; DnCNN-S:bsd68:50) echo 26.23 ;;
  DnCNN-S:set12:25) echo 30.44 ;;
  esac
}
anchor_rows() {
  local a s g v row
  for a in BM3D "MLP" TNRD DnCNN-S; do
    row="| $a (published) |"
    for s in $SETS; do for g in $SIGMAS; do
      v=$(anchor "$a" "$s" "$g"); row+=" ${v:-–} |"
    done; done
    echo "$row"
  done
}
table_head() {  # first column title
  local s g row="| $1 |" sep="| --- |"
  for s in $SETS; do for g in $SIGMAS; do row+=" $(set_label "$s") σ=$g |"; sep+=" --- |"; done; done
  echo "$row"; echo "$sep"
}
table_row() {  # label prefix(key before set|sigma)
  local label=$1 k=$2 s g row
  row="| $label |"
  for s in $SETS; do for g in $SIGMAS; do row+=" $(fmt "${R[$k|$s|$g]:-}") |"; done; done
  echo "$row"
}

# ------------------------------------------------------------------ paper
part_paper() {
  local t0=$SECONDS p s g dir f line k
  resolve_denoisers
  ((${#DMODELS[@]})) || { note "paper: no denoiser found, skipped"; return; }
  mkdir -p "$WORK/paper"
  for s in $SETS; do
    dir=$(set_dir "$s")
    for g in $SIGMAS; do
      for k in "${!DMODELS[@]}"; do
        p=${DMODELS[$k]}
        f=$WORK/paper/$(model_label "$p")-st${DSTRIDE[$k]}-x${DENS[$k]}-$s-$g.txt
        note "paper: ${DLABEL[$k]} on $s σ=$g"
        "$VAE" eval-denoise --model "$p" --set "$dir" --sigma "$g" --protocol paper \
          --stride "${DSTRIDE[$k]}" --ensemble "${DENS[$k]}" \
          --seed "$SEED" --threads "$THREADS" > "$f"
        line=$(awk '$1=="MEAN"' "$f")
        [[ -n $line ]] || die "no MEAN row in $f"
        R[paper|noisy|$s|$g]="$(echo "$line" | awk '{print $2}') -"
        R[paper|${DLABEL[$k]}|$s|$g]=$(echo "$line" | awk '{print $3, $4}')
      done
    done
  done
  {
    header "Gaussian denoising, papers' protocol (PSNR dB / SSIM)" \
      "Noise: float Gaussian N(0, σ²) added to the 0..255 image, no rounding or clipping, seed $SEED (image i of a set uses seed ${SEED}·1000003+i); the denoiser is given the true σ; PSNR/SSIM of the float output (not clipped or rounded) against the clean image, averaged over images; SSIM: 11×11 Gaussian window σ=1.5, valid windows. Command: \`vae eval-denoise --model M --set DIR --sigma S --protocol paper --seed $SEED\`. (DnCNN's MATLAB test code scores im2uint8(output), rounded and clipped: rounding changes PSNR by under 0.01 dB at these levels and clipping can only raise it.)" \
      "Published rows: average PSNR from the papers under this protocol (BSD68 σ=15/25/50: BM3D, MLP (Burger et al. 2012), TNRD, DnCNN-S as tabulated in Zhang et al., TIP 2017; Set12 σ=25 from the same paper); – = not given here." \
      "" "Data: $(sets_desc)"
    echo "Models:"
    echo
    for p in $(printf '%s\n' "${DMODELS[@]}" | sort -u); do echo "- $(model_desc "$p")"; done
    echo
    echo "Stride: the model's own (its denoise.stride metadata, else half a patch) unless the row names one; ×8 ensemble: the mean over the 8 flips and rotations (\`--ensemble 8\`)."
    echo
    table_head method
    table_row "noisy input" "paper|noisy"
    for k in "${!DMODELS[@]}"; do table_row "\`${DLABEL[$k]}\`" "paper|${DLABEL[$k]}"; done
    anchor_rows
    echo
    echo "Time: $((SECONDS - t0)) s with THREADS=$THREADS."
  } > "$OUT/$PAPER_FILE"
  cat "$OUT/$PAPER_FILE"; echo
}

# --------------------------------------------------------------- pipeline
part_pipeline() {
  local t0=$SECONDS p s g dir w i f name pipe peer dirs line peers_run=() tp k
  resolve_denoisers
  need_gst
  declare -A peer_time=()
  for s in $SETS; do
    dir=$(set_dir "$s")
    for g in $SIGMAS; do
      w=$WORK/pipeline/$s/s$g
      rm -rf "$w"; mkdir -p "$w/noisy"
      for k in "${!DMODELS[@]}"; do ((DENS[k] == 1)) && mkdir -p "$w/pipe$k"; done
      note "pipeline: $s σ=$g: vaenoise and vaedenoise ($(ls "$dir"/*.png | wc -l) images)"
      tp=$SECONDS
      i=0
      for f in "$dir"/*.png; do
        i=$((i + 1)); name=$(basename "$f")
        pipe=(filesrc "location=$f" ! pngdec ! videoconvert ! video/x-raw,format=GRAY8
          ! vaenoise type=gaussian "sigma=$g" "seed=$i" ! tee name=t
          t. ! queue ! pngenc ! filesink "location=$w/noisy/$name")
        for k in "${!DMODELS[@]}"; do
          ((DENS[k] == 1)) || continue   # the element has no self-ensemble
          pipe+=(t. ! queue ! vaedenoise "model=${DMODELS[$k]}" "noise-level=$g" "n-threads=$THREADS"
            "stride=${DSTRIDE[$k]}" ! pngenc ! filesink "location=$w/pipe$k/$name")
        done
        gst-launch-1.0 -q "${pipe[@]}" >/dev/null || die "pipeline failed on $f"
      done
      peer_time[elements]=$(( ${peer_time[elements]:-0} + SECONDS - tp ))
      check_psnr "$f" "$w/noisy/$name"
      dirs=("$w/noisy")
      for k in "${!DMODELS[@]}"; do ((DENS[k] == 1)) && dirs+=("$w/pipe$k"); done
      for peer in $PEERS; do
        if [[ $peer == bm3d && " $BM3D_SETS " != *" $s "* ]]; then continue; fi
        note "pipeline: $s σ=$g: ffmpeg $peer"
        tp=$SECONDS
        run_ffmpeg_dir "$w/noisy" "$w/$peer" "$(peer_filter "$peer" "$g")"
        peer_time[$peer]=$(( ${peer_time[$peer]:-0} + SECONDS - tp ))
        dirs+=("$w/$peer")
      done
      while read -r line; do
        set -- $line
        R[pipe|$(basename "$1")|$s|$g]="$3 $4"
      done < <(metrics "$dir" "${dirs[@]}")
    done
  done
  {
    header "Gaussian denoising, pipeline protocol (PSNR dB / SSIM)" \
      "Noise: the \`vaenoise\` element (Gaussian σ, rounded and clipped to GRAY8; image i of a set uses seed=i); the denoiser is the \`vaedenoise\` element with noise-level=σ (the true σ), n-threads=$THREADS; its 8-bit output is compared with the clean image. Per image:" \
      "\`gst-launch-1.0 filesrc location=IMG ! pngdec ! videoconvert ! video/x-raw,format=GRAY8 ! vaenoise sigma=S seed=i ! tee name=t t. ! queue ! pngenc ! filesink location=noisy.png t. ! queue ! vaedenoise model=M noise-level=S ! pngenc ! filesink location=out.png\`" \
      "The ffmpeg rows filter the same noisy PNGs (\`ffmpeg -i noisy.png -vf \"format=gray,FILTER,format=gray\" out.png\`) with settings picked per σ by a PSNR sweep on Train400 images (tools/eval_tune_peers.sh); bm3d runs its basic estimate only, and only on: $BM3D_SETS. PSNR and SSIM (11×11 Gaussian σ=1.5, valid windows, as the core's) by tools/eval_util.py, averaged over images." \
      "The published rows are the papers' protocol (float noise, no clipping) and are given for orientation only; clipping makes σ=50 noise weaker than in the papers." \
      "" "Data: $(sets_desc)"
    echo "Models:"
    echo
    for p in $(printf '%s\n' "${DMODELS[@]}" | sort -u); do echo "- $(model_desc "$p")"; done
    echo
    table_head method
    table_row "noisy input" "pipe|noisy"
    for k in "${!DMODELS[@]}"; do
      ((DENS[k] == 1)) && table_row "\`${DLABEL[$k]}\` (vaedenoise)" "pipe|pipe$k"
    done
    for peer in $PEERS; do
      local row="| ffmpeg $peer$([[ $peer == bm3d ]] && echo " (basic estimate)") |"
      for s in $SETS; do for g in $SIGMAS; do row+=" $(fmt "${R[pipe|$peer|$s|$g]:-}") |"; done; done
      echo "$row"
    done
    anchor_rows
    echo
    echo "ffmpeg settings per σ:"
    for peer in $PEERS; do
      echo -n "- $peer:"
      for g in $SIGMAS; do echo -n " σ=$g \`$(peer_filter "$peer" "$g" | sed 's/^format=yuvj444p,//')\`;"; done
      echo
    done
    echo "- hqdn3d has no gray format, so it runs on full-range yuvj444p (lossless from gray)."
    echo
    echo -n "Time: $((SECONDS - t0)) s with THREADS=$THREADS ("
    for k in "${!peer_time[@]}"; do echo -n "$k ${peer_time[$k]} s; "; done
    echo "wall, including gst-launch start-up per image)."
  } > "$OUT/denoise-pipeline.md"
  cat "$OUT/denoise-pipeline.md"; echo
}

# ---------------------------------------------------------------- impulse
part_impulse() {
  local t0=$SECONDS m p type s dir w i f name pipe line dirs lvl mrows
  need_gst videomedian
  declare -A tmodel=()
  for m in $IMPULSE_MODELS; do
    p=$(model_path "$m")
    if [[ -z $p ]]; then note "impulse: model $m not found in $MODELS_DIR: its rows are skipped"; continue; fi
    type=$(model_noise "$p")
    [[ $type == salt-and-pepper || $type == masking ]] || { note "impulse: $m is a $type model, skipped"; continue; }
    tmodel[$type]=$p
  done
  for type in $IMPULSE_TYPES; do
    for s in $SETS; do
      dir=$(set_dir "$s")
      for q in $PS; do
        w=$WORK/impulse/$type/$s/p$q
        rm -rf "$w"; mkdir -p "$w/noisy" "$w/model" "$w/vm5" "$w/vm9"
        lvl=$(awk -v q="$q" 'BEGIN{printf "%g", 255*q}')
        note "impulse: $type p=$q on $s"
        i=0
        for f in "$dir"/*.png; do
          i=$((i + 1)); name=$(basename "$f")
          pipe=(filesrc "location=$f" ! pngdec ! videoconvert ! video/x-raw,format=GRAY8
            ! vaenoise "type=$type" "probability=$q" "seed=$i" ! tee name=t
            t. ! queue ! pngenc ! filesink "location=$w/noisy/$name")
          if [[ -n ${tmodel[$type]:-} ]]; then
            pipe+=(t. ! queue ! vaedenoise "model=${tmodel[$type]}" "noise-level=$lvl" "n-threads=$THREADS"
              ! pngenc ! filesink "location=$w/model/$name")
          fi
          for k in 5 9; do
            pipe+=(t. ! queue ! videoconvert ! video/x-raw,format=I420 ! videomedian "filtersize=$k"
              ! videoconvert ! video/x-raw,format=GRAY8 ! pngenc ! filesink "location=$w/vm$k/$name")
          done
          gst-launch-1.0 -q "${pipe[@]}" >/dev/null || die "pipeline failed on $f"
        done
        check_psnr "$f" "$w/noisy/$name"
        dirs=("$w/noisy" "$w/vm5" "$w/vm9")
        [[ -n ${tmodel[$type]:-} ]] && dirs+=("$w/model")
        for k in 1 2; do
          run_ffmpeg_dir "$w/noisy" "$w/median$k" "$(peer_filter median$k 0)"
          dirs+=("$w/median$k")
        done
        while read -r line; do
          set -- $line
          R[imp|$type|$(basename "$1")|$s|$q]="$3 $4"
        done < <(metrics "$dir" "${dirs[@]}")
      done
    done
  done
  {
    header "Impulse noise: salt-and-pepper and masking (PSNR dB / SSIM)" \
      "Noise: the \`vaenoise\` element, \`type=salt-and-pepper\` (a share p of the pixels set to 0 or 255, half each) or \`type=masking\` (a share p set to 0), image i of a set uses seed=i. The model runs in \`vaedenoise noise-level=255·p\`: a noise-conditional model gets its level as noise-level/255 (core/denoise.c), which for these models is the probability p they were trained with (p=0.1 → noise-level=25.5). Medians on the same noisy images: GStreamer's \`videomedian\` (on I420 luma, converted losslessly from GRAY8; filtersize=5 is the 4-neighbour cross plus centre, 9 the 3×3 square) and ffmpeg's \`median\` (radius 1 = 3×3, radius 2 = 5×5)." \
      "" "Data: $(sets_desc)"
    for type in $IMPULSE_TYPES; do
      echo
      echo "### $type"
      echo
      if [[ -n ${tmodel[$type]:-} ]]; then echo "Model: $(model_desc "${tmodel[$type]}")"; else echo "No $type model found: baselines only."; fi
      echo
      local row="| method |" sep="| --- |"
      for s in $SETS; do for q in $PS; do row+=" $(set_label "$s") p=$q |"; sep+=" --- |"; done; done
      echo "$row"; echo "$sep"
      mrows="noisy"
      [[ -n ${tmodel[$type]:-} ]] && mrows+=" model"
      for k in $mrows vm5 vm9 median1 median2; do
        case $k in
        noisy) row="| noisy input |" ;;
        model) row="| \`$(model_label "${tmodel[$type]}")\` (vaedenoise noise-level=255·p) |" ;;
        *) row="| $(peer_label "$k") |" ;;
        esac
        for s in $SETS; do for q in $PS; do row+=" $(fmt "${R[imp|$type|$k|$s|$q]:-}") |"; done; done
        echo "$row"
      done
    done
    echo
    echo "\`videomedian\` leaves the outermost rows and columns of the frame unfiltered (their impulses stay), so it scores below ffmpeg's 3×3 \`median\` although both give the same interior."
    echo
    echo "Time: $((SECONDS - t0)) s with THREADS=$THREADS."
  } > "$OUT/impulse.md"
  cat "$OUT/impulse.md"; echo
}

# ------------------------------------------------------------- generative
part_generative() {
  local t0=$SECONDS m p spec out n rec elbo iw kk data_desc t1 est bin frey
  local mnist=$DATA/mnist/t10k-images-idx3-ubyte.gz
  mkdir -p "$WORK/gen"
  bin=$WORK/gen/t10k-binarized-seed1.idx
  frey=$WORK/gen/frey-heldout.idx
  [[ -f $bin ]] || "$PY" "$UTIL" binarize-idx "$mnist" "$bin" --seed 1 >&2
  "$PY" "$UTIL" frey-idx "$DATA/faces/frey/frey_rawface.mat" "$frey" --val-fraction 0.1 >&2
  local rows=() descs=()
  gen_row() {  # model-path data-spec data-label iwae?
    local p=$1 spec=$2 lab=$3 doiw=$4 o o2 s r e iwv="–" tiw=""
    o=$("$VAE" eval --model "$p" --data "$spec" --threads "$THREADS")
    s=$(echo "$o" | awk '/^samples:/{print $2}')
    r=$(echo "$o" | awk '/^reconstruction NLL:/{print $3}')
    e=$(echo "$o" | awk '/^negative ELBO:/{print $3}')
    if [[ $doiw == 1 && $IWAE_N != 0 ]]; then
      local n=$IWAE_N total=$s sub=$spec subdesc="all $s" t_probe e2
      if ((n < total)); then
        # a subset spread over the file: MNIST's test file has its easier half first
        sub=idx:$WORK/gen/$(model_label "$p")-subset$n.idx
        "$PY" "$UTIL" subset-idx "${spec#*:}" "${sub#idx:}" "$n" >&2
        subdesc="$n evenly spaced"
      fi
      # time 10 samples first, tell the estimate
      t_probe=$(date +%s.%N)
      "$VAE" eval --model "$p" --data "$sub" --iwae "$IWAE_K" --limit 10 --threads "$THREADS" >/dev/null
      est=$(awk -v a="$t_probe" -v b="$(date +%s.%N)" -v n="$n" -v t="$total" \
        'BEGIN{d=(b-a)/10; if (n>t) n=t; printf "%.0f s for %d samples (%.0f s for all %d)", d*n, n, d*t, t}')
      note "IWAE k=$IWAE_K $(model_label "$p"): about $est"
      t1=$SECONDS
      o2=$("$VAE" eval --model "$p" --data "$sub" --iwae "$IWAE_K" --threads "$THREADS")
      iwv=$(echo "$o2" | awk '/^IWAE NLL/{print $(NF-1)}')
      e2=$(echo "$o2" | awk '/^negative ELBO:/{print $3}')
      iwv="$iwv (k=$IWAE_K on $subdesc; −ELBO there $e2; $((SECONDS - t1)) s)"
    fi
    rows+=("| \`$(model_label "$p")\` | $lab | $s | $r | $e | $iwv |")
  }
  for m in $GEN_MODELS; do
    p=$(model_path "$m")
    if [[ -z $p ]]; then note "generative: model $m not found in $MODELS_DIR: skipped"; continue; fi
    descs+=("- $(model_desc "$p")")
    local doiw=0
    [[ " $IWAE_MODELS " == *" $m "* || " $IWAE_MODELS " == *" $p "* ]] && doiw=1
    note "generative: $(model_label "$p")"
    if [[ $("$VAE" info "$p" | awk '$1=="input:"{print $2}') == 20x28 ]]; then
      gen_row "$p" "idx:$frey" "Frey Face held-out (last 196 of 1965, as --val-fraction 0.1)" $doiw
    elif "$VAE" info "$p" | grep -q -- '--binarize'; then
      gen_row "$p" "idx:$bin" "MNIST test, binarized once (seed 1)" $doiw
      gen_row "$p" "mnist:$mnist" "MNIST test, grey levels" 0
    else
      gen_row "$p" "mnist:$mnist" "MNIST test, grey levels" $doiw
      gen_row "$p" "idx:$bin" "MNIST test, binarized once (seed 1)" 0
    fi
  done
  ((${#rows[@]})) || { note "generative: no model found, skipped"; return; }
  {
    header "Generative models (nats per image; lower is better)" \
      "Command: \`vae eval --model M --data SPEC\` (reconstruction NLL at z=μ; −ELBO with one posterior draw, seed 1) and \`vae eval --model M --data idx:SUBSET --iwae $IWAE_K\` (importance-weighted bound on −log p(x), on a subset spread evenly over the test file (tools/eval_util.py subset-idx; MNIST's test file has its easier half first) because k=$IWAE_K costs about k decoder passes per image; the subset's own −ELBO is given beside it)." \
      "MNIST grey levels: the Bernoulli likelihood of the [0,1] intensities (the pytorch/examples protocol; not a probability of binary images). MNIST binarized: each pixel set to 1 with probability intensity/255, drawn once with numpy seed 1 (tools/eval_util.py binarize-idx), the usual protocol for −log p(x) figures on dynamically binarized training. Frey Face: the last 10% of the file, held out by \`vae train --val-fraction 0.1\`, written as IDX by tools/eval_util.py frey-idx; Gaussian likelihood, so the numbers are densities on [0,1]^560 (can be negative)."
    echo "Models:"
    echo
    printf '%s\n' "${descs[@]}"
    echo
    echo "| model | data | samples | reconstruction NLL | −ELBO | IWAE NLL |"
    echo "| --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Time: $((SECONDS - t0)) s with THREADS=$THREADS."
  } > "$OUT/generative.md"
  cat "$OUT/generative.md"; echo
}

# ------------------------------------------------------------------ video
# Real camera clips (../shared/data/video) through the elements: decoded to
# GRAY8, Gaussian noise by vaenoise (seed 1, rounded and clipped), denoised by
# vaedenoise with the true σ; mean per-frame PSNR against the decoded clip.
# Foreman (CIF) is the validation clip of the zoom/8-bit training choices;
# the 1280×720 flower clip is the camera clip of the speed benchmark.
# clip_psnr A B W H: mean per-frame PSNR of two raw GRAY8 clips
clip_psnr() {
  "$PY" - "$@" <<'PY'
import sys, numpy as np
w, h = int(sys.argv[3]), int(sys.argv[4])
a = np.fromfile(sys.argv[1], np.uint8).reshape(-1, h, w).astype(np.float64)
c = np.fromfile(sys.argv[2], np.uint8).reshape(-1, h, w).astype(np.float64)
print("%.2f" % np.mean([10 * np.log10(255.0 ** 2 / ((x - y) ** 2).mean()) for x, y in zip(a, c)]))
PY
}
part_video() {
  local t0=$SECONDS k clip name frames w h g=${VIDEO_SIGMA:-25} raw row
  resolve_denoisers
  need_gst
  mkdir -p "$WORK/video"
  declare -A VR=()
  local clips=("BA1_FT_C.264 foreman 60 352 288" "VID_1280x720_cabac_temporal_direct.264 camera 30 1280 720")
  for clip in "${clips[@]}"; do
    set -- $clip; name=$2 frames=$3 w=$4 h=$5
    raw=$WORK/video/$name
    [[ -f $DATA/video/$1 ]] || { note "video: $1 missing, skipped"; continue; }
    note "video: $name ($frames frames) decode and noise"
    command -v ffmpeg >/dev/null || die "video: ffmpeg is needed to decode the clips"
    ffmpeg -loglevel error -y -i "$DATA/video/$1" -frames:v "$frames" -pix_fmt gray \
      -f rawvideo "$raw.clean" || die "cannot decode $1"
    gst-launch-1.0 -q filesrc "location=$raw.clean" blocksize=$((w * h)) \
      ! rawvideoparse format=gray8 "width=$w" "height=$h" framerate=30/1 \
      ! vaenoise type=gaussian "sigma=$g" seed=1 ! filesink "location=$raw.noisy" >/dev/null \
      || die "vaenoise failed on $name"
    VR[noisy|$name]=$(clip_psnr "$raw.noisy" "$raw.clean" "$w" "$h")
    for k in "${!DMODELS[@]}"; do
      ((DENS[k] == 1)) || continue
      note "video: $name ${DLABEL[$k]}"
      gst-launch-1.0 -q filesrc "location=$raw.noisy" blocksize=$((w * h)) \
        ! rawvideoparse format=gray8 "width=$w" "height=$h" framerate=30/1 \
        ! vaedenoise "model=${DMODELS[$k]}" "noise-level=$g" "stride=${DSTRIDE[$k]}" "n-threads=$THREADS" \
        ! filesink "location=$raw.out$k" >/dev/null || die "vaedenoise failed on $name"
      VR[$k|$name]=$(clip_psnr "$raw.out$k" "$raw.clean" "$w" "$h")
    done
  done
  {
    header "Real camera clips through the elements (mean PSNR dB over frames)" \
      "Clips from \`../shared/data/video\` decoded to GRAY8 by ffmpeg (\`ffmpeg -i CLIP -frames:v N -pix_fmt gray -f rawvideo\`), first N frames; noise: \`vaenoise sigma=$g seed=1\` (rounded and clipped to 8 bits); denoised by \`vaedenoise model=M noise-level=$g\` at the row's stride (0 = the model's own); PSNR per frame against the decoded clip, averaged." \
      "Foreman (352×288, 60 frames) is the clip the zoom and 8-bit training choices were judged on; the flower clip (1280×720, 30 frames) is the speed benchmark's camera clip, where bench/run.sh also runs ffmpeg's denoisers."
    echo "| method | Foreman 352×288 | flower 1280×720 |"
    echo "| --- | --- | --- |"
    echo "| noisy input | ${VR[noisy|foreman]:-–} | ${VR[noisy|camera]:-–} |"
    for k in "${!DMODELS[@]}"; do
      ((DENS[k] == 1)) || continue
      echo "| \`${DLABEL[$k]}\` (vaedenoise) | ${VR[$k|foreman]:-–} | ${VR[$k|camera]:-–} |"
    done
    echo
    echo "Time: $((SECONDS - t0)) s with THREADS=$THREADS."
  } > "$OUT/${VIDEO_FILE:-video.md}"
  cat "$OUT/${VIDEO_FILE:-video.md}"; echo
}

for part in $PARTS; do
  case $part in
  paper) part_paper ;;
  pipeline) part_pipeline ;;
  impulse) part_impulse ;;
  generative) part_generative ;;
  video) part_video ;;
  *) die "unknown part $part (paper pipeline impulse generative video)" ;;
  esac
done
note "done in $((SECONDS - START)) s; tables in $OUT"
