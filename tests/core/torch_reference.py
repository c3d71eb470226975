#!/usr/bin/python3
"""PyTorch reference check of the C core (llm.c's test_gpt2 habit).

    torch_reference.py VAE_TOOL GRAD_DUMP

On identical weights and inputs, compares the C library's forward outputs,
loss and every parameter gradient (one vae_model_loss_grad call, dumped by
GRAD_DUMP) with PyTorch autograd in float64, for a 784-400-20-400-784
Bernoulli VAE with fixed eps (beta 1 and 0.5), a Gaussian VAE, a sparse AE,
a residual noise-conditional DAE, a deep Bernoulli AE, a DAE trained and
written by `vae train` (so the Python reader is checked against the C
writer, as the C reader is checked against the Python writer here), and
convolutional DAEs against F.conv2d (one trained by `vae train` too).

Loss conventions (vae.h, core/train.c): per-sample sums averaged over the
batch; AE/DAE Gaussian loss 1/2 |y - t|^2 in normalised units
(t = (x - mean) / scale; residual: t = x_in_norm - target_norm); VAE
Gaussian NLL in data units with obs_sigma, plus 1/2 D log(2 pi sigma^2);
Bernoulli BCE from logits; sparse penalty beta * sum KL(rho || rho_hat)
with rho_hat clamped to [1e-6, 1 - 1e-6]; the noise-conditional input
feature is level / norm_scale.

Convolutional DAEs (conv_depth > 0, vae.h): conv_depth 'same' zero-padded
k x k convolutions, stride 1, `act` after all but the last (one channel);
input channels the normalised patch and, when noise_input, the constant
map level / norm_scale (zero-padded like any channel).  Layer L's weight is
(c_out, k*k*c_in), the row-major (c_out, k, k, c_in): a conv2d weight W_t
(c_out, c_in, k, k) is W_t.permute(0, 2, 3, 1).reshape(c_out, -1).  Loss
as for the dense DAE, per patch summed over its pixels.

Prints the max difference per tensor; fails when any exceeds TOL relative
to the tensor's largest reference value.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"SKIP: PyTorch/numpy not importable ({e}); install python3-torch")
    sys.exit(77)

TOL = 1e-4
FORMAT = "gst-vae/1"
ACTS = ("identity", "relu", "lrelu", "sigmoid", "tanh")
failures = []


def f32(v):
    """A float as the C side holds it after parsing."""
    return float(np.float32(v))


# ------------------------------------------------------------- file format

def layer_shapes(cfg):
    """(n_out, n_in, act) per layer, as core/model.c builds them."""
    if cfg.get("conv_depth", 0) > 0:
        depth, width = cfg["conv_depth"], cfg["conv_width"]
        kk = cfg["conv_kernel"] ** 2
        shapes = []
        for l in range(depth):
            ci = (2 if cfg["noise_input"] else 1) if l == 0 else width
            last = l == depth - 1
            shapes.append((1 if last else width, kk * ci,
                           "identity" if last else cfg["act"]))
        return shapes, depth - 1
    n_in = cfg["img_w"] * cfg["img_h"]
    K = cfg["latent"]
    vae = cfg["kind"] == "vae"
    widths = [n_in + (1 if cfg["noise_input"] else 0)] + list(cfg["enc"])
    widths.append(2 * K if vae else K)
    n_enc = len(widths) - 1
    widths += list(cfg["dec"]) + [n_in]
    shapes = []
    for l in range(len(widths) - 1):
        ni = K if (vae and l == n_enc) else widths[l]
        if l == len(widths) - 2:
            act = "identity"
        elif l == n_enc - 1:
            act = "identity" if vae else cfg["code_act"]
        else:
            act = cfg["act"]
        shapes.append((widths[l + 1], ni, act))
    return shapes, n_enc


def full_config(**kw):
    """conv_depth, conv_width, conv_kernel only when given (dense files have
    none of them)."""
    cfg = dict(kind="ae", likelihood="gaussian", img_w=8, img_h=8, enc=[],
               latent=16, dec=[], act="relu", code_act="identity",
               obs_sigma=0.1, sparse_rho=0.05, sparse_beta=3.0, noise="none",
               noise_min=0.0, noise_max=0.0, residual=0, noise_input=0,
               norm_mean=0.0, norm_scale=1.0)
    cfg.update(kw)
    if cfg.get("conv_depth", 0) > 0:
        cfg["latent"] = cfg["conv_width"]
    for k in ("obs_sigma", "sparse_rho", "sparse_beta", "noise_min",
              "noise_max", "norm_mean", "norm_scale"):
        cfg[k] = f32(cfg[k])
    return cfg


def write_model(path, cfg, params):
    """safetensors: u64 LE header length, JSON header, raw F32 LE data."""
    header = {"__metadata__": {"format": FORMAT, "config": json.dumps(cfg),
                               "written_by": "torch_reference.py"}}
    blobs, off = [], 0
    for l, (w, b) in enumerate(params):
        for name, t in (("weight", w), ("bias", b)):
            raw = np.ascontiguousarray(t, dtype="<f4").tobytes()
            header[f"layers.{l}.{name}"] = {"dtype": "F32",
                                            "shape": list(t.shape),
                                            "data_offsets": [off, off + len(raw)]}
            blobs.append(raw)
            off += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_model(path):
    with open(path, "rb") as f:
        blob = f.read()
    (hlen,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + hlen])
    meta = header.pop("__metadata__")
    assert meta["format"] == FORMAT, meta["format"]
    cfg = json.loads(meta["config"])
    data = blob[8 + hlen:]
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", t["dtype"]
        a, b = t["data_offsets"]
        tensors[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(t["shape"])
    shapes, _ = layer_shapes(cfg)
    params = []
    for l, (no, ni, _) in enumerate(shapes):
        w, b = tensors[f"layers.{l}.weight"], tensors[f"layers.{l}.bias"]
        assert w.shape == (no, ni) and b.shape == (no,), (l, w.shape, b.shape)
        params.append((w.astype(np.float32), b.astype(np.float32)))
    return cfg, params


def random_params(cfg, rng):
    shapes, n_enc = layer_shapes(cfg)
    params = []
    for l, (no, ni, _) in enumerate(shapes):
        a = np.sqrt(6.0 / (ni + no))
        w = rng.uniform(-a, a, size=(no, ni)).astype(np.float32)
        b = rng.uniform(-0.1, 0.1, size=no).astype(np.float32)
        if cfg["kind"] == "vae" and l == n_enc - 1:
            w[cfg["latent"]:] *= 0.3   # keep log sigma^2 moderate
        params.append((w, b))
    return params


# ------------------------------------------------------------- reference

def act_fn(name, h):
    if name == "relu":
        return torch.relu(h)
    if name == "lrelu":
        return F.leaky_relu(h, 0.01)
    if name == "sigmoid":
        return torch.sigmoid(h)
    if name == "tanh":
        return torch.tanh(h)
    return h


def reference(cfg, params, x_in, x_t, level, eps, beta):
    """Loss, gradients and forward outputs in float64."""
    if cfg.get("conv_depth", 0) > 0:
        return reference_conv(cfg, params, x_in, x_t, level)
    shapes, n_enc = layer_shapes(cfg)
    K, D = cfg["latent"], cfg["img_w"] * cfg["img_h"]
    mean, scale = cfg["norm_mean"], cfg["norm_scale"]
    vae = cfg["kind"] == "vae"
    Ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True)
          for w, _ in params]
    bs = [torch.tensor(b, dtype=torch.float64, requires_grad=True)
          for _, b in params]
    X = torch.tensor(x_in, dtype=torch.float64)
    T = torch.tensor(x_t, dtype=torch.float64)
    B = X.shape[0]

    def net_input(lv):
        xn = (X - mean) / scale
        if cfg["noise_input"]:
            xn = torch.cat([xn, torch.tensor(lv, dtype=torch.float64)[:, None]
                            / scale], 1)
        return xn

    def run(h, l0, l1):
        for l in range(l0, l1):
            h = act_fn(shapes[l][2], h @ Ws[l].T + bs[l])
        return h

    def to_data(y, xn):
        if cfg["likelihood"] == "bernoulli":
            return torch.sigmoid(y)
        if cfg["residual"]:
            return (xn[:, :D] - y) * scale + mean
        return y * scale + mean

    lv_in = level if level is not None else np.zeros(B, np.float32)
    xn = net_input(lv_in)
    code = run(xn, 0, n_enc)
    if vae:
        mu, logvar = code[:, :K], code[:, K:]
        z = mu + torch.exp(0.5 * logvar) * torch.tensor(eps, dtype=torch.float64)
        y = run(z, n_enc, len(shapes))
    else:
        y = run(code, n_enc, len(shapes))

    if cfg["likelihood"] == "bernoulli":
        rec = F.binary_cross_entropy_with_logits(y, T, reduction="none").sum(1)
    elif vae:
        s2 = cfg["obs_sigma"] ** 2
        rec = (0.5 * ((y * scale + mean - T) ** 2) / s2).sum(1) \
            + 0.5 * D * np.log(2 * np.pi * s2)
    else:
        t = (T - mean) / scale
        if cfg["residual"]:
            t = xn[:, :D] - t
        rec = 0.5 * ((y - t) ** 2).sum(1)
    rec = rec.mean()
    if vae:
        kl = (-0.5 * (1 + logvar - mu ** 2 - torch.exp(logvar))).sum(1).mean()
        loss = rec + beta * kl
    elif cfg["kind"] == "sparse-ae":
        rho = cfg["sparse_rho"]
        rh = torch.clamp(code.mean(0), 1e-6, 1 - 1e-6)
        kl = cfg["sparse_beta"] * (rho * torch.log(rho / rh)
                                   + (1 - rho) * torch.log((1 - rho) / (1 - rh))).sum()
        loss = rec + kl
    else:
        kl = torch.zeros((), dtype=torch.float64)
        loss = rec
    loss.backward()

    out = {"loss": np.array([loss.item(), rec.item(), kl.item()])}
    for l in range(len(shapes)):
        out[f"grad.layers.{l}.weight"] = Ws[l].grad.numpy()
        out[f"grad.layers.{l}.bias"] = bs[l].grad.numpy()

    # forward outputs as the inference API gives them
    with torch.no_grad():
        xn0 = net_input(np.zeros(B, np.float32))     # vae_encode: level 0
        c0 = run(xn0, 0, n_enc)
        out["code"] = (c0[:, :K] if vae else c0).numpy()
        if vae:
            out["logvar"] = c0[:, K:].numpy()
            out["xhat"] = to_data(run(c0[:, :K], n_enc, len(shapes)), xn0).numpy()
            out["xhat_eps"] = to_data(y, xn).numpy()
        else:
            out["xhat"] = to_data(y, xn).numpy()
    return out


def reference_conv(cfg, params, x_in, x_t, level):
    """The same for a convolutional DAE, through F.conv2d (NCHW)."""
    shapes, _ = layer_shapes(cfg)
    k, H, W = cfg["conv_kernel"], cfg["img_h"], cfg["img_w"]
    mean, scale = cfg["norm_mean"], cfg["norm_scale"]
    # leaves in our layout (c_out, k*k*c_in), so their .grad is too
    Ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True)
          for w, _ in params]
    bs = [torch.tensor(b, dtype=torch.float64, requires_grad=True)
          for _, b in params]
    X = torch.tensor(x_in, dtype=torch.float64)
    T = torch.tensor(x_t, dtype=torch.float64)
    B = X.shape[0]

    def net_input(lv):
        xn = ((X - mean) / scale).reshape(B, 1, H, W)
        if cfg["noise_input"]:
            lm = torch.tensor(lv, dtype=torch.float64) / scale
            xn = torch.cat([xn, lm[:, None, None, None].expand(B, 1, H, W)], 1)
        return xn

    def run(h):
        for l, (no, ni, act) in enumerate(shapes):
            wt = Ws[l].reshape(no, k, k, ni // (k * k)).permute(0, 3, 1, 2)
            h = act_fn(act, F.conv2d(h, wt, bs[l], padding=k // 2))
        return h.reshape(B, H * W)

    def to_data(y, xn):
        if cfg["residual"]:
            return (xn[:, 0].reshape(B, H * W) - y) * scale + mean
        return y * scale + mean

    lv_in = level if level is not None else np.zeros(B, np.float32)
    xn = net_input(lv_in)
    y = run(xn)
    t = (T - mean) / scale
    if cfg["residual"]:
        t = xn[:, 0].reshape(B, H * W) - t
    rec = (0.5 * ((y - t) ** 2).sum(1)).mean()
    loss = rec
    loss.backward()

    out = {"loss": np.array([loss.item(), rec.item(), 0.0])}
    for l in range(len(shapes)):
        out[f"grad.layers.{l}.weight"] = Ws[l].grad.numpy()
        out[f"grad.layers.{l}.bias"] = bs[l].grad.numpy()
    with torch.no_grad():
        out["xhat"] = to_data(y, xn).numpy()
        xn1 = net_input(np.full(B, lv_in[0], np.float32))  # one level
        out["xhat_batch"] = to_data(run(xn1), xn1).numpy()
    return out


# ------------------------------------------------------------- comparison

def run_case(name, cfg, params, x_in, x_t, level, eps, beta, tool, dump,
             tmp, model_path=None):
    if model_path is None:
        model_path = os.path.join(tmp, "model.safetensors")
        write_model(model_path, cfg, params)
        # the C side must accept the file the Python writer made
        info = subprocess.run([tool, "info", model_path], capture_output=True,
                              text=True)
        if info.returncode != 0 or f"kind:        {cfg['kind']}" not in info.stdout:
            failures.append(f"{name}: vae info failed: {info.stderr.strip()}")
            print(f"{name}: vae info failed:\n{info.stdout}{info.stderr}")
            return
    B = x_in.shape[0]
    files = {"x_in": x_in, "x_t": x_t}
    if eps is not None:
        files["eps"] = eps
    if level is not None:
        files["level"] = level
    for k, v in files.items():
        np.ascontiguousarray(v, dtype="<f4").tofile(os.path.join(tmp, k + ".bin"))
    outdir = os.path.join(tmp, "out")
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        os.unlink(os.path.join(outdir, f))
    cmd = [dump, model_path, os.path.join(tmp, "x_in.bin"),
           os.path.join(tmp, "x_t.bin"), outdir, str(B), "--beta", repr(beta)]
    if eps is not None:
        cmd += ["--eps", os.path.join(tmp, "eps.bin")]
    if level is not None:
        cmd += ["--level", os.path.join(tmp, "level.bin")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        failures.append(f"{name}: grad_dump failed: {r.stderr.strip()}")
        print(f"{name}: grad_dump failed: {r.stderr}")
        return

    ref = reference(cfg, params, x_in, x_t, level, eps, beta)
    n_params = sum(w.size + b.size for w, b in params)
    print(f"{name}: {len(params)} layers, {n_params} parameters, batch {B}")
    worst = 0.0
    for key, want in ref.items():
        path = os.path.join(outdir, key + ".f32")
        if not os.path.exists(path):
            failures.append(f"{name}: grad_dump wrote no {key}")
            continue
        got = np.fromfile(path, dtype="<f4").astype(np.float64)
        want = np.asarray(want, dtype=np.float64).reshape(-1)
        if got.shape != want.shape:
            failures.append(f"{name}: {key} has {got.size} values, want {want.size}")
            continue
        if key == "loss":
            # loss, rec and kl each against its own size
            pairs = [(f"loss.{n}", got[i:i + 1], want[i:i + 1])
                     for i, n in enumerate(("total", "rec", "kl"))]
        else:
            pairs = [(key, got, want)]
        for label, g, w in pairs:
            diff = np.abs(g - w).max()
            scale = max(np.abs(w).max(), 1e-6)
            rel = diff / scale
            worst = max(worst, rel)
            flag = "" if rel <= TOL else "   <-- FAIL"
            print(f"  {label:22s} max|diff| {diff:.3e}  (max|ref| {scale:.3e}, "
                  f"rel {rel:.2e}){flag}")
            if rel > TOL:
                failures.append(f"{name}: {label} differs by {rel:.2e} (relative)")
    print(f"  worst relative difference {worst:.2e}")


def main():
    if len(sys.argv) != 3:
        print("usage: torch_reference.py VAE_TOOL GRAD_DUMP")
        return 2
    tool, dump = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    rng = np.random.default_rng(20240501)
    with tempfile.TemporaryDirectory(prefix="vae-torch-") as tmp:
        # 1. Bernoulli VAE, 784-400-20-400-784, fixed eps, beta 1 and 0.5
        cfg = full_config(kind="vae", likelihood="bernoulli", img_w=28,
                          img_h=28, enc=[400], latent=20, dec=[400], act="relu")
        params = random_params(cfg, rng)
        B = 8
        x = (rng.random((B, 784)) < 0.3).astype(np.float32)
        eps = rng.standard_normal((B, 20)).astype(np.float32)
        for beta in (1.0, 0.5):
            run_case(f"VAE Bernoulli 784-400-20-400-784, beta {beta}", cfg,
                     params, x, x, None, eps, beta, tool, dump, tmp)

        # 2. Gaussian VAE with obs_sigma and normalisation, two hidden layers
        cfg = full_config(kind="vae", likelihood="gaussian", img_w=8, img_h=8,
                          enc=[48, 32], latent=6, dec=[40], act="tanh",
                          obs_sigma=0.2, norm_mean=0.4, norm_scale=0.3)
        params = random_params(cfg, rng)
        B = 6
        x = rng.uniform(0, 1, (B, 64)).astype(np.float32)
        eps = rng.standard_normal((B, 6)).astype(np.float32)
        run_case("VAE Gaussian 64-48-32-6-40-64, beta 0.5", cfg, params, x,
                 x, None, eps, 0.5, tool, dump, tmp)

        # 3. sparse AE: sigmoid code, KL sparsity penalty
        cfg = full_config(kind="sparse-ae", img_w=8, img_h=8, enc=[48],
                          latent=24, dec=[48], act="lrelu", code_act="sigmoid",
                          sparse_rho=0.05, sparse_beta=3.0, norm_mean=0.5,
                          norm_scale=0.2)
        params = random_params(cfg, rng)
        B = 10
        x = rng.uniform(0.1, 0.9, (B, 64)).astype(np.float32)
        run_case("sparse AE 64-48-24-48-64 (rho 0.05, beta 3)", cfg, params,
                 x, x, None, None, 0.0, tool, dump, tmp)

        # 4. residual, noise-conditional DAE on 8x8 patches
        cfg = full_config(kind="dae", img_w=8, img_h=8, enc=[96], latent=64,
                          dec=[96], act="relu", code_act="relu",
                          noise="gaussian", noise_min=0.0, noise_max=0.2,
                          residual=1, noise_input=1, norm_mean=0.45,
                          norm_scale=0.25)
        params = random_params(cfg, rng)
        B = 12
        clean = rng.uniform(0, 1, (B, 64)).astype(np.float32)
        level = rng.uniform(0.02, 0.2, B).astype(np.float32)
        noisy = (clean + level[:, None] * rng.standard_normal((B, 64))).astype(np.float32)
        run_case("residual DAE 65-96-64-96-64 (noise-conditional)", cfg,
                 params, noisy, clean, level, None, 0.0, tool, dump, tmp)

        # 5. deep Bernoulli AE, sigmoid hidden units, tanh code
        cfg = full_config(kind="ae", likelihood="bernoulli", img_w=8, img_h=8,
                          enc=[40, 30], latent=8, dec=[30, 40], act="sigmoid",
                          code_act="tanh")
        params = random_params(cfg, rng)
        B = 5
        x = rng.uniform(0, 1, (B, 64)).astype(np.float32)
        run_case("AE Bernoulli 64-40-30-8-30-40-64", cfg, params, x, x, None,
                 None, 0.0, tool, dump, tmp)

        # 6. a DAE trained and written by the vae tool, read here
        path = os.path.join(tmp, "trained.safetensors")
        r = subprocess.run([tool, "train", "--kind", "dae", "--data",
                            "synthetic:512", "--enc", "24", "--latent", "12",
                            "--dec", "24", "--act", "tanh", "--noise",
                            "gaussian", "--noise-min", "5", "--noise-max", "40",
                            "--residual", "--noise-input", "--norm-mean", "0.5",
                            "--norm-scale", "0.2", "--steps", "40", "--batch",
                            "32", "--out", path], capture_output=True,
                           text=True)
        if r.returncode != 0:
            failures.append(f"vae train failed: {r.stderr.strip()}")
            print(r.stderr)
        else:
            cfg, params = read_model(path)
            for k in ("obs_sigma", "sparse_rho", "sparse_beta", "noise_min",
                      "noise_max", "norm_mean", "norm_scale"):
                cfg[k] = f32(cfg[k])
            B = 7
            D = cfg["img_w"] * cfg["img_h"]
            clean = rng.uniform(0.2, 0.8, (B, D)).astype(np.float32)
            level = rng.uniform(0.02, 0.15, B).astype(np.float32)
            noisy = (clean + level[:, None] * rng.standard_normal((B, D))).astype(np.float32)
            run_case("DAE written by `vae train` (32-24-12-24-32)", cfg,
                     params, noisy, clean, level, None, 0.0, tool, dump, tmp,
                     model_path=path)

        # 7-9. convolutional DAEs against F.conv2d: (depth, width, kernel,
        # act, residual, noise_input, w x h, batch); 40x40 patches make the
        # core's 4096-row chunks split the batch of 4 in two
        for depth, width, k, act, res, ni, (pw, ph), B in (
                (3, 4, 3, "relu", 1, 1, (9, 7), 3),
                (2, 3, 5, "tanh", 0, 0, (6, 6), 2),
                (4, 5, 3, "lrelu", 1, 1, (40, 40), 4)):
            cfg = full_config(kind="dae", img_w=pw, img_h=ph, act=act,
                              noise="gaussian", noise_min=0.0, noise_max=0.2,
                              residual=res, noise_input=ni, norm_mean=0.45,
                              norm_scale=0.25, conv_depth=depth,
                              conv_width=width, conv_kernel=k)
            params = random_params(cfg, rng)
            D = pw * ph
            clean = rng.uniform(0, 1, (B, D)).astype(np.float32)
            level = rng.uniform(0.02, 0.2, B).astype(np.float32)
            noisy = (clean + level[:, None] * rng.standard_normal((B, D))).astype(np.float32)
            run_case(f"conv DAE {depth}x{k}x{k}x{width} {act}"
                     f"{', residual' if res else ''}"
                     f"{', noise-conditional' if ni else ''}, {pw}x{ph}",
                     cfg, params, noisy, clean, level if ni else None, None,
                     0.0, tool, dump, tmp)

        # 10. a convolutional DAE trained and written by the vae tool (its
        # conv_* keys read here); synthetic data are 32x1 planes
        path = os.path.join(tmp, "trained-conv.safetensors")
        r = subprocess.run([tool, "train", "--kind", "dae", "--data",
                            "synthetic:256", "--conv-depth", "2",
                            "--conv-width", "4", "--conv-kernel", "3",
                            "--act", "tanh", "--noise", "gaussian",
                            "--noise-min", "5", "--noise-max", "40",
                            "--residual", "--noise-input", "--norm-mean", "0.5",
                            "--norm-scale", "0.2", "--steps", "20", "--batch",
                            "16", "--out", path], capture_output=True,
                           text=True)
        if r.returncode != 0:
            failures.append(f"vae train --conv-depth failed: {r.stderr.strip()}")
            print(r.stderr)
        else:
            cfg, params = read_model(path)
            for k in ("obs_sigma", "sparse_rho", "sparse_beta", "noise_min",
                      "noise_max", "norm_mean", "norm_scale"):
                cfg[k] = f32(cfg[k])
            B = 5
            D = cfg["img_w"] * cfg["img_h"]
            clean = rng.uniform(0.2, 0.8, (B, D)).astype(np.float32)
            level = rng.uniform(0.02, 0.15, B).astype(np.float32)
            noisy = (clean + level[:, None] * rng.standard_normal((B, D))).astype(np.float32)
            run_case(f"conv DAE written by `vae train` (2x3x3x4, "
                     f"{cfg['img_w']}x{cfg['img_h']})", cfg, params, noisy,
                     clean, level, None, 0.0, tool, dump, tmp,
                     model_path=path)

    if failures:
        print(f"{len(failures)} failure(s):")
        for f in failures:
            print("  " + f)
        return 1
    print(f"all tensors within {TOL:g} (relative) of PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
