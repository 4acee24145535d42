"""Import of treatment plans: a CarePlan with the protocol extension (as exported) → ``TreatmentPlan``.

Export writes one CarePlan per plan (``_export._treatment_plan``): the protocol and estimated
cost as extensions, one activity per planned session (``scheduledPeriod.start``), the injection
plan as a JSON string extension. Import rebuilds the schedule from the activities (the number of
sessions, the start and the interval between the first two), maps the FHIR status back
(``revoked`` → cancelled; ``active`` → active once an activity is completed, else planned) and
matches an existing plan by patient, protocol and start date, so a second import creates nothing.
The plan's scan and target scars are not carried (scan ids are the source clinic's); the injection
plan keeps the scan's visit date. Procedures that name the CarePlan in ``basedOn`` are linked to it.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scarwise.clinic.models import Patient, TreatmentPlan
from scarwise.interop import _codes as C
from scarwise.interop._bundle import FhirImportError, _date, _ext


def is_treatment_plan(res: dict) -> bool:
    """A CarePlan exported from a treatment plan (it carries the protocol), not a follow-up schedule."""
    return _ext(res, C.EXT_PROTOCOL) is not None


def import_plan(db: Session, res: dict, *, patient: Patient, skipped: list[str]) -> tuple[TreatmentPlan | None, bool]:
    """The plan of CarePlan ``res`` (created, or matched), and whether it was created; None if skipped."""
    from scarwise.therapy import load_protocols

    where = f"CarePlan/{res.get('id', '?')}"
    protocol = str(_ext(res, C.EXT_PROTOCOL))[:120]
    if protocol not in load_protocols():
        skipped.append(f"{where}: protocol {protocol!r} is not in this installation's protocol catalogue")
        return None, False
    starts = sorted(_date((a.get("detail") or {}).get("scheduledPeriod", {}).get("start"), where + ".activity")
                    for a in res.get("activity") or [])
    if not starts or len(starts) > 100:
        raise FhirImportError(f"{where}: a treatment plan needs 1-100 activities with scheduledPeriod.start")
    interval = (starts[1] - starts[0]).days if len(starts) > 1 else round(load_protocols()[protocol].interval_days)
    if not 1 <= interval <= 3650:
        raise FhirImportError(f"{where}: planned sessions {interval} days apart (1-3650 expected)")
    try:
        cost = Decimal(str(_ext(res, C.EXT_COST) or 0)).quantize(Decimal("0.01"))
        if not 0 <= cost < 10**10:
            raise InvalidOperation
    except InvalidOperation:
        raise FhirImportError(f"{where}: the estimated cost must be a number from 0 to 10^10 SAR") from None
    done = any((a.get("detail") or {}).get("status") == "completed" for a in res.get("activity") or [])
    status = {"revoked": "cancelled", "completed": "completed"}.get(res.get("status"), "active" if done else "planned")
    injection = None
    if _ext(res, C.EXT_PLAN):
        try:
            injection = json.loads(_ext(res, C.EXT_PLAN))
        except (TypeError, ValueError):
            skipped.append(f"{where}: the injection plan is not JSON; the plan was imported without it")
        if isinstance(injection, dict):
            injection.pop("scan_id", None)  # an id of the source clinic
        else:
            injection = None
    row = db.scalar(select(TreatmentPlan).where(TreatmentPlan.patient_id == patient.id, TreatmentPlan.protocol ==
                                                protocol, TreatmentPlan.start_on == starts[0]))
    if row is not None:
        return row, False
    notes: Any = next((n.get("text") for n in res.get("note") or [] if n.get("text")), "")
    row = TreatmentPlan(clinic_id=patient.clinic_id, patient_id=patient.id, protocol=protocol,
                        planned_sessions=len(starts), interval_days=interval, start_on=starts[0],
                        injection_plan=injection, estimated_cost_sar=cost, status=status, notes=str(notes)[:5000])
    db.add(row)
    db.flush()
    return row, True
