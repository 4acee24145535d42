"""``scarwise admin`` (clinics and accounts without the web UI) and ``scarwise serve``.

Wired into the main CLI with ``app.add_typer(admin_app, name="admin")`` and
``app.command("serve")(serve_command)``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scarwise._cli_common import user_errors
from scarwise.core.errors import InvalidParameterError

admin_app = typer.Typer(help="Clinic administration: clinics and accounts.", no_args_is_help=True,
                        pretty_exceptions_show_locals=False, add_completion=False)
_err = Console(stderr=True, soft_wrap=True)


class RoleChoice(StrEnum):
    admin = "admin"
    clinician = "clinician"
    staff = "staff"


def _open_db():  # noqa: ANN202 - (settings, sessionmaker)
    from scarwise.clinic._db import make_engine, make_sessionmaker, migrate
    from scarwise.clinic._settings import Settings

    settings = Settings()
    engine = make_engine(settings)
    migrate(engine)
    return settings, make_sessionmaker(engine)


@admin_app.command("create-clinic")
def create_clinic(name: Annotated[str, typer.Argument(help="Clinic name as shown to its users.")]) -> None:
    """Create a clinic; the last line of output is its id alone."""
    from scarwise.clinic import crud

    with user_errors():
        if not name.strip() or len(name) > 200 or "\x00" in name:
            raise InvalidParameterError("the clinic name must be 1 to 200 characters")
        _settings, sessions = _open_db()
        with sessions() as db:
            clinic = crud.create_clinic(db, name=name)
            db.commit()
            _err.print(f"created clinic {name!r}")
            typer.echo(str(clinic.id))


@admin_app.command("create-user")
def create_user(
    clinic: Annotated[int, typer.Option("--clinic", help="Clinic id (from create-clinic).")],
    role: Annotated[RoleChoice, typer.Option("--role", help="admin, clinician or staff.")],
    email: Annotated[str, typer.Option("--email", help="Sign-in email.")],
    password_file: Annotated[Path, typer.Option("--password-file", exists=True, dir_okay=False,
                                                help="File holding the password (one trailing newline ignored).")],
) -> None:
    """Create an account in a clinic; the last line of output is its id alone.

    The password must pass the clinic's policy (``scarwise.clinic._passwords``: 12+ characters,
    not common, not the email name or clinic name, not easy to guess).
    """
    from scarwise.clinic import crud
    from scarwise.clinic._passwords import check_password
    from scarwise.clinic._security import Security
    from scarwise.clinic.models import Clinic

    with user_errors():
        password = password_file.read_text(encoding="utf-8")
        password = password[:-2] if password.endswith("\r\n") else password.removesuffix("\n")
        if "@" not in email or len(email) > 320 or any(c.isspace() for c in email.strip()):
            raise InvalidParameterError(f"{email!r} is not an email address")
        settings, sessions = _open_db()
        with sessions() as db:
            found = db.get(Clinic, clinic) if 0 < clinic <= crud.MAX_ID else None
            check_password(password, email=email.strip(), clinic_name=found.name if found else "")
            user = crud.create_user(db, clinic_id=clinic, email=email,
                                    password_hash=Security(settings).hash_password(password), role=role.value)
            db.commit()
            _err.print(f"created {role.value} {user.email} in clinic {clinic}")
            typer.echo(str(user.id))


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="Seed a demo clinic, accounts and patients if empty.")] = False,
) -> None:
    """Run the clinic web app (pages at /, JSON API at /api, OpenAPI at /api/docs)."""
    import uvicorn

    from scarwise.clinic import Settings, create_app
    from scarwise.clinic._demo import seed_demo

    with user_errors():
        settings = Settings()
        app = create_app(settings)
        out = Console()
        if demo or settings.demo:
            accounts = seed_demo(app)
            if accounts:
                out.print("[bold]Demo clinic created.[/] Sign in with one of these (demo only):")
                for role, email, password in accounts:
                    out.print(f"  {role:<10} {email:<28} password: {password}")
            else:
                out.print("Database already has clinics; no demo data added. Demo accounts (if seeded earlier): "
                          "admin@demo.scarwise / scarwise-demo")
        out.print(f"scarwise clinic on http://{host}:{port}/  (data: {settings.resolved_data_dir().resolve()})")
    # the standard asyncio loop serves requests in arrival order; uvloop served more per second but let
    # some wait seconds under load (p99 five times p90 at 100 connections); httptools parses HTTP faster
    uvicorn.run(app, host=host, port=port, log_level="info", loop="asyncio", http="httptools")
