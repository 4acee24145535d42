"""Invalid input to areal_parameters: names, options, empty and too-small surfaces."""

import numpy as np
import pytest

from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError
from scarwise.surface.iso25178 import CONTRACT_PARAMETERS, DEFAULT_PARAMETERS, PARAMETERS, UNITS, areal_parameters


def _surface(ny=16, nx=16):
    return HeightMap(np.random.default_rng(0).standard_normal((ny, nx)) * 0.01, 0.01, 0.01)


def test_unknown_names_listed():
    with pytest.raises(InvalidParameterError, match=r"unknown areal parameter\(s\) \['Ra', 'sa'\]"):
        areal_parameters(_surface(), parameters=["Sa", "Ra", "sa"])


def test_a_string_is_not_a_list_of_names():
    with pytest.raises(InvalidParameterError, match="list of names"):
        areal_parameters(_surface(), parameters="Sa")


@pytest.mark.parametrize(("c", "p"), [(-1.0, 10.0), (1.0, -0.1), (1.0, 100.5), (float("nan"), 10.0)])
def test_invalid_options(c, p):
    with pytest.raises(InvalidParameterError):
        areal_parameters(_surface(), smr_c_um=c, smc_p_percent=p)


@pytest.mark.parametrize("shape", [(1, 50), (50, 1), (1, 1)])
def test_too_small(shape):
    with pytest.raises(EmptySurfaceError, match="at least 2 x 2"):
        areal_parameters(_surface(*shape))


def test_all_missing_or_no_valid_cell():
    with pytest.raises(EmptySurfaceError, match="valid point"):
        areal_parameters(HeightMap(np.full((8, 8), np.nan), 0.01, 0.01))
    checker = np.full((8, 8), np.nan)
    checker[::2, ::2] = 1.0  # 16 valid points, but no two of them adjacent
    with pytest.raises(EmptySurfaceError, match="2 x 2 cell"):
        areal_parameters(HeightMap(checker, 0.01, 0.01), parameters=["Sdq"])
    assert areal_parameters(HeightMap(checker, 0.01, 0.01), parameters=["Sa"])["Sa"] == 0.0


def test_names_units_order_and_contract():
    out = areal_parameters(_surface(64, 64))
    assert tuple(out) == DEFAULT_PARAMETERS
    assert tuple(areal_parameters(_surface(64, 64), parameters=PARAMETERS)) == PARAMETERS
    assert set(UNITS) == set(PARAMETERS)
    assert set(CONTRACT_PARAMETERS) <= set(PARAMETERS)
    picked = areal_parameters(_surface(), parameters=["Sdr", "Sa"])
    assert list(picked) == ["Sdr", "Sa"]
    assert all(isinstance(v, float) for v in out.values())


def test_integer_and_float32_heights_give_float64_results():
    z = (np.arange(64).reshape(8, 8) % 5).astype(np.float32)
    a = areal_parameters(HeightMap(z, 0.1, 0.1), parameters=CONTRACT_PARAMETERS)
    b = areal_parameters(HeightMap(z.astype(np.float64), 0.1, 0.1), parameters=CONTRACT_PARAMETERS)
    assert a == b
