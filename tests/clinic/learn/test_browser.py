"""The /learn pages in real headless Chromium at a phone-sized viewport, both languages, with axe-core.

Skipped when Playwright or /usr/bin/chromium is missing; the accessibility check is skipped (with
the reason) when axe-core is not installed: ``npm install --prefix /tmp/axe axe-core@4`` (CI:
``.ci/learn.sh``) or ``SCARWISE_AXE_JS=/path/to/axe.min.js``. Screenshots go to
``$SCARWISE_ARTIFACTS_DIR/learn`` (default ``test-artifacts/learn/`` at the repository root).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.clinic._browser import CHROMIUM, FLAGS, artifacts, served
from tests.clinic.learn.conftest import PAGES

PHONE = {"width": 390, "height": 844}
_LOAD_IMAGES = """async () => {
  for (const i of document.images) i.loading = "eager";
  await Promise.all([...document.images].map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
}"""
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")


def _axe_js() -> Path | None:
    for candidate in (os.environ.get("SCARWISE_AXE_JS"), "/tmp/axe/node_modules/axe-core/axe.min.js"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="module")
def server(learn_app):
    """The test app served by uvicorn on a free loopback port, in a thread."""
    with served(learn_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_learn_pages_on_a_phone(server, browser, lang):
    shots = artifacts("learn")
    axe = _axe_js()
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    report = {}
    for path in PAGES:
        page.goto(f"{server}/learn{path}?lang={lang}", wait_until="load")
        assert page.get_attribute("html", "lang") == lang
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        # Sensible on a phone: nothing wider than the screen (tables scroll inside their own box).
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, path
        page.evaluate(_LOAD_IMAGES)  # lazy images: load them all before checking and the screenshot
        broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
                               ".map(i => i.src)")
        assert not broken, broken
        name = (path.strip("/") or "index")
        page.screenshot(path=str(shots / f"{name}-{lang}.png"), full_page=True)
        if axe is not None:
            page.add_script_tag(path=str(axe))
            result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: "
                                   "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})")
            serious = [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
                       for v in result["violations"] if v["impact"] in ("serious", "critical")]
            report[path or "/"] = {"violations": [(v["id"], v["impact"]) for v in result["violations"]],
                                   "passes": len(result["passes"])}
            assert not serious, f"{path} ({lang}): {serious}"
    (shots / f"axe-{lang}.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    context.close()
    if axe is None:
        pytest.skip("axe-core not found: run `npm install --prefix /tmp/axe axe-core@4` (.ci/learn.sh) or set "
                    "SCARWISE_AXE_JS; pages and screenshots were checked, accessibility was not")


def test_learn_pages_are_readable_without_javascript(server, browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/learn/evidence?lang=ar")
    assert page.inner_text("h1") == "ماذا تقول الأدلة"
    assert page.locator("main section.option").count() >= 10
    assert page.locator("main section.option").first.is_visible()
    page.screenshot(path=str(artifacts("learn") / "evidence-ar-nojs.png"))
    context.close()


def test_print_stylesheet_hides_navigation(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/learn/costs?lang=en")
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible()
    assert page.locator("main table").is_visible()
    page.pdf(path=str(artifacts("learn") / "costs-en-print.pdf"))
    page.close()


def test_pooled_evidence_with_forest_plot_in_arabic(server, browser, tmp_path, monkeypatch):
    from tests.clinic.learn.test_pages import EXTRA

    extra = tmp_path / "extra.csv"
    extra.write_text(EXTRA, encoding="utf-8")
    monkeypatch.setenv("SCARWISE_EVIDENCE_FILE", str(extra))  # the server thread reads it per request
    context = browser.new_context(viewport=PHONE, is_mobile=True, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server}/learn/evidence?lang=ar#opt-laser_exosomes")
    page.evaluate(_LOAD_IMAGES)
    forest = page.locator("#opt-laser_exosomes img")
    assert forest.evaluate("i => i.complete && i.naturalWidth > 0")
    page.locator("#opt-laser_exosomes").screenshot(path=str(artifacts("learn") / "evidence-ar-pooled.png"))
    axe = _axe_js()
    if axe is not None:
        page.add_script_tag(path=str(axe))
        result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', "
                               "'wcag21a', 'wcag21aa']}})")
        assert not [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
    context.close()
