"""Grading (placeholder until implemented)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ClinicianInputs:
    pass


def grade_scars(*args, **kwargs):
    raise NotImplementedError
