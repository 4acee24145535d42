"""Between-study variance (tau²) estimators, batched over many meta-analyses.

Every function takes effects ``y`` and sampling variances ``v`` of shape (m, k) — m independent
meta-analyses of up to k studies each — and a boolean ``mask`` (m, k) marking the studies present.
The formulas follow Viechtbauer (2005) and metafor's ``rma.uni`` for the intercept-only model.
REML and ML are solved by Fisher scoring twice: once in readable numpy (:func:`_fisher_numpy`),
once inside a compiled numba loop (:func:`pool_rows`) that goes on to every pooled statistic of a
row in the same pass, for large inputs; tests keep the two equal.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

#: Estimators of tau² offered; "FE" means tau² is fixed at 0.
METHODS = ("FE", "DL", "HS", "SJ", "PM", "ML", "REML")
#: From this many cells (m·k) FE/DL/ML/REML use the compiled kernel: its first call in a process
#: costs ~0.3 s to load from numba's on-disk cache (~2 s to compile on a new machine), so small
#: analyses (the CLI's, metafor's examples) stay in numpy.
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
        # a converged row keeps the point its last step was computed at (where the compiled kernel
        # has every sum), unless that step lands on the boundary 0
        tau2 = np.where(active & (~done | (new == 0.0)), new, tau2)
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


#: Per-analysis outputs of :func:`pool_rows`, in row order of its (len(POOL_FIELDS), m) result.
POOL_FIELDS = ("k", "tau2", "converged", "estimate", "se", "ci_lb", "ci_ub", "stat", "p", "i2", "h2", "q",
               "q_p", "pi_lb", "pi_ub")
_KERNEL_CODES = {"FE": 0, "DL": 1, "ML": 2, "REML": 3}
#: Reassociation lets LLVM vectorise the sums (numbers differ from sequential sums in the last bits only).
_FAST = {"reassoc", "contract"}
#: Closed-form chi-square tail in compiled code up to these df and x/2; beyond, the caller uses scipy.
_CHI2_MAX_DF = 200
_CHI2_MAX_HALF_X = 600.0


@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def _pool_row(y, v, m, code, hksj, crit, tol, maxiter, out, i):  # pragma: no cover - compiled
    """Pool row i: y, v (k,) with m None (all present) or a bool (k,) presence mask; fills out[:, i].

    One pass for the fixed-effect sums, one for Q, then one per Fisher-scoring step: every sum is
    taken about the fixed-effect mean ``c``, so that the mean, score and information of a step
    come from one pass (squares expanded about a nearby centre, without cancellation). The
    estimate is the point of the last step, whose sums give every statistic.
    """
    k = y.shape[0]
    n = 0.0
    sw0 = 0.0
    swy = 0.0
    sw0sq = 0.0
    for j in range(k):
        w = (1.0 if m is None else 1.0 * m[j]) / v[j]
        n += 1.0 if m is None else 1.0 * m[j]
        sw0 += w
        swy += w * y[j]
        sw0sq += w * w
    c = swy / sw0
    q = 0.0
    for j in range(k):
        d = y[j] - c
        q += (d * d if m is None else m[j] * d * d) / v[j]
    t = 0.0
    ok = True
    sw, e, rss = sw0, 0.0, q     # sum of weights, mean - c and residual sum at tau² = t
    if code >= 1:
        den = sw0 - sw0sq / sw0
        t = max(0.0, (q - (n - 1.0)) / den) if den > 0 else 0.0
    if code >= 2:
        ok = False
        for _ in range(maxiter):
            sw = 0.0
            s1 = 0.0
            a1 = 0.0
            s2 = 0.0
            s3 = 0.0
            b2 = 0.0
            a2 = 0.0
            b3 = 0.0
            a3 = 0.0
            for j in range(k):
                w = (1.0 if m is None else 1.0 * m[j]) / (v[j] + t)
                d = y[j] - c
                w2 = w * w
                w3 = w2 * w
                sw += w
                s1 += w * d
                a1 += w * d * d
                s2 += w2
                s3 += w3
                b2 += w2 * d
                a2 += w2 * d * d
                b3 += w3 * d
                a3 += w3 * d * d
            e = s1 / sw   # random-effects mean minus c; residuals r = d - e
            rss = max(0.0, a1 - e * s1)
            score = a2 - 2.0 * e * b2 + e * e * s2     # sum w² r²
            if code == 3:   # REML: see _fisher_numpy
                grad = score - (sw - s2 / sw)
                trpp = s2 - 2.0 * s3 / sw + (s2 / sw) ** 2
                s2r = b2 - e * s2                     # sum w² r
                obs = (a3 - 2.0 * e * b3 + e * e * s3) - s2r * s2r / sw - 0.5 * trpp
                adj = 0.5 * grad / obs if obs > 0 else grad / trpp
            else:
                adj = (score - sw) / s2
            new = max(0.0, t + adj)
            if abs(new - t) <= tol * (1.0 + t):
                ok = True
                if new == 0.0:   # the step lands on the boundary: report it exactly
                    t, sw, e, rss = 0.0, sw0, 0.0, q
                break
            t = new
    if t == 0.0 and not ok:    # a solver stopped without converging, on the boundary
        sw, e, rss = sw0, 0.0, q
    elif t > 0.0 and (code == 1 or not ok):   # DL, or a solver stopped without converging: sums at t
        sw = 0.0
        s1 = 0.0
        a1 = 0.0
        for j in range(k):
            w = (1.0 if m is None else 1.0 * m[j]) / (v[j] + t)
            d = y[j] - c
            sw += w
            s1 += w * d
            a1 += w * d * d
        e = s1 / sw
        rss = max(0.0, a1 - e * s1)
    if code >= 2 and t > 0.0 and _boundary_is_higher(y, v, m, t, sw, rss, sw0, q, code == 3):
        t, sw, e, rss = 0.0, sw0, 0.0, q
    mu = c + e
    df = n - 1.0
    se = np.sqrt(rss / df / sw) if hksj else np.sqrt(1.0 / sw)
    stat = mu / se
    s2typ = df * sw0 / (sw0 * sw0 - sw0sq)
    if code == 0:
        i2 = 100.0 * max(0.0, (q - df) / q) if q > 0 else 0.0
        h2 = q / df
    else:
        i2 = 100.0 * t / (t + s2typ)
        h2 = (t + s2typ) / s2typ
    half_pi = crit * np.sqrt(se * se + t)
    out[0, i] = n
    out[1, i] = t
    out[2, i] = 1.0 if ok else 0.0
    out[3, i] = mu
    out[4, i] = se
    out[5, i] = mu - crit * se
    out[6, i] = mu + crit * se
    out[7, i] = stat
    out[8, i] = np.nan if hksj else math.erfc(abs(stat) / math.sqrt(2.0))   # 2·Φ(-|z|)
    out[9, i] = i2
    out[10, i] = h2
    out[11, i] = q
    out[12, i] = _chi2_sf(int(df), q)
    out[13, i] = mu - half_pi
    out[14, i] = mu + half_pi


@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def _boundary_is_higher(y, v, m, t, sw, rss, sw0, q, reml):  # pragma: no cover - compiled
    """Whether the (restricted) likelihood at tau² = 0 exceeds its value at t (see _fisher_numpy).

    The log-determinant difference sum(log(1 + t/v)) is taken as the log of products of 32
    factors (each ≥ 1), one log per factor only where such a product would overflow.
    """
    k = y.shape[0]
    logdet = 0.0
    for start in range(0, k, 32):
        stop = min(start + 32, k)
        p = 1.0
        for j in range(start, stop):
            p *= 1.0 + (t if m is None else t * m[j]) / v[j]
        if p < 1e300:
            logdet += math.log(p)
        else:
            for j in range(start, stop):
                logdet += math.log1p((t if m is None else t * m[j]) / v[j])
    diff = logdet + rss - q   # -2 (loglik(t) - loglik(0))
    if reml:
        diff += math.log(sw) - math.log(sw0)
    return diff > 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _chi2_sf(df, x):  # pragma: no cover - compiled
    """P(chi²_df > x) for integer df ≥ 1 by its finite series (Abramowitz & Stegun 26.4.4-5).

    NaN beyond :data:`_CHI2_MAX_DF` or x/2 > :data:`_CHI2_MAX_HALF_X`, where the caller uses scipy.
    """
    h = 0.5 * x
    if df < 1 or df > _CHI2_MAX_DF or not 0.0 <= h <= _CHI2_MAX_HALF_X:
        return np.nan
    total = 0.0
    if df % 2 == 0:          # exp(-h) sum_{i < df/2} h^i / i!
        term = 1.0
        for i in range(df // 2):
            total += term
            term *= h / (i + 1)
        return math.exp(-h) * total
    term = 2.0 * math.sqrt(h / math.pi)   # erfc(sqrt h) + exp(-h) sum_{i=1}^{(df-1)/2} h^(i-1/2) / Γ(i+1/2)
    for i in range(1, (df - 1) // 2 + 1):
        total += term
        term *= h / (i + 0.5)
    return math.erfc(math.sqrt(h)) + math.exp(-h) * total


@numba.njit(cache=True, nogil=True)
def _pool_kernel(y, v, mask, code, hksj, crit, tol, maxiter, out):  # pragma: no cover - compiled
    if out.shape[0] != 15 or out.shape[1] != y.shape[0] or crit.shape[0] != y.shape[0]:
        raise ValueError("pool kernel: output must be (15, m) and crit (m,)")   # no bounds checks below
    for i in range(y.shape[0]):
        if mask is None:
            _pool_row(y[i], v[i], None, code, hksj, crit[i], tol, maxiter, out, i)
        else:
            _pool_row(y[i], v[i], mask[i], code, hksj, crit[i], tol, maxiter, out, i)


def pool_rows(y: Array, v: Array, mask: NDArray[np.bool_] | None, method: str, *, hksj: bool,
              crit: Array) -> Array:
    """Compiled pooling of each row of (m, k) ``y``, ``v``: the fields :data:`POOL_FIELDS`, (14, m).

    ``method`` is one of :data:`KERNEL_METHODS`; ``mask`` None means every study is present (masked-out
    cells must hold a finite ``y`` and a positive ``v``); ``crit`` (m,) is the critical value of each
    row's CI and prediction interval. Left NaN for the caller: the p-values under ``hksj``
    (Student-t tails are not available in compiled code) and ``q_p`` outside the closed form.
    """
    if v.shape != y.shape or y.ndim != 2 or (mask is not None and mask.shape != y.shape):
        raise ValueError(f"pool_rows: y {y.shape}, v {v.shape} and mask must share one (m, k) shape")
    out = np.empty((len(POOL_FIELDS), y.shape[0]))
    _pool_kernel(np.ascontiguousarray(y), np.ascontiguousarray(v),
                 None if mask is None else np.ascontiguousarray(mask), _KERNEL_CODES[method], bool(hksj),
                 np.ascontiguousarray(crit, dtype=np.float64), _TOL, _MAXITER, out)
    return out


#: Estimators solved by the compiled kernel (the others are closed forms or PM's root, in numpy).
KERNEL_METHODS = tuple(_KERNEL_CODES)


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
