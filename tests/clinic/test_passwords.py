"""Password policy: one test per rule, the demo accounts, and ``scarwise admin create-user``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from scarwise.clinic._passwords import MAX_LENGTH, MIN_LENGTH, WeakPasswordError, check_password
from scarwise.core.errors import InvalidParameterError
from tests.clinic.test_cli import cli, env  # noqa: F401 - fixture

STRONG = "amber kite under 7 lanterns"


def test_a_strong_passphrase_passes() -> None:
    check_password(STRONG, email="layla.saud@clinic.sa", clinic_name="Riyadh Skin Centre")


def test_length() -> None:
    with pytest.raises(WeakPasswordError, match=f"has 11 characters; use at least {MIN_LENGTH}"):
        check_password("kX9#vq2Lm!p")
    check_password("kX9#vq2Lm!pZ")  # exactly 12 random characters
    with pytest.raises(WeakPasswordError, match=f"at most {MAX_LENGTH}"):
        check_password("kX9#vq2Lm!pZ" * 100)


@pytest.mark.parametrize("password", ["1qaz2wsx3edc", "QWERTY123456", "Password2024!", "!!sunshine2025"])
def test_common_passwords_and_their_decorated_forms(password: str) -> None:
    with pytest.raises(WeakPasswordError, match="most common passwords"):
        check_password(password)


def test_the_common_list_is_the_published_one() -> None:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    common = FREQUENCY_LISTS["passwords"]
    assert len(common) >= 10_000
    long_common = [p for p in common if len(p) >= MIN_LENGTH][:50]
    for password in long_common:  # every common password long enough to pass rule 1 is refused
        with pytest.raises(WeakPasswordError, match="common"):
            check_password(password)


def test_email_local_part() -> None:
    with pytest.raises(WeakPasswordError, match="email name 'layla.saud'"):
        check_password("LaylaSaud-rocks-77", email="layla.saud@clinic.sa")
    check_password("lanterns-rocks-77&", email="lay@clinic.sa")  # "lay" is not in it


def test_clinic_name() -> None:
    with pytest.raises(WeakPasswordError, match="clinic's name 'Riyadh Skin Centre'"):
        check_password("riyadh-skin-centre!!x", clinic_name="Riyadh Skin Centre")
    with pytest.raises(WeakPasswordError, match="clinic's name"):
        check_password("عيادةالرياض-ختم-٢٠٢٥", clinic_name="عيادة الرياض")


@pytest.mark.parametrize("password", ["aaaaaaaaaaaaaaaa", "abcdefghijklmnop", "qwertyuiopasdfgh"])
def test_easy_to_guess_patterns(password: str) -> None:
    with pytest.raises(WeakPasswordError, match="too easy to guess|most common"):
        check_password(password)


def test_error_is_a_422_invalid_parameter() -> None:
    assert issubclass(WeakPasswordError, InvalidParameterError) and WeakPasswordError.http_status == 422


def test_demo_accounts_pass_the_policy(fresh_settings) -> None:
    from scarwise.clinic import create_app
    from scarwise.clinic._demo import seed_demo
    from scarwise.clinic.models import Clinic

    app = create_app(fresh_settings)
    accounts = seed_demo(app, scans=False)
    with app.state.sessions() as db:
        name = db.scalar(select(Clinic.name))
    app.state.engine.dispose()
    for _role, email, password in accounts:
        check_password(password, email=email, clinic_name=name)


def test_cli_create_user_applies_the_policy(env, tmp_path) -> None:  # noqa: F811 - fixture
    from scarwise.clinic import Settings, create_app
    from scarwise.clinic.models import User

    runner = CliRunner()
    cid = runner.invoke(cli, ["admin", "create-clinic", "Jeddah Derm"]).stdout.strip().splitlines()[-1]
    pw = tmp_path / "pw"
    for weak, reason in (("jeddahderm2025!", "clinic's name"), ("Password2024!", "common"),
                         ("sara.h-secure-99", "email name")):
        pw.write_text(weak)
        r = runner.invoke(cli, ["admin", "create-user", "--clinic", cid, "--role", "staff", "--email",
                                "sara.h@example.org", "--password-file", str(pw)])
        assert r.exit_code == 2 and reason in r.output, r.output
    app = create_app(Settings())
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(User)) == 0  # nothing created
    app.state.engine.dispose()
    pw.write_text(STRONG)
    r = runner.invoke(cli, ["admin", "create-user", "--clinic", cid, "--role", "staff", "--email",
                            "sara.h@example.org", "--password-file", str(pw)])
    assert r.exit_code == 0, r.output
