"""Pydantic request and response models of the JSON API (one family per resource)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _clean_text(value: str) -> str:
    """Refuse NUL and unpaired surrogates (invalid Unicode); store everything else exactly."""
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (unpaired surrogate)") from None
    return value


def Text(max_length: int, min_length: int = 0) -> Any:  # noqa: N802 - reads like a type
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_clean_text)]


Sex = Literal["female", "male", "other", "unknown"]
Role = Literal["admin", "clinician", "staff"]
ConsentKind = Literal["treatment", "imaging", "research"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class PatientCreate(Strict):
    mrn: Text(64, 1)
    name_en: Text(200) = ""
    name_ar: Text(200) = ""
    birth_date: dt.date | None = None
    sex: Sex = "unknown"
    fitzpatrick: int | None = Field(default=None, ge=1, le=6)
    contact: Text(200) = ""
    notes: Text(5000) = ""


class PatientUpdate(Strict):
    mrn: Text(64, 1) | None = None
    name_en: Text(200) | None = None
    name_ar: Text(200) | None = None
    birth_date: dt.date | None = None
    sex: Sex | None = None
    fitzpatrick: int | None = Field(default=None, ge=1, le=6)
    contact: Text(200) | None = None
    notes: Text(5000) | None = None


class PatientPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    mrn: str
    name_en: str
    name_ar: str
    birth_date: dt.date | None
    sex: str
    fitzpatrick: int | None
    contact: str
    notes: str


class PatientPage(BaseModel):
    items: list[PatientPublic]
    total: int
    offset: int
    limit: int


class ConsentCreate(Strict):
    kind: ConsentKind
    version: Text(50, 1)
    signed_on: dt.date | None = None


class ConsentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    kind: str
    version: str
    signed_on: dt.date
    withdrawn_on: dt.date | None


class ScanAccepted(BaseModel):
    id: int
    status: str


class ScanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    filename: str
    visit_on: dt.date
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    result: dict[str, Any] | None
    error: str | None
    grade_override: int | None
    type_overrides: dict[str, Any] | None


class ScanCorrection(Strict):
    grade_override: int | None = Field(default=None, ge=0, le=100)
    type_overrides: dict[Annotated[str, Field(pattern=r"^[0-9]{1,6}$")],
                         Literal["icepick", "boxcar", "rolling", "hypertrophic"]] | None = None


class PractitionerCreate(Strict):
    name: Text(200, 1)
    licence_number: Text(64, 1)
    licence_expires: dt.date


class PractitionerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    licence_number: str
    licence_expires: dt.date


class SessionCreate(Strict):
    practitioner_id: int = Field(ge=1, le=2**31 - 1)
    performed_on: dt.date
    protocol: Text(120) = ""
    product: Text(200, 1)
    cell_source: Literal["autologous", "allogeneic", "none"] = "none"
    dose: Text(120) = ""
    lot: Text(64, 1)
    injection_plan: Text(5000) = ""
    cost_sar: Decimal = Field(default=Decimal("0"), ge=0, le=Decimal("9999999999.99"), decimal_places=2)
    plan_id: int | None = Field(default=None, ge=1, le=2**31 - 1)  # the treatment plan it belongs to


class SessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    practitioner_id: int
    performed_on: dt.date
    protocol: str
    product: str
    cell_source: str
    dose: str
    lot: str
    injection_plan: str
    cost_sar: Decimal
    plan_id: int | None = None


class AdverseEventCreate(Strict):
    session_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    kind: Text(200, 1)
    severity: int = Field(ge=1, le=5)
    serious: bool = False
    onset_on: dt.date
    outcome: Text(200) = ""


class AdverseEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    session_id: int | None
    kind: str
    severity: int
    serious: bool
    onset_on: dt.date
    outcome: str


class FollowUpPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    session_id: int
    months: int
    due_on: dt.date
    done_on: dt.date | None
