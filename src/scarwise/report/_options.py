"""Treatment options of the decision aid and what the evidence table says about each.

An option is a set of treatment groups: a study belongs to an option when every treatment it
names falls in one of the option's groups and every group is named (so "laser + exosomes" holds
the split-face trials of exosomes added to laser, and "exosomes" alone holds none). Only verified
studies count. The expected benefit is a random-effects pool of the option's studies on one
outcome (:func:`scarwise.evidence.pool_evidence`); without a pool the option shows no number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from scarwise.core.errors import InvalidParameterError
from scarwise.evidence import EvidenceTable, PooledEvidence, Study, pool_evidence

LASERS = frozenset({"fractional_co2", "erbium_yag"})
FAT_CELLS = frozenset({"adsc", "svf", "nanofat", "fat_graft"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One option of the report: key (also the price-list key), category and treatment groups."""

    key: str
    category: str  # none | conventional | regenerative | combination
    groups: tuple[frozenset[str], ...]
    name_en: str
    name_ar: str

    def matches(self, study: Study) -> bool:
        """Whether ``study`` tested exactly this option (see module notes)."""
        if not self.groups:
            return False
        names = set(study.treatments)
        allowed = frozenset().union(*self.groups)
        return names <= allowed and all(names & g for g in self.groups)


def _o(key: str, category: str, groups: tuple[frozenset[str], ...], en: str, ar: str) -> Option:
    return Option(key=key, category=category, groups=groups, name_en=en, name_ar=ar)


def _g(*names: str) -> frozenset[str]:
    return frozenset(names)


#: The options shown, in order.
OPTIONS: tuple[Option, ...] = (
    _o("none", "none", (), "No treatment", "عدم العلاج"),
    _o("subcision", "conventional", (_g("subcision"),), "Subcision", "فصل الندبات تحت الجلد (Subcision)"),
    _o("tca_cross", "conventional", (_g("tca_cross"),), "TCA CROSS", "تقنية TCA CROSS (حمض ثلاثي كلورو الأسيتيك)"),
    _o("microneedling", "conventional", (_g("microneedling"),), "Microneedling", "الوخز بالإبر الدقيقة"),
    _o("fractional_laser", "conventional", (LASERS,), "Fractional laser (CO2 or erbium)",
       "الليزر التجزيئي (ثاني أكسيد الكربون أو الإربيوم)"),
    _o("prp", "conventional", (_g("prp"),), "Platelet-rich plasma (PRP)", "البلازما الغنية بالصفائح (PRP)"),
    _o("fat_cells", "regenerative", (FAT_CELLS,), "Fat grafting, nanofat, SVF or adipose-derived cells",
       "نقل الدهون أو النانوفات أو SVF أو الخلايا المشتقة من الدهون"),
    _o("conditioned_medium", "regenerative", (_g("conditioned_medium"),), "Stem-cell conditioned medium",
       "الوسط المكيّف من الخلايا الجذعية"),
    _o("exosomes", "regenerative", (_g("exosomes"),), "Exosomes", "الإكسوسومات"),
    _o("microneedling_prp", "combination", (_g("microneedling"), _g("prp")), "Microneedling + PRP",
       "الوخز بالإبر الدقيقة + PRP"),
    _o("laser_prp", "combination", (LASERS, _g("prp")), "Fractional laser + PRP", "الليزر التجزيئي + PRP"),
    _o("laser_exosomes", "combination", (LASERS, _g("exosomes")), "Fractional laser + exosomes",
       "الليزر التجزيئي + الإكسوسومات"),
    _o("laser_conditioned_medium", "combination", (LASERS, _g("conditioned_medium")),
       "Fractional laser + conditioned medium", "الليزر التجزيئي + الوسط المكيّف"),
    _o("microneedling_conditioned_medium", "combination", (_g("microneedling"), _g("conditioned_medium")),
       "Microneedling + conditioned medium", "الوخز بالإبر الدقيقة + الوسط المكيّف"),
    _o("subcision_fat", "combination", (_g("subcision"), FAT_CELLS), "Subcision + fat transfer",
       "فصل الندبات + نقل الدهون"),
)

#: Outcome scales on which lower values mean less scarring (the others: higher is better).
LOWER_IS_BETTER = frozenset({"ecca", "goodman_baron", "global_scar_grade", "clinical_grade", "3d_volume",
                             "3d_depth", "posas"})
RATIO_MEASURES = frozenset({"RR", "OR", "ROM"})


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionEvidence:
    """Evidence for one option: verified studies, unverified ones left out, and a pool if one exists."""

    option: Option
    status: str  # baseline | pooled | limited | none
    studies: tuple[Study, ...]
    n_unverified: int
    pooled: PooledEvidence | None

    @property
    def n_patients(self) -> int:
        """Patients in the verified studies (studies without a reported n count as 0)."""
        return sum(s.n or 0 for s in self.studies)


def option_evidence(option: Option, table: EvidenceTable) -> OptionEvidence:
    """Collect the verified studies of ``option`` and pool them where the evidence allows."""
    matched = [s for s in table.studies if option.matches(s)]
    verified = tuple(s for s in matched if s.verified)
    if option.category == "none":
        return OptionEvidence(option=option, status="baseline", studies=(), n_unverified=0, pooled=None)
    if not verified:
        return OptionEvidence(option=option, status="none", studies=(), n_unverified=len(matched), pooled=None)
    pooled = _best_pool(option, verified, table)
    return OptionEvidence(option=option, status="pooled" if pooled else "limited", studies=verified,
                          n_unverified=len(matched) - len(verified), pooled=pooled)


def _best_pool(option: Option, studies: tuple[Study, ...], table: EvidenceTable) -> PooledEvidence | None:
    """The pool over the most studies, one outcome at a time; None when no outcome has 2 poolable studies."""
    sub = replace(table, studies=studies)  # only this option's studies can enter a pool
    best = None
    for outcome in sorted({s.outcome_scale for s in studies}):
        for treatment in sorted({t for s in studies for t in s.treatments}):
            try:
                pooled = pool_evidence(sub, treatment=treatment, outcome=outcome)
            except InvalidParameterError:
                continue
            if best is None or pooled.result.k > best.result.k:
                best = pooled
    return best


def all_option_evidence(table: EvidenceTable) -> tuple[OptionEvidence, ...]:
    """:func:`option_evidence` for every option in :data:`OPTIONS`."""
    return tuple(option_evidence(o, table) for o in OPTIONS)
