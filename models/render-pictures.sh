#!/usr/bin/env bash
# Renders the pictures of the model cards into models/pictures/ (small PNGs):
#   <denoiser>-set12-05.png, <denoiser>-bsd68-test003.png   clean | noisy σ=25 | denoised crops
#   denoise-sp-*.png, denoise-mask-*.png                    the same for p=0.1 impulse noise
#   mnist-vae-samples.png, mnist-vae-deep-samples.png       10x10 prior samples
#   mnist-vae2d-manifold.png                                20x20 decoded grid of the 2-D latent
#   frey-vae-samples.png                                    10x10 prior samples
#   sparse-ae-filters.png                                   first-layer weights
#   curves-<model>.png                                      training curves from models/<model>.csv
# and prints a caption line per picture (whole-image PSNRs for the crops) to
# stdout and to models/pictures/captions.md.  Missing models are skipped with a
# message.
# Env: BUILD [build]  VAE [$BUILD/tools/vae]  PLUGIN_DIR [$BUILD/plugin]  DATA [../shared/data]
#      MODELS_DIR [models]  PICTURES [models/pictures]  PYTHON [/usr/bin/python3]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
VAE=${VAE:-$BUILD/tools/vae}
PLUGIN_DIR=${PLUGIN_DIR:-$BUILD/plugin}
DATA=${DATA:-$ROOT/../shared/data}
MODELS_DIR=${MODELS_DIR:-$ROOT/models}
PICTURES=${PICTURES:-$ROOT/models/pictures}
PY=${PYTHON:-/usr/bin/python3}
UTIL=$ROOT/tools/eval_util.py
[[ -x $VAE ]] || { echo "render-pictures.sh: no tool at $VAE" >&2; exit 1; }
mkdir -p "$PICTURES"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vae_pictures.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
CAP=$PICTURES/captions.md
echo "<!-- written by models/render-pictures.sh -->" > "$CAP"
note() { echo "render-pictures.sh: $*" >&2; }
cap() { echo "$*" | tee -a "$CAP"; }
have() { [[ -f $MODELS_DIR/$1.safetensors ]] || { note "$1 not found in $MODELS_DIR: skipped"; return 1; }; }
M() { echo "$MODELS_DIR/$1.safetensors"; }
export OPENBLAS_NUM_THREADS=1

# image, crop (160x160 so three fit in 484 px)
CROPS=("$DATA/denoise/set12/05.png 160x160+60+40 set12-05"
  "$DATA/denoise/bsd68/test003.png 160x160+120+80 bsd68-test003")

for m in denoise-s denoise-cnn; do
  have $m || continue
  for c in "${CROPS[@]}"; do
    set -- $c
    out=$PICTURES/$m-$3.png
    r=$("$VAE" compare --model "$(M $m)" --sigma 25 --seed 1 --crop "$2" --out "$out" "$1" | tr -s ' \n' '  ')
    cap "- \`$(basename "$out")\`: $m, $(basename "$1") σ=25 (8-bit noise, seed 1), crop $2; clean | noisy | denoised; whole image: $r"
  done
done

for m in denoise-sp denoise-mask; do
  have $m || continue
  type=$("$VAE" info "$(M $m)" | awk '$1=="noise:"{print $2}')
  for c in "${CROPS[@]}"; do
    set -- $c
    out=$PICTURES/$m-$3.png
    "$VAE" noise --type "$type" --p 0.1 --seed 1 "$1" "$TMP/noisy.png"
    # noise-conditional level in 8-bit units: 255·p is the probability p
    "$VAE" denoise --model "$(M $m)" --sigma 25.5 "$TMP/noisy.png" "$TMP/den.png"
    "$PY" "$UTIL" strip "$out" "$2" "$1" "$TMP/noisy.png" "$TMP/den.png"
    cap "- \`$(basename "$out")\`: $m, $(basename "$1") $type p=0.1 (seed 1), crop $2; clean | noisy | denoised; whole image: noisy $("$VAE" psnr "$1" "$TMP/noisy.png") dB, denoised $("$VAE" psnr "$1" "$TMP/den.png") dB"
  done
done

# Colour through the element: PNG → I420 → vaedenoise PROPS → RGB PNG
colour_run() {  # in out props...
  local in=$1 out=$2; shift 2
  GST_PLUGIN_PATH=$PLUGIN_DIR GST_REGISTRY=$TMP/registry.bin GST_VAE_MODEL_PATH=$MODELS_DIR \
    gst-launch-1.0 -q filesrc "location=$in" ! pngdec ! videoconvert ! \
    video/x-raw,format=I420 ! vaedenoise "$@" ! videoconvert ! video/x-raw,format=RGB ! \
    pngenc ! filesink "location=$out"
}
COLOUR_CROPS=("$DATA/denoise/cbsd68/101087.png 200x160+100+60 cbsd68-101087"
  "$DATA/denoise/cbsd68/163085.png 200x160+140+100 cbsd68-163085")
if have denoise-colour && have denoise-s; then
  for c in "${COLOUR_CROPS[@]}"; do
    set -- $c
    out=$PICTURES/denoise-colour-$3.png
    "$PY" "$UTIL" rgb-noise-one "$1" "$TMP/noisy.png" 25 1
    colour_run "$TMP/noisy.png" "$TMP/plane.png" model=denoise-s.safetensors chroma=denoise
    colour_run "$TMP/noisy.png" "$TMP/den.png"
    "$PY" "$UTIL" rgb-strip "$out" "$2" "$1" "$TMP/noisy.png" "$TMP/plane.png" "$TMP/den.png"
    cap "- \`$(basename "$out")\`: $(basename "$1") with RGB noise σ=25 (numpy seed 1, 8-bit), crop $2, through I420; clean | noisy | denoise-s plane by plane (\`chroma=denoise\`) | vaedenoise defaults (denoise-colour); noise estimated; whole-image RGB PSNR: noisy $("$PY" "$UTIL" rgb-psnr "$1" "$TMP/noisy.png"), plane by plane $("$PY" "$UTIL" rgb-psnr "$1" "$TMP/plane.png"), colour $("$PY" "$UTIL" rgb-psnr "$1" "$TMP/den.png") dB"
  done
  # real noise: no clean picture, so no PSNR
  for r in "Dog.png 240x180+60+60" "Frog.png 240x180+40+40" "Movie.png 240x180+80+60"; do
    set -- $r
    in=$DATA/denoise/rni15/$1
    [[ -f $in ]] || { note "$in not found: skipped"; continue; }
    out=$PICTURES/denoise-colour-rni15-${1%.png}.png
    colour_run "$in" "$TMP/den.png"
    "$PY" "$UTIL" rgb-strip "$out" "$2" "$in" "$TMP/den.png"
    cap "- \`$(basename "$out")\`: RNI15 $1 (real noise, no clean version), crop $2; noisy | vaedenoise defaults (denoise-colour, noise estimated), through I420"
  done
fi

for m in mnist-vae mnist-vae-deep frey-vae; do
  have $m || continue
  "$VAE" sample --model "$(M $m)" --grid 10x10 --seed 1 --out "$PICTURES/$m-samples.png"
  cap "- \`$m-samples.png\`: 100 samples of $m's prior (z ~ N(0, I), decoder mean), seed 1"
done

if have mnist-vae2d; then
  man=$PICTURES/mnist-vae2d-manifold.png
  mcap="decoder means of mnist-vae2d on a 20x20 grid of the 2-D latent, z = Φ⁻¹ of evenly spaced quantiles (Kingma & Welling's Fig. 4)"
  if "$VAE" sample --model "$(M mnist-vae2d)" --grid 20x20 --manifold 1 --out "$man" 2>"$TMP/err"; then
    cap "- \`$(basename "$man")\`: $mcap; \`vae sample --manifold 1\`"
  elif GST_PLUGIN_PATH=$PLUGIN_DIR GST_REGISTRY=$TMP/registry.bin gst-launch-1.0 -q vaesample \
      "model=$(M mnist-vae2d)" mode=grid grid-cols=20 grid-rows=20 scale=1 num-buffers=1 \
      ! video/x-raw,format=GRAY8 ! pngenc ! filesink "location=$man" >/dev/null 2>>"$TMP/err"; then
    cap "- \`$(basename "$man")\`: $mcap; rendered by the element: \`vaesample mode=grid grid-cols=20 grid-rows=20 scale=1\`"
  else
    note "mnist-vae2d manifold: neither \`vae sample --manifold 1\` nor vaesample worked: $(cat "$TMP/err")"
  fi
fi

if have sparse-ae; then
  "$VAE" filters --model "$(M sparse-ae)" --out "$PICTURES/sparse-ae-filters.png"
  cap "- \`sparse-ae-filters.png\`: sparse-ae's first-layer weights, one 8x8 tile per hidden unit, each scaled to its own max |w| (grey = 0)"
fi

if "$PY" -c 'import matplotlib' 2>/dev/null; then
  for csv in "$MODELS_DIR"/*.csv; do
    [[ -f $csv ]] || continue
    n=$(basename "$csv" .csv)
    "$PY" "$UTIL" curves "$PICTURES/curves-$n.png" "$csv" >/dev/null
    cap "- \`curves-$n.png\`: training (and validation) loss of $n against step, from $n.csv"
  done
else
  note "no matplotlib for $PY (apt-get install python3-matplotlib): training curves skipped"
fi

for f in "$PICTURES"/*.png; do
  r=$("$PY" "$UTIL" shrink "$f" $((100 * 1024)))
  [[ -z $r ]] || cap "  - (size) $r"
  s=$(stat -c %s "$f")
  ((s <= 100 * 1024)) || note "$(basename "$f") is $((s / 1024)) KB (over 100 KB)"
done
