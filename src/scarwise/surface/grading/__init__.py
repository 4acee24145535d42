"""Global scar grades: Goodman & Baron (quantitative, qualitative) and ECCA.

Constants live in the versioned ``scales.json``. The Goodman & Baron quantitative table and the
ECCA weights are UNVERIFIED (no retrieved source reproduces them; see each scale's
``verification``), so ``Grade.verified`` is false; :func:`unverified_scales` names them.
"""

from scarwise.surface.grading._grade import (
    ClinicianInputs,
    ecca_score,
    goodman_baron_quantitative_score,
    grade_scars,
    scar_scale_rows,
    unverified_scales,
)
from scarwise.surface.grading._scales import load_scales

__all__ = [
    "ClinicianInputs",
    "ecca_score",
    "goodman_baron_quantitative_score",
    "grade_scars",
    "load_scales",
    "scar_scale_rows",
    "unverified_scales",
]
