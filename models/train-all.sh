#!/usr/bin/env bash
# Retrains every shipped model from scratch with the project's own tool, on
# the data in ../shared/data (see models/README.md for each model's card).
#   models/train-all.sh [NAME ...]      default: all
# Env: VAE (tool path, default build/tools/vae), DATA (default ../shared/data),
#      OUT (default models/), THREADS (OpenBLAS threads per run, default 1).
# Same seed, data and build → the same model file.
set -euo pipefail
# Run from the repository root with relative paths, so the commands that
# the model files record (train.command, train.data) name no machine's paths.
cd "$(dirname "$0")/.."
VAE=${VAE:-build/tools/vae}
DATA=${DATA:-../shared/data}
OUT=${OUT:-models}
T=${THREADS:-1}
[[ -x $VAE ]] || { echo "build the tool first (meson setup build && ninja -C build)" >&2; exit 1; }
[[ -d $DATA/denoise/train400 ]] || { echo "training data not found in $DATA" >&2; exit 1; }

train() {  # name, args...
  local name=$1; shift
  echo "== $name"
  "$VAE" train "$@" --threads "$T" --log "$OUT/$name.csv" --out "$OUT/$name.safetensors"
}

# int8 weights for vaedenoise precision=int8 (auto where the CPU lacks
# AVX512_BF16): calibrated by GPTQ on noisy Train400 patches drawn as in
# training, 8-bit as a GRAY8 pipeline has them (core/quant.c)
quantize() {
  local name=$1; shift
  "$VAE" quantize "$OUT/$name.safetensors" --data "images:$DATA/denoise/train400" \
    --augment --samples 65536 --seed 1 "$@" --out "$OUT/$name.safetensors"
}

DENOISE_COMMON=(--kind dae --data "images:$DATA/denoise/train400" --act relu
  --residual --noise-input --norm-mean 0.5 --norm-scale 0.2 --augment --batch 256
  --lr 1e-3 --lr-final 1e-5 --seed 1)

# Colour training frames from the real clips (PNG, beside the build, not in
# the repo): every 6th frame of the 1080p street clip, and every 3rd of the
# video-conference clip; flower, Foreman and Zhling stay out (evaluation).
colour_frames() {
  local d=build/colour-data
  mkdir -p "$d/street" "$d/video"
  ffmpeg -loglevel error -y -i "$DATA/video/VID_1920x1080_cabac_temporal_direct.264" \
    -vf "select=not(mod(n\,6))" -vsync 0 "$d/street/street-%02d.png"
  cp "$d"/street/*.png "$d/video/"
  ffmpeg -loglevel error -y -f rawvideo -pix_fmt yuv420p -s 320x192 \
    -i "$DATA/video/CiscoVT2people_320x192_12fps.yuv" -vf "select=not(mod(n\,3))" \
    -vsync 0 "$d/video/people-%02d.png"
}

all=(denoise-s denoise-colour denoise-cnn denoise-sp denoise-mask mnist-vae mnist-vae2d mnist-vae-deep frey-vae sparse-ae)
names=("$@")
((${#names[@]})) || names=("${all[@]}")
for n in "${names[@]}"; do
  case $n in
  denoise-s)     # real-time default: 8x8 patches, 65-512-64, σ 0..55; half the
                 # patches from images enlarged up to 3x (HD-video smoothness), half
                 # the inputs rounded and clipped to 8 bits; first used at stride 6.
                 # Then pruned in place to the 448 hidden units of largest output
                 # energy E[a²]·‖w‖² on the same kind of patches (40 of the 512 are
                 # never active), and fine-tuned 150,000 steps at a low rate:
                 # 12.5% less work per frame for the same PSNR (models/README.md);
                 # then 300,000 steps for stride 4 (below).
                 # Trained with --threads 2 (data-parallel, reproducible for that
                 # N), whatever THREADS says: 900,000 + 150,000 + 300,000 steps.
    T=2 train $n "${DENOISE_COMMON[@]}" --patch 8 --latent 512 --noise gaussian \
      --noise-min 0 --noise-max 55 --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 \
      --meta denoise.stride=6 --steps 900000 --val-every 5000 --checkpoint-every 10000
    "$VAE" prune "$OUT/$n.safetensors" --data "images:$DATA/denoise/train400" --keep 448 \
      --augment --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 --samples 262144 --seed 1 \
      --out "$OUT/$n.safetensors"
    "$VAE" train --kind dae --data "images:$DATA/denoise/train400" --act relu --residual \
      --noise-input --norm-mean 0.5 --norm-scale 0.2 --augment --batch 256 --lr 5e-5 \
      --lr-final 1e-5 --seed 3 --patch 8 --latent 448 --noise gaussian --noise-min 0 \
      --noise-max 55 --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 --meta denoise.stride=6 \
      --steps 150000 --val-every 10000 --checkpoint-every 10000 --init "$OUT/$n.safetensors" \
      --threads 2 --log "$OUT/$n-finetune.csv" --out "$OUT/$n.safetensors"
    # Third stage: the element's operating point moved to stride 4 (the
    # AVX-512/AVX2 GEMM kernels made it real-time); 300,000 steps with each
    # output pixel's squared error weighted by its share of the stride-4
    # Gaussian overlap-add (--loss-stride 4), i.e. the loss of the blended
    # plane rather than of the lone patch.
    "$VAE" train --kind dae --data "images:$DATA/denoise/train400" --act relu --residual \
      --noise-input --norm-mean 0.5 --norm-scale 0.2 --augment --batch 256 --lr 5e-5 \
      --lr-final 1e-5 --seed 4 --patch 8 --latent 448 --noise gaussian --noise-min 0 \
      --noise-max 55 --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 --meta denoise.stride=4 \
      --loss-stride 4 --steps 300000 --val-every 10000 --checkpoint-every 50000 \
      --init "$OUT/$n.safetensors" --threads 2 --log "$OUT/$n-stride4.csv" \
      --out "$OUT/$n.safetensors"
    quantize $n --zoom-max 3 --zoom-prob 0.5
    # The temporal stage's averages denoise best told 1.15 times their
    # estimated leftover noise (a sweep of 1.0 / 1.1 / 1.15 / 1.2 / 1.3 on
    # flower and Foreman at σ 25 with the output settled; the colour
    # model's best is 1.0).
    "$VAE" meta "$OUT/$n.safetensors" denoise.temporal-gain=1.15 ;;
  denoise-colour) # colour default: one interleaved 4:2:0 patch (8x8 luma, 4x4 Cb,
                 # 4x4 Cr) and σ in, 97-768-96, RGB noise σ 0..55 as it shows in
                 # BT.601 limited-range Y'CbCr (core/noise.c), the denoise-s data
                 # recipe (zoom, 8-bit rounding); Kodak24 and 9 frames of the
                 # street clip, 800,000 steps on one thread. Then the 192 hidden
                 # units never active on 262,144 patches pruned (768 -> 576: the
                 # same function), and stride 6 made its operating point (the
                 # element's real-time one). A 300,000-step fine-tune with
                 # Train400 (gray) added scored the same on CBSD68 and 0.34 dB
                 # lower on the flower clip, so it is not part of the recipe.
    colour_frames
    train $n --kind dae --data "colour:build/colour-data/street,$DATA/denoise/kodak24" \
      --act relu --residual --noise-input --norm-mean 0.5 --norm-scale 0.2 --augment \
      --batch 256 --lr 1e-3 --lr-final 1e-5 --seed 1 --patch 8 --latent 768 \
      --noise gaussian --noise-min 0 --noise-max 55 --zoom-max 3 --zoom-prob 0.5 \
      --u8-fraction 0.5 --meta denoise.stride=4 --steps 800000 --val-every 10000 \
      --checkpoint-every 20000
    "$VAE" prune "$OUT/$n.safetensors" \
      --data "colour:build/colour-data/video,$DATA/denoise/kodak24,$DATA/denoise/train400" \
      --keep 576 --augment --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 --samples 262144 \
      --seed 1 --out "$OUT/$n.safetensors"
    # int8 weights: calibrated by GPTQ on noisy colour patches of the
    # training data, as 8-bit frames have them.
    "$VAE" quantize "$OUT/$n.safetensors" \
      --data "colour:build/colour-data/video,$DATA/denoise/kodak24,$DATA/denoise/train400" \
      --augment --zoom-max 3 --zoom-prob 0.5 --samples 65536 --seed 1 \
      --out "$OUT/$n.safetensors"
    # Its output settles against the last frame's up to 0.75 times the
    # default differences (a sweep of 0.25 to 1.5 on colour flower,
    # Foreman and the 1920x1080 street clip at σ 25: models/README.md).
    "$VAE" meta "$OUT/$n.safetensors" denoise.stride=6 denoise.settle-scale=0.75 ;;
  denoise-cnn)   # quality model: a convolutional DAE, 8 layers of 3x3 convolutions
                 # with 32 channels (receptive field 17x17), residual, σ map as a
                 # second input channel, σ 0..55; 40x40 patches, batch 32, the
                 # same data recipe as denoise-s (zoom, 8-bit rounding).
                 # --threads 2 (reproducible for that N): 21,000 + 14,000 steps
    T=2 train $n --kind dae --data "images:$DATA/denoise/train400" --act relu \
      --residual --noise-input --norm-mean 0.5 --norm-scale 0.2 --augment --batch 32 \
      --lr 1e-3 --lr-final 1e-5 --seed 1 --patch 40 --conv-depth 8 --conv-width 32 --conv-kernel 3 --noise gaussian \
      --noise-min 0 --noise-max 55 --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 \
      --steps 21000 --val-every 1000 --checkpoint-every 1000
    # Second stage: 14,000 more steps, the cosine restarted at 2e-4 (seed 2)
    "$VAE" train --kind dae --data "images:$DATA/denoise/train400" --act relu \
      --residual --noise-input --norm-mean 0.5 --norm-scale 0.2 --augment --batch 32 \
      --lr 2e-4 --lr-final 1e-5 --seed 2 --patch 40 --conv-depth 8 --conv-width 32 --conv-kernel 3 --noise gaussian \
      --noise-min 0 --noise-max 55 --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 \
      --steps 14000 --val-every 1000 --checkpoint-every 1000 --threads 2 \
      --init "$OUT/$n.safetensors" --log "$OUT/$n-stage2.csv" --out "$OUT/$n.safetensors" ;;
  denoise-colour-cnn) # candidate, NOT shipped (models/README.md): a convolutional
                 # DAE on the interleaved 4:2:0 plane in 2x3 blocks (4 luma, Cb,
                 # Cr: 6 planes at half the luma resolution, as FFDNet works) with
                 # the σ map as a 7th; 8 layers of 3x3 convolutions with 48
                 # channels (receptive field 34x34 luma pixels); 64x64-luma
                 # patches, batch 32; the colour data and noise of denoise-colour
                 # (RGB noise σ 0..55 as it shows in BT.601 limited-range Y'CbCr,
                 # zoom, 8-bit rounding). --threads 2: 16,000 steps
    colour_frames
    T=2 train $n --kind dae --data "colour:build/colour-data/video,$DATA/denoise/kodak24" \
      --act relu --residual --noise-input --norm-mean 0.5 --norm-scale 0.2 --augment \
      --batch 32 --lr 1e-3 --lr-final 1e-5 --seed 1 --patch 64 --conv-depth 8 \
      --conv-width 48 --conv-kernel 3 --noise gaussian --noise-min 0 --noise-max 55 \
      --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 --steps 16000 --val-every 1000 \
      --checkpoint-every 1000 ;;
  denoise-m)     # candidate, NOT shipped: 10x10 patches, 101-512-100, at stride 8:
                 # the same 2.96 GFLOP per 1280x720 frame as denoise-s at stride 6.
                 # On the 20 held-out Train400 images (papers' protocol) it scored
                 # 29.06 / 26.85 / 23.92 dB at σ 15 / 25 / 50 against denoise-s's
                 # 29.34 / 26.98 / 23.87 (1139 s, 263.5 steps/s on one thread)
    train $n "${DENOISE_COMMON[@]}" --patch 10 --latent 512 --noise gaussian \
      --noise-min 0 --noise-max 55 --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 \
      --meta denoise.stride=8 --steps 300000 --val-every 5000 --checkpoint-every 10000 ;;
  denoise-m12)   # candidate, NOT shipped: 12x12 patches, 145-512-144, at stride 10:
                 # the same cost again; stopped at 220,000 steps, 28.56 / 26.54 dB
                 # at σ 15 / 25 on the held-out images
    train $n "${DENOISE_COMMON[@]}" --patch 12 --latent 512 --noise gaussian \
      --noise-min 0 --noise-max 55 --zoom-max 3 --zoom-prob 0.5 --u8-fraction 0.5 \
      --meta denoise.stride=10 --steps 300000 --val-every 5000 --checkpoint-every 10000 ;;
  denoise-s-temporal) # NOT shipped: denoise-s fine-tuned on what the
                 # temporal stage hands it (vae train --data temporal:DIR,N:
                 # sequences panning over Train400, some still, some with a
                 # moving square, half on pictures enlarged up to 3x, sigma
                 # 0..55, through core/temporal.c; inputs the averages, levels
                 # its map at gain 1).  300,000 steps from denoise-s, 369 s.
                 # Through vaedenoise (fp32, noise level 25) it did not beat
                 # denoise-s at its gain of 1.3: flower (30 frames) 33.76 dB
                 # against 34.04, Foreman (60) 31.98 against 31.94; its
                 # validation loss fell 0.2462 -> 0.2447 only.
    "$VAE" train --kind dae --data "temporal:$DATA/denoise/train400,1048576" --act relu \
      --residual --noise-input --norm-mean 0.5 --norm-scale 0.2 --batch 256 --lr 5e-5 \
      --lr-final 1e-5 --seed 5 --patch 8 --latent 448 --noise gaussian --noise-min 0 \
      --noise-max 55 --meta denoise.stride=4 --loss-stride 4 --steps 300000 \
      --val-every 10000 --checkpoint-every 50000 --init "$OUT/denoise-s.safetensors" \
      --log "$OUT/$n.csv" --out "$OUT/$n.safetensors"
    "$VAE" meta "$OUT/$n.safetensors" denoise.temporal-gain=1.0 ;;
  denoise-s-photo) # the previous default, NOT shipped: the same network on
                 # plain Train400 patches (no zoom, float noise only)
    train $n "${DENOISE_COMMON[@]}" --patch 8 --latent 512 --noise gaussian \
      --noise-min 0 --noise-max 55 --steps 300000 --val-every 5000 --checkpoint-every 10000 ;;
  denoise-q)     # candidate quality model, NOT shipped: 17x17 patches,
                 # 290-1024-1024-289, PyTorch-style initialisation; two stages, the
                 # first 10,000 steps of a 120,000-step schedule, then 45,000 steps.
                 # After 10,000 + 10,000 steps (35 min on a shared core) it scored
                 # 26.74 dB on the 20 held-out Train400 images (σ=25, stride 3)
                 # against 27.27 for an 8x8 65-512-64 model at stride 2: far from
                 # trained; the run was stopped there
    train $n "${DENOISE_COMMON[@]}" --patch 17 --enc 1024 --latent 1024 --noise gaussian \
      --noise-min 0 --noise-max 55 --steps 120000 --stop-after 10000 --val-every 2000 \
      --checkpoint-every 5000 --init-style torch
    "$VAE" train --kind dae --data "images:$DATA/denoise/train400" --act relu --residual \
      --noise-input --norm-mean 0.5 --norm-scale 0.2 --augment --batch 256 --lr 7e-4 \
      --lr-final 1e-5 --seed 2 --patch 17 --enc 1024 --latent 1024 --noise gaussian \
      --noise-min 0 --noise-max 55 --steps 45000 --val-every 2500 --checkpoint-every 2500 \
      --init "$OUT/$n.safetensors" --meta denoise.stride=3 --threads "$T" \
      --log "$OUT/$n.csv" --out "$OUT/$n.safetensors" ;;
  denoise-l)     # candidate quality model, NOT shipped: 13x13 patches,
                 # 170-1024-169 reached 27.95 dB on BSD68 at sigma 25, below
                 # denoise-s (28.03); a two-hidden-layer 170-512-512-169
                 # stalled near 14 validation loss with this recipe
    train $n "${DENOISE_COMMON[@]}" --patch 13 --latent 1024 --noise gaussian \
      --noise-min 0 --noise-max 55 --steps 100000 --val-every 5000 --checkpoint-every 5000 ;;
  denoise-sp)    # salt-and-pepper, p 0..0.3
    train $n "${DENOISE_COMMON[@]}" --patch 8 --latent 512 --noise salt-and-pepper \
      --noise-min 0 --noise-max 0.3 --steps 60000 --val-every 5000 --checkpoint-every 10000 ;;
                 # no int8 weights: its first layer needs more than 7 bits
                 # (models/README.md), so it runs in fp32 or bf16
  denoise-mask)  # dead pixels (masking), p 0..0.3
    train $n "${DENOISE_COMMON[@]}" --patch 8 --latent 512 --noise masking \
      --noise-min 0 --noise-max 0.3 --steps 60000 --val-every 5000 --checkpoint-every 10000 ;;
                 # no int8 weights either (as denoise-sp)
  mnist-vae)     # pytorch/examples protocol: 784-400-20, Bernoulli, Adam 1e-3, batch 128, 10 epochs
    train $n --kind vae --data "mnist:$DATA/mnist/train-images-idx3-ubyte.gz" \
      --val-data "mnist:$DATA/mnist/t10k-images-idx3-ubyte.gz" --enc 400 --latent 20 --dec 400 \
      --likelihood bernoulli --batch 128 --epochs 10 --lr 1e-3 --seed 1 --init-style torch \
      --adam-eps 7.8125e-11 ;;  # PyTorch steps on the batch sum: its eps 1e-8 is ours / 128
  mnist-vae2d)   # 2-D latent for the manifold grid
    train $n --kind vae --data "mnist:$DATA/mnist/train-images-idx3-ubyte.gz" \
      --val-data "mnist:$DATA/mnist/t10k-images-idx3-ubyte.gz" --enc 500 --latent 2 --dec 500 \
      --likelihood bernoulli --batch 128 --epochs 30 --lr 1e-3 --seed 1 ;;
  mnist-vae-deep) # stronger VAE: dynamically binarised, two hidden layers each side
    train $n --kind vae --data "mnist:$DATA/mnist/train-images-idx3-ubyte.gz" \
      --val-data "mnist:$DATA/mnist/t10k-images-idx3-ubyte.gz" --enc 500,500 --latent 50 --dec 500,500 \
      --act tanh --likelihood bernoulli --binarize --batch 100 --epochs 20 --lr 1e-3 --lr-final 1e-5 \
      --kl-anneal 5000 --seed 1 ;;
  frey-vae)      # Frey Face 20x28, Gaussian likelihood, 10% held out
    train $n --kind vae --data "frey:$DATA/faces/frey/frey_rawface.mat" --val-fraction 0.1 \
      --enc 200 --latent 10 --dec 200 --act tanh --likelihood gaussian --obs-sigma 0.1 \
      --batch 100 --epochs 1000 --lr 1e-3 --seed 1 ;;
  sparse-ae)     # UFLDL-style sparse AE on 8x8 natural-image patches
    train $n --kind sparse-ae --data "images:$DATA/denoise/train400" --patch 8 --latent 100 \
      --norm-mean 0.5 --norm-scale 0.2 --rho 0.01 --sparse-beta 3 --wd 0.3 --augment \
      --batch 256 --steps 50000 --lr 1e-3 --seed 1 ;;
  *) echo "unknown model $n (${all[*]})" >&2; exit 1 ;;
  esac
done
