"""A patient-facing piece of text with numbers (or a quote) and the footnote giving its source."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sourced:
    """Text holding numbers or a quote, and the number of the footnote that gives its source."""

    text: str
    note: int
