"""Readers and writers for scans: x3p, TIFF, CSV/XYZ, PLY/OBJ, npy/npz.

All lengths in mm. Sizes are checked against the point limit before anything large is
allocated or decompressed; damaged or inconsistent files raise :class:`InvalidFileError`.
"""

from scarwise.surface.io._dispatch import SUPPORTED_SUFFIXES, read_surface, write_surface
from scarwise.surface.io._points import grid_points

__all__ = ["SUPPORTED_SUFFIXES", "grid_points", "read_surface", "write_surface"]
