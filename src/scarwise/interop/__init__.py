"""FHIR R4 interoperability: a patient's record as a Bundle (export) and back (import).

Models from fhir.resources' ``R4B`` package (wire-compatible with R4 for the resources used).
Codes and systems: ``docs/fhir.md``.
"""

from scarwise.interop._export import export_patient, validate_bundle
from scarwise.interop._import import FhirImportError, ImportReport, import_bundle, load_json

__all__ = ["FhirImportError", "ImportReport", "export_patient", "import_bundle", "load_json", "validate_bundle"]
