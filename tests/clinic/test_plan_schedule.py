"""Plans in the follow-up list (next planned session, computed from the schedule) and in the session table."""

from __future__ import annotations

import datetime as dt
import re

from tests.clinic.test_pages import _sign_in


def _practitioner(client, world, clinic="a"):
    r = client.post("/api/practitioners", json={"name": "Dr Noura", "licence_number": f"SCFHS-{clinic}",
                                                "licence_expires": "2099-01-01"},
                    headers=world.headers("admin", clinic))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _plan(client, h, pid, *, start: dt.date, sessions: int, interval: int = 30, protocol: str = "prp") -> int:
    r = client.post(f"/api/patients/{pid}/plans", json={"protocol": protocol, "planned_sessions": sessions,
                                                        "interval_days": interval, "start_on": start.isoformat()},
                    headers=h)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _session(client, h, pid, prac, day: dt.date, plan_id: int | None):
    r = client.post(f"/api/patients/{pid}/sessions", headers=h, json={
        "practitioner_id": prac, "performed_on": day.isoformat(), "product": "PRP", "lot": "L-7", "plan_id": plan_id})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_next_planned_session_in_the_follow_up_list(world, client):
    today = dt.date.today()
    start = today - dt.timedelta(days=60)
    h, prac = world.headers(), _practitioner(client, world)
    pid, pid_done, pid_cancel = world.patient("SCH-1"), world.patient("SCH-2"), world.patient("SCH-3")
    # 3 sessions every 30 days from 60 days ago, 1 recorded: the 2nd was due 30 days ago (overdue)
    overdue = _plan(client, h, pid, start=start, sessions=3)
    _session(client, h, pid, prac, start, overdue)
    # a completed plan (its only session recorded) and a cancelled one never show
    done = _plan(client, h, pid_done, start=start, sessions=1)
    _session(client, h, pid_done, prac, start, done)
    cancelled = _plan(client, h, pid_cancel, start=start, sessions=3)
    assert client.patch(f"/api/plans/{cancelled}", json={"status": "cancelled"}, headers=h).status_code == 200
    # not started yet: not due today, due by its start date
    future = _plan(client, h, pid, start=today + dt.timedelta(days=10), sessions=2, protocol="microneedling")
    # another clinic's overdue plan never shows in clinic A (and does in B)
    pid_b = world.patient("SCH-B", clinic="b")
    plan_b = _plan(client, world.headers("admin", "b"), pid_b, start=start, sessions=3)

    due = client.get("/api/follow-ups/planned-sessions", headers=world.headers("staff")).json()
    assert due == [{"plan_id": overdue, "patient_id": pid, "protocol": "prp", "session_number": 2,
                    "sessions_planned": 3, "due_on": (start + dt.timedelta(days=30)).isoformat()}]
    until = (today + dt.timedelta(days=10)).isoformat()
    later = client.get("/api/follow-ups/planned-sessions", params={"until": until}, headers=h).json()
    assert [(d["plan_id"], d["session_number"]) for d in later] == [(overdue, 2), (future, 1)]
    assert {d["plan_id"] for d in later}.isdisjoint({done, cancelled, plan_b})
    in_b = client.get("/api/follow-ups/planned-sessions", headers=world.headers("admin", "b")).json()
    assert [(d["plan_id"], d["due_on"]) for d in in_b] == [(plan_b, start.isoformat())]  # session 1, never done

    # the page lists it beside the follow-up visits, marked and overdue, in English and Arabic
    _sign_in(client, world)
    page = client.get("/follow-ups").text
    rows = re.findall(r"<tr>.*?</tr>", page.split('id="due-list"')[1], flags=re.S)
    planned = [r for r in rows if 'class="planned-session"' in r]
    visits = [r for r in rows if 'class="follow-up-visit"' in r]
    assert len(planned) == 1 and f'href="/plans/{overdue}"' in planned[0] and 'class="bad"' in planned[0]
    assert "planned session" in planned[0] and "Session 2 / 3" in planned[0]
    assert len(visits) == 2 and all("follow-up visit" in r for r in visits)  # the two 1-month visits are overdue
    for plan_id in (done, cancelled, future, plan_b):
        assert f'href="/plans/{plan_id}"' not in page
    ar = client.get("/follow-ups?lang=ar").text
    assert "جلسة مخططة" in ar and "زيارة متابعة" in ar
    # the schedule runs from the start date: with the 2nd recorded (late), the 3rd is due today, not overdue
    _session(client, h, pid, prac, today, overdue)
    due = client.get("/api/follow-ups/planned-sessions", headers=h).json()
    assert [(d["session_number"], d["due_on"]) for d in due] == [(3, today.isoformat())]
    row = [r for r in re.findall(r"<tr>.*?</tr>", client.get("/follow-ups").text, flags=re.S)
           if 'class="planned-session"' in r]
    assert len(row) == 1 and 'class="bad"' not in row[0]
    # the 3rd recorded completes the plan: off the list
    _session(client, h, pid, prac, today, overdue)
    assert client.get("/api/follow-ups/planned-sessions", headers=h).json() == []
    assert 'class="planned-session"' not in client.get("/follow-ups").text


def test_session_table_links_each_session_to_its_plan(world, client):
    h, prac = world.headers(), _practitioner(client, world)
    pid = world.patient("SCH-4")
    plan = _plan(client, h, pid, start=dt.date(2025, 3, 1), sessions=3)
    _session(client, h, pid, prac, dt.date(2025, 3, 1), plan)
    _session(client, h, pid, prac, dt.date(2025, 4, 1), None)
    _sign_in(client, world)
    page = client.get(f"/patients/{pid}").text
    table = page.split('<section id="sessions">')[1].split("</table>")[0]
    cells = re.findall(r'<td class="session-plan">(.*?)</td>', table, flags=re.S)
    assert len(cells) == 2
    linked = [c for c in cells if f'href="/plans/{plan}"' in c]
    assert len(linked) == 1 and "prp" in linked[0]
    assert [c for c in cells if c not in linked] == ["—"]
    assert "خطة العلاج" in client.get(f"/patients/{pid}?lang=ar").text.split('<section id="sessions">')[1]
