"""Treatment plans: a course of a ``scarwise.therapy`` protocol for one patient, and its progress.

A plan names the protocol, the number of sessions and their interval, the scan it was planned
from, the target scars and an estimated cost in SAR. For an injected protocol its injection plan
(sites, volumes and doses per scar for one session) is computed with
:func:`scarwise.therapy.plan_injections` from the patient's latest measured scan (or the scan
named), measured again from its stored file because the plan needs the scar footprints.

Status: ``planned`` → ``active`` (first session recorded under it) → ``completed`` (all planned
sessions recorded); ``cancelled`` by a clinician at any time. Sessions cannot be added to a
completed or cancelled plan. Like ``crud``, writes flush and the caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scarwise.clinic._errors import ConflictError, NotFoundError
from scarwise.clinic._scans import BlobStore
from scarwise.clinic._settings import Settings
from scarwise.clinic.crud import _get
from scarwise.clinic.models import Patient, Scan, TreatmentPlan, TreatmentSession
from scarwise.core.errors import InvalidParameterError

OPEN_STATUSES = ("planned", "active")


def protocol_names() -> list[str]:
    """Protocols a plan may name (the therapy catalogue, without the untreated course ``none``)."""
    from scarwise.therapy import load_protocols

    return sorted(n for n in load_protocols() if n != "none")


def get_plan(db: Session, *, clinic_id: int, plan_id: int) -> TreatmentPlan:
    """One plan of ``clinic_id``; another clinic's plan reads as missing (404)."""
    return _get(db, TreatmentPlan, plan_id, clinic_id, "treatment plan")


def list_plans(db: Session, *, patient: Patient) -> list[TreatmentPlan]:
    q = select(TreatmentPlan).where(TreatmentPlan.patient_id == patient.id)
    return list(db.scalars(q.order_by(TreatmentPlan.start_on, TreatmentPlan.id)))


def plan_sessions(db: Session, *, plan: TreatmentPlan) -> list[TreatmentSession]:
    q = select(TreatmentSession).where(TreatmentSession.plan_id == plan.id)
    return list(db.scalars(q.order_by(TreatmentSession.performed_on, TreatmentSession.id)))


def sessions_done(db: Session, plan_ids: list[int]) -> dict[int, int]:
    """Sessions recorded under each plan (0 for none)."""
    if not plan_ids:
        return {}
    q = (select(TreatmentSession.plan_id, func.count()).where(TreatmentSession.plan_id.in_(plan_ids))
         .group_by(TreatmentSession.plan_id))
    counts = {plan_id: n for plan_id, n in db.execute(q).all()}
    return {i: int(counts.get(i, 0)) for i in plan_ids}


def planned_dates(plan: TreatmentPlan) -> list[dt.date]:
    """Session dates of the plan: ``start_on`` and then every ``interval_days``."""
    return [plan.start_on + dt.timedelta(days=k * plan.interval_days) for k in range(plan.planned_sessions)]


def progress(plan: TreatmentPlan, done: int) -> dict[str, Any]:
    """Sessions done of planned, the share done (0..1) and the next planned date (None when finished)."""
    dates = planned_dates(plan)
    nxt = dates[done] if done < len(dates) and plan.status in OPEN_STATUSES else None
    return {"sessions_done": done, "sessions_planned": plan.planned_sessions,
            "fraction": min(1.0, done / plan.planned_sessions) if plan.planned_sessions else 0.0,
            "next_session_on": nxt}


@dataclass(frozen=True)
class DueSession:
    """The next planned session of an open plan, computed from its schedule (not stored).

    ``number``: the session's number in the plan (1-based); ``due_on``: its planned date.
    """

    plan: TreatmentPlan
    number: int
    due_on: dt.date


def sessions_due(db: Session, *, clinic_id: int, until: dt.date) -> list[DueSession]:
    """Open plans of ``clinic_id`` whose next planned session falls on or before ``until``, by date.

    The next session is the one after those recorded (``planned_dates(plan)[done]``); completed and
    cancelled plans, and plans with every session recorded, have none.
    """
    q = select(TreatmentPlan).where(TreatmentPlan.clinic_id == clinic_id, TreatmentPlan.status.in_(OPEN_STATUSES),
                                    TreatmentPlan.start_on <= until)
    plans = list(db.scalars(q))
    done = sessions_done(db, [p.id for p in plans])
    due = []
    for plan in plans:
        nxt = progress(plan, done[plan.id])["next_session_on"]
        if nxt is not None and nxt <= until:
            due.append(DueSession(plan=plan, number=done[plan.id] + 1, due_on=nxt))
    return sorted(due, key=lambda d: (d.due_on, d.plan.id))


def _measured_scan(db: Session, *, patient: Patient, scan_id: int | None) -> Scan | None:
    if scan_id is not None:
        scan = _get(db, Scan, scan_id, patient.clinic_id, "scan")
        if scan.patient_id != patient.id:
            raise NotFoundError(f"no scan {scan_id} for this patient")
        if scan.status != "done" or not scan.result:
            raise ConflictError(f"scan {scan_id} is not measured (status: {scan.status}); plan from a measured scan")
        return scan
    q = (select(Scan).where(Scan.patient_id == patient.id, Scan.status == "done")
         .order_by(Scan.visit_on.desc(), Scan.id.desc()).limit(1))
    return db.scalar(q)


def injection_plan(scan: Scan, *, protocol: str, target_scar_ids: list[int] | None, blobs: BlobStore,
                   settings: Settings) -> dict[str, Any] | None:
    """The injection plan (``InjectionPlan.to_json()``) of one session of ``protocol`` on ``scan``.

    Returns None for a protocol that injects nothing (devices or topical products). The scan is
    read from its stored file and measured again (scar footprints and skin level are not stored);
    only the ``target_scar_ids`` (None: all) are planned.
    """
    import numpy as np

    from scarwise.surface.io import read_surface
    from scarwise.surface.measure import measure_surface
    from scarwise.therapy import get_protocol, plan_injections, region_from_labels

    prot = get_protocol(protocol)
    if prot.agent is None or not prot.agent.injected:
        return None
    kwargs: dict[str, Any] = {"pixel_mm": scan.pixel_mm}
    if settings.max_points is not None:
        kwargs["max_points"] = settings.max_points
    surface = read_surface(blobs.path(scan.sha256, scan.suffix), **kwargs)
    measured = measure_surface(surface)
    labels = np.asarray(measured.labels)
    if target_scar_ids is not None:
        labels = np.where(np.isin(labels, target_scar_ids), labels, 0)
    region = region_from_labels(surface, measured.skin_level_mm, labels, measured.scars)
    if not region.scar_ids:
        raise InvalidParameterError(f"scan {scan.id} has no depressed scar to inject among the target scars; "
                                    "choose other scars or a non-injected protocol")
    return {**plan_injections(region, prot).to_json(), "scan_id": scan.id, "visit_on": scan.visit_on.isoformat()}


def create_plan(db: Session, *, patient: Patient, data: dict[str, Any], created_by: int | None, blobs: BlobStore,
                settings: Settings) -> TreatmentPlan:
    """Create a plan; sessions and interval default to the protocol's; injection plan from the scan."""
    from scarwise.therapy import get_protocol

    if data["protocol"] not in protocol_names():
        raise InvalidParameterError(f"protocol {data['protocol']!r} unknown; choose one of {protocol_names()}")
    prot = get_protocol(data["protocol"])
    sessions = data.get("planned_sessions") or prot.sessions
    interval = data.get("interval_days") or max(1, round(prot.interval_days))
    scan = _measured_scan(db, patient=patient, scan_id=data.get("scan_id"))
    targets = data.get("target_scar_ids")
    if targets is not None:
        if scan is None:
            raise ConflictError("target scars need a measured scan of this patient; upload and measure one first")
        known = {int(s["id"]) for s in scan.result.get("scars", [])}
        unknown = sorted(set(targets) - known)
        if unknown:
            raise InvalidParameterError(f"scan {scan.id} has no scar with id {', '.join(map(str, unknown))}")
        targets = sorted(set(targets))
    plan = TreatmentPlan(
        clinic_id=patient.clinic_id, patient_id=patient.id, protocol=prot.name, planned_sessions=sessions,
        interval_days=interval, start_on=data.get("start_on") or dt.date.today(),
        scan_id=scan.id if scan else None, target_scar_ids=targets,
        injection_plan=(injection_plan(scan, protocol=prot.name, target_scar_ids=targets, blobs=blobs,
                                       settings=settings) if scan else None),
        estimated_cost_sar=data.get("estimated_cost_sar") or 0, status="planned", notes=data.get("notes") or "",
        created_by=created_by)
    db.add(plan)
    db.flush()
    return plan


def update_plan(db: Session, *, plan: TreatmentPlan, data: dict[str, Any]) -> TreatmentPlan:
    """Change status, schedule, cost or notes; fewer planned sessions than recorded is refused."""
    done = sessions_done(db, [plan.id])[plan.id]
    if data.get("planned_sessions") is not None and data["planned_sessions"] < done:
        raise ConflictError(f"{done} session(s) are already recorded under plan {plan.id}; "
                            f"it cannot plan only {data['planned_sessions']}")
    for key, value in data.items():
        setattr(plan, key, value)
    db.flush()
    return plan


def delete_plan(db: Session, *, plan: TreatmentPlan) -> None:
    """Delete a plan without sessions; one with recorded sessions must be cancelled or completed instead."""
    done = sessions_done(db, [plan.id])[plan.id]
    if done:
        raise ConflictError(f"plan {plan.id} has {done} recorded session(s); cancel it instead of deleting it")
    db.delete(plan)
    db.flush()


def check_session_plan(db: Session, *, patient: Patient, plan_id: int) -> TreatmentPlan:
    """The plan a new session of ``patient`` is recorded under: this patient's, still open."""
    plan = get_plan(db, clinic_id=patient.clinic_id, plan_id=plan_id)
    if plan.patient_id != patient.id:
        raise NotFoundError(f"no treatment plan {plan_id} for this patient")
    if plan.status not in OPEN_STATUSES:
        raise ConflictError(f"treatment plan {plan_id} is {plan.status}; record the session without it or "
                            "under an open plan")
    return plan


def after_session(db: Session, *, plan: TreatmentPlan) -> None:
    """A session was recorded under ``plan``: it becomes active, or completed once all sessions are done."""
    done = sessions_done(db, [plan.id])[plan.id]
    status = "completed" if done >= plan.planned_sessions else "active"
    if plan.status != status:
        plan.status = status
        db.flush()
