"""Scar detection (placeholder until implemented)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DetectionSettings:
    threshold_mm: float = 0.05


def detect_scars(*args, **kwargs):
    raise NotImplementedError
