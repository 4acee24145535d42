"""Readers and writers for scans: x3p, TIFF, CSV/XYZ, PLY/OBJ, npy/npz."""

from scarwise.surface.io._dispatch import SUPPORTED_SUFFIXES, read_surface, write_surface

__all__ = ["SUPPORTED_SUFFIXES", "read_surface", "write_surface"]
