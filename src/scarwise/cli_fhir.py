"""``scarwise fhir``: a patient's record as a FHIR R4 Bundle (export) and back (import).

Wired into the main CLI with ``app.add_typer(fhir_app, name="fhir")``. Both commands honour
``SCARWISE_DATABASE_URL`` and ``SCARWISE_DATA_DIR`` like ``scarwise admin`` and apply migrations first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scarwise._cli_common import emit_json, err, user_errors
from scarwise.core.errors import InvalidFileError, InvalidParameterError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

fhir_app = typer.Typer(help="FHIR R4 export and import of patient records.", no_args_is_help=True,
                       pretty_exceptions_show_locals=False, add_completion=False)
MAX_BUNDLE_BYTES = 512 * 2**20


@contextmanager
def _session() -> Iterator[Session]:
    """A session on the configured database (migrated first); the engine is disposed afterwards."""
    from scarwise.clinic._db import make_engine, make_sessionmaker, migrate
    from scarwise.clinic._settings import Settings

    engine = make_engine(Settings())
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as db:
            yield db
    finally:
        engine.dispose()


@fhir_app.command("export")
def export_command(
    patient: Annotated[int, typer.Option("--patient", help="Patient id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Bundle file to write (JSON).", dir_okay=False)],
) -> None:
    """Write one patient's whole record as a FHIR R4 Bundle (type collection)."""
    from scarwise.clinic.models import Patient
    from scarwise.interop import export_patient

    with user_errors():
        with _session() as db:
            row = db.get(Patient, patient) if 0 < patient <= 2**31 - 1 else None
            if row is None:
                raise InvalidParameterError(f"no patient {patient}; list patients in the web app or GET /api/patients")
            bundle = export_patient(db, clinic_id=row.clinic_id, patient_id=row.id)
        try:
            output.write_text(json.dumps(bundle, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InvalidParameterError(f"cannot write {output}: {exc.strerror}") from None
        err.print(f"wrote {len(bundle['entry'])} resources of patient {patient} to {output}", highlight=False)


@fhir_app.command("import")
def import_command(
    bundle: Annotated[Path, typer.Argument(help="Bundle file (JSON) from `scarwise fhir export` or the same profile.",
                                           exists=True, dir_okay=False)],
    clinic: Annotated[int | None, typer.Option("--clinic", help="Target clinic id (default: the bundle's own clinic, "
                                                                "when it exists in this database).")] = None,
) -> None:
    """Import a patient's Bundle in one transaction; prints a JSON report (created, matched, not imported)."""
    from scarwise.clinic.models import Clinic
    from scarwise.interop import _codes as codes
    from scarwise.interop import import_bundle, load_json

    with user_errors():
        if bundle.stat().st_size > MAX_BUNDLE_BYTES:
            raise InvalidFileError(f"{bundle} is larger than {MAX_BUNDLE_BYTES // 2**20} MiB; split the export")
        data = load_json(bundle.read_bytes())
        with _session() as db:
            if clinic is None:
                entries = data.get("entry") if isinstance(data, dict) else None
                own = [i.get("value") for e in entries or [] if isinstance(e, dict)
                       for i in ((e.get("resource") or {}).get("identifier") or [])
                       if (e.get("resource") or {}).get("resourceType") == "Organization"
                       and isinstance(i, dict) and i.get("system") == codes.CLINIC_SYSTEM]
                if len(own) != 1 or not str(own[0]).isdigit() or db.get(Clinic, int(own[0])) is None:
                    raise InvalidParameterError("the bundle's clinic is not in this database; name the target "
                                                "with --clinic ID (see `scarwise admin create-clinic`)")
                clinic = int(own[0])
            report = import_bundle(db, data, clinic_id=clinic)
        emit_json(report.to_json())
        if report.not_imported:
            err.print(f"[yellow]warning:[/] {len(report.not_imported)} item(s) not imported; see \"not_imported\"",
                      highlight=False)
