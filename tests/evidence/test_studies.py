"""The curated evidence table: schema, validation errors, user additions, pooling rules."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from scarwise.core.errors import InvalidFileError, InvalidParameterError
from scarwise.evidence import (
    ENV_VAR,
    load_studies,
    log_risk_ratio,
    meta_analysis,
    paired_difference,
    parse_studies,
    pool_evidence,
)

HEADER = ("id,first_author,year,journal,design,n,treatments,comparator,outcome_scale,verified,"
          "effect_measure,yi,vi,effect_note")


def _schema():
    text = resources.files("scarwise.evidence").joinpath("data/studies.schema.json").read_text()
    return json.loads(text)


def test_packaged_table_is_valid_against_its_schema():
    jsonschema = pytest.importorskip("jsonschema")
    table = load_studies()
    assert len(table.studies) >= 20
    for s in table.studies:
        jsonschema.validate(s.to_json(), _schema())
    assert len({s.id for s in table.studies}) == len(table.studies)
    assert sum(s.verified for s in table.studies) >= 15


def test_every_verified_study_names_its_source_and_every_effect_its_derivation():
    for s in load_studies().studies:
        if s.verified:
            assert s.verification
        if s.effect_measure is not None:
            assert s.effect_note and s.vi > 0


def test_stored_effects_recompute_from_the_reported_numbers():
    by_id = {s.id: s for s in load_studies().studies}
    lee = by_id["lee2002"]           # 30/32 good response with 100% TCA vs 27/33 with 65% TCA
    assert "27/33" in lee.reported and "30/32" in lee.reported
    rr = log_risk_ratio([30], [2], [27], [6])
    assert lee.yi == pytest.approx(rr.yi[0], abs=1e-6) and lee.vi == pytest.approx(rr.vi[0], abs=1e-6)
    sharma = by_id["sharma_jpad"]    # G&B grade 2.13 ± 0.56 vs 2.36 ± 0.56, n = 40, r = 0.5 assumed
    assert "2.13 ± 0.56" in sharma.reported and "2.36 ± 0.56" in sharma.reported
    md = paired_difference([2.13], [0.56], [2.36], [0.56], [40], r=0.5)
    assert sharma.yi == pytest.approx(md.yi[0]) and sharma.vi == pytest.approx(md.vi[0])
    assert "ASSUMED" in sharma.effect_note


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("x1,A,2020,J,RCT,10,prp,none,ecca,maybe,,,,", "line 2: field 'verified'"),
        ("x1,A,20x0,J,RCT,10,prp,none,ecca,true,,,,", "line 2: field 'year'"),
        ("x1,A,2020,J,RCT,10,magic,none,ecca,true,,,,", "field 'treatments'"),
        ("x1,A,2020,J,RCT,10,prp,none,height,true,,,,", "field 'outcome_scale'"),
        ("x1,A,2020,J,RCT,10,prp,none,ecca,true,MD,0.1,,note", "field 'vi'"),
        ("x1,A,2020,J,RCT,10,prp,none,ecca,true,MD,0.1,-1,note", "field 'vi'"),
        ("x1,A,2020,J,RCT,10,prp,none,ecca,true,MD,0.1,0.2,", "field 'effect_note'"),
        ("x1,,2020,J,RCT,10,prp,none,ecca,true,,,,", "field 'first_author'"),
        ("X 1,A,2020,J,RCT,10,prp,none,ecca,true,,,,", "field 'id'"),
    ],
)
def test_invalid_rows_name_line_and_field(row, match):
    with pytest.raises(InvalidFileError, match=match):
        parse_studies(f"{HEADER}\n{row}\n", source="mine.csv")


def test_bad_header_lists_the_columns():
    with pytest.raises(InvalidFileError, match="unknown columns colour"):
        parse_studies("id,first_author,journal,design,treatments,comparator,outcome_scale,verified,colour\n",
                      source="x")


def test_user_file_adds_and_overrides_without_code(tmp_path, monkeypatch):
    extra = tmp_path / "more.csv"
    extra.write_text(
        "# my additions\n" + HEADER + "\n"
        "mine_a,Doe J,2024,J Test,split-face,20,prp;microneedling,microneedling,goodman_baron,true,MD_PAIRED,-0.4,0.01,"
        "\"made-up numbers for a test; r = 0.5 assumed\"\n"
        "lee2002,Lee JB,2002,Dermatol Surg,retrospective,65,tca_cross,65% TCA,clinical_response,false,,,,\n")
    monkeypatch.setenv(ENV_VAR, str(extra))
    table = load_studies()
    ids = [s.id for s in table.studies]
    assert "mine_a" in ids and ids.count("lee2002") == 1
    assert not next(s for s in table.studies if s.id == "lee2002").verified
    monkeypatch.delenv(ENV_VAR)
    assert table.version != load_studies().version
    with pytest.raises(InvalidFileError, match="cannot read"):
        load_studies(extra=tmp_path / "missing.csv")


def test_pooling_rules(tmp_path):
    table = load_studies()
    with pytest.raises(InvalidParameterError, match="only 1 poolable study"):
        pool_evidence(table, treatment="prp", outcome="goodman_baron")
    with pytest.raises(InvalidParameterError, match="treatment 'magic' unknown"):
        pool_evidence(table, treatment="magic", outcome="goodman_baron")
    extra = tmp_path / "more.csv"
    extra.write_text(HEADER + "\n"
                     "mine_a,Doe J,2024,J,split-face,20,prp,mn,goodman_baron,true,MD_PAIRED,-0.4,0.01,test numbers\n"
                     "mine_b,Roe J,2025,J,split-face,30,prp,mn,goodman_baron,false,MD_PAIRED,-0.1,0.02,test numbers\n")
    table = load_studies(extra=extra)
    pooled = pool_evidence(table, treatment="prp", outcome="goodman_baron")
    assert pooled.studies == ("sharma_jpad", "mine_a")
    assert ("mine_b", "unverified (use include_unverified / --include-unverified)") in pooled.excluded
    ref = meta_analysis([-0.23, -0.4], [0.00784, 0.01])
    assert pooled.result.estimate == pytest.approx(ref.estimate)
    wider = pool_evidence(table, treatment="prp", outcome="goodman_baron", include_unverified=True)
    assert wider.result.k == 3
    assert np.isfinite(wider.result.tau2)


def test_effects_derived_by_assumption_recompute_and_are_flagged():
    # SE from an exact p (park2019), from a p bound (kwon2020, conservative) and from 95% CIs with an
    # assumed within-person correlation (alam2014): Cochrane Handbook 6.5.2.3; recomputed here independently
    from scipy import stats

    by_id = {s.id: s for s in load_studies().studies}
    park, kwon, alam = by_id["park2019"], by_id["kwon2020"], by_id["alam2014"]
    assert "-23.5% (CM) vs -15.0% (control), p = .143" in park.reported
    assert park.yi == pytest.approx(23.5 - 15.0)
    assert np.sqrt(park.vi) == pytest.approx(8.5 / stats.t.isf(0.143 / 2, 14), rel=1e-6)
    assert "32.5% (exosome side) vs 19.9% (control side), p < 0.01" in kwon.reported
    assert kwon.yi == pytest.approx(12.6) and np.sqrt(kwon.vi) == pytest.approx(12.6 / stats.t.isf(0.005, 24), rel=1e-6)
    assert "3.4 (95% CI 0.2-6.5" in alam.reported and "0.4 (P > .99) at 6 months" in alam.reported
    t = stats.t.ppf(0.975, 14)
    se1, se2 = (6.5 - 0.2) / (2 * t), (3.5 + 2.3) / (2 * t)
    assert alam.yi == pytest.approx(3.0) and alam.vi == pytest.approx(se1**2 + se2**2 - se1 * se2, rel=1e-6)
    for s in (park, kwon, alam, by_id["sharma_jpad"]):
        assert s.effect_source == "derived_by_assumption" and "ASSUMED" in s.effect_note
    # differences of percent changes are GEN, never pooled with differences of raw scores (MD_PAIRED)
    assert park.effect_measure == kwon.effect_measure == "GEN" and alam.effect_measure == "MD_PAIRED"
    assert by_id["lee2002"].effect_source == "reported_data"
    assert all(s.effect_source is not None for s in by_id.values() if s.effect_measure is not None)
    with pytest.raises(InvalidFileError, match="field 'effect_source'"):
        parse_studies(HEADER + ",effect_source\nx1,A,2020,J,RCT,10,prp,none,ecca,true,MD,0.1,0.2,n,guessed\n",
                      source="x")
