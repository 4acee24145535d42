"""PDF output: text extracted with pypdf checked against measurement and evidence; Arabic right-to-left.

Needs WeasyPrint, Pango, poppler-utils and the Noto fonts (``.ci/report-deps.sh`` installs the
Debian packages); skipped with the reason when they are missing. Screenshots go to
``tests/report/artifacts/``.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scarwise.evidence import load_studies, meta_analysis
from scarwise.report import all_option_evidence, fmt_sar, load_prices, make_report
from tests.report.conftest import pdf_tools_missing

pytestmark = pytest.mark.skipif(pdf_tools_missing() is not None, reason=str(pdf_tools_missing()))


@pytest.fixture(scope="module")
def pdfs(measured, extra_studies, artifacts):
    surface, result = measured
    out = {}
    for lang in ("en", "ar"):
        data = make_report(surface, result, lang=lang, fmt="pdf", evidence=load_studies(extra_studies))
        path = artifacts / f"report-{lang}.pdf"
        path.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "3", str(path),
                        str(artifacts / f"report-{lang}")], check=True)
        out[lang] = path
    return out


def _text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"[\u200e\u200f\u061c\u00a0]", " ", text).replace("\u2212", "-")


def test_pdf_numbers_match_measure_and_evidence(pdfs, measured, extra_studies):
    _, result = measured
    text = _text(pdfs["en"])
    flat = re.sub(r"\s+", " ", text)
    assert "Your acne scars and the treatment options" in flat
    assert f"{result.grade.goodman_baron_quantitative} / {result.grade.goodman_baron_quantitative_max}" in flat
    assert f"{result.grade.ecca} / {result.grade.ecca_max}" in flat
    table = load_studies(extra_studies)
    for ev in all_option_evidence(table):
        if ev.studies:
            k, n = len(ev.studies), ev.n_patients
            phrase = f"{k} studies, {n} patients" if k > 1 else f"{k} study, {n} patients"
            assert phrase in flat, (ev.option.key, phrase)
    ref = meta_analysis([-2.1, -1.2, -1.6], [0.30, 0.20, 0.25], method="REML")
    assert f"{ref.estimate:.2f}" in flat
    assert f"{ref.ci_lb:.2f} – {ref.ci_ub:.2f}" in flat
    assert f"{ref.pi_lb:.2f} – {ref.pi_ub:.2f}" in flat
    prices = load_prices()
    lo, hi = prices.ranges["prp"].min_sar, prices.ranges["prp"].max_sar
    assert re.sub(r"\s", " ", f"{fmt_sar(lo, 'en')} – {fmt_sar(hi, 'en')}") in flat
    assert flat.count("No reliable evidence") >= 2  # exosomes and conditioned medium alone, in table and card
    assert re.search(r"Page 1 of \d+", flat)


def test_arabic_pdf_text_and_shaping(pdfs):
    text = _text(pdfs["ar"])
    assert re.search(r"[\u0600-\u06ff]", text)
    # shaped Arabic extracts as letters, not isolated presentation forms only
    assert "العلاج" in text or "خيارات" in text


def _ink_rows(png: Path) -> tuple[np.ndarray, int]:
    from PIL import Image

    image = np.asarray(Image.open(png).convert("L"), dtype=float)
    return image < 160, image.shape[1]


def _alignment(png: Path) -> tuple[float, float]:
    """Share of text rows touching the left and the right edge of the text block."""
    ink, width = _ink_rows(png)
    rows = [np.flatnonzero(r) for r in ink if r.sum() > 2]
    left = min(r[0] for r in rows)
    right = max(r[-1] for r in rows)
    tol = 0.02 * width
    return (float(np.mean([r[0] - left < tol for r in rows])), float(np.mean([right - r[-1] < tol for r in rows])))


def test_arabic_layout_is_right_to_left(pdfs, artifacts):
    pages = {lang: sorted(artifacts.glob(f"report-{lang}-*.png")) for lang in ("en", "ar")}
    assert pages["en"] and pages["ar"]
    en_left, en_right = _alignment(pages["en"][1])
    ar_left, ar_right = _alignment(pages["ar"][1])
    assert en_left > en_right + 0.2, (en_left, en_right)
    assert ar_right > ar_left + 0.2, (ar_left, ar_right)
    # the title (first accent-coloured line) ends at the right margin in Arabic, starts at the left in English
    from PIL import Image

    edges = {}
    for lang in ("en", "ar"):
        rgb = np.asarray(Image.open(pages[lang][0]).convert("RGB"), dtype=int)
        accent = (rgb[..., 0] < 80) & (rgb[..., 1] > 80) & (rgb[..., 2] > 110) & (rgb[..., 2] - rgb[..., 0] > 60)
        rows = np.flatnonzero(accent.sum(axis=1) > 3)
        cols = np.flatnonzero(accent[rows[0]:rows[0] + 12].any(axis=0))
        edges[lang] = (cols[0] / rgb.shape[1], cols[-1] / rgb.shape[1])
    assert edges["en"][0] < 0.12 and edges["ar"][1] > 0.88, edges
    assert edges["ar"][0] > edges["en"][0] + 0.05 and edges["en"][1] < edges["ar"][1] - 0.02, edges
