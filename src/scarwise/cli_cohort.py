"""``scarwise predict`` and ``scarwise cohort ...``: virtual cohorts, calibration and prediction.

``cli.py`` wires them with ``app.command("predict")(predict_command)`` and
``app.add_typer(cohort_app, name="cohort")``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scarwise._cli_common import emit_json, user_errors
from scarwise.core.errors import InvalidParameterError

cohort_app = typer.Typer(help="Virtual cohorts: run, calibrate to evidence, sensitivity, held-back checks.",
                         no_args_is_help=True)
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler address (default: $SCARWISE_DASK_SCHEDULER, else a LocalCluster).")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, max=256, help="LocalCluster worker processes.")]
SerialOpt = Annotated[bool, typer.Option("--serial", help="Run in this process, without Dask.")]


def _months(text: str) -> list[float]:
    try:
        months = [float(m) for m in text.split(",") if m.strip()]
    except ValueError:
        raise InvalidParameterError(f"--months must be comma-separated numbers such as 3,6,12, got {text!r}") from None
    if not months or any(not 0 < m <= 120 for m in months) or months != sorted(set(months)):
        raise InvalidParameterError(f"--months must be increasing numbers in (0, 120], got {text!r}")
    return months


def _plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for k, p in enumerate(result["protocols"]):
        m = [0.0, *p["months"]]
        q = {key: [0.0, *v] for key, v in p["improvement_pct"].items()}
        colour = f"C{k}"
        ax.fill_between(m, q["p05"], q["p95"], color=colour, alpha=0.12)
        ax.fill_between(m, q["p25"], q["p75"], color=colour, alpha=0.28)
        ax.plot(m, q["median"], color=colour, lw=2, label=f"{p['name']}{'' if p['calibrated'] else ' (uncalibrated)'}")
    ax.axhline(10, color="0.4", ls=":", lw=1)
    ax.set_xlabel("months after the first session")
    ax.set_ylabel("scar volume reduction, %")
    ax.set_title("Model prediction (median, 50% and 90% ranges) — not evidence", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    fitted = [p["name"] for p in result["protocols"] if p["calibrated"]]
    fig.text(0.01, 0.01, f"evidence {result['evidence_version']}; calibrated: {', '.join(fitted) or 'none'}",
             fontsize=6, color="0.35")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=130)
    plt.close(fig)


def predict_command(
    scan: Annotated[Path, typer.Option("--scan", exists=True, dir_okay=False, help="Scan of the patient's skin.")],
    protocol: Annotated[list[str], typer.Option("--protocol", help="Protocol name; repeat to compare.")],
    months: Annotated[str, typer.Option("--months", help="Report months, e.g. 3,6,12.")] = "3,6,12",
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the virtual twins.")] = 0,
    draws: Annotated[int, typer.Option("--draws", min=50, max=100_000, help="Virtual twins per protocol.")] = 2000,
    age: Annotated[float | None, typer.Option("--age", min=10, max=100, help="Patient age in years.")] = None,
    pixel_mm: Annotated[float | None, typer.Option(
        "--pixel-mm", min=0.0, help="Pixel size in mm; overrides the file's (with a warning).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", dir_okay=False, help="Write a PNG fan chart here.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Predict the range of improvement for this patient's scars under each protocol (a model prediction)."""
    from scarwise.cohort import burden_from_measure, predict_burden
    from scarwise.surface.io import read_surface
    from scarwise.surface.measure import measure_surface

    with user_errors():
        month_list = _months(months)
        surface = read_surface(scan, pixel_mm=pixel_mm)
        burden = burden_from_measure(surface, measure_surface(surface))
        result = predict_burden(burden, protocol, months=month_list, seed=seed, n_draws=draws, age_years=age)
        if plot is not None:
            _plot(result, plot)
    if json_out:
        emit_json(result)
        return
    out = Console()
    out.print(f"[bold]{result['label']}[/]\nevidence {result['evidence_version']}: {result['calibration']['note']}")
    table = Table(title=f"{len(burden.ids)} scar(s); volume reduction % (median [50%] [90%]); P(<10%)",
                  title_justify="left")
    table.add_column("protocol")
    for m in month_list:
        table.add_column(f"{m:g} mo", justify="right")
    for p in result["protocols"]:
        q = p["improvement_pct"]
        cells = [f"{q['median'][j]:.0f} [{q['p25'][j]:.0f}–{q['p75'][j]:.0f}] [{q['p05'][j]:.0f}–{q['p95'][j]:.0f}]; "
                 f"{p['p_below_10pct'][j]:.0%}" for j in range(len(month_list))]
        table.add_row(p["name"] + ("" if p["calibrated"] else " *"), *cells)
    out.print(table)
    out.print("* uncalibrated: see the calibration note above (`scarwise cohort calibrate` says why)")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)


@cohort_app.command("run")
def run_command(
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Run folder (Parquet chunks; resumable).")],
    protocol: Annotated[list[str], typer.Option("--protocol", help="Protocol name; repeat for several.")],
    n: Annotated[int, typer.Option("--n", min=1, max=10_000_000, help="Virtual patients.")] = 10_000,
    months: Annotated[str, typer.Option("--months", help="Report months, e.g. 3,6,12.")] = "3,6,12",
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, max=100_000)] = 500,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
    serial: SerialOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Simulate a virtual cohort under each protocol; an interrupted run resumes where it stopped."""
    import numpy as np

    from scarwise.cohort import dask_client, read_cohort, run_cohort

    with user_errors():
        month_list = _months(months)
        with _progress() as bar:
            task = bar.add_task("chunks", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if serial:
                run = run_cohort(out, n_patients=n, seed=seed, protocols=protocol, months=month_list,
                                 chunk_size=chunk_size, on_chunk=tick)
            else:
                with dask_client(scheduler, n_workers=workers) as client:
                    run = run_cohort(out, n_patients=n, seed=seed, protocols=protocol, months=month_list,
                                     chunk_size=chunk_size, client=client, on_chunk=tick)
        cols = read_cohort(out).to_pydict()
    prot, mon, imp = (np.asarray(cols[k]) for k in ("protocol", "month", "improvement_pct"))
    summary = []
    for p in protocol:
        for m in month_list:
            x = imp[(prot == p) & (mon == m)]
            summary.append({"protocol": p, "month": m, "median": float(np.median(x)),
                            "p05": float(np.percentile(x, 5)), "p95": float(np.percentile(x, 95)),
                            "p_below_10pct": float((x < 10).mean())})
    if json_out:
        emit_json({"run": run.to_json(), "summary": summary,
                   "label": "model prediction over virtual patients (uncalibrated priors unless stated)"})
        return
    Console().print(f"{run.chunks_computed} chunk(s) computed, {run.chunks_skipped} already done → {run.path}")
    for s in summary:
        Console().print(f"{s['protocol']:>36} {s['month']:>4g} mo: median {s['median']:.1f}% "
                        f"(90%: {s['p05']:.1f}–{s['p95']:.1f}), P(<10%) {s['p_below_10pct']:.0%}")


@cohort_app.command("calibrate")
def calibrate_command(
    write: Annotated[Path | None, typer.Option("--write", dir_okay=False,
                                               help="Write the calibration JSON (posterior) here.")] = None,
    studies: Annotated[Path | None, typer.Option("--studies", exists=True, dir_okay=False,
                                                 help="Extra evidence CSV (as SCARWISE_EVIDENCE_FILE).")] = None,
    draws: Annotated[int, typer.Option("--draws", min=10, max=1_000_000)] = 400,
    accept: Annotated[float, typer.Option("--accept", min=0.001, max=1.0)] = 0.1,
    check_replicates: Annotated[int, typer.Option(
        "--check-replicates", min=10, max=100_000, help="Simulated trials per study check.")] = 200,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
    serial: SerialOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Fit the population parameters to verified effects (ABC); check studies against their predictive intervals."""
    from scarwise.cohort import (
        calibrate,
        calibration_record,
        dask_client,
        evidence_targets,
        identifiable_parameters,
        study_checks,
    )
    from scarwise.evidence import load_studies

    with user_errors():
        table = load_studies(extra=studies)
        targets, status = evidence_targets(table)
        posterior = None
        if targets:
            kw = {"evidence_version": table.version, "n_draws": draws, "accept": accept, "seed": seed,
                  "parameters": identifiable_parameters(targets)}
            if serial:
                posterior = calibrate(targets, **kw)
            else:
                with dask_client(scheduler, n_workers=workers) as client:
                    posterior = calibrate(targets, client=client, **kw)
        checks = study_checks(table, posterior, seed=seed, replicates=check_replicates)
        record = calibration_record(status, evidence_version=table.version, posterior=posterior, held_back=checks,
                                    settings={"check_replicates": check_replicates,
                                              "command": f"scarwise cohort calibrate --draws {draws} --accept "
                                                         f"{accept} --check-replicates {check_replicates} "
                                                         f"--seed {seed}"})
        if write is not None:
            write.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    if json_out:
        emit_json(record)
        return
    out = Console()
    out.print(f"evidence {record['evidence_version']}: {record['note']}")
    for name, entry in record["protocols"].items():
        out.print(f"  {name}: {'calibrated' if entry['calibrated'] else 'uncalibrated'} — {entry['reason']}")
    for c in record["coverage"]:
        lo, hi = c["ci"]
        out.print(f"fit {c['target']} ({c['kind']}): target {c['estimate']:.1f} (95% CI {lo:.1f} to {hi:.1f}), "
                  f"simulated median {c['simulated_median']:.2f} → {'inside' if c['within_ci'] else 'OUTSIDE'} "
                  f"({c['z']:+.1f} SE from the estimate"
                  + ("; the CI includes 0, so no effect would also be inside)" if c["ci_includes_zero"] else ")"))
    for c in checks:
        _print_check(out, c)


def _print_check(out: Console, res: dict[str, Any]) -> None:
    head = f"{res['study']} ({'held back' if res['held_back'] else 'used in the fit'}; {res.get('population', '')})"
    out.print(head)
    for arm, a in res["arms"].items():
        lo, hi = a["predicted_interval_pct"]
        out.print(f"  {arm}: reported {a['reported_pct']:.1f}%, model {a['predicted_median_pct']:.1f}% "
                  f"({res['level']:.0%}: {lo:.1f}–{hi:.1f}) → {'inside' if a['within'] else 'OUTSIDE'}")
    if "effect" in res:
        e = res["effect"]
        lo, hi = e["predicted_interval"]
        out.print(f"  effect: reported {e['reported']:.1f} (SE {e['reported_se']:.1f}), model median "
                  f"{e['simulated_median']:.2f}, predicted {res['level']:.0%} interval with the study's SE "
                  f"{lo:.1f} to {hi:.1f} → {'inside' if e['within'] else 'OUTSIDE'}")


@cohort_app.command("sensitivity")
def sensitivity_command(
    protocol: Annotated[str, typer.Option("--protocol")] = "fractional_co2",
    month: Annotated[float, typer.Option("--month", min=0.1, max=120)] = 6.0,
    n_base: Annotated[int, typer.Option("--n-base", min=8, max=65536, help="Saltelli base samples (power of 2).")]
    = 512,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Sobol indices (SALib) of one boxcar scar's improvement with respect to the per-patient multipliers."""
    from scarwise.cohort import sobol_indices

    with user_errors():
        if n_base & (n_base - 1):
            raise InvalidParameterError(f"--n-base must be a power of 2, got {n_base}")
        res = sobol_indices(protocol, month=month, n_base=n_base, seed=seed)
    if json_out:
        emit_json({"protocol": protocol, "month": month, "indices": res})
        return
    for k, v in sorted(res.items(), key=lambda kv: -kv[1]["ST"]):
        Console().print(f"{k:>26}: S1 {v['S1']:.2f}  ST {v['ST']:.2f} (±{v['ST_conf']:.2f})")


@cohort_app.command("check")
def check_command(
    study: Annotated[str, typer.Argument(help="Study id with a known design, e.g. park2019.")] = "park2019",
    replicates: Annotated[int, typer.Option("--replicates", min=10, max=100_000)] = 200,
    calibration: Annotated[Path | None, typer.Option(
        "--calibration", exists=True, dir_okay=False,
        help="Calibration JSON (default: the packaged one); its posterior is used if it covers the study's arm.")]
    = None,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Check a study's reported arms and effect against the model's predictive interval for its design."""
    from scarwise.cohort import check_with_calibration, load_posterior

    with user_errors():
        res = check_with_calibration(study, load_posterior(calibration), seed=seed, replicates=replicates)
    if json_out:
        emit_json(res)
        return
    _print_check(Console(), res)
