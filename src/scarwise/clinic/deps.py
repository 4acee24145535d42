"""Request dependencies: database session, current user, role checks, clinic-scoped objects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from scarwise.clinic import _reads, crud
from scarwise.clinic._errors import AuthenticationError, PermissionDeniedError
from scarwise.clinic._security import Security
from scarwise.clinic.models import Patient, Scan, User

SESSION_COOKIE = "scarwise_session"
_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request, closed on the event loop.

    Closing in a worker thread (a sync dependency) can deadlock under load: every thread waits for
    a pooled connection that is only released by a teardown waiting for a free thread.
    """
    db = request.app.state.sessions()
    try:
        yield db
    finally:
        db.close()


DbSession = Annotated[Session, Depends(get_db)]


async def get_security(request: Request) -> Security:
    return request.app.state.security


SecurityDep = Annotated[Security, Depends(get_security)]


async def get_current_user(request: Request, db: DbSession,
                           token: Annotated[str | None, Depends(_bearer)]) -> User:
    """The signed-in user from ``Authorization: Bearer`` or, for pages, the session cookie.

    The token and the account (active, not signed out everywhere) are checked on every request,
    with one read on the event loop (``_reads``); the user then joins the request's session, as if
    loaded there, so routes may change it.
    """
    if token is None and request.cookies.get(SESSION_COOKIE):
        if request.url.path.startswith("/api") and request.method not in ("GET", "HEAD"):
            # cookies are for pages (with CSRF tokens); API writes need a bearer token
            raise AuthenticationError("API changes need Authorization: Bearer <token> from POST /api/auth/token")
        token = request.cookies[SESSION_COOKIE]
    if not token:
        raise AuthenticationError("sign in first: POST /api/auth/token, then send Authorization: Bearer <token>")
    security: Security = request.app.state.security
    user_id, version = security.token_claims(token)
    user = _reads.attach(db, security.check_account(_reads.load_user(request.app.state.reader, user_id), version))
    db.info["actor_id"] = user.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: str) -> Callable[[User], Awaitable[User]]:
    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise PermissionDeniedError(f"your role ({user.role}) may not do this; ask a {' or '.join(roles)}")
        return user

    return check


Admin = Annotated[User, Depends(require_role("admin"))]
Clinician = Annotated[User, Depends(require_role("admin", "clinician"))]


async def get_patient(patient_id: int, request: Request, db: DbSession, user: CurrentUser) -> Patient:
    """The clinic's patient (404 for another clinic's), read on the loop and joined to the request's session."""
    return _reads.attach(db, _reads.load_patient(request.app.state.reader, clinic_id=user.clinic_id,
                                                 patient_id=patient_id))


PatientDep = Annotated[Patient, Depends(get_patient)]


def get_scan(scan_id: int, db: DbSession, user: CurrentUser) -> Scan:
    return crud.get_scan(db, clinic_id=user.clinic_id, scan_id=scan_id)


ScanDep = Annotated[Scan, Depends(get_scan)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
