"""Reading a FHIR Bundle for import: validation, entries by URL, references and clinic identifiers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from scarwise.core.errors import InvalidFileError
from scarwise.interop import _codes as C


class FhirImportError(InvalidFileError):
    """The bundle cannot be imported as a whole (invalid, wrong references, foreign ids); nothing was written."""

    http_status = 422



def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        raise FhirImportError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _ext(res: dict, url: str) -> Any:
    for e in res.get("extension") or []:
        if e.get("url") == url:
            return next((v for k, v in e.items() if k.startswith("value")), None)
    return None


def _code(concept: dict | None, system: str) -> str | None:
    for c in (concept or {}).get("coding") or []:
        if c.get("system") == system:
            return c.get("code")
    return None


def _check_resource_types(data: dict) -> None:
    """Refuse unknown ``resourceType`` names up front: fhir.resources raises a bare KeyError on them."""
    from fhir.resources.R4B import get_fhir_model_class

    entries = data.get("entry")
    if not isinstance(entries, list):
        return  # absent or malformed: the model validation names the problem
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        kind = resource.get("resourceType")
        try:
            if not isinstance(kind, str):
                raise ValueError(kind)
            get_fhir_model_class(kind)
        except (KeyError, ValueError):
            raise FhirImportError(f"entry {i}: unknown FHIR resourceType {kind!r}") from None


class _Bundle:
    """Entries by fullUrl and by ``Type/id``, with reference resolution that fails loudly."""

    def __init__(self, data: Any) -> None:
        from fhir.resources.R4B.bundle import Bundle
        from pydantic import ValidationError

        if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
            raise FhirImportError("not a FHIR Bundle: expected a JSON object with \"resourceType\": \"Bundle\"")
        _check_resource_types(data)
        try:
            data = Bundle.model_validate(data).model_dump(mode="json")
        except ValidationError as exc:
            parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]]
            raise FhirImportError("the bundle is not valid FHIR R4: " + "; ".join(parts)) from None
        if data.get("type") not in ("collection", "transaction", "batch", "document"):
            raise FhirImportError(f"bundle type {data.get('type')!r} cannot be imported; send a collection")
        self.entries: list[tuple[str, dict]] = []
        self.by_url: dict[str, dict] = {}
        for i, entry in enumerate(data.get("entry") or []):
            res = entry.get("resource")
            if res is None:
                raise FhirImportError(f"entry {i} has no resource")
            url = entry.get("fullUrl") or f"{res['resourceType']}/{res.get('id', i)}"
            keys = {url} | ({f"{res['resourceType']}/{res['id']}"} if res.get("id") else set())
            for key in keys:
                if key in self.by_url:
                    raise FhirImportError(f"entry {i}: {key} appears twice in the bundle")
                self.by_url[key] = res
            self.entries.append((url, res))

    def of(self, kind: str) -> list[tuple[str, dict]]:
        return [(u, r) for u, r in self.entries if r["resourceType"] == kind]

    def resolve(self, ref: dict | None, kinds: tuple[str, ...], where: str) -> dict:
        target = (ref or {}).get("reference")
        res = self.by_url.get(target or "")
        if res is None:
            raise FhirImportError(f"{where}: reference {target!r} points to nothing in the bundle")
        if res["resourceType"] not in kinds:
            raise FhirImportError(f"{where}: reference {target!r} is a {res['resourceType']}, expected "
                                  f"{' or '.join(kinds)}")
        return res


def _check_clinic_ids(bundle: _Bundle) -> None:
    """Every ``urn:scarwise:clinic:N:…`` identifier must belong to the bundle's own Organization."""
    orgs = [r for _, r in bundle.of("Organization")]
    own = {i.get("value") for o in orgs for i in o.get("identifier") or [] if i.get("system") == C.CLINIC_SYSTEM}
    if len(own) > 1:
        raise FhirImportError(f"the bundle names several source clinics ({', '.join(sorted(own))}); export one "
                              "clinic's record at a time")
    seen: dict[str, str] = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            parsed = C.parse_clinic_system(node.get("system"))
            if parsed is not None:
                seen.setdefault(str(parsed[0]), where)
            for v in node.values():
                walk(v, where)
        elif isinstance(node, list):
            for v in node:
                walk(v, where)

    for _url, res in bundle.entries:
        walk(res, f"{res['resourceType']}/{res.get('id', '?')}")
    foreign = set(seen) - own if own else (set(seen) if len(seen) > 1 else set())
    if foreign:
        clinic = next(iter(sorted(foreign)))
        raise FhirImportError(f"{seen[clinic]} carries an identifier of clinic {clinic}, which is not the bundle's "
                              f"source clinic ({', '.join(sorted(own)) or 'none named'}); nothing was imported")
