"""Benchmarks of random-effects pooling against PyMARE on the same data, in one process.

Prints one line per figure (DESIGN.md "Benchmarks"):

    bench: <name> size=<size> ours_s=<s> peer=pymare peer_s=<s> ratio=<peer_s/ours_s> compile_s=<s> ...

Like with like: PyMARE defaults to Knapp–Hartung, so it runs with ``small_sample_correction="wald"``
(z intervals, as ours with ``hksj=False``), and both sides compute the pooled estimate, its SE, CI,
z and p (PyMARE's ``summary().get_fe_stats()``). Ours additionally returns Q with its p-value, I²,
H² and the prediction interval in the same call. ``max_abs_diff_*`` compare tau², the estimate,
its SE, the CI bounds and z; the run fails if any differs by more than 1e-4 (PyMARE optimises the
likelihood with scipy, to about that accuracy), or the p-values by more than 1e-6.
Both sides are called once before timing; ``compile_s`` is our first call (the numba compile, or
loading it from numba's on-disk cache after the first run on a machine).

- ``meta_reml_single``: REML on one analysis of N synthetic studies (default 10,000).
- ``meta_reml_batch``: REML on M analyses of 20 studies each (default 1,000), PyMARE's own
  batched mode (datasets as columns) against ``pool_many`` on the same (M, 20) arrays.
- ``meta_dl_batch``: the same batch with DerSimonian–Laird.

Usage: ``python benchmarks/bench_meta.py [--quick] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from scarwise.evidence import pool_many


def _timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def _data(m: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.5, (m, k))
    y = rng.normal(0.3, np.sqrt(v + 0.1))
    return y, v


def _pymare(method: str):
    from pymare import estimators

    if method == "DL":
        return estimators.DerSimonianLaird(small_sample_correction="wald")
    return estimators.VarianceBasedLikelihoodEstimator(method=method, small_sample_correction="wald")


def run(name: str, y: np.ndarray, v: np.ndarray, method: str, repeat: int, size: str) -> bool:
    t0 = time.perf_counter()
    pool_many(y, v, method=method)                      # warm-up: numba compile (or cache) on first use
    compile_s = time.perf_counter() - t0
    ours_s, ours = _timed(lambda: pool_many(y, v, method=method), repeat)
    x = np.ones((y.shape[1], 1))
    est = _pymare(method)

    def peer():
        est.fit(y=y.T, v=v.T, X=x)
        return est.params_["tau2"], est.summary().get_fe_stats()

    peer()
    peer_s, (tau2, fe) = _timed(peer, repeat)
    def diff(theirs, mine) -> float:
        return float(np.max(np.abs(np.ravel(theirs) - mine)))

    d_tau2, d_est, d_se = diff(tau2, ours.tau2), diff(fe["est"], ours.estimate), diff(fe["se"], ours.se)
    d_ci = max(diff(fe["ci_l"], ours.ci_lb), diff(fe["ci_u"], ours.ci_ub))
    d_z, d_p = diff(fe["z"], ours.stat), diff(fe["p"], ours.p)
    print(f"bench: {name} size={size} ours_s={ours_s:.6f} peer=pymare peer_s={peer_s:.6f} "
          f"ratio={peer_s / ours_s:.1f} compile_s={compile_s:.3f} max_abs_diff_tau2={d_tau2:.2e} "
          f"max_abs_diff_estimate={d_est:.2e} max_abs_diff_se={d_se:.2e} max_abs_diff_ci={d_ci:.2e} "
          f"max_abs_diff_z={d_z:.2e} max_abs_diff_p={d_p:.2e}")
    return max(d_tau2, d_est, d_se, d_ci, d_z) <= 1e-4 and d_p <= 1e-6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (under 20 s in all)")
    ap.add_argument("--repeat", type=int, default=None, help="repetitions per figure (>= 3)")
    args = ap.parse_args(argv)
    k_single, m_batch = (5_000, 500) if args.quick else (10_000, 1_000)
    repeat = max(3, args.repeat or (5 if args.quick else 9))
    ok = True
    y, v = _data(1, k_single, 0)
    ok &= run("meta_reml_single", y, v, "REML", repeat, f"1x{k_single}")
    y, v = _data(m_batch, 20, 1)
    ok &= run("meta_reml_batch", y, v, "REML", repeat, f"{m_batch}x20")
    ok &= run("meta_dl_batch", y, v, "DL", repeat, f"{m_batch}x20")
    if not ok:
        print("bench_meta: ours and PyMARE disagree by more than 1e-4", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
