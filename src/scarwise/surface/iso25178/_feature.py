"""Feature parameters Spd, Svd, Spc, Svc, S5p, S5v, S10z (ISO 25178-2:2021, clause 5).

As surfalize 0.19 computes them (``surfalize.feature``), so that the two agree:

- Segmentation: steepest-descent watershed on the heights (dales) or on the inverted heights
  (hills), 8-connected: every point drains to its lowest strictly lower neighbour, connected
  points without one are the basins' sinks.
- Wolf pruning at 5 % of Sz: repeatedly the motif with the smallest local height (lowest
  bounding saddle minus its critical height) is merged across that saddle into its neighbour,
  until every motif is at least the threshold high; the deeper critical point survives.
- Motifs touching the map's border are incomplete and left out; so are motifs touching a
  missing point (the heights are filled with the mean for the segmentation).
- Spd, Svd: number of significant hills / dales per unit area, in 1/mm^2 (surfalize: 1/um^2);
  the area is ``(nx - 1) dx (ny - 1) dy`` times the share of valid points.
- Spc, Svc: mean of ``-(d2z/dx2 + d2z/dy2) / 2`` (central second differences) at the peaks /
  pits not on the border, in 1/mm (surfalize: 1/um).
- S5p, S5v, S10z: mean height of the five highest peaks, mean depth of the five deepest pits
  (fewer if fewer are found; about the mean plane) and their sum, in um.

Ties in height are broken by position (first in row-major order) where surfalize's quicksort-
based ``ndimage.minimum_position`` may pick another of the tied points; on measured data
exactly tied extrema are rare.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numba
import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

#: Wolf pruning threshold in % of Sz (ISO 25178-3 worked examples; surfalize's default).
PRUNING_PERCENT = 5.0
#: Extrema averaged by S5p and S5v.
N_FIVE_POINT = 5

# surfalize compares every point with the neighbour at p - offset, in this order (strict <: first wins)
_OFFSETS = np.array([(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)], dtype=np.int64)


@functools.cache
def make_watershed() -> Callable[..., tuple]:
    """Compiled kernels: steepest-descent pointers, sink resolution, basin minima and saddles."""

    @numba.njit(cache=True, nogil=True)
    def descent(data, offsets):
        ny, nx = data.shape
        pointer = np.empty(ny * nx, np.int32)
        is_sink = np.zeros((ny, nx), np.bool_)
        for i in range(ny):
            border_row = i == 0 or i == ny - 1
            for j in range(nx):
                best = np.inf
                target = i * nx + j
                if border_row or j == 0 or j == nx - 1:
                    for o in range(offsets.shape[0]):
                        ii = i - offsets[o, 0]
                        jj = j - offsets[o, 1]
                        if 0 <= ii < ny and 0 <= jj < nx and data[ii, jj] < best:
                            best = data[ii, jj]
                            target = ii * nx + jj
                else:  # the same order, unrolled: neighbours at p - offset
                    for di, dj in ((1, 1), (1, 0), (1, -1), (0, 1), (0, -1), (-1, 1), (-1, 0), (-1, -1)):
                        v = data[i + di, j + dj]
                        if v < best:
                            best = v
                            target = (i + di) * nx + j + dj
                if best < data[i, j]:
                    pointer[i * nx + j] = target
                else:
                    pointer[i * nx + j] = i * nx + j
                    is_sink[i, j] = True
        return pointer, is_sink

    @numba.njit(cache=True, nogil=True)
    def basins(pointer, markers, data, n):
        size = pointer.size
        nx = data.shape[1]
        sink = pointer.copy()
        stack = np.empty(size, np.int32)
        done = np.zeros(size, np.bool_)
        for p in range(size):  # follow each chain to its sink once, then write it back along the path
            depth = 0
            q = p
            while not done[q] and sink[q] != q:
                stack[depth] = q
                depth += 1
                q = sink[q]
            root = sink[q]
            for k in range(depth):
                sink[stack[k]] = root
                done[stack[k]] = True
            done[q] = True
        labels = np.empty(data.shape, np.int32)
        critical = np.full(n + 1, np.inf)
        loc = np.zeros((n + 1, 2), np.int64)
        ny = data.shape[0]
        flat_markers = markers.ravel()
        for i in range(ny):
            for j in range(nx):
                lab = flat_markers[sink[i * nx + j]]
                labels[i, j] = lab
                if data[i, j] < critical[lab]:
                    critical[lab] = data[i, j]
                    loc[lab, 0] = i
                    loc[lab, 1] = j
        return labels, critical, loc

    @numba.njit(cache=True, nogil=True)
    def saddles(labels, data, n):
        """Unique adjacent label pairs (lo < hi), ascending, with their lowest pour point."""
        ny, nx = labels.shape
        cap = 4 * ny * nx
        lo = np.empty(cap, np.int32)
        hi = np.empty(cap, np.int32)
        pour = np.empty(cap)
        m = 0
        for i in range(ny):
            for j in range(nx):
                la = labels[i, j]
                for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
                    ii = i + di
                    jj = j + dj
                    if ii < ny and 0 <= jj < nx:
                        lb = labels[ii, jj]
                        if la != lb:
                            a = min(la, lb)
                            b = max(la, lb)
                            h = max(data[i, j], data[ii, jj])
                            # along a boundary the same pair recurs: merge with the last few entries
                            k = m - 1
                            while k >= 0 and k >= m - 4:
                                if lo[k] == a and hi[k] == b:
                                    break
                                k -= 1
                            if k >= 0 and k >= m - 4:
                                if h < pour[k]:
                                    pour[k] = h
                            else:
                                lo[m] = a
                                hi[m] = b
                                pour[m] = h
                                m += 1
        # counting sort by lo, then sort each bucket by hi and keep the minimum pour per pair
        start = np.zeros(n + 2, np.int64)
        for k in range(m):
            start[lo[k] + 1] += 1
        for r in range(n + 1):
            start[r + 1] += start[r]
        fill = start[:-1].copy()
        bucket_hi = np.empty(m, np.int32)
        bucket_pour = np.empty(m)
        for k in range(m):
            f = fill[lo[k]]
            bucket_hi[f] = hi[k]
            bucket_pour[f] = pour[k]
            fill[lo[k]] = f + 1
        out_lo = np.empty(m, np.int64)
        out_hi = np.empty(m, np.int64)
        out_s = np.empty(m)
        u = 0
        for r in range(n + 1):
            a, b = start[r], start[r + 1]
            if b == a:
                continue
            order = np.argsort(bucket_hi[a:b])
            prev = -1
            for k in order:
                h = bucket_hi[a + k]
                p = bucket_pour[a + k]
                if h != prev:
                    out_lo[u] = r
                    out_hi[u] = h
                    out_s[u] = p
                    u += 1
                    prev = h
                elif p < out_s[u - 1]:
                    out_s[u - 1] = p
        return out_lo[:u], out_hi[:u], out_s[:u]

    return descent, basins, saddles


@functools.cache
def make_wolf_pruning() -> Callable[..., tuple]:
    """Compiled Wolf pruning: surfalize's heap algorithm step for step, on flat arrays.

    surfalize keeps one insertion-ordered dict of neighbours per motif; ties between equal saddles
    are broken by that order. Here every adjacency is one edge (its saddle height) threaded on two
    doubly linked lists, one per end, in the order the dict entries would have been inserted, and
    an open-addressing hash table finds the edge of a pair, so each dict operation is O(1) without
    numba's (slow) typed dicts.
    """

    @numba.njit(cache=True, nogil=True)
    def before(hh, hr, hv, i, j):  # tuple (hh, hr, hv)[i] < [j]
        if hh[i] != hh[j]:
            return hh[i] < hh[j]
        if hr[i] != hr[j]:
            return hr[i] < hr[j]
        return hv[i] < hv[j]

    @numba.njit(cache=True, nogil=True)
    def swap(hh, hr, hv, i, j):
        hh[i], hh[j] = hh[j], hh[i]
        hr[i], hr[j] = hr[j], hr[i]
        hv[i], hv[j] = hv[j], hv[i]

    @numba.njit(cache=True, nogil=True)
    def heap_push(hh, hr, hv, size, h, r, v):
        hh[size] = h
        hr[size] = r
        hv[size] = v
        i = size
        while i > 0:
            parent = (i - 1) // 2
            if before(hh, hr, hv, i, parent):
                swap(hh, hr, hv, i, parent)
                i = parent
            else:
                break
        return size + 1

    @numba.njit(cache=True, nogil=True)
    def heap_pop(hh, hr, hv, size):
        size -= 1
        swap(hh, hr, hv, 0, size)
        i = 0
        while True:
            left = 2 * i + 1
            if left >= size:
                break
            child = left
            if left + 1 < size and before(hh, hr, hv, left + 1, left):
                child = left + 1
            if before(hh, hr, hv, child, i):
                swap(hh, hr, hv, i, child)
                i = child
            else:
                break
        return size

    @numba.njit(cache=True, nogil=True)
    def key_of(x, y, n):
        return min(x, y) * (n + 1) + max(x, y)

    @numba.njit(cache=True, nogil=True)
    def slot_of(key, hkey):
        mask = hkey.size - 1
        x = key ^ (key >> 16)  # integer mix (constants below 2**31: no unsigned promotion)
        x = (x * 0x45D9F3B) ^ ((x * 0x45D9F3B) >> 16)
        i = (x * 0x45D9F3B) & mask
        while hkey[i] != -1 and hkey[i] != key:
            i = (i + 1) & mask
        return i

    @numba.njit(cache=True, nogil=True)
    def append(node, h, head, tail, nxt, prv):
        prv[h] = tail[node]
        nxt[h] = -1
        if tail[node] >= 0:
            nxt[tail[node]] = h
        else:
            head[node] = h
        tail[node] = h

    @numba.njit(cache=True, nogil=True)
    def unlink(node, h, head, tail, nxt, prv):
        p = prv[h]
        q = nxt[h]
        if p >= 0:
            nxt[p] = q
        else:
            head[node] = q
        if q >= 0:
            prv[q] = p
        else:
            tail[node] = p

    @numba.njit(cache=True, nogil=True)
    def find(x, y, n, hkey, hval):
        i = slot_of(key_of(x, y, n), hkey)
        return hval[i] if hkey[i] >= 0 else -1

    @numba.njit(cache=True, nogil=True)
    def wolf_pruning(n, critical, loc, a, b, saddle, threshold):
        m0 = a.size
        cap_e = 2 * m0 + 16
        ea = np.empty(cap_e, np.int64)
        eb = np.empty(cap_e, np.int64)
        val = np.empty(cap_e)
        nxt = np.full(2 * cap_e, -1, np.int64)  # half-edge 2e sits on ea[e]'s list, 2e + 1 on eb[e]'s
        prv = np.full(2 * cap_e, -1, np.int64)
        head = np.full(n + 1, -1, np.int64)
        tail = np.full(n + 1, -1, np.int64)
        free = np.empty(cap_e, np.int64)
        n_free = 0
        n_used = 0
        size = 16
        while size < 8 * (m0 + 1):
            size *= 2
        hkey = np.full(size, -1, np.int64)  # -1 empty, -2 deleted
        hval = np.empty(size, np.int64)
        filled = 0  # slots not empty (live or deleted)

        edges_alive = 0
        for k in range(m0):  # in ascending (lo, hi): the dicts' insertion order
            e = n_used
            n_used += 1
            ea[e] = a[k]
            eb[e] = b[k]
            val[e] = saddle[k]
            append(a[k], 2 * e, head, tail, nxt, prv)
            append(b[k], 2 * e + 1, head, tail, nxt, prv)
            i = slot_of(key_of(a[k], b[k], n), hkey)
            hkey[i] = key_of(a[k], b[k], n)
            hval[i] = e
            filled += 1
            edges_alive += 1

        merged_into = np.arange(n + 1)
        alive = np.ones(n + 1, np.bool_)
        alive[0] = False
        version = np.zeros(n + 1, np.int64)
        min_saddle = np.full(n + 1, np.inf)
        min_neighbour = np.full(n + 1, -1, np.int64)
        for r in range(1, n + 1):
            h = head[r]
            while h >= 0:
                e = h >> 1
                if val[e] < min_saddle[r]:
                    min_saddle[r] = val[e]
                    min_neighbour[r] = eb[e] if (h & 1) == 0 else ea[e]
                h = nxt[h]
        # binary min-heap of (local height, motif, version), ordered as Python compares the tuples
        cap_h = 2 * n + 2
        hh = np.empty(cap_h)
        hr = np.empty(cap_h, np.int64)
        hv = np.empty(cap_h, np.int64)
        n_heap = 0
        for r in range(1, n + 1):
            n_heap = heap_push(hh, hr, hv, n_heap, min_saddle[r] - critical[r], r, 0)
        while n_heap > 0:
            height, r, ver = hh[0], hr[0], hv[0]
            n_heap = heap_pop(hh, hr, hv, n_heap)
            if not alive[r] or ver != version[r]:
                continue
            if height >= threshold:
                break
            nb = min_neighbour[r]
            # del adjacency[nb][r]; del adjacency[r][nb]
            e = find(r, nb, n, hkey, hval)
            h_r = 2 * e if ea[e] == r else 2 * e + 1
            unlink(r, h_r, head, tail, nxt, prv)
            unlink(nb, h_r ^ 1, head, tail, nxt, prv)
            hkey[slot_of(key_of(r, nb, n), hkey)] = -2
            free[n_free] = e
            n_free += 1
            transferred_min = np.inf
            transferred_nb = -1
            h = head[r]
            while h >= 0:  # the remaining neighbours of r, in order
                e = h >> 1
                other = eb[e] if (h & 1) == 0 else ea[e]
                s_ro = val[e]
                e2 = find(nb, other, n, hkey, hval)
                if e2 >= 0:  # existing entry: value updated in place, order kept
                    combined = s_ro if s_ro < val[e2] else val[e2]
                    val[e2] = combined
                else:  # new entry at the end of both dicts
                    combined = s_ro
                    if n_free > 0:
                        n_free -= 1
                        e2 = free[n_free]
                    else:
                        e2 = n_used
                        n_used += 1
                    ea[e2] = nb
                    eb[e2] = other
                    val[e2] = combined
                    append(nb, 2 * e2, head, tail, nxt, prv)
                    append(other, 2 * e2 + 1, head, tail, nxt, prv)
                    if filled + 1 > hkey.size // 2:  # rebuild without deleted slots
                        live = hkey >= 0
                        keys = hkey[live].copy()
                        vals = hval[live].copy()
                        hkey[:] = -1
                        for q in range(keys.size):
                            i = slot_of(keys[q], hkey)
                            hkey[i] = keys[q]
                            hval[i] = vals[q]
                        filled = keys.size
                    i = slot_of(key_of(nb, other, n), hkey)
                    hkey[i] = key_of(nb, other, n)
                    hval[i] = e2
                    filled += 1
                # del adjacency[other][r]
                unlink(other, h ^ 1, head, tail, nxt, prv)
                hkey[slot_of(key_of(r, other, n), hkey)] = -2
                if min_neighbour[other] == r:
                    min_neighbour[other] = nb
                if combined < transferred_min:
                    transferred_min = combined
                    transferred_nb = other
                nh = nxt[h]
                free[n_free] = e
                n_free += 1
                h = nh
            head[r] = -1
            tail[r] = -1
            if critical[r] < critical[nb]:
                critical[nb] = critical[r]
                loc[nb, 0] = loc[r, 0]
                loc[nb, 1] = loc[r, 1]
            alive[r] = False
            merged_into[r] = nb
            if min_neighbour[nb] == r:
                best = np.inf
                best_nb = -1
                h = head[nb]
                while h >= 0:
                    e = h >> 1
                    if val[e] < best:
                        best = val[e]
                        best_nb = eb[e] if (h & 1) == 0 else ea[e]
                    h = nxt[h]
                min_saddle[nb] = best
                min_neighbour[nb] = best_nb
            elif transferred_min < min_saddle[nb]:
                min_saddle[nb] = transferred_min
                min_neighbour[nb] = transferred_nb
            version[nb] += 1
            n_heap = heap_push(hh, hr, hv, n_heap, min_saddle[nb] - critical[nb], nb, version[nb])
        region_of = np.zeros(n + 1, np.int64)
        for r in range(1, n + 1):
            root = r
            while merged_into[root] != root:
                root = merged_into[root]
            region_of[r] = root
        return alive, region_of, loc

    return wolf_pruning


def _segment(data: NDArray[np.float64], incomplete: NDArray[np.bool_], threshold: float) -> NDArray[np.int64]:
    """(row, col) of the critical point of every significant, complete motif (dales of ``data``)."""
    descent, basins, saddles = make_watershed()
    pointer, is_sink = descent(data, _OFFSETS)
    markers, n = ndimage.label(is_sink, structure=np.ones((3, 3), dtype=bool), output=np.int32)
    labels, critical, loc = basins(pointer, markers, data, n)
    lo, hi, saddle = saddles(labels, data, n)
    alive, region_of, loc = make_wolf_pruning()(n, critical, loc, lo, hi, saddle, threshold)
    roots = np.flatnonzero(alive)
    excluded = np.unique(region_of[np.unique(labels[incomplete])])
    roots = roots[~np.isin(roots, excluded)]
    return loc[roots]


def _curvature(data_mm: NDArray[np.float64], extrema: NDArray[np.int64], dx: float, dy: float) -> NDArray:
    ny, nx = data_mm.shape
    rows, cols = extrema[:, 0], extrema[:, 1]
    inside = (rows > 0) & (rows < ny - 1) & (cols > 0) & (cols < nx - 1)
    rows, cols = rows[inside], cols[inside]
    d2x = (data_mm[rows, cols + 1] - 2 * data_mm[rows, cols] + data_mm[rows, cols - 1]) / dx**2
    d2y = (data_mm[rows + 1, cols] - 2 * data_mm[rows, cols] + data_mm[rows - 1, cols]) / dy**2
    return -0.5 * (d2x + d2y)


def feature_parameters(z_mm: NDArray[np.float64], dx_mm: float, dy_mm: float) -> dict[str, float]:
    """Spd, Svd (1/mm^2), Spc, Svc (1/mm), S5p, S5v, S10z (um) of ``z_mm`` (mm, NaN = missing)."""
    valid = ~np.isnan(z_mm)
    data = np.where(valid, z_mm - z_mm[valid].mean(), 0.0)
    ny, nx = data.shape
    incomplete = ~valid
    incomplete[0, :] = incomplete[-1, :] = incomplete[:, 0] = incomplete[:, -1] = True
    threshold = PRUNING_PERCENT / 100 * float(data[valid].max() - data[valid].min())
    area = (nx - 1) * dx_mm * (ny - 1) * dy_mm * valid.mean()
    peaks = _segment(np.ascontiguousarray(-data), incomplete, threshold)
    pits = _segment(np.ascontiguousarray(data), incomplete, threshold)
    peak_curv = _curvature(data, peaks, dx_mm, dy_mm)
    pit_curv = _curvature(data, pits, dx_mm, dy_mm)
    top = np.sort(data[peaks[:, 0], peaks[:, 1]])[::-1][:N_FIVE_POINT] * 1000
    bottom = np.sort(-data[pits[:, 0], pits[:, 1]])[::-1][:N_FIVE_POINT] * 1000
    s5p = float(top.mean()) if top.size else math.nan
    s5v = float(bottom.mean()) if bottom.size else math.nan
    return {
        "Spd": len(peaks) / area,
        "Svd": len(pits) / area,
        "Spc": float(peak_curv.mean()) if peak_curv.size else math.nan,
        "Svc": float(pit_curv.mean()) if pit_curv.size else math.nan,
        "S5p": s5p,
        "S5v": s5v,
        "S10z": s5p + s5v,
    }
