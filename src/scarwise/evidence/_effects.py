"""Effect sizes and their sampling variances (metafor ``escalc`` conventions), plus conversions.

Ratio measures are on the log scale. Split-face and other paired designs need the within-person
correlation ``r`` between the two sides, which papers almost never report: it is an explicit
argument (no default hidden in the formula) and :func:`paired_sensitivity` reruns a comparison
over several values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special  # not scipy.stats: it doubles the import time of the CLI

from scarwise.core.errors import InvalidParameterError

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class EffectSizes:
    """Effects ``yi`` and sampling variances ``vi`` (k,) on the analysis scale of ``measure``."""

    measure: str  # RR, OR (log scale), SMD (Hedges' g), MD, ROM (log), SMD_PAIRED, MD_PAIRED
    yi: Array
    vi: Array
    note: str = ""


def _arrays(**named: ArrayLike) -> list[Array]:
    out = [np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in named.values()]
    shape = np.broadcast_shapes(*(a.shape for a in out))
    for name, a in zip(named, out, strict=True):
        if not np.all(np.isfinite(a)):
            raise InvalidParameterError(f"{name} has missing or non-finite values")
    return [np.broadcast_to(a, shape).astype(np.float64) for a in out]


def log_risk_ratio(ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, *, add: float = 0.5) -> EffectSizes:
    """Log risk ratio from 2×2 counts (events/non-events, treatment ai, bi; control ci, di).

    ``add`` is added to every cell of a study with a zero cell (metafor ``to="only0"``).
    """
    a, b, c, d = _counts(ai, bi, ci, di, add)
    n1, n2 = a + b, c + d
    return EffectSizes(measure="RR", yi=np.log(a / n1) - np.log(c / n2), vi=1 / a - 1 / n1 + 1 / c - 1 / n2)


def log_odds_ratio(ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, *, add: float = 0.5) -> EffectSizes:
    """Log odds ratio from 2×2 counts; ``add`` as for :func:`log_risk_ratio`."""
    a, b, c, d = _counts(ai, bi, ci, di, add)
    return EffectSizes(measure="OR", yi=np.log(a * d / (b * c)), vi=1 / a + 1 / b + 1 / c + 1 / d)


def _counts(ai, bi, ci, di, add):
    a, b, c, d = _arrays(ai=ai, bi=bi, ci=ci, di=di)
    if np.any(np.stack([a, b, c, d]) < 0):
        raise InvalidParameterError("2x2 counts must be >= 0")
    if np.any((a + b == 0) | (c + d == 0)):
        raise InvalidParameterError("each arm needs at least one participant (ai+bi > 0 and ci+di > 0)")
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    if np.any(zero & ((a + c == 0) | (b + d == 0))) and add == 0:
        raise InvalidParameterError("a study with no events (or no non-events) in both arms needs add > 0")
    return [x + add * zero for x in (a, b, c, d)]


def _check_groups(n1, n2, sd1, sd2):
    if np.any(n1 < 2) or np.any(n2 < 2):
        raise InvalidParameterError("each group needs n >= 2")
    if np.any(sd1 < 0) or np.any(sd2 < 0):
        raise InvalidParameterError("standard deviations must be >= 0")


def hedges_correction(df: ArrayLike) -> Array:
    """Exact small-sample factor J(df) = Γ(df/2) / (sqrt(df/2) Γ((df-1)/2)) (Hedges 1981)."""
    m = np.asarray(df, dtype=np.float64)
    return np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))


def mean_difference(m1i, sd1i, n1i, m2i, sd2i, n2i) -> EffectSizes:
    """Raw mean difference m1 - m2 with variance sd1²/n1 + sd2²/n2 (unequal variances)."""
    m1, s1, n1, m2, s2, n2 = _arrays(m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i)
    _check_groups(n1, n2, s1, s2)
    return EffectSizes(measure="MD", yi=m1 - m2, vi=s1**2 / n1 + s2**2 / n2)


def standardized_mean_difference(m1i, sd1i, n1i, m2i, sd2i, n2i) -> EffectSizes:
    """Hedges' g (pooled SD, exact correction) with variance 1/n1 + 1/n2 + g²/(2(n1+n2))."""
    m1, s1, n1, m2, s2, n2 = _arrays(m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i)
    _check_groups(n1, n2, s1, s2)
    sp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
    if np.any(sp == 0):
        raise InvalidParameterError("pooled SD is 0; a standardized difference is undefined")
    g = hedges_correction(n1 + n2 - 2) * (m1 - m2) / sp
    return EffectSizes(measure="SMD", yi=g, vi=1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2)))


def log_ratio_of_means(m1i, sd1i, n1i, m2i, sd2i, n2i) -> EffectSizes:
    """Log ratio of means log(m1/m2), delta-method variance (Hedges et al. 1999); means > 0."""
    m1, s1, n1, m2, s2, n2 = _arrays(m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i)
    _check_groups(n1, n2, s1, s2)
    if np.any(m1 <= 0) or np.any(m2 <= 0):
        raise InvalidParameterError("ratio of means needs positive means")
    return EffectSizes(measure="ROM", yi=np.log(m1 / m2), vi=s1**2 / (n1 * m1**2) + s2**2 / (n2 * m2**2))


def paired_difference(m1i, sd1i, m2i, sd2i, ni, *, r: float, standardized: bool = False) -> EffectSizes:
    """Within-person comparison (split-face side A vs side B, or after vs before) on n people.

    ``r`` is the correlation between the two measurements of a person (an assumption unless
    reported). Raw: d = m1 - m2, var = (sd1² + sd2² - 2 r sd1 sd2) / n. Standardized
    (``standardized=True``): d_av = J(n-1) (m1 - m2) / sqrt((sd1² + sd2²)/2) with variance
    2(1 - r)/n + d²/(2n), comparable with a parallel-group SMD (Borenstein et al. 2009, ch. 4).
    """
    m1, s1, m2, s2, n = _arrays(m1i=m1i, sd1i=sd1i, m2i=m2i, sd2i=sd2i, ni=ni)
    if not -1.0 < r < 1.0:
        raise InvalidParameterError(f"within-person correlation r must be in (-1, 1), got {r}")
    if np.any(n < 2):
        raise InvalidParameterError("a paired comparison needs n >= 2")
    note = f"within-person correlation r = {r} assumed"
    if not standardized:
        var = (s1**2 + s2**2 - 2 * r * s1 * s2) / n
        return EffectSizes(measure="MD_PAIRED", yi=m1 - m2, vi=var, note=note)
    sav = np.sqrt((s1**2 + s2**2) / 2)
    d = hedges_correction(n - 1) * (m1 - m2) / sav
    return EffectSizes(measure="SMD_PAIRED", yi=d, vi=2 * (1 - r) / n + d**2 / (2 * n), note=note)


def paired_sensitivity(m1i, sd1i, m2i, sd2i, ni, *, r_values: tuple[float, ...] = (0.2, 0.5, 0.8),
                       standardized: bool = True) -> dict[float, EffectSizes]:
    """:func:`paired_difference` for each assumed correlation (default 0.2, 0.5, 0.8)."""
    return {r: paired_difference(m1i, sd1i, m2i, sd2i, ni, r=r, standardized=standardized) for r in r_values}


def mean_sd_from_median_iqr(q1: ArrayLike, median: ArrayLike, q3: ArrayLike, n: ArrayLike) -> tuple[Array, Array]:
    """Mean and SD from median and quartiles (Wan et al. 2014, BMC Med Res Methodol 14:135, eqs 14-15).

    mean ≈ (q1 + m + q3)/3; SD ≈ (q3 - q1) / (2 Φ⁻¹((0.75n - 0.125)/(n + 0.25))). Assumes normality.
    """
    a, m, b, nn = _arrays(q1=q1, median=median, q3=q3, n=n)
    if np.any(b < a) or np.any(m < a) or np.any(m > b) or np.any(nn < 3):
        raise InvalidParameterError("need q1 <= median <= q3 and n >= 3")
    return (a + m + b) / 3, (b - a) / (2 * special.ndtri((0.75 * nn - 0.125) / (nn + 0.25)))


def mean_sd_from_median_range(minimum: ArrayLike, median: ArrayLike, maximum: ArrayLike,
                              n: ArrayLike) -> tuple[Array, Array]:
    """Mean and SD from median and range (Wan et al. 2014, BMC Med Res Methodol 14:135, eqs 2 and 9).

    mean ≈ (min + 2 m + max)/4; SD ≈ (max - min) / (2 Φ⁻¹((n - 0.375)/(n + 0.25))). Assumes normality.
    """
    a, m, b, nn = _arrays(minimum=minimum, median=median, maximum=maximum, n=n)
    if np.any(b < a) or np.any(m < a) or np.any(m > b) or np.any(nn < 2):
        raise InvalidParameterError("need min <= median <= max and n >= 2")
    return (a + 2 * m + b) / 4, (b - a) / (2 * special.ndtri((nn - 0.375) / (nn + 0.25)))


def se_from_p(estimate: ArrayLike, p: ArrayLike, *, df: ArrayLike | None = None) -> Array:
    """Standard error of an estimate from its exact two-sided p-value (Cochrane Handbook §6.3.2).

    Uses the t distribution with ``df`` degrees of freedom when given (small samples), else normal.
    Inequalities such as "p < 0.05" cannot be converted: pass exact p only.
    """
    est, pv = _arrays(estimate=estimate, p=p)
    if np.any((pv <= 0) | (pv >= 1)):
        raise InvalidParameterError("p must be an exact value strictly between 0 and 1")
    crit = -special.ndtri(pv / 2) if df is None else special.stdtrit(np.asarray(df, dtype=float), 1 - pv / 2)
    return np.abs(est) / crit


def smd_from_t(t: ArrayLike, n1i: ArrayLike, n2i: ArrayLike) -> EffectSizes:
    """Hedges' g from an independent-samples t statistic: d = t sqrt(1/n1 + 1/n2), then corrected."""
    tt, n1, n2 = _arrays(t=t, n1i=n1i, n2i=n2i)
    g = hedges_correction(n1 + n2 - 2) * tt * np.sqrt(1 / n1 + 1 / n2)
    return EffectSizes(measure="SMD", yi=g, vi=1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2)))


def effect_sizes(measure: str, **columns: ArrayLike) -> EffectSizes:
    """Dispatch on a metafor measure name: RR/OR from ``ai,bi,ci,di``; SMD/MD/ROM from
    ``m1i,sd1i,n1i,m2i,sd2i,n2i``; GEN from ``yi,vi`` as given."""
    name = measure.upper()
    need = {"RR": ("ai", "bi", "ci", "di"), "OR": ("ai", "bi", "ci", "di"), "GEN": ("yi", "vi")}
    means = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
    cols = need.get(name, means)
    funcs = {"RR": log_risk_ratio, "OR": log_odds_ratio, "SMD": standardized_mean_difference,
             "MD": mean_difference, "ROM": log_ratio_of_means}
    if name not in funcs and name != "GEN":
        raise InvalidParameterError(f"measure {measure!r} unknown; choose RR, OR, SMD, MD, ROM or GEN")
    missing = [c for c in cols if c not in columns]
    if missing:
        raise InvalidParameterError(f"measure {name} needs columns {', '.join(cols)}; missing {', '.join(missing)}")
    if name == "GEN":
        yi, vi = _arrays(yi=columns["yi"], vi=columns["vi"])
        return EffectSizes(measure="GEN", yi=yi, vi=vi)
    return funcs[name](*(columns[c] for c in cols))
