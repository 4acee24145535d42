"""HeightMap, size limits and shared argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.core import (
    EmptySurfaceError,
    HeightMap,
    InvalidParameterError,
    ScarwiseError,
    TooLargeError,
    check_point_count,
    max_points,
)
from scarwise.core._checks import check_choice, check_non_negative, check_positive, check_same_shape


def test_rejects_bad_shapes_and_pixels():
    with pytest.raises(InvalidParameterError, match="2-D"):
        HeightMap(np.zeros(5), 0.1, 0.1)
    with pytest.raises(InvalidParameterError, match="dx_mm"):
        HeightMap(np.zeros((2, 2)), 0.0, 0.1)
    with pytest.raises(InvalidParameterError, match="dy_mm"):
        HeightMap(np.zeros((2, 2)), 0.1, float("nan"))


def test_invalid_parameter_is_also_value_error():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, ScarwiseError)


def test_heights_become_float64_and_inf_becomes_missing():
    z = np.array([[1, 2], [np.inf, 4]], dtype=np.float32)
    hm = HeightMap(z, 0.02, 0.03)
    assert hm.z.dtype == np.float64
    assert hm.valid.tolist() == [[True, True], [False, True]]
    assert (hm.nx, hm.ny) == (2, 2)
    np.testing.assert_allclose(hm.x_mm, [0.0, 0.02])
    np.testing.assert_allclose(hm.y_mm, [0.0, 0.03])


def test_with_z_keeps_grid_and_merges_metadata():
    hm = HeightMap(np.zeros((3, 4)), 0.1, 0.2, {"source": "a"})
    other = hm.with_z(np.ones((3, 4)), step="leveled")
    assert other.dx_mm == 0.1 and other.dy_mm == 0.2
    assert other.metadata == {"source": "a", "step": "leveled"}
    assert hm.metadata == {"source": "a"}


def test_require_valid_names_the_problem():
    with pytest.raises(EmptySurfaceError, match="0 valid point"):
        HeightMap(np.full((5, 5), np.nan), 0.1, 0.1).require_valid()
    with pytest.raises(EmptySurfaceError, match="1 x 1"):
        HeightMap(np.zeros((1, 1)), 0.1, 0.1).require_valid()
    HeightMap(np.zeros((2, 2)), 0.1, 0.1).require_valid()


def test_point_limit_default_env_and_override(monkeypatch):
    monkeypatch.delenv("SCARWISE_MAX_POINTS", raising=False)
    assert max_points() == 8192 * 8192
    check_point_count(8192, 8192)
    with pytest.raises(TooLargeError, match="SCARWISE_MAX_POINTS"):
        check_point_count(8193, 8192)
    monkeypatch.setenv("SCARWISE_MAX_POINTS", "100")
    with pytest.raises(TooLargeError, match="over the limit of 100"):
        check_point_count(11, 10)
    assert max_points(200) == 200
    monkeypatch.setenv("SCARWISE_MAX_POINTS", "lots")
    with pytest.raises(InvalidParameterError, match="whole number"):
        max_points()
    with pytest.raises(InvalidParameterError, match="at least 1 x 1"):
        check_point_count(0, 5, limit=10)


def test_checks():
    check_positive(a=1, b=0.5)
    with pytest.raises(InvalidParameterError, match="a must be"):
        check_positive(a=0)
    with pytest.raises(InvalidParameterError, match="b must be"):
        check_non_negative(b=-1)
    check_non_negative(b=0)
    with pytest.raises(InvalidParameterError, match="shapes differ"):
        check_same_shape(np.zeros((2, 2)), np.zeros((2, 3)), names=("u", "v"))
    with pytest.raises(InvalidParameterError, match="choose one of"):
        check_choice("method", "x", ["a", "b"])
