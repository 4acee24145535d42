"""Public patient-education pages under ``/learn`` (English and Arabic, no sign-in).

Every number is computed at request time from :func:`scarwise.evidence.load_studies` through the
same functions as the decision-aid report (:func:`scarwise.report.all_option_evidence`,
:func:`scarwise.report.load_prices`); figures are drawn on first request and cached.
"""

from scarwise.clinic.learn._content import brand_colour, contrast_ratio, costs_page, evidence_page
from scarwise.clinic.learn._routes import PAGES, forest_name, router

__all__ = ["PAGES", "brand_colour", "contrast_ratio", "costs_page", "evidence_page", "forest_name", "router"]
