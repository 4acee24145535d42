"""Forest, funnel and cumulative plots (matplotlib), PNG or SVG, labels in English or Arabic.

Arabic needs glyph shaping and right-to-left ordering. matplotlib ≥ 3.11 lays text out with
libraqm and does both; older versions draw isolated letters left to right, so there the text is
shaped with ``arabic-reshaper`` + ``python-bidi`` if installed, else a clear error is raised. The
font is DejaVu Sans, which matplotlib ships and which has Arabic glyphs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib import ft2font
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from numpy.typing import ArrayLike
from scipy.special import ndtri

from scarwise.core.errors import InvalidParameterError, UnsupportedFormatError
from scarwise.evidence._extras import SubgroupResult
from scarwise.evidence._meta import MetaResult, PooledBatch

_LABELS = {
    "en": {"study": "Study", "overall": "Random-effects model", "fixed": "Fixed-effect model",
           "pi": "Prediction interval", "effect": "Effect", "se": "Standard error", "funnel": "Funnel plot",
           "cumulative": "Cumulative meta-analysis", "adding": "Adding", "filled": "Filled (trim-and-fill)",
           "subgroup": "Subgroup", "studies": "studies", "heterogeneity": "Heterogeneity"},
    "ar": {"study": "الدراسة", "overall": "نموذج التأثيرات العشوائية", "fixed": "نموذج التأثير الثابت",
           "pi": "فترة التنبؤ", "effect": "حجم التأثير", "se": "الخطأ المعياري", "funnel": "مخطط القمع",
           "cumulative": "التحليل التجميعي التراكمي", "adding": "بإضافة", "filled": "دراسات مُضافة (التقليم والملء)",
           "subgroup": "المجموعة الفرعية", "studies": "دراسات", "heterogeneity": "التباين"},
}
FONT = "DejaVu Sans"


def _text_shaper(lang: str) -> Callable[[str], str]:
    if lang == "en":
        return str
    if lang != "ar":
        raise InvalidParameterError(f"lang must be 'en' or 'ar', got {lang!r}")
    if hasattr(ft2font, "__libraqm_version__"):      # matplotlib >= 3.11 shapes and orders Arabic itself
        return str
    try:  # pragma: no cover - depends on the installed matplotlib
        import arabic_reshaper
        from bidi import get_display
    except ImportError:  # pragma: no cover
        raise InvalidParameterError(
            "Arabic labels need matplotlib >= 3.11, or: pip install arabic-reshaper python-bidi") from None
    return lambda s: get_display(arabic_reshaper.reshape(s))  # pragma: no cover


def _labels(lang: str) -> tuple[dict[str, str], Callable[[str], str]]:
    shape = _text_shaper(lang)
    return _LABELS[lang], shape


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise UnsupportedFormatError(f"plot file {path.name} must end in .png or .svg")
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


def _diamond(ax, y: float, lb: float, est: float, ub: float, color: str) -> None:
    ax.add_patch(Polygon([[lb, y], [est, y + 0.3], [ub, y], [est, y - 0.3]], closed=True, color=color))


def forest_plot(labels: Sequence[str], yi: ArrayLike, vi: ArrayLike, path: str | Path, *,
                result: MetaResult | None = None, subgroups: SubgroupResult | None = None,
                groups: Sequence[str] | None = None, lang: str = "en", exp: bool = False,
                effect_label: str | None = None, ci_level: float = 0.95) -> Path:
    """Forest plot: one row per study, a diamond per subgroup and overall, the prediction interval.

    ``exp=True`` draws ratio measures (log scale in ``yi``) back on the ratio scale, log-spaced axis.
    ``groups`` (one label per study) orders studies by subgroup; ``subgroups`` adds their diamonds.
    """
    text, shape = _labels(lang)
    y, v = np.asarray(yi, float), np.asarray(vi, float)
    if y.shape != v.shape or y.ndim != 1 or len(labels) != y.size:
        raise InvalidParameterError("labels, yi and vi must have one entry per study")
    z = float(ndtri(0.5 + ci_level / 2))
    tr = np.exp if exp else (lambda a: a)
    order = list(range(y.size))
    if groups is not None:
        names = list(dict.fromkeys(groups))
        order = sorted(order, key=lambda i: names.index(groups[i]))
    rows: list[tuple[str, float]] = []
    fig = Figure(figsize=(8, 0.38 * (y.size + 8) + 1))
    ax = fig.add_subplot()
    w = 1 / v
    row = 0.0
    current = None
    sub_index = {}
    if subgroups is not None:
        sub_index = {g: i for i, g in enumerate(subgroups.groups)}
    for pos, i in enumerate(order):
        if groups is not None and groups[i] != current:
            if current is not None and current in sub_index:
                row = _subgroup_row(ax, subgroups, sub_index[current], row, tr, rows, shape, text, z)
            current = groups[i]
            rows.append((shape(f"{text['subgroup']}: {current}"), row))
            row -= 1
        lb, ub = y[i] - z * np.sqrt(v[i]), y[i] + z * np.sqrt(v[i])
        ax.plot([tr(lb), tr(ub)], [row, row], color="black", lw=1)
        ax.plot([tr(y[i])], [row], marker="s", color="#1f4e79", markersize=4 + 8 * np.sqrt(w[i] / w.max()))
        rows.append((shape(str(labels[i])), row))
        row -= 1
        if pos == len(order) - 1 and groups is not None and current in sub_index:
            row = _subgroup_row(ax, subgroups, sub_index[current], row, tr, rows, shape, text, z)
    if result is not None:
        row -= 0.5
        _diamond(ax, row, tr(result.ci_lb), tr(result.estimate), tr(result.ci_ub), "#c00000")
        name = text["fixed"] if result.method == "FE" else text["overall"]
        rows.append((shape(f"{name} (k = {result.k}, I² = {result.i2:.0f}%)"), row))
        if result.method != "FE":
            row -= 1
            ax.plot([tr(result.pi_lb), tr(result.pi_ub)], [row, row], color="#c00000", lw=3, alpha=0.5)
            rows.append((shape(text["pi"]), row))
        ax.axvline(tr(result.estimate), color="#c00000", ls=":", lw=0.8)
    ax.axvline(tr(0.0), color="grey", lw=0.8)
    if exp:
        ax.set_xscale("log")
    ax.set_yticks([r for _, r in rows], [t for t, _ in rows], fontfamily=FONT)
    ax.set_ylim(row - 1, 1)
    ax.set_xlabel(shape(effect_label or text["effect"]), fontfamily=FONT)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return _save(fig, path)


def _subgroup_row(ax, subgroups, j, row, tr, rows, shape, text, z):
    res = subgroups.results[j]
    if res is None:
        return row
    _diamond(ax, row, tr(res.ci_lb), tr(res.estimate), tr(res.ci_ub), "#2e75b6")
    rows.append((shape(f"{text['subgroup']} {subgroups.groups[j]} (k = {res.k})"), row))
    return row - 1.5


def funnel_plot(yi: ArrayLike, vi: ArrayLike, path: str | Path, *, estimate: float, lang: str = "en",
                filled_yi: Sequence[float] = (), filled_vi: Sequence[float] = (), exp: bool = False) -> Path:
    """Funnel plot: effect against standard error (inverted axis), with the pseudo 95% region."""
    text, shape = _labels(lang)
    y, se = np.asarray(yi, float), np.sqrt(np.asarray(vi, float))
    fig = Figure(figsize=(6, 5))
    ax = fig.add_subplot()
    top = float(max(se.max(), max(np.sqrt(filled_vi), default=0.0)) * 1.1)
    s = np.linspace(0, top, 50)
    tr = np.exp if exp else (lambda a: a)
    ax.fill_betweenx(s, tr(estimate - 1.96 * s), tr(estimate + 1.96 * s), color="#dddddd")
    ax.axvline(tr(estimate), color="#c00000", lw=1)
    ax.scatter(tr(y), se, color="#1f4e79", zorder=3)
    if len(filled_yi):
        ax.scatter(tr(np.asarray(filled_yi)), np.sqrt(filled_vi), facecolors="white", edgecolors="#1f4e79",
                   zorder=3, label=shape(text["filled"]))
        ax.legend(prop={"family": FONT})
    if exp:
        ax.set_xscale("log")
    ax.set_ylim(top, 0)
    ax.set_xlabel(shape(text["effect"]), fontfamily=FONT)
    ax.set_ylabel(shape(text["se"]), fontfamily=FONT)
    ax.set_title(shape(text["funnel"]), fontfamily=FONT)
    return _save(fig, path)


def cumulative_plot(labels: Sequence[str], batch: PooledBatch, path: str | Path, *, lang: str = "en",
                    exp: bool = False) -> Path:
    """Estimate and CI after adding each study in turn (``labels`` in the order added, from the 2nd)."""
    text, shape = _labels(lang)
    if len(labels) != batch.estimate.size:
        raise InvalidParameterError("one label per cumulative step is needed")
    tr = np.exp if exp else (lambda a: a)
    fig = Figure(figsize=(7, 0.38 * len(labels) + 1.5))
    ax = fig.add_subplot()
    rows = -np.arange(len(labels), dtype=float)
    for r, lb, est, ub in zip(rows, batch.ci_lb, batch.estimate, batch.ci_ub, strict=True):
        ax.plot([tr(lb), tr(ub)], [r, r], color="black", lw=1)
        ax.plot([tr(est)], [r], marker="o", color="#1f4e79")
    ax.axvline(tr(0.0), color="grey", lw=0.8)
    if exp:
        ax.set_xscale("log")
    ax.set_yticks(rows, [shape(f"+ {lab} (k = {k})") for lab, k in zip(labels, batch.k, strict=True)],
                  fontfamily=FONT)
    ax.set_xlabel(shape(text["effect"]), fontfamily=FONT)
    ax.set_title(shape(text["cumulative"]), fontfamily=FONT)
    return _save(fig, path)
