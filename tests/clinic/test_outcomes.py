"""Outcomes by matched scar: synthetic visits of the same skin with a known change per scar.

The follow-ups are resampled from one synthetic patch under a known rotation and shift with
chosen scars partly filled (a scar keeping a share f of its depth keeps the share f of its volume),
one filled completely and one new scar dug, plus a scan of other skin that cannot be aligned.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from scarwise.surface.synthetic import make_skin_patch
from tests.surface.register._pairs import big_patch, make_pair, scar_change

FILL_1 = {0: 0.8}  # visit 2: scar 0 (rolling) keeps 80% of its depth
FILL_2 = {0: 0.6, 2: 0.5, 4: 0.0}  # visit 3: rolling 60%, boxcar 50%, icepick filled
NEW = ("boxcar", (7.5, 17.5), 1.8, 0.3)  # dug at visit 3


@pytest.fixture(scope="module")
def visits():
    patch = big_patch()
    v1 = make_pair(patch, change_mm=scar_change(patch, FILL_1), theta_deg=-1.0, shift_mm=(0.5, 0.5))
    v2 = make_pair(patch, change_mm=scar_change(patch, FILL_2, new=(NEW,)), theta_deg=3.0, shift_mm=(1.2, -0.8),
                   noise_um=1.0)
    other = make_skin_patch(nx=320, ny=320, pixel_mm=0.05, seed=99, n_scars=3)
    return v1, [("2025-01-01", v1.baseline.z), ("2025-04-01", v1.followup.z), ("2025-07-01", v2.followup.z),
                ("2025-08-01", other.surface.z)]


def _upload(client, world, pid, day, z):
    buf = io.BytesIO()
    np.save(buf, z)
    r = client.post(f"/api/patients/{pid}/scans", files={"file": (f"{day}.npy", buf.getvalue())},
                    data={"pixel_mm": "0.05", "visit_on": day}, headers=world.headers())
    assert r.status_code == 202, r.text
    assert client.get(f"/api/scans/{r.json()['id']}", headers=world.headers()).json()["status"] == "done"


def test_per_scar_lines_follow_the_known_change(world, client, visits, backend):
    pair, scans = visits
    pid = world.patient("OUT1")
    _upload(client, world, pid, *scans[0])
    r = client.get(f"/api/patients/{pid}/outcomes/scars", headers=world.headers("staff"))
    assert r.status_code == 422 and "at least 2 measured scans" in r.json()["detail"]
    for day, z in scans[1:]:
        _upload(client, world, pid, day, z)
    data = client.get(f"/api/patients/{pid}/outcomes/scars", headers=world.headers("staff")).json()
    assert [v["visit_on"] for v in data["visits"]] == [d for d, _z in scans]
    assert [v["aligned"] for v in data["visits"]] == [True, True, True, False]
    assert "not aligned with the baseline" in data["visits"][3]["note"]

    def line(i):  # the line of true scar i (baseline coordinates)
        t = pair.scars[i]
        return next(s for s in data["scars"] if math.dist(s["centroid_mm"], t.center_mm) < 0.3 * t.width_mm)

    rolling, boxcar, icepick = line(0), line(2), line(4)
    v, d = rolling["volume_mm3"], rolling["depth_mm"]
    assert v[1] / v[0] == pytest.approx(0.8, rel=0.1) and v[2] / v[0] == pytest.approx(0.6, rel=0.1)
    assert d[1] / d[0] == pytest.approx(0.8, rel=0.1) and d[2] / d[0] == pytest.approx(0.6, rel=0.1)
    assert v[3] is None and d[3] is None  # the unaligned visit has no value
    v = boxcar["volume_mm3"]
    assert v[1] / v[0] == pytest.approx(1.0, abs=0.05) and v[2] / v[0] == pytest.approx(0.5, rel=0.1)
    assert icepick["volume_mm3"][2] == 0.0 and icepick["followup_ids"][2] is None
    assert any("2025-07-01: no longer detected" in n for n in icepick["notes"])
    assert rolling["volume_mm3"][0] == pytest.approx(pair.scars[0].volume_mm3, rel=0.15)  # against the truth
    # the new scar is listed, not drawn, at the visit it appeared
    assert [(n["visit_on"]) for n in data["new_scars"]] == ["2025-07-01"]
    new_centre = (NEW[1][0] - pair.offset_mm, NEW[1][1] - pair.offset_mm)  # baseline coordinates
    assert math.dist(data["new_scars"][0]["centroid_mm"], new_centre) < 0.5
    # every baseline scar has a line; those cut by a later scan's edge say so
    assert len(data["scars"]) == len({s["baseline_id"] for s in data["scars"]}) >= 5
    cut = [s for s in data["scars"] if s["volume_mm3"][1] is None]
    assert all(any("outside the scanned area" in n for n in s["notes"]) for s in cut)
    if backend == "sqlite":  # the charts (same computation; drawn once)
        png = client.get(f"/api/patients/{pid}/outcomes/scars.png", headers=world.headers("staff"))
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        import matplotlib.image as mpimg

        assert mpimg.imread(io.BytesIO(png.content)).shape[:2] == (700, 1000)


def test_svg_chart_has_one_line_per_baseline_scar_and_marks_unaligned_visits():
    from scarwise.clinic._outcomes import MatchedOutcomes, ScarLine, Visit, outcome_figure, plot_outcomes

    visits = tuple(Visit(scan_id=k, visit_on=f"2025-0{k + 1}-01", aligned=k != 2, note=None,
                         total_volume_mm3=1.0 - k / 10, deepest_mm=0.5, grade=8 - k) for k in range(3))
    lines = tuple(ScarLine(baseline_id=i, type="boxcar", centroid_mm=(i, i), followup_ids=(i, i, None),
                           depth_mm=(0.3, 0.2, None), volume_mm3=(0.5 * i, 0.4 * i, None), notes=())
                  for i in (3, 7))
    out = MatchedOutcomes(visits=visits, lines=lines)
    svg = plot_outcomes(out, fmt="svg").decode()
    assert "<!-- #3 -->" in svg and "<!-- #7 -->" in svg  # legend labels of the two baseline scars
    fig = outcome_figure(out)
    vol, depth, total, grade = fig.axes
    per_scar = [[(ln.get_label(), list(ln.get_ydata())) for ln in ax.get_lines() if ln.get_label().startswith("#")]
                for ax in (vol, depth)]
    assert per_scar[0] == [("#3", pytest.approx([1.5, 1.2])), ("#7", pytest.approx([3.5, 2.8]))]  # None left out
    assert per_scar[1] == [("#3", pytest.approx([0.3, 0.2])), ("#7", pytest.approx([0.3, 0.2]))]
    assert [list(ln.get_xdata()) for ln in vol.get_lines() if not ln.get_label().startswith("#")] == [[2, 2]]
    own, matched = total.get_lines()
    assert list(own.get_ydata()) == pytest.approx([1.0, 0.9, 0.8])
    assert list(matched.get_ydata()) == pytest.approx([5.0, 4.0])  # the aligned visits only
    assert list(grade.get_lines()[0].get_ydata()) == [8, 7, 6]
    with pytest.raises(Exception, match="png or svg"):
        plot_outcomes(out, fmt="gif")
