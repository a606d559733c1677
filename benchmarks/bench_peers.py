"""cnnlib's vectorised layers against the numpy methods a learner would otherwise use.

    python benchmarks/bench_peers.py [--repeats 7] [--threads 2]

The peers, each re-implemented here from our own reading of its method (no peer code
is copied into the project):
- "as_strided (CS231n fast layers)": the padded input seen through np.lib.stride_tricks
  as a (C, kH, kW, N, Ho, Wo) view, made contiguous as the window matrix, one GEMM; the
  window matrix is kept for the backward pass; dx scatters the window gradients back
  (CS231n does that scatter in Cython; here it is numpy's offset loop, which is at least
  as fast for a 3x3 kernel). Max-pool: the reshape trick (windows as extra axes) with its
  equality mask, which shares the gradient between tied maxima.
- "im2col/col2im (Deep Learning from Scratch)": windows copied offset by offset into an
  (N, C, kH, kW, Ho, Wo) array, transposed to one row per output position, one GEMM;
  col2im adds the rows back offset by offset. Max-pool: the same im2col, argmax per row,
  and col2im of a one-hot gradient.
Every peer's output and gradients are checked against cnnlib's before timing.

Target (issue 12): cnnlib's conv <= 0.9x the best peer in float32 and float64, and its
max-pool ahead of every peer. Best of N, all implementations interleaved.
"""
import argparse
import time

import numpy as np
from numpy.lib.stride_tricks import as_strided
from threadpoolctl import threadpool_limits

import cnnlib as cl
from bench_layers import best_of   # the same interleaved best-of timing as the PyTorch table

# -------------------------------------------------------------------- convolution peers

def strided_conv_forward(x, w, b, pad):
    N, C, H, W = x.shape
    F, _, kH, kW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = H + 2 * pad - kH + 1, W + 2 * pad - kW + 1
    s = xp.strides
    view = as_strided(xp, shape=(C, kH, kW, N, Ho, Wo), strides=(s[1], s[2], s[3], s[0], s[2], s[3]))
    columns = np.ascontiguousarray(view).reshape(C * kH * kW, N * Ho * Wo)
    out = (w.reshape(F, -1) @ columns + b[:, None]).reshape(F, N, Ho, Wo)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3)), (x.shape, w, pad, columns)


def strided_conv_backward(dout, cache):
    (N, C, H, W), w, pad, columns = cache
    F, _, kH, kW = w.shape
    Ho, Wo = dout.shape[2:]
    db = dout.sum(axis=(0, 2, 3))
    rows = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dw = (rows @ columns.T).reshape(w.shape)
    dcolumns = (w.reshape(F, -1).T @ rows).reshape(C, kH, kW, N, Ho, Wo)
    dxp = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=dout.dtype)
    for u in range(kH):
        for v in range(kW):
            dxp[:, :, u:u + Ho, v:v + Wo] += dcolumns[:, u, v]
    return dxp[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3), dw, db


def _rows_of_windows(xp, kH, kW, Ho, Wo, stride=1):
    N, C = xp.shape[:2]
    col = np.empty((N, C, kH, kW, Ho, Wo), dtype=xp.dtype)
    for u in range(kH):
        for v in range(kW):
            col[:, :, u, v] = xp[:, :, u:u + stride * Ho:stride, v:v + stride * Wo:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * Ho * Wo, -1)


def _add_rows_back(dcol, shape, kH, kW, Ho, Wo, pad, stride=1):
    N, C, H, W = shape
    col = dcol.reshape(N, Ho, Wo, C, kH, kW).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=dcol.dtype)
    for u in range(kH):
        for v in range(kW):
            img[:, :, u:u + stride * Ho:stride, v:v + stride * Wo:stride] += col[:, :, u, v]
    return img[:, :, pad:pad + H, pad:pad + W]


def im2col_conv_forward(x, w, b, pad):
    N, C, H, W = x.shape
    F, _, kH, kW = w.shape
    Ho, Wo = H + 2 * pad - kH + 1, W + 2 * pad - kW + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = _rows_of_windows(xp, kH, kW, Ho, Wo)
    col_w = w.reshape(F, -1).T
    out = (col @ col_w + b).reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)
    return out, (x.shape, w, pad, col, col_w)


def im2col_conv_backward(dout, cache):
    shape, w, pad, col, col_w = cache
    F, C, kH, kW = w.shape
    Ho, Wo = dout.shape[2:]
    rows = dout.transpose(0, 2, 3, 1).reshape(-1, F)
    db = rows.sum(axis=0)
    dw = (col.T @ rows).T.reshape(F, C, kH, kW)
    dx = _add_rows_back(rows @ col_w.T, shape, kH, kW, Ho, Wo, pad)
    return dx, dw, db

# ------------------------------------------------------------------------ max-pool peers

def reshape_pool_forward(x, size):
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // size, size, W // size, size)
    out = blocks.max(axis=3).max(axis=4)
    return out, (blocks, out)


def reshape_pool_backward(dout, cache):
    blocks, out = cache
    mask = blocks == out[:, :, :, None, :, None]
    dblocks = np.zeros_like(blocks)
    dblocks[mask] = np.broadcast_to(dout[:, :, :, None, :, None], blocks.shape)[mask]
    dblocks /= mask.sum(axis=(3, 5), keepdims=True)
    return dblocks.reshape(blocks.shape[0], blocks.shape[1], -1, blocks.shape[4] * blocks.shape[5])


def im2col_pool_forward(x, size):
    N, C, H, W = x.shape
    Ho, Wo = H // size, W // size
    col = _rows_of_windows(x, size, size, Ho, Wo, size)          # one row per (n, i, j), columns (c, u, v)
    col = col.reshape(-1, size * size)                         # one row per (n, i, j, c)
    winners = np.argmax(col, axis=1)
    out = col.max(axis=1).reshape(N, Ho, Wo, C).transpose(0, 3, 1, 2)
    return out, (x.shape, size, winners)


def im2col_pool_backward(dout, cache):
    (N, C, H, W), size, winners = cache
    Ho, Wo = dout.shape[2:]
    flat = dout.transpose(0, 2, 3, 1).ravel()
    dmax = np.zeros((flat.size, size * size), dtype=dout.dtype)
    dmax[np.arange(winners.size), winners] = flat
    return _add_rows_back(dmax.reshape(N * Ho * Wo, -1), (N, C, H, W), size, size, Ho, Wo, 0, size)

# ----------------------------------------------------------------------------- timing

def passes(forward, backward, args, dout):
    def run():
        _, cache = forward(*args)
        return backward(dout, cache)
    return run


def check_same(reference, candidate, name, dtype):
    tolerance = 1e-4 if dtype == np.float32 else 1e-10
    for got, want in zip(candidate(), reference()):
        scale = max(1.0, float(np.abs(want).max()))
        if not np.allclose(got, want, atol=tolerance * scale, rtol=tolerance):
            raise SystemExit(f"{name} disagrees with cnnlib ({np.dtype(dtype).name}): not a fair comparison")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    threadpool_limits(limits=args.threads, user_api="blas")
    rng = np.random.default_rng(0)
    print(f"forward + backward, best of {args.repeats}, {args.threads} BLAS thread(s)\n")
    print(f"{'layer':<10} {'dtype':<8} {'implementation':<38} {'ms':>8} {'cnnlib / this':>14}")
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((64, 16, 32, 32)).astype(dtype)
        w = rng.standard_normal((32, 16, 3, 3)).astype(dtype)
        b = rng.standard_normal(32).astype(dtype)
        dout = rng.standard_normal((64, 32, 32, 32)).astype(dtype)
        conv = {
            "cnnlib conv2d_forward/backward": passes(
                lambda *a: cl.conv2d_forward(*a, stride=1, padding=1), cl.conv2d_backward, (x, w, b), dout),
            "as_strided (CS231n fast layers)": passes(strided_conv_forward, strided_conv_backward, (x, w, b, 1), dout),
            "im2col/col2im (Deep Learning from Scratch)": passes(im2col_conv_forward, im2col_conv_backward,
                                                                 (x, w, b, 1), dout),
        }
        px = rng.standard_normal((64, 32, 32, 32)).astype(dtype)
        pdout = rng.standard_normal((64, 32, 16, 16)).astype(dtype)
        pool = {
            "cnnlib maxpool2d_forward/backward": passes(cl.maxpool2d_forward, cl.maxpool2d_backward, (px, 2), pdout),
            "reshape trick (CS231n fast layers)": passes(reshape_pool_forward, reshape_pool_backward, (px, 2), pdout),
            "im2col + argmax (Deep Learning from Scratch)": passes(im2col_pool_forward, im2col_pool_backward,
                                                                   (px, 2), pdout),
        }
        for layer, functions in (("conv2d", conv), ("maxpool2d", pool)):
            names = list(functions)
            reference = functions[names[0]]
            for name in names[1:]:
                if layer == "conv2d":
                    check_same(reference, functions[name], name, dtype)
                else:  # random normal input: no ties, so every peer must give cnnlib's dx exactly
                    check_same(lambda: (reference(),), lambda: (functions[name](),), name, dtype)
            best = best_of(functions, args.repeats)
            ours = best[names[0]]
            peers = {name: best[name] for name in names[1:]}
            for name in names:
                ratio = "" if name == names[0] else f"{ours / best[name]:13.2f}x"
                print(f"{layer:<10} {np.dtype(dtype).name:<8} {name:<38.38} {best[name] * 1e3:8.1f} {ratio:>14}")
            goal = 0.9 if layer == "conv2d" else 1.0
            verdict = "met" if ours <= goal * min(peers.values()) else "MISSED"
            print(f"{'':<10} {'':<8} {'target: cnnlib <= ' + format(goal, 'g') + 'x the best peer':<38} "
                  f"{'':>8} {ours / min(peers.values()):13.2f}x {verdict}\n")


if __name__ == "__main__":
    main()
