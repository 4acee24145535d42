"""Plots are written as PNG and SVG, in English and Arabic, and are not blank."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import image as mpimg

from scarwise.core.errors import InvalidParameterError, UnsupportedFormatError
from scarwise.evidence import cumulative, effect_sizes, meta_analysis, subgroup_analysis, trim_and_fill
from scarwise.evidence._plots import cumulative_plot, forest_plot, funnel_plot
from tests.evidence._data import read


@pytest.fixture(scope="module")
def bcg():
    d = read("dat_bcg.csv")
    es = effect_sizes("RR", ai=d["ai"], bi=d["bi"], ci=d["ci"], di=d["di"])
    labels = [f"{a} {int(y)}" for a, y in zip(d["author"], d["year"], strict=True)]
    return es.yi, es.vi, labels, list(d["alloc"]), d["year"]


def _non_trivial_png(path):
    img = mpimg.imread(path)
    assert img.shape[0] > 200 and img.shape[1] > 200
    grey = (img[..., :3].mean(axis=-1) * 255).astype(np.uint8)
    assert np.unique(grey).size > 20 and (grey < 250).mean() > 0.01   # drawn on, not a blank canvas


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_forest_with_subgroups_and_prediction_interval(tmp_path, bcg, lang):
    y, v, labels, groups, _ = bcg
    res = meta_analysis(y, v)
    sub = subgroup_analysis(y, v, groups)
    png = forest_plot(labels, y, v, tmp_path / "f.png", result=res, subgroups=sub, groups=groups, lang=lang, exp=True)
    _non_trivial_png(png)
    svg = forest_plot(labels, y, v, tmp_path / "f.svg", result=res, lang=lang)
    text = svg.read_text()
    assert text.startswith("<?xml") and text.count("<path") > 20


def test_arabic_labels_differ_from_english(tmp_path, bcg):
    y, v, labels, _, _ = bcg
    res = meta_analysis(y, v)
    a = mpimg.imread(forest_plot(labels, y, v, tmp_path / "en.png", result=res, lang="en"))
    b = mpimg.imread(forest_plot(labels, y, v, tmp_path / "ar.png", result=res, lang="ar"))
    assert a.shape != b.shape or not np.array_equal(a, b)


def test_funnel_and_cumulative(tmp_path, bcg):
    y, v, labels, _, years = bcg
    res = meta_analysis(y, v)
    tf = trim_and_fill(y, v)
    _non_trivial_png(funnel_plot(y, v, tmp_path / "funnel.png", estimate=res.estimate, filled_yi=tf.filled_yi,
                                 filled_vi=tf.filled_vi, lang="ar"))
    perm, batch = cumulative(y, v, years)
    _non_trivial_png(cumulative_plot([labels[i] for i in perm[1:]], batch, tmp_path / "cum.png", exp=True))
    assert (tmp_path / "cum.png").stat().st_size > 10_000


def test_plot_errors(tmp_path, bcg):
    y, v, labels, _, _ = bcg
    with pytest.raises(UnsupportedFormatError, match=".png or .svg"):
        forest_plot(labels, y, v, tmp_path / "f.jpg")
    with pytest.raises(InvalidParameterError, match="lang"):
        forest_plot(labels, y, v, tmp_path / "f.png", lang="fr")
