"""Settings of the clinic app, read from ``SCARWISE_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration by environment with embedded defaults, so ``scarwise serve`` needs nothing else.

    ``database_url`` defaults to a SQLite file ``scarwise.db`` in ``data_dir``; ``data_dir``
    (scan files and other blobs) defaults to ``./scarwise-data`` or, when ``database_url`` names a
    SQLite file, to that file's folder. PostgreSQL URLs use psycopg 3: ``postgresql+psycopg://``.
    """

    model_config = SettingsConfigDict(env_prefix="SCARWISE_", extra="ignore")

    database_url: str | None = None
    data_dir: Path | None = None
    secret_key: str | None = Field(default=None, description="Signs tokens and cookies; kept in data_dir if unset.")
    cookie_secure: bool = False  # set true behind HTTPS so the session cookie is never sent in clear
    token_ttl_s: int = Field(default=8 * 3600, gt=0)
    max_upload_mb: float = Field(default=256.0, gt=0)
    max_points: int | None = Field(default=None, gt=0)
    login_max_failures: int = Field(default=10, gt=0)
    login_window_s: int = Field(default=15 * 60, gt=0)
    scan_workers: int = Field(default=2, ge=1, le=64)  # scans measured at the same time; the rest wait queued
    scan_stale_s: int = Field(default=120, gt=0)  # a running scan without a heartbeat this long has died
    stale_file_s: int = Field(default=3600, ge=0)  # start-up removes orphan/temporary blob files this old
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=8)
    argon2_parallelism: int = Field(default=2, ge=1)
    page_size: int = Field(default=25, gt=0, le=200)
    demo: bool = False
    clinic_name: str | None = None  # public /learn pages; default: the price list's clinic name
    clinic_colour: str | None = None  # '#rrggbb' header colour of /learn (kept only with AA contrast on white)

    def resolved_data_dir(self) -> Path:
        """Folder for scan files and other blobs (created on demand)."""
        if self.data_dir is not None:
            return Path(self.data_dir)
        url = self.database_url
        if url and url.startswith("sqlite:///") and not url.endswith(":memory:"):
            return Path(url.removeprefix("sqlite:///")).parent
        return Path("scarwise-data")

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: ``database_url`` or a SQLite file in the data folder.

        A plain ``postgresql://`` (or ``postgres://``) URL is read with psycopg 3, the driver installed.
        """
        if self.database_url:
            for plain in ("postgresql://", "postgres://"):
                if self.database_url.startswith(plain):
                    return "postgresql+psycopg://" + self.database_url.removeprefix(plain)
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir() / 'scarwise.db'}"
