#!/usr/bin/python3
"""torch_mnist_vae.py - the PyTorch side of the MNIST VAE comparison.

The pytorch/examples VAE protocol (784-400-20-400-784, ReLU, Bernoulli
decoder, loss = BCE summed over pixels + KL, Adam 1e-3, batch 128), trained
on the full 60k MNIST training set and scored after every epoch on the 10k
test set as that example does (one z draw per test image, loss per image).
Prints one line per epoch so it can sit beside `vae train`'s validation
column for the same protocol.

    /usr/bin/python3 tools/torch_mnist_vae.py --data ../shared/data/mnist --epochs 10
"""
import argparse
import gzip
import os
import struct
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn, optim  # noqa: E402


def load(path):
    with gzip.open(path, "rb") as f:
        magic, n, r, c = struct.unpack(">IIII", f.read(16))
        assert magic == 2051
        x = torch.frombuffer(bytearray(f.read(n * r * c)), dtype=torch.uint8)
    return x.view(n, r * c).float() / 255.0


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def loss_fn(xr, x, mu, logvar):
    return (F.binary_cross_entropy(xr, x, reduction="sum")
            - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder with the MNIST idx .gz files")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train = load(os.path.join(a.data, "train-images-idx3-ubyte.gz"))
    test = load(os.path.join(a.data, "t10k-images-idx3-ubyte.gz"))
    model = VAE()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, a.epochs + 1):
        t0 = time.time()
        model.train()
        perm = torch.randperm(train.shape[0])
        total = 0.0
        for i in range(0, train.shape[0], 128):
            x = train[perm[i:i + 128]]
            opt.zero_grad()
            xr, mu, lv = model(x)
            loss = loss_fn(xr, x, mu, lv)
            loss.backward()
            total += loss.item()
            opt.step()
        secs = time.time() - t0
        model.eval()
        with torch.no_grad():
            tl = 0.0
            for i in range(0, test.shape[0], 128):
                x = test[i:i + 128]
                xr, mu, lv = model(x)
                tl += loss_fn(xr, x, mu, lv).item()
        print(f"epoch {epoch:2d}  train {total / train.shape[0]:.4f}  "
              f"test {tl / test.shape[0]:.4f}  {secs:.1f} s", flush=True)


if __name__ == "__main__":
    main()
