"""Treatment protocols as data: a JSON file users can edit, validated on load.

The built-in catalogue is ``scarwise/therapy/data/protocols.json``; pass another file (same
layout) to :func:`load_protocols`. Every product, device and protocol carries its source and a
``verified`` flag; the defaults are priors for an uncalibrated model, not recommendations.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from scarwise.core.errors import InvalidFileError, InvalidParameterError
from scarwise.therapy._params import AgentKinetics

ROUTES = ("intradermal", "subdermal", "topical")
AREAS = ("scars", "region")


@dataclass(frozen=True, kw_only=True)
class Product:
    """A delivered agent: cells, vesicles or factors; amounts in ``unit``."""

    name: str
    label: str
    kind: str
    unit: str
    kinetics: AgentKinetics
    source: str
    verified: bool


@dataclass(frozen=True, kw_only=True)
class Device:
    """An injuring device; ``intensity`` 0..1 of the injury signal it leaves."""

    name: str
    label: str
    intensity: float
    depth_mm: float
    area: str
    source: str
    verified: bool


@dataclass(frozen=True, kw_only=True)
class AgentDose:
    """How the product of a protocol is given in one session."""

    product: Product
    concentration_per_ul: float
    route: str
    area: str
    injection_ul_per_void_mm3: float = 0.0  # injected routes: volume per mm^3 of scar void
    volume_ul_per_cm2: float = 0.0  # topical: volume spread per cm^2 of region
    penetration_fraction: float = 1.0  # topical: share reaching the dermis
    depth_mm: float = 0.0
    site_spacing_mm: float = 0.0

    @property
    def injected(self) -> bool:
        return self.route in ("intradermal", "subdermal")


@dataclass(frozen=True, kw_only=True)
class Protocol:
    """A course of treatment: sessions every ``interval_days`` from day 0."""

    name: str
    label: str
    sessions: int
    interval_days: float
    agent: AgentDose | None
    devices: tuple[Device, ...]
    source: str
    verified: bool

    @property
    def session_days(self) -> tuple[float, ...]:
        return tuple(k * self.interval_days for k in range(self.sessions))

    def with_schedule(self, *, sessions: int | None = None, interval_days: float | None = None) -> Protocol:
        """A copy with another number of sessions or interval (validated)."""
        s = self.sessions if sessions is None else sessions
        iv = self.interval_days if interval_days is None else interval_days
        if not isinstance(s, int) or s < 0 or s > 100:
            raise InvalidParameterError(f"sessions must be a whole number 0..100, got {s!r}")
        _num(iv, "interval_days", lo=0.0, strict=True)
        return Protocol(name=self.name, label=self.label, sessions=s, interval_days=float(iv), agent=self.agent,
                        devices=self.devices, source=self.source, verified=self.verified)


def _num(value: Any, where: str, *, lo: float = 0.0, hi: float = math.inf, strict: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < lo or value > hi or (strict and value == lo):
        rng = f"{'>' if strict else '>='} {lo}" + ("" if hi == math.inf else f" and <= {hi}")
        raise InvalidFileError(f"protocol file: {where} must be a number {rng}, got {value!r}")
    return float(value)


def _get(d: dict, key: str, where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise InvalidFileError(f"protocol file: {where} lacks the key {key!r}")
    return d[key]


def _choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise InvalidFileError(f"protocol file: {where} is {value!r}; choose one of {list(choices)}")
    return value


def _parse(data: Any) -> dict[str, Protocol]:
    if not isinstance(data, dict):
        raise InvalidFileError("protocol file must hold a JSON object with products, devices and protocols")
    products: dict[str, Product] = {}
    for name, p in _get(data, "products", "the file").items():
        w = f"products.{name}"
        half = _num(_get(p, "retention_half_life_days", w), f"{w}.retention_half_life_days", strict=True)
        kin = AgentKinetics(
            retention_decay_per_day=math.log(2.0) / half,
            secretion_molecules_per_unit_s=_num(_get(p, "secretion_molecules_per_unit_s", w), w + ".secretion"),
            diffusivity_mm2_per_day=_num(_get(p, "diffusivity_mm2_per_day", w), f"{w}.diffusivity_mm2_per_day"),
        )
        products[name] = Product(name=name, label=str(p.get("label", name)), kind=str(p.get("kind", "")),
                                 unit=str(p.get("unit", "")), kinetics=kin, source=str(p.get("source", "")),
                                 verified=bool(p.get("verified", False)))
    devices_raw = _get(data, "devices", "the file")
    out: dict[str, Protocol] = {}
    for name, p in _get(data, "protocols", "the file").items():
        w = f"protocols.{name}"
        sessions = _get(p, "sessions", w)
        if not isinstance(sessions, int) or isinstance(sessions, bool) or not 0 <= sessions <= 100:
            raise InvalidFileError(f"protocol file: {w}.sessions must be a whole number 0..100, got {sessions!r}")
        agent = None
        a = _get(p, "agent", w)
        if a is not None:
            pname = _get(a, "product", w + ".agent")
            if pname not in products:
                raise InvalidFileError(f"protocol file: {w}.agent.product {pname!r} unknown; known: {sorted(products)}")
            route = _choice(_get(a, "route", w + ".agent"), ROUTES, w + ".agent.route")
            agent = AgentDose(
                product=products[pname],
                concentration_per_ul=_num(_get(a, "concentration_per_ul", w), w + ".agent.concentration_per_ul"),
                route=route,
                area=_choice(a.get("area", "scars"), AREAS, w + ".agent.area"),
                injection_ul_per_void_mm3=_num(a.get("injection_ul_per_void_mm3", 0.0), w + ".agent.injection_ul"),
                volume_ul_per_cm2=_num(a.get("volume_ul_per_cm2", 0.0), w + ".agent.volume_ul_per_cm2"),
                penetration_fraction=_num(a.get("penetration_fraction", 1.0), w + ".agent.penetration", hi=1.0),
                depth_mm=_num(a.get("depth_mm", 0.0), w + ".agent.depth_mm", hi=10.0),
                site_spacing_mm=_num(a.get("site_spacing_mm", 1.0), w + ".agent.site_spacing_mm", strict=True),
            )
        devs = []
        for k, d in enumerate(_get(p, "devices", w)):
            dname = _get(d, "device", f"{w}.devices[{k}]")
            if dname not in devices_raw:
                raise InvalidFileError(
                    f"protocol file: {w}.devices[{k}] {dname!r} unknown; known: {sorted(devices_raw)}"
                )
            dr = devices_raw[dname]
            devs.append(Device(name=dname, label=str(dr.get("label", dname)),
                               intensity=_num(_get(dr, "intensity", f"devices.{dname}"), f"devices.{dname}.intensity",
                                              hi=1.0),
                               depth_mm=_num(dr.get("depth_mm", 0.0), f"devices.{dname}.depth_mm", hi=10.0),
                               area=_choice(d.get("area", "region"), AREAS, f"{w}.devices[{k}].area"),
                               source=str(dr.get("source", "")), verified=bool(dr.get("verified", False))))
        out[name] = Protocol(name=name, label=str(p.get("label", name)), sessions=sessions,
                             interval_days=_num(_get(p, "interval_days", w), w + ".interval_days", strict=True),
                             agent=agent, devices=tuple(devs), source=str(p.get("source", "")),
                             verified=bool(p.get("verified", False)))
    if "none" not in out:
        raise InvalidFileError("protocol file: a protocol named 'none' (the untreated course) is required")
    return out


@lru_cache(maxsize=1)
def _builtin() -> dict[str, Protocol]:
    text = resources.files("scarwise.therapy").joinpath("data/protocols.json").read_text(encoding="utf-8")
    return _parse(json.loads(text))


def load_protocols(path: str | Path | None = None) -> dict[str, Protocol]:
    """All protocols by name, from ``path`` (JSON) or the built-in catalogue; validated.

    Raises
    ------
    InvalidFileError
        The file is not JSON or an entry is missing, unknown or out of range (the message names it).
    """
    if path is None:
        return dict(_builtin())
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidFileError(f"protocol file {p} not found") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidFileError(f"protocol file {p.name} is not valid JSON: {exc}") from exc
    return _parse(data)


def get_protocol(name: str, path: str | Path | None = None) -> Protocol:
    """One protocol by name; an unknown name lists the known ones."""
    protocols = load_protocols(path)
    if name not in protocols:
        raise InvalidParameterError(f"protocol {name!r} unknown; choose one of {sorted(protocols)}")
    return protocols[name]
