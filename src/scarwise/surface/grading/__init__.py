"""Global scar grades: Goodman & Baron (quantitative, qualitative) and ECCA.

Constants live in the versioned ``scales.json`` (all UNVERIFIED until checked against the
primary papers; ``Grade.verified`` says so).
"""

from scarwise.surface.grading._grade import (
    ClinicianInputs,
    ecca_score,
    goodman_baron_quantitative_score,
    grade_scars,
    scar_scale_rows,
)
from scarwise.surface.grading._scales import load_scales

__all__ = [
    "ClinicianInputs",
    "ecca_score",
    "goodman_baron_quantitative_score",
    "grade_scars",
    "load_scales",
    "scar_scale_rows",
]
