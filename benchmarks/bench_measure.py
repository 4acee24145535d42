"""Benchmarks of surface measurement: ISO 25178 parameters against surfalize, and the measure pipeline.

Prints one line per figure (DESIGN.md "Benchmarks"):

    bench: <name> size=<size> ours_s=<s> peer=<peer or none> peer_s=<s> ratio=<peer_s/ours_s> ...

Times are medians of ``--repeat`` runs (at least 3) in this process, after a warm-up call whose
time (numba compilation or cache loading included) is reported as ``compile_s``.

- ``iso25178``: least-squares levelling plus every areal parameter, ours (``remove_form`` +
  ``areal_parameters(parameters=PARAMETERS)``) against surfalize (``level()`` +
  ``roughness_parameters()``, i.e. its 34 ISO parameters, plus ``Std``, ``Smr(c)``, ``Smc(p)``)
  on the same surface; ``max_rel_diff`` is the largest relative difference over those 37.
- ``measure``: ``scarwise.surface.measure.measure_surface`` on the whole map (peer none);
  ``peak_mem_ratio`` is the tracemalloc peak of one extra run divided by the map's bytes.

Usage: ``python benchmarks/bench_measure.py [--quick] [--size N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
import warnings

import numpy as np
from scipy import ndimage

from scarwise.core import HeightMap, ScarwiseError
from scarwise.surface.form import remove_form
from scarwise.surface.iso25178 import PARAMETERS, areal_parameters

PIXEL_MM = 0.02


def make_surface(n: int, seed: int = 0) -> HeightMap:
    """A realistic skin patch: ``make_skin_patch`` if available, else rough texture plus pits."""
    try:
        from scarwise.surface.synthetic import make_skin_patch

        n_scars = n // 128 if n >= 256 else 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no room for rolling scars" on the small warm-up maps
            patch = make_skin_patch(nx=n, ny=n, pixel_mm=PIXEL_MM, n_scars=n_scars, seed=seed, tilt=(0.02, -0.01))
        return patch.surface
    except (ImportError, NotImplementedError, TypeError, ScarwiseError):
        pass
    rng = np.random.default_rng(seed)
    z = ndimage.gaussian_filter(rng.standard_normal((n, n)), 2.0) * 0.02
    y, x = np.mgrid[0:n, 0:n] * PIXEL_MM
    for _ in range(max(3, n // 128)):
        cx, cy, w = rng.uniform(0, n * PIXEL_MM), rng.uniform(0, n * PIXEL_MM), rng.uniform(0.3, 2.0)
        z -= 0.2 / (1 + np.exp((np.hypot(x - cx, y - cy) - w / 2) / 0.05))
    return HeightMap(z + 0.02 * x - 0.01 * y, PIXEL_MM, PIXEL_MM)


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _ours(surface: HeightMap) -> dict[str, float]:
    return areal_parameters(remove_form(surface, method="plane"), parameters=PARAMETERS)


def _peer(surface: HeightMap) -> dict[str, float] | None:
    try:
        import surfalize
    except ImportError:
        return None
    s = surfalize.Surface(surface.z * 1000, surface.dx_mm * 1000, surface.dy_mm * 1000).level()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = s.roughness_parameters()  # its 34 ISO parameters
        out["Std"] = s.Std()
        out["Smr"] = s.Smr(float(s.data.max()) - 1.0)
        out["Smc"] = s.Smc(10)
    for key in ("Sal", "Ssw"):
        out[key] /= 1000  # um -> mm, our unit
    for key in ("Spd", "Svd"):
        out[key] *= 1e6  # 1/um^2 -> 1/mm^2
    for key in ("Spc", "Svc"):
        out[key] *= 1e3  # 1/um -> 1/mm
    return out


def bench_iso25178(n: int, repeat: int) -> None:
    surface = make_surface(n)
    t0 = time.perf_counter()
    _ours(make_surface(64, seed=1))  # compiles (or loads) the numba kernels
    compile_s = time.perf_counter() - t0
    ours_s, ours = _median_time(lambda: _ours(surface), repeat)
    peer_s, theirs = _median_time(lambda: _peer(surface), repeat)
    if theirs is None:
        print(f"bench: iso25178 size={n}x{n} ours_s={ours_s:.4f} peer=none peer_s=nan ratio=nan "
              f"compile_s={compile_s:.3f} (surfalize not installed: pip install '.[bench]')")
        return
    rel = {
        k: abs(ours[k] - v) / max(abs(v), 1e-12) if np.isfinite(v) and np.isfinite(ours[k]) else 0.0 if
        np.isfinite(v) == np.isfinite(ours[k]) else np.inf
        for k, v in theirs.items()
    }
    worst = max(rel, key=rel.get)
    print(f"bench: iso25178 size={n}x{n} ours_s={ours_s:.4f} peer=surfalize peer_s={peer_s:.4f} "
          f"ratio={peer_s / ours_s:.2f} compile_s={compile_s:.3f} n_parameters={len(theirs)} "
          f"max_rel_diff={rel[worst]:.2e} ({worst})")


def bench_measure(n: int, repeat: int) -> None:
    try:
        from scarwise.surface.measure import measure_surface

        measure_surface(make_surface(64, seed=1))
    except (ImportError, NotImplementedError) as exc:
        print(f"bench: measure skipped: pipeline not available ({type(exc).__name__}: {exc})")
        return
    surface = make_surface(n)
    t0 = time.perf_counter()
    measure_surface(make_surface(256, seed=2))
    compile_s = time.perf_counter() - t0
    ours_s, _ = _median_time(lambda: measure_surface(surface), repeat)
    tracemalloc.start()
    measure_surface(surface)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"bench: measure size={n}x{n} ours_s={ours_s:.4f} peer=none peer_s=nan ratio=nan "
          f"compile_s={compile_s:.3f} peak_mem_ratio={peak / surface.z.nbytes:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="512 x 512 instead of 2048 x 2048")
    parser.add_argument("--size", type=int, default=None, help="map side in points (overrides --quick)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (median), at least 3")
    args = parser.parse_args()
    n = args.size or (512 if args.quick else 2048)
    repeat = max(3, args.repeat)
    bench_iso25178(n, repeat)
    bench_measure(n, repeat)


if __name__ == "__main__":
    main()
