"""Page models of ``/learn``: every number comes from the evidence table, the price list or a model run.

Numbers reach the HTML only as ``<data value="raw" data-what="...">formatted</data>`` (or
``<time>``), and study texts only as ``<q data-study data-field>`` quotes, so a test can check
every number and every quote against :mod:`scarwise.evidence` and :mod:`scarwise.report`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from scarwise.clinic.learn._strings import CATALOGUE
from scarwise.evidence import EvidenceTable, Study
from scarwise.report import (
    LOWER_IS_BETTER,
    OPTIONS,
    PRICES_ENV_VAR,
    RATIO_MEASURES,
    REGENERATIVE,
    REGULATION_CHECKED,
    OptionEvidence,
    PriceList,
    all_option_evidence,
    fmt_date,
    fmt_number,
    fmt_sar,
    pooled_view,
    translator,
)

SCAR_TYPES = ("icepick", "boxcar", "rolling")
_TYPE_PATTERNS = {"icepick": r"\bice\s?-?pick", "boxcar": r"\bbox\s?-?car", "rolling": r"\brolling\b"}
_QUOTE_SKIP = ("not captured", "not stated in abstract")
DEFAULT_COLOUR = "#0f4c5c"


def num(value: float | int, text: str, what: str) -> Markup:
    """A number as shown: ``<data>`` carrying the raw value and what it is."""
    return Markup('<data value="{}" data-what="{}">{}</data>').format(value, what, text)


def quote(study: Study, field: str) -> Markup:
    """A study field quoted verbatim (English, as the table records it)."""
    return Markup('<q lang="en" dir="ltr" data-study="{}" data-field="{}">{}</q>').format(
        study.id, field, getattr(study, field))


def fill(text: str, **fields: Any) -> Markup:
    """Format a plain translated string with (possibly Markup) fields, escaping the text."""
    return Markup(escape(text)).format(**fields)


def strings(lang: str) -> tuple[dict[str, str], Any]:
    """This package's strings and the report's translator for ``lang``."""
    return CATALOGUE[lang], translator(lang)


def curated_date(table: EvidenceTable) -> dt.date:
    """The curation date in the table version (``YYYY.MM.DD+hash``)."""
    y, m, d = (int(p) for p in table.version.split("+")[0].split("."))
    return dt.date(y, m, d)


def _who(s: Study, lang: str) -> Markup:
    if s.year is None:
        return Markup('<span lang="en" dir="ltr">{}</span>').format(s.first_author)
    return Markup('<span lang="en" dir="ltr">{} {}</span>').format(s.first_author, num(s.year, str(s.year), "year"))


def _count(ev: OptionEvidence, lang: str, t: Any) -> Markup:
    k, n = len(ev.studies), ev.n_patients
    key = "studies_patients" if k > 1 else "study_patients"
    return fill(t(key), k=num(k, fmt_number(k, lang, digits=0), "k"), n=num(n, fmt_number(n, lang, digits=0), "n"))


def _range(lo: Markup, hi: Markup) -> Markup:
    """``lo – hi`` in the page's reading order; Arabic numbers carry CLDR's own bidi marks (ar_SA minus)."""
    return Markup('{} – {}').format(lo, hi)


def _pooled(ev: OptionEvidence, lang: str, t: Any, version: str) -> dict[str, Any]:
    """The report's pooled view (same label, same back-transform) with every number wrapped."""
    pe = ev.pooled
    view = pooled_view(pe, ev, lang=lang, version=version)
    v = view.values

    def n(key: str) -> Markup:
        return num(round(v[key], 2), fmt_number(v[key], lang), key)

    ratio = pe.measure in RATIO_MEASURES
    null = 1 if ratio else 0
    comparators = "; ".join(sorted({s.comparator for s in ev.studies if s.id in pe.studies}))
    lower = pe.outcome in LOWER_IS_BETTER
    direction = fill(t("favours_below" if lower else "favours_above"),
                     null=num(null, fmt_number(null, lang, digits=0), "null"),
                     comparator=Markup('<span lang="en" dir="ltr">{}</span>').format(comparators))
    pi_ok = all(abs(v[k]) != float("inf") and v[k] == v[k] for k in ("pi_lb", "pi_ub"))
    studies = {s.id: s for s in ev.studies}
    return {"label": view.label, "estimate": n("estimate"), "who": [_who(studies[i], lang) for i in pe.studies],
            "ci": fill("{a}: ", a=t("ci")) + _range(n("ci_lb"), n("ci_ub")),
            "pi": fill("{a}: ", a=t("pi")) + _range(n("pi_lb"), n("pi_ub")) if pi_ok else None,
            "direction": direction, "studies": pe.studies, "ratio": ratio}


def evidence_page(table: EvidenceTable, lang: str) -> dict[str, Any]:
    """Per option: studies and patients, pooled effect, follow-ups, adverse events, sessions."""
    s_, t = strings(lang)
    options = []
    for ev in all_option_evidence(table):
        o = ev.option
        status_text = {"baseline": t("baseline_long"), "none": t("no_reliable_long"),
                       "limited": t("not_pooled_long"), "pooled": ""}[ev.status]
        unverified = None
        if ev.n_unverified:
            unverified = fill(t("unverified_studies"),
                              k=num(ev.n_unverified, fmt_number(ev.n_unverified, lang, digits=0), "unverified"))
        rows = [{"who": _who(st, lang), "study": st,
                 "follow_up": quote(st, "follow_up") if st.follow_up and st.follow_up not in _QUOTE_SKIP else None,
                 "adverse": quote(st, "adverse_events") if st.adverse_events
                 and st.adverse_events.lower() not in _QUOTE_SKIP else None,
                 "sessions": quote(st, "sessions") if st.sessions else None} for st in ev.studies]
        options.append({
            "key": o.key, "name": o.name_ar if lang == "ar" else o.name_en, "category": o.category,
            "status": ev.status, "status_text": status_text, "headline": t("no_reliable") if ev.status == "none"
            else (t("not_pooled") if ev.status == "limited" else ""),
            "count": _count(ev, lang, t) if ev.studies else None,
            "designs": Markup("; ").join(quote(st, "design") for st in
                                         {st.design: st for st in ev.studies}.values()),
            "unverified": unverified,
            "pooled": _pooled(ev, lang, t, table.version) if ev.pooled is not None else None, "rows": rows,
            "adverse_rows": [r for r in rows if r["adverse"]],
        })
    day = curated_date(table)
    return {"options": options, "version": table.version, "sources": table.sources,
            "curated": Markup('<time datetime="{}">{}</time>').format(day.isoformat(), fmt_date(day, lang)),
            "version_line": fill(s_["ev_version"], version=num(table.version, table.version, "version"),
                                 date=Markup('<time datetime="{}">{}</time>').format(day.isoformat(),
                                                                                      fmt_date(day, lang)))}


def scar_types_page(table: EvidenceTable, lang: str) -> list[dict[str, Any]]:
    """Each atrophic type with the checked studies whose texts describe it (and their treatments)."""
    out = []
    for kind in SCAR_TYPES:
        pattern = re.compile(_TYPE_PATTERNS[kind], re.IGNORECASE)
        rows = []
        for s in table.studies:
            field = next((f for f in ("arms", "outcome", "reported", "citation")
                          if s.verified and pattern.search(getattr(s, f) or "")), None)
            if field is not None:
                rows.append({"who": _who(s, lang), "quote": quote(s, field), "treatments": ", ".join(s.treatments)})
        out.append({"type": kind, "rows": rows})
    return out


def regulation(table: EvidenceTable, lang: str) -> dict[str, Any]:
    """The report's regulation sentences (reg_1..reg_7) and questions, and the date they were checked."""
    _, t = strings(lang)
    items = [Markup(escape(t(f"reg_{i}"))) for i in range(1, 7)]
    regen = [s for s in table.studies if s.verified and REGENERATIVE & set(s.treatments) and s.n]
    if regen:
        ns = [s.n for s in regen]

        def n(v: int, what: str) -> Markup:
            return num(v, fmt_number(v, lang, digits=0), what)

        items.append(fill(t("reg_7"), k=n(len(regen), "k"), lo=n(min(ns), "n_min"), hi=n(max(ns), "n_max")))
    checked = fill(t("reg_checked"), date=Markup('<time datetime="{}">{}</time>').format(
        REGULATION_CHECKED.isoformat(), fmt_date(REGULATION_CHECKED, lang)))
    return {"items": items, "checked": checked, "questions": [t(f"q_{i}") for i in range(1, 7)],
            "regen_ids": [s.id for s in regen]}


def price_extras(path: str | Path | None = None) -> dict[str, list[str]]:
    """Optional ``included`` / ``not_included`` lists of the price-list file (absent in the example)."""
    path = path if path is not None else os.environ.get(PRICES_ENV_VAR)
    if not path:
        return {"included": [], "not_included": []}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"included": [], "not_included": []}  # load_prices() reports the error itself
    out = {}
    for key in ("included", "not_included"):
        items = data.get(key) if isinstance(data, dict) else None
        out[key] = [str(i) for i in items] if isinstance(items, list) else []
    return out


def costs_page(table: EvidenceTable, prices: PriceList, lang: str) -> dict[str, Any]:
    """The price list by option with the sessions the option's checked studies used."""
    _, t = strings(lang)
    evidence = {ev.option.key: ev for ev in all_option_evidence(table)}
    rows = []
    for o in OPTIONS:
        pr = prices.ranges.get(o.key)
        price = None
        if pr is not None:
            lo = num(pr.min_sar, fmt_sar(pr.min_sar, lang), "price_min")
            hi = num(pr.max_sar, fmt_sar(pr.max_sar, lang), "price_max")
            price = lo if pr.min_sar == pr.max_sar else _range(lo, hi)
        sessions = [(_who(s, lang), quote(s, "sessions")) for s in evidence[o.key].studies if s.sessions]
        rows.append({"key": o.key, "name": o.name_ar if lang == "ar" else o.name_en, "price": price,
                     "sessions": sessions})
    return {"rows": rows, "label": t("price_example") if prices.example else t("price_clinic"),
            "source": prices.source, "example": prices.example, **price_extras()}


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def brand_colour(colour: str | None) -> str:
    """The clinic colour if it is ``#rrggbb`` with AA contrast (4.5:1) against white text, else the default."""
    if colour and re.fullmatch(r"#[0-9a-fA-F]{6}", colour) and contrast_ratio(colour, "#ffffff") >= 4.5:
        return colour.lower()
    return DEFAULT_COLOUR
