"""``scarwise report``: the patient decision aid for one scan or one clinic patient (wired in ``cli.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scarwise._cli_common import PixelOpt, user_errors
from scarwise.core._checks import check_choice
from scarwise.core.errors import InvalidParameterError


def _clinic_report(patient_id: int, clinic_id: int | None, *, lang: str, fmt: str, evidence: object,
                   prices: object) -> bytes:
    """The report of a clinic patient, from the database of ``SCARWISE_DATABASE_URL`` / ``SCARWISE_DATA_DIR``."""
    from scarwise.clinic._db import make_engine, make_sessionmaker, migrate
    from scarwise.clinic._report import patient_report
    from scarwise.clinic._scans import BlobStore
    from scarwise.clinic._settings import Settings
    from scarwise.clinic.models import Patient
    from scarwise.report import FORMATS, LANGS

    check_choice("lang", lang, LANGS)  # before touching the database
    check_choice("format", fmt, FORMATS)
    settings = Settings()
    engine = make_engine(settings)
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as db:
            row = db.get(Patient, patient_id) if 0 < patient_id <= 2**31 - 1 else None
            if row is None or (clinic_id is not None and row.clinic_id != clinic_id):
                where = f" in clinic {clinic_id}" if clinic_id is not None else ""
                raise InvalidParameterError(f"no patient {patient_id}{where} in the clinic database; list patients "
                                            "in the web app or GET /api/patients")
            blobs = BlobStore(settings.resolved_data_dir() / "blobs")
            return patient_report(db, blobs, patient=row, lang=lang, fmt=fmt, evidence=evidence,
                                  prices=prices).data
    finally:
        engine.dispose()


def report_command(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output file (.html or .pdf).", dir_okay=False)],
    scan: Annotated[Path | None, typer.Option("--scan", exists=True, dir_okay=False, help="Scan file.")] = None,
    patient: Annotated[int | None, typer.Option(
        "--patient", help="Clinic patient id: the latest measured scan from the clinic database "
                          "(SCARWISE_DATABASE_URL / SCARWISE_DATA_DIR).")] = None,
    clinic: Annotated[int | None, typer.Option("--clinic", help="With --patient: the patient's clinic id (a check).")
                      ] = None,
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
    """Write the patient decision-aid report (English or Arabic, HTML or PDF) for one scan or clinic patient."""
    from scarwise.evidence import load_studies
    from scarwise.report import load_prices, make_report, read_patient_json
    from scarwise.surface.io import read_surface
    from scarwise.surface.measure import measure_surface

    with user_errors():
        if (scan is None) == (patient is None):
            raise InvalidParameterError("give exactly one of --scan PATH or --patient ID")
        if patient is not None:
            if patient_json is not None or pixel_mm is not None or max_points is not None:
                raise InvalidParameterError("--patient-json, --pixel-mm and --max-points go with --scan; with "
                                            "--patient the scans, visits and names come from the clinic database")
            data = _clinic_report(patient, clinic, lang=lang, fmt=fmt, evidence=load_studies(studies),
                                  prices=load_prices(prices))
        else:
            assert scan is not None
            if clinic is not None:
                raise InvalidParameterError("--clinic goes with --patient")
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
