"""The report model: frozen sections in which every patient-facing number carries a footnote.

:func:`build_report` turns a measurement, earlier visits, the evidence table and the price list
into a :class:`Report`; the HTML and PDF writers only lay it out. A :class:`Sourced` is a piece
of text holding numbers (or a quote) together with the number of the note giving its source.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scarwise.core.errors import InvalidParameterError
from scarwise.evidence import EvidenceTable, PooledEvidence, load_studies
from scarwise.report._charts import icon_array_svg, range_bar_svg
from scarwise.report._i18n import check_lang, fmt_date, fmt_number, fmt_sar, translator
from scarwise.report._options import LOWER_IS_BETTER, RATIO_MEASURES, OptionEvidence, all_option_evidence
from scarwise.report._prices import PriceList, load_prices
from scarwise.report._scan import ScanSection, Visit, scan_section
from scarwise.report._sourced import Sourced

#: Date the regulatory notes in shared/reference/clinical-evidence.md were compiled and checked.
REGULATION_CHECKED = dt.date(2026, 11, 25)
REGENERATIVE = frozenset({"adsc", "svf", "conditioned_medium", "exosomes"})

_MEASURES = {"en": {"MD": "mean difference", "MD_PAIRED": "mean difference", "SMD": "standardised mean difference",
                    "SMD_PAIRED": "standardised mean difference", "RR": "risk ratio", "OR": "odds ratio",
                    "ROM": "ratio of means", "GEN": "effect"},
             "ar": {"MD": "فرق المتوسطات", "MD_PAIRED": "فرق المتوسطات", "SMD": "فرق المتوسطات المعياري",
                    "SMD_PAIRED": "فرق المتوسطات المعياري", "RR": "نسبة الخطر", "OR": "نسبة الأرجحية",
                    "ROM": "نسبة المتوسطات", "GEN": "الأثر"}}
_OUTCOMES = {"en": {"ecca": "ECCA score", "goodman_baron": "Goodman & Baron score", "global_scar_grade": "scar grade",
                    "clinical_grade": "clinical grade", "clinical_response": "good response",
                    "percent_improvement": "% improvement", "3d_volume": "3D scar volume", "3d_depth": "3D scar depth",
                    "posas": "POSAS score", "gais": "GAIS", "patient_satisfaction": "satisfaction"},
             "ar": {"ecca": "درجة ECCA", "goodman_baron": "درجة غودمان وبارون", "global_scar_grade": "درجة الندبات",
                    "clinical_grade": "الدرجة السريرية", "clinical_response": "الاستجابة الجيدة",
                    "percent_improvement": "نسبة التحسّن", "3d_volume": "حجم الندبة ثلاثي الأبعاد",
                    "3d_depth": "عمق الندبة ثلاثي الأبعاد", "posas": "درجة POSAS", "gais": "GAIS",
                    "patient_satisfaction": "الرضا"}}


@dataclass(frozen=True, slots=True, kw_only=True)
class PooledView:
    """A pooled effect as shown: estimate, 95% CI and prediction interval, with the raw values."""

    label: str
    estimate: Sourced
    ci: Sourced
    pi: Sourced
    direction: Sourced
    chart_svg: str
    values: dict[str, float]  # estimate, ci_lb, ci_ub, pi_lb, pi_ub on the shown scale


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionView:
    """One option in the patient's language."""

    key: str
    name: str
    category: str
    status: str  # baseline | pooled | limited | none
    status_text: str
    evidence: Sourced | None
    designs: Sourced | None
    pooled: PooledView | None
    reported: tuple[Sourced, ...]  # one line per study: sessions and results as reported
    adverse: tuple[Sourced, ...]
    unverified: Sourced | None
    icons: tuple[tuple[str, Sourced], ...]  # (icon-array SVG, "k of n patients: what" quoted from a study)
    cost: Sourced | None
    prediction: str  # slot for the virtual-cohort prediction (issue 6); a notice until it exists


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """The whole decision aid for one patient in one language."""

    lang: str
    direction: str  # ltr | rtl
    clinic_name: str
    patient_name: str | None
    date_text: str
    scan: ScanSection
    options: tuple[OptionView, ...]
    regulation: tuple[Sourced, ...]
    regulation_checked: str
    price_label: str
    notes: tuple[str, ...]  # footnote n is notes[n - 1]
    evidence_version: str
    strings: dict[str, str] = field(repr=False)


class _Notes:
    """Numbers footnotes in order of first use; the same text gets the same number."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, text: str) -> int:
        if text not in self.texts:
            self.texts.append(text)
        return self.texts.index(text) + 1

    def sourced(self, text: str, note: str) -> Sourced:
        return Sourced(text, self.add(note))


def _cite(s: Any) -> str:
    ref = f"doi:{s.doi}" if s.doi else (f"PMID {s.pmid}" if s.pmid else (s.citation or ""))
    funding = f" Funding: {s.funding}." if s.funding else ""
    return f"{s.first_author} {s.year or ''} ({s.design}, n = {s.n or '?'}), {s.journal}. {ref}.{funding}".strip()


def _pooled_view(pe: PooledEvidence, ev: OptionEvidence, lang: str, t: Any, notes: _Notes,
                 version: str) -> PooledView:
    r = pe.result
    ratio = pe.measure in RATIO_MEASURES
    tf = math.exp if ratio else (lambda v: v)
    vals = {"estimate": tf(r.estimate), "ci_lb": tf(r.ci_lb), "ci_ub": tf(r.ci_ub), "pi_lb": tf(r.pi_lb),
            "pi_ub": tf(r.pi_ub)}
    n = notes.add(t("note_pool", method=r.method, k=r.k, version=version, ids=", ".join(pe.studies),
                    tau2=fmt_number(r.tau2, lang, digits=3), i2=fmt_number(r.i2, lang, digits=0)))
    f = lambda v: fmt_number(v, lang)  # noqa: E731
    null = 1.0 if ratio else 0.0
    lower_better = pe.outcome in LOWER_IS_BETTER
    comparators = "; ".join(sorted({s.comparator for s in ev.studies if s.id in pe.studies}))
    direction = t("favours_below" if lower_better else "favours_above", null=fmt_number(null, lang, digits=0),
                  comparator=comparators)
    pi_ok = all(math.isfinite(vals[k]) for k in ("pi_lb", "pi_ub"))
    return PooledView(
        label=t("pooled_label", measure=_MEASURES[lang][pe.measure], outcome=_OUTCOMES[lang][pe.outcome]),
        estimate=Sourced(f(vals["estimate"]), n),
        ci=Sourced(f"{t('ci')}: {f(vals['ci_lb'])} – {f(vals['ci_ub'])}", n),
        pi=Sourced(f"{t('pi')}: {f(vals['pi_lb'])} – {f(vals['pi_ub'])}" if pi_ok else f"{t('pi')}: —", n),
        direction=Sourced(direction, n),
        chart_svg=range_bar_svg(vals["estimate"], (vals["ci_lb"], vals["ci_ub"]),
                                (vals["pi_lb"], vals["pi_ub"]) if pi_ok else None, null_value=null,
                                log_scale=ratio),
        values=vals,
    )


def pooled_view(pooled: PooledEvidence, option: OptionEvidence, *, lang: str, version: str) -> PooledView:
    """The report's view of one pooled effect in ``lang``: label, back-transformed values and chart.

    The same numbers, labels and direction as the decision-aid report, for other pages that show
    the evidence (the clinic's ``/learn`` pages).
    """
    return _pooled_view(pooled, option, check_lang(lang), translator(lang), _Notes(), version)


_FRACTION = re.compile(r"([A-Za-z][A-Za-z \"-]*?)\s+(\d+)/(\d+)")
_ARM = re.compile(r"^\s*([A-Za-z][\w +%-]*?):")


def _icon_arrays(text: str, who: str, note: int, lang: str, t: Any) -> list[tuple[str, Sourced]]:
    """Icon arrays for "<event> k/n" frequencies quoted in a study's adverse-event text.

    The text is split at ';' and a segment opening with "<arm>:" (e.g. "laser: acne flare 2/10")
    names the arm for it and the segments after it, so each caption says whose frequency it is.
    """
    out, arm = [], None
    for segment in text.split(";"):
        head = _ARM.match(segment)
        if head:
            arm, segment = head.group(1).strip(), segment[head.end():]
        for what, k, n in _FRACTION.findall(segment):
            k, n = int(k), int(n)
            if 0 <= k <= n <= 100 and n > 0:
                count = t("out_of", k=fmt_number(k, lang, digits=0), n=fmt_number(n, lang, digits=0))
                label = f"{who}{', ' + arm if arm else ''}: {count}: {what.strip()}"
                out.append((icon_array_svg(k, n, rtl=lang == "ar"), Sourced(label, note)))
    return out


def _option_view(ev: OptionEvidence, lang: str, t: Any, notes: _Notes, prices: PriceList,
                 price_note: str, version: str) -> OptionView:
    o = ev.option
    cost = None
    if o.key in prices.ranges:
        pr = prices.ranges[o.key]
        text = fmt_sar(pr.min_sar, lang) if pr.min_sar == pr.max_sar else \
            f"{fmt_sar(pr.min_sar, lang)} – {fmt_sar(pr.max_sar, lang)}"
        cost = notes.sourced(text, price_note)
    status_text = {"baseline": t("baseline_long"), "none": t("no_reliable_long"),
                   "limited": t("not_pooled_long"), "pooled": ""}[ev.status]
    evidence = designs = unverified = None
    reported: list[Sourced] = []
    adverse: list[Sourced] = []
    icons: list[tuple[str, Sourced]] = []
    if ev.studies:
        k, n = len(ev.studies), ev.n_patients
        count_note = notes.add(t("note_count", version=version, ids=", ".join(s.id for s in ev.studies)))
        evidence = Sourced(t("studies_patients" if k > 1 else "study_patients", k=k, n=n), count_note)
        designs = Sourced("; ".join(sorted({s.design for s in ev.studies})), count_note)
        for s in ev.studies:
            sn = notes.add(_cite(s))
            who = f"{s.first_author} {s.year}" if s.year else s.first_author
            if s.reported or s.sessions:
                when = f" [{t('sessions_short')}: {s.sessions}]" if s.sessions else ""
                reported.append(Sourced(f"{who}{when}: {s.reported or '—'}", sn))
            if s.adverse_events and s.adverse_events.lower() not in ("not captured", "not stated in abstract"):
                adverse.append(Sourced(f"{who}: {s.adverse_events}", sn))
                icons.extend(_icon_arrays(s.adverse_events, who, sn, lang, t))
    if ev.n_unverified:
        unverified = Sourced(t("unverified_studies", k=ev.n_unverified),
                             notes.add(t("note_count", version=version, ids="UNVERIFIED")))
    pooled = _pooled_view(ev.pooled, ev, lang, t, notes, version) if ev.pooled is not None else None
    return OptionView(key=o.key, name=o.name_ar if lang == "ar" else o.name_en, category=o.category,
                      status=ev.status, status_text=status_text, evidence=evidence, designs=designs,
                      pooled=pooled, reported=tuple(reported), adverse=tuple(adverse),
                      unverified=unverified, icons=tuple(icons), cost=cost, prediction=t("prediction_slot"))


def _regulation(table: EvidenceTable, lang: str, t: Any, notes: _Notes) -> tuple[Sourced, ...]:
    src = {1: ("5", "[S]"), 2: ("5", "[S], news; date UNVERIFIED"), 3: ("5", "inference; UNVERIFIED"),
           4: ("5", "UNVERIFIED"), 5: ("5", "[S]"), 6: ("6", "[S]")}
    items = [notes.sourced(t(f"reg_{i}"), t("note_reg", section=sec, tag=tag)) for i, (sec, tag) in src.items()]
    regen = [s for s in table.studies if s.verified and REGENERATIVE & set(s.treatments) and s.n]
    if regen:
        ns = [s.n for s in regen]
        items.append(notes.sourced(t("reg_7", k=len(regen), lo=min(ns), hi=max(ns)),
                                   t("note_count", version=table.version, ids=", ".join(s.id for s in regen))))
    return tuple(items)


def build_report(measure: dict[str, Any], *, lang: str, scan_date: dt.date | None = None,
                 visits: tuple[Visit, ...] = (), scar_map: tuple[str, float | None] | None = None,
                 patient_name: str | None = None, clinic_name: str | None = None, evidence: EvidenceTable | None = None,
                 prices: PriceList | None = None, report_date: dt.date | None = None) -> Report:
    """Assemble the decision aid for one measured scan.

    Parameters
    ----------
    measure : dict
        The current scan's result in the ``measure`` contract (``MeasureResult.to_json()``).
    lang : {"en", "ar"}
        Report language.
    scan_date, report_date : date, optional
        Date of the scan and of the report (default: today).
    visits : tuple of Visit
        Earlier measured scans of the same patient, for the change so far.
    scar_map : (svg, bar_mm), optional
        The scar map and its scale-bar length (:func:`scarwise.report.scar_map_svg`); omitted when None.
    patient_name, clinic_name : str, optional
        Shown in the header; the clinic name defaults to the price list's.
    evidence, prices : optional
        Evidence table (default :func:`scarwise.evidence.load_studies`) and price list
        (default :func:`scarwise.report.load_prices`).
    """
    t = translator(check_lang(lang))
    if not isinstance(measure, dict) or "scars" not in measure or "grade" not in measure:
        raise InvalidParameterError("measure must be a 'measure' contract object with 'scars' and 'grade' "
                                    "(scarwise measure --json)")
    today = report_date or dt.date.today()
    evidence = evidence if evidence is not None else load_studies()
    prices = prices if prices is not None else load_prices()
    notes = _Notes()
    scan = scan_section(measure, lang=lang, t=t, notes=notes, scan_date=scan_date or today, visits=visits,
                        map_svg=scar_map[0] if scar_map else None, bar_mm=scar_map[1] if scar_map else None)
    price_note = t("note_price", source=prices.source)
    options = tuple(_option_view(ev, lang, t, notes, prices, price_note, evidence.version)
                    for ev in all_option_evidence(evidence))
    regulation = _regulation(evidence, lang, t, notes)
    return Report(lang=lang, direction="rtl" if lang == "ar" else "ltr",
                  clinic_name=clinic_name or prices.clinic_name or "", patient_name=patient_name,
                  date_text=fmt_date(today, lang), scan=scan, options=options, regulation=regulation,
                  regulation_checked=t("reg_checked", date=fmt_date(REGULATION_CHECKED, lang)),
                  price_label=t("price_example") if prices.example else t("price_clinic"),
                  notes=tuple(notes.texts), evidence_version=evidence.version,
                  strings=dict(translator_strings(lang)))


def translator_strings(lang: str) -> dict[str, str]:
    """All static strings of ``lang`` (for the templates)."""
    from scarwise.report._i18n import CATALOGUE

    return CATALOGUE[lang]


def check_report(report: Report) -> None:
    """Guardrails: raise if an option states a benefit the evidence does not support.

    An option without a pool shows no pooled number; a pooled estimate lies inside its CI; every
    footnote number refers to an existing note.
    """
    count = len(report.notes)
    for o in report.options:
        if o.status != "pooled" and o.pooled is not None:
            raise AssertionError(f"option {o.key} shows a benefit without pooled evidence")
        if o.pooled is not None:
            v = o.pooled.values
            if not v["ci_lb"] <= v["estimate"] <= v["ci_ub"]:
                raise AssertionError(f"option {o.key}: estimate outside its confidence interval")
        for s in (o.evidence, o.designs, o.cost, o.unverified, *o.reported, *o.adverse):
            if s is not None and not 1 <= s.note <= count:
                raise AssertionError(f"option {o.key}: footnote {s.note} missing")


def type_counts(measure: dict[str, Any]) -> Counter:
    """Scars by type in a ``measure`` contract object."""
    return Counter(s["type"] for s in measure["scars"])
