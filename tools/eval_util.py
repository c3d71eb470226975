#!/usr/bin/python3
"""Helpers for models/evaluate.sh and models/render-pictures.sh (numpy + PIL).

  eval_util.py metrics CLEAN_DIR DIR [DIR ...]
      Mean PSNR and SSIM of DIR/<name>.png against CLEAN_DIR/<name>.png for
      every clean image that has a counterpart in DIR; prints one line per DIR:
      "DIR n mean_psnr mean_ssim".  PSNR as `vae psnr` (8-bit, peak 255, per
      image, then averaged); SSIM as the core's vae_ssim_f32: Wang et al. 2004,
      11x11 Gaussian window with sigma 1.5, K1 0.01, K2 0.03, valid windows only,
      mean over the image, then averaged over images.
  eval_util.py ssim A.png B.png
      SSIM of one pair.
  eval_util.py clip WxH CLEAN.raw OUT.raw [OUT.raw ...] [--frames I,J,...]
      Raw GRAY8 clips (frames of W*H bytes, no row padding) against the clean
      clip, frame by frame over the frames both hold; prints one line per OUT:
      "OUT n mean_psnr flicker [psnr_I psnr_J ...]".  PSNR as `vae psnr`, per
      frame, then averaged.  flicker: with e_t = out_t - clean_t (8-bit units),
      the mean over pixels and over the n-1 consecutive pairs of
      |e_t - e_(t-1)|, i.e. how much the error changes from frame to frame
      (nan for one frame).  --frames: also the PSNR of those frames (0-based).
  eval_util.py clip-split WxH CLEAN.raw OUT.raw OUT.raw [OUT.raw ...]
      One method's outputs on K >= 2 independent noise draws of the same
      clip: how much of its error is systematic (the same for every draw:
      lost detail) and how much random (left-over noise).  Prints "K n
      psnr flicker share sys_psnr sys_flicker": psnr and flicker as `clip`
      gives them, averaged over the draws; share, the systematic part of
      the mean squared error over all frames (bias² = (K·MSE(mean of the
      outputs) − mean of the MSEs) / (K − 1), unbiased); sys_psnr, the
      PSNR of that bias² alone; sys_flicker, the flicker of the mean of the
      outputs (which still holds 1/K of the random part's variance).
  eval_util.py rgb-noise CLEAN_DIR OUT_DIR SIGMA
      RGB Gaussian noise on every PNG of CLEAN_DIR (sorted by name): image i
      (1-based) gets numpy default_rng(seed=i).normal(0, SIGMA, (h, w, 3)),
      rounded and clipped to 8 bits, saved as OUT_DIR/<name>.png (RGB).
      Prints "n psnr_8bit psnr_float": the mean PSNR of the saved noisy
      images and of the same noise as floats, neither rounded nor clipped
      (the papers' protocol input).
  eval_util.py rgb-metrics CLEAN_DIR DIR [DIR ...]
      As metrics, for RGB PNGs: PSNR over the three channels (8-bit, peak
      255, per image, then averaged); prints "DIR n mean_psnr".
  eval_util.py rgb-psnr A.png B.png
      PSNR of one RGB pair, over the three channels.
  eval_util.py rgb-clip-noise WxH CLEAN.raw SIGMA OUT.raw
      RGB noise on a raw rgb24 clip (W*H*3 bytes a frame): frame t (0-based)
      gets default_rng(seed=t+1).normal(0, SIGMA, (h, w, 3)), rounded and
      clipped.
  eval_util.py rgb-clip WxH CLEAN.raw OUT.raw [OUT.raw ...]
      Raw rgb24 clips against the clean one, frame by frame over the frames
      both hold: "OUT n mean_psnr" (PSNR over the three channels per frame,
      then averaged).
  eval_util.py rgb-noise-one CLEAN.png OUT.png SIGMA SEED
      RGB noise on one PNG: default_rng(SEED).normal(0, SIGMA, (h, w, 3)),
      rounded and clipped.
  eval_util.py rgb-strip OUT.png WxH+X+Y A.png B.png [C.png ...]
      strip for colour pictures (any PNG, drawn as RGB).
  eval_util.py frey-idx FREY.mat OUT.idx --val-fraction 0.1
      Writes the images that `vae train --data frey:… --val-fraction F` holds
      out (the last floor(n*F) of the file) as an IDX3 ubyte file (28 rows x 20).
  eval_util.py binarize-idx IN.idx[.gz] OUT.idx [--seed 1]
      Stochastic binarisation, drawn once: each pixel becomes 255 with
      probability value/255, else 0 (numpy default_rng(seed)).
  eval_util.py subset-idx IN.idx[.gz] OUT.idx N
      N images evenly spaced over the file (indices i*n//N), as an IDX3 file:
      MNIST's test file puts its easier half first, so the first N would be
      biased.
  eval_util.py strip OUT.png WxH+X+Y A.png B.png [C.png ...]
      The same crop of each image side by side with 2-pixel white gaps (the
      layout of `vae compare`).
  eval_util.py shrink PNG [MAX_BYTES]
      When an 8-bit gray PNG is over MAX_BYTES (100 KiB), re-encodes it with
      fewer grey levels (128, 64, 32, 16) until it fits; an RGB one with an
      adaptive palette of 256, 128 or 64 colours; prints what it did.
  eval_util.py curves OUT.png CSV [CSV ...]
      Training curves (loss and val_loss against step) from `vae train --log`
      CSV files; needs matplotlib.
"""
import csv
import math
import os
import struct
import sys

import numpy as np


def load_gray(path):
    from PIL import Image
    im = Image.open(path)
    if im.mode not in ("L", "I;16", "I"):
        im = im.convert("L")
    a = np.asarray(im)
    if a.dtype != np.uint8:
        raise SystemExit(f"{path}: not an 8-bit gray image ({im.mode})")
    return a


def psnr(a, b):
    d = a.astype(np.float64) - b.astype(np.float64)
    se = float(np.sum(d * d))
    if se == 0.0:
        return math.inf
    return 10.0 * math.log10(255.0 * 255.0 * a.size / se)


_R = 5
_g = np.exp(-(np.arange(-_R, _R + 1) ** 2) / (2 * 1.5 * 1.5))
_g /= _g.sum()


def _filt_valid(x):
    """Separable 11x11 Gaussian, 'valid' output (h-10, w-10)."""
    h, w = x.shape
    t = np.zeros((h, w - 2 * _R))
    for k in range(2 * _R + 1):
        t += _g[k] * x[:, k:k + w - 2 * _R]
    o = np.zeros((h - 2 * _R, w - 2 * _R))
    for k in range(2 * _R + 1):
        o += _g[k] * t[k:k + h - 2 * _R, :]
    return o


def ssim(a, b):
    a = a.astype(np.float64) / 255.0
    b = b.astype(np.float64) / 255.0
    if min(a.shape) <= 2 * _R:
        return 1.0
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    ma, mb = _filt_valid(a), _filt_valid(b)
    saa = _filt_valid(a * a) - ma * ma
    sbb = _filt_valid(b * b) - mb * mb
    sab = _filt_valid(a * b) - ma * mb
    m = ((2 * ma * mb + c1) * (2 * sab + c2)) / ((ma * ma + mb * mb + c1) * (saa + sbb + c2))
    return float(m.mean())


def cmd_metrics(args):
    clean_dir, dirs = args[0], args[1:]
    names = sorted(f for f in os.listdir(clean_dir) if f.endswith(".png"))
    clean = {}
    for d in dirs:
        ps, ss = [], []
        for n in names:
            p = os.path.join(d, n)
            if not os.path.exists(p):
                continue
            if n not in clean:
                clean[n] = load_gray(os.path.join(clean_dir, n))
            x = load_gray(p)
            if x.shape != clean[n].shape:
                raise SystemExit(f"{p}: {x.shape} vs clean {clean[n].shape}")
            ps.append(psnr(x, clean[n]))
            ss.append(ssim(x, clean[n]))
        if ps:
            print(f"{d} {len(ps)} {sum(ps) / len(ps):.4f} {sum(ss) / len(ss):.5f}")
        else:
            print(f"{d} 0 nan nan")


def read_clip(path, w, h):
    x = np.fromfile(path, np.uint8)
    if x.size % (w * h):
        raise SystemExit(f"{path}: {x.size} bytes, not whole {w}x{h} GRAY8 frames")
    return x.reshape(-1, h, w)


def flicker(e):
    """Mean |e_t - e_(t-1)| of an error clip (nan for one frame)."""
    return float(np.abs(np.diff(e, axis=0)).mean()) if len(e) > 1 else math.nan


def cmd_clip_split(args):
    w, h = (int(v) for v in args[0].lower().split("x"))
    clean = read_clip(args[1], w, h).astype(np.float64)
    outs = [read_clip(p, w, h) for p in args[2:]]
    n = min([len(clean)] + [len(x) for x in outs])
    clean, k = clean[:n], len(outs)
    ps, fl, mse, mean = [], [], [], np.zeros_like(clean)
    for x in outs:
        e = x[:n].astype(np.float64) - clean
        ps.append(sum(psnr(x[t], clean[t]) for t in range(n)) / n)
        fl.append(flicker(e))
        mse.append(float(np.mean(e * e)))
        mean += x[:n] / k
    m = mean - clean
    total = sum(mse) / k
    bias2 = max(0.0, (k * float(np.mean(m * m)) - total) / (k - 1))
    sys_psnr = 10.0 * math.log10(255.0 * 255.0 / bias2) if bias2 > 0 else math.inf
    print(f"{k} {n} {sum(ps) / k:.4f} {sum(fl) / k:.4f} {bias2 / total:.4f} "
          f"{sys_psnr:.4f} {flicker(m):.4f}")


def cmd_clip(args):
    frames = []
    if "--frames" in args:
        i = args.index("--frames")
        frames = [int(v) for v in args[i + 1].split(",") if v]
        args = args[:i] + args[i + 2:]
    w, h = (int(v) for v in args[0].lower().split("x"))
    clean = read_clip(args[1], w, h)
    for path in args[2:]:
        x = read_clip(path, w, h)
        n = min(len(x), len(clean))
        ps = [psnr(x[t], clean[t]) for t in range(n)]
        fl = flicker(x[:n].astype(np.int16) - clean[:n].astype(np.int16))
        sel = " ".join(f"{ps[t]:.4f}" if t < n else "nan" for t in frames)
        print(f"{path} {n} {sum(ps) / n:.4f} {fl:.4f}" + (" " + sel if sel else ""))


def load_rgb(path):
    from PIL import Image
    im = Image.open(path)
    if im.mode != "RGB":
        raise SystemExit(f"{path}: not an 8-bit RGB image ({im.mode})")
    return np.asarray(im)


def rgb_noise(clean, sigma, seed):
    """-> (8-bit noisy, float noisy) of an (..., 3) uint8 array."""
    f = clean + np.random.default_rng(seed=seed).normal(0.0, sigma, clean.shape)
    return np.clip(np.rint(f), 0, 255).astype(np.uint8), f


def psnr_float(f, clean):
    d = f - clean.astype(np.float64)
    return 10.0 * math.log10(255.0 * 255.0 * d.size / float(np.sum(d * d)))


def cmd_rgb_noise(args):
    from PIL import Image
    clean_dir, out_dir, sigma = args[0], args[1], float(args[2])
    names = sorted(f for f in os.listdir(clean_dir) if f.endswith(".png"))
    os.makedirs(out_dir, exist_ok=True)
    p8, pf = [], []
    for i, n in enumerate(names, 1):
        c = load_rgb(os.path.join(clean_dir, n))
        u8, f = rgb_noise(c, sigma, i)
        Image.fromarray(u8).save(os.path.join(out_dir, n), compress_level=1)
        p8.append(psnr(u8, c))
        pf.append(psnr_float(f, c))
    print(f"{len(names)} {sum(p8) / len(p8):.4f} {sum(pf) / len(pf):.4f}")


def cmd_rgb_metrics(args):
    clean_dir, dirs = args[0], args[1:]
    names = sorted(f for f in os.listdir(clean_dir) if f.endswith(".png"))
    clean = {}
    for d in dirs:
        ps = []
        for n in names:
            p = os.path.join(d, n)
            if not os.path.exists(p):
                continue
            if n not in clean:
                clean[n] = load_rgb(os.path.join(clean_dir, n))
            x = load_rgb(p)
            if x.shape != clean[n].shape:
                raise SystemExit(f"{p}: {x.shape} vs clean {clean[n].shape}")
            ps.append(psnr(x, clean[n]))
        print(f"{d} {len(ps)} {sum(ps) / len(ps):.4f}" if ps else f"{d} 0 nan")


def read_rgb_clip(path, w, h):
    x = np.fromfile(path, np.uint8)
    if x.size % (w * h * 3):
        raise SystemExit(f"{path}: {x.size} bytes, not whole {w}x{h} rgb24 frames")
    return x.reshape(-1, h, w, 3)


def cmd_rgb_clip_noise(args):
    w, h = (int(v) for v in args[0].lower().split("x"))
    clean = read_rgb_clip(args[1], w, h)
    sigma = float(args[2])
    with open(args[3], "wb") as f:
        for t in range(len(clean)):
            f.write(rgb_noise(clean[t], sigma, t + 1)[0].tobytes())


def cmd_rgb_clip(args):
    w, h = (int(v) for v in args[0].lower().split("x"))
    clean = read_rgb_clip(args[1], w, h)
    for path in args[2:]:
        x = read_rgb_clip(path, w, h)
        n = min(len(x), len(clean))
        ps = [psnr(x[t], clean[t]) for t in range(n)]
        print(f"{path} {n} {sum(ps) / n:.4f}" if n else f"{path} 0 nan")


def cmd_frey_idx(args):
    src, out = args[0], args[1]
    frac = 0.1
    if len(args) >= 4 and args[2] == "--val-fraction":
        frac = float(args[3])
    data = open(src, "rb").read()
    off, img = 184, 560
    if data[:6] != b"MATLAB" or (len(data) - off) % img:
        raise SystemExit(f"{src}: not the Frey Face .mat")
    n = (len(data) - off) // img
    hold = int(n * frac)          # as tools/vae.c: (int) (train.n * a.val_fraction)
    first = n - hold
    body = data[off + first * img:]
    with open(out, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, hold, 28, 20))
        f.write(body)
    print(f"{out}: Frey images {first}..{n - 1} ({hold} of {n})")


def read_idx(src):
    import gzip
    op = gzip.open if src.endswith(".gz") else open
    with op(src, "rb") as f:
        data = f.read()
    magic, n, h, w = struct.unpack(">IIII", data[:16])
    if magic != 0x803:
        raise SystemExit(f"{src}: not an IDX3 ubyte file")
    return np.frombuffer(data, dtype=np.uint8, count=n * h * w, offset=16).reshape(n, h, w)


def write_idx(out, x):
    with open(out, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, *x.shape))
        f.write(np.ascontiguousarray(x, dtype=np.uint8).tobytes())


def cmd_subset_idx(args):
    x = read_idx(args[0])
    want = int(args[2])
    n = x.shape[0]
    want = max(1, min(want, n))
    idx = (np.arange(want) * n) // want       # evenly spaced, from 0
    write_idx(args[1], x[idx])
    print(f"{args[1]}: {want} of {n} images, evenly spaced (indices i*{n}//{want})")


def cmd_binarize_idx(args):
    import gzip
    src, out = args[0], args[1]
    seed = int(args[3]) if len(args) >= 4 and args[2] == "--seed" else 1
    op = gzip.open if src.endswith(".gz") else open
    with op(src, "rb") as f:
        data = f.read()
    magic, n, h, w = struct.unpack(">IIII", data[:16])
    if magic != 0x803:
        raise SystemExit(f"{src}: not an IDX3 ubyte file")
    x = np.frombuffer(data, dtype=np.uint8, count=n * h * w, offset=16)
    rng = np.random.default_rng(seed)
    b = np.where(rng.random(x.shape) < x / 255.0, 255, 0).astype(np.uint8)
    with open(out, "wb") as f:
        f.write(data[:16])
        f.write(b.tobytes())
    print(f"{out}: {n} images binarized (seed {seed})")


def cmd_strip(args):
    from PIL import Image
    out, crop, files = args[0], args[1], args[2:]
    wh, x, y = crop.split("+")
    w, h = (int(v) for v in wh.split("x"))
    x, y = int(x), int(y)
    ims = [load_gray(f)[y:y + h, x:x + w] for f in files]
    gap = np.full((ims[0].shape[0], 2), 255, np.uint8)
    row = [ims[0]]
    for im in ims[1:]:
        row += [gap, im]
    Image.fromarray(np.hstack(row)).save(out, optimize=True)


def cmd_rgb_noise_one(args):
    from PIL import Image
    clean, out, sigma, seed = args[0], args[1], float(args[2]), int(args[3])
    x = load_rgb(clean).astype(np.float64)
    n = np.random.default_rng(seed).normal(0, sigma, x.shape)
    Image.fromarray(np.clip(np.round(x + n), 0, 255).astype(np.uint8)).save(out)


def cmd_rgb_strip(args):
    from PIL import Image
    out, crop, files = args[0], args[1], args[2:]
    wh, x, y = crop.split("+")
    w, h = (int(v) for v in wh.split("x"))
    x, y = int(x), int(y)
    ims = [np.asarray(Image.open(f).convert("RGB"))[y:y + h, x:x + w]
           for f in files]
    gap = np.full((ims[0].shape[0], 2, 3), 255, np.uint8)
    row = [ims[0]]
    for im in ims[1:]:
        row += [gap, im]
    Image.fromarray(np.hstack(row)).save(out, optimize=True)


def cmd_shrink(args):
    from PIL import Image
    path = args[0]
    limit = int(args[1]) if len(args) > 1 else 100 * 1024
    if os.path.getsize(path) <= limit:
        return
    if Image.open(path).mode == "RGB":
        # colour: an adaptive palette, fewer colours until it fits
        im = Image.open(path).convert("RGB")
        for colours in (256, 128, 64):
            im.quantize(colours, dither=Image.Dither.NONE).save(path, optimize=True)
            if os.path.getsize(path) <= limit:
                break
        print(f"{os.path.basename(path)}: {os.path.getsize(path) // 1024} KB"
              f" with {colours} colours")
        return
    a = load_gray(path).astype(np.int32)
    Image.fromarray(a.astype(np.uint8)).save(path, optimize=True)
    for levels in (None, 128, 64, 32, 16):
        if levels:
            q = ((a * (levels - 1) + 127) // 255) * 255 // (levels - 1)
            Image.fromarray(q.astype(np.uint8)).save(path, optimize=True)
        if os.path.getsize(path) <= limit:
            break
    print(f"{os.path.basename(path)}: {os.path.getsize(path) // 1024} KB"
          + (f" with {levels} grey levels" if levels else ", re-encoded"))


def cmd_curves(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out, files = args[0], args[1:]
    n = len(files)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows), dpi=80,
                             squeeze=False)
    for ax, path in zip(axes.flat, files):
        steps, loss, vsteps, vloss = [], [], [], []
        with open(path) as f:
            for r in csv.DictReader(f):
                try:
                    s = float(r["step"])
                except (KeyError, ValueError):
                    continue
                if r.get("loss") not in (None, "", "nan"):
                    steps.append(s)
                    loss.append(float(r["loss"]))
                if r.get("val_loss") not in (None, "", "nan"):
                    try:
                        v = float(r["val_loss"])
                    except ValueError:
                        continue
                    if math.isfinite(v):
                        vsteps.append(s)
                        vloss.append(v)
        ax.plot(steps, loss, lw=1, label="train")
        if vloss:
            ax.plot(vsteps, vloss, lw=1, label="validation")
        # the first steps' loss would flatten the rest: scale to what follows them
        tail = [v for st, v in zip(steps + vsteps, loss + vloss)
                if steps and st >= steps[0] + 0.03 * (steps[-1] - steps[0])]
        if tail:
            lo, hi = min(tail), max(tail)
            pad = 0.08 * (hi - lo or abs(hi) or 1.0)
            ax.set_ylim(lo - pad, hi + pad)
        ax.set_title(os.path.basename(path)[:-4], fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.set_ylabel("loss per sample", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out)
    print(out)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "metrics" and len(args) >= 2:
        cmd_metrics(args)
    elif cmd == "ssim" and len(args) == 2:
        a, b = load_gray(args[0]), load_gray(args[1])
        print(f"{psnr(a, b):.4f} {ssim(a, b):.5f}")
    elif cmd == "clip" and len(args) >= 3:
        cmd_clip(args)
    elif cmd == "clip-split" and len(args) >= 4:
        cmd_clip_split(args)
    elif cmd == "rgb-noise" and len(args) == 3:
        cmd_rgb_noise(args)
    elif cmd == "rgb-metrics" and len(args) >= 2:
        cmd_rgb_metrics(args)
    elif cmd == "rgb-psnr" and len(args) == 2:
        print(f"{psnr(load_rgb(args[0]), load_rgb(args[1])):.4f}")
    elif cmd == "rgb-clip-noise" and len(args) == 4:
        cmd_rgb_clip_noise(args)
    elif cmd == "rgb-clip" and len(args) >= 3:
        cmd_rgb_clip(args)
    elif cmd == "rgb-noise-one" and len(args) == 4:
        cmd_rgb_noise_one(args)
    elif cmd == "rgb-strip" and len(args) >= 4:
        cmd_rgb_strip(args)
    elif cmd == "frey-idx" and len(args) >= 2:
        cmd_frey_idx(args)
    elif cmd == "binarize-idx" and len(args) >= 2:
        cmd_binarize_idx(args)
    elif cmd == "subset-idx" and len(args) == 3:
        cmd_subset_idx(args)
    elif cmd == "strip" and len(args) >= 4:
        cmd_strip(args)
    elif cmd == "shrink" and len(args) >= 1:
        cmd_shrink(args)
    elif cmd == "curves" and len(args) >= 2:
        cmd_curves(args)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
