"""One call from a scan (or a stored measurement) to report bytes, for the CLI and the clinic app."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scarwise.core import HeightMap
from scarwise.core._checks import check_choice
from scarwise.core.errors import InvalidFileError
from scarwise.evidence import EvidenceTable
from scarwise.report._charts import png_map_html, scar_map_svg
from scarwise.report._content import build_report, check_report
from scarwise.report._prices import PriceList
from scarwise.report._scan import Visit

FORMATS = ("html", "pdf")


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientInfo:
    """What ``--patient-json`` gives: name, clinic, scan date and earlier visits."""

    name: str | None = None
    clinic_name: str | None = None
    scan_date: dt.date | None = None
    visits: tuple[Visit, ...] = ()


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidFileError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def read_patient_json(path: str | Path) -> PatientInfo:
    """Read ``{"name", "clinic_name", "scan_date", "visits": [{"date", "measure": <measure JSON>}]}``.

    Every key is optional; ``visits`` are earlier scans in the ``measure`` contract (as
    ``scarwise measure --json`` prints them or the clinic stores them).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidFileError(f"cannot read patient file {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidFileError(f"patient file {path} is not UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidFileError(f"patient file {path} must hold a JSON object")
    visits = []
    for i, v in enumerate(data.get("visits") or []):
        where = f"{path.name}: visits[{i}]"
        if not isinstance(v, dict) or "date" not in v or not isinstance(v.get("measure"), dict):
            raise InvalidFileError(f"{where} needs 'date' and 'measure' (the measure JSON of that scan)")
        if not {"scars", "grade"} <= set(v["measure"]):
            raise InvalidFileError(f"{where}: 'measure' lacks 'scars' or 'grade' (use scarwise measure --json)")
        visits.append(Visit(date=_date(v["date"], where), measure=v["measure"]))
    scan_date = _date(data["scan_date"], f"{path.name}: scan_date") if data.get("scan_date") else None
    return PatientInfo(name=data.get("name"), clinic_name=data.get("clinic_name"), scan_date=scan_date,
                       visits=tuple(visits))


def make_report(surface: HeightMap | None, measure: Any, *, lang: str, fmt: str,
                patient: PatientInfo | None = None, evidence: EvidenceTable | None = None,
                prices: PriceList | None = None, report_date: dt.date | None = None,
                map_png: bytes | None = None) -> bytes:
    """The report for one scan as HTML (UTF-8) or PDF bytes.

    Parameters
    ----------
    surface : HeightMap or None
        The scan, for the scar map; None leaves the map out (e.g. the file is no longer at hand).
    measure : MeasureResult or dict
        Its measurement: a :class:`~scarwise.surface.measure.MeasureResult` (needed for the map)
        or the ``measure`` contract JSON.
    lang, fmt : str
        ``"en"`` or ``"ar"``; ``"html"`` or ``"pdf"``.
    patient : PatientInfo, optional
        Name, clinic, scan date and earlier visits (their ``measure`` JSON) for the change table.
    map_png : bytes, optional
        A stored scar-map PNG to show when ``surface`` is not given (e.g. the clinic's copy).
    """
    check_choice("format", fmt, FORMATS)
    patient = patient or PatientInfo()
    scar_map = None
    if hasattr(measure, "to_json"):
        if surface is not None:
            scar_map = scar_map_svg(surface, measure.skin_level_mm, measure.labels, measure.scars)
        measure = measure.to_json()
    if scar_map is None and map_png is not None:
        scar_map = (png_map_html(map_png), None)
    report = build_report(measure, lang=lang, scan_date=patient.scan_date, visits=patient.visits,
                          scar_map=scar_map, patient_name=patient.name, clinic_name=patient.clinic_name,
                          evidence=evidence, prices=prices, report_date=report_date)
    check_report(report)
    if fmt == "html":
        from scarwise.report._html import render_html

        return render_html(report).encode("utf-8")
    from scarwise.report._pdf import render_pdf

    return render_pdf(report)
