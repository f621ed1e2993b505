#!/usr/bin/env python3
"""The book's overfitting experiments (6.4.1–6.4.2) in numpy, on the data the notebook uses.

Trains the book's 7-layer ReLU network (6 × 100, He weights, SGD lr 0.01, batch 100) on the
first 300 training images of the notebook's data set (MNIST from the loader's cache by
default) for 201 epochs, without and with weight decay
(λ = 0.1), for several seeds, and prints the final train and test accuracy and their gap.
The layers are the numpy ones of scripts/bench_numpy.py (the book's algorithms written from
the formulas), so this checks that chapter 6's results come from the data set and not from
dlfs: its numbers should fall in the same range as the notebook's.

    .venv/bin/python scripts/book_overfit.py [--seeds 3] [--data ~/.cache/dlfs/mnist]
    (Fashion-MNIST: --data /usr/share/datasets/fashion-mnist)
"""
import argparse
import gzip
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_numpy import mlp  # noqa: E402


def idx(path: Path) -> np.ndarray:
    """An IDX file, read from `path` or from `path` + ".gz"."""
    gz = path.with_name(path.name + ".gz")
    with (gzip.open(gz) if gz.exists() else open(path, "rb")) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def run(x, t, x_test, t_test, weight_decay, seed, epochs=201):
    rng = np.random.default_rng(seed)
    net = mlp(rng, [784] + [100] * 6 + [10], None)  # He: √(2/n)
    for _ in range(epochs):
        for _ in range(3):  # 300 samples / batch 100
            m = rng.choice(300, 100)
            net.gradient(x[m], t[m])
            for layer, k in net.params():
                grad = getattr(layer, "d" + k)
                if k == "W":
                    grad = grad + weight_decay * layer.W  # ∂(½λ‖W‖²)/∂W
                getattr(layer, k)[...] -= 0.01 * grad
    return net.accuracy(x, t), net.accuracy(x_test, t_test, 1000)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--lambdas", default="0,0.1", help="weight decays to run (default 0,0.1)")
    ap.add_argument("--data", default=str(Path.home() / ".cache" / "dlfs" / "mnist"))
    args = ap.parse_args()
    d = Path(args.data)
    x = idx(d / "train-images-idx3-ubyte")[:300].reshape(300, -1) / 255.0
    t = idx(d / "train-labels-idx1-ubyte")[:300].astype(int)
    x_test = idx(d / "t10k-images-idx3-ubyte").reshape(10000, -1) / 255.0
    t_test = idx(d / "t10k-labels-idx1-ubyte").astype(int)
    print(f"{'run':<16} {'seed':>4} {'train':>6} {'test':>6} {'gap':>6}")
    for wd in [float(v) for v in args.lambdas.split(",")]:
        name = f"weight decay {wd:g}" if wd else "no regularisation"
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            train, test = run(x, t, x_test, t_test, wd, seed)
            print(f"{name:<16} {seed:>4} {train:>6.3f} {test:>6.3f} {train - test:>6.3f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
