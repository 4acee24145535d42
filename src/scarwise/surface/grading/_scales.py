"""The versioned grading constants (``scales.json``) and the two binning rules they use.

The Goodman & Baron quantitative table and the ECCA weights are UNVERIFIED (see
``shared/reference/scar-grading.md`` §3–4 and §8): they are reconstructed from memory of the primary
papers, and a search of the stored sources (2026-11-25, recorded in each scale's ``verification``)
reached only abstracts and first pages, never the tables. Each scale's ``verified`` stays false until
every one of its constants is checked against a retrieved text of

- Goodman GJ, Baron JA. *J Cosmet Dermatol* 2006;5(1):48–52 (quantitative grade).
- Goodman GJ, Baron JA. *Dermatol Surg* 2006;32(12):1458–66 (qualitative grade).
- Dréno B et al. *Dermatology* 2007;214(1):46–51 (ECCA).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

#: The scales in ``scales.json`` that carry ``verified`` and ``verification``.
SCALE_KEYS = ("goodman_baron_quantitative", "goodman_baron_qualitative", "ecca")


@lru_cache(maxsize=1)
def load_scales() -> dict[str, Any]:
    """The parsed ``scales.json`` shipped with the package (read once)."""
    text = resources.files("scarwise.surface.grading").joinpath("scales.json").read_text(encoding="utf-8")
    return json.loads(text)


def binned(count: int, bins: list[list[int]]) -> int:
    """The value of the last ``[smallest count, value]`` bin whose smallest count is ``<= count``."""
    value = 0
    for lowest, v in bins:
        if count >= lowest:
            value = int(v)
    return value


def d2_points(area_cm2: float, bounds_cm2: list[float], points: list[int]) -> int:
    """Goodman D2 points for a keloidal/hypertrophic area in cm².

    ``area <= 0`` gives 0; ``area < bounds[0]`` the first points; ``bounds[0] <= area <= bounds[1]``
    the second; ``area > bounds[1]`` the third (the paper's "< 5", "5–20", "> 20 cm²").
    """
    low, high = bounds_cm2
    if area_cm2 <= 0:
        return 0
    if area_cm2 < low:
        return int(points[0])
    if area_cm2 <= high:
        return int(points[1])
    return int(points[2])
