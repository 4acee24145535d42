"""Shared synthetic scenes for the capture tests."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.capture import Lights
from scarwise.surface.synthetic import make_skin_patch

PIXEL_MM = 0.035
#: Three scars of known shape (type, centre (x, y) mm, width mm, depth mm) on an 10.5 x 10.5 mm patch.
SCARS = [
    ("boxcar", (2.6, 2.8), 2.4, 0.3),
    ("icepick", (7.8, 2.6), 1.0, 0.45),
    ("rolling", (5.2, 7.3), 4.5, 0.25),
]


def ring_lights(n: int, elevation_deg: float, *, offset_deg: float = 17.0) -> np.ndarray:
    """``n`` unit directions evenly around the camera axis at ``elevation_deg`` above the skin."""
    az = np.deg2rad(offset_deg) + np.arange(n) * 2 * np.pi / n
    e = np.deg2rad(elevation_deg)
    return np.stack([np.cos(e) * np.cos(az), np.cos(e) * np.sin(az), np.full(n, np.sin(e))], axis=1)


@pytest.fixture(scope="session")
def scarred_patch():
    """A 300 x 300 skin patch (pores, texture) with a boxcar, an icepick and a rolling scar."""
    return make_skin_patch(nx=300, ny=300, pixel_mm=PIXEL_MM, scars=SCARS, seed=1)


@pytest.fixture(scope="session")
def ring8() -> Lights:
    return Lights(ring_lights(8, 50.0))
