"""Forward + backward timings of cnnlib's layers: the naive loops, the vectorised
numpy version, and PyTorch CPU (if installed), at the same thread count in one process.

    python benchmarks/bench_layers.py            # the table below, about a minute
    python benchmarks/bench_layers.py --quick    # fewer repeats, smaller naive batch
    python benchmarks/bench_layers.py --threads 1

Cases (issue 2): conv2d on x (64, 16, 32, 32) with 32 filters 3x3, stride 1, padding 1;
max-pool 2x2 on (64, 32, 32, 32); in float32 and float64. Targets (issue 12): vectorised conv
forward+backward <= 2x PyTorch in float32 and <= 1x in float64, max-pool <= 3x in both.

Each time is the best of several repeats (the repeats of all implementations are
interleaved, so a burst of load on a shared machine hits them alike). The naive loops
are timed once, on a smaller batch, and scaled up linearly in the batch size (their
cost is exactly proportional to N); the table says so.

PyTorch is given numpy's BLAS thread count (threadpoolctl), so both use the same
number of cores. Some machines set OPENBLAS_CORETYPE to an older CPU type, which
makes numpy's BLAS slower; the header prints the kernel OpenBLAS is running. For a
fair figure on such a machine, unset it for this command only:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_layers.py
"""
import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import cnnlib as cl

try:
    import torch
except ImportError:  # the table then has no PyTorch column
    torch = None

TARGETS = {("conv2d", "float32"): 2.0, ("conv2d", "float64"): 1.0,
           ("maxpool2d", "float32"): 3.0, ("maxpool2d", "float64"): 3.0}


def best_of(functions, repeats):
    """{name: best seconds} for each no-argument function, repeats interleaved."""
    for function in functions.values():
        function()  # warm-up: first-call allocations, PyTorch kernel selection
    best = {name: float("inf") for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def time_once(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def torch_conv_pass(x, w, b, dout):
    """PyTorch's conv2d forward + backward (stride 1, padding 1) on the same arrays, as a callable."""
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tdout = torch.from_numpy(dout)

    def run():
        tx.grad = tw.grad = tb.grad = None
        torch.nn.functional.conv2d(tx, tw, tb, stride=1, padding=1).backward(tdout)
    return run


def conv_case(dtype, rng, naive_batch):
    x = rng.standard_normal((64, 16, 32, 32)).astype(dtype)
    w = rng.standard_normal((32, 16, 3, 3)).astype(dtype)
    b = rng.standard_normal(32).astype(dtype)
    dout = rng.standard_normal((64, 32, 32, 32)).astype(dtype)

    def numpy_pass(forward, backward, n=64):
        def run():
            _, cache = forward(x[:n], w, b, stride=1, padding=1)
            backward(dout[:n], cache)
        return run

    functions = {"vectorised": numpy_pass(cl.conv2d_forward, cl.conv2d_backward)}
    if torch is not None:
        functions["torch"] = torch_conv_pass(x, w, b, dout)
    naive = numpy_pass(cl.conv2d_forward_naive, cl.conv2d_backward_naive, naive_batch)
    return functions, naive


def pool_case(dtype, rng, naive_batch):
    x = rng.standard_normal((64, 32, 32, 32)).astype(dtype)
    dout = rng.standard_normal((64, 32, 16, 16)).astype(dtype)

    def numpy_pass(forward, backward, n=64):
        def run():
            _, cache = forward(x[:n], 2)
            backward(dout[:n], cache)
        return run

    functions = {"vectorised": numpy_pass(cl.maxpool2d_forward, cl.maxpool2d_backward)}
    if torch is not None:
        tx = torch.tensor(x, requires_grad=True)
        tdout = torch.from_numpy(dout)

        def torch_pass():
            tx.grad = None
            torch.nn.functional.max_pool2d(tx, 2).backward(tdout)
        functions["torch"] = torch_pass
    naive = numpy_pass(cl.maxpool2d_forward_naive, cl.maxpool2d_backward_naive, naive_batch)
    return functions, naive


def blas_description():
    blas = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    if not blas:
        return "unknown BLAS", 1
    info = blas[0]
    kernel = info.get("architecture", "?")
    return f"{info.get('internal_api')} {info.get('version')} ({kernel} kernels)", int(info["num_threads"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="best of this many runs (default 7)")
    parser.add_argument("--naive-batch", type=int, default=2, help="batch the naive loops run on (default 2)")
    parser.add_argument("--quick", action="store_true", help="3 repeats, naive batch 1")
    parser.add_argument("--threads", type=int, help="limit numpy's BLAS (and so PyTorch) to this many threads")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.naive_batch = 3, 1
    if args.threads:
        threadpool_limits(limits=args.threads, user_api="blas")

    blas, threads = blas_description()
    print(f"numpy {np.__version__}, BLAS: {blas}, {threads} thread(s)")
    if torch is not None:
        torch.set_num_threads(threads)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    else:
        print("torch not installed: no PyTorch column")
    if os.environ.get("OPENBLAS_CORETYPE"):
        print(f"note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set, which may slow numpy's BLAS "
              "(see this file's docstring)")
    print(f"forward + backward, best of {args.repeats}; naive*: timed once on a batch of {args.naive_batch} "
          f"and scaled x{64 / args.naive_batch:g} to the full batch of 64\n")

    header = f"{'layer':<38} {'dtype':<8} {'naive*':>9} {'vectorised':>11} {'torch':>9} {'naive/vect':>11} {'vect/torch':>11} {'target':>7}"
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    met_all = True
    cases = (("conv2d", "conv2d (64,16,32,32), 32 x 3x3, s1 p1", conv_case),
             ("maxpool2d", "maxpool2d 2x2 on (64,32,32,32)", pool_case))
    for key, label, make_case in cases:
        for dtype in (np.float32, np.float64):
            functions, naive = make_case(dtype, rng, args.naive_batch)
            best = best_of(functions, args.repeats)
            naive_seconds = time_once(naive) * 64 / args.naive_batch
            vectorised = best["vectorised"]
            cells = [f"{naive_seconds * 1e3:8.0f}ms", f"{vectorised * 1e3:9.1f}ms"]
            if "torch" in best:
                ratio = vectorised / best["torch"]
                met = ratio <= TARGETS[key, np.dtype(dtype).name]
                met_all &= met
                cells += [f"{best['torch'] * 1e3:7.1f}ms", f"{naive_seconds / vectorised:10.0f}x",
                          f"{ratio:10.2f}x", f"<={TARGETS[key, np.dtype(dtype).name]:g}x {'ok' if met else 'MISSED'}"]
            else:
                cells += [f"{'-':>9}", f"{naive_seconds / vectorised:10.0f}x", f"{'-':>11}", f"{'-':>7}"]
            print(f"{label:<38} {np.dtype(dtype).name:<8} " + " ".join(cells))
    if torch is not None:
        print("\nall targets met" if met_all else "\nsome targets missed (see the vect/torch column)")


if __name__ == "__main__":
    main()
