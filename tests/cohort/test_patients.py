"""Virtual patients: per-index streams, documented distributions, hyperparameters."""

import numpy as np
import pytest
from scipy import stats

from scarwise.cohort import PARAMETERS, Population, draw_patients
from scarwise.cohort._patients import FITZPATRICK_PROBS, SCAR_TYPE_PROBS, scar_levels
from scarwise.core.errors import InvalidParameterError
from scarwise.surface.synthetic import DEPTH_RANGE_MM, WIDTH_RANGE_MM


@pytest.fixture(scope="module")
def many():
    return draw_patients(0, 4000, seed=21)


def test_patient_is_the_same_in_any_block(many):
    part = draw_patients(1234, 1240, seed=21)
    rows = slice(1234, 1240)
    np.testing.assert_array_equal(part.age_years, many.age_years[rows])
    np.testing.assert_array_equal(part.z, many.z[rows])
    sel = np.isin(many.scar_patient, np.arange(1234, 1240))
    np.testing.assert_array_equal(part.depth_mm, many.depth_mm[sel])
    assert not np.array_equal(draw_patients(0, 6, seed=22).z, many.z[:6])


def test_distributions_follow_the_documented_ones(many):
    n = many.n
    for probs, counts in ((FITZPATRICK_PROBS, np.bincount(many.fitzpatrick - 1, minlength=6)),
                          (SCAR_TYPE_PROBS, np.bincount(many.scar_type, minlength=3))):
        total = counts.sum()
        p = np.asarray(probs)
        assert np.all(np.abs(counts / total - p) <= 4 * np.sqrt(p * (1 - p) / total) + 1e-12)
    assert 16 <= many.age_years.min() and many.age_years.max() <= 60
    ages = stats.truncnorm((16 - 27) / 7, (60 - 27) / 7, loc=27, scale=7)  # documented: N(27, 7) on 16..60
    assert stats.kstest(many.age_years, ages.cdf).pvalue > 1e-3
    k = np.bincount(many.scar_patient, minlength=n)
    assert k.min() >= 1 and abs(k.mean() - 4.0) < 0.1  # 1 + Poisson(3)
    for t, name in enumerate(("icepick", "boxcar", "rolling")):
        w, d = many.width_mm[many.scar_type == t], many.depth_mm[many.scar_type == t]
        assert WIDTH_RANGE_MM[name][0] <= w.min() and w.max() <= WIDTH_RANGE_MM[name][1]
        assert DEPTH_RANGE_MM[name][0] <= d.min() and d.max() <= DEPTH_RANGE_MM[name][1]
    np.testing.assert_allclose(many.z.mean(axis=0), 0, atol=0.06)


def test_multipliers_follow_population_and_age(many):
    base = many.multipliers(Population())
    up = many.multipliers(Population().with_mu(device_response=0.5))
    j = list(PARAMETERS).index("device_response")
    np.testing.assert_allclose(up[:, j] / base[:, j], np.exp(0.5))
    young = many.age_years <= 30
    np.testing.assert_allclose(np.log(base[young, 1:]), many.z[young, 1:] * [0.2, 0.4, 0.5])
    assert (base[~young, 0] < np.exp(0.3 * many.z[~young, 0])).all()


def test_levels_keep_each_scar_volume(many):
    owner, depth, area, scar_row, _ = scar_levels(many)
    vol = np.bincount(scar_row, weights=depth * area)
    assert np.all(vol > 0) and np.all(owner == many.scar_patient[scar_row])
    np.testing.assert_allclose(np.bincount(scar_row, weights=area), np.pi * many.width_mm**2 / 4)


def test_bad_ranges():
    with pytest.raises(InvalidParameterError):
        draw_patients(5, 2, seed=0)
    with pytest.raises(InvalidParameterError):
        draw_patients(0, 2, seed=-1)
    with pytest.raises(InvalidParameterError, match="mu"):
        Population(mu={"x": 1.0})
