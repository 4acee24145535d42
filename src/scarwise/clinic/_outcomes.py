"""Outcomes by matched scar: each later scan of a patient aligned onto the first, scars followed by id.

Computed on demand from the stored scan files (nothing is cached, so nothing can go stale): each
measured scan is read and measured again (the footprints and skin level the matching needs are not
stored), every later visit is registered and compared to the baseline visit with
:func:`scarwise.surface.register.compare_surfaces` (no chaining, so errors do not add up), and each
baseline scar becomes one line of depth (mm) and volume (mm³) over the visits. A visit that cannot
be aligned with the baseline (another body site, too little overlap) is left out with its reason;
a baseline scar outside a visit's overlap has no value there; scars first seen at a later visit are
listed, not drawn. Volumes follow ``compare``: the baseline value is integrated over the same region
as the first comparison's follow-up value (union of both footprints).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scarwise.clinic._scans import BlobStore
from scarwise.clinic._settings import Settings
from scarwise.clinic.models import Scan
from scarwise.core.errors import InvalidParameterError, ScarwiseError

#: Most scans aligned for one chart (each adds a registration of about a second per megapixel).
MAX_VISITS = 24


@dataclass(frozen=True, kw_only=True)
class Visit:
    """One measured scan: its own totals, and whether it could be aligned with the baseline."""

    scan_id: int
    visit_on: str  # ISO date
    aligned: bool  # the baseline, or registered onto it
    note: str | None  # why it was left out of the matching
    total_volume_mm3: float  # all scars of this visit's own measurement
    deepest_mm: float
    grade: int | None  # Goodman & Baron quantitative (the clinician's correction when given)


@dataclass(frozen=True, kw_only=True)
class ScarLine:
    """One baseline scar over the visits; None where it was not compared (left-out visit, outside overlap)."""

    baseline_id: int
    type: str
    centroid_mm: tuple[float, float]  # baseline coordinates
    followup_ids: tuple[int | None, ...]  # its id in each visit's measurement (None: not detected there)
    depth_mm: tuple[float | None, ...]
    volume_mm3: tuple[float | None, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class MatchedOutcomes:
    visits: tuple[Visit, ...]
    lines: tuple[ScarLine, ...]
    new_scars: tuple[dict[str, Any], ...] = field(default=())  # unmatched scars of later visits

    def to_json(self) -> dict[str, Any]:
        return {"visits": [v.__dict__ for v in self.visits],
                "scars": [{**line.__dict__, "centroid_mm": list(line.centroid_mm),
                           "followup_ids": list(line.followup_ids), "depth_mm": list(line.depth_mm),
                           "volume_mm3": list(line.volume_mm3), "notes": list(line.notes)} for line in self.lines],
                "new_scars": list(self.new_scars)}


def _grade(scan: Scan) -> int | None:
    if scan.grade_override is not None:
        return scan.grade_override
    return ((scan.result or {}).get("grade") or {}).get("goodman_baron_quantitative")


def measured_scans(scans: Sequence[Scan]) -> list[Scan]:
    """The scans with a measurement, in visit order (the first is the baseline)."""
    return sorted((s for s in scans if s.status == "done" and s.result), key=lambda s: (s.visit_on, s.id))


def matched_outcomes(scans: Sequence[Scan], *, blobs: BlobStore, settings: Settings) -> MatchedOutcomes:
    """Match scars across a patient's measured scans and follow each baseline scar's depth and volume.

    Raises
    ------
    InvalidParameterError
        Fewer than two measured scans, or more than ``MAX_VISITS``.
    """
    from scarwise.surface.io import read_surface
    from scarwise.surface.measure import measure_surface
    from scarwise.surface.register import RegistrationError, compare_surfaces

    done = measured_scans(scans)
    if len(done) < 2:
        raise InvalidParameterError(f"matching scars needs at least 2 measured scans; this patient has {len(done)}")
    if len(done) > MAX_VISITS:
        raise InvalidParameterError(f"{len(done)} measured scans; the matched chart aligns at most {MAX_VISITS}")
    kwargs: dict[str, Any] = {} if settings.max_points is None else {"max_points": settings.max_points}
    surfaces = [read_surface(blobs.path(s.sha256, s.suffix), pixel_mm=s.pixel_mm, **kwargs) for s in done]
    results = [measure_surface(x) for x in surfaces]
    n = len(done)
    base = {s.id: s for s in results[0].scars}
    depth = {i: [s.depth_mm] + [None] * (n - 1) for i, s in base.items()}
    volume: dict[int, list[float | None]] = {i: [None] * n for i in base}
    ids: dict[int, list[int | None]] = {i: [i] + [None] * (n - 1) for i in base}
    notes: dict[int, list[str]] = {i: [] for i in base}
    aligned, why = [True] + [False] * (n - 1), [None] * n
    new: list[dict[str, Any]] = []
    for k in range(1, n):
        try:
            comp = compare_surfaces(surfaces[0], surfaces[k], baseline_result=results[0], followup_result=results[k])
        except RegistrationError as exc:
            why[k] = f"not aligned with the baseline scan: {exc}"
            continue
        aligned[k] = True
        day = done[k].visit_on.isoformat()
        for i in comp.outside_overlap_baseline_ids:
            notes[i].append(f"{day}: outside the scanned area")
        for ch in comp.scars:
            if ch.baseline_id is None:
                new.append({"visit_on": day, "scan_id": done[k].id, "followup_id": ch.followup_id,
                            "centroid_mm": list(ch.centroid_mm), "depth_mm": ch.depth_mm_after,
                            "volume_mm3": ch.volume_mm3_after})
                continue
            i = ch.baseline_id
            ids[i][k], depth[i][k], volume[i][k] = ch.followup_id, ch.depth_mm_after, ch.volume_mm3_after
            if volume[i][0] is None:
                volume[i][0] = ch.volume_mm3_before
            if ch.followup_id is None:
                notes[i].append(f"{day}: no longer detected")
    lines = []
    for i, s in sorted(base.items()):
        if volume[i][0] is None:  # compared at no visit: its own measurement
            volume[i][0] = s.volume_mm3
        centre = (float(s.centroid_mm[0]), float(s.centroid_mm[1]))
        lines.append(ScarLine(baseline_id=i, type=s.type, centroid_mm=centre,
                              followup_ids=tuple(ids[i]), depth_mm=tuple(depth[i]), volume_mm3=tuple(volume[i]),
                              notes=tuple(notes[i])))
    visits = tuple(Visit(scan_id=s.id, visit_on=s.visit_on.isoformat(), aligned=aligned[k], note=why[k],
                         total_volume_mm3=float(sum(max(0.0, x.volume_mm3) for x in results[k].scars)),
                         deepest_mm=float(max((x.depth_mm for x in results[k].scars), default=0.0)),
                         grade=_grade(s)) for k, s in enumerate(done))
    return MatchedOutcomes(visits=visits, lines=tuple(lines), new_scars=tuple(new))


def plot_outcomes(out: MatchedOutcomes, *, fmt: str = "png", gettext: Callable[[str], str] = str) -> bytes:
    """Per-scar volume and depth (one line per baseline scar) and the totals per visit, as PNG or SVG."""
    import matplotlib.pyplot as plt

    if fmt not in ("png", "svg"):
        raise InvalidParameterError(f"chart format must be png or svg, got {fmt!r}")
    fig = outcome_figure(out, gettext=gettext)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    plt.close(fig)
    return buf.getvalue()


def outcome_figure(out: MatchedOutcomes, *, gettext: Callable[[str], str] = str) -> Any:
    """The matplotlib figure: volume and depth per baseline scar (top), total volume and grade (bottom)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    days = [v.visit_on for v in out.visits]
    x = list(range(len(days)))
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), dpi=100)
    cmap = plt.get_cmap("tab10")
    for line_no, line in enumerate(out.lines):
        colour = cmap(line_no % 10)
        for ax, values in ((axes[0, 0], line.volume_mm3), (axes[0, 1], line.depth_mm)):
            pts = [(k, v) for k, v in zip(x, values, strict=True) if v is not None]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=colour, label=f"#{line.baseline_id}")
    axes[0, 0].set_title(gettext("Volume per scar (mm³)"), fontsize=10)
    axes[0, 1].set_title(gettext("Depth per scar (mm)"), fontsize=10)
    tracked = [line for line in out.lines if all(line.volume_mm3[k] is not None for k, v in enumerate(out.visits)
                                                  if v.aligned)]
    axes[1, 0].plot(x, [v.total_volume_mm3 for v in out.visits], "s-", color="#0f4c5c",
                    label=gettext("all scars, each visit's own measurement"))
    al = [k for k, v in enumerate(out.visits) if v.aligned]
    axes[1, 0].plot(al, [sum(line.volume_mm3[k] for line in tracked) for k in al], "o--", color="#c05000",
                    label=gettext("matched scars followed at every visit"))
    axes[1, 0].set_title(gettext("Total scar volume (mm³)"), fontsize=10)
    axes[1, 0].legend(fontsize=7)
    grades = [(k, v.grade) for k, v in enumerate(out.visits) if v.grade is not None]
    axes[1, 1].plot([g[0] for g in grades], [g[1] for g in grades], "s-", color="#0f4c5c")
    axes[1, 1].set_title(gettext("Grade (Goodman & Baron)"), fontsize=10)
    for ax in axes.ravel():
        ax.set_xticks(x, days, rotation=30, fontsize=7)
        ax.set_xlim(-0.3, len(x) - 0.7)
        ax.grid(alpha=0.3)
    for k, v in enumerate(out.visits):
        if not v.aligned:
            for ax in axes[0]:
                ax.axvline(k, color="grey", ls=":", lw=1)
    if out.lines and len(out.lines) <= 20:
        axes[0, 0].legend(fontsize=7, ncol=2, title=gettext("baseline scar"), title_fontsize=7)
    fig.tight_layout()
    return fig


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def outcomes_or_message(scans: Sequence[Scan], *, blobs: BlobStore, settings: Settings
                        ) -> tuple[MatchedOutcomes | None, str | None]:
    """``matched_outcomes``, or None and a readable reason (too few scans, unreadable file, ...)."""
    try:
        return matched_outcomes(scans, blobs=blobs, settings=settings), None
    except ScarwiseError as exc:
        return None, str(exc)
