"""Shared fixtures: one small measured synthetic patch, extra verified studies for a pooled option."""
# ruff: noqa: E501  (a CSV fixture: one study per line)

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent / "artifacts"

#: Three verified microneedling studies with effect sizes, written for these tests only (ids test_*),
#: so that one option has a pool to show; the packaged table has no poolable option yet.
EXTRA_STUDIES = """\
id,first_author,journal,design,n,treatments,comparator,sessions,outcome_scale,reported,adverse_events,verified,effect_measure,yi,vi,effect_note
test_mn_a,Testa A,Test J,split-face RCT,20,microneedling,untreated side,3,goodman_baron,test row,erythema 4/20,true,MD,-2.1,0.30,test fixture
test_mn_b,Testa B,Test J,split-face RCT,30,microneedling,untreated side,3,goodman_baron,test row,,true,MD,-1.2,0.20,test fixture
test_mn_c,Testa C,Test J,RCT,40,microneedling,untreated side,4,goodman_baron,test row,,true,MD,-1.6,0.25,test fixture
"""


@pytest.fixture(scope="session")
def measured():
    from scarwise.surface.measure import measure_surface
    from scarwise.surface.synthetic import make_skin_patch

    patch = make_skin_patch(nx=300, ny=260, pixel_mm=0.05, n_scars=5, seed=3, hypertrophic=1)
    return patch.surface, measure_surface(patch.surface)


@pytest.fixture(scope="session")
def extra_studies(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ev") / "extra.csv"
    path.write_text(EXTRA_STUDIES, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    print(f"\nreport screenshots and PDFs saved under {ARTIFACTS}")
    return ARTIFACTS


def pdf_tools_missing() -> str | None:
    """Why PDF tests cannot run here, or None."""
    try:
        import pypdf  # noqa: F401
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"weasyprint/pypdf unavailable ({exc}); install the dev extra and run .ci/report-deps.sh"
    if shutil.which("pdftoppm") is None:
        return "poppler-utils (pdftoppm) missing; run .ci/report-deps.sh as root"
    import subprocess

    fonts = subprocess.run(["fc-list", ":lang=ar", "family"], capture_output=True, text=True).stdout
    if "Noto Naskh Arabic" not in fonts:
        return "font Noto Naskh Arabic missing (Debian fonts-noto-core); run .ci/report-deps.sh as root"
    return None
