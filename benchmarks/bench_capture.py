"""Benchmark of photometric stereo: 8 images of 2048 x 2048 to a height map (target < 5 s on 2 cores).

Prints one line per figure (DESIGN.md "Benchmarks"):

    bench: <name> size=<size> ours_s=<s> peer=none peer_s=nan ratio=nan compile_s=<s> ...

Times are medians of ``--repeat`` runs (at least 3) in this process, after a warm-up call whose
time (numba compilation or cache loading included) is reported as ``compile_s``. No photometric-
stereo library is installed as a peer; ``lstsq_s`` is, for scale, plain least squares over every
observation (Woodham 1980, ``numpy.linalg.lstsq`` on all pixels at once, no shadow or highlight
rejection), which is the normals step only. ``cpu_s`` is the median process CPU time (all
threads) of the timed calls and ``load_avg`` the machine's 1-minute load when the line was
printed: on a shared machine, wall times above ``cpu_s / threads`` are other processes' load.

- ``capture``: ``photometric_stereo`` on an in-memory (8, N, N) float32 stack: robust normals
  (``normals_s``) plus DCT integration (``integrate_s``), to a HeightMap in mm.
- ``capture_files``: ``capture_scan`` from 8 16-bit TIFF files on disk (reading included).

Images are rendered from a synthetic skin patch with scars, with a specular lobe and noise (no
cast shadows: they only slow the set-up). Usage:
``python benchmarks/bench_capture.py [--quick] [--size N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import tifffile

from scarwise.capture import (
    Lights,
    capture_scan,
    estimate_normals,
    integrate_slopes,
    photometric_stereo,
    render_images,
)
from scarwise.surface.synthetic import make_skin_patch

PIXEL_MM = 0.01


def ring_lights(n: int = 8, elevation_deg: float = 50.0) -> Lights:
    az = np.deg2rad(17.0) + np.arange(n) * 2 * np.pi / n
    e = np.deg2rad(elevation_deg)
    return Lights(np.stack([np.cos(e) * np.cos(az), np.cos(e) * np.sin(az), np.full(n, np.sin(e))], axis=1))


def timed(fn, repeat: int, cpu: list[float] | None = None) -> tuple[float, float]:
    """(warm-up seconds, median wall seconds of ``repeat`` further calls).

    ``cpu``, when given, receives the median process CPU seconds (all threads) of those calls:
    on a shared machine it shows the work done independently of other processes' load.
    """
    t0 = time.perf_counter()
    fn()
    warm = time.perf_counter() - t0
    times, cpus = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    if cpu is not None:
        cpu.append(statistics.median(cpus))
    return warm, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="512 x 512 images instead of 2048 x 2048")
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.size or (512 if args.quick else 2048)
    repeat = max(3, args.repeat)
    lights = ring_lights()
    patch = make_skin_patch(nx=n, ny=n, pixel_mm=PIXEL_MM, n_scars=max(1, n // 700), seed=3, min_gap_mm=0.5)
    images = render_images(patch.surface, lights, albedo=0.55, specular=0.4, shininess=100, shadows=False,
                           noise=0.004, seed=1)
    size = f"{len(lights)}x{n}x{n}"

    cpu: list[float] = []
    compile_s, ours_s = timed(lambda: photometric_stereo(images, lights, pixel_mm=PIXEL_MM, method="dct"), repeat,
                              cpu)
    _, normals_s = timed(lambda: estimate_normals(images, lights), repeat)
    p, q = estimate_normals(images, lights).slopes()
    _, integrate_s = timed(lambda: integrate_slopes(p, q, dx_mm=PIXEL_MM, dy_mm=PIXEL_MM, method="dct"), repeat)
    flat = images.reshape(len(lights), -1)
    _, lstsq_s = timed(lambda: np.linalg.lstsq(lights.directions, flat, rcond=None), repeat)
    scan = photometric_stereo(images, lights, pixel_mm=PIXEL_MM, method="dct")
    err = scan.surface.z - patch.surface.z
    rms_um = float(np.nanstd(err - np.nanmean(err)) * 1000)
    print(f"bench: capture size={size} ours_s={ours_s:.4f} peer=none peer_s=nan ratio=nan "
          f"compile_s={compile_s:.3f} normals_s={normals_s:.4f} integrate_s={integrate_s:.4f} "
          f"lstsq_s={lstsq_s:.4f} cpu_s={cpu[0]:.3f} threads={numba.get_num_threads()} "
          f"load_avg={os.getloadavg()[0]:.1f} height_rms_err_um={rms_um:.2f} target_s=5", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k, img in enumerate(images):
            path = Path(tmp) / f"light{k}.tif"
            tifffile.imwrite(path, np.round(img * 65535).astype(np.uint16))
            paths.append(path)
        lights_path = Path(tmp) / "lights.json"
        lights_path.write_text(json.dumps({"directions": lights.directions.tolist()}))
        cpu = []
        _, files_s = timed(lambda: capture_scan(paths, lights_path, pixel_mm=PIXEL_MM, method="dct"), repeat, cpu)
    print(f"bench: capture_files size={size} ours_s={files_s:.4f} peer=none peer_s=nan ratio=nan "
          f"compile_s=0 cpu_s={cpu[0]:.3f} load_avg={os.getloadavg()[0]:.1f} format=tiff16", flush=True)


if __name__ == "__main__":
    main()
