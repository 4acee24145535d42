"""Named, documented thresholds of scar detection (the defaults of the ``measure`` contract)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from scarwise.core._checks import check_non_negative, check_positive
from scarwise.core.errors import InvalidParameterError


@dataclass(frozen=True, kw_only=True)
class DetectionSettings:
    """Thresholds for finding, splitting and classifying scars. Lengths in mm.

    Parameters
    ----------
    threshold_mm : float
        Detection (seed) threshold: a candidate must lie deeper (or, raised, higher) than this
        below (above) the skin level somewhere, on the lightly smoothed depth map.
    rim_sigma : float
        The footprint is grown from each seed down to the rim threshold
        ``clip(rim_sigma * σ, rim_min_mm, threshold_mm / 2)``, where σ is the texture scale
        (1.4826 × MAD of the smoothed depth over the whole map). This hysteresis reports the rim
        of a sloping scar rather than its cross-section at ``threshold_mm``; the rim threshold
        used is reported per scar as ``threshold_mm``.
    rim_min_mm : float
        Smallest rim threshold (for noise-free surfaces).
    smoothing_mm : float
        Gaussian sigma of the smoothing applied to the depth map used for segmentation only;
        depth, volume and slopes of the result use the unsmoothed surface.
    min_width_mm, min_depth_mm : float
        What counts as a scar: equivalent-circle diameter of the footprint ≥ 0.25 mm and depth
        (deepest unsmoothed sample below skin level) ≥ 0.08 mm. Pores (≈ 0.05–0.1 mm wide,
        < 0.05 mm deep) and texture fail these.
    raised_min_height_mm, raised_min_width_mm : float
        A raised lesion is a (hypertrophic) scar when at least 0.2 mm high over a footprint at
        least 1 mm wide ...
    plateau_min_flatness, plateau_min_height_mm : float
        ... or when it is a firm plateau: at least ``raised_min_width_mm`` wide, at least
        0.08 mm high, and at least 50% of its footprint within 20% of its top height.
    split_prominence_mm : float
        Touching scars are split by a watershed on the smoothed depth from markers that stand
        out by at least this much (h-maxima); floors rougher than this split.
    boxcar_min_flatness : float
        Share of the footprint within 20% of the deepest point above which a depression has a
        flat floor (U: boxcar).
    icepick_min_aspect, icepick_max_width_mm : float
        A depression without a flat floor tapers (V) and is an icepick scar when its
        depth / width ratio is at least 0.15 or it is narrower than 2 mm; otherwise it is a
        wide bowl (M: rolling). This classification is this project's own rule
        (``shared/reference/scar-grading.md`` §1 heuristic after Jacob et al. 2001).
    """

    threshold_mm: float = 0.05
    rim_sigma: float = 2.0
    rim_min_mm: float = 0.005
    smoothing_mm: float = 0.03
    min_width_mm: float = 0.25
    min_depth_mm: float = 0.08
    raised_min_height_mm: float = 0.2
    raised_min_width_mm: float = 1.0
    plateau_min_flatness: float = 0.5
    plateau_min_height_mm: float = 0.08
    split_prominence_mm: float = 0.05
    boxcar_min_flatness: float = 0.35
    icepick_min_aspect: float = 0.15
    icepick_max_width_mm: float = 2.0

    def __post_init__(self) -> None:
        check_positive(**{f.name: getattr(self, f.name) for f in fields(self) if f.name != "rim_sigma"})
        check_non_negative(rim_sigma=self.rim_sigma)
        for name in ("plateau_min_flatness", "boxcar_min_flatness"):
            value = getattr(self, name)
            if value > 1:
                raise InvalidParameterError(f"{name} is a share of the footprint in (0, 1], got {value!r}")

    def to_json(self) -> dict[str, Any]:
        """The settings as a plain dict (for the ``measure`` JSON)."""
        return asdict(self)
