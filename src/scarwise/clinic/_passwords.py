"""Password policy of clinic accounts: length, common passwords, personal words, guessability.

Rules, checked in this order, each refusal naming what to change:

1. 12 to 1000 characters (the sign-in form accepts 1000);
2. not one of the 30,000 most common passwords of the ``zxcvbn`` package (MIT licence), also
   not once the digits and symbols around it are taken away (``Password2024!``);
3. not containing the local part of the account's email (3 characters or more) or the clinic's
   name (letters and digits compared, case ignored);
4. not easy to guess by ``zxcvbn``'s estimate (score 3 or more of 4, about 10^8 guesses), with the
   email and clinic name as known words. Only the first 72 characters are estimated (its limit).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from scarwise.core.errors import InvalidParameterError

MIN_LENGTH = 12
MAX_LENGTH = 1000
MIN_SCORE = 3  # zxcvbn: 0 (too guessable) ... 4 (very unguessable); 3 = safely unguessable, ~1e8 guesses


class WeakPasswordError(InvalidParameterError):
    """A new password breaks the policy; the message says which rule and what to do (422 in the API)."""


@functools.cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _plain(text: str) -> str:
    """Lower-case letters and digits only (accents folded), for containment checks."""
    text = unicodedata.normalize("NFKD", text).casefold()
    return "".join(c for c in text if c.isalnum())


def check_password(password: str, *, email: str = "", clinic_name: str = "") -> None:
    """Refuse a password that breaks the clinic's policy.

    Parameters
    ----------
    password : str
        The new password, exactly as it will be hashed.
    email : str, optional
        The account's email; its local part may not appear in the password.
    clinic_name : str, optional
        The clinic's name; it may not appear in the password.

    Raises
    ------
    WeakPasswordError
        With the rule broken and what to do instead.
    """
    hint = "choose a longer passphrase, e.g. four or more unrelated words"
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"the password has {len(password)} characters; use at least {MIN_LENGTH} ({hint})")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"the password has {len(password)} characters; the sign-in form takes at most "
                                f"{MAX_LENGTH}")
    lowered = password.casefold()
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)
    if lowered in _common() or (len(core) >= 4 and core in _common()):
        raise WeakPasswordError(f"the password is (built on) one of the most common passwords; {hint}")
    plain = _plain(password)
    local = _plain(email.partition("@")[0])
    if len(local) >= 3 and local in plain:
        raise WeakPasswordError(f"the password contains the email name {email.partition('@')[0]!r}; {hint}")
    clinic = _plain(clinic_name)
    if len(clinic) >= 3 and clinic in plain:
        raise WeakPasswordError(f"the password contains the clinic's name {clinic_name!r}; {hint}")
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:72], user_inputs=[s for s in (email, email.partition("@")[0], clinic_name) if s])
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        reason = (feedback.get("warning") or "it follows a pattern that is quick to guess").rstrip(".")
        tips = " ".join(feedback.get("suggestions") or [])
        raise WeakPasswordError(f"the password is too easy to guess: {reason[:1].lower()}{reason[1:]}; {hint}"
                                + (f". {tips}" if tips else ""))
