"""Find, segment, classify and measure scars on a surface."""

from scarwise.surface.scars._detect import DetectionSettings, detect_scars

__all__ = ["DetectionSettings", "detect_scars"]
