"""Global scar grades: Goodman & Baron (quantitative, qualitative) and ECCA."""

from scarwise.surface.grading._grade import ClinicianInputs, grade_scars

__all__ = ["ClinicianInputs", "grade_scars"]
