"""The ``measure`` pipeline: one surface in, areal parameters, scars and grades out.

This module only composes the steps (form removal, filters, ISO 25178 parameters, skin level,
scars, grade); each step lives in its own subpackage. The JSON it produces is the ``measure``
contract of DESIGN.md (``shared/contracts/measure.schema.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scarwise.core import EmptySurfaceError, Grade, HeightMap, ScarMeasurement
from scarwise.core._checks import check_positive
from scarwise.surface.form import l_filter, remove_form, s_filter, skin_level
from scarwise.surface.grading import ClinicianInputs, grade_scars
from scarwise.surface.iso25178 import areal_parameters
from scarwise.surface.scars import DetectionSettings, segment_scars


@dataclass(frozen=True, kw_only=True)
class MeasureResult:
    """Everything ``scarwise measure`` reports about one surface.

    ``skin_level_mm`` and ``labels`` (0 = no scar, else the scar id) are kept for plots and
    planning; they are not part of the JSON.
    """

    nx: int
    ny: int
    dx_mm: float
    dy_mm: float
    iso25178: dict[str, float | None]
    scars: tuple[ScarMeasurement, ...]
    grade: Grade
    settings: dict[str, Any]
    skin_level_mm: NDArray[np.float64] = field(repr=False)
    labels: NDArray[np.int32] = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        """The ``measure`` contract as plain JSON types."""
        return {
            "surface": {"nx": self.nx, "ny": self.ny, "dx_mm": self.dx_mm, "dy_mm": self.dy_mm},
            "iso25178": {k: _finite_or_none(v) for k, v in self.iso25178.items()},
            "scars": [s.to_json() for s in self.scars],
            "grade": self.grade.to_json(),
            "settings": self.settings,
        }


_NO_RELIEF_UM = 1e-6  # Sq of 1 picometre: far below any skin scanner's noise


def _finite_or_none(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(value)


def measure_surface(
    surface: HeightMap,
    *,
    form: str = "plane",
    lc_mm: float | None = None,
    ls_mm: float | None = None,
    detection: DetectionSettings | None = None,
    clinician: ClinicianInputs | None = None,
) -> MeasureResult:
    """Measure areal parameters, scars and global grades of one surface.

    Parameters
    ----------
    surface : HeightMap
        Heights in mm, NaN where missing.
    form : str
        Form removed before the ISO 25178 parameters: ``"plane"`` (default), ``"poly:N"`` or
        ``"none"``. Scars are always measured against the robust skin level instead.
    lc_mm, ls_mm : float, optional
        ISO 16610-61 Gaussian L-filter (waviness removed) and S-filter cut-offs in mm, applied
        only to the ISO 25178 parameters; none by default.
    detection : DetectionSettings, optional
        Scar detection thresholds (defaults documented there).
    clinician : ClinicianInputs, optional
        What a 3D scan cannot see (macular scars, qualitative grade, ...) for the grades.
    """
    surface.require_valid()
    if lc_mm is not None:
        check_positive(lc_mm=lc_mm)
    if ls_mm is not None:
        check_positive(ls_mm=ls_mm)
    detection = detection or DetectionSettings()

    leveled = remove_form(surface, method=form)
    if ls_mm is not None:
        leveled = s_filter(leveled, ls_mm)
    if lc_mm is not None:
        leveled = l_filter(leveled, lc_mm)
    iso = areal_parameters(leveled)
    if not iso["Sq"] > _NO_RELIEF_UM:
        # Ssk and Sku divide by Sq (rounding noise after levelling a constant or tilted map would
        # give meaningless values); the contract (measure.schema.json) needs numbers there
        raise EmptySurfaceError(
            "the surface has no relief once its form is removed (Sq below 1 pm), so Ssk and Sku are "
            "undefined and there is nothing to measure: check that the file holds heights and "
            "not a blank or constant map"
        )

    skin = skin_level(surface)
    segmentation = segment_scars(surface, skin_level_mm=skin, settings=detection)
    scars, labels = segmentation.scars, segmentation.labels
    valid_area_cm2 = float(surface.valid.sum()) * surface.dx_mm * surface.dy_mm / 100.0
    grade = grade_scars(scars, inputs=clinician, area_cm2=valid_area_cm2)
    settings = {
        "form": form,
        "lc_mm": lc_mm,
        "ls_mm": ls_mm,
        "detection": detection.to_json(),
    }
    return MeasureResult(
        nx=surface.nx,
        ny=surface.ny,
        dx_mm=surface.dx_mm,
        dy_mm=surface.dy_mm,
        iso25178=iso,
        scars=scars,
        grade=grade,
        settings=settings,
        skin_level_mm=skin,
        labels=labels,
    )
