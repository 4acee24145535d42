"""The web app in real headless Chromium (Debian ``chromium``, Playwright with the system browser).

Skipped when Playwright or /usr/bin/chromium is missing. Screenshots go to
``$SCARWISE_ARTIFACTS_DIR/clinic-browser`` (default ``test-artifacts/`` at the repository root).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clinic._browser import CHROMIUM, FLAGS, artifacts, served

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")


@pytest.fixture
def server(app):
    """The test app served by uvicorn on a free loopback port, in a thread."""
    with served(app) as url:
        yield url


@pytest.fixture
def scan_file(tmp_path) -> Path:
    from scarwise.surface.io import write_surface
    from scarwise.surface.synthetic import make_skin_patch

    patch = make_skin_patch(nx=200, ny=200, pixel_mm=0.03, n_scars=2, seed=1)
    try:
        return Path(write_surface(patch.surface, tmp_path / "cheek.x3p"))
    except NotImplementedError:
        pytest.skip("scarwise.surface.io writers not available yet")


def test_clinic_workflow_in_chromium(world, server, scan_file, backend):
    from tests.clinic.conftest import PASSWORD

    if backend != "sqlite":
        pytest.skip("one browser run is enough; the database paths are covered by the API tests")
    client = world.client
    client.post("/api/practitioners", json={"name": "Dr Layla", "licence_number": "SCFHS-1",
                                            "licence_expires": "2099-01-01"}, headers=world.headers("admin"))
    shots = artifacts("clinic-browser")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{server}/patients")
        assert page.url.endswith("/login")
        page.fill("input[name=email]", world.email(world.clinic_a, "clinician"))
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/patients")
        page.screenshot(path=str(shots / "01-patients.png"))

        page.fill("input[name=mrn]", "WEB-1")
        page.fill("input[name=name_en]", "Maha Al-Shehri")
        page.fill("input[name=name_ar]", "مها الشهري")
        page.fill("input[name=birth_date]", "1993-08-09")
        page.click("text=Create patient")
        page.wait_for_url("**/patients/*")
        assert "No imaging consent" in page.content()

        page.select_option("select[name=kind]", "imaging")
        page.fill("input[name=version]", "2025-01")
        page.click("text=Record consent")
        page.wait_for_selector("input[name=file]")

        page.set_input_files("input[name=file]", str(scan_file))
        page.click("text=Upload scan")
        page.wait_for_url("**/scans/*")
        page.wait_for_selector("#scar-map", timeout=60_000)
        assert page.eval_on_selector("#scar-map", "img => img.complete && img.naturalWidth > 0")
        assert "ECCA" in page.content()
        page.screenshot(path=str(shots / "02-scan.png"), full_page=True)

        page.click("text=Back to patient")
        page.fill("input[name=product]", "Autologous fibroblasts")
        page.fill("input[name=lot]", "LOT-WEB")
        page.fill("input[name=cost_sar]", "3200")
        page.fill("input[name=performed_on]", "2025-01-10")
        page.click("text=Record session")
        page.wait_for_selector("text=LOT-WEB")
        assert "SAR3,200.00" in page.content()

        page.fill("#adverse-events input[name=kind]", "transient erythema")
        page.fill("#adverse-events input[name=onset_on]", "2025-01-11")
        page.click("text=Record adverse event")
        page.wait_for_selector("text=transient erythema")
        page.screenshot(path=str(shots / "03-patient.png"), full_page=True)

        page.click("header >> text=Follow-ups")
        page.wait_for_url("**/follow-ups")
        assert "WEB-1" in page.content()  # the 1-month follow-up of January 2025 is overdue

        page.click("#switch-lang")
        page.wait_for_selector("html[dir=rtl]")
        assert page.get_attribute("html", "lang") == "ar"
        page.screenshot(path=str(shots / "04-follow-ups-ar.png"), full_page=True)
        browser.close()
