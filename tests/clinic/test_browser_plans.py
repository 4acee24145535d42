"""Treatment plans and outcomes by matched scar in real headless Chromium (screenshots as artifacts)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tests.clinic._browser import CHROMIUM, FLAGS, artifacts, served

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")


def test_plan_and_matched_outcomes_in_chromium(world, app, backend):
    from scarwise.surface.synthetic import make_skin_patch
    from tests.clinic.conftest import PASSWORD

    if backend != "sqlite":
        pytest.skip("one browser run is enough; the database paths are covered by the API tests")
    client, h = world.client, world.headers()
    client.post("/api/practitioners", json={"name": "Dr Layla", "licence_number": "SCFHS-1",
                                            "licence_expires": "2099-01-01"}, headers=world.headers("admin"))
    pid = world.patient("WEB-P")
    patch = make_skin_patch(nx=240, ny=240, pixel_mm=0.05, n_scars=3, seed=2)
    for day, scale in (("2025-01-01", 1.0), ("2025-05-01", 0.7)):  # the later visit: scars 30% shallower
        buf = io.BytesIO()
        np.save(buf, patch.surface.z * scale)
        r = client.post(f"/api/patients/{pid}/scans", files={"file": (f"{day}.npy", buf.getvalue())},
                        data={"pixel_mm": "0.05", "visit_on": day}, headers=h)
        assert r.status_code == 202
    shots = artifacts("clinic-browser-plans")
    with served(app) as server, playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(f"{server}/login")
        page.fill("input[name=email]", world.email(world.clinic_a, "clinician"))
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/patients")
        page.goto(f"{server}/patients/{pid}#plans")
        page.click("#plans summary")
        page.select_option("#plans select[name=protocol]", "prp")
        page.fill("#plans input[name=estimated_cost_sar]", "4500")
        page.click("#plans button[type=submit]")
        page.wait_for_url("**/plans/*")
        assert page.locator("#injection-plan tbody tr").count() >= 2  # scars and the total
        assert "0 / 3" in page.inner_text("body")
        page.screenshot(path=str(shots / "01-plan.png"), full_page=True)
        plan_url = page.url
        page.goto(f"{server}/patients/{pid}#sessions")
        form = page.locator("#sessions form")
        form.locator("input[name=product]").fill("PRP")
        form.locator("input[name=lot]").fill("LOT-WEB")
        form.locator("select[name=plan_id]").select_option(index=1)
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(plan_url)
        assert "1 / 3" in page.inner_text("body") and page.inner_text("#plan-status") == "active"
        page.screenshot(path=str(shots / "02-plan-after-session.png"), full_page=True)
        page.goto(f"{server}/patients/{pid}")
        page.click("#matched-outcomes")
        page.wait_for_url("**/outcomes")
        img = page.locator("#scar-outcomes")
        assert img.evaluate("i => i.complete && i.naturalWidth") == 1000  # the chart decoded in the browser
        assert page.locator("#scar-lines tbody tr").count() >= 2
        page.screenshot(path=str(shots / "03-outcomes-by-scar.png"), full_page=True)
        page.goto(plan_url + "?lang=ar")
        assert page.get_attribute("html", "dir") == "rtl" and "خطة العلاج" in page.inner_text("h1")
        page.screenshot(path=str(shots / "04-plan-ar.png"), full_page=True)
        browser.close()
