"""``scarwise backup OUT`` and ``scarwise restore IN`` (database + scan files, checksummed).

Wired into the main CLI with ``app.command("backup")(backup_command)`` and
``app.command("restore")(restore_command)``. Both read the clinic settings from ``SCARWISE_*``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
