"""Find, segment, classify and measure scars on a surface."""

from scarwise.surface.scars._detect import ScarSegmentation, detect_scars, scar_labels, segment_scars
from scarwise.surface.scars._settings import DetectionSettings

__all__ = ["DetectionSettings", "ScarSegmentation", "detect_scars", "scar_labels", "segment_scars"]
