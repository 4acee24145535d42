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
from scipy import special  # not scipy.stats: it doubles the import time of the CLI

from scarwise.core._checks import check_choice
from scarwise.core.errors import InvalidParameterError
from scarwise.evidence._tau2 import (
    KERNEL_METHODS,
    METHODS,
    NUMBA_MIN_CELLS,
    POOL_FIELDS,
    _sums,
    estimate_tau2,
    pool_rows,
    solve_q,
)


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


def _check_values(y: NDArray[np.float64], v: NDArray[np.float64]) -> None:
    """Raise unless every effect is finite within ±_LIMIT and every variance within 1/_LIMIT.._LIMIT."""
    if y.size == 0 or (-_LIMIT <= y.min() and y.max() <= _LIMIT and 1.0 / _LIMIT <= v.min() and v.max() <= _LIMIT):
        return   # four reductions, no temporaries (NaN fails every comparison); the rest finds the message
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        raise InvalidParameterError("effects and variances must be finite numbers (remove or fix missing rows)")
    if np.any(v <= 0):
        raise InvalidParameterError("sampling variances must be > 0; a study with variance 0 cannot be weighted")
    raise InvalidParameterError(f"effects must lie within ±{_LIMIT:.0e} and variances within "
                                f"{1 / _LIMIT:.0e}..{_LIMIT:.0e}; rescale the data (e.g. change units)")


def _as_batch(y: ArrayLike, v: ArrayLike, mask: ArrayLike | None):
    """Checked (m, k) float arrays, mask (None when every study is present) and studies per row.

    Masked-out cells are replaced by y = 0, v = 1, so that they cannot break any sum.
    """
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    v = np.atleast_2d(np.asarray(v, dtype=np.float64))
    if y.shape != v.shape or y.ndim != 2:
        raise InvalidParameterError(f"effects {y.shape} and variances {v.shape} must have the same (m, k) shape")
    if mask is not None:
        try:
            mask = np.broadcast_to(np.asarray(mask, dtype=bool), y.shape)
        except ValueError:
            raise InvalidParameterError(f"mask {np.shape(mask)} must match the effects {y.shape}") from None
        if mask.all():
            mask = None
        else:
            mask = np.ascontiguousarray(mask)
            y, v = np.where(mask, y, 0.0), np.where(mask, v, 1.0)
    k = np.full(y.shape[0], y.shape[1], dtype=np.int64) if mask is None else mask.sum(axis=-1)
    if (y.shape[1] < 2 and y.shape[0] > 0) if mask is None else np.any(k < 2):
        raise InvalidParameterError(f"each analysis needs at least 2 studies; got {int(k.min())}")
    _check_values(y, v)
    return y, v, mask, k


def _pool_numpy(y, v, mask, k, method: str, hksj: bool, crit) -> dict[str, NDArray]:
    """The fields of :data:`POOL_FIELDS` in numpy, for every estimator (the readable reference)."""
    mask = np.ones(y.shape, dtype=bool) if mask is None else mask
    tau2, converged = estimate_tau2(y, v, mask, method)
    sw, mu, rss = _sums(y, mask / (v + tau2[:, None]))   # random-effects weights: total, mean, residual SS
    w0 = mask / v
    sw0, _, q = _sums(y, w0)                             # fixed-effect weights: Cochran's Q
    df = k - 1
    s2 = df * sw0 / (sw0**2 - (w0 * w0).sum(axis=-1))   # "typical" within-study variance
    se = np.sqrt(rss / df / sw) if hksj else np.sqrt(1.0 / sw)
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
    return dict(k=k, tau2=tau2, converged=converged, estimate=mu, se=se, ci_lb=mu - crit * se,
                ci_ub=mu + crit * se, stat=stat, p=p, i2=i2, h2=h2, q=q, q_p=special.chdtrc(df, q),
                pi_lb=mu - half_pi, pi_ub=mu + half_pi)


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
        Solver for FE, DL, ML and REML: one compiled pass per analysis ("numba"; "auto" picks it
        from :data:`NUMBA_MIN_CELLS` m·k cells) or numpy; the numbers agree to about 1e-10.
    """
    method = check_method(method)
    _check_level(ci_level)
    check_choice("backend", backend, ("auto", "numpy", "numba"))
    y, v, mask, k = _as_batch(y, v, mask)
    df = k - 1
    tail = 1.0 - (1.0 - ci_level) / 2
    if hksj:   # scipy.special: same values as stats.t.ppf, with less overhead; one call per distinct df
        dfs, inverse = np.unique(df, return_inverse=True)
        crit = special.stdtrit(dfs, tail)[inverse]
    else:
        crit = np.full(df.shape, special.ndtri(tail))
    if method in KERNEL_METHODS and (backend == "numba" or (backend == "auto" and y.size >= NUMBA_MIN_CELLS)):
        f = dict(zip(POOL_FIELDS, pool_rows(y, v, mask, method, hksj=hksj, crit=crit), strict=True))
        if hksj:
            with np.errstate(invalid="ignore"):
                f["p"] = 2.0 * special.stdtr(df, -np.abs(f["stat"]))
        todo = np.isnan(f["q_p"])
        if todo.any():
            f["q_p"][todo] = special.chdtrc(df[todo], f["q"][todo])
    else:
        f = _pool_numpy(y, v, mask, k, method, hksj, crit)
    return PooledBatch(method=method, k=k, estimate=f["estimate"], se=f["se"], ci_lb=f["ci_lb"],
                       ci_ub=f["ci_ub"], stat=f["stat"], p=f["p"], tau2=f["tau2"], i2=f["i2"], h2=f["h2"],
                       q=f["q"], q_p=f["q_p"], pi_lb=f["pi_lb"], pi_ub=f["pi_ub"],
                       converged=f["converged"].astype(bool))


def tau2_confint(yi: ArrayLike, vi: ArrayLike, *, ci_level: float = 0.95) -> tuple[float, float]:
    """Q-profile confidence interval for tau² (Viechtbauer 2007); bounds truncated at 0."""
    _check_level(ci_level)
    y, v, _, k = _as_batch(yi, vi, None)
    df = float(k[0] - 1)
    alpha = 1.0 - ci_level
    targets = np.array([special.chdtri(df, alpha / 2), special.chdtri(df, 1 - alpha / 2)])  # chi2 quantiles
    bounds, _ = solve_q(np.repeat(y, 2, 0), np.repeat(v, 2, 0), np.ones((2, y.shape[1]), dtype=bool), targets)
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
