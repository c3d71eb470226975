#!/usr/bin/env bash
# Reproduces every quality number of the model cards (models/README.md) and
# prints them as Markdown tables, to stdout and to models/eval/*.md.
#
#   models/evaluate.sh                 everything (about 20 min on an idle 2-core machine, plus 5 for temporal, 12 for colour)
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
#   colour     colour denoising with RGB noise: CBSD68 at SIGMAS (numpy noise seeded per
#              image, rounded and clipped, saved as PNG) through pngdec ! videoconvert !
#              I420 or Y444 ! vaedenoise ! RGB, PSNR over R, G and B; ffmpeg nlmeans,
#              hqdn3d and bm3d on the same noisy PNGs; the published CBSD68 averages;
#              the flower and Foreman clips with RGB noise through I420, with fps.
#              Needs denoise-colour.safetensors in MODELS_DIR.
#   temporal   video over time (issue 27): Foreman, flower, a scene cut (flower then
#              the Zhling clip) and a static clip (a Kodak24 photo repeated, fresh
#              noise each frame), σ=25 by vaenoise; PSNR and flicker (how much the
#              error changes between frames) for vaedenoise settings and ffmpeg's
#              hqdn3d, atadenoise, fftdnoiz and nlmeans on the same noisy frames,
#              with fps; the static clip's frame 10 and the 5 frames after the cut;
#              and, over several noise draws, how much of the error is systematic.
#
# Env (defaults in brackets):
#   BUILD [build]  VAE [$BUILD/tools/vae]  PLUGIN_DIR [$BUILD/plugin]  EVAL_SETUP [1: set up and build first]
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
#   COLOUR_FORMATS ["I420 Y444 RGB"]  the defaults' row runs in each; COLOUR_RUNS in the first
#   COLOUR_RUNS ["-;temporal=false;...;format=RGB model=denoise-s.safetensors chroma=denoise stride=6"] (line 104)
#              vaedenoise property sets, one row each on the images and the clips
#              ("-": the element's defaults; SIGMA: the column's σ)
#   COLOUR_PEERS ["nlmeans hqdn3d bm3d"]  COLOUR_BM3D_IMAGES [4; 0 = all] (bm3d: ~25 s an image)
#   COLOUR_CLIPS ["flower foreman"]  COLOUR_FRAMES [0 = 30 flower, 60 Foreman]  COLOUR_VIDEO_SIGMA [25]
#   TEMPORAL_CLIPS ["foreman flower cut static"]  TEMPORAL_FRAMES [60]  TEMPORAL_CUT [30]
#   TEMPORAL_RUNS ["noise-level=25;noise-level=-1;noise-level=25 temporal=false;noise-level=-1 temporal=false;model=denoise-cnn.safetensors noise-level=25 temporal=false;model=denoise-cnn.safetensors noise-level=25"]
#              vaedenoise property sets, one row each (no model= means the element's default)
#   TEMPORAL_PEERS ["hqdn3d atadenoise fftdnoiz nlmeans"]  TEMPORAL_STILL [kodim05]
#   TEMPORAL_STATIC_FRAME [10]  TEMPORAL_NLMEANS_FRAMES [0 = all] nlmeans frames on 720p clips
#   TEMPORAL_SPLIT_CLIPS ["foreman flower"]  TEMPORAL_SPLIT_RUNS ["noise-level=25;noise-level=25 temporal=false"]
#   TEMPORAL_DRAWS [8]  noise draws (seeds 1..N) for the systematic/random split
#   SEED [1]  the papers' protocol seed (image i uses SEED*1000003+i); the elements'
#              vaenoise uses seed=i for the i-th image (1-based) of a set; so does the
#              colour part's numpy noise (frame t of a clip: seed t+1).
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
TEMPORAL_CLIPS=${TEMPORAL_CLIPS:-"foreman flower cut static"}
TEMPORAL_FRAMES=${TEMPORAL_FRAMES:-60}
TEMPORAL_CUT=${TEMPORAL_CUT:-30}
TEMPORAL_RUNS=${TEMPORAL_RUNS:-"noise-level=25;noise-level=-1;noise-level=25 temporal=false;noise-level=-1 temporal=false;model=denoise-cnn.safetensors noise-level=25 temporal=false;model=denoise-cnn.safetensors noise-level=25"}
TEMPORAL_PEERS=${TEMPORAL_PEERS:-"hqdn3d atadenoise fftdnoiz nlmeans"}
TEMPORAL_STILL=${TEMPORAL_STILL:-kodim05}
TEMPORAL_STATIC_FRAME=${TEMPORAL_STATIC_FRAME:-10}
TEMPORAL_NLMEANS_FRAMES=${TEMPORAL_NLMEANS_FRAMES:-0}
TEMPORAL_SPLIT_CLIPS=${TEMPORAL_SPLIT_CLIPS-"foreman flower"}
TEMPORAL_SPLIT_RUNS=${TEMPORAL_SPLIT_RUNS:-"noise-level=25;noise-level=25 temporal=false"}
TEMPORAL_DRAWS=${TEMPORAL_DRAWS:-8}
COLOUR_FORMATS=${COLOUR_FORMATS:-"I420 Y444 RGB"}
COLOUR_RUNS=${COLOUR_RUNS:-"-;temporal=false;noise-level=SIGMA;stride=4;model=denoise-s.safetensors chroma=denoise;model=denoise-s.safetensors;model=denoise-cnn.safetensors chroma=denoise;format=RGB model=denoise-cnn.safetensors chroma=denoise;format=RGB model=denoise-s.safetensors chroma=denoise;format=RGB model=denoise-s.safetensors chroma=denoise stride=6"}
COLOUR_PEERS=${COLOUR_PEERS:-"nlmeans hqdn3d bm3d"}
COLOUR_BM3D_IMAGES=${COLOUR_BM3D_IMAGES:-4}
COLOUR_CLIPS=${COLOUR_CLIPS:-"flower foreman"}
COLOUR_FRAMES=${COLOUR_FRAMES:-0}
COLOUR_VIDEO_SIGMA=${COLOUR_VIDEO_SIGMA:-25}
PARTS=${PARTS:-"paper pipeline impulse generative video colour temporal"}
if [[ $QUICK == 1 || $LIMIT != 0 ]]; then OUT=${OUT:-$WORK/out}; else OUT=${OUT:-$ROOT/models/eval}; fi

export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1   # the tool sets its own; GStreamer threads must not spin
export GST_PLUGIN_PATH=$PLUGIN_DIR GST_REGISTRY=$WORK/gst-registry.bin

die() { echo "evaluate.sh: $*" >&2; exit 1; }
note() { echo "evaluate.sh: $*" >&2; }
# From a fresh clone on Debian 12 this one command is enough: unless
# EVAL_SETUP=0, it first installs what it needs (tools/setup-debian.sh's
# packages, ffmpeg for the clips and the peers, PIL for the PNG metrics)
# and builds, or brings the build up to date with the tree.
if [[ ${EVAL_SETUP:-1} != 0 ]]; then
  SETUP_EXTRA_PKGS="ffmpeg python3-pil" BUILD_DIR=$BUILD "$ROOT/tools/setup-debian.sh" >&2 \
    || die "set-up or build failed (tools/setup-debian.sh)"
fi
[[ -x $VAE ]] || die "no tool at $VAE (meson setup build && ninja -C build, or set VAE/BUILD)"
"$PY" -c 'import numpy' 2>/dev/null || die "$PY needs numpy (apt-get install python3-numpy)"
if [[ " $PARTS " == *" pipeline "* || " $PARTS " == *" impulse "* || " $PARTS " == *" colour "* ]]; then  # PNG metrics
  "$PY" -c 'import PIL' 2>/dev/null || die "$PY needs PIL for the pipeline, impulse and colour parts (apt-get install python3-pil)"
fi
mkdir -p "$WORK" "$OUT"
START=$SECONDS
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
SETTINGS="SETS=\"$SETS\" SIGMAS=\"$SIGMAS\" PS=\"$PS\" LIMIT=$LIMIT QUICK=$QUICK THREADS=$THREADS PARTS=\"$PARTS\" MODELS=\"$MODELS\" PEERS=\"$PEERS\" PAPER_FILE=$PAPER_FILE"

declare -A R          # results: key -> "psnr ssim"
set_label() { case $1 in set12) echo Set12 ;; bsd68) echo BSD68 ;; cbsd68) echo CBSD68 ;; *) echo "$1" ;; esac; }

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

# ------------------------------------------------------------------ clips
# Shared by the video and temporal parts.  A clip is raw GRAY8, W*H bytes a
# frame with no row padding (ffmpeg's layout); GStreamer pads GRAY8 rows to 4
# bytes, so widths must be multiples of 4 to pass through rawvideoparse and
# filesink unchanged.
clip_decode() {  # SRC FRAMES OUT W [INPUT-OPTION...]: the first FRAMES frames of SRC as GRAY8
  local src=$1 frames=$2 out=$3 w=$4
  shift 4
  command -v ffmpeg >/dev/null || die "ffmpeg is needed to decode the clips"
  ((w % 4 == 0)) || die "clip width $w: GStreamer would pad its GRAY8 rows"
  ffmpeg -nostdin -loglevel error -y "$@" -i "$src" -frames:v "$frames" -pix_fmt gray \
    -f rawvideo "$out" || die "cannot decode $src"
}
clip_frames() { echo $(($(stat -c %s "$1") / ($2 * $3))); }   # RAW W H
clip_src() {  # RAW W H -> gst-launch words of a GRAY8 source
  echo filesrc "location=$1" "blocksize=$(($2 * $3))" ! rawvideoparse format=gray8 \
    "width=$2" "height=$3" framerate=30/1
}
clip_noise() {  # CLEAN W H SIGMA NOISY [SEED]: vaenoise seed=SEED [1] (each frame seeded from seed and its index)
  gst-launch-1.0 -q $(clip_src "$1" "$2" "$3") ! vaenoise type=gaussian "sigma=$4" "seed=${6:-1}" \
    ! filesink "location=$5" >/dev/null || die "vaenoise failed on $1"
}
CLIP_S=0   # wall seconds of the last clip_vaedenoise / clip_ffmpeg (whole process)
clip_vaedenoise() {  # NOISY W H OUT PROPERTY...
  local in=$1 w=$2 h=$3 out=$4 t=$EPOCHREALTIME
  shift 4
  gst-launch-1.0 -q $(clip_src "$in" "$w" "$h") ! vaedenoise "$@" "n-threads=$THREADS" \
    ! filesink "location=$out" >/dev/null || die "vaedenoise $* failed on $in"
  CLIP_S=$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN{print b - a}')
}
clip_ffmpeg() {  # NOISY W H OUT FILTER [FRAMES]: ffmpeg -vf FILTER on the raw clip, THREADS filter threads
  local t=$EPOCHREALTIME
  ffmpeg -nostdin -v error -y -filter_threads "$THREADS" -threads "$THREADS" \
    -f rawvideo -pix_fmt gray -s "$2x$3" -r 30 -i "$1" ${6:+-frames:v "$6"} \
    -vf "$5,format=gray" -f rawvideo -pix_fmt gray "$4" || die "ffmpeg $5 failed on $1"
  CLIP_S=$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN{print b - a}')
}
clip_metrics() {  # W H CLEAN OUT... [--frames I,J] -> lines "OUT n psnr flicker [psnr_I ...]"
  local w=$1 h=$2
  shift 2
  "$PY" "$UTIL" clip "${w}x$h" "$@"
}

# ------------------------------------------------------------------ video
# Real camera clips (../shared/data/video) through the elements: decoded to
# GRAY8, Gaussian noise by vaenoise (seed 1, rounded and clipped), denoised by
# vaedenoise with the true σ; mean per-frame PSNR against the decoded clip.
# Foreman (CIF) is the validation clip of the zoom/8-bit training choices;
# the 1280×720 flower clip is the camera clip of the speed benchmark.
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
    clip_decode "$DATA/video/$1" "$frames" "$raw.clean" "$w"
    clip_noise "$raw.clean" "$w" "$h" "$g" "$raw.noisy"
    VR[noisy|$name]=$(clip_metrics "$w" "$h" "$raw.clean" "$raw.noisy" | awk '{printf "%.2f", $3}')
    for k in "${!DMODELS[@]}"; do
      ((DENS[k] == 1)) || continue
      note "video: $name ${DLABEL[$k]}"
      clip_vaedenoise "$raw.noisy" "$w" "$h" "$raw.out$k" "model=${DMODELS[$k]}" "noise-level=$g" "stride=${DSTRIDE[$k]}"
      VR[$k|$name]=$(clip_metrics "$w" "$h" "$raw.clean" "$raw.out$k" | awk '{printf "%.2f", $3}')
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

# ----------------------------------------------------------------- colour
# Colour denoising with RGB noise: CBSD68 through the element in colour
# formats beside ffmpeg filters on the very same noisy PNGs and the published
# CBSD68 averages; colour camera clips through I420.  Noise and RGB PSNR come
# from tools/eval_util.py (rgb-noise, rgb-metrics, rgb-clip-noise, rgb-clip).
# colour_peer_filter NAME SIGMA [video] -> ffmpeg -vf chain (rgb24 in).  Not
# tuned: nlmeans is the issue's σ=25 setting (s=12:p=5:r=9) with s scaled as
# 0.48σ; hqdn3d the pipeline part's spatial strength on all three planes;
# bm3d the pipeline part's gray setting, per plane.
colour_peer_filter() {
  local s=$2 x
  x=$(awk -v s="$s" 'BEGIN{print (s>37 ? 128 : 64)}')
  case $1:${3:-} in
  nlmeans:) echo "format=gbrp,nlmeans=s=$(awk -v s="$s" 'BEGIN{v=0.48*s; if (v>30) v=30; if (v<1) v=1; printf "%g", v}'):p=5:r=9" ;;
  nlmeans:video) colour_peer_filter nlmeans "$s" | sed 's/^format=gbrp,/format=yuv420p,/' ;;
  hqdn3d:) echo "format=yuvj444p,hqdn3d=luma_spatial=$x:chroma_spatial=$x:luma_tmp=0:chroma_tmp=0" ;;
  hqdn3d:video) echo "format=yuv420p,hqdn3d=luma_spatial=$x:chroma_spatial=$x:luma_tmp=0:chroma_tmp=0" ;;
  bm3d:) echo "format=gbrp,$(peer_filter bm3d "$s")" ;;
  *) die "colour: unknown peer $1${3:+ on video} (nlmeans hqdn3d bm3d)" ;;
  esac
}
colour_ffmpeg_dir() {  # IN OUT FILTER N: FILTER on the first N PNGs of IN, THREADS jobs at once
  local f=("$1"/*.png)
  mkdir -p "$2"
  printf '%s\n' "${f[@]:0:$4}" | xargs -P "$THREADS" -I{} sh -c \
    'ffmpeg -nostdin -v error -y -threads 1 -filter_threads 1 -i "$1" -vf "$2" "$3/$(basename "$1")"' _ {} "$3,format=rgb24" "$2" \
    || die "colour: ffmpeg $3 failed in $1"
}
colour_props() { [[ $1 == - ]] || echo "${1//SIGMA/$2}"; }   # COLOUR_RUNS entry, σ -> properties
colour_run_label() {  # COLOUR_RUNS entry [FORMAT]
  local p=${1//SIGMA/σ}
  if [[ $p == - ]]; then p="\`vaedenoise\` defaults"; else p="\`vaedenoise $p\`"; fi
  echo "$p${2:+ ($2)}"
}
colour_rgb_src() {  # RAW W H -> gst-launch words of an rgb24 source
  echo filesrc "location=$1" "blocksize=$(($2 * $3 * 3))" ! rawvideoparse format=rgb \
    "width=$2" "height=$3" "plane-strides=<$(($2 * 3))>" framerate=30/1
}
colour_clip_gst() {  # NOISY W H OUT [--rgb] [--denoise PROPERTY...]: RGB ! I420 ! [vaedenoise PROPERTY...] ! RGB
  local in=$1 w=$2 h=$3 out=$4 t=$EPOCHREALTIME den=() rgb=0
  shift 4
  [[ ${1:-} == --rgb ]] && { shift; rgb=1; }
  [[ ${1:-} == --denoise ]] && { shift; den=(! vaedenoise "$@" "n-threads=$THREADS"); }
  if ((rgb)); then   # RGB in and out: the element converts
    gst-launch-1.0 -q $(colour_rgb_src "$in" "$w" "$h") "${den[@]}" ! filesink "location=$out" \
      >/dev/null || die "colour: gst-launch ${den[*]} (RGB) failed on $in"
  else
    gst-launch-1.0 -q $(colour_rgb_src "$in" "$w" "$h") ! videoconvert ! video/x-raw,format=I420 \
      "${den[@]}" ! videoconvert ! video/x-raw,format=RGB ! filesink "location=$out" >/dev/null \
      || die "colour: gst-launch ${den[*]:-(round trip)} failed on $in"
  fi
  CLIP_S=$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN{print b - a}')
}
colour_clip_ffmpeg() {  # NOISY W H OUT FILTER: rgb24 in and out, THREADS filter threads
  local t=$EPOCHREALTIME
  ffmpeg -nostdin -v error -y -filter_threads "$THREADS" -threads "$THREADS" \
    -f rawvideo -pix_fmt rgb24 -s "$2x$3" -r 30 -i "$1" \
    -vf "$5,format=rgb24" -f rawvideo -pix_fmt rgb24 "$4" || die "colour: ffmpeg $5 failed on $1"
  CLIP_S=$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN{print b - a}')
}
colour_anchor() {  # method sigma -> published CBSD68 average PSNR (papers' protocol; cszn/DPIR's tables)
  case $1:$2 in
  CBM3D:15) echo 33.52 ;; CBM3D:25) echo 30.71 ;; CBM3D:50) echo 27.38 ;;
  CDnCNN-B:15) echo 33.90 ;; CDnCNN-B:25) echo 31.24 ;; CDnCNN-B:50) echo 27.95 ;;
  FFDNet:15) echo 33.87 ;; FFDNet:25) echo 31.21 ;; FFDNet:50) echo 27.96 ;;
  DRUNet:15) echo 34.30 ;; DRUNet:25) echo 31.69 ;; DRUNet:50) echo 28.51 ;;
  esac
}
part_colour() {
  local t0=$SECONDS s=cbsd68 vg=$COLOUR_VIDEO_SIGMA dir n nb bdir cw w g f k r name pipe line
  local fmt peer tp clip src frames h raw row key lim a b cpu dirs outs ra=()
  local formats=($COLOUR_FORMATS) peers=($COLOUR_PEERS) runs=() keys=() labels=() clips=() models=()
  need_gst
  command -v ffmpeg >/dev/null || die "colour: ffmpeg is needed (clips, peers, PSNR cross-check)"
  ((${#formats[@]})) || die "colour: COLOUR_FORMATS is empty"
  IFS=';' read -r -a runs <<< "$COLOUR_RUNS"
  # rows: every COLOUR_RUNS entry at the first format, the defaults at the others
  declare -A RFMT=() RPROP=() CR=() CT=() VR=() VS=() VD=() VN=()
  for k in "${!runs[@]}"; do
    runs[$k]=$(echo ${runs[$k]})   # trim
    # a leading format=FMT runs the entry on FMT instead of the first format
    fmt=${formats[0]} r=${runs[$k]}
    if [[ $r == format=* ]]; then fmt=${r%% *}; fmt=${fmt#format=}; r=${r#format=$fmt}; r=$(echo ${r:--}); fi
    keys+=("run$k"); RFMT[run$k]=$fmt; RPROP[run$k]=$r
    labels+=("$(colour_run_label "$r" "$fmt")")
    r=$(printf '%s\n' $r | sed -n 's/^model=//p')
    models+=("${r:-denoise-colour}")
  done
  for fmt in "${formats[@]:1}"; do
    keys+=("fmt$fmt"); RFMT[fmt$fmt]=$fmt; RPROP[fmt$fmt]=-
    labels+=("$(colour_run_label - "$fmt")")
    models+=(denoise-colour)
  done
  for k in "${!models[@]}"; do
    r=$(model_path "${models[$k]%.safetensors}")
    [[ -n $r ]] || die "colour: ${models[$k]} not in $MODELS_DIR (the colour model is a training checkpoint: copy it there)"
    models[$k]=$r
  done
  export GST_VAE_MODEL_PATH=$MODELS_DIR${GST_VAE_MODEL_PATH:+:$GST_VAE_MODEL_PATH}

  dir=$(set_dir "$s")
  n=$(ls "$dir"/*.png | wc -l)
  nb=$COLOUR_BM3D_IMAGES; ((nb == 0 || nb > n)) && nb=$n
  bdir=$dir; ((nb < n)) && bdir=$(LIMIT=$nb set_dir "$s")
  cw=$WORK/colour/$s
  rm -rf "$cw"; mkdir -p "$cw"
  note "colour: $s: the clean images through ${formats[*]} and back ($n images)"
  for fmt in "${formats[@]}"; do mkdir -p "$cw/clean-$fmt"; done
  for f in "$dir"/*.png; do
    name=$(basename "$f")
    pipe=(filesrc "location=$f" ! pngdec ! tee name=t)
    for fmt in "${formats[@]}"; do
      pipe+=(t. ! queue ! videoconvert ! "video/x-raw,format=$fmt" ! videoconvert ! video/x-raw,format=RGB
        ! pngenc ! filesink "location=$cw/clean-$fmt/$name")
    done
    gst-launch-1.0 -q "${pipe[@]}" >/dev/null || die "colour: round trip failed on $f"
  done
  while read -r line; do set -- $line; CR[${1##*/}]=$3; done \
    < <("$PY" "$UTIL" rgb-metrics "$dir" "${formats[@]/#/$cw/clean-}")

  for g in $SIGMAS; do
    w=$cw/s$g
    note "colour: $s σ=$g: RGB noise, then vaedenoise ${#keys[@]} ways"
    line=$("$PY" "$UTIL" rgb-noise "$dir" "$w/noisy" "$g") || die "colour: rgb-noise failed"
    CR[float|$g]=$(echo "$line" | awk '{print $3}')
    mkdir -p "$w/trip"
    for key in "${keys[@]}"; do mkdir -p "$w/$key"; done
    tp=$SECONDS
    for f in "$w"/noisy/*.png; do
      name=$(basename "$f")
      pipe=(filesrc "location=$f" ! pngdec ! tee name=t
        t. ! queue ! videoconvert ! "video/x-raw,format=${formats[0]}" ! videoconvert ! video/x-raw,format=RGB
        ! pngenc ! filesink "location=$w/trip/$name")
      for key in "${keys[@]}"; do
        pipe+=(t. ! queue ! videoconvert ! "video/x-raw,format=${RFMT[$key]}"
          ! vaedenoise $(colour_props "${RPROP[$key]}" "$g") "n-threads=$THREADS"
          ! videoconvert ! video/x-raw,format=RGB ! pngenc ! filesink "location=$w/$key/$name")
      done
      gst-launch-1.0 -q "${pipe[@]}" >/dev/null || die "colour: pipeline failed on $f"
    done
    CT[elements]=$(( ${CT[elements]:-0} + SECONDS - tp ))
    # the Python RGB PSNR against ffmpeg's psnr filter, on one image
    a=$(ffmpeg -nostdin -v info -i "$w/${keys[0]}/$name" -i "$dir/$name" -lavfi "[0][1]psnr" -f null - 2>&1 \
      | sed -n 's/.*average:\([0-9.]*\).*/\1/p')
    b=$("$PY" "$UTIL" rgb-psnr "$w/${keys[0]}/$name" "$dir/$name")
    awk -v a="$a" -v b="$b" 'BEGIN{exit !(a != "" && a - b < 0.001 && b - a < 0.001)}' || die "colour: PSNR mismatch on $w/${keys[0]}/$name: ffmpeg $a, eval_util.py $b"
    dirs=("$w/noisy" "$w/trip")
    for key in "${keys[@]}"; do dirs+=("$w/$key"); done
    for peer in "${peers[@]}"; do
      lim=$n; [[ $peer == bm3d ]] && lim=$nb
      note "colour: $s σ=$g: ffmpeg $peer ($lim images)"
      tp=$SECONDS
      colour_ffmpeg_dir "$w/noisy" "$w/$peer" "$(colour_peer_filter "$peer" "$g")" "$lim"
      CT[$peer]=$(( ${CT[$peer]:-0} + SECONDS - tp ))
      dirs+=("$w/$peer")
    done
    while read -r line; do set -- $line; CR[${1##*/}|$g]="$3 $2"; done \
      < <("$PY" "$UTIL" rgb-metrics "$dir" "${dirs[@]}")
    if ((nb < n)); then   # every row again, on the images bm3d had
      while read -r line; do set -- $line; CR[sub|${1##*/}|$g]="$3 $2"; done \
        < <("$PY" "$UTIL" rgb-metrics "$bdir" "${dirs[@]}")
    fi
  done

  # colour clips: rgb24 from ffmpeg, RGB noise, through I420
  for clip in $COLOUR_CLIPS; do
    case $clip in
    flower) src=VID_1280x720_cabac_temporal_direct.264 frames=30 w=1280 h=720 VD[$clip]="flower 1280×720" ;;
    foreman) src=BA1_FT_C.264 frames=60 w=352 h=288 VD[$clip]="Foreman 352×288" ;;
    *) die "colour: unknown clip $clip (flower foreman)" ;;
    esac
    ((COLOUR_FRAMES > 0)) && frames=$COLOUR_FRAMES
    [[ -f $DATA/video/$src ]] || { note "colour: $src missing, $clip skipped"; continue; }
    (((w * 3) % 4 == 0)) || die "colour: $clip is $w wide: GStreamer would pad its RGB rows"
    raw=$WORK/colour/$clip
    note "colour: $clip ($frames frames): rgb24, RGB noise σ=$vg"
    ffmpeg -nostdin -loglevel error -y -i "$DATA/video/$src" -frames:v "$frames" -pix_fmt rgb24 \
      -f rawvideo "$raw.clean" || die "cannot decode $src"
    "$PY" "$UTIL" rgb-clip-noise "${w}x$h" "$raw.clean" "$vg" "$raw.noisy" || die "colour: rgb-clip-noise failed"
    clips+=("$clip")
    colour_clip_gst "$raw.clean" "$w" "$h" "$raw.ctrip"
    colour_clip_gst "$raw.noisy" "$w" "$h" "$raw.trip"
    colour_clip_ffmpeg "$raw.noisy" "$w" "$h" "$raw.ftrip" format=yuv420p
    outs=("$raw.noisy" "$raw.ctrip" "$raw.trip" "$raw.ftrip")
    for k in "${!runs[@]}"; do
      ra=(); [[ ${RFMT[run$k]} == RGB ]] && ra=(--rgb)
      [[ ${RFMT[run$k]} == RGB || ${RFMT[run$k]} == I420 ]] || continue   # clips go through I420 or RGB
      note "colour: $clip $(colour_run_label "${RPROP[run$k]}" "${RFMT[run$k]}")"
      colour_clip_gst "$raw.noisy" "$w" "$h" "$raw.run$k" "${ra[@]}" --denoise $(colour_props "${RPROP[run$k]}" "$vg")
      VS[run$k|$clip]=$CLIP_S
      outs+=("$raw.run$k")
    done
    note "colour: $clip defaults, RGB in and out"
    colour_clip_gst "$raw.noisy" "$w" "$h" "$raw.rgbio" --rgb --denoise
    VS[rgbio|$clip]=$CLIP_S
    outs+=("$raw.rgbio")
    for peer in "${peers[@]}"; do
      [[ $peer == bm3d ]] && continue   # minutes a frame at 720p
      note "colour: $clip ffmpeg $peer"
      colour_clip_ffmpeg "$raw.noisy" "$w" "$h" "$raw.$peer" "$(colour_peer_filter "$peer" "$vg" video)"
      VS[$peer|$clip]=$CLIP_S
      outs+=("$raw.$peer")
    done
    while read -r line; do set -- $line; VR[${1##*.}|$clip]=$3; VN[$clip]=$2; done \
      < <("$PY" "$UTIL" rgb-clip "${w}x$h" "$raw.clean" "${outs[@]}")
    rm -f "${outs[@]}"
  done

  ccell() { [[ -n ${CR[$1]:-} ]] || { echo "–"; return; }
    echo "${CR[$1]}" | awk -v all="$2" '{printf "%.2f%s", $1, ($2 < all ? " (" $2 " images)" : "")}'; }
  vcell() { [[ -n ${VR[$1]:-} ]] && printf "%.2f" "${VR[$1]}" || echo "–"; }
  vfps() { [[ -n ${VS[$1]:-} ]] && awk -v n="${VN[${1#*|}]}" -v s="${VS[$1]}" 'BEGIN{printf "%.1f", n / s}' || echo "–"; }
  cpu="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo) ($(grep -c "^processor" /proc/cpuinfo) logical CPUs)"
  {
    header "Colour denoising with RGB noise (PSNR dB over R, G and B)" \
      "Settings: COLOUR_FORMATS=\"$COLOUR_FORMATS\" COLOUR_RUNS=\"$COLOUR_RUNS\" COLOUR_PEERS=\"$COLOUR_PEERS\" COLOUR_BM3D_IMAGES=$COLOUR_BM3D_IMAGES COLOUR_CLIPS=\"$COLOUR_CLIPS\" COLOUR_FRAMES=$COLOUR_FRAMES COLOUR_VIDEO_SIGMA=$vg (SIGMA in a run stands for the table's σ)." \
      "Noise (tools/eval_util.py rgb-noise): image i of the set (1-based, sorted by name) gets numpy \`default_rng(seed=i).normal(0, σ, (h, w, 3))\` added to its clean RGB, rounded and clipped to 8 bits, saved as PNG; every row reads these same noisy PNGs. The element, per image (all rows in one \`gst-launch-1.0\` through a tee):" \
      "\`filesrc location=noisy.png ! pngdec ! videoconvert ! video/x-raw,format=FMT ! vaedenoise PROPERTIES n-threads=$THREADS ! videoconvert ! video/x-raw,format=RGB ! pngenc\`" \
      "with the element's defaults unless the row names properties: model=auto (\`denoise-colour\` on colour formats), chroma=auto, noise-level=-1 (estimated per frame from the picture); noise-level=σ gives it the true RGB σ. The ffmpeg rows filter the same PNGs (\`ffmpeg -i noisy.png -vf \"FILTER,format=rgb24\" out.png\`). PSNR over the three channels (peak 255) per image against the clean PNG, averaged over images (tools/eval_util.py rgb-metrics, checked against ffmpeg's psnr filter on one image)." \
      "" "Data: $(set_desc "$s")."
    echo "Models:"
    echo
    for r in $(printf '%s\n' "${models[@]}" | sort -u); do echo "- $(model_desc "$r")"; done
    echo
    echo "### CBSD68, noise rounded and clipped to 8 bits"
    echo
    row="| method |" sep="| --- |"
    for g in $SIGMAS; do row+=" CBSD68 σ=$g |"; sep+=" --- |"; done
    echo "$row"; echo "$sep"
    local rkeys=(noisy trip "${keys[@]}" "${peers[@]}")
    local rlabels=("noisy input" "noisy input through ${formats[0]} and back (no denoiser)" "${labels[@]}")
    for peer in "${peers[@]}"; do
      case $peer in
      nlmeans) rlabels+=("ffmpeg nlmeans (R, G, B planes)") ;;
      hqdn3d) rlabels+=("ffmpeg hqdn3d (spatial, yuvj444p)") ;;
      bm3d) rlabels+=("ffmpeg bm3d (basic estimate, R, G, B planes)") ;;
      esac
    done
    for k in "${!rkeys[@]}"; do
      row="| ${rlabels[$k]} |"
      for g in $SIGMAS; do row+=" $(ccell "${rkeys[$k]}|$g" "$n") |"; done
      echo "$row"
    done
    for a in CBM3D CDnCNN-B FFDNet DRUNet; do
      row="| $a (published, papers' protocol) |"
      for g in $SIGMAS; do b=$(colour_anchor "$a" "$g"); row+=" ${b:-–} |"; done
      echo "$row"
    done
    echo
    echo -n "The round trip alone, clean images through FMT and back to RGB (GStreamer videoconvert), no noise:"
    for fmt in "${formats[@]}"; do [[ $fmt == RGB ]] || echo -n " $fmt $(printf '%.2f' "${CR[clean-$fmt]}") dB;"; done
    echo " the ${formats[0]} figure bounds every ${formats[0]} row, so the colour model's rows carry that loss too. It is mostly GStreamer's, not 4:2:0's: its converter truncates in both directions and returns RGB 1.5 to 4 levels dark (docs/internals.md). The RGB rows have no videoconvert in their path: \`pngdec\` gives RGB and the element converts with its own rounded conversion."
    echo
    per_sigma() { local g out=""; for g in $SIGMAS; do out+="${out:+; }σ=$g \`$("$@" "$g" | sed 's/^format=[a-z0-9]*,//')\`"; done; echo "$out"; }
    echo "ffmpeg settings (not tuned on these images):"
    for peer in "${peers[@]}"; do
      case $peer in
      nlmeans) echo "- nlmeans on the R, G and B planes (\`format=gbrp\`): the issue's σ=25 setting \`s=12:p=5:r=9\` with s scaled as 0.48σ (ffmpeg caps s at 30): $(per_sigma colour_peer_filter nlmeans)." ;;
      hqdn3d) echo "- hqdn3d spatial only, on full-range yuvj444p (it takes no RGB planes), the pipeline part's strength on luma and chroma alike: $(per_sigma colour_peer_filter hqdn3d)." ;;
      bm3d) echo "- bm3d on the R, G and B planes (\`format=gbrp\`) with the pipeline part's gray settings, basic estimate$( ((nb < n)) && echo "; about 25 s an image on one thread, so on the first $nb images only (COLOUR_BM3D_IMAGES)"): $(per_sigma peer_filter bm3d)." ;;
      esac
    done
    echo
    echo "**Papers' protocol** (float noise, neither rounded nor clipped, float output): not measured for the element. It reads and writes 8-bit frames, so float noise can reach it only rounded and clipped to 0..255, which is this table's protocol; there is no separate measurement to make through it, and \`vae eval-denoise\`, which has the papers' protocol, takes one-plane models only. Rounding alone changes little, but clipping removes part of the noise near black and white (most at σ=50), which makes the task easier than in the papers, so the published rows are for orientation only, as in denoise-pipeline.md. The same seeds' noise kept as floats scores $(for g in $SIGMAS; do echo -n "σ=$g $(printf '%.2f' "${CR[float|$g]}") dB, "; done | sed 's/, $//') against the 8-bit noisy input's row above."
    echo
    if ((nb < n)) && [[ " ${peers[*]} " == *" bm3d "* ]]; then
      echo "### The first $nb images only (where bm3d ran)"
      echo
      row="| method |" sep="| --- |"
      for g in $SIGMAS; do row+=" σ=$g |"; sep+=" --- |"; done
      echo "$row"; echo "$sep"
      for k in "${!rkeys[@]}"; do
        row="| ${rlabels[$k]} |"
        for g in $SIGMAS; do row+=" $(ccell "sub|${rkeys[$k]}|$g" "$nb") |"; done
        echo "$row"
      done
      echo
    fi
    if ((${#clips[@]})); then
      echo "### Colour clips, RGB noise σ=$vg (mean PSNR dB over frames)"
      echo
      echo "Clips from \`../shared/data/video\` decoded to rgb24 by ffmpeg (\`ffmpeg -i CLIP -frames:v N -pix_fmt rgb24 -f rawvideo\`): flower (\`VID_1280x720_cabac_temporal_direct.264\`) and Foreman (\`BA1_FT_C.264\`). Noise (tools/eval_util.py rgb-clip-noise): frame t (0-based) gets \`default_rng(seed=t+1).normal(0, $vg, (h, w, 3))\`, rounded and clipped. The element: \`filesrc ! rawvideoparse format=rgb ! videoconvert ! video/x-raw,format=I420 ! vaedenoise PROPERTIES n-threads=$THREADS ! videoconvert ! video/x-raw,format=RGB ! filesink\`; the ffmpeg rows convert the same noisy rgb24 frames to yuv420p, filter all three planes and convert back (\`ffmpeg -filter_threads $THREADS -f rawvideo -pix_fmt rgb24 -i noisy.rgb -vf \"format=yuv420p,FILTER,format=rgb24\"\`). PSNR over R, G and B per frame against the decoded clip, averaged over frames (tools/eval_util.py rgb-clip)."
      echo
      row="| method |" sep="| --- |"
      for clip in "${clips[@]}"; do row+=" ${VD[$clip]}, ${VN[$clip]} frames |"; sep+=" --- |"; done
      echo "$row"; echo "$sep"
      local vkeys=(ctrip noisy trip ftrip) vlabels=("clean clip through I420 and back, no noise (the I420 ceiling)" "noisy input" "noisy input through I420 and back (GStreamer, no denoiser)" "noisy input through yuv420p and back (ffmpeg, no filter)")
      for k in "${!runs[@]}"; do
        vkeys+=("run$k"); a=; [[ ${RFMT[run$k]} == RGB ]] && a="RGB in and out"
        vlabels+=("$(colour_run_label "${RPROP[run$k]//SIGMA/$vg}" "$a")")
      done
      vkeys+=(rgbio); vlabels+=("\`vaedenoise\` defaults, RGB in and out (\`rawvideoparse format=rgb ! vaedenoise ! filesink\`: the element converts, no videoconvert)")
      for peer in "${peers[@]}"; do
        [[ $peer == bm3d ]] && continue
        vkeys+=("$peer"); vlabels+=("ffmpeg \`$(colour_peer_filter "$peer" "$vg" video | sed 's/^format=yuv420p,//')\`")
      done
      for k in "${!vkeys[@]}"; do
        row="| ${vlabels[$k]} |"
        for clip in "${clips[@]}"; do row+=" $(vcell "${vkeys[$k]}|$clip") |"; done
        echo "$row"
      done
      echo
      echo "Speed on the clips, frames per second of the whole process (start-up, model load, conversions and file I/O included), THREADS=$THREADS, $cpu; the machine is shared, so these are indications (bench/run.sh is the benchmark):"
      echo
      row="| method |" sep="| --- |"
      for clip in "${clips[@]}"; do row+=" ${VD[$clip]} |"; sep+=" --- |"; done
      echo "$row"; echo "$sep"
      for k in "${!vkeys[@]}"; do
        [[ ${vkeys[$k]} == run* || " ${peers[*]} " == *" ${vkeys[$k]} "* ]] || continue
        row="| ${vlabels[$k]} |"
        for clip in "${clips[@]}"; do row+=" $(vfps "${vkeys[$k]}|$clip") |"; done
        echo "$row"
      done
      echo
    fi
    echo -n "Time: $((SECONDS - t0)) s with THREADS=$THREADS (images: elements ${CT[elements]:-0} s"
    for peer in "${peers[@]}"; do echo -n "; $peer ${CT[$peer]:-0} s"; done
    echo "; wall, including gst-launch start-up per image)."
  } > "$OUT/colour.md"
  cat "$OUT/colour.md"; echo
}

# --------------------------------------------------------------- temporal
# Video tables for temporal denoising (issue 27): PSNR and flicker per clip for
# vaedenoise settings (TEMPORAL_RUNS) and ffmpeg's temporal filters on the
# very same noisy frames, plus a scene cut and a static clip.
# temporal_peer_filter NAME -> ffmpeg -vf chain for σ=25 (gray in).  The
# temporal filters' settings come from tools/eval_tune_peers.sh
# (FAMILIES="hqdn3d_tmp atadenoise fftdnoiz": a PSNR sweep on 20 frames of a
# 640×360 crop of the 1080p street clip, which no table uses); nlmeans is the
# pipeline part's σ=25 setting.
temporal_peer_filter() {
  case $1 in
  hqdn3d) echo "format=yuvj444p,hqdn3d=luma_spatial=80:chroma_spatial=0:luma_tmp=10:chroma_tmp=0" ;;
  atadenoise) echo "atadenoise=0a=0.3:0b=1:s=15" ;;
  fftdnoiz) echo "fftdnoiz=sigma=100:block=32:prev=1:next=1" ;;
  nlmeans) peer_filter nlmeans 25 ;;
  *) die "unknown temporal peer $1 (hqdn3d atadenoise fftdnoiz nlmeans)" ;;
  esac
}
temporal_peer_note() {
  case $1 in
  hqdn3d) echo "temporal strength 10 (the issue's peer), spatial swept (16–128); runs on full-range yuvj444p, lossless from gray; a causal recursive filter" ;;
  atadenoise) echo "15 frames centred on the current one (7 ahead); 0a is at its upper limit 0.3, the sweep's best (0a 0.1–0.3, 0b 1–5, s 9/15)" ;;
  fftdnoiz) echo "one frame before and one after; sigma is at its upper limit 100, the sweep's best (20–100, block 16/32)" ;;
  nlmeans) echo "per frame, spatial only: the pipeline part's σ=25 setting (a sweep on Train400 images)" ;;
  esac
}
vaedenoise_default_model() {
  # awk reads to the end: an early exit would kill gst-inspect with SIGPIPE
  gst-inspect-1.0 vaedenoise | awk '$1 == "model" {m = 1} m && !done && /Default:/ {sub(/.*Default: "/, ""); sub(/".*/, ""); print; done = 1}'
}
# temporal_split CLIP W H RAW: each TEMPORAL_SPLIT_RUNS setting on TEMPORAL_DRAWS
# noise draws of RAW.clean (seed 1 is RAW.noisy) into TSPLIT[j|CLIP] (the
# "K n psnr flicker share sys_psnr sys_flicker" of eval_util.py clip-split);
# the noise level g is part_temporal's.
temporal_split() {
  local clip=$1 w=$2 h=$3 raw=$4 j s splits=() outs
  IFS=';' read -r -a splits <<< "$TEMPORAL_SPLIT_RUNS"
  ((TEMPORAL_DRAWS >= 2)) || die "TEMPORAL_DRAWS=$TEMPORAL_DRAWS: the split needs at least 2 draws"
  for ((s = 2; s <= TEMPORAL_DRAWS; s++)); do
    note "temporal: $clip noise draw $s"
    clip_noise "$raw.clean" "$w" "$h" "$g" "$raw.noisy$s" "$s"
  done
  for j in "${!splits[@]}"; do
    outs=()
    for ((s = 1; s <= TEMPORAL_DRAWS; s++)); do
      note "temporal: $clip draw $s vaedenoise ${splits[$j]}"
      GST_VAE_MODEL_PATH=$MODELS_DIR${GST_VAE_MODEL_PATH:+:$GST_VAE_MODEL_PATH} \
        clip_vaedenoise "$raw.noisy$( ((s > 1)) && echo "$s")" "$w" "$h" "$raw.split$s" ${splits[$j]}
      outs+=("$raw.split$s")
    done
    TSPLIT[$j|$clip]=$("$PY" "$UTIL" clip-split "${w}x$h" "$raw.clean" "${outs[@]}") \
      || die "temporal: clip-split failed on $clip"
    rm -f "${outs[@]}"
  done
  for ((s = 2; s <= TEMPORAL_DRAWS; s++)); do rm -f "$raw.noisy$s"; done
}

# The split's table (TSPLIT, clips, CD, defm of part_temporal).
temporal_split_table() {
  local splits=() j clip row sep
  IFS=';' read -r -a splits <<< "$TEMPORAL_SPLIT_RUNS"
  [[ -n $TEMPORAL_SPLIT_CLIPS && ${#TSPLIT[@]} -gt 0 ]] || return 0
  echo "### Systematic and random error over $TEMPORAL_DRAWS noise draws"
  echo
  echo "Each setting on $TEMPORAL_DRAWS draws of the noise (\`vaenoise seed=1…$TEMPORAL_DRAWS\`, otherwise as above; tools/eval_util.py clip-split). The systematic error is what stays the same for every draw (lost detail, blur); the rest is random (left-over noise). Cells: PSNR / flicker averaged over the draws; the systematic part's share of the mean squared error; the PSNR of the systematic error alone; the flicker of the mean of the outputs (the systematic error's flicker, plus 1/$TEMPORAL_DRAWS of the random part's variance)."
  echo
  row="| method |" sep="| --- |"
  for clip in "${clips[@]}"; do
    [[ " $TEMPORAL_SPLIT_CLIPS " == *" $clip "* ]] || continue
    row+=" ${CD[$clip]}: PSNR / flicker | share | systematic PSNR / flicker |"; sep+=" --- | --- | --- |"
  done
  echo "$row"; echo "$sep"
  for j in "${!splits[@]}"; do
    if [[ ${splits[$j]} == *model=* ]]; then row="| \`${splits[$j]}\` |"
    else row="| default \`$(model_label "$defm")\`, ${splits[$j]} |"; fi
    for clip in "${clips[@]}"; do
      [[ " $TEMPORAL_SPLIT_CLIPS " == *" $clip "* ]] || continue
      row+=$(echo "${TSPLIT[$j|$clip]:-}" | awk 'NF < 7 {printf " – | – | – |"; next}
        {printf " %.2f / %.2f | %.0f%% | %.2f / %.2f |", $3, $4, 100 * $5, $6, $7}')
    done
    echo "$row"
  done
  echo
}

part_temporal() {
  local t0=$SECONDS g=25 n=$TEMPORAL_FRAMES cut=$TEMPORAL_CUT clip w h raw k props m r line f fl
  local defm w2 label peer fr idx
  need_gst
  defm=$(vaedenoise_default_model)
  [[ -n $defm ]] || die "temporal: cannot read vaedenoise's default model from gst-inspect-1.0"
  mkdir -p "$WORK/temporal"
  declare -A TR=() TS=() CW=() CH=() CN=() CD=() CF=() TSPLIT=()
  local clips=() runs=() rlabels=() peers=($TEMPORAL_PEERS) models=()
  # runs: TEMPORAL_RUNS split on ';'
  IFS=';' read -r -a runs <<< "$TEMPORAL_RUNS"
  for k in "${!runs[@]}"; do
    props=${runs[$k]}
    m=$(printf '%s\n' $props | sed -n 's/^model=//p')
    label=$(printf '%s\n' $props | grep -v '^model=' | tr '\n' ' ' | sed 's/ $//')
    if [[ -z $m ]]; then rlabels+=("default \`$(model_label "$defm")\`, $label"); m=$defm
    else rlabels+=("\`$(model_label "$m")\`, $label"); fi
    [[ $m == */* ]] || m=${m%.safetensors}
    models+=("$(model_path "$m")")
  done
  local tw=$WORK/temporal
  for clip in $TEMPORAL_CLIPS; do
    raw=$tw/$clip
    case $clip in
    foreman) w=352 h=288
      CD[$clip]="Foreman 352×288"
      clip_decode "$DATA/video/BA1_FT_C.264" "$n" "$raw.clean" "$w" ;;
    flower) w=1280 h=720
      CD[$clip]="flower 1280×720"
      clip_decode "$DATA/video/VID_1280x720_cabac_temporal_direct.264" "$n" "$raw.clean" "$w" ;;
    cut) w=1280 h=720
      CD[$clip]="scene cut 1280×720"
      clip_decode "$DATA/video/VID_1280x720_cabac_temporal_direct.264" "$cut" "$raw.a" "$w"
      clip_decode "$DATA/video/Zhling_1280x720.264" "$((n - cut))" "$raw.b" "$w"
      cat "$raw.a" "$raw.b" > "$raw.clean"; rm -f "$raw.a" "$raw.b"
      CF[$clip]=$(seq -s, "$cut" $((cut + 4))) ;;
    static) f=$DATA/denoise/kodak24/$TEMPORAL_STILL.png
      [[ -f $f ]] || die "temporal: no still $f"
      w=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$f")
      h=${w#*x} w=${w%x*}
      CD[$clip]="static $w×$h"
      clip_decode "$f" "$n" "$raw.clean" "$w" -loop 1
      CF[$clip]=$TEMPORAL_STATIC_FRAME ;;
    *) die "temporal: unknown clip $clip (foreman flower cut static)" ;;
    esac
    CW[$clip]=$w CH[$clip]=$h CN[$clip]=$(clip_frames "$raw.clean" "$w" "$h")
    clips+=("$clip")
    note "temporal: $clip ${w}×$h, ${CN[$clip]} frames: noise"
    clip_noise "$raw.clean" "$w" "$h" "$g" "$raw.noisy"
    fr=${CF[$clip]:+--frames ${CF[$clip]}}
    TR[noisy|$clip]=$(clip_metrics "$w" "$h" "$raw.clean" "$raw.noisy" $fr | cut -d' ' -f2-)
    for k in "${!runs[@]}"; do
      note "temporal: $clip vaedenoise ${runs[$k]}"
      GST_VAE_MODEL_PATH=$MODELS_DIR${GST_VAE_MODEL_PATH:+:$GST_VAE_MODEL_PATH} \
        clip_vaedenoise "$raw.noisy" "$w" "$h" "$raw.out" ${runs[$k]}
      TS[run$k|$clip]=$CLIP_S
      TR[run$k|$clip]=$(clip_metrics "$w" "$h" "$raw.clean" "$raw.out" $fr | cut -d' ' -f2-)
    done
    for peer in "${peers[@]}"; do
      local lim=""
      [[ $peer == nlmeans && $TEMPORAL_NLMEANS_FRAMES != 0 && $w -ge 1280 ]] && lim=$TEMPORAL_NLMEANS_FRAMES
      if [[ $peer == atadenoise ]] && ((CN[$clip] < 15)); then   # ffmpeg 5.1 hangs on fewer than s frames
        note "temporal: $clip has fewer than 15 frames: atadenoise skipped"; continue
      fi
      note "temporal: $clip ffmpeg $peer${lim:+ (first $lim frames)}"
      clip_ffmpeg "$raw.noisy" "$w" "$h" "$raw.out" "$(temporal_peer_filter "$peer")" $lim
      TS[$peer|$clip]=$CLIP_S
      TR[$peer|$clip]=$(clip_metrics "$w" "$h" "$raw.clean" "$raw.out" $fr | cut -d' ' -f2-)
    done
    rm -f "$raw.out"
    [[ " $TEMPORAL_SPLIT_CLIPS " == *" $clip "* ]] && temporal_split "$clip" "$w" "$h" "$raw"
  done
  # cells: TR values are "n psnr flicker [psnr_I ...]"
  cell_pf() { [[ -n ${TR[$1]:-} ]] || { echo "–"; return; }
    echo "${TR[$1]}" | awk -v all="${CN[${1#*|}]}" '{printf "%.2f / %.2f%s", $2, $3, ($1 < all ? " (" $1 " frames)" : "")}'; }
  cell_f() { [[ -n ${TR[$1]:-} ]] || { echo "–"; return; }
    echo "${TR[$1]}" | awk -v i="$2" '{v = $(3 + i); if (v == "" || v == "nan") print "–"; else printf "%.2f", v}'; }
  cell_fps() { [[ -n ${TS[$1]:-} ]] || { echo "–"; return; }
    awk -v n="$(echo "${TR[$1]}" | cut -d' ' -f1)" -v s="${TS[$1]}" 'BEGIN{printf "%.1f", n / s}'; }
  local keys=(noisy) klabels=("noisy input")
  for k in "${!runs[@]}"; do keys+=("run$k"); klabels+=("${rlabels[$k]}"); done
  for peer in "${peers[@]}"; do
    keys+=("$peer"); klabels+=("ffmpeg \`$(temporal_peer_filter "$peer" | sed 's/^format=yuvj444p,//')\`")
  done
  local cpu
  cpu=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
  cpu="$cpu (family $(awk -F': ' '/^cpu family/{print $2; exit}' /proc/cpuinfo), $(grep -c "^processor" /proc/cpuinfo) logical CPUs)"
  {
    header "Video denoising over time: PSNR and flicker per clip (σ=25, luma)" \
      "Clips (luma only, decoded to GRAY8 by ffmpeg, \`-pix_fmt gray -f rawvideo\`), the first $n frames unless said: Foreman (\`BA1_FT_C.264\`); flower (\`VID_1280x720_cabac_temporal_direct.264\`, 300 frames in the file); scene cut: $cut frames of flower followed by the frames of \`Zhling_1280x720.264\` (an office scene), cut at frame $cut (0-based: frame $cut is Zhling's first)$( [[ -n ${CN[cut]:-} ]] && ((CN[cut] < n)) && echo ", ${CN[cut]} frames in all because the Zhling file holds only $((CN[cut] - cut)) frames"); static: \`kodak24/$TEMPORAL_STILL.png\` converted to gray by ffmpeg, as is, repeated $n times." \
      "Noise: \`vaenoise sigma=$g seed=1\` on the whole clip (rounded and clipped to 8 bits; each frame seeded from the seed and its index, so the noise is fresh every frame, also on the static clip). Every method reads the very same noisy frames: \`vaedenoise PROPERTIES n-threads=$THREADS\` (\`filesrc ! rawvideoparse format=gray8 ! vaedenoise ! filesink\`; by default the element averages each frame with the frames before it along the motion, \`temporal=false\` denoises each frame alone), the ffmpeg filters as \`ffmpeg -filter_threads $THREADS -f rawvideo -pix_fmt gray -s WxH -i noisy.raw -vf \"FILTER,format=gray\" -f rawvideo out.raw\`." \
      "Metrics (tools/eval_util.py clip), against the decoded clean clip: PSNR per frame (8-bit, peak 255), averaged over frames; **flicker** = the mean over all pixels and over all consecutive frame pairs (t−1, t) of |e_t − e_{t−1}|, where e_t = output_t − clean_t in 8-bit units (lower is steadier; an error that does not change gives 0; the noisy input's row gives the scale)." \
      "Settings: TEMPORAL_CLIPS=\"$TEMPORAL_CLIPS\" TEMPORAL_FRAMES=$n TEMPORAL_CUT=$cut TEMPORAL_STILL=$TEMPORAL_STILL TEMPORAL_NLMEANS_FRAMES=$TEMPORAL_NLMEANS_FRAMES TEMPORAL_SPLIT_CLIPS=\"$TEMPORAL_SPLIT_CLIPS\" TEMPORAL_SPLIT_RUNS=\"$TEMPORAL_SPLIT_RUNS\" TEMPORAL_DRAWS=$TEMPORAL_DRAWS TEMPORAL_RUNS=\"$TEMPORAL_RUNS\" TEMPORAL_PEERS=\"$TEMPORAL_PEERS\"."
    echo "Models:"
    echo
    for m in $(printf '%s\n' "${models[@]}" | sort -u); do [[ -n $m ]] && echo "- $(model_desc "$m")"; done
    echo
    echo "### PSNR dB / flicker"
    echo
    local row="| method |" sep="| --- |"
    for clip in "${clips[@]}"; do row+=" ${CD[$clip]}, ${CN[$clip]} frames |"; sep+=" --- |"; done
    echo "$row"; echo "$sep"
    for k in "${!keys[@]}"; do
      row="| ${klabels[$k]} |"
      for clip in "${clips[@]}"; do row+=" $(cell_pf "${keys[$k]}|$clip") |"; done
      echo "$row"
    done
    echo
    if [[ " ${clips[*]} " == *" static "* || " ${clips[*]} " == *" cut "* ]]; then
      echo "### Single frames: the static clip's frame $TEMPORAL_STATIC_FRAME, the 5 frames after the cut (PSNR dB; frames 0-based)"
      echo
      row="| method |" sep="| --- |"
      [[ -n ${CN[static]:-} ]] && { row+=" static, frame $TEMPORAL_STATIC_FRAME |"; sep+=" --- |"; }
      if [[ -n ${CN[cut]:-} ]]; then
        for ((idx = 0; idx < 5; idx++)); do row+=" cut, frame $((cut + idx)) |"; sep+=" --- |"; done
      fi
      echo "$row"; echo "$sep"
      for k in "${!keys[@]}"; do
        row="| ${klabels[$k]} |"
        [[ -n ${CN[static]:-} ]] && row+=" $(cell_f "${keys[$k]}|static" 1) |"
        if [[ -n ${CN[cut]:-} ]]; then
          for ((idx = 1; idx <= 5; idx++)); do row+=" $(cell_f "${keys[$k]}|cut" $idx) |"; done
        fi
        echo "$row"
      done
      echo
    fi
    temporal_split_table
    echo "### Speed (frames per second, whole process: start-up, model load, file reading and writing included)"
    echo
    echo "$cpu, $THREADS threads (vaedenoise n-threads, ffmpeg filter threads); the machine is shared, so these are indications, not benchmarks (bench/run.sh is that)."
    echo
    row="| method |" sep="| --- |"
    for clip in "${clips[@]}"; do row+=" ${CD[$clip]} |"; sep+=" --- |"; done
    echo "$row"; echo "$sep"
    for k in "${!keys[@]}"; do
      [[ ${keys[$k]} == noisy ]] && continue
      row="| ${klabels[$k]} |"
      for clip in "${clips[@]}"; do row+=" $(cell_fps "${keys[$k]}|$clip") |"; done
      echo "$row"
    done
    echo
    echo "ffmpeg settings for σ=25:"
    for peer in "${peers[@]}"; do
      echo "- \`$(temporal_peer_filter "$peer")\`: $(temporal_peer_note "$peer")."
    done
    [[ $TEMPORAL_NLMEANS_FRAMES != 0 ]] && echo "- nlmeans runs on the first $TEMPORAL_NLMEANS_FRAMES frames of the 1280×720 clips only (about 1 s a frame there); its cells say how many frames they cover."
    echo
    echo "Time: $((SECONDS - t0)) s with THREADS=$THREADS."
  } > "$OUT/temporal.md"
  cat "$OUT/temporal.md"; echo
}

for part in $PARTS; do
  case $part in
  paper) part_paper ;;
  pipeline) part_pipeline ;;
  impulse) part_impulse ;;
  generative) part_generative ;;
  video) part_video ;;
  colour) part_colour ;;
  temporal) part_temporal ;;
  *) die "unknown part $part (paper pipeline impulse generative video colour temporal)" ;;
  esac
done
note "done in $((SECONDS - START)) s; tables in $OUT"
