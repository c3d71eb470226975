#!/usr/bin/python3
"""torch_vae_amp.py - the PyTorch peer of `vae train --precision bf16`.

The shared peer (../shared/tools/torch_vae_peer.py: its model, loss, data
loader and thread set-up are imported, not copied) trained under
torch.autocast("cpu", dtype=torch.bfloat16): PyTorch's own mixed precision,
the Linear layers' products in bf16, the loss in float.  Same arguments and
RESULT line as the peer.

    /usr/bin/python3 bench/torch_vae_amp.py --peer ../shared/tools/torch_vae_peer.py \
        --threads 1 --epochs 2 --mnist ../shared/data/mnist/train-images-idx3-ubyte.gz
"""
import argparse
import importlib.util
import os
import sys
import time


def load_peer(path):
    # the peer sets OMP_NUM_THREADS / OPENBLAS_NUM_THREADS from sys.argv
    # when it is loaded, before torch is
    spec = importlib.util.spec_from_file_location("torch_vae_peer", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer", required=True, help="path of torch_vae_peer.py")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--blas-threads", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--mnist", default=None)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    peer = load_peer(args.peer)
    torch = peer.torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.mnist:
        data = peer.load_mnist_idx(args.mnist)[: args.samples]
    else:
        data = torch.rand(args.samples, 784)
    n = data.shape[0]
    model = peer.VAE(784, 400, 20)
    opt = peer.optim.Adam(model.parameters(), lr=1e-3)
    print(f"# torch {torch.__version__} threads={torch.get_num_threads()} autocast bf16 "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}")

    times = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(n)
        total = 0.0
        t0 = time.perf_counter()
        for i in range(0, n, args.batch):
            x = data[perm[i : i + args.batch]]
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                recon, mu, logvar = model(x)
            loss = peer.loss_function(recon.float(), x, mu.float(), logvar.float())
            loss.backward()
            total += loss.item()
            opt.step()
        dt = time.perf_counter() - t0
        times.append(dt)
        print(f"epoch {epoch}: {dt:.3f} s  ({n / dt:.0f} samples/s)  avg loss {total / n:.4f}")
    print(f"RESULT torch_vae_amp threads={args.threads} batch={args.batch} first_epoch_s={times[0]:.3f} "
          f"best_epoch_s={min(times):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
