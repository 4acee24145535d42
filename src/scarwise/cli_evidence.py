"""CLI for the evidence base and meta-analysis: ``scarwise evidence list|pool`` and ``scarwise meta``.

Wired into the main app in ``scarwise/cli.py``::

    app.add_typer(evidence_app, name="evidence")
    app.command("meta")(meta_command)
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from scarwise._cli_common import user_errors
from scarwise.core.errors import InvalidFileError, ScarwiseError, TooLargeError
from scarwise.evidence import (
    MetaResult,
    cumulative,
    effect_sizes,
    egger_test,
    load_studies,
    meta_analysis,
    pool_evidence,
    regression_by_category,
    subgroup_analysis,
    trim_and_fill,
)


def _plots() -> Any:
    """``scarwise.evidence._plots``, imported when a plot is asked for (matplotlib slows every command)."""
    from scarwise.evidence import _plots

    return _plots


evidence_app = typer.Typer(help="The curated evidence base: list studies, pool them.", no_args_is_help=True,
                           pretty_exceptions_show_locals=False, add_completion=False)
_err = Console(stderr=True)
_out = Console()
RATIO_MEASURES = ("RR", "OR", "ROM")
MAX_ROWS = 1_000_000
_COLUMNS = {"RR": ("ai", "bi", "ci", "di"), "OR": ("ai", "bi", "ci", "di"), "GEN": ("yi", "vi")}
_MEANS = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
MethodOpt = Annotated[str, typer.Option("--method", help="tau² estimator: REML, DL, PM, ML, HS, SJ or FE.")]
HksjOpt = Annotated[bool, typer.Option("--hksj", help="Knapp–Hartung (HKSJ) t-based intervals.")]
LangOpt = Annotated[str, typer.Option("--lang", help="Plot labels: en or ar.")]
StudiesOpt = Annotated[Path | None, typer.Option("--studies", exists=True, dir_okay=False,
                                                 help="Extra studies CSV (default: $SCARWISE_EVIDENCE_FILE).")]


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: such numbers become null."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(_clean(data), ensure_ascii=False, allow_nan=False) + "\n")


def _finite(x: float) -> float | None:
    return x if isinstance(x, float) and math.isfinite(x) else None


def meta_json(result: MetaResult, measure: str) -> dict[str, Any]:
    """The ``meta`` JSON: the pooled result, plus ratio-scale values for RR/OR/ROM."""
    data: dict[str, Any] = {"measure": measure, **result.to_json()}
    if measure in RATIO_MEASURES:
        data["exp"] = {key: _finite(float(np.exp(getattr(result, key))))
                       for key in ("estimate", "ci_lb", "ci_ub", "pi_lb", "pi_ub")}
    return data


def _print_result(result: MetaResult, measure: str, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    exp = measure in RATIO_MEASURES
    scale = f" ({measure}, ratio scale)" if exp else f" ({measure})"
    tr = np.exp if exp else (lambda a: a)
    table.add_row("studies (k)", str(result.k))
    table.add_row(f"estimate{scale}", f"{tr(result.estimate):.4f}")
    table.add_row(f"{result.ci_level:.0%} CI", f"{tr(result.ci_lb):.4f} to {tr(result.ci_ub):.4f}")
    table.add_row("prediction interval", f"{tr(result.pi_lb):.4f} to {tr(result.pi_ub):.4f}")
    table.add_row("p", f"{result.p:.3g}")
    table.add_row(f"tau² ({result.method})", f"{result.tau2:.4f} [{result.tau2_ci_lb:.4f}, {result.tau2_ci_ub:.4f}]")
    table.add_row("I² / H²", f"{result.i2:.1f}% / {result.h2:.2f}")
    table.add_row("Q (df, p)", f"{result.q:.2f} ({result.q_df}, {result.q_p:.3g})")
    _out.print(table)


def read_effects_csv(path: Path, measure: str) -> tuple[list[str], dict[str, list[str]], Any]:
    """Read a metafor-style CSV and compute effects; returns labels, raw columns and EffectSizes."""
    measure = measure.upper()
    needed = _COLUMNS.get(measure, _MEANS)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            numbered = [(i, line) for i, line in enumerate(fh, start=1) if not line.lstrip().startswith("#")]
            if len(numbered) > MAX_ROWS:
                raise TooLargeError(f"{path.name} has more than {MAX_ROWS:,} rows")
        reader = csv.reader(line for _, line in numbered)
        table = list(reader)
    except UnicodeDecodeError:
        raise InvalidFileError(f"{path.name} is not UTF-8 CSV text") from None
    except csv.Error as exc:
        raise InvalidFileError(f"{path.name} is not valid CSV: {exc}") from None
    if not table:
        raise InvalidFileError(f"{path.name} is empty; expected a header row")
    header = [h.strip() for h in table[0]]
    rows = []
    for (line, _), cells in zip(numbered[1:], table[1:], strict=False):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InvalidFileError(f"{path.name}: line {line}: {len(cells)} fields, header has {len(header)}")
        rows.append((line, dict(zip(header, (c.strip() for c in cells), strict=True))))
    missing = [c for c in needed if c not in header]
    if missing:
        raise InvalidFileError(f"{path.name}: measure {measure} needs columns {', '.join(needed)}; "
                               f"missing {', '.join(missing)} (found: {', '.join(header) or 'none'})")
    if len(rows) < 2:
        raise InvalidFileError(f"{path.name}: need at least 2 data rows, found {len(rows)}")
    values: dict[str, list[float]] = {c: [] for c in needed}
    for line, row in rows:
        for c in needed:
            try:
                x = float(row[c])
            except (TypeError, ValueError):
                raise InvalidFileError(f"{path.name}: line {line}: column '{c}': {row[c]!r} is not a number") from None
            if not math.isfinite(x):
                raise InvalidFileError(f"{path.name}: line {line}: column '{c}' is not finite")
            values[c].append(x)
    labels = [row.get("study") or f"study {i + 1}" for i, (_, row) in enumerate(rows)]
    raw = {h: [row.get(h, "") for _, row in rows] for h in header}
    return labels, raw, effect_sizes(measure, **values)


def meta_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with metafor-style columns.")],
    measure: Annotated[str, typer.Option("--measure", help="RR, OR (ai,bi,ci,di); SMD, MD, ROM "
                                         "(m1i,sd1i,n1i,m2i,sd2i,n2i); GEN (yi,vi).")],
    method: MethodOpt = "REML",
    hksj: HksjOpt = False,
    level: Annotated[float, typer.Option("--level", help="Confidence level, e.g. 0.95.")] = 0.95,
    by: Annotated[str | None, typer.Option("--by", help="Column with subgroup labels.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Forest plot file (.png or .svg).")] = None,
    funnel: Annotated[Path | None, typer.Option("--funnel", help="Funnel plot file (.png or .svg).")] = None,
    cumulative_path: Annotated[Path | None, typer.Option("--cumulative", help="Cumulative plot by the 'year' "
                                                         "column (.png or .svg).")] = None,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
) -> None:
    """Meta-analysis of any CSV: fixed or random effects, heterogeneity, prediction interval, bias checks."""
    with user_errors():
        measure = measure.upper()
        labels, raw, es = read_effects_csv(file, measure)
        result = meta_analysis(es.yi, es.vi, method=method, hksj=hksj, ci_level=level)
        data = meta_json(result, measure)
        data["studies"] = labels
        data["egger"] = data["trim_and_fill"] = None
        notes: list[str] = []
        tf = None
        if result.k >= 3:
            reg = result.method if result.method in ("FE", "DL", "ML") else "REML"
            try:   # both regress effects on standard errors: undefined when every study is equally precise
                eg = egger_test(es.yi, es.vi, method=reg)
                tf = trim_and_fill(es.yi, es.vi, method=result.method)
            except ScarwiseError as exc:
                notes.append(f"Egger's test and trim-and-fill skipped: {exc}")
            else:
                data["egger"] = {"slope": eg.slope, "se": eg.se, "z": eg.stat, "p": eg.p, "method": reg}
                data["trim_and_fill"] = {"side": tf.side, "k0": tf.k0, "estimate": tf.adjusted.estimate,
                                         "ci_lb": tf.adjusted.ci_lb, "ci_ub": tf.adjusted.ci_ub}
        else:
            notes.append("Egger's test and trim-and-fill need at least 3 studies")
        data["notes"] = notes
        groups = None
        sub = None
        if by is not None:
            if by not in raw:
                raise InvalidFileError(f"{file.name}: no column {by!r} for --by")
            groups = raw[by]
            sub = subgroup_analysis(es.yi, es.vi, groups, method=method, hksj=hksj, ci_level=level)
            data["subgroups"] = {"q_between": sub.q_between, "df": sub.df, "p": _finite(sub.p), "groups": [
                {"name": g, **(r.to_json() if r is not None else {"k": 1, "estimate": s[0], "se": math.sqrt(s[1])})}
                for g, r, s in zip(sub.groups, sub.results, sub.single_study, strict=True)]}
            if len(sub.groups) >= 2 and result.k > len(sub.groups):
                reg_method = result.method if result.method in ("FE", "DL", "ML") else "REML"
                mr = regression_by_category(es.yi, es.vi, groups, method=reg_method)
                data["regression"] = {"method": reg_method, "tau2": mr.tau2, "qm": mr.qm, "qm_p": mr.qm_p,
                                      "qe": mr.qe, "qe_p": mr.qe_p, "coefficients": [
                                          {"name": n, "estimate": b, "se": se, "p": p}
                                          for n, b, se, p in zip(mr.names, mr.coef, mr.se, mr.p, strict=True)]}
        exp = measure in RATIO_MEASURES
        if plot is not None:
            _plots().forest_plot(labels, es.yi, es.vi, plot, result=result, subgroups=sub, groups=groups, lang=lang,
                        exp=exp, effect_label=measure, ci_level=level)
        if funnel is not None:
            _plots().funnel_plot(es.yi, es.vi, funnel, estimate=result.estimate, lang=lang, exp=exp,
                        filled_yi=tf.filled_yi if tf else (), filled_vi=tf.filled_vi if tf else ())
        if cumulative_path is not None:
            if "year" not in raw:
                raise InvalidFileError(f"{file.name}: --cumulative needs a 'year' column")
            try:
                years = [float(y) for y in raw["year"]]
            except ValueError:
                raise InvalidFileError(f"{file.name}: column 'year' must be numeric") from None
            perm, batch = cumulative(es.yi, es.vi, years, method=method, hksj=hksj, ci_level=level)
            _plots().cumulative_plot([labels[i] for i in perm[1:]], batch, cumulative_path, lang=lang, exp=exp)
    if as_json:
        _emit(data)
    else:
        _print_result(result, measure, f"Meta-analysis of {file.name}")


@evidence_app.command("list")
def list_command(
    treatment: Annotated[str | None, typer.Option("--treatment", help="e.g. prp, svf, exosomes.")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="e.g. ecca, goodman_baron.")] = None,
    studies: StudiesOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the curated studies (optionally of one treatment or outcome scale)."""
    with user_errors():
        table = load_studies(studies)
        chosen = table.filter(treatment=treatment, outcome=outcome)
    if as_json:
        _emit({"version": table.version, "studies": [s.summary() for s in chosen]})
        return
    out = Table(title=f"Evidence table {table.version} ({len(chosen)} studies)", title_justify="left")
    for col in ("id", "year", "design", "n", "treatments", "comparator", "outcome", "verified"):
        out.add_column(col)
    for s in chosen:
        out.add_row(s.id, str(s.year or "?"), s.design, str(s.n or "?"), ", ".join(s.treatments), s.comparator,
                    s.outcome_scale, "yes" if s.verified else "NO")
    _out.print(out)


@evidence_app.command("pool")
def pool_command(
    treatment: Annotated[str, typer.Option("--treatment", help="Treatment category, e.g. prp.")],
    outcome: Annotated[str, typer.Option("--outcome", help="Outcome scale, e.g. goodman_baron.")],
    method: MethodOpt = "REML",
    hksj: HksjOpt = False,
    include_unverified: Annotated[bool, typer.Option("--include-unverified",
                                                     help="Also pool studies whose numbers are unverified.")] = False,
    studies: StudiesOpt = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Forest plot file (.png or .svg).")] = None,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
) -> None:
    """Pool the curated studies of one treatment on one outcome scale."""
    with user_errors():
        table = load_studies(studies)
        pooled = pool_evidence(table, treatment=treatment, outcome=outcome, method=method, hksj=hksj,
                               include_unverified=include_unverified)
        if plot is not None:
            by_id = {s.id: s for s in table.studies}
            used = [by_id[i] for i in pooled.studies]
            _plots().forest_plot([f"{s.first_author} {s.year or ''}".strip() for s in used], [s.yi for s in used],
                        [s.vi for s in used], plot, result=pooled.result, lang=lang,
                        exp=pooled.measure in RATIO_MEASURES, effect_label=pooled.measure)
    if as_json:
        _emit({**meta_json(pooled.result, pooled.measure), "studies": list(pooled.studies),
               "excluded": [{"id": i, "reason": r} for i, r in pooled.excluded], "version": table.version,
               "treatment": treatment, "outcome": outcome})
        return
    _print_result(pooled.result, pooled.measure, f"{treatment} on {outcome}: {', '.join(pooled.studies)}")
    if pooled.excluded:
        _err.print(f"left out: {', '.join(i for i, _ in pooled.excluded)}")
