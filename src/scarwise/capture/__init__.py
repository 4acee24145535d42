"""Scans without a 3D camera: photometric stereo (images + lights -> HeightMap) and colour maps."""

from scarwise.capture._capture import PhotometricScan, capture_scan, photometric_stereo
from scarwise.capture._colour import (
    ColourMaps,
    ColourStats,
    RegionColour,
    colour_maps,
    colour_stats,
    find_discoloured,
    normalise_to_patch,
    srgb_to_linear,
)
from scarwise.capture._images import IMAGE_SUFFIXES, load_images, read_image, to_grey
from scarwise.capture._integrate import (
    INTEGRATORS,
    integrate_dct,
    integrate_fft,
    integrate_lsq,
    integrate_slopes,
)
from scarwise.capture._lights import Lights, calibrate_sphere, check_lights, find_sphere, load_lights
from scarwise.capture._normals import NormalMap, estimate_normals
from scarwise.capture._render import cast_shadows, render_images, surface_normals

__all__ = [
    "IMAGE_SUFFIXES",
    "INTEGRATORS",
    "ColourMaps",
    "ColourStats",
    "Lights",
    "NormalMap",
    "PhotometricScan",
    "RegionColour",
    "calibrate_sphere",
    "capture_scan",
    "cast_shadows",
    "check_lights",
    "colour_maps",
    "colour_stats",
    "estimate_normals",
    "find_discoloured",
    "find_sphere",
    "integrate_dct",
    "integrate_fft",
    "integrate_lsq",
    "integrate_slopes",
    "load_images",
    "load_lights",
    "normalise_to_patch",
    "photometric_stereo",
    "read_image",
    "render_images",
    "srgb_to_linear",
    "surface_normals",
    "to_grey",
]
