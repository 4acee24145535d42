"""Scar map: heights relative to the skin level, scar outlines coloured by type, labelled by id."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scarwise.core import HeightMap
from scarwise.surface.measure import MeasureResult

#: Outline colour per scar type (colour-blind safe, Okabe–Ito palette).
TYPE_COLOURS = {
    "icepick": "#D55E00",
    "boxcar": "#0072B2",
    "rolling": "#009E73",
    "hypertrophic": "#CC79A7",
}


def plot_scar_map(surface: HeightMap, result: MeasureResult, path: str | Path, *, dpi: int = 150) -> Path:
    """Write a PNG (or SVG/PDF, by suffix) of the scar map and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from skimage.measure import find_contours

    path = Path(path)
    relative_um = (surface.z - result.skin_level_mm) * 1000.0
    finite = relative_um[np.isfinite(relative_um)]
    limit = float(np.percentile(np.abs(finite), 99.5)) if finite.size else 1.0
    extent = (0.0, surface.nx * surface.dx_mm, surface.ny * surface.dy_mm, 0.0)

    fig, ax = plt.subplots(figsize=(8, 7), constrained_layout=True)
    image = ax.imshow(relative_um, cmap="RdBu_r", vmin=-limit, vmax=limit, extent=extent,
                      interpolation="nearest")
    fig.colorbar(image, ax=ax, label="height relative to skin level (µm)", shrink=0.85)
    for scar in result.scars:
        mask = result.labels == scar.id
        colour = TYPE_COLOURS.get(scar.type, "black")
        for contour in find_contours(mask.astype(np.uint8), 0.5):
            ax.plot((contour[:, 1] + 0.5) * surface.dx_mm, (contour[:, 0] + 0.5) * surface.dy_mm,
                    color=colour, linewidth=1.4)
        x, y = scar.centroid_mm
        ax.annotate(str(scar.id), (x, y), color="black", fontsize=8, ha="center", va="center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": colour, "alpha": 0.85})
    handles = [Line2D([], [], color=c, label=t) for t, c in TYPE_COLOURS.items()]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_title(f"{len(result.scars)} scar(s) — outlines by type, labels are scar ids")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
