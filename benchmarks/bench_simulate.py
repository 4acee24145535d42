"""Benchmark: the therapy model (6 fields) with scarwise's split numba solver against py-pde.

Both integrate identical equations on the same grid from the same state (just after a
microneedling + PRP session on a synthetic scar region). py-pde (explicit classical Runge-Kutta
at a step inside its stability limit, numba backend) runs a short span; the ratio is of cost per
simulated day. Ours also runs the full 180-day course with its sessions. The largest field
difference at the end of the peer span is reported (target <= 1%).

    python benchmarks/bench_simulate.py            # 512 x 512, dx 0.04 mm
    python benchmarks/bench_simulate.py --quick    # 64 x 64, py-pde on numpy, < 20 s
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.therapy.pypde_model

from scarwise.therapy import RemodellingModel, get_protocol, integrate, simulate_protocol, synthetic_region  # noqa: E402
from scarwise.therapy._simulate import session_events  # noqa: E402


def _median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small grid, py-pde on numpy (< 20 s)")
    ap.add_argument("--size", type=int, default=None, help="grid side (default 512, quick 64)")
    ap.add_argument("--peer-days", type=float, default=1.0, help="py-pde span in days (default 1)")
    ap.add_argument("--full-days", type=float, default=None, help="our full course (default 180, quick 30)")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    import pde
    from tests.therapy.pypde_model import RemodellingPDE, to_collection

    n = args.size or (64 if args.quick else 512)
    peer_days = args.peer_days
    full_days = args.full_days or (30.0 if args.quick else 180.0)
    peer_backend = "numpy" if args.quick else "numba"
    dx = 0.04 * 512 / n  # same 20.5 mm region at every size
    region = synthetic_region(n=n, dx_mm=dx)
    protocol = get_protocol("microneedling+prp")
    model = RemodellingModel(agent=protocol.agent.product.kinetics)
    u0 = model.initial_state(region.grid)
    session_events(region, protocol)[0].apply(u0)
    inv_cap = model.inverse_capacity(region.depth0_mm)
    dt_ours = 0.05  # the step at which our fields agree with py-pde's to well under 1% after a day
    lam_max = model.rates.d_c * 4 * (1 / dx**2 + 1 / dx**2)
    # half the RK4 stability limit of the stiffest (factor) diffusion, and at most 0.01 day for accuracy
    dt_peer = min(0.5 * 2.78 / lam_max, 0.01)

    def ours(days: float) -> np.ndarray:
        return integrate(model, u0, grid=region.grid, inv_cap=inv_cap, sample_days=[days], dt_days=dt_ours)

    t = time.perf_counter()
    ours(dt_ours)  # compile (or load from the numba cache) and warm up
    compile_s = time.perf_counter() - t
    span = max(1.0, peer_days)
    ours_per_day = _median_time(lambda: ours(span), args.reps) / span

    eq = RemodellingPDE(model, inv_cap)
    solver = pde.RungeKuttaSolver(eq, backend=peer_backend, adaptive=False)
    state = to_collection(u0, region.grid)
    t = time.perf_counter()
    stepper = solver.make_stepper(state, dt=dt_peer)
    warm = state.copy()
    stepper(warm, 0.0, dt_peer)
    peer_compile_s = time.perf_counter() - t
    result = {}

    def peer() -> None:
        st = state.copy()
        stepper(st, 0.0, peer_days)
        result["u"] = np.array(st.data)

    peer_per_day = _median_time(peer, args.reps) / peer_days
    mine = ours(peer_days)
    diff = max(np.abs(mine[k] - result["u"][k]).max() / np.abs(result["u"][k]).max() for k in range(6))

    t = time.perf_counter()
    res = simulate_protocol(region, protocol, days=[0, full_days], dt_days=dt_ours)
    full_s = time.perf_counter() - t
    assert len(res.scars) == 3

    print(f"bench: simulate size={n}x{n} ours_s={ours_per_day:.4g} peer=py-pde({peer_backend}) "
          f"peer_s={peer_per_day:.4g} ratio={peer_per_day / ours_per_day:.1f} compile_s={compile_s:.2f} "
          f"peer_compile_s={peer_compile_s:.2f} unit=s_per_simulated_day peer_days={peer_days:g} "
          f"dt_ours={dt_ours:g} dt_peer={dt_peer:.3g} max_field_diff={100 * diff:.3f}% "
          f"ours_full_days={full_days:g} ours_full_s={full_s:.2f}")


if __name__ == "__main__":
    main()
