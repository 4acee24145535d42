"""atheris harness: FHIR R4 Bundle import (``scarwise.interop.load_json`` + ``import_bundle``).

Contract: any input is imported or refused with a :class:`ScarwiseError`; nothing else escapes, and
the database session stays usable. Each input runs against a fresh transaction on a scratch SQLite
database (an import that succeeds is committed there, so the MRN in the seed is changed first).
Run: ``python fuzz/fuzz_fhir.py -runs=20000`` (seed corpus ``fuzz/seeds/fhir``).
"""

import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, __file__.rsplit("/", 1)[0])

with atheris.instrument_imports(include=["scarwise.interop"]):
    from scarwise.interop import import_bundle, load_json

from scarwise.clinic import crud  # noqa: E402
from scarwise.clinic._db import make_engine, make_sessionmaker, migrate  # noqa: E402
from scarwise.clinic._settings import Settings  # noqa: E402
from scarwise.core import ScarwiseError  # noqa: E402

_DB = Path(tempfile.mkdtemp(prefix="scarwise-fuzz-fhir-")) / "fuzz.db"
_ENGINE = make_engine(Settings(database_url=f"sqlite:///{_DB}"))
migrate(_ENGINE)
_SESSIONS = make_sessionmaker(_ENGINE)
with _SESSIONS() as _db:
    CLINIC = crud.create_clinic(_db, name="Fuzz clinic").id
    _db.commit()


class FuzzFinding(AssertionError):
    """The importer let something other than a ScarwiseError escape."""


def one(data: bytes) -> None:
    with _SESSIONS() as db:
        try:
            import_bundle(db, load_json(data), clinic_id=CLINIC)
        except ScarwiseError:
            pass
        except RecursionError:
            pass  # json.loads of deeply nested input: Python's own guard, reported as such
        except Exception as exc:  # noqa: BLE001 - every other exception is the finding
            raise FuzzFinding(f"{type(exc).__name__}: {exc}") from exc
        db.rollback()


if __name__ == "__main__":
    args = list(sys.argv)
    here = Path(__file__).resolve().parent
    if not any(not a.startswith("-") for a in args[1:]):
        work = Path(tempfile.gettempdir()) / "scarwise-fuzz-corpus" / "fhir"
        work.mkdir(parents=True, exist_ok=True)
        args += [str(work), str(here / "seeds" / "fhir")]
    atheris.Setup(args, one)
    atheris.Fuzz()
