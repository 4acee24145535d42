"""Shared types, units and errors."""

from scarwise.core.errors import (
    EmptySurfaceError,
    InvalidFileError,
    InvalidParameterError,
    MissingPixelSizeError,
    ScarwiseError,
    TooLargeError,
    UnsupportedFormatError,
)
from scarwise.core.heightmap import DEFAULT_MAX_POINTS, HeightMap, check_point_count, max_points
from scarwise.core.results import Grade, ScarMeasurement, ScarType

__all__ = [
    "DEFAULT_MAX_POINTS",
    "EmptySurfaceError",
    "Grade",
    "HeightMap",
    "InvalidFileError",
    "InvalidParameterError",
    "MissingPixelSizeError",
    "ScarMeasurement",
    "ScarType",
    "ScarwiseError",
    "TooLargeError",
    "UnsupportedFormatError",
    "check_point_count",
    "max_points",
]
