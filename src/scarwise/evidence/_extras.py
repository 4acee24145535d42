"""Subgroups, meta-regression, leave-one-out, cumulative analysis, Egger's test, trim-and-fill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special  # not scipy.stats: it doubles the import time of the CLI

from scarwise.core.errors import InvalidParameterError
from scarwise.evidence._meta import MetaResult, PooledBatch, check_method, meta_analysis, pool_many


def _vectors(yi: ArrayLike, vi: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    y = np.asarray(yi, dtype=np.float64)
    v = np.asarray(vi, dtype=np.float64)
    if y.ndim != 1 or y.shape != v.shape:
        raise InvalidParameterError(f"yi {y.shape} and vi {v.shape} must be 1-D of the same length")
    return y, v


@dataclass(frozen=True, slots=True, kw_only=True)
class SubgroupResult:
    """Pooled effect per subgroup (separate tau² each) and the test for subgroup differences."""

    groups: tuple[str, ...]
    results: tuple[MetaResult | None, ...]  # None where a subgroup has a single study
    single_study: tuple[tuple[float, float] | None, ...]  # (yi, vi) for one-study subgroups
    q_between: float
    df: int
    p: float


def subgroup_analysis(yi: ArrayLike, vi: ArrayLike, groups: Sequence[str], *, method: str = "REML",
                      hksj: bool = False, ci_level: float = 0.95) -> SubgroupResult:
    """Pool each subgroup separately and test whether the subgroup estimates differ.

    The between-subgroup test is Q_b = sum((est_g - est)² / se_g²) on G-1 df with ``est`` the
    inverse-variance mean of the subgroup estimates (as RevMan and metafor's fixed-effect model
    on subgroup estimates); one-study subgroups enter with their own effect and variance.
    """
    y, v = _vectors(yi, vi)
    labels = [str(g) for g in groups]
    if len(labels) != y.size:
        raise InvalidParameterError(f"groups has {len(labels)} labels for {y.size} studies")
    names = tuple(dict.fromkeys(labels))
    results: list[MetaResult | None] = []
    singles: list[tuple[float, float] | None] = []
    est, var = [], []
    for name in names:
        idx = np.array([lab == name for lab in labels])
        if idx.sum() >= 2:
            r = meta_analysis(y[idx], v[idx], method=method, hksj=hksj, ci_level=ci_level)
            results.append(r)
            singles.append(None)
            est.append(r.estimate)
            var.append(r.se**2)
        else:
            results.append(None)
            singles.append((float(y[idx][0]), float(v[idx][0])))
            est.append(float(y[idx][0]))
            var.append(float(v[idx][0]))
    e, w = np.array(est), 1.0 / np.array(var)
    qb = float((w * (e - (w * e).sum() / w.sum()) ** 2).sum())
    df = len(names) - 1
    return SubgroupResult(groups=names, results=tuple(results), single_study=tuple(singles), q_between=qb,
                          df=df, p=float(special.chdtrc(df, qb)) if df > 0 else float("nan"))


_REGRESSION_METHODS = ("FE", "DL", "ML", "REML")


@dataclass(frozen=True, slots=True, kw_only=True)
class MetaRegression:
    """Mixed-effects meta-regression y = X b + u + e, u ~ N(0, tau²)."""

    names: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    stat: tuple[float, ...]  # z
    p: tuple[float, ...]
    tau2: float
    qe: float  # residual heterogeneity
    qe_p: float
    qm: float  # omnibus test of all coefficients but the intercept
    qm_p: float
    method: str
    converged: bool


def _wls(y, v, x, tau2):
    w = 1.0 / (v + tau2)
    xtw = x.T * w
    cov = np.linalg.inv(xtw @ x)
    b = cov @ (xtw @ y)
    return b, cov, w


def meta_regression(yi: ArrayLike, vi: ArrayLike, x: ArrayLike, *, names: Sequence[str] | None = None,
                    method: str = "REML") -> MetaRegression:
    """Meta-regression on moderators ``x`` (k, p) that include an intercept column first.

    tau² by REML or ML (Fisher scoring), DL (generalised to moderators as in metafor) or FE (0).
    """
    y, v = _vectors(yi, vi)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise InvalidParameterError(f"moderators must be (k, p) with k = {y.size}; got {x.shape}")
    k, p = x.shape
    if k <= p or np.linalg.matrix_rank(x) < p:
        raise InvalidParameterError(f"{k} studies cannot fit {p} coefficients (need k > p, full-rank moderators)")
    method = check_method(method)
    if method not in _REGRESSION_METHODS:
        raise InvalidParameterError("meta-regression supports method FE, DL, ML or REML")

    def proj(tau2):
        b, cov, w = _wls(y, v, x, tau2)
        pm = np.diag(w) - (x.T * w).T @ cov @ (x.T * w)
        return b, cov, pm

    _, _, p0 = proj(0.0)
    qe = float(y @ p0 @ y)
    tau2, converged = 0.0, True
    if method == "DL":
        tau2 = max(0.0, (qe - (k - p)) / float(np.trace(p0)))
    elif method in ("ML", "REML"):
        tau2 = max(0.0, (qe - (k - p)) / float(np.trace(p0)))
        converged = False
        for _ in range(500):
            _, _, pm = proj(tau2)
            py = pm @ y
            if method == "REML":
                adj = (py @ py - np.trace(pm)) / np.sum(pm * pm.T)
            else:
                w = 1.0 / (v + tau2)
                adj = (py @ py - w.sum()) / (w * w).sum()
            new = max(0.0, tau2 + float(adj))
            if abs(new - tau2) <= 1e-10 * (1.0 + tau2):
                tau2, converged = new, True
                break
            tau2 = new
    b, cov, _ = _wls(y, v, x, tau2)
    se = np.sqrt(np.diag(cov))
    z = b / se
    sub = slice(1, p)
    qm = float(b[sub] @ np.linalg.solve(cov[sub, sub], b[sub])) if p > 1 else float("nan")
    labels = tuple(names) if names is not None else tuple(["intercept"] + [f"x{i}" for i in range(1, p)])
    return MetaRegression(names=labels, coef=tuple(b.tolist()), se=tuple(se.tolist()), stat=tuple(z.tolist()),
                          p=tuple((2 * special.ndtr(-np.abs(z))).tolist()), tau2=tau2, qe=qe,
                          qe_p=float(special.chdtrc(k - p, qe)), qm=qm,
                          qm_p=float(special.chdtrc(p - 1, qm)) if p > 1 else float("nan"),
                          method=method, converged=converged)


def regression_by_category(yi: ArrayLike, vi: ArrayLike, categories: Sequence[str], *,
                           method: str = "REML") -> MetaRegression:
    """Meta-regression on a categorical moderator (dummy coding, first category as reference)."""
    labels = [str(c) for c in categories]
    levels = list(dict.fromkeys(labels))
    if len(levels) < 2:
        raise InvalidParameterError("a categorical moderator needs at least 2 categories")
    x = np.column_stack([np.ones(len(labels))] + [[lab == lev for lab in labels] for lev in levels[1:]])
    return meta_regression(yi, vi, x, names=["intercept"] + [f"{lev} vs {levels[0]}" for lev in levels[1:]],
                           method=method)


def leave_one_out(yi: ArrayLike, vi: ArrayLike, *, method: str = "REML", hksj: bool = False,
                  ci_level: float = 0.95) -> PooledBatch:
    """Pool k times, each time without one study (row i omits study i); one batched call."""
    y, v = _vectors(yi, vi)
    k = y.size
    if k < 3:
        raise InvalidParameterError("leave-one-out needs at least 3 studies")
    mask = ~np.eye(k, dtype=bool)
    return pool_many(np.tile(y, (k, 1)), np.tile(v, (k, 1)), mask=mask, method=method, hksj=hksj,
                     ci_level=ci_level)


def cumulative(yi: ArrayLike, vi: ArrayLike, order: ArrayLike, *, method: str = "REML", hksj: bool = False,
               ci_level: float = 0.95) -> tuple[NDArray[np.int64], PooledBatch]:
    """Cumulative meta-analysis: studies sorted by ``order`` (e.g. year; ties keep input order).

    Returns the sort permutation and a batch whose row j pools the first j + 2 studies.
    """
    y, v = _vectors(yi, vi)
    perm = np.argsort(np.asarray(order), kind="stable")
    k = y.size
    mask = np.tri(k, k, dtype=bool)[1:]
    return perm, pool_many(np.tile(y[perm], (k - 1, 1)), np.tile(v[perm], (k - 1, 1)), mask=mask,
                           method=method, hksj=hksj, ci_level=ci_level)


@dataclass(frozen=True, slots=True, kw_only=True)
class EggerResult:
    """Regression test for funnel-plot asymmetry: slope of the effect on its standard error."""

    model: str  # "rma" (mixed-effects, metafor's default) or "lm" (Egger 1997, weighted least squares)
    slope: float
    se: float
    stat: float
    df: int | None  # t df for "lm", None for z
    p: float
    limit_estimate: float  # intercept: effect as se -> 0


def egger_test(yi: ArrayLike, vi: ArrayLike, *, model: str = "rma", method: str = "REML") -> EggerResult:
    """Egger's regression test (metafor ``regtest`` with ``predictor="sei"``)."""
    y, v = _vectors(yi, vi)
    if y.size < 3:
        raise InvalidParameterError("Egger's test needs at least 3 studies")
    if np.ptp(v) <= 1e-12 * v.max():
        raise InvalidParameterError("Egger's test needs studies of differing precision (all variances are equal)")
    x = np.column_stack([np.ones(y.size), np.sqrt(v)])
    if model == "rma":
        r = meta_regression(y, v, x, method=method)
        return EggerResult(model="rma", slope=r.coef[1], se=r.se[1], stat=r.stat[1], df=None, p=r.p[1],
                           limit_estimate=r.coef[0])
    if model != "lm":
        raise InvalidParameterError(f"model must be 'rma' or 'lm', got {model!r}")
    b, cov, w = _wls(y, v, x, 0.0)
    df = y.size - 2
    s2 = float((w * (y - x @ b) ** 2).sum() / df)   # residual scale of weighted least squares
    se = float(np.sqrt(cov[1, 1] * s2))
    t = float(b[1] / se)
    return EggerResult(model="lm", slope=float(b[1]), se=se, stat=t, df=df, p=float(2 * special.stdtr(df, -abs(t))),
                       limit_estimate=float(b[0]))


@dataclass(frozen=True, slots=True, kw_only=True)
class TrimFillResult:
    """Duval & Tweedie trim-and-fill (L0 estimator)."""

    side: str  # side where studies are judged missing
    k0: int  # number of filled studies
    filled_yi: tuple[float, ...]
    filled_vi: tuple[float, ...]
    adjusted: MetaResult  # pooled over observed + filled studies


def trim_and_fill(yi: ArrayLike, vi: ArrayLike, *, method: str = "REML", side: str | None = None,
                  maxiter: int = 100) -> TrimFillResult:
    """Trim-and-fill with the L0 estimator (Duval & Tweedie 2000), as metafor's ``trimfill``.

    ``side=None`` picks the side from the sign of Egger's slope (positive: studies missing on the
    left). The filled studies mirror the k0 most extreme effects about the trimmed estimate.
    """
    y, v = _vectors(yi, vi)
    k = y.size
    if k < 3:
        raise InvalidParameterError("trim-and-fill needs at least 3 studies")
    if side is None:
        reg_method = method if method in _REGRESSION_METHODS else "REML"   # PM/HS/SJ: REML for the side test
        side = "left" if egger_test(y, v, model="rma", method=reg_method).slope > 0 else "right"
    if side not in ("left", "right"):
        raise InvalidParameterError(f"side must be 'left' or 'right', got {side!r}")
    sign = -1.0 if side == "right" else 1.0   # flip so that missing studies are always on the left
    ys = sign * y
    order = np.argsort(ys, kind="stable")
    ys, vs = ys[order], v[order]
    k0, prev = 0, -1
    beta = 0.0
    for _ in range(maxiter):
        if k - k0 < 2:
            break
        beta = meta_analysis(ys[: k - k0], vs[: k - k0], method=method).estimate
        c = ys - beta
        ranks = np.argsort(np.argsort(np.abs(c), kind="stable"), kind="stable") + 1  # ordinal ranks
        sr = ranks[c > 0].sum()
        k0 = max(0, int(np.round((4 * sr - k * (k + 1)) / (2 * k - 1))))
        k0 = min(k0, k - 2)
        if k0 == prev:
            break
        prev = k0
    fill_y = sign * (2 * beta - ys[k - k0:]) if k0 > 0 else np.empty(0)
    fill_v = vs[k - k0:] if k0 > 0 else np.empty(0)
    adjusted = meta_analysis(np.concatenate([y, fill_y]), np.concatenate([v, fill_v]), method=method)
    return TrimFillResult(side=side, k0=k0, filled_yi=tuple(fill_y.tolist()), filled_vi=tuple(fill_v.tolist()),
                          adjusted=adjusted)
