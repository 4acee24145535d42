"""FHIR import inputs found by ``fuzz/fuzz_fhir.py``: each must be refused with a ScarwiseError.

``bad-resource-type.json`` (a resourceType that fhir.resources does not know, e.g. "OrganizatioN")
once escaped as a KeyError from fhir.resources; the importer now refuses it by name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scarwise.clinic import crud
from scarwise.clinic._db import make_engine, make_sessionmaker, migrate
from scarwise.clinic._settings import Settings
from scarwise.core import ScarwiseError
from scarwise.interop import import_bundle, load_json

CRASHERS = sorted((Path(__file__).parent / "fhir").glob("*.json"))


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory):
    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('fhir') / 'f.db'}"))
    migrate(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.mark.parametrize("path", CRASHERS, ids=[p.name for p in CRASHERS])
def test_fhir_crasher_refused(path: Path, sessions) -> None:
    with sessions() as db:
        clinic = crud.create_clinic(db, name=f"c-{path.stem}").id
        db.commit()
        with pytest.raises(ScarwiseError):
            import_bundle(db, load_json(path.read_bytes()), clinic_id=clinic)
