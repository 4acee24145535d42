"""The curated evidence table: load, validate, filter and pool studies.

The packaged table is ``data/studies.csv`` (columns documented in ``data/studies.schema.json``).
A user adds or corrects studies without touching code by pointing ``SCARWISE_EVIDENCE_FILE`` (or
the ``extra`` argument / CLI ``--studies``) at a CSV with the same columns: its rows are appended,
and a row whose ``id`` already exists replaces the packaged one. Every row is validated on load and
an error names the file, the line and the field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from scarwise.core.errors import InvalidFileError, InvalidParameterError
from scarwise.evidence._meta import MetaResult, check_method, meta_analysis

TREATMENTS = ("adsc", "svf", "nanofat", "fat_graft", "conditioned_medium", "exosomes", "prp", "microneedling",
              "fractional_co2", "erbium_yag", "subcision", "tca_cross", "other")
OUTCOME_SCALES = ("ecca", "goodman_baron", "global_scar_grade", "clinical_grade", "clinical_response",
                  "percent_improvement", "3d_volume", "3d_depth", "posas", "gais", "patient_satisfaction")
EFFECT_MEASURES = ("MD", "SMD", "RR", "OR", "ROM", "MD_PAIRED", "SMD_PAIRED", "GEN")
COLUMNS = ("id", "first_author", "authors", "year", "journal", "citation", "doi", "pmid", "design", "n", "arms",
           "treatments", "comparator", "sessions", "follow_up", "outcome_scale", "outcome", "reported",
           "adverse_events", "risk_of_bias", "funding", "verified", "verification", "effect_measure", "yi", "vi",
           "effect_note", "effect_source")
#: How an effect was obtained: from reported arm data, or with an assumption named in ``effect_note``.
EFFECT_SOURCES = ("reported_data", "derived_by_assumption")
_REQUIRED = ("id", "first_author", "journal", "design", "treatments", "comparator", "outcome_scale", "verified")
#: Date of the last curation of the packaged table; the version adds a hash of all rows loaded.
CURATED = "2026.11.25"
ENV_VAR = "SCARWISE_EVIDENCE_FILE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Study:
    """One row of the evidence table (see ``data/studies.schema.json``)."""

    id: str
    first_author: str
    authors: str | None
    year: int | None
    journal: str
    citation: str | None
    doi: str | None
    pmid: str | None
    design: str
    n: int | None
    arms: str | None
    treatments: tuple[str, ...]
    comparator: str
    sessions: str | None
    follow_up: str | None
    outcome_scale: str
    outcome: str | None
    reported: str | None
    adverse_events: str | None
    risk_of_bias: str | None
    funding: str | None
    verified: bool
    verification: str | None
    effect_measure: str | None
    yi: float | None
    vi: float | None
    effect_note: str | None
    effect_source: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["treatments"] = list(self.treatments)
        return d

    def summary(self) -> dict[str, Any]:
        """The fields of the ``evidence list`` contract (DESIGN.md)."""
        return {"id": self.id, "first_author": self.first_author, "year": self.year, "journal": self.journal,
                "doi": self.doi, "pmid": self.pmid, "design": self.design, "n": self.n,
                "treatments": list(self.treatments), "comparator": self.comparator,
                "outcome_scale": self.outcome_scale, "verified": self.verified}


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceTable:
    """All studies loaded, with a version string that changes whenever any row does."""

    version: str
    studies: tuple[Study, ...]
    sources: tuple[str, ...]

    def filter(self, *, treatment: str | None = None, outcome: str | None = None) -> tuple[Study, ...]:
        """Studies with ``treatment`` among their treatments and/or the given outcome scale."""
        if treatment is not None:
            _check_vocab("treatment", treatment, TREATMENTS)
        if outcome is not None:
            _check_vocab("outcome", outcome, OUTCOME_SCALES)
        return tuple(s for s in self.studies
                     if (treatment is None or treatment in s.treatments)
                     and (outcome is None or s.outcome_scale == outcome))


def _check_vocab(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidParameterError(f"{name} {value!r} unknown; choose one of {', '.join(allowed)}")


def _parse_row(raw: dict[str, str | None], where: str) -> Study:
    def fail(field: str, msg: str) -> InvalidFileError:
        return InvalidFileError(f"{where}: field '{field}': {msg}")

    cells = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    for field in _REQUIRED:
        if not cells[field]:
            raise fail(field, "is required and empty")
    opt = {k: (v or None) for k, v in cells.items()}
    if not re.fullmatch(r"[a-z0-9_]+", cells["id"]):
        raise fail("id", f"{cells['id']!r} must use only a-z, 0-9 and _")

    def integer(field: str, lo: int, hi: int) -> int | None:
        if not cells[field]:
            return None
        try:
            value = int(cells[field])
        except ValueError:
            raise fail(field, f"{cells[field]!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise fail(field, f"{value} is outside {lo}..{hi}")
        return value

    def number(field: str) -> float | None:
        if not cells[field]:
            return None
        try:
            return float(cells[field])
        except ValueError:
            raise fail(field, f"{cells[field]!r} is not a number") from None

    treatments = tuple(t.strip() for t in cells["treatments"].split(";") if t.strip())
    for t in treatments:
        if t not in TREATMENTS:
            raise fail("treatments", f"{t!r} unknown; use ';'-separated values from {', '.join(TREATMENTS)}")
    if cells["outcome_scale"] not in OUTCOME_SCALES:
        raise fail("outcome_scale", f"{cells['outcome_scale']!r} unknown; choose one of {', '.join(OUTCOME_SCALES)}")
    if cells["verified"].lower() not in ("true", "false"):
        raise fail("verified", f"{cells['verified']!r} must be true or false")
    if cells["doi"] and not cells["doi"].startswith("10."):
        raise fail("doi", f"{cells['doi']!r} should start with '10.' (no https://doi.org/ prefix)")
    if cells["pmid"] and not cells["pmid"].isdigit():
        raise fail("pmid", f"{cells['pmid']!r} must be digits only")
    measure, yi, vi = opt["effect_measure"], number("yi"), number("vi")
    if measure is not None:
        if measure not in EFFECT_MEASURES:
            raise fail("effect_measure", f"{measure!r} unknown; choose one of {', '.join(EFFECT_MEASURES)}")
        if yi is None or vi is None:
            raise fail("yi" if yi is None else "vi", f"is required when effect_measure is {measure}")
        if not vi > 0:
            raise fail("vi", f"sampling variance must be > 0, got {vi}")
        if not opt["effect_note"]:
            raise fail("effect_note", "say how yi and vi were derived (and every assumption)")
    elif yi is not None or vi is not None:
        raise fail("effect_measure", "is required when yi/vi are given")
    if opt["effect_source"] is not None and opt["effect_source"] not in EFFECT_SOURCES:
        raise fail("effect_source", f"{opt['effect_source']!r} unknown; choose one of {', '.join(EFFECT_SOURCES)}")
    return Study(id=cells["id"], first_author=cells["first_author"], authors=opt["authors"],
                 year=integer("year", 1900, 2100), journal=cells["journal"], citation=opt["citation"],
                 doi=opt["doi"], pmid=opt["pmid"], design=cells["design"], n=integer("n", 1, 10_000_000),
                 arms=opt["arms"], treatments=treatments, comparator=cells["comparator"], sessions=opt["sessions"],
                 follow_up=opt["follow_up"], outcome_scale=cells["outcome_scale"], outcome=opt["outcome"],
                 reported=opt["reported"], adverse_events=opt["adverse_events"], risk_of_bias=opt["risk_of_bias"],
                 funding=opt["funding"], verified=cells["verified"].lower() == "true",
                 verification=opt["verification"], effect_measure=measure, yi=yi, vi=vi,
                 effect_note=opt["effect_note"], effect_source=opt["effect_source"])


def parse_studies(text: str, *, source: str) -> tuple[Study, ...]:
    """Parse and validate CSV text (lines starting with '#' are comments)."""
    lines = [(i, line) for i, line in enumerate(text.splitlines(keepends=True), start=1) if not line.startswith("#")]
    if not lines:
        raise InvalidFileError(f"{source}: no header row; expected columns {', '.join(COLUMNS)}")
    reader = csv.DictReader(io.StringIO("".join(line for _, line in lines)))
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise InvalidFileError(f"{source}: header {'lacks ' + ', '.join(missing) if missing else ''}"
                               f"{'; ' if missing and unknown else ''}"
                               f"{'has unknown columns ' + ', '.join(unknown) if unknown else ''}; "
                               f"columns are {', '.join(COLUMNS)}")
    out, seen = [], set()
    for row in reader:
        line = lines[reader.line_num - 1][0] if reader.line_num - 1 < len(lines) else reader.line_num
        study = _parse_row(row, f"{source}: line {line}")
        if study.id in seen:
            raise InvalidFileError(f"{source}: line {line}: field 'id': {study.id!r} appears twice")
        seen.add(study.id)
        out.append(study)
    return tuple(out)


def load_studies(extra: str | Path | None = None) -> EvidenceTable:
    """The packaged table plus ``extra`` (default: the file named by ``SCARWISE_EVIDENCE_FILE``)."""
    packaged = resources.files("scarwise.evidence").joinpath("data/studies.csv").read_text(encoding="utf-8")
    studies = {s.id: s for s in parse_studies(packaged, source="studies.csv (packaged)")}
    texts, sources = [packaged], ["packaged"]
    extra = extra if extra is not None else (os.environ.get(ENV_VAR) or None)
    if extra is not None:
        path = Path(extra)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidFileError(f"cannot read studies file {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InvalidFileError(f"studies file {path} is not UTF-8 text") from None
        for s in parse_studies(text, source=str(path)):
            studies[s.id] = s
        texts.append(text)
        sources.append(str(path))
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:8]
    return EvidenceTable(version=f"{CURATED}+{digest}", studies=tuple(studies.values()), sources=tuple(sources))


@dataclass(frozen=True, slots=True, kw_only=True)
class PooledEvidence:
    """A pooled analysis of curated studies, with the ids used and those left out and why."""

    treatment: str
    outcome: str
    measure: str
    result: MetaResult
    studies: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...]  # (id, reason)


def pool_evidence(table: EvidenceTable, *, treatment: str, outcome: str, method: str = "REML",
                  hksj: bool = False, include_unverified: bool = False, ci_level: float = 0.95) -> PooledEvidence:
    """Pool the studies of ``treatment`` on ``outcome`` that carry an effect (yi, vi).

    Unverified studies are left out unless ``include_unverified``; studies without effect data are
    listed in ``excluded``. Effects of different measures are never pooled together.
    """
    method = check_method(method)
    chosen, excluded = [], []
    for s in table.filter(treatment=treatment, outcome=outcome):
        if s.effect_measure is None:
            excluded.append((s.id, "no effect size and variance derivable from the reported numbers"))
        elif not s.verified and not include_unverified:
            excluded.append((s.id, "unverified (use include_unverified / --include-unverified)"))
        else:
            chosen.append(s)
    measures = sorted({s.effect_measure for s in chosen if s.effect_measure})
    if len(measures) > 1:
        raise InvalidParameterError(f"studies of {treatment} on {outcome} use different effect measures "
                                    f"({', '.join(measures)}); they cannot be pooled together")
    if len(chosen) < 2:
        raise InvalidParameterError(
            f"only {len(chosen)} poolable stud{'y' if len(chosen) == 1 else 'ies'} for treatment {treatment!r} "
            f"and outcome {outcome!r} ({len(excluded)} more without usable effect data or unverified); "
            "pooling needs at least 2. Add studies with yi/vi via SCARWISE_EVIDENCE_FILE or --studies")
    result = meta_analysis([s.yi for s in chosen], [s.vi for s in chosen], method=method, hksj=hksj,
                           ci_level=ci_level)
    return PooledEvidence(treatment=treatment, outcome=outcome, measure=measures[0], result=result,
                          studies=tuple(s.id for s in chosen), excluded=tuple(excluded))
