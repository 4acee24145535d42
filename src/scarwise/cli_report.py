"""``scarwise report``: the patient decision aid for one scan (wired in ``cli.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scarwise._cli_common import PixelOpt, user_errors
from scarwise.core.errors import InvalidParameterError, ScarwiseError


class ClinicDatabaseNeededError(ScarwiseError):
    """``--patient ID`` needs the clinic database."""

    http_status = 400


def report_command(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output file (.html or .pdf).", dir_okay=False)],
    scan: Annotated[Path | None, typer.Option("--scan", exists=True, dir_okay=False, help="Scan file.")] = None,
    patient: Annotated[int | None, typer.Option("--patient", help="Clinic patient id (needs the clinic app).")] = None,
    patient_json: Annotated[Path | None, typer.Option(
        "--patient-json", exists=True, dir_okay=False,
        help='Patient file: {"name", "clinic_name", "scan_date", "visits": [{"date", "measure"}]}.')] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or ar.")] = "en",
    fmt: Annotated[str, typer.Option("--format", help="html or pdf.")] = "pdf",
    pixel_mm: PixelOpt = None,
    prices: Annotated[Path | None, typer.Option(
        "--prices", exists=True, dir_okay=False,
        help="Clinic price list JSON (default: SCARWISE_PRICES_FILE, else the packaged EXAMPLE list).")] = None,
    studies: Annotated[Path | None, typer.Option(
        "--studies", exists=True, dir_okay=False, help="Extra evidence CSV (default: SCARWISE_EVIDENCE_FILE).")] = None,
    max_points: Annotated[int | None, typer.Option("--max-points", help="Largest number of points to read.")] = None,
) -> None:
    """Write the patient decision-aid report (English or Arabic, HTML or PDF) for one scan."""
    from scarwise.evidence import load_studies
    from scarwise.report import load_prices, make_report, read_patient_json
    from scarwise.surface.io import read_surface
    from scarwise.surface.measure import measure_surface

    with user_errors():
        if (scan is None) == (patient is None):
            raise InvalidParameterError("give exactly one of --scan PATH or --patient ID")
        if patient is not None:
            raise ClinicDatabaseNeededError(
                f"--patient {patient} needs the clinic database: open the patient in the clinic app "
                "(scarwise serve) and press Report, or pass the scan with --scan PATH and earlier visits with "
                "--patient-json FILE")
        assert scan is not None
        info = read_patient_json(patient_json) if patient_json is not None else None
        surface = read_surface(scan, pixel_mm=pixel_mm, max_points=max_points)
        with Console(stderr=True).status("measuring the scan…"):
            result = measure_surface(surface)
        data = make_report(surface, result, lang=lang, fmt=fmt, patient=info,
                           evidence=load_studies(studies), prices=load_prices(prices))
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        except OSError as exc:
            raise InvalidParameterError(f"cannot write {out}: {exc.strerror or exc}") from None
    Console().print(f"report written to {out}")
