"""The ``scarwise`` command line: each command parses, delegates and prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from scarwise._cli_common import JsonOpt, PixelOpt, emit_json, err, user_errors

__all__ = ["JsonOpt", "PixelOpt", "app", "emit_json", "err", "user_errors"]

app = typer.Typer(
    help="scarwise: measure acne scars in 3D, simulate and weigh regenerative therapies.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
def _measure_table(result: Any, title: str) -> tuple[Table, Table]:
    iso = Table(title=f"ISO 25178 — {title}", title_justify="left")
    iso.add_column("parameter")
    iso.add_column("value", justify="right")
    for name, value in result.iso25178.items():
        iso.add_row(name, "—" if value is None else f"{value:.4g}")
    scars = Table(title=f"{len(result.scars)} scar(s)", title_justify="left")
    for col in ("id", "type", "x mm", "y mm", "width mm", "depth mm", "area mm²", "volume mm³"):
        scars.add_column(col, justify="left" if col == "type" else "right", no_wrap=col == "type")
    for s in result.scars:
        scars.add_row(str(s.id), s.type, f"{s.centroid_mm[0]:.2f}", f"{s.centroid_mm[1]:.2f}",
                      f"{s.width_mm:.2f}", f"{s.depth_mm:.3f}", f"{s.area_mm2:.2f}", f"{s.volume_mm3:.4f}")
    return iso, scars


def _print_measure(result: Any, title: str) -> None:
    out = Console()
    iso, scars = _measure_table(result, title)
    out.print(iso)
    out.print(scars)
    g = result.grade
    qualitative = "not given (clinician input)" if g.goodman_baron_qualitative is None else g.goodman_baron_qualitative
    out.print(
        f"Goodman & Baron quantitative: {g.goodman_baron_quantitative} / {g.goodman_baron_quantitative_max}   "
        f"ECCA: {g.ecca} / {g.ecca_max}   Goodman & Baron qualitative: {qualitative}"
    )
    if not g.verified:
        out.print("[dim]Scale constants are not yet checked against the primary papers (verified: false).[/]")
    if g.inputs_needed:
        out.print(f"[dim]Inputs a 3D scan cannot give, needed for complete grades: {', '.join(g.inputs_needed)}[/]")


@app.command()
def measure(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Scan file.")],
    pixel_mm: PixelOpt = None,
    as_json: JsonOpt = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a scar map PNG here.")] = None,
    form: Annotated[str, typer.Option("--form", help="Form removed for ISO 25178: plane, poly:N or none.")] = "plane",
    lc_mm: Annotated[float | None, typer.Option("--lc", help="L-filter cut-off in mm (ISO 16610-61).")] = None,
    ls_mm: Annotated[float | None, typer.Option("--ls", help="S-filter cut-off in mm (ISO 16610-61).")] = None,
    max_points: Annotated[int | None, typer.Option("--max-points", help="Largest number of points to read.")] = None,
) -> None:
    """Measure ISO 25178 parameters, scars and grades of one scan."""
    from scarwise.surface.io import read_surface
    from scarwise.surface.measure import measure_surface

    with user_errors():
        surface = read_surface(path, pixel_mm=pixel_mm, max_points=max_points)
        result = measure_surface(surface, form=form, lc_mm=lc_mm, ls_mm=ls_mm)
        if plot is not None:
            from scarwise.surface.plot import plot_scar_map

            plot_scar_map(surface, result, plot)
    if as_json:
        emit_json(result.to_json())
    else:
        _print_measure(result, path.name)
        if plot is not None:
            Console().print(f"scar map written to {plot}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo scan, JSON and PNG.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic cheek.")] = 7,
) -> None:
    """Make a realistic synthetic cheek scan, measure it, and write the scar map and JSON."""
    from scarwise.surface.io import write_surface
    from scarwise.surface.measure import measure_surface
    from scarwise.surface.plot import plot_scar_map
    from scarwise.surface.synthetic import demo_patch

    console = Console()
    with user_errors():
        with console.status("making a synthetic cheek scan…"):
            patch = demo_patch(seed)
            out.mkdir(parents=True, exist_ok=True)
            scan_path = write_surface(patch.surface, out / "demo-scan.x3p")
        with console.status("measuring…"):
            result = measure_surface(patch.surface)
        json_path = out / "demo-measure.json"
        json_path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
        png_path = plot_scar_map(patch.surface, result, out / "demo-scar-map.png")
    _print_measure(result, f"synthetic cheek (seed {seed}, {len(patch.scars)} scars placed)")
    console.print(f"demo scan:  {scan_path}")
    console.print(f"measure JSON: {json_path}")
    console.print(f"scar map PNG: {png_path}")
    console.print(f"[dim]Measure it again with: scarwise measure {scan_path} --plot map.png[/]")


def _register_commands() -> None:
    """Attach the commands that live in their own modules (each a thin wrapper)."""
    from scarwise.cli_capture import calibrate_lights_command, capture_command, colour_command

    app.command("capture")(capture_command)
    app.command("colour")(colour_command)
    app.command("calibrate-lights")(calibrate_lights_command)

    from scarwise.cli_therapy import plan_command, protocols_command, simulate_command

    app.command("simulate")(simulate_command)
    app.command("protocols")(protocols_command)
    app.command("plan")(plan_command)

    from scarwise.cli_compare import compare_command

    app.command("compare")(compare_command)

    from scarwise.cli_cohort import cohort_app, predict_command

    app.command("predict")(predict_command)
    app.add_typer(cohort_app, name="cohort")

    from scarwise.cli_report import report_command

    app.command("report")(report_command)

    from scarwise.cli_clinic import admin_app, serve_command

    app.add_typer(admin_app, name="admin")
    app.command("serve")(serve_command)

    from scarwise.cli_backup import (
        backup_command,
        patient_erase_command,
        patient_export_command,
        restore_command,
    )

    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
    app.command("patient-export")(patient_export_command)
    app.command("patient-erase")(patient_erase_command)

    from scarwise.cli_fhir import fhir_app

    app.add_typer(fhir_app, name="fhir")

    from scarwise.cli_evidence import evidence_app, meta_command

    app.add_typer(evidence_app, name="evidence")
    app.command("meta")(meta_command)


_register_commands()


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
