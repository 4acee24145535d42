"""Injection planning: sites inside each scar footprint, volume in proportion to its void."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scarwise.core.errors import InvalidParameterError
from scarwise.therapy._protocols import Protocol, load_protocols
from scarwise.therapy._region import ScarRegion

PLAN_LABEL = ("planning aid from an uncalibrated model and unverified protocol priors; "
              "not a prescription: the treating clinician decides doses and sites")


@dataclass(frozen=True, kw_only=True)
class InjectionSite:
    """One needle entry: position (mm from the first sample), volume (uL) and dose (product units)."""

    scar_id: int
    x_mm: float
    y_mm: float
    volume_ul: float
    dose: float
    void_depth_mm: float  # scar depth below skin level at the site


@dataclass(frozen=True, kw_only=True)
class ScarPlan:
    """Per-scar totals."""

    id: int
    void_volume_mm3: float
    n_sites: int
    volume_ul: float
    dose: float


@dataclass(frozen=True, kw_only=True)
class InjectionPlan:
    """Sites, per-scar and total volumes of one session of an injected protocol."""

    protocol: str
    product: str
    dose_unit: str
    route: str
    depth_mm: float  # depth plane of the injections below the skin level
    spacing_mm: float
    sessions: int
    sites: tuple[InjectionSite, ...]
    scars: tuple[ScarPlan, ...]
    total_volume_ul: float
    total_dose: float
    verified: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol, "product": self.product, "dose_unit": self.dose_unit, "route": self.route,
            "depth_mm": self.depth_mm, "spacing_mm": self.spacing_mm, "sessions": self.sessions,
            "per_session": True,
            "scars": [dataclasses.asdict(s) for s in self.scars],
            "sites": [dataclasses.asdict(s) for s in self.sites],
            "total_volume_ul": self.total_volume_ul, "total_dose": self.total_dose,
            "protocol_verified": self.verified, "label": PLAN_LABEL,
        }

    def table_rows(self) -> list[tuple[str, ...]]:
        """Printable rows: scar id, sites, void mm^3, volume uL, dose (one line per scar, then the total)."""
        rows = [(str(s.id), str(s.n_sites), f"{s.void_volume_mm3:.4f}", f"{s.volume_ul:.3f}", f"{s.dose:.4g}")
                for s in self.scars]
        rows.append(("total", str(len(self.sites)), f"{sum(s.void_volume_mm3 for s in self.scars):.4f}",
                     f"{self.total_volume_ul:.3f}", f"{self.total_dose:.4g}"))
        return rows


def _hex_sites(mask: np.ndarray, dx: float, dy: float, spacing: float) -> list[tuple[int, int]]:
    """Pixels (row, col) of a hexagonal lattice at ``spacing`` mm, anchored at the footprint centroid,
    that fall inside ``mask``; the deepest-centred pixel if none does."""
    rows, cols = np.nonzero(mask)
    cy, cx = rows.mean() * dy, cols.mean() * dx
    y0, y1 = rows.min() * dy, rows.max() * dy
    x0, x1 = cols.min() * dx, cols.max() * dx
    h = spacing * math.sqrt(3) / 2
    out: list[tuple[int, int]] = []
    for k in range(math.floor((y0 - cy) / h) - 1, math.ceil((y1 - cy) / h) + 2):
        y = cy + k * h
        shift = 0.5 * spacing if k % 2 else 0.0
        for m in range(math.floor((x0 - cx - shift) / spacing) - 1, math.ceil((x1 - cx - shift) / spacing) + 2):
            x = cx + shift + m * spacing
            i, j = int(round(y / dy)), int(round(x / dx))
            if 0 <= i < mask.shape[0] and 0 <= j < mask.shape[1] and mask[i, j]:
                out.append((i, j))
    if not out:  # footprint narrower than the spacing: one site at the point nearest the centroid
        d2 = (rows * dy - cy) ** 2 + (cols * dx - cx) ** 2
        k = int(np.argmin(d2))
        out.append((int(rows[k]), int(cols[k])))
    return sorted(set(out))


def plan_injections(region: ScarRegion, protocol: Protocol, *, spacing_mm: float | None = None) -> InjectionPlan:
    """Injection sites and volumes for one session of ``protocol`` on the scars of ``region``.

    Sites lie on a hexagonal lattice at the protocol's spacing (or ``spacing_mm``) inside each
    footprint, at least one per scar. A scar receives ``injection_ul_per_void_mm3`` times its void
    volume (1 mm^3 = 1 uL), shared equally among its sites; the dose is that volume times the
    product's concentration.

    Raises
    ------
    InvalidParameterError
        The protocol has no injected product (devices or topical products only).
    """
    ag = protocol.agent
    if ag is None or not ag.injected:
        injectable = sorted(n for n, p in load_protocols().items() if p.agent is not None and p.agent.injected)
        raise InvalidParameterError(
            f"protocol {protocol.name!r} injects nothing (devices or topical only); plan one of {injectable}"
        )
    spacing = ag.site_spacing_mm if spacing_mm is None else spacing_mm
    if not (isinstance(spacing, (int, float)) and math.isfinite(spacing) and spacing > 0):
        raise InvalidParameterError(f"spacing_mm must be a finite number > 0, got {spacing!r}")
    g = region.grid
    sites: list[InjectionSite] = []
    scars: list[ScarPlan] = []
    for k in region.scar_ids:
        mask = region.labels == k
        void = float(region.depth0_mm[mask].sum() * g.cell_area_mm2)
        pix = _hex_sites(mask, g.dx_mm, g.dy_mm, spacing)
        vol = ag.injection_ul_per_void_mm3 * void
        per = vol / len(pix)
        sites += [InjectionSite(scar_id=k, x_mm=j * g.dx_mm, y_mm=i * g.dy_mm, volume_ul=per,
                                dose=per * ag.concentration_per_ul, void_depth_mm=float(region.depth0_mm[i, j]))
                  for i, j in pix]
        scars.append(ScarPlan(id=k, void_volume_mm3=void, n_sites=len(pix), volume_ul=vol,
                              dose=vol * ag.concentration_per_ul))
    total = sum(s.volume_ul for s in scars)
    return InjectionPlan(protocol=protocol.name, product=ag.product.name, dose_unit=ag.product.unit, route=ag.route,
                         depth_mm=ag.depth_mm, spacing_mm=float(spacing), sessions=protocol.sessions,
                         sites=tuple(sites), scars=tuple(scars), total_volume_ul=total,
                         total_dose=total * ag.concentration_per_ul, verified=protocol.verified)


def plot_plan(plan: InjectionPlan, region: ScarRegion, path: str | Path) -> Path:
    """Write a PNG: void depth map, footprint outlines and sites (marker area ~ volume)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = region.grid
    extent = (0, g.nx * g.dx_mm, g.ny * g.dy_mm, 0)
    fig, ax = plt.subplots(figsize=(6.5, 5.5), dpi=120)
    im = ax.imshow(region.depth0_mm, cmap="magma_r", extent=extent, interpolation="nearest")
    fig.colorbar(im, ax=ax, label="void depth below skin level (mm)")
    ax.contour(np.arange(g.nx) * g.dx_mm, np.arange(g.ny) * g.dy_mm, region.labels > 0, levels=[0.5],
               colors="cyan", linewidths=0.8)
    if plan.sites:
        vols = np.array([s.volume_ul for s in plan.sites])
        ax.scatter([s.x_mm for s in plan.sites], [s.y_mm for s in plan.sites], s=15 + 85 * vols / vols.max(),
                   facecolors="none", edgecolors="lime", linewidths=1.0)
    for s in plan.scars:
        m = region.labels == s.id
        r, c = np.nonzero(m)
        ax.annotate(f"#{s.id}: {s.volume_ul:.2f} uL", (c.mean() * g.dx_mm, r.min() * g.dy_mm), color="black",
                    fontsize=7, ha="center", va="bottom", bbox={"fc": "white", "alpha": 0.7, "pad": 1, "lw": 0})
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_title(f"{plan.protocol}: {len(plan.sites)} sites, {plan.total_volume_ul:.2f} uL/session "
                 f"at {plan.depth_mm:g} mm\n(planning aid, uncalibrated priors; not a prescription)", fontsize=9)
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out
