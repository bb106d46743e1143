"""The write-side rules of income, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from incometrack.models import AuditEvent, Budget, IncomeEntry, Role, StreamStatus
from incometrack.periods import FinancialYear
from incometrack.services import AS_READ, NotAllowed, ServiceError, StaleEdit, income, locks
from incometrack.services.income import EntryInput, StreamInput, ValidationErrors
from tests.factories import category_id, make_budget, make_entry, make_site, make_stream, service_id

Q1 = FinancialYear(2026).quarter(1)
FAR_FUTURE = date(2099, 1, 1)


def audit_rows(session, entity, action=None):
    query = select(AuditEvent).where(AuditEvent.entity == entity)
    if action:
        query = query.where(AuditEvent.action == action)
    return session.scalars(query.order_by(AuditEvent.id)).all()


class TestStreams:
    def test_create_is_audited_with_new_values(self, session, make_user):
        actor = make_user(Role.FINANCE)
        stream = make_stream(session, "LIB-A", actor=actor)
        [event] = audit_rows(session, "income_streams", "create")
        assert event.user_id == actor.id
        assert event.entity_id == stream.id
        assert event.changes["code"] == [None, "LIB-A"]

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"code": ""}, "code", "Enter the stream code"),
            ({"code": "=HYPERLINK()"}, "code", "letters, digits"),
            ({"code": "lib-a"}, "code", "already used"),
            ({"name": " "}, "name", "Enter the stream name"),
            ({"service_id": 999}, "service_id", "Select a service"),
            ({"category_id": 999}, "category_id", "Select an income category"),
            ({"owner_id": 999}, "owner_id", "Select an owner"),
        ],
    )
    def test_bad_streams_are_refused_per_field(self, session, changes, field, message):
        make_stream(session, "LIB-A")
        data = {
            "code": "LIB-B",
            "name": "B",
            "service_id": service_id(session),
            "category_id": category_id(session),
        }
        data.update(changes)
        with pytest.raises(ValidationErrors) as caught:
            income.create_stream(session, StreamInput(**data), actor=None)
        assert message in caught.value.errors[field]

    def test_site_must_belong_to_the_stream_service(self, session):
        office = make_site(session, "Canterbury Register Office", service="Registration")
        data = StreamInput("LIB-X", "X", service_id(session), category_id(session), site_id=office.id)
        with pytest.raises(ValidationErrors, match="belongs to another service"):
            income.create_stream(session, data, actor=None)

    def test_stale_edit_is_refused_and_overwrites_nothing(self, session):
        stream = make_stream(session, "LIB-A")
        opened_at = stream.version
        mine = StreamInput("LIB-A", "First edit", service_id(session), category_id(session))
        income.update_stream(session, stream, mine, actor=None, expected_version=opened_at)
        session.commit()
        theirs = StreamInput(
            "LIB-A", "Second edit from a stale form", service_id(session), category_id(session)
        )
        with pytest.raises(StaleEdit) as caught:
            income.update_stream(session, stream, theirs, actor=None, expected_version=opened_at)
        session.rollback()
        assert caught.value.current["name"] == "First edit"
        assert session.get(type(stream), stream.id).name == "First edit"

    def test_cease(self, session):
        stream = make_stream(session)
        income.cease_stream(session, stream, actor=None, expected_version=stream.version)
        session.commit()
        assert stream.status is StreamStatus.CEASED
        assert audit_rows(session, "income_streams", "update")[-1].changes == {"status": ["active", "ceased"]}


class TestBudgets:
    def test_default_profile_splits_evenly_and_q4_takes_the_rest(self, session):
        budget = make_budget(session, make_stream(session), 100_003)
        assert budget.profile == (25_000, 25_000, 25_000, 25_003)

    def test_profile_must_sum_exactly(self, session):
        stream = make_stream(session)
        with pytest.raises(ValidationErrors) as caught:
            income.set_budget(
                session,
                stream,
                2026,
                100_00,
                (25_00, 25_00, 25_00, 24_99),
                actor=None,
                expected_version=AS_READ,
            )
        assert "£99.99, £0.01 short of the annual budget of £100.00" in caught.value.errors["q4"]

    def test_profile_is_all_or_nothing(self, session):
        with pytest.raises(ValidationErrors) as caught:
            income.set_budget(
                session,
                make_stream(session),
                2026,
                100_00,
                (50_00, None, None, 50_00),
                actor=None,
                expected_version=AS_READ,
            )
        assert set(caught.value.errors) == {"q2", "q3"}

    def test_negative_budget_is_refused(self, session):
        with pytest.raises(ValidationErrors, match="cannot be negative"):
            income.set_budget(
                session, make_stream(session), 2026, -1, None, actor=None, expected_version=AS_READ
            )

    def test_database_refuses_a_profile_that_does_not_sum(self, session):
        stream = make_stream(session)
        months = {f"p{n}": 0 for n in range(1, 13)} | {"p3": 1, "p6": 1, "p9": 1, "p12": 1}
        session.add(Budget(stream_id=stream.id, year=2026, annual=10, q1=1, q2=1, q3=1, q4=1, **months))
        with pytest.raises(IntegrityError, match=r"(?i)profile_sums_to_annual"):
            session.flush()
        session.rollback()

    def test_database_refuses_months_that_do_not_make_their_quarter(self, session):
        stream = make_stream(session)
        months = {f"p{n}": 1 for n in range(1, 13)}  # each quarter's months make 3, not 1
        session.add(Budget(stream_id=stream.id, year=2026, annual=4, q1=1, q2=1, q3=1, q4=1, **months))
        with pytest.raises(IntegrityError, match=r"(?i)months_sum_to_q"):
            session.flush()
        session.rollback()

    def test_a_quarterly_budget_is_split_into_months_by_default(self, session):
        stream = make_stream(session)
        budget = income.set_budget(
            session,
            stream,
            2026,
            1_000_00,
            (100_00, 200_00, 300_00, 400_00),
            actor=None,
            expected_version=AS_READ,
        )
        assert budget.months == (33_33, 33_33, 33_34, 66_66, 66_66, 66_68, 100_00, 100_00, 100_00,
                                 133_33, 133_33, 133_34)  # fmt: skip
        assert not budget.profiled_by_month

    def test_a_seasonal_budget_by_month_derives_its_quarters_and_annual(self, session):
        stream = make_stream(session)
        months = (0, 0, 0, 500_00, 2_000_00, 500_00, 0, 0, 1_000_00, 0, 0, 0)  # summer reading, Christmas
        budget = income.set_budget(
            session, stream, 2026, None, months=months, actor=None, expected_version=AS_READ
        )
        assert (budget.annual, budget.profile, budget.months) == (
            4_000_00,
            (0, 3_000_00, 1_000_00, 0),
            months,
        )
        assert budget.profiled_by_month

    def test_the_grid_leaves_a_seasonal_profile_it_did_not_change(self, session):
        stream = make_stream(session)
        months = (0, 0, 0, 500_00, 2_000_00, 500_00, 0, 0, 1_000_00, 0, 0, 0)
        budget = income.set_budget(
            session, stream, 2026, None, months=months, actor=None, expected_version=AS_READ
        )
        session.commit()
        row = income.BudgetRow(stream.id, 4_000_00, budget.profile, budget.version)
        assert income.save_budget_grid(session, 2026, [row], actor=None) == 0
        assert budget.months == months

    def test_grid_saves_all_rows_or_none(self, session):
        a, b = make_stream(session, "A-1"), make_stream(session, "B-1")
        rows = [
            income.BudgetRow(a.id, 400_00, None, None),
            income.BudgetRow(b.id, 100_00, (1, 2, 3, 4), None),
        ]
        with pytest.raises(ValidationErrors) as caught:
            income.save_budget_grid(session, 2026, rows, actor=None)
        session.rollback()
        assert list(caught.value.errors) == ["rows-1-q4"]
        assert session.scalar(select(func.count()).select_from(Budget)) == 0
        rows[1] = income.BudgetRow(b.id, 100_00, (10_00, 20_00, 30_00, 40_00), None)
        assert income.save_budget_grid(session, 2026, rows, actor=None) == 2
        session.commit()
        assert session.scalar(select(func.sum(Budget.annual))) == 500_00

    def test_grid_refuses_a_stale_row(self, session):
        stream = make_stream(session)
        budget = make_budget(session, stream, 100_00)
        make_budget(session, stream, 200_00)  # someone else saves in between
        with pytest.raises(StaleEdit):
            income.save_budget_grid(
                session, 2026, [income.BudgetRow(stream.id, 300_00, None, budget.version - 1)], actor=None
            )


class TestEntries:
    def test_year_and_quarter_come_from_the_date(self, session):
        stream = make_stream(session)
        entry = make_entry(session, stream, date(2027, 3, 31), 10_00)
        assert (entry.financial_year, entry.quarter) == (2026, 4)
        entry = make_entry(session, stream, date(2027, 4, 1), 10_00, reference="R2")
        assert (entry.financial_year, entry.quarter) == (2027, 1)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"amount": 0}, "amount"),
            ({"stream_id": 9999}, "stream_id"),
            ({"date_received": date(2099, 1, 2)}, "date_received"),
        ],
    )
    def test_bad_entries_are_refused(self, session, changes, field):
        stream = make_stream(session)
        data = {"date_received": date(2026, 5, 1), "stream_id": stream.id, "amount": 5_00}
        data.update(changes)
        with pytest.raises(ValidationErrors) as caught:
            income.create_entry(session, EntryInput(**data), actor=None, today=date(2099, 1, 1))
        assert field in caught.value.errors

    def test_refunds_are_negative_entries(self, session):
        entry = make_entry(session, make_stream(session), date(2026, 5, 1), -12_00)
        assert entry.is_refund

    def test_every_write_path_is_refused_in_a_locked_quarter(self, session, make_user):
        finance = make_user(Role.FINANCE)
        stream = make_stream(session)
        inside = make_entry(session, stream, date(2026, 5, 1), 10_00)
        outside = make_entry(session, stream, date(2026, 7, 1), 10_00)
        locks.lock(session, Q1, actor=finance)
        session.commit()
        message = "2026-27 Q1 is locked. Record corrections as a new entry dated in an open period."
        with pytest.raises(locks.PeriodLocked, match=message):
            income.create_entry(
                session, EntryInput(date(2026, 6, 30), stream.id, 1_00), actor=None, today=FAR_FUTURE
            )
        with pytest.raises(locks.PeriodLocked):  # change an entry in the locked quarter
            income.update_entry(
                session,
                inside,
                EntryInput(date(2026, 5, 1), stream.id, 2_00),
                actor=None,
                expected_version=inside.version,
                today=FAR_FUTURE,
            )
        with pytest.raises(locks.PeriodLocked):  # move an open entry into the locked quarter
            income.update_entry(
                session,
                outside,
                EntryInput(date(2026, 4, 1), stream.id, 10_00),
                actor=None,
                expected_version=outside.version,
                today=FAR_FUTURE,
            )
        with pytest.raises(locks.PeriodLocked):
            income.delete_entry(session, inside, actor=None, expected_version=inside.version)
        session.rollback()
        assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 2
        assert session.get(IncomeEntry, inside.id).amount == 10_00

    def test_reopened_quarter_takes_changes_again(self, session, make_user):
        finance, admin = make_user(Role.FINANCE), make_user(Role.ADMIN)
        stream = make_stream(session)
        entry = make_entry(session, stream, date(2026, 5, 1), 10_00)
        locks.lock(session, Q1, actor=finance)
        with pytest.raises(NotAllowed):
            locks.reopen(session, Q1, actor=finance, reason="Mistake", expected_version=AS_READ)
        with pytest.raises(ServiceError, match="reason"):
            locks.reopen(session, Q1, actor=admin, reason=" ", expected_version=AS_READ)
        locks.reopen(
            session, Q1, actor=admin, reason="Late invoice from the ledger team", expected_version=AS_READ
        )
        income.delete_entry(session, entry, actor=admin, expected_version=entry.version)
        session.commit()
        events = [(e.action, e.summary) for e in audit_rows(session, "period_locks")]
        assert events == [("lock", "2026-27 Q1"), ("reopen", "2026-27 Q1: Late invoice from the ledger team")]

    def test_viewers_and_leads_cannot_lock(self, session, make_user):
        for role in (Role.VIEWER, Role.LEAD):
            with pytest.raises(NotAllowed):
                locks.lock(session, Q1, actor=make_user(role))

    def test_update_and_delete_are_audited_with_old_and_new_values(self, session, make_user):
        actor = make_user(Role.FINANCE)
        stream = make_stream(session)
        entry = make_entry(session, stream, date(2026, 5, 1), 10_00, actor=actor)
        income.update_entry(
            session,
            entry,
            EntryInput(date(2026, 5, 2), stream.id, 11_50, "REF"),
            actor=actor,
            expected_version=entry.version,
            today=FAR_FUTURE,
        )
        session.commit()
        income.delete_entry(session, entry, actor=actor, expected_version=entry.version)
        session.commit()
        create, update, delete = audit_rows(session, "income_entries")
        assert create.action == "create" and update.action == "update" and delete.action == "delete"
        assert update.changes == {"amount": [10_00, 11_50], "date_received": ["2026-05-01", "2026-05-02"]}
        assert delete.changes["amount"] == [11_50, None]
        assert {e.user_id for e in (create, update, delete)} == {actor.id}

    def test_stale_delete_is_refused(self, session):
        stream = make_stream(session)
        entry = make_entry(session, stream, date(2026, 5, 1), 10_00)
        with pytest.raises(StaleEdit):
            income.delete_entry(session, entry, actor=None, expected_version=entry.version + 1)


class TestForecasts:
    def test_amber_and_red_need_commentary(self, session):
        stream = make_stream(session)
        make_budget(session, stream, 100_000_00)
        quarter = FinancialYear(2026).quarter(2)
        with pytest.raises(ValidationErrors) as caught:
            income.save_forecast(
                session, stream, quarter, 97_000_00, "  ", actor=None, expected_version=AS_READ
            )
        assert (
            "This forecast is Amber: £3,000.00 short of the annual budget of £100,000.00"
            in (caught.value.errors["commentary"])
        )
        forecast = income.save_forecast(
            session,
            stream,
            quarter,
            97_000_00,
            "Roof repairs closed the hall",
            actor=None,
            expected_version=AS_READ,
        )
        session.commit()
        assert forecast.outturn == 97_000_00

    def test_green_needs_no_commentary_and_resaving_updates_the_same_row(self, session):
        stream = make_stream(session)
        make_budget(session, stream, 100_000_00)
        quarter = FinancialYear(2026).quarter(1)
        first = income.save_forecast(
            session, stream, quarter, 100_000_00, "", actor=None, expected_version=AS_READ
        )
        session.commit()
        second = income.save_forecast(
            session, stream, quarter, 101_000_00, "", actor=None, expected_version=first.version
        )
        session.commit()
        assert first.id == second.id and second.outturn == 101_000_00
        with pytest.raises(StaleEdit):
            income.save_forecast(session, stream, quarter, 102_000_00, "", actor=None, expected_version=1)

    def test_forecasts_stay_open_when_locked_until_the_return_is_submitted(self, session, make_user):
        from incometrack.services import returns

        finance = make_user(Role.FINANCE)
        stream = make_stream(session)
        locks.lock(session, Q1, actor=finance)
        income.save_forecast(session, stream, Q1, 5_00, "Late news", actor=finance, expected_version=AS_READ)
        returns.submit(session, Q1, actor=finance, council="", service_name="", reason="x",
                       today=date(2099, 1, 1))  # fmt: skip
        with pytest.raises(
            income.ReturnSubmitted, match="submitted: its forecasts and commentary are frozen"
        ):
            income.save_forecast(
                session, stream, Q1, 6_00, "Later news", actor=None, expected_version=AS_READ
            )
