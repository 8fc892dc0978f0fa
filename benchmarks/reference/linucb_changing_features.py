#!/usr/bin/env python3
"""Shared LinUCB with features that change every round, in numpy: the reference for issue 19.

Mirrors benchmarks/Cobalt.Benchmarks/Policies/ChangingFeatureLinUcbBenchmark.cs step for step:
d = 64, 1,000 arms, a pool of 16 feature matrices x ~ N(0, I) / sqrt(d) taken in turn, score
theta . x + alpha ||x||_{A^-1} (alpha = 1) for every arm, pick the best, reward theta*^T x + N(0, 0.1^2),
Sherman-Morrison update of A^-1, theta = A^-1 b. 2,000 warm-up rounds, then timed batches of rounds.

Run single-threaded, as Cobalt's benchmark is:
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/reference/linucb_changing_features.py
Prints the BLAS library numpy loaded (Debian's numpy uses whatever libblas.so.3 the system or
LD_LIBRARY_PATH gives it: the reference BLAS is about 7x slower than OpenBLAS at this GEMM), one line
per timed batch and a final "rounds/s median" line.
"""
import sys
import time

import numpy as np

D, ARMS, POOL, ALPHA, NOISE = 64, 1000, 16, 1.0, 0.1
WARMUP, BATCH, BATCHES = 2000, 2000, 7


def main() -> int:
    rng = np.random.default_rng(20261206)
    pool = rng.standard_normal((POOL, ARMS, D)) / np.sqrt(D)
    theta_star = rng.standard_normal(D)
    theta_star /= np.linalg.norm(theta_star)
    noise = rng.standard_normal(1 << 16) * NOISE

    a_inv = np.eye(D)
    b = np.zeros(D)
    theta = np.zeros(D)

    def play(t: int) -> None:
        nonlocal theta
        x_all = pool[t % POOL]
        widths = np.sqrt(np.maximum(np.einsum("ij,ij->i", x_all @ a_inv, x_all), 0.0))
        scores = x_all @ theta + ALPHA * widths
        arm = int(np.argmax(scores))
        x = x_all[arm]
        reward = x @ theta_star + noise[t & 0xFFFF]
        u = a_inv @ x
        a_inv[:] -= np.outer(u, u) / (1.0 + x @ u)
        b[:] += reward * x
        theta = a_inv @ b

    t = 0
    for _ in range(WARMUP):
        play(t)
        t += 1
    rates = []
    for k in range(BATCHES):
        start = time.perf_counter()
        for _ in range(BATCH):
            play(t)
            t += 1
        elapsed = time.perf_counter() - start
        rates.append(BATCH / elapsed)
        print(f"batch {k}: {BATCH / elapsed:,.0f} rounds/s ({elapsed / BATCH * 1e6:.1f} us/round)")
    print(f"BLAS: {blas_library()}")
    print(f"numpy {np.__version__}: rounds/s median {float(np.median(rates)):,.0f} (min {min(rates):,.0f}, max {max(rates):,.0f})")
    return 0


def blas_library() -> str:
    """The BLAS shared libraries mapped into this process (Linux), so a run says what it measured."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(paths)) or "none found in /proc/self/maps"
    except OSError:
        return "unknown (no /proc/self/maps)"


if __name__ == "__main__":
    sys.exit(main())
