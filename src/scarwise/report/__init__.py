"""Patient decision-aid report (English and Arabic, HTML and PDF).

:func:`make_report` goes from a measured scan to report bytes; :func:`build_report` gives the
report model (every number with its footnote), :func:`render_html` and :func:`render_pdf` lay it
out. Expected benefits come only from pooled, verified evidence (:mod:`scarwise.evidence`).
"""

from scarwise.report._charts import icon_array_svg, range_bar_svg, scar_map_svg
from scarwise.report._content import (
    REGENERATIVE,
    REGULATION_CHECKED,
    OptionView,
    PooledView,
    Report,
    build_report,
    check_report,
    pooled_view,
)
from scarwise.report._html import render_html
from scarwise.report._i18n import LANGS, fmt_date, fmt_number, fmt_sar, translator
from scarwise.report._make import FORMATS, PatientInfo, make_report, read_patient_json
from scarwise.report._options import (
    LOWER_IS_BETTER,
    OPTIONS,
    RATIO_MEASURES,
    Option,
    OptionEvidence,
    all_option_evidence,
    option_evidence,
)
from scarwise.report._pdf import PdfBackendError, render_pdf
from scarwise.report._prices import PRICES_ENV_VAR, PriceList, PriceRange, load_prices
from scarwise.report._scan import ScanSection, Visit
from scarwise.report._sourced import Sourced

__all__ = [
    "FORMATS",
    "LANGS",
    "LOWER_IS_BETTER",
    "OPTIONS",
    "PRICES_ENV_VAR",
    "RATIO_MEASURES",
    "REGENERATIVE",
    "REGULATION_CHECKED",
    "Option",
    "OptionEvidence",
    "OptionView",
    "PatientInfo",
    "PdfBackendError",
    "PooledView",
    "PriceList",
    "PriceRange",
    "Report",
    "ScanSection",
    "Sourced",
    "Visit",
    "all_option_evidence",
    "build_report",
    "check_report",
    "fmt_date",
    "fmt_number",
    "fmt_sar",
    "icon_array_svg",
    "load_prices",
    "make_report",
    "option_evidence",
    "pooled_view",
    "range_bar_svg",
    "read_patient_json",
    "render_html",
    "render_pdf",
    "scar_map_svg",
    "translator",
]
