"""Charts drawn as inline SVG (no JavaScript): range bars, icon arrays, and the scar map.

Every chart is a string of SVG markup; numbers in a chart repeat numbers that the text next to
it states with their footnote, so a chart never carries a number of its own.
"""

from __future__ import annotations

import base64
import io
import math
from html import escape

import numpy as np

from scarwise.core import HeightMap
from scarwise.core.errors import InvalidParameterError

INK, MUTED, ACCENT, PALE = "#1f2d3d", "#6b7785", "#0b6e8a", "#cfe3ea"


def range_bar_svg(estimate: float, ci: tuple[float, float], pi: tuple[float, float] | None, *,
                  null_value: float, log_scale: bool = False, width: int = 260, height: int = 44) -> str:
    """A horizontal range bar: prediction interval (pale), confidence interval (dark), estimate (dot).

    The dashed line marks ``null_value`` (no difference). With ``log_scale`` the axis is logarithmic
    (ratios). The axis spans all values given plus a margin.
    """
    values = [estimate, *ci, null_value, *(pi or ())]
    tf = (lambda v: math.log(v)) if log_scale else (lambda v: v)
    finite = [tf(v) for v in values if math.isfinite(v) and (v > 0 or not log_scale)]
    lo, hi = min(finite), max(finite)
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad

    def x(v: float) -> float:
        return 8 + (width - 16) * (tf(v) - lo) / (hi - lo)

    mid = height / 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart range" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img">']
    parts.append(f'<line x1="8" y1="{mid}" x2="{width - 8}" y2="{mid}" stroke="#e3e7eb" stroke-width="1"/>')
    if pi is not None and all(math.isfinite(v) for v in pi):
        parts.append(f'<rect x="{x(pi[0]):.1f}" y="{mid - 9}" width="{max(x(pi[1]) - x(pi[0]), 1):.1f}" '
                     f'height="18" rx="4" fill="{PALE}"/>')
    parts.append(f'<rect x="{x(ci[0]):.1f}" y="{mid - 4}" width="{max(x(ci[1]) - x(ci[0]), 1):.1f}" height="8" '
                 f'rx="3" fill="{ACCENT}"/>')
    parts.append(f'<line x1="{x(null_value):.1f}" y1="4" x2="{x(null_value):.1f}" y2="{height - 4}" '
                 f'stroke="{MUTED}" stroke-width="1.2" stroke-dasharray="3 2"/>')
    parts.append(f'<circle cx="{x(estimate):.1f}" cy="{mid}" r="5" fill="{INK}" stroke="white" stroke-width="1.5"/>')
    parts.append("</svg>")
    return "".join(parts)


def icon_array_svg(k: int, n: int, *, per_row: int = 10, size: int = 11, rtl: bool = False,
                   colour: str = "#c0504d") -> str:
    """``n`` person icons, the first ``k`` filled (from the right when ``rtl``)."""
    if not 0 <= k <= n or n < 1:
        raise InvalidParameterError(f"icon array needs 0 <= k <= n and n >= 1, got k={k}, n={n}")
    rows = math.ceil(n / per_row)
    cols = min(n, per_row)
    w, h = cols * (size + 3), rows * (size + 5)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart icons" width="{w}" height="{h}" '
             f'viewBox="0 0 {w} {h}" role="img">']
    for i in range(n):
        r, c = divmod(i, per_row)
        if rtl:
            c = cols - 1 - c
        cx, top = c * (size + 3) + size / 2 + 1, r * (size + 5) + 1
        fill = colour if i < k else "#d9dee3"
        a, b = size * 0.38, size * 0.62
        parts.append(f'<circle cx="{cx:.1f}" cy="{top + size * 0.22:.1f}" r="{size * 0.22:.1f}" fill="{fill}"/>'
                     f'<path d="M{cx - a:.1f},{top + size + 2:.1f} q0,-{b:.1f} {a:.1f},-{b:.1f} '
                     f'q{a:.1f},0 {a:.1f},{b:.1f} z" fill="{fill}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _scar_map_png(surface: HeightMap, skin_level_mm: np.ndarray, labels: np.ndarray,
                  types: dict[int, str], *, max_px: int = 520) -> tuple[bytes, int, int]:
    from matplotlib import colormaps
    from PIL import Image

    from scarwise.surface.plot import TYPE_COLOURS

    step = max(1, math.ceil(max(surface.nx, surface.ny) / max_px))
    rel = (surface.z - skin_level_mm)[::step, ::step]
    lab = labels[::step, ::step]
    finite = rel[np.isfinite(rel)]
    limit = float(np.percentile(np.abs(finite), 99.5)) if finite.size else 1.0
    limit = limit or 1.0
    rgba = colormaps["RdBu_r"](np.clip(0.5 + 0.5 * np.nan_to_num(rel) / limit, 0, 1))
    rgba[~np.isfinite(rel)] = (0.85, 0.85, 0.85, 1.0)
    edge = np.zeros(lab.shape, bool)
    edge[:-1] |= lab[:-1] != lab[1:]
    edge[1:] |= lab[1:] != lab[:-1]
    edge[:, :-1] |= lab[:, :-1] != lab[:, 1:]
    edge[:, 1:] |= lab[:, 1:] != lab[:, :-1]
    edge &= lab > 0
    for scar_id, kind in types.items():
        colour = TYPE_COLOURS.get(kind, "#000000").lstrip("#")
        rgb = tuple(int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4))
        rgba[edge & (lab == scar_id), :3] = rgb
    image = Image.fromarray((rgba[..., :3] * 255).astype(np.uint8))
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue(), image.width, image.height


def scar_map_svg(surface: HeightMap, skin_level_mm: np.ndarray, labels: np.ndarray,
                 scars: tuple, *, width: int = 330) -> tuple[str, float]:
    """The scar map as an SVG with the height image embedded, scar ids and a scale bar.

    Returns the SVG and the scale-bar length in mm. Text in the SVG is only numbers (scar ids,
    already listed with their measurements) so it reads the same in any language.
    """
    types = {s.id: s.type for s in scars}
    png, pw, ph = _scar_map_png(surface, skin_level_mm, labels, types)
    extent_x, extent_y = surface.nx * surface.dx_mm, surface.ny * surface.dy_mm
    height = width * extent_y / extent_x
    scale = width / extent_x  # px per mm
    bar_mm = _nice_length(extent_x / 4)
    data = base64.b64encode(png).decode("ascii")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" class="chart map" '
             f'width="{width}" height="{height + 22:.0f}" viewBox="0 0 {width} {height + 22:.0f}" role="img">',
             f'<image x="0" y="0" width="{width}" height="{height:.1f}" preserveAspectRatio="none" '
             f'href="data:image/png;base64,{data}" xlink:href="data:image/png;base64,{data}"/>']
    for s in scars:
        cx, cy = s.centroid_mm[0] * scale, s.centroid_mm[1] * scale
        parts.append(f'<text x="{cx:.1f}" y="{cy + 3:.1f}" font-size="8" text-anchor="middle" fill="#111" '
                     f'stroke="white" stroke-width="2.2" paint-order="stroke">{escape(str(s.id))}</text>')
    y = height + 12
    parts.append(f'<line x1="4" y1="{y}" x2="{4 + bar_mm * scale:.1f}" y2="{y}" stroke="{INK}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts), bar_mm


def _nice_length(mm: float) -> float:
    """The largest of 1, 2, 5 × 10^k not above ``mm``."""
    base = 10 ** math.floor(math.log10(mm))
    return max(m * base for m in (1, 2, 5) if m * base <= mm)


def png_map_html(png: bytes, *, width: int = 330) -> str:
    """A stored scar-map PNG as an inline ``<img>`` (no scale bar: the image carries its own axes)."""
    if not png.startswith(b"\x89PNG"):
        raise InvalidParameterError("map_png must be PNG bytes")
    return (f'<img class="chart map" width="{width}" alt="" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">')
