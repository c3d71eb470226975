#!/bin/bash
# The vae tool end to end: training on synthetic data writes a loadable
# model and a CSV log, bad arguments fail clearly, and an interrupted run
# leaves a whole checkpoint behind.
#
#   test_cli.sh PATH/TO/vae
set -u

VAE=${1:?usage: test_cli.sh PATH/TO/vae}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vae-cli-XXXXXX")
PIDS=()
cleanup () {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

failures=0
pass () { echo "ok    $*"; }
fail () { echo "FAIL  $*"; failures=$((failures + 1)); }

# expect_error NAME 'substring' vae ARGS...: non-zero exit, message on stderr
expect_error () {
  local name=$1 what=$2
  shift 2
  local out rc
  out=$(timeout 60 "$@" 2>&1 >/dev/null)
  rc=$?
  if [ $rc -eq 0 ]; then
    fail "$name: exit status 0"
  elif [ $rc -ge 124 ] && [ $rc -ne 130 ]; then
    fail "$name: exit status $rc (timeout or crash): $out"
  elif ! grep -qF -- "$what" <<<"$out"; then
    fail "$name: message lacks \"$what\": $out"
  else
    pass "$name: exit $rc, \"$(grep -F -- "$what" <<<"$out" | head -n1)\""
  fi
}

# ------------------------------------------------------------ training
M=$TMP/ae.safetensors
LOG=$TMP/ae.csv
if timeout 120 "$VAE" train --kind ae --data synthetic:1024 --enc 24 \
    --latent 4 --dec 24 --act tanh --norm-mean 0.5 --norm-scale 0.25 \
    --steps 300 --batch 32 --lr 3e-3 --log "$LOG" --out "$M" \
    2>"$TMP/train.err"; then
  pass "vae train (ae, synthetic) exits 0"
else
  fail "vae train failed: $(cat "$TMP/train.err")"
fi
if [ -f "$M" ] && INFO=$("$VAE" info "$M" 2>&1); then
  if grep -q '^kind: *ae ' <<<"$INFO" && grep -q 'train.steps *300' <<<"$INFO" \
      && grep -q 'layers: *32->24 tanh, 24->4 identity, 4->24 tanh, 24->32 identity' \
        <<<"$INFO"; then
    pass "vae info reads the trained model (kind, layers, train.steps 300)"
  else
    fail "vae info output unexpected:"$'\n'"$INFO"
  fi
else
  fail "vae info on the trained model failed"
fi
[ -e "$M.tmp" ] && fail "$M.tmp left behind"

# the CSV log: its header, and rows whose loss falls
if [ -f "$LOG" ]; then
  if [ "$(head -n1 "$LOG")" = "step,epoch,loss,rec,kl,beta,val_loss,seconds" ]; then
    pass "CSV log header"
  else
    fail "CSV log header: $(head -n1 "$LOG")"
  fi
  rows=$(($(wc -l <"$LOG") - 1))
  if awk -F, 'NR > 1 { if (NF != 8) bad = 1; for (i = 1; i <= 8; i++)
        if ($i !~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/) bad = 1;
        if (NR == 2) first = $3; last = $3; last_step = $1 }
      END { exit !(NR > 2 && !bad && last < first / 2 && last_step == 300) }' \
      "$LOG"; then
    pass "CSV log: $rows numeric rows, loss $(awk -F, 'NR==2{print $3}' "$LOG")" \
      "-> $(tail -n1 "$LOG" | cut -d, -f3), last step 300"
  else
    fail "CSV log rows malformed or loss not falling:"$'\n'"$(cat "$LOG")"
  fi
else
  fail "no CSV log written"
fi

# a VAE and a DAE train too, and the tool evaluates the VAE
V=$TMP/vae.safetensors
if timeout 120 "$VAE" train --kind vae --likelihood gaussian --obs-sigma 0.1 \
    --data synthetic:512 --enc 16 --latent 2 --dec 16 --steps 50 --batch 32 \
    --kl-anneal 20 --out "$V" 2>"$TMP/vae.err" \
    && "$VAE" info "$V" | grep -q '^kind: *vae ' \
    && "$VAE" eval --model "$V" --data synthetic:64 --iwae 10 >"$TMP/eval.out" \
    && grep -q 'IWAE NLL (k=10)' "$TMP/eval.out"; then
  pass "vae train/info/eval (vae, Gaussian, IWAE)"
else
  fail "VAE train/info/eval: $(cat "$TMP/vae.err" "$TMP/eval.out" 2>/dev/null)"
fi
if timeout 120 "$VAE" train --kind dae --data synthetic:512 --enc 24 \
    --latent 12 --dec 24 --noise gaussian --noise-min 5 --noise-max 30 \
    --residual --noise-input --steps 50 --batch 32 --out "$TMP/dae.safetensors" \
    2>"$TMP/dae.err" \
    && "$VAE" info "$TMP/dae.safetensors" | grep -q 'noise: *gaussian 5..30, residual, noise-conditional'; then
  pass "vae train/info (dae, residual, noise-conditional)"
else
  fail "DAE train/info: $(cat "$TMP/dae.err")"
fi

# temporal:DIR,N: the temporal stage's outputs on sequences moving over a
# folder of pictures (two seeded random-texture PGMs here), trained on as
# they come: the loss falls and the spec is recorded
mkdir -p "$TMP/pics"
for s in 1 2; do
  { printf 'P5\n160 160\n255\n'
    LC_ALL=C awk -v s=$s 'BEGIN { srand (s); for (i = 0; i < 25600; i++)
      printf "%c", int (64 + 128 * (rand () + rand ()) / 2) }'
  } > "$TMP/pics/$s.pgm"
done
T=$TMP/temporal.safetensors
if timeout 120 "$VAE" train --kind dae --data "temporal:$TMP/pics,4096" \
    --latent 32 --act relu --residual --noise-input --noise gaussian \
    --noise-min 5 --noise-max 40 --norm-mean 0.5 --norm-scale 0.2 \
    --steps 400 --batch 64 --lr 2e-3 --val-every 100 --log "$TMP/temporal.csv" \
    --out "$T" 2>"$TMP/temporal.err" \
    && "$VAE" info "$T" 2>/dev/null | grep -q "train.data *temporal:"; then
  first=$(awk -F, 'NR == 2 { print $7 }' "$TMP/temporal.csv")
  last=$(awk -F, 'END { print $7 }' "$TMP/temporal.csv")
  if awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }'; then
    pass "vae train --data temporal:DIR,N: validation loss $first -> $last"
  else
    fail "temporal data: validation loss did not fall ($first -> $last)"
  fi
else
  fail "vae train --data temporal: $(cat "$TMP/temporal.err")"
fi
expect_error "temporal data, 0 samples" "temporal data" \
  "$VAE" train --kind dae --data "temporal:$TMP/pics,0" --residual \
  --noise-input --noise gaussian --out "$TMP/x.safetensors"

# ---------------------------------------------------------- bad arguments
printf 'this is not gzip, nor IDX' | gzip -c >"$TMP/garbage.gz"
head -c 300 /dev/urandom >"$TMP/random.gz"
printf '\0\0\10\3\0\0\0\5\0\0\0\34\0\0\0\34short' >"$TMP/short.idx"
printf 'not a model' >"$TMP/notamodel.safetensors"

expect_error "unknown option" "unknown option --bogus" \
  "$VAE" train --bogus --data synthetic --out "$TMP/x.safetensors"
expect_error "missing --data" "--data and --out are required" \
  "$VAE" train --kind ae --out "$TMP/x.safetensors"
expect_error "missing --out" "--data and --out are required" \
  "$VAE" train --kind ae --data synthetic
expect_error "option without its value" "--steps needs a value" \
  "$VAE" train --data synthetic --out "$TMP/x.safetensors" --steps
if "$VAE" meta "$M" denoise.stride=3 note=hello --out "$TMP/meta.safetensors" 2>"$TMP/meta.err" \
    && INFO=$("$VAE" info "$TMP/meta.safetensors" 2>&1) \
    && grep -q '^denoise.stride 3$' <<<"$INFO" && grep -q '^note  *hello$' <<<"$INFO" \
    && grep -q 'train.steps *300' <<<"$INFO"; then
  pass "vae meta adds keys and keeps the training record"
else
  fail "vae meta: $(cat "$TMP/meta.err") $INFO"
fi
expect_error "meta without KEY=VALUE" "is not KEY=VALUE" "$VAE" meta "$M" nokey
expect_error "meta on the config" "is the file's own" "$VAE" meta "$M" config={}
expect_error "meta on a missing file" "none.safetensors" "$VAE" meta "$TMP/none.safetensors" a=b
expect_error "train --meta without =" "--meta wants KEY=VALUE" \
  "$VAE" train --data synthetic --out "$TMP/x.safetensors" --meta novalue
expect_error "synthetic data of 3 samples" "the count must be 16 to 1000000" \
  "$VAE" train --kind ae --data synthetic:3 --out "$TMP/x.safetensors"
expect_error "eval on data of the wrong size" "samples have 32 values, the model takes 784" \
  "$VAE" eval --model "$ROOT/models/mnist-vae.safetensors" --data synthetic:64
# a colour model reads interleaved 4:2:0 planes, not gray pictures
C=$ROOT/models/denoise-colour.safetensors
if [ -f "$C" ]; then
  for cmd in denoise compare eval-denoise; do
    case $cmd in
    denoise) args=("$TMP/in.png" "$TMP/out.png") ;;
    compare) args=(--out "$TMP/out.png" "$TMP/in.png") ;;
    eval-denoise) args=(--set "$TMP") ;;
    esac
    expect_error "$cmd with the colour model" "is a colour model" \
      "$VAE" "$cmd" --model "$C" "${args[@]}"
  done
else
  echo "skip  colour model refused: no $C"
fi

# ------------------------------------------------------------ quantize
if "$VAE" quantize "$TMP/dae.safetensors" --data synthetic:512 --samples 2048 \
    --out "$TMP/dae-q.safetensors" 2>"$TMP/q.err" \
    && INFO=$("$VAE" info "$TMP/dae-q.safetensors" 2>&1) \
    && grep -q '^int8: ' <<<"$INFO" && grep -q '^quant .*GPTQ on 2048 samples' <<<"$INFO" \
    && "$VAE" quantize "$TMP/dae.safetensors" --data synthetic:512 --samples 2048 \
      --out "$TMP/dae-q2.safetensors" 2>/dev/null \
    && cmp -s "$TMP/dae-q.safetensors" "$TMP/dae-q2.safetensors"; then
  pass "vae quantize: int8 weights in the file, the same file twice"
else
  fail "vae quantize: $(cat "$TMP/q.err") $INFO"
fi
expect_error "quantize a VAE" "int8 weights need a dense (patch) denoiser" \
  "$VAE" quantize "$V" --data synthetic --out "$TMP/q.safetensors"
expect_error "quantize with too few samples" "--samples 1024..4000000" \
  "$VAE" quantize "$TMP/dae.safetensors" --data synthetic --samples 10 --out "$TMP/q.safetensors"
expect_error "quantize without --out" "--data and --out are required" \
  "$VAE" quantize "$TMP/dae.safetensors" --data synthetic

# ------------------------------------------------------------ prune
# the ae above is 32-24-4-24-32 (layers 0..3): its first encoder layer to 16
if "$VAE" prune "$M" --data synthetic:1024 --layer 0 --keep 16 --samples 2000 \
    --out "$TMP/pruned.safetensors" 2>"$TMP/prune.err" \
    && INFO=$("$VAE" info "$TMP/pruned.safetensors" 2>&1) \
    && grep -q -- '32->16 ' <<<"$INFO" && grep -q '^prune .*16 of 24 units' <<<"$INFO" \
    && grep -q '^train.command' <<<"$INFO" && grep -q '^pretrain.command' <<<"$INFO"; then
  pass "vae prune: $(tail -n 2 "$TMP/prune.err" | head -n 1)"
else
  fail "vae prune: $(cat "$TMP/prune.err") $INFO"
fi
expect_error "prune more units than the layer has" "has 24 units" \
  "$VAE" prune "$M" --data synthetic --layer 0 --keep 25 --out "$TMP/p.safetensors"
expect_error "prune the output layer" "is not a hidden layer" \
  "$VAE" prune "$M" --data synthetic --layer 3 --keep 5 --out "$TMP/p.safetensors"
VM=$TMP/vae.safetensors
if timeout 120 "$VAE" train --kind vae --data synthetic:512 --enc 16 --latent 3 --dec 16 \
    --steps 20 --batch 32 --out "$VM" 2>/dev/null; then
  expect_error "prune a VAE's code layer" "code layer" \
    "$VAE" prune "$VM" --data synthetic --keep 2 --out "$TMP/p.safetensors"
else
  fail "vae train (vae, synthetic) for the prune check"
fi
expect_error "prune without --keep" "--keep N" \
  "$VAE" prune "$M" --data synthetic --out "$TMP/p.safetensors"
expect_error "zoom probability above 1" "--zoom-prob and --u8-fraction must lie in [0, 1]" \
  "$VAE" train --data synthetic --out "$TMP/x.safetensors" --zoom-prob 1.5 --zoom-max 2
expect_error "absurd zoom" "--zoom-max in [1, 16]" \
  "$VAE" train --data synthetic --out "$TMP/x.safetensors" --zoom-prob 0.5 --zoom-max 1e9
expect_error "negative u8 share" "--u8-fraction must lie in [0, 1]" \
  "$VAE" train --data synthetic --out "$TMP/x.safetensors" --u8-fraction -0.1
expect_error "unknown training precision" "unknown --precision \"fp8\" (fp32, bf16)" \
  "$VAE" train --data synthetic --out "$TMP/x.safetensors" --precision fp8
# bf16 training where the CPU has AVX512_BF16 (and VAE_GEMM asks for no less
# than AVX-512), a clear refusal elsewhere
if grep -qw avx512_bf16 /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo \
    && [ -z "${VAE_GEMM:-}" ]; then
  if timeout 120 "$VAE" train --kind vae --data synthetic:512 --enc 16 --latent 3 --dec 16 \
      --steps 40 --batch 32 --threads 2 --precision bf16 --out "$TMP/b16.safetensors" \
      2>"$TMP/b16.err" && "$VAE" info "$TMP/b16.safetensors" | grep -q 'train.precision *bf16'; then
    pass "vae train --precision bf16 (2 threads) records train.precision bf16"
  else
    fail "vae train --precision bf16: $(cat "$TMP/b16.err")"
  fi
  expect_error "bf16 on a convolutional model" "dense models only" \
    "$VAE" train --kind dae --data synthetic:256 --patch 8 --conv-depth 2 --conv-width 4 \
    --noise gaussian --noise-min 10 --noise-max 10 --steps 2 --precision bf16 --out "$TMP/x.safetensors"
else
  expect_error "bf16 training without AVX512_BF16" "needs a CPU with AVX512_BF16" \
    "$VAE" train --kind vae --data synthetic:512 --steps 2 --precision bf16 --out "$TMP/x.safetensors"
fi
expect_error "non-numeric value" "\"ten\" is not a number" \
  "$VAE" train --data synthetic --out "$TMP/x.safetensors" --steps ten
expect_error "missing data file" "$TMP/nope.gz" \
  "$VAE" train --data "mnist:$TMP/nope.gz" --out "$TMP/x.safetensors"
expect_error "malformed IDX (gzip of text)" "IDX" \
  "$VAE" train --data "mnist:$TMP/garbage.gz" --out "$TMP/x.safetensors"
expect_error "malformed IDX (random bytes)" "$TMP/random.gz" \
  "$VAE" train --data "mnist:$TMP/random.gz" --out "$TMP/x.safetensors"
expect_error "truncated IDX" "truncated" \
  "$VAE" train --data "idx:$TMP/short.idx" --out "$TMP/x.safetensors"
expect_error "unknown kind" "unknown kind \"gan\"" \
  "$VAE" train --kind gan --data synthetic --out "$TMP/x.safetensors"
expect_error "unknown data spec" "unknown data spec" \
  "$VAE" train --data "csv:$TMP/x.csv" --out "$TMP/x.safetensors"
expect_error "unknown activation" "unknown activation \"swish\"" \
  "$VAE" train --act swish --data synthetic --out "$TMP/x.safetensors"
expect_error "noise on a non-DAE" "--noise needs --kind dae" \
  "$VAE" train --kind ae --noise gaussian --data synthetic --out "$TMP/x.safetensors"
expect_error "Bernoulli with normalisation" "Bernoulli" \
  "$VAE" train --kind vae --likelihood bernoulli --norm-scale 0.5 \
  --data synthetic --out "$TMP/x.safetensors"
expect_error "Adam epsilon of zero" "adam-eps out of range" \
  "$VAE" train --data synthetic --out "$TMP/x.safetensors" --adam-eps 0
expect_error "batch out of range" "out of range" \
  "$VAE" train --batch 0 --data synthetic --out "$TMP/x.safetensors"
expect_error "unwritable output" "no-such-dir" \
  "$VAE" train --data synthetic:64 --steps 2 --batch 8 \
  --out "$TMP/no-such-dir/x.safetensors"
expect_error "unknown command" "unknown command frobnicate" "$VAE" frobnicate
expect_error "info on a missing file" "$TMP/none.safetensors" \
  "$VAE" info "$TMP/none.safetensors"
expect_error "info on a non-model" "header length" \
  "$VAE" info "$TMP/notamodel.safetensors"
expect_error "eval without --data" "usage: vae eval" "$VAE" eval --model "$M"
[ -e "$TMP/x.safetensors" ] && fail "a failed run wrote $TMP/x.safetensors"

# ------------------------------------------------------------- signals
# A long run checkpointing every 50 steps, stopped by a signal once the
# first checkpoint exists: the tool saves and exits 130, and the file is
# whole, with no .tmp beside it.
interrupt () {
  local sig=$1 out=$TMP/ck-$1.safetensors
  local start=$SECONDS rc
  "$VAE" train --kind ae --data synthetic:4096 --enc 64 --latent 8 --dec 64 \
    --steps 100000000 --batch 64 --checkpoint-every 50 --out "$out" \
    2>"$TMP/ck-$sig.err" &
  local pid=$!
  PIDS+=("$pid")
  while [ ! -f "$out" ] && [ $((SECONDS - start)) -lt 60 ] \
      && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
  done
  sleep 1
  kill -"$sig" "$pid"
  wait "$pid"
  rc=$?
  if [ $rc -ne 130 ]; then
    fail "SIG$sig: exit status $rc, expected 130: $(tail -n2 "$TMP/ck-$sig.err")"
  fi
  if "$VAE" info "$out" >"$TMP/ck-$sig.info" 2>&1 \
      && grep -q '^train.steps ' "$TMP/ck-$sig.info" \
      && grep -q 'interrupted; saved' "$TMP/ck-$sig.err"; then
    pass "SIG$sig: exit $rc, checkpoint loadable after" \
      "$(grep '^train.steps ' "$TMP/ck-$sig.info" | awk '{print $2}') steps"
  else
    fail "SIG$sig: checkpoint not loadable: $(cat "$TMP/ck-$sig.info")"
  fi
  ls "$TMP"/ck-"$sig".safetensors.tmp >/dev/null 2>&1 \
    && fail "SIG$sig: $out.tmp left behind"
}
interrupt INT
interrupt TERM

# SIGKILL cannot be caught: whenever it lands, the last checkpoint that was
# renamed into place must still load (a stray .tmp is allowed here).
K=$TMP/ck-kill.safetensors
kill_ok=1
for i in 1 2 3 4 5; do
  "$VAE" train --kind ae --data synthetic:2048 --enc 64 --latent 8 --dec 64 \
    --steps 100000000 --batch 16 --checkpoint-every 5 --out "$K" \
    2>/dev/null &
  pid=$!
  PIDS+=("$pid")
  start=$SECONDS
  while [ ! -f "$K" ] && [ $((SECONDS - start)) -lt 60 ]; do sleep 0.05; done
  sleep 0.$((RANDOM % 10))
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
  if ! "$VAE" info "$K" >/dev/null 2>"$TMP/kill.err"; then
    fail "SIGKILL #$i: checkpoint not loadable: $(cat "$TMP/kill.err")"
    kill_ok=0
    break
  fi
done
[ $kill_ok -eq 1 ] && pass "SIGKILL during checkpointing (5 times): last checkpoint always loads"

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all tool checks passed"
