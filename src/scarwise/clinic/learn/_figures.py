"""Figures of ``/learn``, made on first request and cached as PNG files (never at import).

One lock file per figure (``fcntl.flock``) lets several server processes share the cache: the
first request draws, the others wait and read. Files are written to a temporary name and renamed,
so a half-written PNG is never served. Forest plots carry the evidence-table version in their name,
so a changed table gives new figures.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from scarwise.core.errors import ScarwiseError

#: Days of the model figure sequence, and the protocol simulated.
MODEL_DAYS = (0, 30, 90, 180)
MODEL_PROTOCOL = "fractional_co2+exosomes"
#: Bump when a drawing changes: cached figures live in a folder named after it.
STYLE = 1
_NAME = re.compile(r"[a-z0-9_+.-]{1,120}")
_THREAD_LOCK = threading.Lock()


class FigureNotFoundError(ScarwiseError):
    """A figure name that the pages never link to."""

    http_status = 404


def cached_png(cache_dir: Path, name: str, draw: Callable[[Path], None]) -> Path:
    """``cache_dir/name.png``, drawn with ``draw(path)`` under a lock when it does not exist yet."""
    if not _NAME.fullmatch(name):
        raise FigureNotFoundError(f"no figure named {name!r}")
    path = cache_dir / f"{name}.png"
    if path.exists():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCK, open(cache_dir / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not path.exists():
                tmp = cache_dir / f".{name}.{os.getpid()}.tmp.png"
                draw(tmp)
                os.replace(tmp, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


def draw_scar_3d(kind: str, path: Path) -> None:
    """A 3D cut-away view of one synthetic scar of type ``kind``, cut through its centre (height exaggerated)."""
    from matplotlib.colors import LightSource
    from matplotlib.figure import Figure

    from scarwise.surface.synthetic import make_skin_patch

    width = {"icepick": 0.8, "boxcar": 2.0, "rolling": 3.5}[kind]
    depth = {"icepick": 0.6, "boxcar": 0.4, "rolling": 0.3}[kind]
    n = 90
    px = 2.6 * width / n  # the scar spans about 40 % of the view, whatever its size
    side = n * px
    patch = make_skin_patch(nx=n, ny=n, pixel_mm=px, scars=[(kind, (side / 2, side / 2), width, depth)],
                            seed=3, pores=False, texture_um=2.0)
    half = n // 2 + 1  # cut through the scar centre: the front edge shows its profile
    z = (patch.surface.z - patch.form_mm)[half - 1:]
    fig = Figure(figsize=(4.2, 3.4))
    ax = fig.add_subplot(projection="3d")
    x, y = np.meshgrid(patch.surface.x_mm, patch.surface.y_mm[half - 1:])
    shade = LightSource(azdeg=315, altdeg=35).shade(z, cmap=matplotlib_cm("copper"), vert_exag=4, blend_mode="soft")
    ax.plot_surface(x, y, z, facecolors=shade, rstride=1, cstride=1, linewidth=0, antialiased=False, shade=False)
    ax.set_box_aspect((1, 0.5, 0.45))
    ax.set_xlabel("mm")
    ax.set_ylabel("mm")
    ax.set_zlabel("mm")
    ax.view_init(elev=30, azim=-75)
    fig.savefig(path, dpi=110, bbox_inches="tight", format="png")


def matplotlib_cm(name: str):
    """A matplotlib colormap by name."""
    from matplotlib import colormaps

    return colormaps[name]


def draw_model_frames(cache_dir: Path) -> dict[int, Path]:
    """Run the therapy simulation once and save one remaining-depth frame per day of ``MODEL_DAYS``."""

    def draw_all(_: Path) -> None:
        from matplotlib.figure import Figure

        from scarwise.therapy import get_protocol, simulate_protocol, synthetic_region

        region = synthetic_region(n=40, dx_mm=0.15)
        result = simulate_protocol(region, get_protocol(MODEL_PROTOCOL), days=list(MODEL_DAYS), keep_maps=True,
                                   backend="numpy")
        vmax = max(float(m.max()) for m in result.maps.values()) or 1.0
        for day in MODEL_DAYS:
            fig = Figure(figsize=(3.2, 2.8))
            ax = fig.add_subplot()
            im = ax.imshow(result.maps[float(day)], cmap="magma_r", vmin=0, vmax=vmax, interpolation="nearest")
            fig.colorbar(im, ax=ax, label="mm")
            ax.set_axis_off()
            tmp = cache_dir / f".model-day{day}.{os.getpid()}.tmp.png"
            fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
            os.replace(tmp, cache_dir / f"model-day{day}.png")

    # The marker file is drawn last by its own lock, so every frame exists once it does.
    cached_png(cache_dir, "model-frames-done", lambda p: (draw_all(p), p.write_bytes(b"")))
    return {day: cache_dir / f"model-day{day}.png" for day in MODEL_DAYS}


def draw_forest(path: Path, *, labels: list[str], yi: list[float], vi: list[float], result: object,
                lang: str, ratio: bool) -> None:
    """The evidence module's forest plot for one pooled option."""
    from scarwise.evidence._plots import forest_plot

    tmp = path.with_suffix(".tmp.png")
    forest_plot(labels, yi, vi, tmp, result=result, lang=lang, exp=ratio)
    os.replace(tmp, path)
