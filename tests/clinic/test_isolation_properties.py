"""Isolation and roles as properties (hypothesis) over every route of the app, pages and API.

The routes are read from the app itself (``app.routes``, checked against the OpenAPI document),
so routes added later are covered without editing this file. Two clinics hold one object of every
type (patient, consent, scan with its files, practitioner, session, follow-up, adverse event,
treatment plan, users of every role). Hypothesis draws a route, the role of a clinic-A user (or
no sign-in), which clinic owns each id in the path and in the body, and a body variant. Properties:

* a reference to a clinic-B object never answers 2xx/3xx, no answer contains clinic B's data,
  and clinic B's rows and files are byte-for-byte unchanged afterwards;
* on clinic A's own objects the answer is 403 exactly when ``PERMISSIONS`` says the role is too
  low (and then nothing of clinic A changed), never 403 otherwise; without sign-in every
  non-public route answers 401 (API) or a redirect to ``/login`` (pages);
* no answer is a 5xx.

A route that ``PERMISSIONS`` does not classify fails ``test_every_route_is_classified``.
SQLite only: the queries under test are the same on PostgreSQL, and one module-scoped app keeps
the run short.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from scarwise.clinic import create_app, crud, models
from scarwise.clinic.deps import SESSION_COOKIE
from scarwise.clinic.pages._render import BROWSER_COOKIE
from tests.clinic.conftest import PASSWORD, make_settings

EXAMPLES_PER_ROUTE = 3
ROLES = ("admin", "clinician", "staff", "anonymous")
RANK = {"staff": 0, "clinician": 1, "admin": 2}
GET, WRITE = {"GET"}, {"POST", "PUT", "PATCH", "DELETE"}
PUBLIC = "public"
PATIENT, SCAN, PLAN = r"(/api)?/patients/\{patient_id\}", r"(/api)?/scans/\{scan_id\}", r"(/api)?/plans/\{plan_id\}"
#: (methods, path pattern matched in full, least role); the first match wins. Unlisted routes fail.
PERMISSIONS: list[tuple[set[str], str, str]] = [
    (GET | WRITE, r"/|/login|/logout|/healthz|/learn(/.*)?|/api/(openapi\.json|docs|auth/token)|/docs/.*", PUBLIC),
    ({"DELETE"}, PATIENT, "admin"),
    ({"POST"}, PATIENT + "/erase", "admin"),
    (GET, r"(/api)?/audit", "admin"),
    ({"POST"}, r"(/api)?/practitioners", "admin"),
    ({"POST"}, PATIENT + "/(sessions|adverse-events|plans)", "clinician"),
    ({"PATCH", "DELETE", "POST"}, PLAN + "(/.*)?", "clinician"),
    ({"PATCH"}, SCAN, "clinician"),
    ({"POST"}, SCAN + "/correct", "clinician"),
    (GET, r"/api/adverse-events|/safety|/api/lots/\{lot\}/patients|" + PATIENT + "/export", "clinician"),
    (GET | WRITE, r"(/api)?/(patients|scans|plans|follow-ups|practitioners)(/.*)?|(/api/auth)?/logout-everywhere",
     "staff"),
]
ID_PARAMS = {"patient_id": "patient", "consent_id": "consent", "scan_id": "scan", "session_id": "session",
             "practitioner_id": "practitioner", "follow_up_id": "follow_up", "plan_id": "plan",
             "adverse_event_id": "adverse_event", "event_id": "adverse_event", "user_id": "user"}
MARKER = "zqb"  # in every text field of clinic B; an answer to a clinic-A user must never contain it
BROWSER = "isolation-browser"
SCAN_BYTES = b"the same scan bytes in both clinics (one shared blob)"


def required_role(method: str, path: str) -> str | None:
    for methods, pattern, role in PERMISSIONS:
        if method in methods and re.fullmatch(pattern, path):
            return role
    return None


# -- routes of the app ----------------------------------------------------------------------------
def app_routes(app: Any) -> list[tuple[str, str, Any]]:
    """(method, path template, APIRoute or None) of every route, pages included (HEAD left out)."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.16x wraps included routers
        items = [(rc.path, rc.methods, rc.original_route) for rc in iter_route_contexts(app.routes)]
    except ImportError:  # pragma: no cover - older FastAPI lists the routes directly
        items = [(r.path, getattr(r, "methods", None), r) for r in app.routes]
    out = []
    for path, methods, route in items:
        for method in sorted((methods or set()) - {"HEAD"}):
            out.append((method, path, route if isinstance(route, APIRoute) else None))
    return out


# -- two clinics with one object of every type -------------------------------------------------
def seed_clinic(app: Any, clinic_id: int, tag: str, *, scan_status: str) -> dict[str, Any]:
    """One object of every type in ``clinic_id``; text fields carry ``tag``; returns ids by type."""
    blobs = app.state.blobs
    sha = blobs.put_file(_write(blobs.root.parent / "seed.x3p", SCAN_BYTES), suffix=".x3p")
    map_sha = blobs.put_file(_write(blobs.root.parent / f"{tag}.png", f"png {tag}".encode()), suffix=".png")
    with app.state.sessions() as db:
        p = crud.create_patient(db, clinic_id=clinic_id, data={"mrn": f"{tag}-mrn", "name_en": f"{tag} name"})
        consent = crud.create_consent(db, patient=p, kind="imaging", version=f"{tag}-v", signed_on=None)
        prac = crud.create_practitioner(db, clinic_id=clinic_id, data={
            "name": f"Dr {tag}", "licence_number": f"{tag}-lic", "licence_expires": dt.date(2099, 1, 1)})
        session = crud.create_session(db, patient=p, data={"practitioner_id": prac.id, "performed_on":
                                                           dt.date(2025, 1, 1), "product": f"{tag}-product",
                                                           "lot": f"LOT-{tag}"})
        ae = crud.create_adverse_event(db, patient=p, data={"session_id": session.id, "kind": f"{tag} rash",
                                                            "severity": 1, "onset_on": dt.date(2025, 1, 2)})
        done = scan_status == "done"
        scan = models.Scan(clinic_id=clinic_id, patient_id=p.id, filename=f"{tag}.x3p", sha256=sha, suffix=".x3p",
                           size_bytes=len(SCAN_BYTES), visit_on=dt.date(2025, 1, 1), status=scan_status,
                           result={"scars": [{"id": 1, "note": tag}]} if done else None,
                           map_sha256=map_sha if done else None, error=None if done else f"{tag} failed")
        db.add(scan)
        db.flush()
        ids: dict[str, Any] = {"patient": p.id, "consent": consent.id, "practitioner": prac.id,
                               "session": session.id, "adverse_event": ae.id, "scan": scan.id, "lot": f"LOT-{tag}",
                               "follow_up": db.scalar(select(models.FollowUp.id).where(
                                   models.FollowUp.session_id == session.id).limit(1))}
        if hasattr(models, "TreatmentPlan"):  # the treatment-plan entity (migration 0002)
            plan = models.TreatmentPlan(clinic_id=clinic_id, patient_id=p.id, protocol=f"{tag} protocol",
                                        planned_sessions=3, interval_days=28, start_on=dt.date(2025, 1, 1),
                                        scan_id=scan.id, notes=f"{tag} notes")
            db.add(plan)
            db.flush()
            ids["plan"] = plan.id
        db.commit()
    return ids


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def snapshot(app: Any, clinic_id: int) -> dict[str, Any]:
    """Every row that carries ``clinic_id`` (and the clinic row), and whether each scan file exists."""
    out: dict[str, Any] = {}
    with app.state.engine.connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            column = table.c.get("clinic_id") if "clinic_id" in table.c else (
                table.c.id if table.name == "clinic" else None)
            if column is not None:
                rows = conn.execute(select(table).where(column == clinic_id).order_by(*table.primary_key.columns))
                out[table.name] = [tuple(r) for r in rows]
    blobs = app.state.blobs
    out["files"] = sorted((r[4], blobs.path(r[4], r[5]).is_file()) for r in out.get("scan", []))
    return out


class World:
    def __init__(self, app: Any, client: TestClient) -> None:
        self.app, self.client, self.counter = app, client, itertools.count()
        security = app.state.security
        with app.state.sessions() as db:
            self.clinic = {"a": crud.create_clinic(db, name="Clinic A").id,
                           "b": crud.create_clinic(db, name=f"Clinic {MARKER}").id}
            self.users = {}
            for (key, cid), role in itertools.product(self.clinic.items(), RANK):
                user = crud.create_user(db, clinic_id=cid, email=f"{role}@{key}{MARKER if key == 'b' else ''}.example",
                                        password_hash=security.hash_password(PASSWORD), role=role)
                self.users[key, role] = user.id
            db.commit()
        self.ids = {"b": seed_clinic(app, self.clinic["b"], MARKER, scan_status="done")}
        self.reseed_a()
        self.b_before = snapshot(app, self.clinic["b"])

    def reseed_a(self) -> None:
        self.ids["a"] = seed_clinic(self.app, self.clinic["a"], f"a{next(self.counter)}", scan_status="failed")

    def ensure_a(self) -> None:
        """Recreate clinic A's objects when an allowed delete or erasure removed any of them."""
        types = {"patient": models.Patient, "consent": models.Consent, "scan": models.Scan,
                 "session": models.TreatmentSession, "follow_up": models.FollowUp,
                 "adverse_event": models.AdverseEvent, "practitioner": models.Practitioner}
        with self.app.state.sessions() as db:
            if any(db.get(model, self.ids["a"][key]) is None for key, model in types.items()) or (
                    "plan" in self.ids["a"] and db.get(models.TreatmentPlan, self.ids["a"]["plan"]) is None):
                self.reseed_a()

    def token(self, role: str) -> str:
        with self.app.state.sessions() as db:
            user = db.get(models.User, self.users["a", role])
            return self.app.state.security.make_token(user)


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("isolation")
    shutil.copy(sqlite_template, folder / "scarwise.db")
    mp = pytest.MonkeyPatch()
    mp.setattr("scarwise.clinic.routes.scans.measure_scan", lambda *a, **k: None)  # no background measuring
    app = create_app(make_settings(f"sqlite:///{folder / 'scarwise.db'}", folder / "data"))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield World(app, client)
    mp.undo()
    app.state.engine.dispose()


# -- requests -----------------------------------------------------------------------------------
def _ref(name: str) -> str | None:
    return ID_PARAMS.get(name)


def _json_value(name: str, schema: dict, defs: dict, ids: dict[str, Any], mrn: str) -> Any:
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    if _ref(name) and _ref(name) in ids:
        return ids[_ref(name)]
    if "anyOf" in schema:
        return _json_value(name, next((s for s in schema["anyOf"] if s.get("type") != "null"), {}), defs, ids, mrn)
    if "enum" in schema or "const" in schema:
        return schema.get("enum", [schema.get("const")])[0]
    kind, fmt = schema.get("type"), schema.get("format")
    if fmt == "date":
        return "2025-02-01"
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "array":
        return [_json_value("", schema.get("items", {}), defs, ids, mrn)] * schema.get("minItems", 0)
    if kind == "object":
        props = schema.get("properties", {})
        wanted = [k for k in props if k in schema.get("required", []) or _ref(k)]
        return {k: _json_value(k, props[k], defs, ids, mrn) for k in wanted}
    return mrn if name == "mrn" else "x" * max(1, schema.get("minLength", 1))


FORM_VALUES = {"kind": "imaging", "version": "v1", "sex": "female", "severity": "1", "pixel_mm": "0.1",
               "grade_override": "1", "scar_id": "1", "scar_type": "boxcar", "cost_sar": "0", "cell_source": "none",
               "password": PASSWORD, "product": "PRP", "lot": "LOT-X", "protocol": "", "fitzpatrick": ""}
FILES = {"file": ("scan.x3p", SCAN_BYTES), "photo": ("photo.png", b"\x89PNG not really"),
         "lights": ("lights.json", b'{"directions": [[0, 0, 1]]}')}


def build_body(route: APIRoute | None, ids: dict[str, Any], *, email: str, csrf: str, mrn: str
               ) -> tuple[dict | None, dict | None, list | None]:
    """(json, form data, files) that pass validation where the names allow it."""
    params = route.dependant.body_params if route is not None else []
    if len(params) == 1 and type(params[0].field_info).__name__ == "Body":
        model = params[0].field_info.annotation
        schema = model.model_json_schema()
        return _json_value("", schema, schema.get("$defs", {}), ids, mrn), None, None
    data, files = {}, []
    for p in params:
        kind = type(p.field_info).__name__
        if kind == "File":
            many = "list" in str(p.field_info.annotation)
            files += [(p.name, (f"{p.name}{i}.png", b"png")) for i in range(3)] if many else [(p.name, FILES.get(
                p.name, (f"{p.name}.bin", b"x")))]
        elif p.name == "csrf":
            data[p.name] = csrf
        elif _ref(p.name):
            data[p.name] = str(ids.get(_ref(p.name), ""))
        elif p.name in FORM_VALUES:
            data[p.name] = FORM_VALUES[p.name]
        else:
            data[p.name] = {"mrn": mrn, "email": email}.get(p.name, "2025-02-01" if re.search(
                r"(_on|_date|expires)$", p.name) else "x")
    return None, data or None, files or None


def _sent_b(world: World, path_types: dict[str, str], owners: dict[str, str], body: Any) -> list[str]:
    """The clinic-B objects this request names: path ids (not lot filters) and ``*_id`` body fields."""
    refs = [f"path {name}" for name, t in path_types.items() if t != "lot" and owners.get(t) == "b"]
    items = body.items() if isinstance(body, dict) else []
    for key, value in items:
        t = _ref(key)
        if t and t in world.ids["b"] and str(value) == str(world.ids["b"][t]):
            refs.append(f"body {key}")
    return refs


def check(world: World, method: str, path: str, route: APIRoute | None, role: str, owners: dict[str, str],
          variant: str = "minimal", mutation: tuple[str, Any] | None = None) -> int:
    """Send one request as a clinic-A ``role``; assert every property; return the status."""
    world.ensure_a()
    client, security = world.client, world.app.state.security
    ids = {t: world.ids[owners.get(t, "a")][t] for t in world.ids["a"]}
    path_types = {}
    url = path
    for name in re.findall(r"\{(\w+)\}", path):
        t = _ref(name) or {"lot": "lot", "name": "name"}.get(name)
        assert t is not None, f"{method} {path}: classify path parameter {name!r} in ID_PARAMS"
        path_types[name] = t
        url = url.replace("{" + name + "}", str(ids.get(t, "figure")))
    mrn = f"M{next(world.counter)}"
    email = f"{'staff' if role == 'anonymous' else role}@a.example"
    json_body, form, files = build_body(route, ids, email=email, csrf=security.csrf_for(BROWSER), mrn=mrn)
    body = json_body if json_body is not None else form
    if variant == "none":
        json_body = form = files = body = None
    elif variant == "mutated" and mutation and isinstance(body, dict) and body:
        key = sorted(k for k in body if k != "csrf")[mutation[0] % max(1, len(body) - ("csrf" in body))] \
            if [k for k in body if k != "csrf"] else None
        if key is not None:
            body[key] = mutation[1] if json_body is not None else (None if mutation[1] is None else str(mutation[1]))
            if body[key] is None and form is not None:
                del body[key]
    headers: dict[str, str] = {}
    client.cookies.clear()
    if role != "anonymous":
        token = world.token(role)
        if path.startswith("/api"):
            headers["Authorization"] = f"Bearer {token}"
        else:
            client.cookies.set(SESSION_COOKIE, token)
    if not path.startswith("/api"):
        client.cookies.set(BROWSER_COOKIE, BROWSER)
        headers["Accept"] = "text/html"
    b_refs = _sent_b(world, path_types, owners, body)
    required = required_role(method, path)
    a_before = snapshot(world.app, world.clinic["a"]) if role in RANK and required in RANK and not b_refs and \
        RANK[role] < RANK[required] else None
    r = client.request(method, url, json=json_body, data=form, files=files, headers=headers)
    what = f"{role} of clinic A: {method} {url} ({variant}) -> {r.status_code} {r.text[:200]!r}"
    sent = f"{url} {body}".lower()
    assert r.status_code < 500, what
    assert MARKER not in r.text.lower() or MARKER in sent, f"clinic B data in the answer: {what}"
    to_login = r.status_code == 303 and r.headers["location"].endswith("/login")  # a redirect without data
    if b_refs:
        assert r.status_code >= 400 or to_login, f"clinic-B object ({', '.join(b_refs)}) answered: {what}"
    assert snapshot(world.app, world.clinic["b"]) == world.b_before, f"clinic B changed: {what}"
    if required is None or required == PUBLIC:
        return r.status_code
    if role == "anonymous":
        assert r.status_code == 401 or to_login, what
    elif not b_refs and RANK[role] < RANK[required]:
        assert r.status_code == 403, f"needs {required}: {what}"
        assert snapshot(world.app, world.clinic["a"]) == a_before, f"refused, yet clinic A changed: {what}"
    elif not b_refs:
        assert r.status_code != 403, f"PERMISSIONS says {role} may ({required}): {what}"
    return r.status_code


# -- tests --------------------------------------------------------------------------------------
def test_every_route_is_classified(world: World) -> None:
    routes = app_routes(world.app)
    unclassified = [f"{m} {p}" for m, p, _ in routes if required_role(m, p) is None]
    assert unclassified == [], f"add these routes to PERMISSIONS: {unclassified}"
    documented = {(m.upper(), p) for p, ops in world.app.openapi()["paths"].items() for m in ops}
    assert documented <= {(m, p) for m, p, _ in routes}, "OpenAPI operations missing from app.routes"
    unknown = {n for _, p, _ in routes for n in re.findall(r"\{(\w+)\}", p)} - set(ID_PARAMS) - {"lot", "name"}
    assert unknown == set(), f"classify these path parameters in ID_PARAMS: {unknown}"


def test_sweep_every_route_role_and_clinic(world: World) -> None:
    """Deterministic floor under the random search: each route with valid bodies, as every role on
    clinic A's objects and as an admin (the role that reaches the most code) on clinic B's."""
    statuses = []
    combos = [(role, "a") for role in ROLES] + [("admin", "b")]
    for (method, path, route), (role, owner) in itertools.product(app_routes(world.app), combos):
        statuses.append(check(world, method, path, route, role, dict.fromkeys(world.ids["a"], owner)))
    print(f"isolation sweep: {len(statuses)} requests over {len(app_routes(world.app))} routes, "
          f"{sum(s < 300 for s in statuses)} answered 2xx")
    assert sum(s < 300 for s in statuses) > 20  # the bodies are valid enough to reach the handlers


def _property(world: World, method: str, path: str, route: Any, seen: list) -> Any:
    b_ids = sorted(v for v in world.ids["b"].values() if isinstance(v, int))

    @given(data=st.data())
    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(data: st.DataObject) -> None:
        role = data.draw(st.sampled_from(ROLES), label="role")
        owners = {t: data.draw(st.sampled_from("ab"), label=t) for t in world.ids["a"]}
        variant = data.draw(st.sampled_from(["minimal", "mutated", "none"]), label="body")
        mutation = (data.draw(st.integers(0, 20)), data.draw(st.one_of(
            st.none(), st.integers(-1, 2**31), st.text(max_size=6), st.sampled_from(b_ids)), label="value"))
        seen.append((method, path, check(world, method, path, route, role, owners, variant, mutation)))

    return run


def test_isolation_and_roles_property(world: World) -> None:
    """Hypothesis per route (so every route gets its share): role, owner of each id, body variant."""
    routes = app_routes(world.app)
    seen: list[tuple[str, str, int]] = []
    for method, path, route in routes:
        _property(world, method, path, route, seen)()
    print(f"isolation property: {len(seen)} hypothesis examples over {len({(m, p) for m, p, _ in seen})} routes, "
          f"{sum(s < 300 for *_, s in seen)} answered 2xx")
    assert {(m, p) for m, p, _ in seen} == {(m, p) for m, p, _ in routes}


def test_property_catches_a_missing_clinic_filter(world: World) -> None:
    """The check has teeth: with the clinic filter of the patient look-up removed it fails."""
    route = next(r for m, p, r in app_routes(world.app) if (m, p) == ("GET", "/api/patients/{patient_id}"))
    getter = next(d.call for d in route.dependant.dependencies if any(p.name == "patient_id" for p in d.path_params))

    def unfiltered(patient_id: int, request: Request) -> models.Patient | None:
        with request.app.state.sessions() as db:
            return db.get(models.Patient, patient_id)

    world.app.dependency_overrides[getter] = unfiltered
    try:
        with pytest.raises(AssertionError, match="clinic B data|clinic-B object"):
            check(world, "GET", "/api/patients/{patient_id}", route, "staff", {"patient": "b"})
    finally:
        world.app.dependency_overrides.pop(getter)
