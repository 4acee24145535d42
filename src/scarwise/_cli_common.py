"""Shared pieces of the command line: error handling, JSON output, common options."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from scarwise.core import ScarwiseError

err = Console(stderr=True, soft_wrap=True)  # one line per message: easy to grep, no mid-word breaks

PixelOpt = Annotated[
    float | None,
    typer.Option("--pixel-mm", help="Pixel size in mm; overrides the file's (with a warning).", min=0.0),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a ScarwiseError into a message on stderr and exit code 2; show warnings on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except ScarwiseError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(code=2) from None
        finally:
            for w in caught:
                if issubclass(w.category, UserWarning):
                    err.print(f"[yellow]warning:[/] {w.message}", highlight=False)


def emit_json(data: dict[str, Any]) -> None:
    """Print one JSON object on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
