"""Errors of the clinic app; each is a ScarwiseError with the HTTP status it answers."""

from __future__ import annotations

from scarwise.core.errors import ScarwiseError


class NotFoundError(ScarwiseError):
    """An object does not exist or belongs to another clinic (same answer for both)."""

    http_status = 404


class ConflictError(ScarwiseError):
    """The request clashes with stored data (duplicate MRN, no imaging consent, expired licence)."""

    http_status = 409


class AuthenticationError(ScarwiseError):
    """Missing, wrong or expired credentials."""

    http_status = 401


class PermissionDeniedError(ScarwiseError):
    """The signed-in role may not do this."""

    http_status = 403


class RateLimitedError(ScarwiseError):
    """Too many failed sign-ins; ``retry_after_s`` says when to try again."""

    http_status = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CsrfError(ScarwiseError):
    """A form was posted without the CSRF token of this browser."""

    http_status = 403
