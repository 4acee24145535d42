"""Fixed- and random-effects meta-analysis of effects with known sampling variances.

Conventions follow R's metafor ``rma.uni`` (intercept-only model), so numbers can be checked
against it: I² and H² from tau² and the "typical" within-study variance (Higgins & Thompson
2002, eq. 9), the prediction interval ``mu ± crit·sqrt(se² + tau²)`` with the same critical
value as the confidence interval, Knapp–Hartung without truncation, Q-profile CI for tau²
(Viechtbauer 2007).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from scarwise.core.errors import InvalidParameterError
from scarwise.evidence._tau2 import METHODS, row_summaries, solve_q


@dataclass(frozen=True, slots=True, kw_only=True)
class MetaResult:
    """One pooled analysis. Effects are on the analysis scale (e.g. log RR); tau² in its square."""

    method: str  # FE, DL, HS, SJ, PM, ML or REML
    k: int  # number of studies
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float  # z, or t with k-1 df under Knapp–Hartung
    p: float
    tau2: float
    tau2_ci_lb: float  # Q-profile
    tau2_ci_ub: float
    i2: float  # percent
    i2_ci_lb: float
    i2_ci_ub: float
    h2: float
    q: float  # Cochran's Q with fixed-effect weights
    q_df: int
    q_p: float
    pi_lb: float  # prediction interval for the effect in a new study
    pi_ub: float
    hksj: bool
    ci_level: float
    converged: bool

    def to_json(self) -> dict[str, Any]:
        """Plain dict with NaN replaced by None (JSON has no NaN)."""
        return {key: (None if isinstance(val, float) and not np.isfinite(val) else val)
                for key, val in asdict(self).items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class PooledBatch:
    """Many pooled analyses at once: every field is an (m,) array, one entry per analysis."""

    method: str
    k: NDArray[np.int64]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    ci_lb: NDArray[np.float64]
    ci_ub: NDArray[np.float64]
    stat: NDArray[np.float64]
    p: NDArray[np.float64]
    tau2: NDArray[np.float64]
    i2: NDArray[np.float64]
    h2: NDArray[np.float64]
    q: NDArray[np.float64]
    q_p: NDArray[np.float64]
    pi_lb: NDArray[np.float64]
    pi_ub: NDArray[np.float64]
    converged: NDArray[np.bool_]


_LIMIT = 1e100   # beyond this, weights and squares overflow float64


def check_method(method: str) -> str:
    """Normalise an estimator name (case-insensitive; "EE" is an alias of "FE")."""
    name = str(method).upper()
    name = "FE" if name in ("EE", "FIXED") else name
    if name not in METHODS:
        raise InvalidParameterError(f"method {method!r} unknown; choose one of {', '.join(METHODS)}")
    return name


def _check_level(ci_level: float) -> None:
    if not 0.0 < ci_level < 1.0:
        raise InvalidParameterError(f"ci_level must be between 0 and 1 (e.g. 0.95), got {ci_level}")


def _as_batch(y: ArrayLike, v: ArrayLike, mask: ArrayLike | None):
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    v = np.atleast_2d(np.asarray(v, dtype=np.float64))
    if y.shape != v.shape or y.ndim != 2:
        raise InvalidParameterError(f"effects {y.shape} and variances {v.shape} must have the same (m, k) shape")
    mask = (np.ones(y.shape, dtype=bool) if mask is None
            else np.broadcast_to(np.asarray(mask, dtype=bool), y.shape).copy())
    present_y, present_v = y[mask], v[mask]
    if not (np.all(np.isfinite(present_y)) and np.all(np.isfinite(present_v))):
        raise InvalidParameterError("effects and variances must be finite numbers (remove or fix missing rows)")
    if np.any(present_v <= 0):
        raise InvalidParameterError("sampling variances must be > 0; a study with variance 0 cannot be weighted")
    if np.any(np.abs(present_y) > _LIMIT) or np.any(present_v > _LIMIT) or np.any(present_v < 1.0 / _LIMIT):
        raise InvalidParameterError(f"effects must lie within ±{_LIMIT:.0e} and variances within "
                                    f"{1 / _LIMIT:.0e}..{_LIMIT:.0e}; rescale the data (e.g. change units)")
    k = mask.sum(axis=-1)
    if np.any(k < 2):
        raise InvalidParameterError(f"each analysis needs at least 2 studies; got {int(k.min())}")
    return np.where(mask, y, 0.0), np.where(mask, v, 1.0), mask, k


def pool_many(y: ArrayLike, v: ArrayLike, *, mask: ArrayLike | None = None, method: str = "REML",
              hksj: bool = False, ci_level: float = 0.95, backend: str = "auto") -> PooledBatch:
    """Pool m meta-analyses at once.

    Parameters
    ----------
    y, v : (m, k) array_like
        Effects and their sampling variances (analysis scale, e.g. log RR); one row per analysis.
    mask : (m, k) bool array_like, optional
        True where a study is present (rows may have different numbers of studies).
    method : str
        tau² estimator: "FE", "DL", "HS", "SJ", "PM", "ML" or "REML".
    hksj : bool
        Knapp–Hartung (Hartung–Knapp–Sidik–Jonkman) standard error and t_{k-1} critical values.
    ci_level : float
        Confidence level of the CI and prediction interval, e.g. 0.95.
    backend : {"auto", "numpy", "numba"}
        Solver for REML/ML (same numbers either way).
    """
    method = check_method(method)
    _check_level(ci_level)
    y, v, mask, k = _as_batch(y, v, mask)
    tau2, conv, sw, mu, rss, q, s2 = row_summaries(y, v, mask, method, backend=backend).T
    df = k - 1
    alpha = 1.0 - ci_level
    if hksj:
        se = np.sqrt(rss / df / sw)
        crit = special.stdtrit(df, 1.0 - alpha / 2)   # scipy.special: same values as stats.t.ppf, less overhead
    else:
        se = np.sqrt(1.0 / sw)
        crit = np.full(mu.shape, special.ndtri(1.0 - alpha / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = mu / se
        p = 2.0 * (special.stdtr(df, -np.abs(stat)) if hksj else special.ndtr(-np.abs(stat)))
        if method == "FE":
            i2 = np.where(q > 0, 100.0 * np.maximum(0.0, (q - df) / q), 0.0)
            h2 = q / df
        else:
            i2 = 100.0 * tau2 / (tau2 + s2)
            h2 = (tau2 + s2) / s2
    half_pi = crit * np.sqrt(se**2 + tau2)
    return PooledBatch(method=method, k=k.astype(np.int64), estimate=mu, se=se, ci_lb=mu - crit * se,
                       ci_ub=mu + crit * se, stat=stat, p=p, tau2=tau2, i2=i2, h2=h2, q=q,
                       q_p=special.chdtrc(df, q), pi_lb=mu - half_pi, pi_ub=mu + half_pi, converged=conv.astype(bool))


def tau2_confint(yi: ArrayLike, vi: ArrayLike, *, ci_level: float = 0.95) -> tuple[float, float]:
    """Q-profile confidence interval for tau² (Viechtbauer 2007); bounds truncated at 0."""
    _check_level(ci_level)
    y, v, mask, k = _as_batch(yi, vi, None)
    df = float(k[0] - 1)
    alpha = 1.0 - ci_level
    targets = np.array([stats.chi2.ppf(1 - alpha / 2, df), stats.chi2.ppf(alpha / 2, df)])
    bounds, _ = solve_q(np.repeat(y, 2, 0), np.repeat(v, 2, 0), np.repeat(mask, 2, 0), targets)
    return float(bounds[0]), float(bounds[1])


def meta_analysis(yi: ArrayLike, vi: ArrayLike, *, method: str = "REML", hksj: bool = False,
                  ci_level: float = 0.95) -> MetaResult:
    """Pool k studies by fixed effect (``method="FE"``) or random effects.

    Parameters
    ----------
    yi, vi : (k,) array_like
        Effects on the analysis scale and their sampling variances (> 0).
    method : str
        "FE", "DL", "HS", "SJ", "PM", "ML" or "REML" (default, as metafor).
    hksj : bool
        Knapp–Hartung adjustment: t_{k-1} intervals with the weighted residual variance.
    ci_level : float
        Confidence level, e.g. 0.95.

    Returns
    -------
    MetaResult
        Estimate, CI, tau² with its Q-profile CI, I², H², Q test and prediction interval.

    References
    ----------
    Viechtbauer W (2005) J Educ Behav Stat 30:261-293; Viechtbauer W (2010) J Stat Softw 36(3),
    doi:10.18637/jss.v036.i03; Knapp G, Hartung J (2003) Stat Med 22:2693-2710.
    """
    yi = np.asarray(yi, dtype=np.float64)
    vi = np.asarray(vi, dtype=np.float64)
    if yi.ndim != 1 or vi.ndim != 1:
        raise InvalidParameterError("yi and vi must be one-dimensional (one value per study)")
    b = pool_many(yi[None, :], vi[None, :], method=method, hksj=hksj, ci_level=ci_level)
    lb, ub = tau2_confint(yi, vi, ci_level=ci_level)
    k = int(b.k[0])
    w0 = 1.0 / vi
    s2 = (k - 1) * w0.sum() / (w0.sum() ** 2 - (w0**2).sum())
    return MetaResult(
        method=b.method, k=k, estimate=float(b.estimate[0]), se=float(b.se[0]), ci_lb=float(b.ci_lb[0]),
        ci_ub=float(b.ci_ub[0]), stat=float(b.stat[0]), p=float(b.p[0]), tau2=float(b.tau2[0]),
        tau2_ci_lb=lb, tau2_ci_ub=ub, i2=float(b.i2[0]), i2_ci_lb=100.0 * lb / (lb + s2),
        i2_ci_ub=100.0 * ub / (ub + s2), h2=float(b.h2[0]), q=float(b.q[0]), q_df=k - 1,
        q_p=float(b.q_p[0]), pi_lb=float(b.pi_lb[0]), pi_ub=float(b.pi_ub[0]), hksj=hksj,
        ci_level=ci_level, converged=bool(b.converged[0]))
