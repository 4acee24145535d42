"""PDF for the report through WeasyPrint (Pango shapes Arabic; fonts come from Debian packages)."""

from __future__ import annotations

from scarwise.core.errors import ScarwiseError
from scarwise.report._content import Report
from scarwise.report._html import render_html


class PdfBackendError(ScarwiseError):
    """WeasyPrint or its system libraries are missing."""

    http_status = 500


def render_pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4, page numbers, clinic name and date on every page)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz shared libraries not found
        raise PdfBackendError(
            f"PDF output needs WeasyPrint and Pango ({exc}); pip install weasyprint and, on Debian, "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core (see .ci/report-deps.sh), "
            "or use --format html") from None
    return HTML(string=render_html(report), base_url=None).write_pdf()
