#!/usr/bin/env python3
"""The numpy side of scripts/bench-vs-numpy.

Runs the book's algorithms (written here from the formulas, f64, numpy only) on random data
shaped like MNIST and prints one JSON object {workload: seconds} on stdout. The thread count
is set by the caller through OPENBLAS_NUM_THREADS / OMP_NUM_THREADS.
"""
import json
import sys
import time

import numpy as np


def softmax(x):
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(y, t):
    n = y.shape[0]
    return -np.sum(np.log(y[np.arange(n), t] + 1e-7)) / n


class Affine:
    def __init__(self, w, b):
        self.W, self.b = w, b

    def forward(self, x):
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.shape)


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        return cross_entropy(self.y, t)

    def backward(self):
        n = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx / n


def im2col(x, fh, fw, stride=1, pad=0):
    n, c, h, w = x.shape
    oh = (h + 2 * pad - fh) // stride + 1
    ow = (w + 2 * pad - fw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((n, c, fh, fw, oh, ow))
    for y in range(fh):
        y_max = y + stride * oh
        for xx in range(fw):
            x_max = xx + stride * ow
            col[:, :, y, xx, :, :] = img[:, :, y:y_max:stride, xx:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)


def col2im(col, shape, fh, fw, stride=1, pad=0):
    n, c, h, w = shape
    oh = (h + 2 * pad - fh) // stride + 1
    ow = (w + 2 * pad - fw) // stride + 1
    col = col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1))
    for y in range(fh):
        y_max = y + stride * oh
        for xx in range(fw):
            x_max = xx + stride * ow
            img[:, :, y:y_max:stride, xx:x_max:stride] += col[:, :, y, xx, :, :]
    return img[:, :, pad:h + pad, pad:w + pad]


class Convolution:
    def __init__(self, w, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = w, b, stride, pad

    def forward(self, x):
        fn, c, fh, fw = self.W.shape
        n, c, h, w = x.shape
        oh = (h + 2 * self.pad - fh) // self.stride + 1
        ow = (w + 2 * self.pad - fw) // self.stride + 1
        self.x = x
        self.col = im2col(x, fh, fw, self.stride, self.pad)
        self.col_W = self.W.reshape(fn, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        fn, c, fh, fw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
        self.db = dout.sum(axis=0)
        self.dW = (self.col.T @ dout).transpose(1, 0).reshape(fn, c, fh, fw)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, fh, fw, self.stride, self.pad)


class Pooling:
    def __init__(self, ph, pw, stride):
        self.ph, self.pw, self.stride = ph, pw, stride

    def forward(self, x):
        n, c, h, w = x.shape
        oh = (h - self.ph) // self.stride + 1
        ow = (w - self.pw) // self.stride + 1
        col = im2col(x, self.ph, self.pw, self.stride).reshape(-1, self.ph * self.pw)
        self.x, self.arg_max = x, np.argmax(col, axis=1)
        return np.max(col, axis=1).reshape(n, oh, ow, c).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        size = self.ph * self.pw
        dmax = np.zeros((dout.size, size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (size,))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        return col2im(dcol, self.x.shape, self.ph, self.pw, self.stride)


class Net:
    def __init__(self, layers):
        self.layers, self.last = layers, SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def gradient(self, x, t):
        self.last.forward(self.predict(x), t)
        dout = self.last.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)

    def accuracy(self, x, t, batch=None):
        batch = batch or x.shape[0]
        correct = 0
        for i in range(0, x.shape[0], batch):
            correct += np.sum(np.argmax(self.predict(x[i:i + batch]), axis=1) == t[i:i + batch])
        return correct / x.shape[0]

    def params(self):
        return [(l, k) for l in self.layers for k in ("W", "b") if hasattr(l, k)]


def mlp(rng, sizes, std):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        s = std if std is not None else np.sqrt(2.0 / a)
        layers.append(Affine(s * rng.standard_normal((a, b)), np.zeros(b)))
        if i < len(sizes) - 2:
            layers.append(Relu())
    return Net(layers)


def conv_net(rng):
    return Net([
        Convolution(0.01 * rng.standard_normal((30, 1, 5, 5)), np.zeros(30)),
        Relu(),
        Pooling(2, 2, 2),
        Affine(0.01 * rng.standard_normal((4320, 100)), np.zeros(100)),
        Relu(),
        Affine(0.01 * rng.standard_normal((100, 10)), np.zeros(10)),
    ])


def sgd(net, lr=0.1):
    for layer, k in net.params():
        getattr(layer, k)[...] -= lr * getattr(layer, "d" + k)


class Adam:
    def __init__(self, lr=0.001, b1=0.9, b2=0.999):
        self.lr, self.b1, self.b2, self.it, self.m, self.v = lr, b1, b2, 0, {}, {}

    def update(self, net):
        self.it += 1
        lr_t = self.lr * np.sqrt(1 - self.b2 ** self.it) / (1 - self.b1 ** self.it)
        for layer, k in net.params():
            key = (id(layer), k)
            p, g = getattr(layer, k), getattr(layer, "d" + k)
            if key not in self.m:
                self.m[key], self.v[key] = np.zeros_like(p), np.zeros_like(p)
            self.m[key] += (1 - self.b1) * (g - self.m[key])
            self.v[key] += (1 - self.b2) * (g ** 2 - self.v[key])
            p -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


def timeit(fn, min_time=1.0, min_reps=3, max_reps=200):
    fn()  # warm up
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_time and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main():
    quick = "--quick" in sys.argv
    rng = np.random.default_rng(0)
    x_train = rng.random((60000, 784))
    t_train = rng.integers(0, 10, 60000)
    x_test = rng.random((10000, 784))
    t_test = rng.integers(0, 10, 10000)
    img_train = x_train.reshape(-1, 1, 28, 28)
    img_test = x_test.reshape(-1, 1, 28, 28)
    out = {}

    two = mlp(rng, [784, 50, 10], 0.01)
    xb, tb = x_train[:100], t_train[:100]

    def two_step():
        two.gradient(xb, tb)
        sgd(two)
    out["two_layer_train_step"] = timeit(two_step)

    out["two_layer_accuracy_70k"] = timeit(
        lambda: (two.accuracy(x_train, t_train), two.accuracy(x_test, t_test)),
        min_time=0.5 if quick else 2.0, min_reps=1 if quick else 3)

    multi = mlp(rng, [784, 100, 100, 100, 100, 10], None)
    xm, tm = x_train[:128], t_train[:128]

    def multi_step():
        multi.gradient(xm, tm)
        sgd(multi, 0.01)
    out["multi_layer_train_step"] = timeit(multi_step)

    conv = conv_net(rng)
    adam = Adam()
    xc, tc = img_train[:100], t_train[:100]

    def conv_step():
        conv.gradient(xc, tc)
        adam.update(conv)
    out["conv_train_step"] = timeit(conv_step, min_time=1.0 if quick else 3.0)

    n_pred = 2000 if quick else 10000
    out["conv_predict_10k"] = timeit(lambda: conv.accuracy(img_test[:n_pred], t_test[:n_pred], 100),
                                      min_time=0.0, min_reps=1 if quick else 2) * (10000 / n_pred)

    xi = img_train[:100]

    def im2col_col2im():
        col = im2col(xi, 5, 5)
        col2im(col, xi.shape, 5, 5)
    out["im2col_col2im"] = timeit(im2col_col2im)

    a = rng.random((2000, 2000))
    b = rng.random((2000, 2000))
    gemm = timeit(lambda: a @ b, min_time=1.0)
    out["gemm_2000_gflops"] = 2 * 2000 ** 3 / gemm / 1e9
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
