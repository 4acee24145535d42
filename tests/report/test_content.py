"""Report model: strings, prices, option evidence, guardrails and footnotes (no PDF needed)."""

from __future__ import annotations

import json
import re
import string
from dataclasses import replace
from html import unescape

import numpy as np
import pytest

from scarwise.core.errors import InvalidFileError, InvalidParameterError
from scarwise.evidence import load_studies, meta_analysis, pool_evidence
from scarwise.report import (
    OPTIONS,
    Visit,
    all_option_evidence,
    build_report,
    check_report,
    load_prices,
    make_report,
    read_patient_json,
    render_html,
)
from scarwise.report._i18n import AR, EN


def test_invalid_input(measured, tmp_path):
    _, result = measured
    with pytest.raises(InvalidParameterError, match="lang"):
        build_report(result.to_json(), lang="fr")
    with pytest.raises(InvalidParameterError, match="measure"):
        build_report({"surface": {}}, lang="en")
    with pytest.raises(InvalidParameterError, match="format"):
        make_report(None, result, lang="en", fmt="docx")
    bad = tmp_path / "p.json"
    bad.write_text('{"visits": [{"date": "2026-01-01"}]}')
    with pytest.raises(InvalidFileError, match="measure"):
        read_patient_json(bad)
    bad.write_text('{"scan_date": "yesterday"}')
    with pytest.raises(InvalidFileError, match="ISO date"):
        read_patient_json(bad)


def test_catalogues_match():
    assert EN.keys() == AR.keys()
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    for key in EN:
        if key != "study_patients":  # Arabic says "one study" in words
            assert fields(EN[key]) == fields(AR[key]), key
        assert not re.search(r"[\u0600-\u06ff]", EN[key]), key
    english_in_both = {"sessions_short"}  # sits inside an English quote
    assert all(re.search(r"[\u0600-\u06ff]", v) for k, v in AR.items() if k not in english_in_both)


def test_prices(tmp_path, monkeypatch):
    example = load_prices()
    assert example.example and "EXAMPLE" in example.source
    assert {o.key for o in OPTIONS} == set(example.ranges)
    own = tmp_path / "prices.json"
    own.write_text(json.dumps({"example": False, "source": "Clinic X 2026",
                               "options": {"prp": {"min": 100, "max": 200}}}))
    monkeypatch.setenv("SCARWISE_PRICES_FILE", str(own))
    p = load_prices()
    assert not p.example and p.ranges["prp"].max_sar == 200
    own.write_text(json.dumps({"options": {"magic": {"min": 1, "max": 2}}}))
    with pytest.raises(InvalidFileError, match="unknown"):
        load_prices(own)
    own.write_text(json.dumps({"options": {"prp": {"min": 5, "max": 2}}}))
    with pytest.raises(InvalidFileError, match="min <= max"):
        load_prices(own)


def test_option_membership_and_counts():
    table = load_studies()
    by_key = {e.option.key: e for e in all_option_evidence(table)}
    for e in by_key.values():
        for s in e.studies:
            assert s.verified and e.option.matches(s)
        assert e.n_patients == sum(s.n or 0 for s in e.studies)
    # exosomes were only ever tested as an add-on to laser: the stand-alone option has no study
    assert by_key["exosomes"].status == "none" and by_key["laser_exosomes"].studies
    assert all("exosomes" in s.treatments for s in by_key["laser_exosomes"].studies)


def test_pooled_option_matches_independent_pool(extra_studies):
    table = load_studies(extra_studies)
    ev = {e.option.key: e for e in all_option_evidence(table)}["microneedling"]
    assert ev.status == "pooled"
    yi, vi = [-2.1, -1.2, -1.6], [0.30, 0.20, 0.25]
    ref = meta_analysis(yi, vi, method="REML")
    assert ev.pooled.result.estimate == pytest.approx(ref.estimate, rel=1e-9)
    assert sorted(ev.pooled.studies) == ["test_mn_a", "test_mn_b", "test_mn_c"]
    assert ev.pooled.result.ci_ub == pytest.approx(ref.ci_ub, rel=1e-9)
    # the library's pooling over the same three studies gives the same numbers
    only = replace(table, studies=tuple(s for s in table.studies if s.id.startswith("test_")))
    direct = pool_evidence(only, treatment="microneedling", outcome="goodman_baron")
    assert direct.result.pi_lb == pytest.approx(ev.pooled.result.pi_lb)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_guardrails(measured, extra_studies, lang):
    surface, result = measured
    report = build_report(result.to_json(), lang=lang, evidence=load_studies(extra_studies))
    check_report(report)
    views = {o.key: o for o in report.options}
    html = render_html(report)
    for o in report.options:
        if o.status == "none":
            assert o.pooled is None and o.evidence is None
            card = re.search(rf'<article class="option status-none" id="opt-{o.key}">(.*?)</article>', html, re.S)
            assert card and report.strings["no_reliable"] in card.group(1)
            no_cost = re.sub(r'<p class="costline">.*?</p>', "", card.group(1), flags=re.S)  # price, not benefit
            assert not re.search(r"\d", _visible(no_cost)), o.key
        if o.pooled is not None:
            v = o.pooled.values
            assert v["ci_lb"] <= v["estimate"] <= v["ci_ub"]
    mn = views["microneedling"].pooled
    direct = meta_analysis([-2.1, -1.2, -1.6], [0.30, 0.20, 0.25], method="REML")
    assert float(_num(mn.estimate.text)) == pytest.approx(direct.estimate, abs=0.006)
    lo, hi = map(float, re.findall(r"-?\d+\.\d+", _ascii_minus(mn.ci.text))[-2:])
    assert (lo, hi) == (pytest.approx(direct.ci_lb, abs=0.006), pytest.approx(direct.ci_ub, abs=0.006))
    # no benefit beyond the pooled interval: the best value stated is inside [ci_lb, ci_ub]
    stated = [float(x) for x in re.findall(r"-?\d+\.\d+", _ascii_minus(mn.estimate.text + " " + mn.ci.text))]
    assert min(stated) >= direct.ci_lb - 0.006 and max(stated) <= direct.ci_ub + 0.006


def _ascii_minus(text: str) -> str:
    return text.replace("\u2212", "-").replace("\u200e", "").replace("\u200f", "").replace("\u061c", "")


def _num(text: str) -> str:
    return re.search(r"-?\d+(?:\.\d+)?", _ascii_minus(text)).group(0)


def _visible(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_number_has_a_footnote(measured, extra_studies, lang):
    surface, result = measured
    html = make_report(surface, result, lang=lang, fmt="html", evidence=load_studies(extra_studies)).decode()
    body = html.split("<body", 1)[1]
    notes = re.findall(r'<sup class="fn">(\d+)</sup>', body)
    count = len(re.findall(r"<li dir=\"auto\">", body))
    assert notes and all(1 <= int(n) <= count for n in notes)
    stripped = re.sub(r'<bdi class="src">[^<]*<sup class="fn">\d+</sup></bdi>', " ", body, flags=re.S)
    for pattern in (r"<svg.*?</svg>", r'<section class="notes">.*?</section>', r"<h2>.*?</h2>",
                    r'class="(?:small )?meta">.*?</(?:td|dd|div|p)>', r"<style>.*?</style>"):
        stripped = re.sub(pattern, " ", stripped, flags=re.S)
    text = _visible(stripped)
    for allowed in ("CO2", "3D", "SVF", "²", "³", "95%", "95٪"):  # names and the CI label, not quantities
        text = text.replace(allowed, "")
    leftover = re.findall(r".{0,30}[0-9\u0660-\u0669].{0,30}", text)
    assert not leftover, leftover


def test_visits_give_change(measured):
    import datetime as dt

    _, result = measured
    first = result.to_json()
    first = {**first, "scars": first["scars"] + first["scars"][:2]}
    report = build_report(result.to_json(), lang="en", scan_date=dt.date(2026, 11, 1),
                          visits=(Visit(date=dt.date(2026, 5, 1), measure=first),))
    rows = report.scan.visits
    assert [r.scars.text for r in rows] == [str(len(first["scars"])), str(len(result.scars))]
    volume = sum(s.volume_mm3 for s in result.scars if s.type != "hypertrophic")
    assert float(rows[-1].volume.text.replace(",", "")) == pytest.approx(volume, abs=0.006)


def test_scan_numbers_match_measurement(measured):
    _, result = measured
    report = build_report(result.to_json(), lang="en")
    counts = {k: int(s.text) for k, _, s in report.scan.counts}
    assert counts == {t: sum(s.type == t for s in result.scars) for t in counts}
    assert report.scan.grade_gb.text.startswith(f"{result.grade.goodman_baron_quantitative} /")
    assert np.isfinite(result.grade.ecca)


def test_icon_arrays_name_the_arm():
    from scarwise.report._content import _icon_arrays
    from scarwise.report._i18n import translator

    text = "fat: malar fullness 3/10; icepick scars did not respond; laser: downtime 1 week, acne flare 2/10"
    icons = _icon_arrays(text, "Azzam OA 2013", 7, "en", translator("en"))
    labels = [label.text for _, label in icons]
    assert labels == ["Azzam OA 2013, fat: 3 of 10 patients: malar fullness",
                      "Azzam OA 2013, laser: 2 of 10 patients: acne flare"]
    svg = icons[0][0]
    assert svg.count("<circle") == 10 and svg.count('fill="#c0504d"') == 2 * 3  # head and body per filled icon


def test_stored_measure_and_png_map(measured, tmp_path):
    """The clinic path: a stored measure JSON and its stored PNG map, no surface at hand."""
    from scarwise.surface.plot import plot_scar_map

    surface, result = measured
    png = plot_scar_map(surface, result, tmp_path / "map.png").read_bytes()
    html = make_report(None, result.to_json(), lang="en", fmt="html", map_png=png).decode()
    assert '<img class="chart map"' in html and "Scale bar" not in html
    with pytest.raises(InvalidParameterError, match="PNG"):
        make_report(None, result.to_json(), lang="en", fmt="html", map_png=b"GIF89a")
