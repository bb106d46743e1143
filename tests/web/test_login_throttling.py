"""Repeated failed sign-ins are slowed, then refused with 429, and logged; weak passwords refused."""

import logging
from datetime import timedelta

import pytest

from incometrack.models import Role
from incometrack.models.base import utcnow
from incometrack.services import ServiceError, login_throttle, users
from tests.conftest import PASSWORD


def fail(client, email, address="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": "wrong password entirely"},
                       environ_base={"REMOTE_ADDR": address})  # fmt: skip


def test_failures_for_one_account_are_slowed_then_refused_where_they_come_from(
    client, make_user, session, caplog
):
    user = make_user(Role.FINANCE)
    with caplog.at_level(logging.WARNING, logger="incometrack.security"):
        statuses = [fail(client, user.email, "10.0.0.66").status_code for _ in range(10)]
    assert statuses == [400] * 10
    assert sum("Failed sign-in" in r.getMessage() for r in caplog.records) == 10
    assert login_throttle.check(session, user.email, "10.0.0.66").blocked
    refused = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.66"}
    )
    assert refused.status_code == 429  # even the right password is refused there while blocked
    assert refused.headers["Retry-After"] == "900"  # the fifteen-minute window
    assert "Too many failed attempts" in refused.get_data(as_text=True)
    # The owner at their own desk is slowed (3 seconds a try), never locked out by the guesser.
    owner = login_throttle.check(session, user.email, "10.9.9.9")
    assert (owner.blocked, owner.delay_seconds) == (False, 3.0)
    signed_in = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert signed_in.status_code == 302


def test_ten_failures_from_one_address_do_not_keep_others_at_that_address_out(client, make_user):
    """Issue 13, item 7: an office behind one address is not locked out by one person's typos."""
    for n in range(10):
        fail(client, f"guess{n}@council.example", "192.0.2.7")
    user = make_user(Role.VIEWER)
    assert client.post("/login", data={"email": user.email, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302  # fmt: skip


def test_one_hundred_failures_from_one_address_in_fifteen_minutes_refuse_it(session, client, make_user):
    for n in range(99):
        login_throttle.record(session, f"guess{n}@council.example", "192.0.2.7", succeeded=False)
    session.commit()
    user = make_user(Role.VIEWER)
    assert not login_throttle.check(session, user.email, "192.0.2.7").blocked
    login_throttle.record(session, "guess99@council.example", "192.0.2.7", succeeded=False)
    session.commit()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 429  # fmt: skip
    assert client.post("/login", data={"email": user.email, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 302  # fmt: skip


@pytest.mark.parametrize(
    ("trusted", "forwarded", "counted_as"),
    [
        (0, "198.51.100.9", "10.0.0.1"),  # nobody trusted: the header is anyone's to write
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "203.0.113.66, 198.51.100.9", "198.51.100.9"),  # a forged first hop is ignored
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(
    app_config, reference_rows, trusted, forwarded, counted_as
):
    from sqlalchemy import select

    from incometrack import create_app
    from incometrack.extensions import db
    from incometrack.models import LoginAttempt

    app = create_app({**app_config, "TRUSTED_PROXY_COUNT": trusted})
    try:
        app.test_client().post("/login", data={"email": "x@council.example", "password": "wrong password entirely"},
                               headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": "10.0.0.1"})  # fmt: skip
        with app.app_context():
            assert db.session.scalars(select(LoginAttempt.address)).all() == [counted_as]
    finally:
        from tests.conftest import _reset

        with app.app_context():
            db.session.remove()
            _reset(db.engine, reference_rows)
            db.engine.dispose()


def test_attempts_older_than_a_day_are_deleted(session):
    from sqlalchemy import func, select

    from incometrack.models import LoginAttempt

    session.add(LoginAttempt(email="old@council.example", address="1.1.1.1", at=utcnow() - timedelta(days=2)))
    session.commit()
    login_throttle.record(session, "new@council.example", "1.1.1.1", succeeded=False)
    session.commit()
    assert session.scalars(select(LoginAttempt.email)).all() == ["new@council.example"]
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


@pytest.mark.parametrize(
    ("failures", "delay", "blocked"),
    [(0, 0, False), (1, 0, False), (2, 0, False), (3, 0.5, False), (4, 1.0, False), (5, 1.5, False),
     (8, 3.0, False), (9, 3.0, False), (10, 0, True), (11, 0, True)],
)  # fmt: skip
def test_an_account_is_slowed_from_its_third_failure_and_refused_from_its_tenth(
    session, failures, delay, blocked
):
    for _ in range(failures):
        login_throttle.record(session, "a@b.example", "1.1.1.1", succeeded=False)
    verdict = login_throttle.check(session, "a@b.example", "1.1.1.1")
    assert (verdict.delay_seconds, verdict.blocked) == (delay, blocked)


def test_failures_spread_over_addresses_slow_the_account_but_refuse_no_address(session):
    for n in range(12):
        login_throttle.record(session, "a@b.example", f"10.1.1.{n}", succeeded=False)
    verdict = login_throttle.check(session, "a@b.example", "10.1.1.0")
    assert (verdict.delay_seconds, verdict.blocked) == (3.0, False)


@pytest.mark.parametrize(("minutes_later", "blocked"), [(14, True), (16, False)])
def test_failures_count_for_fifteen_minutes(session, minutes_later, blocked):
    for _ in range(10):
        login_throttle.record(session, "c@d.example", "2.2.2.2", succeeded=False)
    later = utcnow() + timedelta(minutes=minutes_later)
    assert login_throttle.check(session, "c@d.example", "2.2.2.2", now=later).blocked is blocked


def test_a_successful_sign_in_resets_the_account(session):
    for _ in range(10):
        login_throttle.record(session, "c@d.example", "2.2.2.2", succeeded=False)
    assert login_throttle.check(session, "c@d.example", "2.2.2.2").blocked
    login_throttle.record(session, "c@d.example", "3.3.3.3", succeeded=True)
    assert not login_throttle.check(session, "c@d.example", "2.2.2.2").blocked


@pytest.mark.parametrize(
    "password",
    ["short", "password1234", "123456789012", "qwertyuiop12", "iloveyou1234", "passwordpassword", "incometrack2026",
     "samsmith1234567"],
)  # fmt: skip
def test_common_or_guessable_passwords_are_refused(session, password):
    with pytest.raises(ServiceError) as caught:
        users.create_user(session, email="sam.smith@council.example", name="Sam Smith", role=Role.VIEWER,
                          password=password)  # fmt: skip
    assert caught.value.field == "password"


def test_a_strong_password_is_accepted(session):
    users.create_user(
        session,
        email="sam@council.example",
        name="Sam",
        role=Role.VIEWER,
        password="tulip kettle orbit lantern",
    )
    session.commit()
    assert users.authenticate(session, "sam@council.example", "tulip kettle orbit lantern").name == "Sam"
