"""Figures of a simulated course (matplotlib, written to PNG)."""

from __future__ import annotations

from pathlib import Path

from scarwise.therapy._simulate import SimulationResult


def plot_course(result: SimulationResult, path: str | Path) -> Path:
    """Write a PNG with each scar's remaining depth (mm) and void volume (mm^3) against days."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    for s in result.scars:
        line = ax1.plot(result.days, s.depth_mm, label=f"#{s.id}" + (" (hypertrophy)" if s.hypertrophy else ""))
        ax2.plot(result.days, s.volume_mm3, color=line[0].get_color())
    for ax in (ax1, ax2):
        for d in result.session_days:
            ax.axvline(d, color="0.8", lw=0.8, zorder=0)
        ax.set_xlabel("day")
        ax.set_ylim(bottom=0)
    ax1.set_ylabel("remaining depth (mm)")
    ax2.set_ylabel("remaining void volume (mm³)")
    if len(result.scars) <= 15:
        ax1.legend(fontsize=7, ncol=2)
    status = "calibrated" if result.calibrated else "UNCALIBRATED"
    fig.suptitle(f"Model prediction, {status}: protocol {result.protocol!r} (grey lines: sessions)\n"
                 f"parameters: {result.parameter_source}", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out


def animate_course(result: SimulationResult, path: str | Path, *, fps: int = 4) -> Path:
    """Write an animated GIF of the remaining-depth map (mm) on each report day.

    Needs ``simulate_protocol(..., keep_maps=True)``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    from scarwise.core.errors import InvalidParameterError

    if not result.maps:
        raise InvalidParameterError("no depth maps kept; run simulate_protocol(..., keep_maps=True)")
    days = sorted(result.maps)
    vmax = max(float(m.max()) for m in result.maps.values()) or 1.0
    fig, ax = plt.subplots(figsize=(5, 4.5), dpi=100)
    im = ax.imshow(result.maps[days[0]], cmap="magma_r", vmin=0, vmax=vmax, interpolation="nearest")
    fig.colorbar(im, ax=ax, label="remaining depth (mm)")
    ax.set_axis_off()
    title = ax.set_title("")

    def frame(k: int):
        im.set_data(result.maps[days[k]])
        title.set_text(f"{result.protocol}, day {days[k]:g}\nmodel prediction (uncalibrated)")
        return (im, title)

    anim = FuncAnimation(fig, frame, frames=len(days), blit=False)
    out = Path(path)
    anim.save(out, writer=PillowWriter(fps=fps))
    plt.close(fig)
    return out
