"""Code systems, codes and UCUM units of the scarwise FHIR R4 profile (documented in ``docs/fhir.md``).

Systems under ``urn:scarwise:`` are private to scarwise (not resolvable); the others are the HL7,
SNOMED CT, ICD-10 and UCUM systems. The clinical codes below were checked (2026-11-25) against the
sources cited next to each; none of them is the terminology's own browser (WHO ICD-10 browser page
L80-L99, SNOMED CT browser), which could not be retrieved from this project, so review them against
those browsers before use in NPHIES. UCUM codes follow the UCUM grammar (prefix symbol + metric atom
+ integer exponent, e.g. ``mm2``; ``u`` = micro; ``1`` = unity; ``%``), checked against the UCUM
excerpt https://reference.opcfoundation.org/Core/Part8/v105/docs/Annex%C2%A0B, the prefix table
generated from ucum-essence.xml (https://app.unpkg.com/@atomic-ehr/ucum@0.2.5/files/src/prefixes.ts)
and the FHIR ucum-common value set (https://hl7.org/fhir/6.0.0-ballot4/valueset-ucum-common.html).
"""

from __future__ import annotations

import re

# -- external systems -------------------------------------------------------------------
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier types (MR = medical record number)
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
LANGUAGE_EXT = "http://hl7.org/fhir/StructureDefinition/language"
TARGET_BODY_STRUCTURE = "http://hl7.org/fhir/StructureDefinition/procedure-targetBodyStructure"
RFC3986 = "urn:ietf:rfc:3986"  # identifier system for a URI value (the RFC 6920 ni: hash name of a scan)

# -- scarwise systems -------------------------------------------------------------------
BASE = "urn:scarwise"
CLINIC_SYSTEM = f"{BASE}:clinic"  # Organization.identifier value = clinic id
LICENCE_SYSTEM = f"{BASE}:scfhs-licence"  # Saudi Commission for Health Specialties licence (no public URI known)
CS_MEASURE = f"{BASE}:fhir:CodeSystem:measure"  # Observation codes below
CS_SCAR_TYPE = f"{BASE}:fhir:CodeSystem:scar-type"
CS_CONSENT_KIND = f"{BASE}:fhir:CodeSystem:consent-kind"
CS_CTCAE_GRADE = f"{BASE}:fhir:CodeSystem:ctcae-grade"
CS_FOLLOW_UP = f"{BASE}:fhir:CodeSystem:follow-up"
CS_PROCEDURE = f"{BASE}:fhir:CodeSystem:procedure"
EXT = f"{BASE}:fhir:StructureDefinition"
EXT_DOSE, EXT_CELL_SOURCE, EXT_PROTOCOL = f"{EXT}:dose", f"{EXT}:cell-source", f"{EXT}:protocol"
EXT_PLAN, EXT_COST = f"{EXT}:injection-plan", f"{EXT}:cost-sar"
EXT_FITZPATRICK, EXT_NOTES, EXT_PIXEL_MM = f"{EXT}:fitzpatrick", f"{EXT}:notes", f"{EXT}:pixel-mm"

_CLINIC_NS = re.compile(r"^urn:scarwise:clinic:(\d+):([a-z-]+)$")


def clinic_system(clinic_id: int, kind: str) -> str:
    """Identifier system of a clinic's own ids (``urn:scarwise:clinic:{id}:{kind}``)."""
    return f"{CLINIC_SYSTEM}:{clinic_id}:{kind}"


def fhir_base(clinic_id: int) -> str:
    """Base of the exported fullUrls: RESTful in form so that ``Type/id`` references resolve (RFC 2606
    ``.invalid`` host: it never points anywhere; scarwise serves no per-resource FHIR endpoints)."""
    return f"https://scarwise.invalid/fhir/clinic/{clinic_id}"


def parse_clinic_system(system: str | None) -> tuple[int, str] | None:
    """``(clinic id, kind)`` of a clinic identifier system, or None for any other system."""
    m = _CLINIC_NS.match(system or "")
    return (int(m.group(1)), m.group(2)) if m else None


# -- clinical codes ---------------------------------------------------------------------
#: Condition.code. No SNOMED CT concept for "acne scar" could be verified from this project, so
#: none is sent. ICD-10 L90.5 "Scar conditions and fibrosis of skin": code and title as listed at
#: https://www.diseasedb.com/icd10/L90.5 (inclusion terms: adherent scar, cicatrix, disfigurement
#: of skin due to scar, fibrosis of skin NOS, scar NOS) and identically in several public ICD-10
#: code tables on GitHub (2026-11-25). Secondary sources only: the WHO ICD-10 browser page
#: (icd.who.int/browse10/2019/en, block L80-L99) was not retrievable here -- check it there.
CONDITION_TEXT = "Acne scarring"
CONDITION_CODINGS = [{"system": ICD10, "code": "L90.5", "display": "Scar conditions and fibrosis of skin"}]
#: BodyStructure.location / bodySite: SNOMED CT 89545001 "Face". The expansion (from SNOMED CT, whose
#: displays it shows where they differ from the value set's own, e.g. 421060004) of the HL7 Europe
#: PCSP value set https://build.fhir.org/ig/hl7-eu/pcsp/ValueSet-vs-affectedOrgan-eu-pcsp.html
#: lists "89545001 Face"; DICOM CID 4061 (Head and/or Neck Primary Anatomic Structure) gives the same
#: code meaning (2026-11-25). The display was "Face structure" (from memory, in no retrieved text).
#: The SNOMED CT browser itself was not retrievable -- check it there.
#: The clinic does not record the site per scan; the face is the default site of acne scarring.
FACE = {"system": SNOMED, "code": "89545001", "display": "Face"}

CONSENT_SCOPES = {"treatment": "treatment", "research": "research", "imaging": "patient-privacy"}
SCAR_TYPES = ("icepick", "boxcar", "rolling", "hypertrophic")
GENDERS = ("female", "male", "other", "unknown")
CELL_SOURCES = ("autologous", "allogeneic", "none")

#: ISO 25178 parameters: code → (UCUM unit, display). Heights in micrometres as in `measure`.
ISO_PARAMS = {
    "Sa": ("um", "Arithmetic mean height"), "Sq": ("um", "Root mean square height"),
    "Sp": ("um", "Maximum peak height"), "Sv": ("um", "Maximum pit height"), "Sz": ("um", "Maximum height"),
    "Ssk": ("1", "Skewness"), "Sku": ("1", "Kurtosis"), "Sdq": ("1", "Root mean square gradient"),
    "Sdr": ("%", "Developed interfacial area ratio"),
}
#: Grades from the `measure` grade object: code → display.
GRADES = {
    "goodman_baron_quantitative": "Goodman & Baron quantitative global acne scarring score",
    "goodman_baron_qualitative": "Goodman & Baron qualitative global acne scarring grade",
    "ecca": "ECCA (echelle d'evaluation clinique des cicatrices d'acne) score",
}
GRADE_CLINICIAN = "goodman_baron_quantitative_clinician"  # a clinician's corrected G&B score
SCAR = "scar"  # one scar: components below
SCAR_COUNT = "scar-count"  # prefix: scar-count-<type>, valueInteger
#: Components of a scar Observation: code → (UCUM unit, key in the `measure` scar object).
SCAR_COMPONENTS = {
    "width": ("mm", "width_mm"), "depth": ("mm", "depth_mm"), "area": ("mm2", "area_mm2"),
    "volume": ("mm3", "volume_mm3"), "centroid-x": ("mm", None), "centroid-y": ("mm", None),
}
REPORT = "scar-measurement"  # DiagnosticReport.code
SESSION = "scar-treatment-session"  # Procedure.code

MEASURE_CODES = {*ISO_PARAMS, *GRADES, GRADE_CLINICIAN, SCAR, *(f"{SCAR_COUNT}-{t}" for t in SCAR_TYPES)}

#: Content types of scan files by suffix (DocumentReference.content.attachment.contentType).
CONTENT_TYPES = {
    ".x3p": "application/x-x3p", ".tif": "image/tiff", ".tiff": "image/tiff", ".csv": "text/csv",
    ".xyz": "text/plain", ".ply": "application/ply", ".obj": "model/obj", ".npy": "application/x-npy",
    ".npz": "application/zip",
}


def ucum(value: float, unit: str) -> dict:
    """A FHIR Quantity in UCUM."""
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}
