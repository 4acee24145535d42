"""ISO 25178-2 areal surface texture parameters."""

from scarwise.surface.iso25178._all import (
    CONTRACT_PARAMETERS,
    DEFAULT_PARAMETERS,
    DEFINITIONS,
    PARAMETERS,
    UNITS,
    areal_parameters,
)

__all__ = ["CONTRACT_PARAMETERS", "DEFAULT_PARAMETERS", "DEFINITIONS", "PARAMETERS", "UNITS", "areal_parameters"]
