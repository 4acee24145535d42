"""``scarwise simulate``, ``scarwise protocols`` and ``scarwise plan``.

``cli.py`` wires them with ``app.command("simulate")(simulate_command)``,
``app.command("protocols")(protocols_command)`` and ``app.command("plan")(plan_command)``.
Every output is labelled as a model prediction with its parameter source and calibration status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from scarwise._cli_common import emit_json, user_errors
from scarwise.core.errors import InvalidParameterError

PixelOpt = Annotated[
    float | None,
    typer.Option("--pixel-mm", help="Pixel size in mm; overrides the file's (with a warning).", min=0.0),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
ProtocolsFileOpt = Annotated[
    Path | None,
    typer.Option("--protocols-file", exists=True, dir_okay=False,
                 help="Protocol catalogue (JSON, same layout as the built-in one) to use instead."),
]
TABLE_DAYS = (30.0, 90.0, 180.0)


def _region_of(surface: Any, sim_pixel_mm: float) -> tuple[Any, list[int]]:
    """Measure the surface, build the simulation region, coarsen it; also the scar ids left out."""
    from scarwise.surface.measure import measure_surface
    from scarwise.therapy import coarsen_region, region_from_labels

    measured = measure_surface(surface)
    region = region_from_labels(surface, measured.skin_level_mm, measured.labels, measured.scars)
    factor = max(1, int(round(sim_pixel_mm / min(surface.dx_mm, surface.dy_mm))))
    region = coarsen_region(region, factor)
    kept = set(region.scar_ids)
    dropped = [s.id for s in measured.scars if s.type != "hypertrophic" and s.depth_mm > 0 and s.id not in kept]
    return region, dropped


def report_days(days: float, every: float) -> list[float]:
    """Day 0, every ``every`` days, the table days (30, 90, 180) within range, and ``days``."""
    out = {0.0, float(days), *(d for d in TABLE_DAYS if d <= days)}
    k = 1
    while k * every < days:
        out.add(round(k * every, 9))
        k += 1
    return sorted(out)


def _print_course(res: Any, dropped: list[int]) -> None:
    out = Console()
    status = "calibrated" if res.calibrated else "UNCALIBRATED"
    out.print(f"[bold]Model prediction ({status})[/] for protocol [bold]{res.protocol}[/]; "
              f"sessions on days {[round(d, 1) for d in res.session_days]}")
    out.print(f"[dim]parameters: {res.parameter_source}. A mechanistic model with prior parameters, "
              "not evidence that the treatment works.[/]")
    shown = [d for d in res.days if d in TABLE_DAYS or d == res.days[-1]]
    table = Table(title_justify="left")
    table.add_column("scar", justify="right")
    table.add_column("depth mm (day 0)", justify="right")
    for d in shown:
        table.add_column(f"depth / volume change day {d:g}", justify="right")
    for s in res.scars:
        v0 = s.volume_mm3[0]
        cells = []
        for d in shown:
            k = res.days.index(d)
            change = 100.0 * (s.volume_mm3[k] - v0) / v0 if v0 > 0 else 0.0
            cells.append(f"{s.depth_mm[k]:.3f} mm / {change:+.0f}%")
        flag = " [red](hypertrophy)[/]" if s.hypertrophy else ""
        table.add_row(f"{s.id}{flag}", f"{s.depth_mm[0]:.3f}", *cells)
    out.print(table)
    if dropped:
        out.print(f"[yellow]not simulated (smaller than the simulation grid; lower --sim-pixel-mm): {dropped}[/]")


def simulate_command(
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol name (see `scarwise protocols`); "
                                          "'none' is the untreated course.")],
    scan: Annotated[Path | None, typer.Option("--scan", exists=True, dir_okay=False, help="Scan to simulate.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Use the built-in synthetic cheek patch.")] = False,
    days: Annotated[float, typer.Option("--days", help="Simulated span in days.", min=1.0, max=3650.0)] = 180.0,
    every: Annotated[float, typer.Option("--every", help="Report interval in days.", min=0.1)] = 10.0,
    sessions: Annotated[int | None, typer.Option("--sessions", help="Override the number of sessions.", min=0)] = None,
    interval: Annotated[float | None, typer.Option("--interval", help="Override days between sessions.")] = None,
    pixel_mm: PixelOpt = None,
    sim_pixel_mm: Annotated[float, typer.Option("--sim-pixel-mm", help="Simulation grid spacing in mm (the scan is "
                                                "block-averaged to about this).", min=0.0)] = 0.1,
    dt: Annotated[float, typer.Option("--dt", help="Time step in days.", min=0.001, max=1.0)] = 0.1,
    backend: Annotated[str, typer.Option("--backend", help="numba (default), numpy or jax.")] = "numba",
    protocols_file: ProtocolsFileOpt = None,
    as_json: JsonOpt = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the depth/volume curves (PNG) here.")] = None,
    animate: Annotated[Path | None, typer.Option("--animate", help="Write an animated GIF of the depth map.")] = None,
) -> None:
    """Predict each scar's depth and volume over time under a protocol (uncalibrated model)."""
    from scarwise.therapy import animate_course, get_backend, get_protocol, plot_course, simulate_protocol

    with user_errors():
        if (scan is None) == (not demo):
            raise InvalidParameterError("give exactly one of --scan PATH or --demo")
        get_backend(backend)  # fail before the (slow) measurement
        prot = get_protocol(protocol, protocols_file).with_schedule(sessions=sessions, interval_days=interval)
        if scan is not None:
            from scarwise.surface.io import read_surface

            surface = read_surface(scan, pixel_mm=pixel_mm)
        else:
            from scarwise.surface.synthetic import demo_patch

            surface = demo_patch().surface
        region, dropped = _region_of(surface, sim_pixel_mm)
        report = report_days(days, every)
        with Progress(TextColumn("simulating"), BarColumn(), TextColumn("day {task.completed:.0f}/{task.total:.0f}"),
                      TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("simulate", total=report[-1])
            res = simulate_protocol(region, prot, days=report, backend=backend, dt_days=dt,
                                    keep_maps=animate is not None,
                                    on_sample=lambda s: bar.update(task, completed=s.t_days))
        if plot is not None:
            plot_course(res, plot)
        if animate is not None:
            animate_course(res, animate)
    if as_json:
        data = res.to_json()
        g = region.grid
        data["region"] = {"nx": g.nx, "ny": g.ny, "dx_mm": g.dx_mm, "dy_mm": g.dy_mm}
        data["not_simulated"] = dropped
        emit_json(data)
    else:
        _print_course(res, dropped)
        if plot is not None:
            Console().print(f"curves written to {plot}")


def protocols_command(as_json: JsonOpt = False, protocols_file: ProtocolsFileOpt = None) -> None:
    """List the treatment protocols (priors for an uncalibrated model; editable JSON)."""
    from scarwise.therapy import load_protocols

    with user_errors():
        protocols = load_protocols(protocols_file)
    details = [{"name": p.name, "label": p.label, "sessions": p.sessions, "interval_days": p.interval_days,
                "product": p.agent.product.name if p.agent else None,
                "route": p.agent.route if p.agent else None, "devices": [d.name for d in p.devices],
                "source": p.source, "verified": p.verified} for p in protocols.values()]
    if as_json:
        emit_json({"protocols": list(protocols), "details": details})
        return
    table = Table(title="protocols (verified = checked against a source; most are priors)", title_justify="left")
    for col in ("name", "sessions", "every (days)", "product", "route", "devices", "verified"):
        table.add_column(col)
    for d in details:
        table.add_row(d["name"], str(d["sessions"]), f"{d['interval_days']:g}", d["product"] or "—",
                      d["route"] or "—", ", ".join(d["devices"]) or "—", "yes" if d["verified"] else "no")
    Console().print(table)


def plan_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Scan to plan on.")],
    protocol: Annotated[str, typer.Option("--protocol", help="An injected protocol (see `scarwise protocols`).")],
    pixel_mm: PixelOpt = None,
    spacing_mm: Annotated[float | None, typer.Option("--spacing-mm", help="Override the site spacing (mm).",
                                                     min=0.0)] = None,
    protocols_file: ProtocolsFileOpt = None,
    as_json: JsonOpt = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the site overlay (PNG) here.")] = None,
) -> None:
    """Injection sites, volumes and doses per scar for one session of a protocol (planning aid)."""
    from scarwise.surface.io import read_surface
    from scarwise.surface.measure import measure_surface
    from scarwise.therapy import PLAN_LABEL, get_protocol, plan_injections, plot_plan, region_from_labels

    with user_errors():
        prot = get_protocol(protocol, protocols_file)
        surface = read_surface(path, pixel_mm=pixel_mm)
        measured = measure_surface(surface)
        region = region_from_labels(surface, measured.skin_level_mm, measured.labels, measured.scars)
        plan = plan_injections(region, prot, spacing_mm=spacing_mm)
        if plot is not None:
            plot_plan(plan, region, plot)
    if as_json:
        emit_json(plan.to_json())
        return
    out = Console()
    out.print(f"[bold]{plan.protocol}[/]: {plan.product} ({plan.route}, depth {plan.depth_mm:g} mm, "
              f"sites every {plan.spacing_mm:g} mm), per session; {plan.sessions} session(s)")
    table = Table(title_justify="left")
    for col in ("scar", "sites", "void mm³", "volume µL", f"dose ({plan.dose_unit})"):
        table.add_column(col, justify="right")
    for row in plan.table_rows():
        table.add_row(*row)
    out.print(table)
    out.print(f"[dim]{PLAN_LABEL}[/]")
    if plot is not None:
        out.print(f"overlay written to {plot}")
