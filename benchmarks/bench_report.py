"""Benchmark of the patient report: a typical patient's measured scan to a finished PDF (and HTML).

Prints one line per figure (DESIGN.md "Benchmarks"):

    bench: report size=<scan size> ours_s=<s> peer=none peer_s=nan ratio=nan lang=<en|ar> fmt=<pdf|html> ...

``ours_s`` is the median wall time of ``--repeat`` calls (at least 3) of
``scarwise.report.make_report`` on an already measured scan (scar map, evidence pooling, layout,
PDF); ``cpu_s`` is the median process CPU time of the same calls (less sensitive to a busy
machine). The first call, which loads WeasyPrint, fonts and templates, is reported as
``compile_s``. ``measure_s`` is the one-off time of ``measure_surface`` on the same scan, so the
whole ``scarwise report --scan`` costs about ``measure_s + ours_s``. Target: under 3 s for a
typical patient (the demo cheek, 801 x 801 points, 13 scars).

Usage: ``python benchmarks/bench_report.py [--quick] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

from scarwise.report import make_report
from scarwise.surface.measure import measure_surface
from scarwise.surface.synthetic import demo_patch, make_skin_patch


def _median(fn, repeat: int) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 300 x 260 patch and PDF only")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (median), at least 3")
    args = parser.parse_args()
    repeat = max(3, args.repeat)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    surface = (make_skin_patch(nx=300, ny=260, pixel_mm=0.05, n_scars=5, seed=3).surface if args.quick
               else demo_patch(7).surface)
    t0 = time.perf_counter()
    result = measure_surface(surface)
    measure_s = time.perf_counter() - t0
    size = f"{surface.nx}x{surface.ny}"
    t0 = time.perf_counter()
    make_report(surface, result, lang="en", fmt="pdf")
    compile_s = time.perf_counter() - t0
    cases = [("en", "pdf"), ("ar", "pdf")] + ([] if args.quick else [("en", "html")])
    for lang, fmt in cases:
        pages: list[bytes] = []

        def run(lang: str = lang, fmt: str = fmt, pages: list[bytes] = pages) -> None:
            pages.append(make_report(surface, result, lang=lang, fmt=fmt))

        wall, cpu = _median(run, repeat)
        print(f"bench: report size={size} ours_s={wall:.4f} peer=none peer_s=nan ratio=nan lang={lang} fmt={fmt} "
              f"cpu_s={cpu:.3f} compile_s={compile_s:.3f} measure_s={measure_s:.3f} scars={len(result.scars)} "
              f"bytes={len(pages[-1])}")


if __name__ == "__main__":
    main()
