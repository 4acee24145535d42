"""Decision-aid report from the clinic: API, page, isolation, no measured scan, ``scarwise report --patient``."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from scarwise.clinic._report import CLINICIAN_CORRECTION
from scarwise.clinic._scans import BlobStore
from scarwise.clinic.models import Scan
from tests.clinic.test_pages import _sign_in

TOTAL = re.compile(r'<tr class="total"><td>[^<]*</td><td class="n"><bdi class="src">([0-9٠-٩]+)<')


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """Two visits of a small synthetic cheek (real measure pipeline) and the scar map PNG of the latest."""
    from scarwise.surface.measure import measure_surface
    from scarwise.surface.plot import plot_scar_map
    from scarwise.surface.synthetic import make_skin_patch

    first = make_skin_patch(nx=200, ny=200, pixel_mm=0.05, n_scars=4, seed=3)
    latest = make_skin_patch(nx=200, ny=200, pixel_mm=0.05, n_scars=3, seed=3)
    result = measure_surface(latest.surface)
    png = plot_scar_map(latest.surface, result, tmp_path_factory.mktemp("map") / "map.png", dpi=40).read_bytes()
    return measure_surface(first.surface).to_json(), result.to_json(), png


def add_scan(sessions, blobs: BlobStore, *, patient_id: int, result: dict | None, visit_on: str,
             png: bytes | None = None, status: str = "done", **extra) -> int:
    """A scan row as the background worker leaves it (``done`` with its stored result and map)."""
    with sessions() as db:
        from scarwise.clinic.models import Patient

        clinic_id = db.get(Patient, patient_id).clinic_id
        map_sha = blobs.put_stream(io.BytesIO(png), suffix=".png", max_bytes=1 << 30)[0] if png else None
        scan = Scan(clinic_id=clinic_id, patient_id=patient_id, filename="cheek.x3p", sha256="0" * 64,
                    suffix=".x3p", size_bytes=1, visit_on=dt.date.fromisoformat(visit_on), status=status,
                    progress=1.0, result=result, map_sha256=map_sha, **extra)
        db.add(scan)
        db.commit()
        return scan.id


def _two_visits(app, world, measured, mrn: str = "R-1") -> int:
    first, latest, png = measured
    pid = world.patient(mrn)
    add_scan(app.state.sessions, app.state.blobs, patient_id=pid, result=first, visit_on="2026-03-01")
    add_scan(app.state.sessions, app.state.blobs, patient_id=pid, result=latest, visit_on="2026-09-01", png=png)
    add_scan(app.state.sessions, app.state.blobs, patient_id=pid, result=None, visit_on="2026-10-01",
             status="failed")  # not measured: left out
    return pid


def test_api_html_report_from_latest_measured_scan(app, world, client, measured):
    first, latest, png = measured
    pid = _two_visits(app, world, measured)
    r = client.get(f"/api/patients/{pid}/report", params={"lang": "en", "format": "html"}, headers=world.headers())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert f'filename="patient-{pid}-report-en.html"' in r.headers["content-disposition"]
    html = r.text
    assert TOTAL.search(html).group(1) == str(len(latest["scars"]))  # the latest scan, not the first
    assert len(latest["scars"]) != len(first["scars"])
    assert f"{latest['grade']['goodman_baron_quantitative']} / 84" in html
    assert "Clinic A" in html and "Sara Ali" in html
    assert html.count('<td class="meta">') == 2  # earlier measured scan + latest; the failed one is left out
    assert base64.b64encode(png).decode() in html  # the stored scar map


def test_arabic_page_report_and_link(app, world, client, measured):
    pid = _two_visits(app, world, measured)
    _sign_in(client, world, "staff")
    page = client.get(f"/patients/{pid}?lang=ar")
    assert page.status_code == 200
    assert "تقرير المساعدة على اتخاذ القرار" in page.text
    link = re.search(r'id="report-html" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    assert "lang=ar" in link
    r = client.get(link)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'dir="rtl"' in r.text and 'lang="ar"' in r.text and "سارة علي" in r.text
    other = client.get(f"/patients/{world.patient('R-9', 'b')}/report?format=html")  # another clinic's id
    assert other.status_code == 404 and "text/html" in other.headers["content-type"]
    client.cookies.clear()


def test_pdf_report(app, world, client, measured):
    from tests.report.conftest import pdf_tools_missing

    if reason := pdf_tools_missing():
        pytest.skip(reason)
    import pypdf

    _, latest, _ = measured
    pid = _two_visits(app, world, measured)
    r = client.get(f"/api/patients/{pid}/report?lang=en&format=pdf", headers=world.headers("staff"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.content)).pages)
    assert "Clinic A" in text and f"{latest['grade']['goodman_baron_quantitative']} / 84" in text


def test_clinician_corrections_are_shown(app, world, client, measured):
    _, latest, _ = measured
    pid = world.patient("R-2")
    sid = add_scan(app.state.sessions, app.state.blobs, patient_id=pid, result=latest, visit_on="2026-09-01")
    first_id = str(latest["scars"][0]["id"])
    r = client.patch(f"/api/scans/{sid}", json={"grade_override": 31, "type_overrides": {first_id: "hypertrophic"}},
                     headers=world.headers())
    assert r.status_code == 200, r.text
    html = client.get(f"/api/patients/{pid}/report?format=html", headers=world.headers()).text
    assert "31 / 84" in html and CLINICIAN_CORRECTION in html
    raised = re.search(r'sw-hypertrophic"></span>[^<]*</td><td class="n"><bdi class="src">(\d+)<', html).group(1)
    before = sum(s["type"] == "hypertrophic" for s in latest["scars"])
    assert int(raised) == before + (latest["scars"][0]["type"] != "hypertrophic")


def test_other_clinic_and_missing_are_the_same_404(app, world, client, measured):
    pid = _two_visits(app, world, measured)
    other = client.get(f"/api/patients/{pid}/report?format=html", headers=world.headers("admin", "b"))
    missing = client.get("/api/patients/999999/report?format=html", headers=world.headers("admin", "b"))
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace(str(pid), "N") == missing.json()["detail"].replace("999999", "N")
    assert client.get(f"/api/patients/{pid}/report").status_code == 401


def test_no_measured_scan_is_409_and_bad_choices_422(app, world, client):
    pid = world.patient("R-3")
    add_scan(app.state.sessions, app.state.blobs, patient_id=pid, result=None, visit_on="2026-10-01", status="queued")
    r = client.get(f"/api/patients/{pid}/report", headers=world.headers())
    assert r.status_code == 409 and "no measured scan" in r.json()["detail"]
    page = client.get(f"/patients/{pid}")  # no session cookie: pages redirect to sign-in
    assert page.status_code in (200, 303) and "report-pdf" not in page.text
    for bad in ({"lang": "fr"}, {"format": "docx"}):
        assert client.get(f"/api/patients/{pid}/report", params=bad, headers=world.headers()).status_code == 422


# -- scarwise report --patient ------------------------------------------------------------
@pytest.fixture
def cli_env(fresh_settings, monkeypatch):
    monkeypatch.setenv("SCARWISE_DATABASE_URL", fresh_settings.resolved_database_url())
    monkeypatch.setenv("SCARWISE_DATA_DIR", str(fresh_settings.resolved_data_dir()))
    return fresh_settings


def test_cli_report_patient_end_to_end(cli_env, measured, tmp_path):
    from scarwise.cli_report import report_command
    from scarwise.clinic import crud
    from scarwise.clinic._db import make_engine, make_sessionmaker, migrate

    first, latest, png = measured
    engine = make_engine(cli_env)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as db:
        clinic = crud.create_clinic(db, name="Jeddah Skin Clinic").id
        other = crud.create_clinic(db, name="Other").id
        pid = crud.create_patient(db, clinic_id=clinic, data={"mrn": "C-1", "name_en": "Omar"}).id
        empty = crud.create_patient(db, clinic_id=clinic, data={"mrn": "C-2"}).id
        db.commit()
    blobs = BlobStore(Path(cli_env.resolved_data_dir()) / "blobs")
    add_scan(sessions, blobs, patient_id=pid, result=first, visit_on="2026-01-05")
    add_scan(sessions, blobs, patient_id=pid, result=latest, visit_on="2026-07-05", png=png)
    engine.dispose()

    cli = typer.Typer()
    cli.command("report")(report_command)
    cli.command("noop")(lambda: None)
    runner = CliRunner()
    out = tmp_path / "r.html"
    res = runner.invoke(cli, ["report", "--patient", str(pid), "--clinic", str(clinic), "--lang", "en",
                              "--format", "html", "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert TOTAL.search(html).group(1) == str(len(latest["scars"]))
    assert "Jeddah Skin Clinic" in html and "Omar" in html and html.count('<td class="meta">') == 2
    assert base64.b64encode(png).decode() in html

    for args, message in (([str(pid), "--clinic", str(other)], f"no patient {pid} in clinic {other}"),
                          (["999999"], "no patient 999999"),
                          ([str(empty)], "no measured scan")):
        res = runner.invoke(cli, ["report", "--patient", *args, "--format", "html", "-o", str(tmp_path / "x.html")])
        assert res.exit_code == 2 and message in res.output, res.output
    res = runner.invoke(cli, ["report", "--patient", str(pid), "--patient-json", str(out), "-o", str(out)])
    assert res.exit_code == 2 and "--patient-json" in res.output
    assert not (tmp_path / "x.html").exists()
