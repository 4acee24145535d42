"""The clinic's price list: a JSON settings file of cost ranges in Saudi riyals per report option."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from scarwise.core.errors import InvalidFileError

PRICES_ENV_VAR = "SCARWISE_PRICES_FILE"


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceRange:
    """Cost of a course of one option, in SAR."""

    min_sar: float
    max_sar: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceList:
    """Cost ranges by option key; ``example`` marks the shipped placeholder list."""

    example: bool
    source: str
    clinic_name: str | None
    ranges: dict[str, PriceRange]


def load_prices(path: str | Path | None = None) -> PriceList:
    """Read a price list (default: ``SCARWISE_PRICES_FILE``, else the packaged example).

    The file is ``{"example": bool, "source": str, "clinic_name": str, "currency": "SAR",
    "options": {"<option key>": {"min": SAR, "max": SAR}}}``; option keys are those of
    :data:`scarwise.report.OPTIONS`.
    """
    path = path if path is not None else (os.environ.get(PRICES_ENV_VAR) or None)
    if path is None:
        text = resources.files("scarwise.report").joinpath("data/prices.json").read_text(encoding="utf-8")
        where = "prices.json (packaged example)"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidFileError(f"cannot read price list {where}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InvalidFileError(f"price list {where} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidFileError(f"price list {where} is not valid JSON: {exc}") from None
    return _parse(data, where)


def _parse(data: Any, where: str) -> PriceList:
    from scarwise.report._options import OPTIONS

    if not isinstance(data, dict) or not isinstance(data.get("options"), dict):
        raise InvalidFileError(f"price list {where} needs an object with an 'options' object")
    if data.get("currency", "SAR") != "SAR":
        raise InvalidFileError(f"price list {where}: currency must be 'SAR', got {data.get('currency')!r}")
    known = {o.key for o in OPTIONS}
    ranges = {}
    for key, value in data["options"].items():
        if key not in known:
            raise InvalidFileError(f"price list {where}: option {key!r} unknown; use one of {sorted(known)}")
        lo, hi = (value.get("min"), value.get("max")) if isinstance(value, dict) else (None, None)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lo, hi)) or not 0 <= lo <= hi:
            raise InvalidFileError(f"price list {where}: option {key!r} needs numbers 0 <= min <= max in SAR")
        ranges[key] = PriceRange(min_sar=float(lo), max_sar=float(hi))
    example = bool(data.get("example", False))
    source = str(data.get("source") or where)
    return PriceList(example=example, source=source, clinic_name=data.get("clinic_name"), ranges=ranges)
