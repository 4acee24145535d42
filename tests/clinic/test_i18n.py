"""Languages and formats: catalogue, RTL, SAR amounts, Arabic-Indic digits, Hijri dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from scarwise.clinic._i18n import Formatter, hijri_date, pick_language


def test_pick_language_order():
    assert pick_language("ar", "en", "en-GB") == "ar"
    assert pick_language(None, "ar", "en") == "ar"
    assert pick_language("xx", None, "fr-FR, ar-SA;q=0.8") == "ar"
    assert pick_language(None, None, None) == "en"


def test_sar_amounts_by_locale():
    assert Formatter("en").sar(Decimal("4500.5")) == "SAR4,500.50"
    ar = Formatter("ar").sar(Decimal("4500.5"))
    assert "ر.س" in ar and "4,500.50" in ar  # Western digits unless asked
    ar_digits = Formatter("ar", arabic_digits=True).sar(Decimal("4500.5"))
    assert "٤٬٥٠٠٫٥٠" in ar_digits  # Arabic-Indic digits with Arabic group and decimal separators


def test_hijri_dates_umm_al_qura():
    # 1 Ramadan 1446 AH fell on 1 March 2025 in the Umm al-Qura calendar (start of Ramadan in Saudi Arabia)
    assert hijri_date(dt.date(2025, 3, 1), "en") == "1 Ramadan 1446 AH"
    assert hijri_date(dt.date(2025, 3, 1), "ar") == "1 رمضان 1446 هـ"
    assert hijri_date(dt.date(1800, 1, 1), "en") is None  # outside the tables: Gregorian only
    f = Formatter("en", hijri=True)
    assert f.date(dt.date(2025, 3, 1)) == "Mar 1, 2025 (1 Ramadan 1446 AH)"
    assert Formatter("ar", arabic_digits=True).date(dt.date(2025, 3, 1)).startswith("٠١")


def test_arabic_catalogue_translates_and_falls_back():
    f = Formatter("ar")
    assert f.dir == "rtl" and f.gettext("Patients") == "المرضى"
    assert f.gettext("a string nobody translated") == "a string nobody translated"
    assert Formatter("en").gettext("Patients") == "Patients" and Formatter("en").dir == "ltr"


def test_settings_defaults_and_urls(tmp_path):
    from scarwise.clinic import Settings

    s = Settings(_env_file=None, data_dir=None, database_url=None)
    assert s.resolved_database_url() == "sqlite:///scarwise-data/scarwise.db"
    s = Settings(database_url=f"sqlite:///{tmp_path}/x/clinic.db")
    assert s.resolved_data_dir() == tmp_path / "x"  # blobs next to the SQLite file
    assert Settings(database_url="postgresql://u:p@h/db").resolved_database_url() == "postgresql+psycopg://u:p@h/db"
    assert Settings(database_url="postgres://u@h/db").resolved_database_url() == "postgresql+psycopg://u@h/db"
