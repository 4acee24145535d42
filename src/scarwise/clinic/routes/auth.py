"""``/api/auth``: tokens for the JSON API and signing out everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from scarwise.clinic import crud
from scarwise.clinic.deps import CurrentUser, DbSession, SecurityDep, client_address
from scarwise.clinic.schemas import Token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token)
def issue_token(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, db: DbSession,
                security: SecurityDep) -> Token:
    """OAuth2 password flow: ``username`` is the email. 401 if wrong, 429 after repeated failures."""
    user = security.authenticate(db, email=form.username, password=form.password, address=client_address(request))
    return Token(access_token=security.make_token(user))


@router.post("/logout-everywhere", status_code=204)
def logout_everywhere(user: CurrentUser, db: DbSession) -> None:
    """Invalidate every token and session cookie of the current user."""
    crud.sign_out_everywhere(db, user=user)
    db.commit()
