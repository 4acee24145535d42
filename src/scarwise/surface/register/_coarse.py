"""Coarse registration at reduced resolution: Fourier–Mellin for rotation and scale, then masked
normalised cross-correlation (Padfield 2012) for the translation.

Both scans are detrended, brought to one square pixel of about a 256th of the larger field,
band-passed (form above ``highpass_mm`` removed) and compared there. The magnitude spectrum does
not depend on translation, so its log-polar image turns rotation and scale into shifts
(Reddy & Chatterji 1996, doi:10.1109/83.506761); the magnitude is symmetric, so the angle is
known up to 180° and both candidates are tried, keeping the one whose overlap correlates best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import fft, ndimage
from skimage.registration import phase_cross_correlation
from skimage.transform import warp_polar

from scarwise.core import HeightMap
from scarwise.surface.register._prepare import block_mean, detrend, resample_to_pixel, smooth_nan

#: Long side of the coarse grid in pixels: large enough for rotation to ~0.5°, small enough to be fast.
COARSE_SIZE_PX = 256
#: Degree of the polynomial form (tilt, a cheek's curvature) removed before the coarse step.
FORM_DEGREE = 4
#: Form (curvature, tilt) above this wavelength scale is removed before the coarse step, in mm.
HIGHPASS_MM = 1.0
#: Band-passed heights are soft-clipped at this many robust standard deviations.
COMPRESS_SIGMAS = 2.0
#: Rotations always tried besides the Fourier-Mellin pair, in degrees.
ROTATION_GRID_DEG = (-6.0, -3.0, 0.0, 3.0, 6.0)
#: Angular samples over 360° in the log-polar image.
POLAR_ANGLES = 720


@dataclass(frozen=True, slots=True)
class CoarseEstimate:
    """p_base = scale * R(rotation) p_follow + (tx, ty), all in mm; ``score`` the overlap NCC."""

    rotation_rad: float
    scale: float
    tx_mm: float
    ty_mm: float
    score: float
    overlap_px: int


@dataclass(frozen=True, slots=True)
class _Coarse:
    image: NDArray[np.float64]  # band-passed heights, 0 where missing
    mask: NDArray[np.bool_]
    origin: tuple[float, float]  # position (x, y) in mm of sample (0, 0) in the scan's own coordinates


def _coarse_image(surface: HeightMap, pixel_mm: float, highpass_mm: float) -> _Coarse:
    small, origin = resample_to_pixel(surface.z, surface.dy_mm, surface.dx_mm, pixel_mm)
    small = detrend(small, np.isfinite(small), degree=FORM_DEGREE)  # form is smooth: fit it coarse
    low = smooth_nan(small, highpass_mm / pixel_mm, min_weight=0.05)
    band = small - low
    mask = np.isfinite(band)
    band = np.where(mask, band, 0.0)
    if mask.any():
        band[mask] -= band[mask].mean()
        # Soft-clip: deep scars would otherwise outweigh the skin texture that pins the alignment.
        spread = 1.4826 * float(np.median(np.abs(band[mask]))) or 1.0
        band = np.tanh(band / (COMPRESS_SIGMAS * spread))
    return _Coarse(band, mask, origin)


def _log_polar_spectrum(img: NDArray, mask: NDArray, n: int) -> tuple[NDArray, float]:
    """Log-polar image of the windowed, padded magnitude spectrum; returns it and radius/ln(radius)."""
    window = np.outer(np.hanning(img.shape[0]), np.hanning(img.shape[1]))
    padded = np.zeros((n, n))
    padded[: img.shape[0], : img.shape[1]] = img * window * mask
    mag = np.abs(np.fft.fftshift(np.fft.fft2(padded)))
    # Emphasise mid frequencies: DC and the lowest rings carry the window, not the surface.
    f = np.hypot(*np.meshgrid(np.fft.fftshift(np.fft.fftfreq(n)), np.fft.fftshift(np.fft.fftfreq(n))))
    mag *= (1.0 - np.cos(np.pi * np.clip(f / 0.5, 0, 1))) / 2.0
    radius = n // 2
    polar = warp_polar(mag, radius=radius, output_shape=(POLAR_ANGLES, radius), scaling="log", order=1)
    return np.log1p(polar[: POLAR_ANGLES // 2]), radius / np.log(radius)


def _rotation_scale(base: _Coarse, follow: _Coarse) -> tuple[float, float]:
    n = int(2 ** np.ceil(np.log2(max(*base.image.shape, *follow.image.shape))))
    pb, klog = _log_polar_spectrum(base.image, base.mask, n)
    pf, _ = _log_polar_spectrum(follow.image, follow.mask, n)
    # Log-radius columns 35-95%, i.e. radii R**0.35 to R**0.95 (about 7 to 190 of 256 pixels):
    # below is the window's leakage around DC, above the aliased corners.
    r0, r1 = int(pb.shape[1] * 0.35), int(pb.shape[1] * 0.95)
    shift, _, _ = phase_cross_correlation(pb[:, r0:r1], pf[:, r0:r1], upsample_factor=4, normalization=None)
    angle = np.deg2rad(shift[0] * 360.0 / POLAR_ANGLES)
    scale = float(np.exp(-shift[1] / klog))
    return float(angle), scale


def _warp_follow(follow: _Coarse, pixel_mm: float, m: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Follow-up coarse image drawn in the frame q = M p_follow; returns image, mask, q of sample 0."""
    h, w = follow.image.shape
    ox, oy = follow.origin
    corners = np.array([[ox, oy], [ox + (w - 1) * pixel_mm, oy], [ox, oy + (h - 1) * pixel_mm],
                        [ox + (w - 1) * pixel_mm, oy + (h - 1) * pixel_mm]])
    q = corners @ m.T
    q0 = q.min(axis=0)
    size = np.ceil((q.max(axis=0) - q0) / pixel_mm).astype(int) + 1
    jj, ii = np.meshgrid(np.arange(size[0]), np.arange(size[1]))
    qx, qy = q0[0] + jj * pixel_mm, q0[1] + ii * pixel_mm
    minv = np.linalg.inv(m)
    px = minv[0, 0] * qx + minv[0, 1] * qy
    py = minv[1, 0] * qx + minv[1, 1] * qy
    coords = [(py - oy) / pixel_mm, (px - ox) / pixel_mm]
    img = ndimage.map_coordinates(follow.image, coords, order=1, cval=0.0, prefilter=False)
    msk = ndimage.map_coordinates(follow.mask.astype(np.float64), coords, order=1, cval=0.0, prefilter=False)
    return img, msk > 0.99, q0


def masked_ncc(
    base: NDArray, base_mask: NDArray, mov: NDArray, mov_mask: NDArray, *, min_overlap_px: int
) -> tuple[tuple[int, int], float, int]:
    """Best shift s with base(u + s) ~ mov(u), by normalised cross-correlation over the overlap.

    Masked NCC computed with FFTs (Padfield 2012, doi:10.1109/TIP.2011.2181402). The best shift
    maximises the Fisher z of the NCC times sqrt(overlap), so a high NCC on a sliver of overlap
    does not beat a good NCC on a large one. Returns the shift (rows, cols), its NCC and overlap.
    """
    hb, wb = base.shape
    hm, wm = mov.shape
    shape = (fft.next_fast_len(hb + hm - 1, real=True), fft.next_fast_len(wb + wm - 1, real=True))
    mb, mm = base_mask.astype(np.float64), mov_mask.astype(np.float64)
    b, m = np.where(base_mask, base, 0.0), np.where(mov_mask, mov, 0.0)
    fb = [fft.rfft2(a, shape) for a in (b, b * b, mb)]
    fm = [np.conj(fft.rfft2(a, shape)) for a in (m, m * m, mm)]

    def corr(i: int, j: int) -> NDArray:
        return fft.irfft2(fb[i] * fm[j], shape)

    n = np.rint(corr(2, 2))
    sb, sm, sbb, smm, sbm = corr(0, 2), corr(2, 0), corr(1, 2), corr(2, 1), corr(0, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        nn = np.maximum(n, 1.0)
        num = sbm - sb * sm / nn
        den = np.sqrt(np.maximum(sbb - sb * sb / nn, 0.0) * np.maximum(smm - sm * sm / nn, 0.0))
        ncc = np.where((n >= min_overlap_px) & (den > 1e-12 * nn), num / den, -1.0)
    support = np.arctanh(np.clip(ncc, -0.999, 0.999)) * np.sqrt(np.maximum(n, 0.0))
    i, j = np.unravel_index(int(np.argmax(support)), support.shape)
    si = i if i < hb else i - shape[0]  # wrapped indices are negative shifts
    sj = j if j < wb else j - shape[1]
    return (int(si), int(sj)), float(ncc[i, j]), int(n[i, j])


def _support(e: CoarseEstimate) -> float:
    """Fisher z of the overlap correlation times sqrt(overlap): a high NCC on a sliver is weak evidence."""
    return float(np.arctanh(np.clip(e.score, -0.999, 0.999)) * np.sqrt(e.overlap_px))


def _halve(c: _Coarse, pixel_mm: float) -> _Coarse:
    small = block_mean(c.image, c.mask, 2, 2)
    mask = np.isfinite(small)
    origin = (c.origin[0] + 0.5 * pixel_mm, c.origin[1] + 0.5 * pixel_mm)
    return _Coarse(np.where(mask, small, 0.0), mask, origin)


def _search(base: _Coarse, follow: _Coarse, pixel_mm: float, angles: tuple[float, ...], scale: float,
            ) -> CoarseEstimate | None:
    """Best-supported translation over the given rotations (radians), at one grid."""
    best: CoarseEstimate | None = None
    min_overlap = int(0.05 * base.mask.sum())
    for theta in angles:
        c, s = np.cos(theta), np.sin(theta)
        m = scale * np.array([[c, -s], [s, c]])
        img, msk, q0 = _warp_follow(follow, pixel_mm, m)
        shift_px, score, n = masked_ncc(base.image, base.mask, img, msk, min_overlap_px=min_overlap)
        # Canvas sample u sits at q = q0 + pixel * u and matches baseline sample u + shift.
        t = np.array(base.origin) - q0 + pixel_mm * np.array([shift_px[1], shift_px[0]])
        cand = CoarseEstimate(float(np.arctan2(s, c)), float(scale), float(t[0]), float(t[1]), score, n)
        if n >= min_overlap and (best is None or _support(cand) > _support(best)):
            best = cand
    return best


def coarse_register(
    baseline: HeightMap,
    followup: HeightMap,
    *,
    coarse_size_px: int = COARSE_SIZE_PX,
    highpass_mm: float = HIGHPASS_MM,
    estimate_scale: bool = True,
) -> CoarseEstimate:
    """Rough similarity transform taking follow-up coordinates (mm) onto the baseline's.

    Candidates (the Fourier-Mellin angle, its 180° twin and a few small rotations, which cover the
    usual case and a partial overlap that misleads Fourier-Mellin) are ranked at half the coarse
    resolution; the winner's translation is then found at the coarse resolution.
    """
    extent = max(baseline.nx * baseline.dx_mm, baseline.ny * baseline.dy_mm,
                 followup.nx * followup.dx_mm, followup.ny * followup.dy_mm)
    pixel_mm = max(extent / coarse_size_px, baseline.dx_mm, baseline.dy_mm, followup.dx_mm, followup.dy_mm)
    base = _coarse_image(baseline, pixel_mm, highpass_mm)
    follow = _coarse_image(followup, pixel_mm, highpass_mm)
    angle, scale = _rotation_scale(base, follow)
    if not estimate_scale or not (0.8 < scale < 1.25):
        scale = 1.0
    angles = (angle, angle + np.pi, *np.deg2rad(ROTATION_GRID_DEG))
    rough = _search(_halve(base, pixel_mm), _halve(follow, pixel_mm), 2 * pixel_mm, angles, scale)
    if rough is None:
        return CoarseEstimate(float(angle), float(scale), 0.0, 0.0, -1.0, 0)
    return _search(base, follow, pixel_mm, (rough.rotation_rad,), scale) or rough
