"""``scarwise compare BASELINE FOLLOWUP``: align two visits and report the change scar by scar.

``cli.py`` wires it with ``app.command("compare")(compare_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _print_comparison(result: Any, baseline: str, followup: str) -> None:
    out = Console()
    reg = result.registration
    out.print(f"[bold]{followup}[/] aligned onto [bold]{baseline}[/]: dx {reg.dx_mm:.3f} mm, "
              f"dy {reg.dy_mm:.3f} mm, rotation {reg.rotation_deg:.3f}°, scale {reg.scale:.4f}; "
              f"overlap {reg.overlap_fraction:.0%}, residual {reg.residual_rms_mm * 1000:.1f} µm RMS, "
              f"inliers {reg.inlier_fraction:.0%}")
    table = Table(title=f"{len(result.scars)} scar(s) in the overlap", title_justify="left")
    for col in ("baseline id", "follow-up id", "x mm", "y mm", "depth before mm", "depth after mm",
                "volume before mm³", "volume after mm³", "change %"):
        table.add_column(col, justify="right")
    for s in result.scars:
        table.add_row(_fmt(s.baseline_id, "d") if s.baseline_id is not None else "new",
                      _fmt(s.followup_id, "d") if s.followup_id is not None else "gone",
                      f"{s.centroid_mm[0]:.2f}", f"{s.centroid_mm[1]:.2f}",
                      f"{s.depth_mm_before:.3f}", f"{s.depth_mm_after:.3f}",
                      f"{s.volume_mm3_before:.4f}", f"{s.volume_mm3_after:.4f}",
                      _fmt(s.volume_change_pct, "+.1f"))
    out.print(table)
    total = result.to_json()["total"]
    out.print(f"total volume {total['volume_mm3_before']:.4f} → {total['volume_mm3_after']:.4f} mm³ "
              f"({_fmt(total['volume_change_pct'], '+.1f')}%)")
    gb, ga = result.grade_before, result.grade_after
    out.print(f"Goodman & Baron quantitative {gb.goodman_baron_quantitative} → {ga.goodman_baron_quantitative}; "
              f"ECCA {gb.ecca} → {ga.ecca}")
    if result.outside_overlap_baseline_ids or result.outside_overlap_followup_ids:
        out.print(f"[dim]not compared (cut by the other scan's edge): baseline "
                  f"{list(result.outside_overlap_baseline_ids)}, follow-up "
                  f"{list(result.outside_overlap_followup_ids)}[/]")


def compare_command(
    baseline: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Scan of the first visit.")],
    followup: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Scan of a later visit.")],
    pixel_mm: Annotated[
        float | None,
        typer.Option("--pixel-mm", help="Pixel size in mm for both scans; overrides the files' (with a warning).",
                     min=0.0),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the before/after figure (PNG) here.")] = None,
) -> None:
    """Align a follow-up scan onto the baseline and report the change of each scar."""
    # Imported here, not at the top: cli.py imports this module to wire the command.
    from scarwise._cli_common import emit_json, err, user_errors
    from scarwise.surface.io import read_surface
    from scarwise.surface.register import compare_surfaces

    with user_errors():
        base = read_surface(baseline, pixel_mm=pixel_mm)
        follow = read_surface(followup, pixel_mm=pixel_mm)
        with err.status("aligning the scans, measuring both visits, matching scars…"):  # stderr: JSON stays clean
            result = compare_surfaces(base, follow)
        if plot is not None:
            from scarwise.surface.plot_compare import plot_comparison

            plot_comparison(base, follow, result, plot)
    if as_json:
        emit_json(result.to_json())
    else:
        _print_comparison(result, baseline.name, followup.name)
        if plot is not None:
            Console().print(f"figure written to {plot}")
