"""Every /learn page in English and Arabic; every number shown against the evidence and report modules."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from scarwise.clinic.learn import brand_colour, contrast_ratio
from scarwise.evidence import load_studies
from scarwise.report import all_option_evidence, fmt_number, fmt_sar, load_prices
from scarwise.report._options import RATIO_MEASURES
from tests.clinic.learn.conftest import PAGES, Page, stray_digits


def get(client, path: str, lang: str) -> Page:
    r = client.get(f"/learn{path}", params={"lang": lang})
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-language"] == lang
    return Page(r.text)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("path", PAGES)
def test_page_renders_lang_dir_landmarks_without_script(client, path, lang):
    page = get(client, path, lang)
    assert page.attrs_of_html == {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr"}
    assert {"header", "nav", "main", "footer"} <= set(page.landmarks)
    assert "<script" not in page.html  # readable without JavaScript: nothing to run
    assert "Clinic Test Riyadh" in page.html and "--brand:#003366" in page.html  # branding from settings
    assert not stray_digits(page), f"numbers not from the data: {stray_digits(page)}"
    assert any(d["what"] == "version" and d["value"] == load_studies().version for d in page.data)


def test_pages_are_public_and_translated(client):
    en, ar = (client.get("/learn/evidence", params={"lang": lang}).text for lang in ("en", "ar"))
    assert "What the evidence says" in en and "ماذا تقول الأدلة" in ar
    assert client.get("/learn/how", headers={"accept-language": "ar-SA,ar;q=0.9"}).text.count('dir="rtl"') == 1


def _expected(table) -> dict:
    return {ev.option.key: ev for ev in all_option_evidence(table)}


def check_evidence_numbers(page: Page, table, lang: str) -> None:
    """Each <data> on the evidence page equals what the evidence module gives for its option."""
    evs = _expected(table)
    seen = set()
    for d in page.data:
        if d["what"] == "version":
            assert d["value"] == table.version
            continue
        key = d["section"].removeprefix("opt-")
        ev = evs[key]
        value = float(d["value"])
        if d["what"] == "k":
            assert value == len(ev.studies) and d["text"] == fmt_number(len(ev.studies), lang, digits=0)
        elif d["what"] == "n":
            assert value == ev.n_patients and d["text"] == fmt_number(ev.n_patients, lang, digits=0)
        elif d["what"] == "unverified":
            assert value == ev.n_unverified
        elif d["what"] == "year":
            assert int(value) in {s.year for s in ev.studies}
        elif d["what"] == "null":
            assert value == (1 if ev.pooled.measure in RATIO_MEASURES else 0)
        else:
            r = ev.pooled.result
            tf = math.exp if ev.pooled.measure in RATIO_MEASURES else float
            raw = {"estimate": r.estimate, "ci_lb": r.ci_lb, "ci_ub": r.ci_ub, "pi_lb": r.pi_lb, "pi_ub": r.pi_ub}
            assert value == pytest.approx(tf(raw[d["what"]]), abs=0.006)
            assert d["text"] == fmt_number(tf(raw[d["what"]]), lang)
        seen.add((key, d["what"]))
    for key, ev in evs.items():
        if ev.studies:  # Arabic writes "one study" as a word
            assert (key, "n") in seen and ((key, "k") in seen or (lang == "ar" and len(ev.studies) == 1)), key
        if ev.pooled is not None:
            assert {(key, w) for w in ("estimate", "ci_lb", "ci_ub")} <= seen
        if ev.status == "none" and key != "none":
            section = page.html.split(f'id="opt-{key}"')[1].split("</section>")[0]
            assert ("No reliable evidence" if lang == "en" else "لا توجد أدلة موثوقة") in section
    studies = {s.id: s for s in table.studies}
    for q in page.quotes:
        assert q["text"] == getattr(studies[q["study"]], q["field"])


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_evidence_numbers_match_the_evidence_module(client, lang):
    table = load_studies()
    page = get(client, "/evidence", lang)
    check_evidence_numbers(page, table, lang)
    assert any(d["what"] == "k" for d in page.data)
    assert table.version in page.html and "2026-11-25" in page.html  # version and curation date


EXTRA = "\n".join([
    "id,first_author,year,journal,design,n,treatments,comparator,outcome_scale,verified,effect_measure,yi,vi,"
    "effect_note,follow_up,adverse_events",
    "test_exo_a,Testa,2030,J Test,split-face RCT,30,exosomes;fractional_co2,laser alone,ecca,true,GEN,11.0,9.0,"
    "test row,6 months,none seen 0/30",
    "test_exo_b,Testb,2031,J Test,split-face RCT,40,exosomes;fractional_co2,laser alone,ecca,true,GEN,12.0,10.0,"
    "test row,3 months,erythema 2/40",
]) + "\n"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_changed_evidence_table_changes_the_page(client, tmp_path, monkeypatch, lang):
    before = client.get("/learn/evidence", params={"lang": lang}).text
    path = tmp_path / "extra.csv"
    path.write_text(EXTRA, encoding="utf-8")
    monkeypatch.setenv("SCARWISE_EVIDENCE_FILE", str(path))
    table = load_studies()
    ev = _expected(table)["laser_exosomes"]
    assert ev.status == "pooled"
    page = get(client, "/evidence", lang)
    assert page.html != before and table.version in page.html
    check_evidence_numbers(page, table, lang)
    # Independent check: with tau² = 0 the pool is the inverse-variance mean (kwon2020, whose effect is a
    # difference of % ECCA reductions (GEN), and the two rows agree).
    kwon = next(s for s in table.studies if s.id == "kwon2020")
    yi, vi = np.array([kwon.yi, 11.0, 12.0]), np.array([kwon.vi, 9.0, 10.0])
    w = 1 / vi
    mean, se = float(np.sum(w * yi) / np.sum(w)), float(1 / np.sqrt(np.sum(w)))
    assert ev.pooled.result.tau2 == pytest.approx(0.0, abs=1e-8)
    shown = {d["what"]: float(d["value"]) for d in page.data if d["section"] == "opt-laser_exosomes"}
    assert shown["estimate"] == pytest.approx(mean, abs=0.006)
    assert shown["ci_lb"] == pytest.approx(mean - 1.959964 * se, abs=0.006)
    assert shown["k"] == 3 and shown["n"] == 25 + 30 + 40  # kwon2020 plus the two rows
    assert '"6 months"' not in page.html and ">6 months</q>" in page.html
    fig = page.html.split('src="/learn/figures/forest-laser_exosomes')[1].split('"')[0]
    r = client.get("/learn/figures/forest-laser_exosomes" + fig)
    assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.delenv("SCARWISE_EVIDENCE_FILE")
    assert client.get("/learn/figures/forest-laser_exosomes" + fig).status_code == 404  # old table: no such plot


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_costs_show_the_clinic_price_list(client, lang, tmp_path, monkeypatch):
    prices = tmp_path / "prices.json"
    prices.write_text('{"example": false, "clinic_name": "Nakheel Skin", "source": "Nakheel price list", '
                      '"currency": "SAR", "options": {"prp": {"min": 2100, "max": 2100}, '
                      '"exosomes": {"min": 4000, "max": 9000}}, "included": ["Aftercare cream"], '
                      '"not_included": ["Consultation"]}', encoding="utf-8")
    monkeypatch.setenv("SCARWISE_PRICES_FILE", str(prices))
    page = get(client, "/costs", lang)
    pl = load_prices()
    shown = [(d["what"], float(d["value"]), d["text"]) for d in page.data if d["what"].startswith("price")]
    expected = []
    for key in ("prp", "exosomes"):  # order of OPTIONS
        pr = pl.ranges[key]
        expected += [("price_min", pr.min_sar, fmt_sar(pr.min_sar, lang))]
        if pr.max_sar != pr.min_sar:
            expected += [("price_max", pr.max_sar, fmt_sar(pr.max_sar, lang))]
    assert shown == expected
    assert "Aftercare cream" in page.html and "Consultation" in page.html
    table = load_studies()
    studies = {s.id: s for s in table.studies}
    assert page.quotes and all(q["field"] == "sessions" and studies[q["study"]].sessions == q["text"]
                               for q in page.quotes)


def test_default_costs_are_marked_as_example(client):
    assert "Example price list, not this clinic&#39;s prices" in client.get("/learn/costs?lang=en").text


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_clinic_page_cites_rules_with_date(client, lang):
    page = get(client, "/clinic", lang)
    assert "2026-11-25" in page.html  # REGULATION_CHECKED
    assert "UNVERIFIED" in page.html
    table = load_studies()
    regen = [s for s in table.studies if s.verified and {"adsc", "svf", "conditioned_medium", "exosomes"}
             & set(s.treatments) and s.n]
    shown = {d["what"]: float(d["value"]) for d in page.data if d["what"] != "version"}
    assert shown == {"k": len(regen), "n_min": min(s.n for s in regen), "n_max": max(s.n for s in regen)}


def test_scar_types_page_lists_the_checked_studies_that_name_each_type(client):
    page = get(client, "/scars", "en")
    table = load_studies()
    words = {"icepick": ("icepick", "ice-pick", "ice pick"), "boxcar": ("boxcar", "box-car", "box car"),
             "rolling": (" rolling",)}
    for kind, spellings in words.items():
        assert f'src="/learn/figures/scar-{kind}.png"' in page.html
        section = page.html.split(f'id="type-{kind}"')[1].split("</section>")[0]
        expected = {s.id for s in table.studies if s.verified and any(
            w in " " + (getattr(s, f) or "").lower() for f in ("arms", "outcome", "reported", "citation")
            for w in spellings)}
        listed = set(re.findall(r'data-study="([a-z0-9_]+)"', section))
        assert listed == expected, kind
        if not expected:
            assert "No checked study in the evidence table reports results for this scar type" in section
    studies = {s.id: s for s in table.studies}
    assert page.quotes and all(studies[q["study"]].__getattribute__(q["field"]) == q["text"] for q in page.quotes)


def test_figures_are_pngs_and_unknown_names_404(client):
    for name in ("scar-rolling", "model-day0", "model-day180"):
        r = client.get(f"/learn/figures/{name}.png")
        assert r.status_code == 200 and r.content[:4] == b"\x89PNG", name
    for bad in ("scar-keloid", "model-day7", "forest-none-en-x", "..%2Fsecret_key"):
        assert client.get(f"/learn/figures/{bad}.png").status_code == 404


def test_stylesheet_has_print_rules(client):
    css = client.get("/learn/static/learn.css")
    assert css.status_code == 200 and "@media print" in css.text


def test_brand_colour_keeps_aa_contrast():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WCAG's classic example
    assert brand_colour("#777777") == "#0f4c5c" and brand_colour("#003366") == "#003366"
    assert brand_colour("red") == "#0f4c5c" and brand_colour(None) == "#0f4c5c"
    for fg, bg in (("#1d2733", "#ffffff"), ("#4d5761", "#ffffff"), ("#0a58a8", "#ffffff"), ("#4d5761", "#f4f6f8"),
                   ("#8a1c12", "#ffffff"), ("#4a3300", "#fff4d6"), ("#0a58a8", "#f4f6f8")):
        assert contrast_ratio(fg, bg) >= 4.5, (fg, bg)


def test_strings_have_both_languages():
    from scarwise.clinic.learn._strings import AR, EN

    assert EN.keys() == AR.keys()
    for k in EN:
        assert EN[k].count("{") == AR[k].count("{"), k


def test_unknown_language_falls_back_to_english(client):
    assert Page(client.get("/learn/costs", params={"lang": "xx"}).text).attrs_of_html["lang"] == "en"


@pytest.mark.parametrize("var", ["SCARWISE_EVIDENCE_FILE", "SCARWISE_PRICES_FILE"])
def test_a_broken_data_file_gives_a_clear_error_not_a_traceback(client, tmp_path, monkeypatch, var):
    bad = tmp_path / "broken.csv"
    bad.write_text("id,first_author\nx,y\n", encoding="utf-8")
    monkeypatch.setenv(var, str(bad))
    r = client.get("/learn/costs", params={"lang": "en"})
    assert r.status_code == 400
    assert "broken.csv" in r.text and "Traceback" not in r.text
