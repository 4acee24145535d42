"""The report's first section: the scar map, scars by type, grades and the change over visits."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from scarwise.core.errors import InvalidParameterError
from scarwise.report._i18n import fmt_date, fmt_number
from scarwise.report._sourced import Sourced as _S

TYPES = ("icepick", "boxcar", "rolling", "hypertrophic")


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """An earlier measured scan: its date and its result in the ``measure`` contract."""

    date: dt.date
    measure: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitRow:
    """One row of the change table (numbers are ``Sourced``)."""

    date_text: str
    scars: _S
    volume: _S
    grade: _S


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanSection:
    """Scar map, counts by type, grades and the visit table."""

    map_svg: str | None
    map_caption: _S | None  # Sourced: the caption holds the scale-bar length
    counts: tuple[tuple[str, str, _S], ...]  # (type key, label, Sourced count)
    total: _S
    grade_gb: _S
    grade_ecca: _S
    visits: tuple[VisitRow, ...]


def _atrophic_volume(measure: dict[str, Any]) -> float:
    return float(sum(s["volume_mm3"] for s in measure["scars"] if s["type"] != "hypertrophic"))


def scan_section(measure: dict[str, Any], *, lang: str, t: Any, notes: Any, scan_date: dt.date,
                 visits: tuple[Visit, ...], map_svg: str | None, bar_mm: float | None = None) -> ScanSection:
    """Build the scan section; ``notes`` is the report's footnote collector."""
    surf, grade = measure.get("surface", {}), measure["grade"]
    note = notes.add(t("note_measure", date=fmt_date(scan_date, lang), nx=surf.get("nx", "?"),
                       ny=surf.get("ny", "?"), dx=fmt_number(float(surf.get("dx_mm", float("nan"))), lang, digits=3)))
    grade_note = notes.add(t("note_grade", sources="; ".join(grade.get("sources", []))))
    counts = Counter(s["type"] for s in measure["scars"])
    rows = tuple((k, t(k), _S(fmt_number(counts.get(k, 0), lang, digits=0), note)) for k in TYPES)
    total = _S(fmt_number(len(measure["scars"]), lang, digits=0), note)
    gb = _S(t("score_of", a=fmt_number(grade["goodman_baron_quantitative"], lang, digits=0),
              b=fmt_number(grade.get("goodman_baron_quantitative_max", 84), lang, digits=0)), grade_note)
    ecca = _S(t("score_of", a=fmt_number(grade["ecca"], lang, digits=0),
                b=fmt_number(grade.get("ecca_max", 480), lang, digits=0)), grade_note)
    ordered = sorted(visits, key=lambda v: v.date)
    for v in ordered:
        if "scars" not in v.measure or "grade" not in v.measure:
            raise InvalidParameterError(f"visit of {v.date.isoformat()}: 'measure' must follow the measure contract "
                                        "(scars, grade)")
    table = []
    if ordered:
        for v in (*ordered, Visit(date=scan_date, measure=measure)):
            vn = note if v.measure is measure else notes.add(t("note_visit", date=fmt_date(v.date, lang)))
            table.append(VisitRow(date_text=fmt_date(v.date, lang),
                                  scars=_S(fmt_number(len(v.measure["scars"]), lang, digits=0), vn),
                                  volume=_S(fmt_number(_atrophic_volume(v.measure), lang, digits=2), vn),
                                  grade=_S(fmt_number(v.measure["grade"]["goodman_baron_quantitative"], lang,
                                                      digits=0), vn)))
    caption = _S(t("map_caption", mm=fmt_number(bar_mm, lang, digits=0 if bar_mm >= 1 else 1)), note) \
        if bar_mm is not None else None
    return ScanSection(map_svg=map_svg, map_caption=caption, counts=rows, total=total, grade_gb=gb,
                       grade_ecca=ecca, visits=tuple(table))


