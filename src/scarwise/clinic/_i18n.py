"""English and Arabic: Babel message catalogues (``i18n/<lang>/LC_MESSAGES/messages.po``) and formats.

Catalogues are read from the ``.po`` source with Babel at start-up (no compiled ``.mo`` files to
keep in step). Amounts are formatted in SAR and dates in the Gregorian calendar by Babel's CLDR
data, with the Umm al-Qura Hijri date beside it on request (``hijridate``); Arabic pages may use
Arabic-Indic digits (``digits="arab"``).
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

    def __init__(self, lang: str, *, arabic_digits: bool = False, hijri: bool = False) -> None:
        self.lang = lang if lang in LANGUAGES else "en"
        self.dir = "rtl" if self.lang in RTL else "ltr"
        self.locale = _LOCALES[self.lang]
        self._numbering = "arab" if (arabic_digits and self.lang == "ar") else "latn"
        self._messages = catalogue(self.lang)
        self.hijri = hijri

    def gettext(self, message: str) -> str:
        return self._messages.get(message, message)

    def sar(self, amount: Decimal | float | None) -> str:
        if amount is None:
            return ""
        return self._digits(format_currency(Decimal(str(amount)), "SAR", locale=self.locale,
                                            numbering_system=self._numbering))

    def number(self, value: float | int | None, digits: int = 3) -> str:
        if value is None:
            return "—"
        return self._digits(format_decimal(round(float(value), digits), locale=self.locale,
                                           numbering_system=self._numbering))

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return "—"
        text = format_date(value, "medium", locale=self.locale)
        if self.hijri:
            hijri = hijri_date(value, self.lang)
            text += f" ({hijri})" if hijri else ""
        return self._digits(text)

    def _digits(self, text: str) -> str:
        """Babel gives Arabic separators for ``arab`` but keeps 0-9; write Arabic-Indic digits."""
        return text.translate(_ARABIC_DIGITS) if self._numbering == "arab" else text

    def helpers(self) -> dict[str, Callable | str]:
        return {"_": self.gettext, "sar": self.sar, "num": self.number, "fdate": self.date, "lang": self.lang,
                "dir": self.dir, "hijri": self.hijri}


def hijri_date(value: dt.date, lang: str) -> str | None:
    """The Umm al-Qura (Hijri) date, e.g. ``1 Ramadan 1446 AH``; None outside its range (1924–2077)."""
    from hijridate import Gregorian

    try:
        h = Gregorian.fromdate(value).to_hijri()
    except (OverflowError, ValueError):
        return None
    if lang == "ar":
        return f"{h.day} {h.month_name('ar')} {h.year} هـ"
    return f"{h.day} {h.month_name()} {h.year} AH"


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
