"""Between-study variance (tau²) estimators, batched over many meta-analyses.

Every function takes effects ``y`` and sampling variances ``v`` of shape (m, k) — m independent
meta-analyses of up to k studies each — and a boolean ``mask`` (m, k) marking the studies present.
The formulas follow Viechtbauer (2005) and metafor's ``rma.uni`` for the intercept-only model.
REML and ML are solved by Fisher scoring twice: once in readable numpy (:func:`_fisher_numpy`),
once inside a compiled numba loop (:func:`_summaries_kernel`) that also forms every weighted sum
the pooled statistics need, for large inputs; a test keeps the two equal.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

#: Estimators of tau² offered; "FE" means tau² is fixed at 0.
METHODS = ("FE", "DL", "HS", "SJ", "PM", "ML", "REML")
#: Above this many cells (m·k) REML/ML use the compiled kernel (a one-off compile of ~1 s pays off).
NUMBA_MIN_CELLS = 5_000
_TOL = 1e-10
_MAXITER = 500

Array = NDArray[np.float64]


def _sums(y: Array, w: Array) -> tuple[Array, Array, Array]:
    """Sum of weights, weighted mean and weighted residual sum of squares (Q) along the last axis."""
    sw = w.sum(axis=-1)
    mu = (w * y).sum(axis=-1) / sw
    q = (w * (y - mu[..., None]) ** 2).sum(axis=-1)
    return sw, mu, q


def tau2_dl(y: Array, v: Array, mask: NDArray[np.bool_]) -> Array:
    """DerSimonian–Laird moment estimator, truncated at 0."""
    w = mask / v
    sw, _, q = _sums(y, w)
    k = mask.sum(axis=-1)
    c = sw - (w * w).sum(axis=-1) / sw
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.maximum(0.0, np.where(c > 0, (q - (k - 1)) / c, 0.0))


def tau2_hs(y: Array, v: Array, mask: NDArray[np.bool_]) -> Array:
    """Hunter–Schmidt estimator ``(Q - k) / sum(w)``, truncated at 0."""
    w = mask / v
    sw, _, q = _sums(y, w)
    return np.maximum(0.0, (q - mask.sum(axis=-1)) / sw)


def tau2_sj(y: Array, v: Array, mask: NDArray[np.bool_]) -> Array:
    """Sidik–Jonkman estimator, started from the (biased) sample variance of the effects."""
    k = mask.sum(axis=-1)
    ybar = (mask * y).sum(axis=-1) / k
    t0 = (mask * (y - ybar[..., None]) ** 2).sum(axis=-1) / k
    w = mask / (v + t0[..., None])
    _, _, rss = _sums(y, w)
    return t0 * rss / (k - 1)


def q_generalised(y: Array, v: Array, mask: NDArray[np.bool_], tau2: Array) -> tuple[Array, Array]:
    """Generalised Q(tau²) and its derivative dQ/dtau² (the mean's derivative term vanishes)."""
    w = mask / (v + tau2[..., None])
    sw = w.sum(axis=-1)
    mu = (w * y).sum(axis=-1) / sw
    r2 = (y - mu[..., None]) ** 2
    return (w * r2).sum(axis=-1), -(w * w * r2).sum(axis=-1)


def solve_q(y: Array, v: Array, mask: NDArray[np.bool_], target: Array) -> tuple[Array, NDArray[np.bool_]]:
    """Smallest tau² ≥ 0 with Q(tau²) = target (0 where Q(0) ≤ target), by safeguarded Newton.

    Q(tau²) decreases in tau², and Q(t) ≤ S/t with S the unweighted sum of squares about the
    unweighted mean, so the root lies in [0, S/target].
    """
    k = mask.sum(axis=-1)
    ybar = (mask * y).sum(axis=-1) / k
    s = (mask * (y - ybar[..., None]) ** 2).sum(axis=-1)
    target = np.broadcast_to(np.asarray(target, dtype=float), s.shape)
    lo = np.zeros_like(s)
    hi = np.where(target > 0, s / np.where(target > 0, target, 1.0), 0.0) + 1e-300
    q0, _ = q_generalised(y, v, mask, lo)
    active = q0 > target
    t = lo.copy()
    converged = ~active
    for _ in range(_MAXITER):
        if not active.any():
            break
        q, dq = q_generalised(y, v, mask, t)
        f = q - target
        lo = np.where(active & (f > 0), t, lo)
        hi = np.where(active & (f <= 0), t, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(dq < 0, f / dq, 0.0)
        new = t - step
        bad = ~((new > lo) & (new < hi)) | (dq >= 0)
        new = np.where(bad, 0.5 * (lo + hi), new)
        done = np.abs(new - t) <= _TOL * (1.0 + t)
        t = np.where(active, new, t)
        converged = converged | (active & done)
        active = active & ~done
    return np.where(q0 > target, t, 0.0), converged


def tau2_pm(y: Array, v: Array, mask: NDArray[np.bool_]) -> tuple[Array, NDArray[np.bool_]]:
    """Paule–Mandel estimator: tau² with generalised Q equal to its expectation k - 1."""
    return solve_q(y, v, mask, mask.sum(axis=-1) - 1.0)


def _fisher_numpy(y: Array, v: Array, mask: NDArray[np.bool_], tau2: Array, *,
                  reml: bool) -> tuple[Array, NDArray[np.bool_]]:
    """Projected Fisher scoring for the (RE)ML tau², vectorised over rows (readable version)."""
    tau2 = tau2.copy()
    active = np.ones(tau2.shape, dtype=bool)
    for _ in range(_MAXITER):
        w = mask / (v + tau2[..., None])
        sw = w.sum(axis=-1)
        mu = (w * y).sum(axis=-1) / sw
        w2 = w * w
        s2 = w2.sum(axis=-1)
        score = (w2 * (y - mu[..., None]) ** 2).sum(axis=-1)
        if reml:   # P = W - W 1 1' W / sum(W); gradient 2 dl = y'PPy - tr(P); Fisher info 2 I = tr(PP)
            r = y - mu[..., None]
            s3 = (w2 * w).sum(axis=-1)
            grad = score - (sw - s2 / sw)
            trpp = s2 - 2.0 * s3 / sw + (s2 / sw) ** 2
            # observed information y'PPPy - tr(PP)/2: Newton where the likelihood is concave, else Fisher
            obs = (w2 * w * r * r).sum(axis=-1) - (w2 * r).sum(axis=-1) ** 2 / sw - 0.5 * trpp
            adj = np.where(obs > 0, 0.5 * grad / np.where(obs > 0, obs, 1.0), grad / trpp)
        else:      # sum(w² r²) - sum(w), over sum(w²)
            adj = (score - sw) / s2
        new = np.maximum(0.0, tau2 + adj)
        done = np.abs(new - tau2) <= _TOL * (1.0 + tau2)
        tau2 = np.where(active, new, tau2)
        active = active & ~done
        if not active.any():
            break
    # The (restricted) likelihood can have an interior local maximum below its value at the
    # boundary tau² = 0; the estimate is the maximiser over [0, inf), so compare with 0.
    zero = np.zeros_like(tau2)
    better_at_zero = _loglik(y, v, mask, zero, reml) > _loglik(y, v, mask, tau2, reml)
    return np.where(better_at_zero, 0.0, tau2), ~active


def _loglik(y: Array, v: Array, mask: NDArray[np.bool_], tau2: Array, reml: bool) -> Array:
    """(Restricted) log-likelihood of the intercept-only model, up to a constant."""
    w = mask / (v + tau2[..., None])
    sw, _, rss = _sums(y, w)
    ll = -0.5 * ((mask * np.log(v + tau2[..., None])).sum(axis=-1) + rss)
    return ll - 0.5 * np.log(sw) if reml else ll


#: Per-row summaries returned by :func:`row_summaries`, in column order.
SUMMARY_FIELDS = ("tau2", "converged", "sw", "mu", "rss", "q", "s2")
_KERNEL_CODES = {"FE": 0, "DL": 1, "ML": 2, "REML": 3}


def _summaries_numpy(y: Array, v: Array, mask: NDArray[np.bool_], tau2: Array, converged) -> Array:
    w = mask / (v + tau2[:, None])
    sw, mu, rss = _sums(y, w)                     # random-effects weights: total, mean, residual SS
    w0 = mask / v
    sw0, _, q = _sums(y, w0)                      # fixed-effect weights: Cochran's Q
    s2 = (mask.sum(axis=-1) - 1) * sw0 / (sw0**2 - (w0 * w0).sum(axis=-1))   # typical within variance
    return np.column_stack([tau2, converged, sw, mu, rss, q, s2])


@numba.njit(cache=False, nogil=True)
def _pooled_row(y, v, mask, t):  # pragma: no cover - compiled
    """Inverse-variance weights' sum, weighted mean and weighted residual sum of one row at tau² = t."""
    sw = 0.0
    swy = 0.0
    for j in range(y.shape[0]):
        if mask[j]:
            w = 1.0 / (v[j] + t)
            sw += w
            swy += w * y[j]
    mu = swy / sw
    rss = 0.0
    for j in range(y.shape[0]):
        if mask[j]:
            r = y[j] - mu
            rss += r * r / (v[j] + t)
    return sw, mu, rss


@numba.njit(cache=False, nogil=True)
def _loglik_row(y, v, mask, t, reml):  # pragma: no cover - compiled
    sw, _, rss = _pooled_row(y, v, mask, t)
    logv = 0.0
    for j in range(y.shape[0]):
        if mask[j]:
            logv += np.log(v[j] + t)
    ll = -0.5 * (logv + rss)
    return ll - 0.5 * np.log(sw) if reml else ll


@numba.njit(cache=False, nogil=True)
def _summaries_kernel(y, v, mask, code, tol, maxiter, out):  # pragma: no cover - compiled
    m, k = y.shape
    for i in range(m):
        n = 0
        sw0 = 0.0
        sw0y = 0.0
        sw0sq = 0.0
        for j in range(k):
            if mask[i, j]:
                w = 1.0 / v[i, j]
                n += 1
                sw0 += w
                sw0y += w * y[i, j]
                sw0sq += w * w
        mu0 = sw0y / sw0
        q = 0.0
        for j in range(k):
            if mask[i, j]:
                r = y[i, j] - mu0
                q += r * r / v[i, j]
        t = 0.0
        ok = True
        if code >= 1:
            c = sw0 - sw0sq / sw0
            t = max(0.0, (q - (n - 1)) / c) if c > 0 else 0.0
        if code >= 2:
            ok = False
            for _ in range(maxiter):
                sw = 0.0
                swy = 0.0
                for j in range(k):
                    if mask[i, j]:
                        w = 1.0 / (v[i, j] + t)
                        sw += w
                        swy += w * y[i, j]
                mu = swy / sw
                s2 = 0.0
                s3 = 0.0
                score = 0.0
                s3r2 = 0.0
                s2r = 0.0
                for j in range(k):
                    if mask[i, j]:
                        w = 1.0 / (v[i, j] + t)
                        w2 = w * w
                        r = y[i, j] - mu
                        s2 += w2
                        s3 += w2 * w
                        score += w2 * r * r
                        s3r2 += w2 * w * r * r
                        s2r += w2 * r
                if code == 3:
                    grad = score - (sw - s2 / sw)
                    trpp = s2 - 2.0 * s3 / sw + (s2 / sw) ** 2
                    obs = s3r2 - s2r * s2r / sw - 0.5 * trpp
                    adj = 0.5 * grad / obs if obs > 0 else grad / trpp
                else:
                    adj = (score - sw) / s2
                new = max(0.0, t + adj)
                if abs(new - t) <= tol * (1.0 + t):
                    t = new
                    ok = True
                    break
                t = new
            if t > 0.0:   # keep the boundary if its likelihood is higher (see _fisher_numpy)
                llt = _loglik_row(y[i], v[i], mask[i], t, code == 3)
                if _loglik_row(y[i], v[i], mask[i], 0.0, code == 3) > llt:
                    t = 0.0
        sw, mu, rss = _pooled_row(y[i], v[i], mask[i], t)
        out[i, 0] = t
        out[i, 1] = 1.0 if ok else 0.0
        out[i, 2] = sw
        out[i, 3] = mu
        out[i, 4] = rss
        out[i, 5] = q
        out[i, 6] = (n - 1) * sw0 / (sw0 * sw0 - sw0sq)


def row_summaries(y: Array, v: Array, mask: NDArray[np.bool_], method: str, *, backend: str = "auto") -> Array:
    """tau² and the weighted sums every pooled statistic needs, one row per analysis: (m, 7).

    Columns are :data:`SUMMARY_FIELDS`. FE, DL, ML and REML run in one compiled pass per row
    when ``backend`` is "numba" (or "auto" above :data:`NUMBA_MIN_CELLS` cells); the other
    estimators, and small inputs, use numpy.
    """
    use_numba = backend == "numba" or (backend == "auto" and y.size >= NUMBA_MIN_CELLS)
    if use_numba and method in _KERNEL_CODES:
        out = np.empty((y.shape[0], len(SUMMARY_FIELDS)))
        _summaries_kernel(np.ascontiguousarray(y), np.ascontiguousarray(v), np.ascontiguousarray(mask),
                          _KERNEL_CODES[method], _TOL, _MAXITER, out)
        return out
    tau2, converged = estimate_tau2(y, v, mask, method)
    return _summaries_numpy(y, v, mask, tau2, converged)


def estimate_tau2(y: Array, v: Array, mask: NDArray[np.bool_], method: str) -> tuple[Array, NDArray[np.bool_]]:
    """tau² for each row of (m, k) inputs by ``method`` in numpy; returns (tau2, converged), both (m,)."""
    m = y.shape[0]
    ok = np.ones(m, dtype=bool)
    if method == "FE":
        return np.zeros(m), ok
    if method == "DL":
        return tau2_dl(y, v, mask), ok
    if method == "HS":
        return tau2_hs(y, v, mask), ok
    if method == "SJ":
        return tau2_sj(y, v, mask), ok
    if method == "PM":
        return tau2_pm(y, v, mask)
    return _fisher_numpy(y, v, mask, tau2_dl(y, v, mask), reml=(method == "REML"))
