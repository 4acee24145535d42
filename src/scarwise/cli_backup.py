"""``scarwise backup OUT`` and ``scarwise restore IN`` (database + scan files, checksummed).

Wired into the main CLI with ``app.command("backup")(backup_command)``,
``app.command("restore")(restore_command)``, ``app.command("patient-export")(patient_export_command)`` and
``app.command("patient-erase")(patient_erase_command)``. All read the clinic settings from ``SCARWISE_*``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from scarwise._cli_common import JsonOpt, emit_json, err, user_errors


def backup_command(
    out: Annotated[Path, typer.Argument(help="New (or empty) folder to write the backup to.")],
    json_out: JsonOpt = False,
) -> None:
    """Back up the clinic database and every stored file, with a SHA-256 manifest."""
    with user_errors():
        from scarwise.clinic._backup import backup
        from scarwise.clinic._settings import Settings

        manifest = backup(Settings(), out)
        summary = {"path": str(out), "backend": manifest.backend, "revision": manifest.revision,
                   "files": len(manifest.files), "blobs": manifest.blob_count, "created_at": manifest.created_at}
        if json_out:
            emit_json(summary)
        else:
            err.print(f"backup of the {manifest.backend} database and {manifest.blob_count} files written to {out}",
                      highlight=False)


def restore_command(
    src: Annotated[Path, typer.Argument(help="Backup folder written by `scarwise backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that already holds records.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Verify a backup's checksums and restore it (refuses a non-empty database without --force)."""
    with user_errors():
        from scarwise.clinic._backup import restore
        from scarwise.clinic._settings import Settings

        manifest = restore(Settings(), src, force=force)
        if json_out:
            emit_json({"path": str(src), "backend": manifest.backend, "files": len(manifest.files),
                       "blobs": manifest.blob_count, "verified": True})
        else:
            err.print(f"restored the {manifest.backend} database and {manifest.blob_count} files from {src} "
                      "(all checksums verified)", highlight=False)


@contextmanager
def _sessions() -> Iterator[tuple[Any, Any]]:
    """(sessionmaker, blob store) of the configured installation; the engine is disposed afterwards."""
    from scarwise.clinic._db import make_engine, make_sessionmaker, migrate
    from scarwise.clinic._scans import BlobStore
    from scarwise.clinic._settings import Settings

    settings = Settings()
    engine = make_engine(settings)
    try:
        migrate(engine)
        yield make_sessionmaker(engine), BlobStore(settings.resolved_data_dir() / "blobs")
    finally:
        engine.dispose()


def patient_export_command(
    clinic: Annotated[int, typer.Option("--clinic", help="Clinic id the patient belongs to.")],
    patient: Annotated[int, typer.Argument(help="Patient id.")],
    out: Annotated[Path, typer.Argument(help="Zip file to write (records.json, fhir.json, files/).")],
) -> None:
    """Export everything held about one patient (PDPL access request) as a zip."""
    with user_errors():
        from scarwise.clinic._erase import export_patient_zip

        with _sessions() as (sessions, blobs), sessions() as db:
            data = export_patient_zip(db, blobs, clinic_id=clinic, patient_id=patient)
        out.write_bytes(data)
        err.print(f"patient {patient}: {len(data)} bytes written to {out}", highlight=False)


def patient_erase_command(
    clinic: Annotated[int, typer.Option("--clinic", help="Clinic id the patient belongs to.")],
    patient: Annotated[int, typer.Argument(help="Patient id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: the erasure cannot be undone.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Erase one patient: records, scan files, and personal data in the audit log (cannot be undone)."""
    with user_errors():
        from scarwise.clinic._erase import erase_patient
        from scarwise.core.errors import InvalidParameterError

        if not yes:
            raise InvalidParameterError("erasing a patient cannot be undone; add --yes to confirm")
        with _sessions() as (sessions, blobs), sessions() as db:
            report = erase_patient(db, blobs, clinic_id=clinic, patient_id=patient, actor_id=None)
        summary = {"patient_id": report.patient_id, "records": report.records, "files_deleted": report.files_deleted,
                   "audit_rows_redacted": report.audit_rows_redacted}
        if json_out:
            emit_json(summary)
        else:
            err.print(f"patient {patient} erased: {sum(report.records.values())} records, {report.files_deleted} "
                      f"files, {report.audit_rows_redacted} audit rows redacted", highlight=False)
