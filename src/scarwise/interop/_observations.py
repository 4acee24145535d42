"""A DiagnosticReport and its Observations → the stored `measure` result and the clinician's corrections."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from scarwise.interop import _codes as C


def _measure_code(concept: dict | None) -> str | None:
    for c in (concept or {}).get("coding") or []:
        if c.get("system") == C.CS_MEASURE:
            return c.get("code")
    return None


def _quantity(q: dict | None, unit: str) -> float | None:
    """The value of a UCUM quantity in ``unit``; None when absent or in another unit."""
    if not q or q.get("value") is None or q.get("system", C.UCUM) != C.UCUM or q.get("code", unit) != unit:
        return None
    return float(q["value"])


def _presented_json(rep: dict) -> dict | None:
    for form in rep.get("presentedForm") or []:
        if form.get("contentType") == "application/json" and form.get("data"):
            try:
                value = json.loads(base64.b64decode(form["data"]))
            except (binascii.Error, ValueError):
                return None
            return value if isinstance(value, dict) else None
    return None


def _scar(o: dict, index: int, name: str, skipped: list[str]) -> tuple[dict, str | None]:
    ident = next((i.get("value") for i in o.get("identifier") or []), "") or ""
    tail = ident.rsplit("/", 1)[-1]
    scar: dict[str, Any] = {"id": int(tail) if tail.isdigit() else index}
    centroid = [None, None]
    fixed = None
    for comp in o.get("component") or []:
        code = _measure_code(comp.get("code"))
        if code in ("scar-type", "scar-type-clinician"):
            t = next((c.get("code") for c in (comp.get("valueCodeableConcept") or {}).get("coding") or []
                      if c.get("system") == C.CS_SCAR_TYPE), None)
            if t not in C.SCAR_TYPES:
                skipped.append(f"{name}: scar type {t!r} is not one of {', '.join(C.SCAR_TYPES)}")
                continue
            if code == "scar-type":
                scar["type"] = t
            else:
                fixed = t
        elif code in C.SCAR_COMPONENTS:
            unit, key = C.SCAR_COMPONENTS[code]
            value = _quantity(comp.get("valueQuantity"), unit)
            if value is None:
                skipped.append(f"{name}: component {code} needs a value in UCUM {unit!r}")
            elif key:
                scar[key] = value
            else:
                centroid[0 if code.endswith("x") else 1] = value
        else:
            skipped.append(f"{name}: unknown scar component {code!r}")
    if None not in centroid:
        scar["centroid_mm"] = centroid
    return scar, fixed


def result_from_observations(rep: dict, obs: list[dict]) -> tuple[dict | None, int | None, dict, list[str]]:
    """Rebuild ``(result, grade_override, type_overrides, not_imported)`` from a scan's report.

    The result is the report's ``presentedForm`` JSON (the exact stored `measure` result) when
    present; otherwise it is rebuilt from the Observations (ISO parameters, grades, scars).
    Observations with codes this profile does not define are listed in ``not_imported``.
    """
    iso: dict[str, float] = {}
    grade: dict[str, Any] = {}
    scars: list[dict] = []
    overrides: dict[str, str] = {}
    grade_override = None
    skipped: list[str] = []
    for o in obs:
        name = f"Observation/{o.get('id', '?')}"
        code = _measure_code(o.get("code"))
        if code in C.ISO_PARAMS:
            value = _quantity(o.get("valueQuantity"), C.ISO_PARAMS[code][0])
            if value is None:
                skipped.append(f"{name}: {code} needs a value in UCUM {C.ISO_PARAMS[code][0]!r}")
            else:
                iso[code] = value
        elif code in C.GRADES or code == C.GRADE_CLINICIAN:
            if not isinstance(o.get("valueInteger"), int):
                skipped.append(f"{name}: {code} needs valueInteger")
            elif code == C.GRADE_CLINICIAN:
                grade_override = o["valueInteger"]
            else:
                grade[code] = o["valueInteger"]
        elif code == C.SCAR:
            scar, fixed = _scar(o, len(scars) + 1, name, skipped)
            scars.append(scar)
            if fixed:
                overrides[str(scar["id"])] = fixed
        elif code and code.startswith(C.SCAR_COUNT) and code in C.MEASURE_CODES:
            continue  # derived from the scars
        else:
            codings = (o.get("code") or {}).get("coding") or [{}]
            skipped.append(f"{name}: unknown code {codings[0].get('system')}|{codings[0].get('code')}")
    result = _presented_json(rep)
    if result is None and (iso or grade or scars):
        result = {"iso25178": iso, "scars": scars, "grade": {**grade, "inputs_needed": []}}
    return result, grade_override, overrides, skipped
