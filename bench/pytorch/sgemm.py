"""The machine's float32 GEMM throughput at the medium workload's shape (512×1024 · 1024×256).

    OPENBLAS_NUM_THREADS=2 python3 bench/pytorch/sgemm.py              # numpy (OpenBLAS)
    /usr/bin/python3 bench/pytorch/sgemm.py --lib torch --threads 2    # Debian's PyTorch, for reference

Set the BLAS thread count in the environment before starting (OpenBLAS reads it once). Prints one
JSON object: median and best milliseconds and GFLOP/s over the timed repetitions.
"""
import argparse
import json
import os
import statistics
import time


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--lib", choices=["numpy", "torch"], default="numpy")
    p.add_argument("--threads", type=int, default=int(os.environ.get("OPENBLAS_NUM_THREADS", "2")))
    p.add_argument("--shape", default="512x1024x256", help="MxKxN")
    p.add_argument("--reps", type=int, default=60)
    a = p.parse_args()
    m, k, n = (int(v) for v in a.shape.split("x"))
    if a.lib == "numpy":
        import numpy as np
        rng = np.random.default_rng(0)
        x = rng.standard_normal((m, k), dtype=np.float32)
        w = rng.standard_normal((n, k), dtype=np.float32)
        mm = lambda: x @ w.T  # noqa: E731 — a linear layer's forward, x·Wᵀ
        version = "numpy " + np.__version__
        try:
            cfg = np.show_config(mode="dicts")
            version += ", " + cfg["Build Dependencies"]["blas"].get("name", "?") + " " + \
                cfg["Build Dependencies"]["blas"].get("version", "?")
        except Exception:  # older numpy: no dict mode
            pass
    else:
        import torch
        torch.set_num_threads(a.threads)
        x = torch.randn(m, k)
        w = torch.randn(n, k)
        mm = lambda: x @ w.T  # noqa: E731
        version = "torch " + torch.__version__
    for _ in range(max(5, a.reps // 5)):
        mm()
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        mm()
        times.append((time.perf_counter() - t0) * 1e3)
    flops = 2.0 * m * k * n
    med = statistics.median(times)
    print(json.dumps({"lib": a.lib, "version": version, "threads": a.threads, "shape": a.shape,
                      "median_ms": med, "min_ms": min(times), "gflops": flops / (med * 1e6),
                      "best_gflops": flops / (min(times) * 1e6)}))


if __name__ == "__main__":
    main()
