"""``scarwise admin create-clinic`` / ``create-user`` and the demo seed, through a small typer wiring."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from scarwise.cli_clinic import admin_app
from tests.clinic.conftest import CHEAP_ARGON2

cli = typer.Typer()
cli.add_typer(admin_app, name="admin")


@pytest.fixture
def env(fresh_settings, monkeypatch):
    monkeypatch.setenv("SCARWISE_DATABASE_URL", fresh_settings.resolved_database_url())
    monkeypatch.setenv("SCARWISE_DATA_DIR", str(fresh_settings.resolved_data_dir()))
    monkeypatch.setenv("SCARWISE_SECRET_KEY", "test-secret")
    for key, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(f"SCARWISE_{key.upper()}", str(value))
    return fresh_settings


def test_create_clinic_and_user_then_sign_in(env, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["admin", "create-clinic", "Riyadh Skin Centre"])
    assert r.exit_code == 0, r.output
    clinic_id = r.stdout.strip().splitlines()[-1]
    assert clinic_id.isdigit()
    pw = tmp_path / "pw"
    pw.write_text("s3cret-pass-kite\n")  # the one trailing newline is not part of the password
    r = runner.invoke(cli, ["admin", "create-user", "--clinic", clinic_id, "--role", "clinician",
                            "--email", "Dr@Example.org", "--password-file", str(pw)])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1].isdigit()

    from fastapi.testclient import TestClient

    from scarwise.clinic import Settings, create_app

    app = create_app(Settings())
    with TestClient(app) as client:
        ok = client.post("/api/auth/token", data={"username": "dr@example.org", "password": "s3cret-pass-kite"})
        assert ok.status_code == 200
        bad = client.post("/api/auth/token", data={"username": "dr@example.org", "password": "s3cret-pass-kite\n"})
        assert bad.status_code == 401
    app.state.engine.dispose()


def test_create_user_errors_exit_2(env, tmp_path):
    runner = CliRunner()
    pw = tmp_path / "pw"
    pw.write_text("long-enough-password")
    r = runner.invoke(cli, ["admin", "create-user", "--clinic", "999", "--role", "staff", "--email", "a@b.c",
                            "--password-file", str(pw)])
    assert r.exit_code == 2 and "no clinic 999" in r.output
    r = runner.invoke(cli, ["admin", "create-user", "--clinic", "1", "--role", "boss", "--email", "a@b.c",
                            "--password-file", str(pw)])
    assert r.exit_code == 2
    (tmp_path / "short").write_text("abc\n")
    r = runner.invoke(cli, ["admin", "create-user", "--clinic", "1", "--role", "staff", "--email", "a@b.c",
                            "--password-file", str(tmp_path / "short")])
    assert r.exit_code == 2 and "at least 12" in r.output
    cid = runner.invoke(cli, ["admin", "create-clinic", "C"]).stdout.strip().splitlines()[-1]
    args = ["admin", "create-user", "--clinic", cid, "--role", "staff", "--email", "a@b.c", "--password-file", str(pw)]
    assert runner.invoke(cli, args).exit_code == 0
    r = runner.invoke(cli, args)
    assert r.exit_code == 2 and "already exists" in r.output


def test_demo_seed_once(fresh_settings):
    from scarwise.clinic import create_app
    from scarwise.clinic._demo import seed_demo

    app = create_app(fresh_settings)
    accounts = seed_demo(app, scans=False)
    assert [a[0] for a in accounts] == ["admin", "clinician", "staff"]
    assert seed_demo(app, scans=False) is None  # only into an empty database
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        token = client.post("/api/auth/token", data={"username": accounts[1][1], "password": accounts[1][2]})
        h = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert client.get("/api/patients", headers=h).json()["total"] == 3
        assert len(client.get("/api/adverse-events", headers=h).json()) == 1
    app.state.engine.dispose()


def test_serve_command_wires_into_typer():
    from scarwise.cli_clinic import serve_command

    app = typer.Typer()
    app.add_typer(admin_app, name="admin")
    app.command("serve")(serve_command)
    r = CliRunner().invoke(app, ["serve", "--help"])
    assert r.exit_code == 0 and all(opt in r.output for opt in ("--host", "--port", "--demo"))
    assert CliRunner().invoke(app, ["serve", "--port", "0"]).exit_code == 2  # out of range, before starting
