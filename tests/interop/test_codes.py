"""The clinical and UCUM codes of the profile agree with their documentation in ``docs/fhir.md``."""

from __future__ import annotations

import re
from pathlib import Path

from scarwise.interop import _codes as C

DOC = (Path(__file__).resolve().parents[2] / "docs" / "fhir.md").read_text(encoding="utf-8")
UCUM_CODE = re.compile(r"^(?:1|%|(?:[munpk]?m)(?:[1-9])?|um)$")  # the subset of UCUM used by the profile


def _clinical_rows() -> list[str]:
    section = DOC.split("## Clinical codes", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]


def test_each_clinical_code_and_display_is_documented_with_its_source():
    rows = _clinical_rows()
    for coding in [*C.CONDITION_CODINGS, C.FACE]:
        row = next((r for r in rows if f"`{coding['code']}`" in r), None)
        assert row is not None, f"{coding['code']} is not in the clinical-codes table of docs/fhir.md"
        assert f'"{coding["display"]}"' in row
        assert "http" in row.split("|")[3], f"no source URL cited for {coding['code']}"


def test_code_comments_cite_a_source_and_no_longer_say_from_memory():
    src = Path(C.__file__).read_text(encoding="utf-8")
    block = src.split("# -- clinical codes", 1)[1].split("CONSENT_SCOPES", 1)[0]
    assert "https://" in block
    assert "UNVERIFIED (from memory)" not in block


def test_ucum_codes_follow_the_ucum_grammar():
    units = {u for u, _ in C.ISO_PARAMS.values()} | {u for u, _ in C.SCAR_COMPONENTS.values()}
    assert units == {"um", "1", "%", "mm", "mm2", "mm3"}
    for unit in units:
        assert UCUM_CODE.match(unit), unit
        q = C.ucum(1.5, unit)
        assert q == {"value": 1.5, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
