"""Align a follow-up scan onto a baseline scan and compare them scar by scar."""

from scarwise.surface.register._register import (
    Registration,
    RegistrationError,
    overlap_fraction,
    register_surfaces,
    warp_followup,
)

__all__ = [
    "Registration",
    "RegistrationError",
    "overlap_fraction",
    "register_surfaces",
    "warp_followup",
]
