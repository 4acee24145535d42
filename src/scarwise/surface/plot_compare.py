"""Before/after figure: both visits side by side with matched scar ids, and the difference map."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scarwise.core import HeightMap
from scarwise.surface.register import Comparison, warp_followup, warp_values


def _limit(values: np.ndarray, fallback: float) -> float:
    finite = np.abs(values[np.isfinite(values)])
    return float(np.percentile(finite, 99.5)) if finite.size else fallback


def plot_comparison(
    baseline: HeightMap, followup: HeightMap, comparison: Comparison, path: str | Path, *, dpi: int = 120
) -> Path:
    """Write a PNG (or SVG/PDF, by suffix) comparing two visits and return its path.

    Left: the baseline relative to its skin level, scars outlined and labelled by baseline id.
    Middle: the follow-up drawn on the baseline grid, relative to its own skin level, labelled
    ``baseline id→follow-up id`` (``+id`` new, ``id→×`` no longer detected). Right: follow-up minus
    baseline (after the fitted height plane) in µm on a diverging scale: red is higher (filled).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from skimage.measure import find_contours

    path = Path(path)
    rb, rf = comparison.baseline_result, comparison.followup_result
    reg = comparison.registration
    before_um = (baseline.z - rb.skin_level_mm) * 1000.0
    after_um = (warp_followup(baseline, followup, reg, level_heights=False)
                - warp_values(rf.skin_level_mm, followup, baseline, reg)) * 1000.0
    diff_um = comparison.difference_mm * 1000.0
    extent = (0.0, baseline.nx * baseline.dx_mm, baseline.ny * baseline.dy_mm, 0.0)
    lim = max(_limit(before_um, 1.0), _limit(after_um, 1.0))
    dlim = _limit(diff_um, 1.0) or 1.0

    fig, axes = plt.subplots(1, 3, figsize=(16, 5.6), constrained_layout=True)
    panels = [(axes[0], before_um, "baseline", "RdBu_r", lim),
              (axes[1], after_um, "follow-up (aligned)", "RdBu_r", lim),
              (axes[2], diff_um, "difference: follow-up − baseline", "RdBu_r", dlim)]
    for ax, data, title, cmap, v in panels:
        im = ax.imshow(data, cmap=cmap, vmin=-v, vmax=v, extent=extent, interpolation="nearest")
        ax.set_title(title)
        ax.set_xlabel("x (mm)")
        ax.set_ylabel("y (mm)")
        label = "height change (µm)" if ax is axes[2] else "height vs skin level (µm)"
        fig.colorbar(im, ax=ax, shrink=0.8, label=label)

    def outline(ax, mask, colour):
        for c in find_contours(mask.astype(np.uint8), 0.5):
            ax.plot((c[:, 1] + 0.5) * baseline.dx_mm, (c[:, 0] + 0.5) * baseline.dy_mm, color=colour, lw=1.2)

    box = {"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.85}
    for ch in comparison.scars:
        x, y = ch.centroid_mm
        if ch.baseline_id is not None:
            outline(axes[0], rb.labels == ch.baseline_id, "black")
            axes[0].annotate(str(ch.baseline_id), (x, y), ha="center", va="center", fontsize=8, bbox=box)
        if ch.followup_id is not None:
            outline(axes[1], comparison.followup_labels == ch.followup_id, "black")
        text = (f"+{ch.followup_id}" if ch.baseline_id is None
                else f"{ch.baseline_id}→{'×' if ch.followup_id is None else ch.followup_id}")
        axes[1].annotate(text, (x, y), ha="center", va="center", fontsize=8, bbox=box)
        if ch.volume_change_pct is not None:
            axes[2].annotate(f"{ch.volume_change_pct:+.0f}%", (x, y), ha="center", va="center", fontsize=8,
                             bbox=box)
    t = reg.transform_json()
    fig.suptitle(f"overlap {reg.overlap_fraction:.0%}; follow-up moved dx {t['dx_mm']:.2f} mm, "
                 f"dy {t['dy_mm']:.2f} mm, rotated {t['rotation_deg']:.2f}°, scale {t['scale']:.4f}; "
                 f"residual {reg.residual_rms_mm * 1000:.1f} µm RMS")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
