"""Cohort throughput: virtual patients per second, serial vs Dask LocalCluster with 1 and 2 workers.

Each configuration runs the same cohort (``fractional_co2`` at 3, 6 and 12 months, reduced model,
Parquet chunks written by the client) into a fresh folder; the median of ``--repeat`` runs is
reported. Cluster start-up and the workers' first call (imports, numba cache load) are excluded
from the timings and reported as ``compile_s``. Lines follow DESIGN.md::

    bench: <name> size=<patients> ours_s=<s> peer=<serial|none> peer_s=<s> ratio=<peer_s/ours_s> ...

For the Dask lines the "peer" is the serial run in this process, so ``ratio`` is the speed-up;
``efficiency`` is the speed-up of 2 workers over 1 worker divided by 2.

Usage: ``python benchmarks/bench_cohort.py [--quick] [--repeat R] [--patients N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

PROTOCOLS = ["fractional_co2"]
MONTHS = [3.0, 6.0, 12.0]


def _warm() -> int:
    from scarwise.cohort import simulate_block

    simulate_block(0, 4, seed=0, protocols=PROTOCOLS, months=MONTHS)
    return 0


def _time_runs(n: int, chunk: int, repeat: int, client=None) -> list[float]:
    from scarwise.cohort import run_cohort

    times = []
    for r in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            run = run_cohort(Path(tmp) / "run", n_patients=n, seed=r, protocols=PROTOCOLS, months=MONTHS,
                             chunk_size=chunk, client=client)
            times.append(time.perf_counter() - t0)
            assert run.chunks_computed == run.chunks_total
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="400 patients, about 30 s in all")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--patients", type=int, default=None)
    args = ap.parse_args(argv)
    n = args.patients or (400 if args.quick else 10_000)
    chunk = max(10, n // 8) if args.quick else max(10, n // 40)
    repeat = max(3, args.repeat)
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    _warm()
    compile_serial = time.perf_counter() - t0
    serial = statistics.median(_time_runs(n, chunk, repeat))
    print(f"bench: cohort_serial size={n} ours_s={serial:.4f} peer=none peer_s=nan ratio=nan "
          f"compile_s={compile_serial:.3f} patients_per_s={n / serial:.1f}")
    results = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl) as client:
            client.run(_warm)
            startup = time.perf_counter() - t0
            results[workers] = statistics.median(_time_runs(n, chunk, repeat, client=client))
        t = results[workers]
        extra = ""
        if workers == 2:
            extra = f" efficiency={results[1] / (2 * t):.3f}"
        print(f"bench: cohort_dask{workers} size={n} ours_s={t:.4f} peer=serial peer_s={serial:.4f} "
              f"ratio={serial / t:.3f} compile_s={startup:.3f} patients_per_s={n / t:.1f}{extra}")
    rate1 = n / results[1]
    eff = results[1] / (2 * results[2])
    workers_100 = 100 * 16
    rate_100 = workers_100 * rate1 * eff
    task_s = chunk / rate1
    print(f"projection: 1 worker = {rate1:.0f} patients/s here; 100 nodes x 16 workers at the measured 2-worker "
          f"efficiency ({eff:.2f}) ~ {rate_100:.0f} patients/s (10 million patients in {1e7 / rate_100 / 60:.1f} min). "
          f"With {chunk}-patient chunks a task lasts ~{task_s:.2f} s, so 1600 workers would ask the scheduler for "
          f"~{workers_100 / task_s:.0f} tasks/s; Dask's scheduler handles a few thousand per second, so use chunks of "
          f">= 10000 patients on such a cluster (and write chunks from the client, as run_cohort does)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
