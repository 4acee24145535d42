"""Passwords (argon2), signed tokens, CSRF tokens and the sign-in rate limit."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from hashlib import sha256
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from scarwise.clinic._errors import AuthenticationError, RateLimitedError
from scarwise.clinic._settings import Settings
from scarwise.clinic.models import LoginFailure, User, utcnow

# argon2 of a random password, verified when the email is unknown so both cases take as long.
_DUMMY_PASSWORD = secrets.token_urlsafe(16)


class Security:
    """Everything that needs the secret key or the hashing parameters of one app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._dummy_hash = self.hasher.hash(_DUMMY_PASSWORD)
        self.secret = settings.secret_key or _stored_secret(settings.resolved_data_dir())
        self._tokens = URLSafeTimedSerializer(self.secret, salt="scarwise-auth")

    def hash_password(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify_password(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash or self._dummy_hash, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    def make_token(self, user: User) -> str:
        return self._tokens.dumps({"u": user.id, "v": user.token_version})

    def read_token(self, db: Session, token: str) -> User:
        """The active user a token names; AuthenticationError if forged, expired or signed out."""
        user_id, version = self.token_claims(token)
        return self.check_account(db.get(User, user_id), version)

    def token_claims(self, token: str) -> tuple[int, object]:
        """(user id, token version) of a genuine, unexpired token; AuthenticationError otherwise.

        Only the signature (HMAC) and age are checked here: :meth:`check_account` must follow with
        the account as stored now (requests do it on every call, see ``deps.get_current_user``).
        """
        try:
            data = self._tokens.loads(token, max_age=self.settings.token_ttl_s)
        except SignatureExpired:
            raise AuthenticationError("your session has expired; sign in again") from None
        except BadSignature:
            raise AuthenticationError("invalid credentials; sign in again") from None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int):
            raise AuthenticationError("invalid credentials; sign in again")
        return data["u"], data.get("v")

    @staticmethod
    def check_account(user: User | None, version: object) -> User:
        """The user, if it exists, is active and was not signed out everywhere since the token was made."""
        if user is None or not user.is_active or user.token_version != version:
            raise AuthenticationError("you were signed out; sign in again")
        return user

    def csrf_for(self, browser_id: str) -> str:
        return hmac.new(self.secret.encode(), b"csrf:" + browser_id.encode(), sha256).hexdigest()

    def check_csrf(self, browser_id: str | None, token: str | None) -> bool:
        return bool(browser_id and token) and hmac.compare_digest(self.csrf_for(browser_id or ""), token or "")

    # -- sign-in -------------------------------------------------------------------------
    def authenticate(self, db: Session, *, email: str, password: str, address: str) -> User:
        """The user for these credentials, counting failures per account and per address."""
        email = email.strip().lower()
        window_start = utcnow() - dt.timedelta(seconds=self.settings.login_window_s)
        self._check_rate(db, email=email, address=address, since=window_start)
        user = db.scalar(select(User).where(User.email == email))
        ok = self.verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active:
            db.add(LoginFailure(email=email[:320], address=address[:64]))
            db.execute(delete(LoginFailure).where(LoginFailure.at < window_start))
            db.commit()
            raise AuthenticationError("wrong email or password")
        if self.hasher.check_needs_rehash(user.password_hash):
            user.password_hash = self.hash_password(password)
        db.commit()
        return user

    def _check_rate(self, db: Session, *, email: str, address: str, since: dt.datetime) -> None:
        limit = self.settings.login_max_failures
        for column, value in ((LoginFailure.email, email), (LoginFailure.address, address)):
            count, oldest = db.execute(
                select(func.count(), func.min(LoginFailure.at)).where(column == value, LoginFailure.at >= since)
            ).one()
            if count >= limit:
                retry = oldest + dt.timedelta(seconds=self.settings.login_window_s) - utcnow()
                raise RateLimitedError(
                    f"too many failed sign-ins; try again in {max(1, int(retry.total_seconds()) + 1)} s",
                    retry_after_s=max(1, int(retry.total_seconds()) + 1),
                )


def _stored_secret(data_dir: Path) -> str:
    """A random secret kept in ``data_dir/secret_key`` (mode 600), created on first use."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret
