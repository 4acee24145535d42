"""``scarwise capture`` (photometric stereo), ``scarwise colour`` (erythema and melanin maps) and
``scarwise calibrate-lights`` (LIGHTS.json from photographs of a sphere).

``cli.py`` wires them with ``app.command("capture")(capture_command)``,
``app.command("colour")(colour_command)`` and ``app.command("calibrate-lights")(calibrate_lights_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from scarwise._cli_common import emit_json, user_errors
from scarwise.core import InvalidParameterError, MissingPixelSizeError


def capture_command(
    images: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False,
                                                 help="Registered linear images (PNG, TIFF, JPEG), one per light.")],
    lights: Annotated[Path, typer.Option("--lights", exists=True, dir_okay=False,
                                         help='LIGHTS.json {"directions": [[x, y, z], ...]} or a CSV x,y,z.')],
    pixel_mm: Annotated[float, typer.Option("--pixel-mm", help="Pixel size on the skin in mm.")],
    output: Annotated[Path, typer.Option("-o", "--output", dir_okay=False,
                                         help="Height map to write (.x3p, or any scan format).")],
    method: Annotated[str, typer.Option("--method", help="Integrator: auto, dct, fft (Frankot-Chellappa) or lsq.")]
    = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Reconstruct a height map from photographs under known lights (photometric stereo)."""
    from scarwise.capture import capture_scan
    from scarwise.surface.io import write_surface

    console = Console(stderr=True)
    with user_errors():
        with console.status(f"reconstructing from {len(images)} images…"):
            scan = capture_scan(images, lights, pixel_mm=pixel_mm, method=method)
            written = write_surface(scan.surface, output)
    summary = {**scan.summary(), "output": str(written), "images": [str(p) for p in images]}
    if as_json:
        emit_json(summary)
        return
    out = Console()
    s = summary["surface"]
    out.print(f"height map {s['nx']} x {s['ny']} at {s['dx_mm']} mm written to {written}")
    out.print(f"normals found for {100 * summary['valid_fraction']:.1f}% of pixels "
              f"(median {summary['lights_used_median']:.0f} of {len(images)} lights used; "
              f"integrator {summary['method']})")
    out.print(f"[dim]Measure it with: scarwise measure {written}[/]")


def calibrate_lights_command(
    images: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False,
                                                 help="Photographs of the sphere, one per light, in light order.")],
    output: Annotated[Path, typer.Option("-o", "--output", dir_okay=False, help="LIGHTS.json to write.")],
    kind: Annotated[str, typer.Option("--kind", help="chrome (mirror ball) or matte (white ball).")] = "chrome",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Light directions from photographs of a chrome or matte sphere, written as LIGHTS.json."""
    import json

    from scarwise.capture import calibrate_sphere, load_images

    with user_errors():
        if kind not in ("chrome", "matte"):
            raise InvalidParameterError(f"--kind {kind!r} unknown; choose chrome or matte")
        lights = calibrate_sphere(load_images(images), kind=kind)  # type: ignore[arg-type]
        data = lights.to_json()
        try:
            output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InvalidParameterError(f"cannot write {output}: {exc.strerror or exc}") from exc
    if as_json:
        emit_json({**data, "output": str(output)})
        return
    out = Console()
    for k, (d, s) in enumerate(zip(data["directions"], data["intensities"], strict=True)):
        elevation = float(np.degrees(np.arcsin(np.clip(d[2], -1, 1))))
        azimuth = float(np.degrees(np.arctan2(d[1], d[0])))
        out.print(f"light {k}: azimuth {azimuth:6.1f}°, elevation {elevation:5.1f}°, intensity {s:.3f}")
    out.print(f"written to {output}")


def _parse_box(text: str | None) -> tuple[int, int, int, int] | None:
    if text is None:
        return None
    try:
        box = tuple(int(v) for v in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4:
        raise InvalidParameterError(f"--chart must be four whole numbers X0,Y0,X1,Y1 (pixels), got {text!r}")
    return box  # type: ignore[return-value]


def colour_analysis(
    photo: Path, *, scan: Path | None, pixel_mm: float | None, linear: bool, chart: str | None,
    chart_reflectance: float,
) -> tuple[dict[str, Any], Any, Any, Any]:
    """Read, normalise and analyse one photograph; returns (JSON, maps, scar labels, patch labels)."""
    from scarwise.capture import (
        colour_maps,
        colour_stats,
        find_discoloured,
        normalise_to_patch,
        read_image,
        srgb_to_linear,
    )

    image = read_image(photo)
    if image.ndim != 3:
        raise InvalidParameterError(f"{photo.name} is a grey image; colour maps need an RGB photograph")
    rgb = image if linear else srgb_to_linear(image)
    box = _parse_box(chart)
    if box is not None:
        rgb = normalise_to_patch(rgb, box, reflectance=chart_reflectance)
    scar_labels = None
    if scan is not None:
        from scarwise.surface.io import read_surface
        from scarwise.surface.measure import measure_surface

        surface = read_surface(scan, pixel_mm=pixel_mm)
        if (surface.ny, surface.nx) != rgb.shape[:2]:
            raise InvalidParameterError(
                f"{photo.name} is {rgb.shape[1]} x {rgb.shape[0]} pixels but {scan.name} is {surface.nx} x "
                f"{surface.ny}; the photograph must be registered on the scan's grid"
            )
        pixel_mm = surface.dx_mm
        scar_labels = measure_surface(surface).labels
    if pixel_mm is None:
        raise MissingPixelSizeError("a photograph stores no pixel size; pass --pixel-mm (or --scan)")
    maps = colour_maps(rgb)
    patches = find_discoloured(maps, pixel_mm=pixel_mm)
    stats = colour_stats(maps, scar_labels, pixel_mm=pixel_mm)
    patch_stats = colour_stats(maps, patches, pixel_mm=pixel_mm)
    macular = [int(k) for k in range(1, int(patches.max()) + 1)
               if scar_labels is None or not (scar_labels[patches == k] > 0).any()]
    result = {
        "photo": {"nx": int(rgb.shape[1]), "ny": int(rgb.shape[0]), "pixel_mm": float(pixel_mm),
                  "encoding": "linear" if linear else "srgb", "chart_normalised": box is not None},
        "indices": {"erythema": "100*log10(R/G)", "melanin": "100*log10(1/R)",
                    "ita_deg": "atan((L*-50)/b*)", "valid_fraction": float(maps.valid.mean())},
        **stats.to_json(),
        "scars": stats.to_json()["regions"] if scar_labels is not None else None,
        "discoloured": patch_stats.to_json()["regions"],
        "macular_candidates": len(macular),
    }
    del result["regions"]
    return result, maps, scar_labels, patches


def _plot_colour(maps: Any, scar_labels: Any, patches: Any, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), constrained_layout=True)
    for ax, data, name, cmap in ((axes[0], maps.erythema, "erythema index", "Reds"),
                                 (axes[1], maps.melanin, "melanin index", "copper_r")):
        lo, hi = np.nanpercentile(data, [1, 99]) if np.isfinite(data).any() else (0, 1)
        im = ax.imshow(data, cmap=cmap, vmin=lo, vmax=hi)
        if scar_labels is not None and scar_labels.any():
            ax.contour(scar_labels > 0, levels=[0.5], colors="tab:blue", linewidths=0.8)
        if patches.any():
            ax.contour(patches > 0, levels=[0.5], colors="k", linewidths=0.8, linestyles="dashed")
        ax.set_title(name)
        ax.set_xlabel("x (pixels)")
        fig.colorbar(im, ax=ax, shrink=0.85)
    axes[0].set_ylabel("y (pixels)")
    fig.suptitle(f"{title} — blue: 3D scars, dashed: discoloured patches")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def colour_command(
    photo: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Colour photograph (PNG, TIFF, JPEG).")],
    scan: Annotated[Path | None, typer.Option("--scan", exists=True, dir_okay=False,
                                              help="Scan on the same grid: its scars are the regions compared.")]
    = None,
    pixel_mm: Annotated[float | None, typer.Option("--pixel-mm", help="Pixel size in mm (default: the scan's).",
                                                   min=0.0)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the erythema and melanin maps (PNG) here.")]
    = None,
    linear: Annotated[bool, typer.Option("--linear", help="Pixel values are linear (default: sRGB-encoded).")]
    = False,
    chart: Annotated[str | None, typer.Option("--chart", help="Neutral chart patch X0,Y0,X1,Y1 in pixels.")] = None,
    chart_reflectance: Annotated[float, typer.Option("--chart-reflectance",
                                                     help="Linear reflectance of the chart patch.")] = 0.9,
) -> None:
    """Erythema (redness) and melanin (pigment) maps, over scars and the skin around them."""
    with user_errors():
        result, maps, scar_labels, patches = colour_analysis(
            photo, scan=scan, pixel_mm=pixel_mm, linear=linear, chart=chart, chart_reflectance=chart_reflectance)
        if plot is not None:
            _plot_colour(maps, scar_labels, patches, plot, photo.name)
    if as_json:
        emit_json(result)
        return
    out = Console()
    skin = result["skin"]
    out.print(f"skin: erythema {skin['erythema_mean']:.1f} ± {skin['erythema_sd']:.1f}, "
              f"melanin {skin['melanin_mean']:.1f} ± {skin['melanin_sd']:.1f}, ITA {skin['ita_deg_median']:.0f}°")
    for title, rows in (("scars (3D)", result["scars"]), ("discoloured patches", result["discoloured"])):
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for col in ("id", "area mm²", "erythema", "Δ erythema", "melanin", "Δ melanin"):
            table.add_column(col, justify="right")
        for r in rows:
            table.add_row(str(r["id"]), f"{r['area_mm2']:.2f}", *(
                "—" if r[k] is None else f"{r[k]:.1f}"
                for k in ("erythema_mean", "erythema_delta", "melanin_mean", "melanin_delta")))
        out.print(table)
    out.print(f"macular (flat, discoloured) candidates: {result['macular_candidates']}")
    if not result["photo"]["chart_normalised"]:
        out.print("[dim]No colour chart given (--chart): compare values only between photos taken the same way.[/]")
    if plot is not None:
        out.print(f"maps written to {plot}")
