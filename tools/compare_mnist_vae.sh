#!/usr/bin/env bash
# The pytorch/examples MNIST VAE protocol (784-400-20, ReLU, Bernoulli, Adam
# 1e-3, batch 128, 10 epochs, test loss = BCE summed over pixels + KL with one
# z draw, per test image), trained by `vae train` and by PyTorch
# (tools/torch_mnist_vae.py) over several seeds each, side by side; prints a
# Markdown table with each run and the mean ± standard deviation.
#
#   tools/compare_mnist_vae.sh            seeds 1..5, one thread each
# Env: SEEDS ["1 2 3 4 5"]  EPOCHS [10]  VAE [build/tools/vae]
#      OURS_ARGS [--adam-eps 7.8125e-11]: PyTorch's example backpropagates the
#      batch's summed loss, ours the mean; Adam is scale-free but for ε, so
#      ε/128 makes the two optimisers the same map
#      TORCH [1]  0 skips the PyTorch runs (their column repeats nothing)
#      DATA [../shared/data/mnist]  PYTHON [/usr/bin/python3]  WORK [${TMPDIR:-/tmp}/vae_mnist_cmp]
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-"1 2 3 4 5"}
EPOCHS=${EPOCHS:-10}
VAE=${VAE:-build/tools/vae}
DATA=${DATA:-../shared/data/mnist}
PY=${PYTHON:-/usr/bin/python3}
WORK=${WORK:-${TMPDIR:-/tmp}/vae_mnist_cmp}
OURS_ARGS=${OURS_ARGS:---adam-eps 7.8125e-11}
TORCH=${TORCH:-1}
[[ -x $VAE ]] || { echo "build the tool first" >&2; exit 1; }
[[ -f $DATA/train-images-idx3-ubyte.gz ]] || { echo "no MNIST in $DATA" >&2; exit 1; }
mkdir -p "$WORK"

declare -a ours=() theirs=()
for s in $SEEDS; do
  "$VAE" train --kind vae --data "mnist:$DATA/train-images-idx3-ubyte.gz" \
    --val-data "mnist:$DATA/t10k-images-idx3-ubyte.gz" --enc 400 --latent 20 --dec 400 \
    --likelihood bernoulli --batch 128 --epochs "$EPOCHS" --lr 1e-3 --seed "$s" \
    --init-style torch --threads 1 $OURS_ARGS --log "$WORK/ours-$s.csv" \
    --out "$WORK/ours-$s.safetensors" 2>"$WORK/ours-$s.log"
  ours+=("$(tail -n 1 "$WORK/ours-$s.csv" | cut -d, -f7)")
  if [[ $TORCH == 1 ]]; then
    OPENBLAS_NUM_THREADS=1 "$PY" tools/torch_mnist_vae.py --data "$DATA" --epochs "$EPOCHS" \
      --threads 1 --seed "$s" > "$WORK/torch-$s.log"
  fi
  theirs+=("$(awk '$1=="epoch"{v=$6} END{print v}' "$WORK/torch-$s.log" 2>/dev/null)")
  echo "seed $s: vae train ${ours[-1]}  PyTorch ${theirs[-1]}" >&2
done

stats() { printf '%s\n' "$@" | awk '{s+=$1; q+=$1*$1; n++} END{m=s/n; printf "%.2f ± %.2f", m, (n>1? sqrt((q-n*m*m)/(n-1)) : 0)}'; }
echo "| seed | vae train ($OURS_ARGS) | PyTorch |"
echo "| --- | --- | --- |"
i=0
for s in $SEEDS; do printf '| %s | %.2f | %.2f |\n' "$s" "${ours[$i]}" "${theirs[$i]}"; i=$((i + 1)); done
echo "| mean ± sd | $(stats "${ours[@]}") | $(stats "${theirs[@]}") |"
