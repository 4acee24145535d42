"""The evidence CLI through a small typer app wired the way scarwise/cli.py wires it."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from scarwise.cli_evidence import evidence_app, meta_command
from tests.evidence._data import DATA, reference

app = typer.Typer()
app.add_typer(evidence_app, name="evidence")
app.command("meta")(meta_command)
runner = CliRunner()
META_KEYS = {"estimate", "se", "ci_lb", "ci_ub", "tau2", "i2", "h2", "q", "q_p", "pi_lb", "pi_ub", "k"}


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_meta_bcg_json_matches_metafor():
    data = _json(runner.invoke(app, ["meta", str(DATA / "dat_bcg.csv"), "--measure", "RR", "--json"]))
    assert META_KEYS <= data.keys()
    ref = reference()["bcg"]["REML"]
    assert data["estimate"] == pytest.approx(ref["estimate"], abs=5e-5)
    assert data["tau2"] == pytest.approx(ref["tau2"], abs=5e-5)
    assert data["exp"]["estimate"] == pytest.approx(0.4894, abs=1e-4)
    assert data["k"] == 13 and "egger" in data and "trim_and_fill" in data


def test_meta_methods_hksj_subgroups_and_plots(tmp_path):
    f = str(DATA / "dat_bcg.csv")
    dl = _json(runner.invoke(app, ["meta", f, "--measure", "RR", "--method", "DL", "--hksj", "--json",
                                   "--by", "alloc", "--plot", str(tmp_path / "forest.svg"),
                                   "--funnel", str(tmp_path / "funnel.png"),
                                   "--cumulative", str(tmp_path / "cum.png"), "--lang", "ar"]))
    assert dl["method"] == "DL" and dl["hksj"] is True
    assert [g["name"] for g in dl["subgroups"]["groups"]] == ["random", "alternate", "systematic"]
    assert dl["regression"]["method"] == "DL" and len(dl["regression"]["coefficients"]) == 3
    for name in ("forest.svg", "funnel.png", "cum.png"):
        assert (tmp_path / name).stat().st_size > 5_000


def test_meta_means_and_precomputed(tmp_path):
    md = _json(runner.invoke(app, ["meta", str(DATA / "dat_normand1999.csv"), "--measure", "SMD", "--json"]))
    assert md["k"] == 9 and md["measure"] == "SMD" and "exp" not in md
    gen = tmp_path / "gen.csv"
    gen.write_text("study,yi,vi\nA,0.1,0.04\nB,0.3,0.02\nC,0.2,0.05\n")
    out = _json(runner.invoke(app, ["meta", str(gen), "--measure", "GEN", "--method", "FE", "--json"]))
    assert out["studies"] == ["A", "B", "C"] and out["tau2"] == 0.0
    same = tmp_path / "same.csv"
    same.write_text("yi,vi\n0.1,0.04\n0.3,0.04\n0.2,0.04\n")
    out = _json(runner.invoke(app, ["meta", str(same), "--measure", "GEN", "--json"]))
    assert out["egger"] is None and "differing precision" in out["notes"][0]


@pytest.mark.parametrize(
    ("content", "args", "match"),
    [
        ("study,yi\nA,0.1\nB,0.2\n", ["--measure", "GEN"], "missing vi"),
        ("yi,vi\n0.1,x\n0.2,0.1\n", ["--measure", "GEN"], "line 2: column 'vi'"),
        ("yi,vi\n0.1,0.1\n0.2,0.1\n", ["--measure", "GEN", "--method", "XX"], "method 'XX' unknown"),
        ("yi,vi\n0.1,0.1\n", ["--measure", "GEN"], "at least 2"),
        ("yi,vi\n0.1,0.1\n0.2,0\n", ["--measure", "GEN"], "> 0"),
        ("yi,vi\n0.1,0.1,3\n0.2,0.1\n", ["--measure", "GEN"], "3 fields"),
        ("yi,vi\n0.1,0.1\n0.2,0.1\n", ["--measure", "GEN", "--plot", "x.jpg"], ".png or .svg"),
        ("yi,vi\n1e300,1e-300\n0.2,0.1\n", ["--measure", "GEN"], "rescale the data"),
        ("", ["--measure", "GEN"], "is empty"),
    ],
)
def test_meta_errors_exit_2_with_a_message(tmp_path, content, args, match):
    f = tmp_path / "in.csv"
    f.write_text(content)
    result = runner.invoke(app, ["meta", str(f), *args, "--json"])
    assert result.exit_code == 2
    assert match in " ".join(result.stderr.split())
    assert result.stdout == ""


def test_evidence_list_contract():
    data = _json(runner.invoke(app, ["evidence", "list", "--json"]))
    assert isinstance(data["version"], str) and len(data["studies"]) >= 20
    keys = {"id", "first_author", "year", "journal", "doi", "pmid", "design", "n", "treatments", "comparator",
            "outcome_scale", "verified"}
    assert all(set(s) == keys for s in data["studies"])
    prp = _json(runner.invoke(app, ["evidence", "list", "--treatment", "prp", "--json"]))
    assert prp["studies"] and all("prp" in s["treatments"] for s in prp["studies"])
    table = runner.invoke(app, ["evidence", "list"])
    assert table.exit_code == 0 and "kwon2020" in table.stdout


def test_evidence_pool(tmp_path):
    bad = runner.invoke(app, ["evidence", "pool", "--treatment", "prp", "--outcome", "goodman_baron", "--json"])
    assert bad.exit_code == 2 and "only 1 poolable study" in " ".join(bad.stderr.split())
    extra = tmp_path / "more.csv"
    extra.write_text("id,first_author,year,journal,design,n,treatments,comparator,outcome_scale,verified,"
                     "effect_measure,yi,vi,effect_note\n"
                     "mine_a,Doe J,2024,J,split-face,20,prp,mn,goodman_baron,true,MD_PAIRED,-0.4,0.01,test numbers\n")
    data = _json(runner.invoke(app, ["evidence", "pool", "--treatment", "prp", "--outcome", "goodman_baron",
                                     "--studies", str(extra), "--plot", str(tmp_path / "p.png"), "--json"]))
    assert data["studies"] == ["sharma_jpad", "mine_a"] and META_KEYS <= data.keys()
    assert (tmp_path / "p.png").stat().st_size > 5_000
