"""Benchmark of before/after comparison: two scans registered and compared (target < 3 s at 2048²).

Prints one line per figure (DESIGN.md "Benchmarks"):

    bench: <name> size=<size> ours_s=<s> peer=none peer_s=nan ratio=nan ...

Times are medians of ``--repeat`` runs (at least 3) in this process after one warm-up run
(reported as ``compile_s``); ``cpu_s`` is the process CPU time (all threads), a figure less
sensitive than wall time to other work on a shared machine. The follow-up is the baseline patch
moved by a known similarity transform (2.5°, 1.2 / -0.8 mm, scale 1.005) with a height plane,
resampled with cubic splines, and with one scar half filled; ``err_mm`` / ``err_deg`` are the
recovered transform's errors.

- ``register``: ``register_surfaces`` alone.
- ``compare``: ``register_surfaces`` + ``compare_surfaces`` given both scans' measurements (what
  the clinic app does: each scan is measured once when it is uploaded).
- ``compare_with_measure``: the whole ``scarwise compare`` work, both scans measured too.

No peer library registers height maps with scale, rotation and a height plane, so peer is none.

Usage: ``python benchmarks/bench_compare.py [--quick] [--size N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
from scipy import ndimage

from scarwise.core import HeightMap
from scarwise.surface.measure import measure_surface
from scarwise.surface.register import compare_surfaces, register_surfaces
from scarwise.surface.synthetic import make_skin_patch, scar_profile

#: Field of view in mm: 2048 points at 0.01 mm (a clinical 3D camera), fewer points coarser.
FIELD_MM = 20.48
THETA_DEG, SCALE, SHIFT_MM = 2.5, 1.005, (1.2, -0.8)


def make_visits(n: int, seed: int = 0) -> tuple[HeightMap, HeightMap]:
    """A baseline crop of a larger patch and a moved, tilted follow-up with one scar half filled."""
    pixel = FIELD_MM / n
    pad = n // 8
    big = make_skin_patch(nx=n + 2 * pad, ny=n + 2 * pad, pixel_mm=pixel, n_scars=8,
                          seed=seed, min_gap_mm=0.5)
    z = big.surface.z.copy()
    centre = 0.5 * (n + 2 * pad) * pixel
    s = min(big.scars, key=lambda t: math.dist(t.center_mm, (centre, centre)))  # surely inside the crop
    yy, xx = np.mgrid[0 : z.shape[0], 0 : z.shape[1]] * pixel
    z += 0.5 * scar_profile(s.type, np.hypot(xx - s.center_mm[0], yy - s.center_mm[1]), width_mm=s.width_mm,
                            depth_mm=s.depth_mm)
    off = pad * pixel
    base = HeightMap(big.surface.z[pad : pad + n, pad : pad + n], pixel, pixel)
    th = math.radians(THETA_DEG)
    m = SCALE * np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    fy, fx = np.mgrid[0:n, 0:n] * pixel
    bx = m[0, 0] * fx + m[0, 1] * fy + SHIFT_MM[0] + off
    by = m[1, 0] * fx + m[1, 1] * fy + SHIFT_MM[1] + off
    zf = ndimage.map_coordinates(z, [by / pixel, bx / pixel], order=3, cval=np.nan)
    return base, HeightMap(zf + 0.01 * fx - 0.005 * fy + 0.1, pixel, pixel)


def _median_time(fn, repeat: int) -> tuple[float, object, float]:
    """Median wall time, last result, median CPU time of this process (all threads)."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), result, statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="512 x 512 instead of 2048 x 2048")
    parser.add_argument("--size", type=int, default=None, help="map side in points (overrides --quick)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (median), at least 3")
    args = parser.parse_args()
    n = args.size or (512 if args.quick else 2048)
    repeat = max(3, args.repeat)
    base, follow = make_visits(n)
    size = f"{n}x{n}"

    t0 = time.perf_counter()
    register_surfaces(base, follow)
    compile_s = time.perf_counter() - t0
    reg_s, reg, reg_cpu = _median_time(lambda: register_surfaces(base, follow), repeat)
    err_mm = math.hypot(reg.dx_mm - SHIFT_MM[0], reg.dy_mm - SHIFT_MM[1])
    err_deg = abs(reg.rotation_deg - THETA_DEG)
    print(f"bench: register size={size} ours_s={reg_s:.4f} peer=none peer_s=nan ratio=nan "
          f"compile_s={compile_s:.3f} cpu_s={reg_cpu:.4f} err_mm={err_mm:.2e} err_deg={err_deg:.2e} "
          f"scale_err={abs(reg.scale - SCALE):.1e} overlap={reg.overlap_fraction:.3f}")

    rb, rf = measure_surface(base), measure_surface(follow)
    cmp_s, comp, cmp_cpu = _median_time(
        lambda: compare_surfaces(base, follow, registration=register_surfaces(base, follow),
                                 baseline_result=rb, followup_result=rf), repeat)
    changes = sorted(c.volume_change_pct for c in comp.scars if c.volume_change_pct is not None)
    filled = changes[0] if changes else float("nan")  # the half-filled scar: about -50
    print(f"bench: compare size={size} ours_s={cmp_s:.4f} peer=none peer_s=nan ratio=nan "
          f"compile_s=0.000 cpu_s={cmp_cpu:.4f} scars={len(comp.scars)} filled_change_pct={filled:.1f} "
          f"target_s=3.0")
    full_s, _, full_cpu = _median_time(lambda: compare_surfaces(base, follow), repeat)
    print(f"bench: compare_with_measure size={size} ours_s={full_s:.4f} peer=none peer_s=nan ratio=nan "
          f"compile_s=0.000 cpu_s={full_cpu:.4f}")


if __name__ == "__main__":
    main()
