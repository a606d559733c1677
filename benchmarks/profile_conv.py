"""Where the time of the vectorised conv2d goes: each step of conv2d_forward and
conv2d_backward timed on its own, on the benchmark's case (x (64, 16, 32, 32),
32 filters 3x3, stride 1, padding 1), next to PyTorch's whole forward + backward.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/profile_conv.py [--threads 1]

The steps below mirror cnnlib/conv.py line by line (they call its helpers); the
total is checked against timing the real functions. The three matrix products are
the floor of this design: if they alone take more than twice PyTorch's whole pass,
the 2x target cannot be met by tidying up the copies around them.
"""
import argparse
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import cnnlib as cl
from cnnlib.conv import _im2col
from cnnlib.signal import pad2d

from bench_layers import torch, torch_conv_pass  # the same PyTorch pass as the ratio table


def best_ms(function, repeats):
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def profile(dtype, repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 16, 32, 32)).astype(dtype)
    w = rng.standard_normal((32, 16, 3, 3)).astype(dtype)
    b = rng.standard_normal(32).astype(dtype)
    dout = rng.standard_normal((64, 32, 32, 32)).astype(dtype)
    N, F, Ho, Wo = dout.shape
    C = w.shape[1]
    xp = pad2d(x, 1)
    columns = _im2col(xp, (3, 3), (1, 1), (Ho, Wo))
    weights = w.reshape(F, -1)
    out_fnhw = (weights @ columns).reshape(F, N, Ho, Wo)
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dwindows = (weights.T @ dout_rows).reshape(C, 3, 3, N, Ho, Wo)

    def slice_adds():
        dxp = np.zeros_like(xp)
        by_channel = dxp.transpose(1, 0, 2, 3)
        for a in range(3):
            for c in range(3):
                by_channel[:, :, a:a + Ho, c:c + Wo] += dwindows[:, a, c]

    flops = 2 * F * columns.shape[0] * columns.shape[1]  # one product: 2 * F * (C*kH*kW) * (N*Ho*Wo)
    steps = [
        ("forward: pad x", lambda: pad2d(x, 1), None),
        ("forward: im2col copy (C*kH*kW, N*Ho*Wo)", lambda: _im2col(xp, (3, 3), (1, 1), (Ho, Wo)), None),
        ("forward: product w @ columns", lambda: weights @ columns, flops),
        ("forward: + bias, to (N, F, Ho, Wo)", lambda: (out_fnhw + b[:, None, None, None]).transpose(1, 0, 2, 3).copy(), None),
        ("backward: pad x + im2col again", lambda: _im2col(pad2d(x, 1), (3, 3), (1, 1), (Ho, Wo)), None),
        ("backward: dout to (F, N*Ho*Wo), db", lambda: (dout.transpose(1, 0, 2, 3).reshape(F, -1), dout.sum(axis=(0, 2, 3))), None),
        ("backward: product dw = dout @ columns.T", lambda: dout_rows @ columns.T, flops),
        ("backward: product dwindows = w.T @ dout", lambda: weights.T @ dout_rows, flops),
        ("backward: 9 strided slice additions", slice_adds, None),
    ]
    print(f"\n{np.dtype(dtype).name}")
    total = products = 0.0
    for name, function, step_flops in steps:
        ms = best_ms(function, repeats)
        total += ms
        rate = ""
        if step_flops:
            products += ms
            rate = f"  ({step_flops / ms / 1e6:5.1f} GFLOP/s)"
        print(f"  {name:<44} {ms:7.1f} ms{rate}")
    real = best_ms(lambda: cl.conv2d_backward(dout, cl.conv2d_forward(x, w, b, 1, 1)[1]), repeats)
    print(f"  {'sum of the steps':<44} {total:7.1f} ms   (the real forward + backward: {real:.1f} ms)")
    print(f"  {'of which the three matrix products':<44} {products:7.1f} ms")
    if torch is not None:
        ms = best_ms(torch_conv_pass(x, w, b, dout), repeats)
        print(f"  {'PyTorch forward + backward':<44} {ms:7.1f} ms  ({3 * flops / ms / 1e6:5.1f} GFLOP/s overall)")
        print(f"  products alone / PyTorch: {products / ms:.2f}x;  real / PyTorch: {real / ms:.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    if args.threads:
        threadpool_limits(limits=args.threads, user_api="blas")
    blas = [info for info in threadpool_info() if info.get("user_api") == "blas"][0]
    threads = int(blas["num_threads"])
    if torch is not None:
        torch.set_num_threads(threads)
    print(f"BLAS {blas.get('internal_api')} ({blas.get('architecture')} kernels), {threads} thread(s); best of {args.repeats}")
    for dtype in (np.float32, np.float64):
        profile(dtype, args.repeats)


if __name__ == "__main__":
    main()
