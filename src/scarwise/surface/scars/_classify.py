"""Scar type by shape (this project's own rule, not a published algorithm).

After the heuristic in ``shared/reference/scar-grading.md`` §1, built on the morphology of
Jacob CI, Dover JS, Kaminer MS. *J Am Acad Dermatol* 2001;45:109–17 (icepick "V", boxcar "U",
rolling "M"). Widths of the types overlap (icepick < 2 mm, boxcar 1.5–4 mm, rolling > 4–5 mm),
so the floor decides first and width only settles tapered lesions:

1. raised: hypertrophic when ≥ ``raised_min_height_mm`` high over ≥ ``raised_min_width_mm``, or a
   firm plateau (``plateau_min_flatness`` of the footprint within 20% of the top, ≥
   ``plateau_min_height_mm`` high, ≥ ``raised_min_width_mm`` wide); other bumps are not scars;
2. flat floor (``floor_flatness ≥ boxcar_min_flatness``): boxcar (U);
3. tapered (V) and deep for its width (depth / width ≥ ``icepick_min_aspect``) or narrower than
   ``icepick_max_width_mm``: icepick;
4. otherwise a wide shallow bowl with sloping walls (M): rolling.
"""

from __future__ import annotations

from scarwise.core import ScarType
from scarwise.surface.scars._measure import RegionMetrics
from scarwise.surface.scars._settings import DetectionSettings


def classify_depression(m: RegionMetrics, settings: DetectionSettings) -> ScarType:
    """Type of an atrophic (depressed) scar from its metrics."""
    if m.floor_flatness >= settings.boxcar_min_flatness:
        return "boxcar"
    if m.depth_mm / m.width_mm >= settings.icepick_min_aspect or m.width_mm < settings.icepick_max_width_mm:
        return "icepick"
    return "rolling"


def is_hypertrophic(m: RegionMetrics, settings: DetectionSettings) -> bool:
    """Whether a raised lesion (``m.depth_mm`` = its height, positive) is scar-like."""
    if m.width_mm < settings.raised_min_width_mm:
        return False
    if m.depth_mm >= settings.raised_min_height_mm:
        return True
    return m.depth_mm >= settings.plateau_min_height_mm and m.floor_flatness >= settings.plateau_min_flatness
