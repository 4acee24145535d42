"""English and Arabic: Babel message catalogues (``i18n/<lang>/LC_MESSAGES/messages.po``) and formats.

Catalogues are read from the ``.po`` source with Babel at start-up (no compiled ``.mo`` files to
keep in step). Amounts are formatted in SAR and dates in the Gregorian calendar by Babel's CLDR
data; Arabic pages may use Arabic-Indic digits (``digits="arab"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("en", "ar")
RTL = frozenset({"ar"})
_CATALOGUES = Path(__file__).parent / "i18n"
_LOCALES = {"en": "en", "ar": "ar_SA"}


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid → msgstr of one language ({} for English, the source language)."""
    path = _CATALOGUES / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not path.exists():
        return {}
    with open(path, "rb") as fh:
        cat = read_po(fh, locale=lang)
    return {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy}


class Formatter:
    """Translations and locale formats for one request."""

    def __init__(self, lang: str, *, arabic_digits: bool = False) -> None:
        self.lang = lang if lang in LANGUAGES else "en"
        self.dir = "rtl" if self.lang in RTL else "ltr"
        self.locale = _LOCALES[self.lang]
        self._numbering = "default" if (arabic_digits and self.lang == "ar") else "latn"
        self._messages = catalogue(self.lang)

    def gettext(self, message: str) -> str:
        return self._messages.get(message, message)

    def sar(self, amount: Decimal | float | None) -> str:
        if amount is None:
            return ""
        return format_currency(Decimal(str(amount)), "SAR", locale=self.locale, numbering_system=self._numbering)

    def number(self, value: float | int | None, digits: int = 3) -> str:
        if value is None:
            return "—"
        return format_decimal(round(float(value), digits), locale=self.locale, numbering_system=self._numbering)

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return "—"
        text = format_date(value, "medium", locale=self.locale)
        if self._numbering == "default":
            text = text.translate(_ARABIC_DIGITS)
        return text

    def helpers(self) -> dict[str, Callable | str]:
        return {"_": self.gettext, "sar": self.sar, "num": self.number, "fdate": self.date, "lang": self.lang,
                "dir": self.dir}


_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def pick_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The page language: ``?lang=``, then the ``lang`` cookie, then ``Accept-Language``, else English."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
