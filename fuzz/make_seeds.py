"""Write the small seed corpora under ``fuzz/seeds/`` from synthetic surfaces (run once; seeds committed).

Harnesses that cover several suffixes take the suffix index as the first byte of each input, so
their seeds carry that byte in front.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from scarwise.core import HeightMap
from scarwise.surface.io import write_surface

#: harness corpus directory -> suffixes, in the order the harness indexes them
CORPORA: dict[str, tuple[str, ...]] = {
    "x3p": (".x3p",),
    "tiff": (".tif",),
    "points": (".csv", ".xyz"),
    "mesh": (".ply", ".obj"),
    "numpy": (".npy", ".npz"),
}


def surfaces() -> list[HeightMap]:
    """Three tiny surfaces: a plane, a bump with a NaN hole, a non-square pixel grid."""
    y, x = np.mgrid[0:4, 0:5]
    bump = np.exp(-((x - 2.0) ** 2 + (y - 1.5) ** 2) / 2.0) * 0.2
    bump[1, 1] = np.nan
    return [
        HeightMap(np.zeros((3, 3)), dx_mm=0.1, dy_mm=0.1),
        HeightMap(bump, dx_mm=0.05, dy_mm=0.05),
        HeightMap(0.01 * x + 0.02 * y, dx_mm=0.1, dy_mm=0.2),
    ]


def main() -> None:
    out = Path(__file__).resolve().parent / "seeds"
    with tempfile.TemporaryDirectory() as tmp:
        for corpus, suffixes in CORPORA.items():
            (out / corpus).mkdir(parents=True, exist_ok=True)
            for s_idx, suffix in enumerate(suffixes):
                for k, surface in enumerate(surfaces()):
                    if suffix == ".npy" and surface.dx_mm != surface.dy_mm:
                        continue  # npy stores no pixel size and refuses dx != dy
                    path = write_surface(surface, Path(tmp) / f"s{k}{suffix}")
                    data = path.read_bytes()
                    if len(suffixes) > 1:
                        data = bytes([s_idx]) + data
                    (out / corpus / f"seed{k}{suffix}").write_bytes(data)


if __name__ == "__main__":
    main()
