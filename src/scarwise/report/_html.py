"""HTML for the report: Jinja2 templates in ``templates/``, one self-contained page (inline CSS and SVG)."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from scarwise.report._content import Report

FONTS = {"en": "'Noto Sans', 'DejaVu Sans', Arial, sans-serif",
         "ar": "'Noto Naskh Arabic', 'Noto Sans Arabic', 'Noto Sans', 'DejaVu Sans', sans-serif"}


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=PackageLoader("scarwise.report", "templates"), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(report: Report) -> str:
    """The report as one HTML document (``lang`` and ``dir`` set; screen and print CSS inline)."""
    t = report.strings
    css = _env().get_template("report.css").render(
        fonts=FONTS[report.lang], start="right" if report.direction == "rtl" else "left",
        page=t["page"], of=t["of"], latin_fonts=FONTS["en"])
    return _env().get_template("report.html").render(r=report, t=t, css=css)
