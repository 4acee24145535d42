"""Clinic: photometric sets become measured scans; colour maps per scan; consent, bad input, isolation.

The set is rendered from a synthetic scarred patch with :func:`scarwise.capture.render_images`
(Lambertian + specular lobe + cast shadows + noise, quantised to 16 bit); the scars the clinic
measures on the reconstruction are compared with ``measure_surface`` on the true surface.
"""

from __future__ import annotations

import io
import json
import socket
import time
import zipfile

import numpy as np
import pytest
import tifffile
from PIL import Image
from sqlalchemy import select

from scarwise.capture import Lights, render_images
from scarwise.clinic._capture import CAPTURE_SUFFIX, capture_and_measure
from scarwise.clinic._scans import DIED, clean_blob_store
from scarwise.clinic.models import Scan, User
from scarwise.surface.synthetic import make_skin_patch
from tests.capture.conftest import ring_lights
from tests.capture.test_colour import expected_indices, reflectance
from tests.clinic.test_pages import _sign_in

PX = 0.06
BOXCAR, ROLLING = ((2.3, 2.4), 2.0, 0.25), ((5.2, 5.3), 3.0, 0.2)  # centre (x, y) mm, width mm, depth mm


@pytest.fixture(scope="module")
def photo_set():
    """(true surface, [(name, bytes)], lights JSON bytes): 6 lights, 128 x 128, 16-bit PNG and TIFF."""
    patch = make_skin_patch(nx=128, ny=128, pixel_mm=PX, seed=3,
                            scars=[("boxcar", *BOXCAR), ("rolling", *ROLLING)])
    directions = ring_lights(6, 50.0)
    images = render_images(patch.surface, Lights(directions), albedo=0.55, specular=0.3, shininess=100,
                           ambient=0.02, noise=0.003, seed=2)
    files = []
    for k, img in enumerate(np.round(images * 65535).astype(np.uint16)):
        buf = io.BytesIO()
        if k % 2:
            tifffile.imwrite(buf, img)
            files.append((f"light{k}.tif", buf.getvalue()))
        else:
            Image.fromarray(img).save(buf, format="PNG")
            files.append((f"light{k}.png", buf.getvalue()))
    lights = json.dumps({"directions": directions.tolist()}).encode()
    return patch.surface, files, lights


def _post_capture(client, world, pid, files, lights, *, pixel_mm="0.06", clinic="a", lights_name="lights.json"):
    role = "clinician" if clinic == "a" else "admin"
    parts = [("images", (n, b)) for n, b in files] + [("lights", (lights_name, lights))]
    return client.post(f"/api/patients/{pid}/captures", files=parts, data={"pixel_mm": pixel_mm},
                       headers=world.headers(role, clinic))


def _wait_done(client, world, sid):
    for _ in range(100):
        body = client.get(f"/api/scans/{sid}", headers=world.headers()).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"scan {sid} still {body['status']}")


def _closest(scars, centre):
    return min(scars, key=lambda s: np.hypot(s["centroid_mm"][0] - centre[0], s["centroid_mm"][1] - centre[1]))


@pytest.fixture
def captured(world, client, photo_set):
    """A patient with one measured photometric scan: (patient id, scan body)."""
    pid = world.patient("PS1")
    r = _post_capture(client, world, pid, photo_set[1], photo_set[2])
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    assert r.json()["capture"] == {"images": 6, "nx": 128, "ny": 128, "pixel_mm": PX}  # header-only checks
    body = _wait_done(client, world, r.json()["id"])
    assert body["status"] == "done", body["error"]
    assert body["result"]["capture"]["valid_fraction"] > 0.99  # reconstruction figures kept with the result
    return pid, body


def test_capture_is_measured_like_the_true_surface(captured, photo_set):
    from scarwise.surface.measure import measure_surface

    _, body = captured
    assert body["filename"].endswith(".x3p") and body["result"]["surface"]["dx_mm"] == pytest.approx(PX)
    truth = measure_surface(photo_set[0])
    assert len(truth.scars) == 2 and len(body["result"]["scars"]) >= 2
    for s in truth.scars:
        got = _closest(body["result"]["scars"], s.centroid_mm)
        assert np.hypot(got["centroid_mm"][0] - s.centroid_mm[0], got["centroid_mm"][1] - s.centroid_mm[1]) < 0.3
        assert got["depth_mm"] == pytest.approx(s.depth_mm, rel=0.15)
        assert got["volume_mm3"] == pytest.approx(s.volume_mm3, rel=0.15)


def test_no_imaging_consent_is_409_and_nothing_stored(world, client, photo_set):
    pid = world.patient("PS2", imaging=False)
    r = _post_capture(client, world, pid, photo_set[1], photo_set[2])
    assert r.status_code == 409 and "imaging consent" in r.json()["detail"]
    assert client.get(f"/api/patients/{pid}/scans", headers=world.headers()).json() == []


@pytest.mark.parametrize(("lights", "name", "needle"), [
    (b"{not json", "lights.json", "not valid JSON"),
    (json.dumps({"directions": ring_lights(4, 50.0).tolist()}).encode(), "lights.json",
     "4 light directions for 6 images"),
    (json.dumps({"directions": [[0, 0, 1]] * 6}).encode(), "lights.json", "coplanar"),
    (json.dumps({"directions": [[0, 0, 0]] * 6}).encode(), "lights.json", ""),
    (b"0,0,1\n", "lights.txt", ".json or .csv"),
])
def test_bad_lights_are_422(world, client, photo_set, lights, name, needle):
    pid = world.patient("PS3")
    r = _post_capture(client, world, pid, photo_set[1], lights, lights_name=name)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]
    assert client.get(f"/api/patients/{pid}/scans", headers=world.headers()).json() == []


def test_bad_pixel_size_images_and_types(world, client, photo_set):
    pid = world.patient("PS4")
    files, lights = photo_set[1], photo_set[2]
    assert _post_capture(client, world, pid, files, lights, pixel_mm="0").status_code == 422
    assert _post_capture(client, world, pid, files, lights, pixel_mm="nan").status_code == 422
    r = _post_capture(client, world, pid, [("x.bmp", b"BM")] + files[1:], lights)
    assert r.status_code == 415 and ".png" in r.json()["detail"]
    r = _post_capture(client, world, pid, files[:2], json.dumps({"directions": [[0, 0, 1]] * 2}).encode())
    assert r.status_code == 422 and "3 to 32 photographs" in r.json()["detail"]
    r = _post_capture(client, world, pid, [(files[0][0], b"\x89PNG\r\n\x1a\ntruncated")] + files[1:], lights)
    assert r.status_code == 400 and "PNG" in r.json()["detail"]
    assert client.get(f"/api/patients/{pid}/scans", headers=world.headers()).json() == []


@pytest.fixture
def held_jobs(monkeypatch):
    """The capture jobs the requests queued, held back so the test runs them when it wants."""
    jobs = []
    monkeypatch.setattr("scarwise.clinic.routes.capture.capture_and_measure", lambda *args: jobs.append(args))
    return jobs


def _row(app, sid):
    with app.state.sessions() as db:
        scan = db.get(Scan, sid)
        db.expunge(scan)
        return scan


def _scan_audit(client, world, sid):
    return [a for a in reversed(client.get("/api/audit?limit=500", headers=world.headers("admin")).json())
            if a["entity"] == "scan" and a["entity_id"] == sid]


def test_202_comes_before_the_reconstruction(world, client, app, photo_set, held_jobs):
    pid = world.patient("PS6")
    r = _post_capture(client, world, pid, photo_set[1], photo_set[2])
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    # answered and committed, nothing reconstructed yet: the row names the stored set, no result
    body = client.get(f"/api/scans/{sid}", headers=world.headers()).json()
    assert (body["status"], body["progress"], body["result"], body["error"]) == ("queued", 0.0, None, None)
    row, store = _row(app, sid), app.state.blobs
    assert row.suffix == CAPTURE_SUFFIX and store.path(row.sha256, row.suffix).is_file()
    with zipfile.ZipFile(store.path(row.sha256, row.suffix)) as zf:
        assert len([n for n in zf.namelist() if n.startswith("image-")]) == 6 and "lights.json" in zf.namelist()
    assert not list(store.root.glob(".capture-*"))  # the request's temporary folder is gone
    (job,) = held_jobs
    assert job[3] == sid
    capture_and_measure(*job)  # what the background task runs
    body = _wait_done(client, world, sid)
    assert body["status"] == "done" and body["progress"] == 1.0, body["error"]
    assert body["result"]["capture"]["surface"]["nx"] == 128 and body["result"]["scars"]
    done = _row(app, sid)
    assert done.suffix == ".x3p" and store.path(done.sha256, ".x3p").is_file()
    assert done.size_bytes == store.path(done.sha256, ".x3p").stat().st_size
    assert not store.path(row.sha256, row.suffix).exists()  # the set is dropped once the .x3p is stored
    assert not list(store.root.glob(".capture-*"))
    # audit: the upload (by the clinician) names the set; the worker's repointing names the .x3p
    audit = _scan_audit(client, world, sid)
    assert audit[0]["action"] == "create" and audit[0]["after"]["suffix"] == CAPTURE_SUFFIX
    with app.state.sessions() as db:
        clinician = db.scalar(select(User.id).where(User.email == world.email(world.clinic_a, "clinician")))
    assert audit[0]["user_id"] == clinician
    repoint = [a for a in audit if a["action"] == "update" and "sha256" in a["after"]]
    assert len(repoint) == 1 and repoint[0]["before"]["sha256"] == row.sha256
    assert repoint[0]["after"] == {"sha256": done.sha256, "size_bytes": done.size_bytes, "suffix": ".x3p"}
    assert audit[-1]["after"]["status"] == "done"


def test_undecodable_image_fails_in_the_background(world, client, app, photo_set):
    pid = world.patient("PS7")
    files = list(photo_set[1])
    name, data = files[2]
    assert name.endswith(".png")
    files[2] = (name, data[: len(data) // 2])  # the header is sound, the pixels are cut off
    r = _post_capture(client, world, pid, files, photo_set[2])
    assert r.status_code == 202, r.text
    body = _wait_done(client, world, r.json()["id"])
    assert body["status"] == "failed" and body["result"] is None
    assert body["error"].startswith("photometric reconstruction failed:") and "light2.png" in body["error"]
    assert "image-02" not in body["error"]  # named as uploaded, not as stored
    assert _scan_audit(client, world, body["id"])[-1]["after"]["status"] == "failed"


def test_killed_server_leaves_a_failed_scan_and_no_temporary_files(world, client, app, photo_set, held_jobs):
    pid = world.patient("PS8")
    r = _post_capture(client, world, pid, photo_set[1], photo_set[2])
    sid, store = r.json()["id"], app.state.blobs
    with app.state.sessions() as db:  # the process that queued it is gone before the job ran
        db.get(Scan, sid).worker = f"{socket.gethostname()}:999999999"
        db.commit()
    stray = store.root / ".capture-killed"
    stray.mkdir()
    (stray / "image-00.png").write_bytes(b"half")
    body = client.get(f"/api/scans/{sid}", headers=world.headers()).json()
    assert body["status"] == "failed" and body["error"] == DIED
    with app.state.sessions() as db:
        assert stray in clean_blob_store(db, store, grace_s=0)
        row = db.get(Scan, sid)
        assert store.path(row.sha256, row.suffix).is_file()  # the failed scan's set is whole and still named
    assert not stray.exists()


def test_images_on_different_grids_are_422_up_front(world, client, photo_set, held_jobs):
    pid = world.patient("PS9")
    files = list(photo_set[1])
    buf = io.BytesIO()
    Image.fromarray(np.zeros((64, 80), np.uint16)).save(buf, format="PNG")
    files[4] = ("small.png", buf.getvalue())
    r = _post_capture(client, world, pid, files, photo_set[2])
    assert r.status_code == 422 and "small.png is 80 x 64" in r.json()["detail"]
    assert held_jobs == [] and client.get(f"/api/patients/{pid}/scans", headers=world.headers()).json() == []


def _photo(ny=128, nx=128):
    """Linear 16-bit RGB: skin, a red disc on the boxcar, a pigmented disc on the rolling scar."""
    yy, xx = (np.mgrid[0:ny, 0:nx] + 0.5) * PX
    c_h, c_m = np.full((ny, nx), 0.2), np.full((ny, nx), 0.3)
    c_h[np.hypot(xx - BOXCAR[0][0], yy - BOXCAR[0][1]) < BOXCAR[1] / 2 + 0.3] = 0.7
    c_m[np.hypot(xx - ROLLING[0][0], yy - ROLLING[0][1]) < ROLLING[1] / 2 + 0.3] = 0.9
    buf = io.BytesIO()
    tifffile.imwrite(buf, np.round(reflectance(c_h, c_m) * 65535).astype(np.uint16), photometric="rgb")
    return buf.getvalue()


def test_colour_maps_per_scar(world, client, app, captured):
    pid, body = captured
    sid, h = body["id"], world.headers()
    assert client.get(f"/api/scans/{sid}/colour", headers=h).status_code == 404
    r = client.post(f"/api/scans/{sid}/colour", files={"photo": ("skin.tif", _photo())}, data={"linear": "true"},
                    headers=h)
    assert r.status_code == 200, r.text
    stats = r.json()
    ei_skin, mi_skin = expected_indices(0.2, 0.3)
    ei_red, _ = expected_indices(0.7, 0.3)
    _, mi_dark = expected_indices(0.2, 0.9)
    boxcar = _closest(body["result"]["scars"], BOXCAR[0])["id"]
    rolling = _closest(body["result"]["scars"], ROLLING[0])["id"]
    rows = {row["id"]: row for row in stats["scars"]}
    # the measured footprints lie inside the coloured discs: their means are the formula's values
    for sid_, (c_h, c_m) in ((boxcar, (0.7, 0.3)), (rolling, (0.2, 0.9))):
        ei, mi = expected_indices(c_h, c_m)
        assert rows[sid_]["erythema_mean"] == pytest.approx(ei, abs=0.05)
        assert rows[sid_]["melanin_mean"] == pytest.approx(mi, abs=0.05)
    assert rows[boxcar]["erythema_delta"] > 10 and rows[rolling]["melanin_delta"] > 5  # vs the ring around
    ei_skin, mi_skin = expected_indices(0.2, 0.3)
    assert stats["discoloured"][0]["surround_erythema_mean"] == pytest.approx(ei_skin, abs=0.05)
    assert stats["macular_candidates"] == 0  # both patches overlie 3D scars
    assert client.get(f"/api/scans/{sid}/colour", headers=h).json() == stats
    png = client.get(f"/api/scans/{sid}/colour.png", headers=h)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    # storing it left one audit entry (who, which scan, the numbers; no image data), replacing it another
    def colour_rows():
        return [a for a in client.get("/api/audit?limit=500", headers=world.headers("admin")).json()
                if a["action"] == "colour" and a["entity"] == "scan" and a["entity_id"] == sid]

    (first,) = colour_rows()
    with app.state.sessions() as db:
        clinician = db.scalar(select(User.id).where(User.email == world.email(world.clinic_a, "clinician")))
    assert first["before"] is None and first["user_id"] == clinician
    summary = {r["id"]: r for r in first["after"]["scars"]}
    assert summary[boxcar]["erythema_mean"] == pytest.approx(rows[boxcar]["erythema_mean"], abs=1e-3)
    assert first["after"]["macular_candidates"] == 0 and first["after"]["encoding"] == "linear"
    r = client.post(f"/api/scans/{sid}/colour", files={"photo": ("skin.tif", _photo())}, headers=h)
    assert r.status_code == 200, r.text
    second = colour_rows()[0]  # newest first
    assert len(colour_rows()) == 2 and second["before"] == first["after"] and second["after"]["encoding"] == "srgb"
    dump = json.dumps([first, second])
    assert len(dump) < 4000 and "PNG" not in dump and "base64" not in dump
    # a photograph on another grid is refused clearly, naming the scan as uploaded
    r = client.post(f"/api/scans/{sid}/colour", files={"photo": ("small.tif", _photo(64, 80))}, headers=h)
    assert r.status_code == 422 and "registered on the scan's grid" in r.json()["detail"]
    assert body["filename"] in r.json()["detail"] and "small.tif" in r.json()["detail"]
    r = client.post(f"/api/scans/{sid}/colour", files={"photo": ("skin.gif", b"GIF89a")}, headers=h)
    assert r.status_code == 415
    assert len(colour_rows()) == 2  # refused photographs change nothing and log nothing
    # the scan page shows the maps and the table, in English and Arabic
    _sign_in(client, world)
    page = client.get(f"/scans/{sid}").text
    assert 'id="colour-map"' in page and 'id="colour-scars"' in page
    assert "الحمامى" in client.get(f"/scans/{sid}?lang=ar").text


def test_other_clinic_gets_404(world, client, captured, photo_set):
    pid, body = captured
    h_b = world.headers("admin", "b")
    assert _post_capture(client, world, pid, photo_set[1], photo_set[2], clinic="b").status_code == 404
    for r in (client.post(f"/api/scans/{body['id']}/colour", files={"photo": ("skin.tif", _photo())}, headers=h_b),
              client.get(f"/api/scans/{body['id']}/colour", headers=h_b),
              client.get(f"/api/scans/{body['id']}/colour.png", headers=h_b)):
        assert r.status_code == 404 and f"no scan {body['id']} in your clinic" in r.json()["detail"]


def test_patient_page_form_uploads_a_set(world, client, photo_set):
    pid = world.patient("PS5")
    csrf = _sign_in(client, world)
    page = client.get(f"/patients/{pid}").text
    assert f'action="/patients/{pid}/captures"' in page
    parts = [("images", (n, b)) for n, b in photo_set[1]] + [("lights", ("lights.json", photo_set[2]))]
    r = client.post(f"/patients/{pid}/captures", files=parts, data={"csrf": csrf, "pixel_mm": "0.06"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/scans/")
    sid = int(r.headers["location"].rsplit("/", 1)[1])
    assert _wait_done(client, world, sid)["status"] == "done"
    r = client.post(f"/patients/{pid}/captures", files=parts, data={"csrf": "forged", "pixel_mm": "0.06"})
    assert r.status_code == 403
