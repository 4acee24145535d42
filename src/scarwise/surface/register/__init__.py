"""Align a follow-up scan onto a baseline scan and compare them scar by scar.

``register_surfaces`` finds p_base = scale · R(θ) · p_follow + (dx, dy) (mm, from each scan's first
sample) and a height plane; ``compare_surfaces`` measures both visits, matches scars and reports
their change (the ``compare`` contract of DESIGN.md); ``compare_series`` tracks scars over more
than two visits.
"""

from scarwise.surface.register._compare import Comparison, ScarChange, compare_surfaces
from scarwise.surface.register._register import (
    Registration,
    RegistrationError,
    overlap_fraction,
    register_surfaces,
    warp_followup,
    warp_values,
)
from scarwise.surface.register._series import ScarSeries, ScarTrack, compare_series

__all__ = [
    "Comparison",
    "Registration",
    "RegistrationError",
    "ScarChange",
    "ScarSeries",
    "ScarTrack",
    "compare_series",
    "compare_surfaces",
    "overlap_fraction",
    "register_surfaces",
    "warp_followup",
    "warp_values",
]
