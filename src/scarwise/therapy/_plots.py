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
