"""Reference data sets pinned in tests/evidence/data (sources in each file's header)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"


def read(name: str) -> dict[str, np.ndarray]:
    with open(DATA / name, newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    out = {}
    for key in rows[0]:
        vals = [r[key] for r in rows]
        try:
            out[key] = np.array(vals, dtype=float)
        except ValueError:
            out[key] = np.array(vals)
    return out


def reference() -> dict:
    return json.loads((DATA / "metafor_reference.json").read_text())
