"""The protocol catalogue: contents and validation of user files."""

from __future__ import annotations

import json

import pytest

from scarwise.core.errors import InvalidFileError, InvalidParameterError
from scarwise.therapy import get_protocol, load_protocols
from scarwise.therapy._params import ModelParameters

REQUIRED = {"adsc", "svf", "conditioned_medium", "exosomes", "prp"}


def _builtin_json() -> dict:
    from importlib import resources

    return json.loads(resources.files("scarwise.therapy").joinpath("data/protocols.json").read_text())


def test_catalogue_covers_products_devices_and_combinations():
    protocols = load_protocols()
    products = {p.agent.product.name for p in protocols.values() if p.agent}
    devices = {d.name for p in protocols.values() for d in p.devices}
    assert REQUIRED <= products
    assert {"microneedling", "fractional_co2", "subcision"} <= devices
    assert any(p.agent and p.devices for p in protocols.values())
    assert protocols["none"].sessions == 0
    assert all(p.verified is False for n, p in protocols.items() if n != "none")  # priors, not facts


def test_schedule_override():
    p = get_protocol("prp").with_schedule(sessions=4, interval_days=14)
    assert p.session_days == (0.0, 14.0, 28.0, 42.0)
    with pytest.raises(InvalidParameterError):
        get_protocol("prp").with_schedule(sessions=-1)


def test_unknown_protocol_lists_known():
    with pytest.raises(InvalidParameterError, match="choose one of"):
        get_protocol("snake_oil")


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda d: d["protocols"]["prp"]["agent"].update(route="oral"), "route"),
        (lambda d: d["protocols"]["prp"]["agent"].update(concentration_per_ul=-1), "concentration_per_ul"),
        (lambda d: d["protocols"]["prp"].update(sessions=2.5), "sessions"),
        (lambda d: d["protocols"]["prp"]["agent"].update(product="unicorn"), "unicorn"),
        (lambda d: d["devices"]["microneedling"].update(intensity=3), "intensity"),
        (lambda d: d["products"]["adsc"].pop("retention_half_life_days"), "retention_half_life_days"),
        (lambda d: d["protocols"].pop("none"), "'none'"),
    ],
)
def test_invalid_user_file_is_refused_with_the_entry_named(tmp_path, edit, match):
    data = _builtin_json()
    edit(data)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidFileError, match=match):
        load_protocols(path)


def test_user_file_round_trip_and_broken_json(tmp_path):
    data = _builtin_json()
    data["protocols"]["prp"]["sessions"] = 6
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    assert get_protocol("prp", path).sessions == 6
    path.write_text("{not json")
    with pytest.raises(InvalidFileError, match="not valid JSON"):
        load_protocols(path)
    with pytest.raises(InvalidFileError, match="not found"):
        load_protocols(tmp_path / "missing.json")


def test_model_parameters_are_validated():
    with pytest.raises(InvalidParameterError, match="factor_decay_per_day"):
        ModelParameters(factor_decay_per_day=-1.0)
    with pytest.raises(InvalidParameterError, match="fibroblast_capacity"):
        ModelParameters(fibroblast_capacity=0.5)
    with pytest.raises(InvalidParameterError, match="unknown model parameter"):
        ModelParameters().replace(warp_speed=9.0)
