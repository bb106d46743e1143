"""Where each income stream stands in a quarter: actuals, budget, forecast, variance and RAG.

One function, :func:`stream_positions`, serves the forecast form, the stream page, the dashboard
and the quarterly return. It runs three aggregate queries whatever the number of entries.

The statements are built once, with bound parameters, at import: SQLAlchemy then reuses their
compiled form and cache key, which matters for the pages and the return that run a dozen of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

from incometrack import money
from incometrack.models import Budget, Forecast, IncomeStream, IncomeTotal, Setting, StreamStatus
from incometrack.money import percent_of
from incometrack.periods import FinancialYear, MonthPeriod, Quarter, latest_ended_month
from incometrack.rag import IncomeThresholds, Rag, income_rag
from incometrack.reports.entries import like_escape
from incometrack.reports.sql import read

QUARTERS = (1, 2, 3, 4)
MONTHS = tuple(range(1, 13))

#: Where a report may be asked for: the end of a month period, or of a quarter (its last month).
AsAt = MonthPeriod | Quarter
#: A budget as the positions read it: (annual, four quarters, twelve months).
BudgetFigures = tuple[int, tuple[int, ...], tuple[int, ...]]


def month_of(as_at: AsAt) -> MonthPeriod:
    """The month period a report is as at the end of (a quarter: its last month)."""
    return as_at.last_month if isinstance(as_at, Quarter) else as_at


@dataclass(frozen=True)
class StreamPosition:
    """A stream's figures for financial year ``year`` as at the end of month period ``period``
    (in quarter ``quarter``): at a quarter end, the quarter's figures."""

    stream_id: int
    year: int
    quarter: int
    annual_budget: int
    has_budget: bool
    profile: tuple[int, int, int, int]
    #: actual income per quarter to the as-at day; None for quarters after it (the as-at
    #: quarter holds its months to date)
    actuals: tuple[int | None, int | None, int | None, int | None]
    profiled_to_date: int
    actual_to_date: int
    variance_to_date: int
    variance_to_date_pct: Decimal | None
    previous_forecast: int
    forecast_outturn: int
    #: True when no forecast was entered this year up to ``quarter``: actual to date plus the
    #: profiled budget of the months still to come
    forecast_is_default: bool
    #: the quarter whose forecast stands (None with the default)
    forecast_from_quarter: int | None
    movement: int
    forecast_variance: int
    forecast_variance_pct: Decimal | None
    rag: Rag
    #: commentary entered for this quarter ('' when none)
    commentary: str
    #: the month period the figures are as at the end of (3, 6, 9 or 12 at a quarter end)
    period: int = 12
    #: the monthly profile, P1 to P12
    months: tuple[int, ...] = ()
    #: actual income per month to the as-at day; None for months after it
    monthly: tuple[int | None, ...] = ()

    @property
    def commentary_missing(self) -> bool:
        return self.rag.needs_commentary and not self.commentary.strip()

    @property
    def profile_to_date(self) -> tuple[int, int, int, int]:
        """Each quarter's profiled budget to the as-at month, to set beside ``actuals``: a quarter
        in progress is profiled to that month (DOMAIN.md), a quarter ended or not yet begun whole."""
        if not self.months:
            return self.profile
        return tuple(
            sum(self.months[k - 1] for k in range(3 * q - 2, 3 * q + 1) if k <= self.period)
            if 3 * q - 2 <= self.period < 3 * q
            else self.profile[q - 1]
            for q in QUARTERS
        )


_SETTINGS = select(Setting.key, Setting.value)


@cache
def _actuals_statement(whole_year: bool, only: bool):
    """The year's income by stream and month period, read from the kept totals (a row a stream
    and month, however many entries); a whole year needs no period predicate."""
    query = select(IncomeTotal.stream_id, IncomeTotal.period, IncomeTotal.amount, IncomeTotal.entries).where(
        IncomeTotal.financial_year == bindparam("year")
    )
    if not whole_year:
        query = query.where(IncomeTotal.period <= bindparam("period"))
    return query.where(IncomeTotal.stream_id.in_(bindparam("ids", expanding=True))) if only else query


_BUDGET_COLUMNS = (
    Budget.stream_id,
    Budget.annual,
    Budget.q1,
    Budget.q2,
    Budget.q3,
    Budget.q4,
    *(getattr(Budget, f"p{n}") for n in MONTHS),
)
_BUDGETS = select(*_BUDGET_COLUMNS).where(Budget.year == bindparam("year"))
_BUDGETS_OF = _BUDGETS.where(Budget.stream_id.in_(bindparam("ids", expanding=True)))
_FORECASTS = select(Forecast.stream_id, Forecast.quarter, Forecast.outturn, Forecast.commentary).where(
    Forecast.year == bindparam("year"), Forecast.quarter <= bindparam("quarter")
)
_CEASED = select(IncomeStream.id).where(IncomeStream.status == StreamStatus.CEASED)
_FORECASTS_OF = _FORECASTS.where(Forecast.stream_id.in_(bindparam("ids", expanding=True)))


def budget_figures(row) -> BudgetFigures:
    """(annual, quarters, months) from a row of ``annual, q1..q4, p1..p12``."""
    annual, *rest = row
    return annual, tuple(rest[:4]), tuple(rest[4:16])


def load_thresholds(session: Session) -> IncomeThresholds:
    return IncomeThresholds.from_settings(dict(read(session, _SETTINGS).all()))


def default_forecast(
    actual_to_date: int, months: tuple[int, ...], period: int, *, ceased: bool = False
) -> int:
    """Actual to date plus the profiled budget of the months after period ``period``; a ceased
    stream earns nothing more, so its default is its actual to date (DOMAIN.md)."""
    return actual_to_date if ceased else actual_to_date + sum(months[period:])


def position(
    *,
    stream_id: int,
    budget: BudgetFigures | tuple[int, tuple[int, ...]] | None,
    forecasts: dict[int, tuple[int | None, str]],
    thresholds: IncomeThresholds,
    as_at: AsAt | None = None,
    quarter: Quarter | None = None,
    actual_by_month: dict[int, int] | None = None,
    actual_by_quarter: dict[int, int] | None = None,
    ceased: bool = False,
    forecast_quarter: int | None = None,
) -> StreamPosition:
    """Combine one stream's aggregates into its position as at the end of ``as_at`` (a month
    period or a quarter; ``quarter`` is the older spelling). Pure: no database.

    Actuals come by month period (or, for a quarter end, by quarter: each quarter's total is
    taken as its last month's). A budget without months is split by the default rule.
    ``forecast_quarter`` (by default the as-at month's) is the quarter whose forecast is wanted:
    the forecast form for Q3 on 15 October shows figures to 30 September and Q3's forecast."""
    month = month_of(as_at if as_at is not None else quarter)
    m, n = month.number, forecast_quarter or month.quarter.number
    if actual_by_month is None:
        actual_by_month = {3 * q: total for q, total in (actual_by_quarter or {}).items()}
    if budget is None:
        annual, profile, months = 0, (0, 0, 0, 0), (0,) * 12
    elif len(budget) == 2:
        annual, profile = budget
        months = money.months_of(tuple(profile))
    else:
        annual, profile, months = budget
    monthly = tuple(actual_by_month.get(k, 0) if k <= m else None for k in MONTHS)
    actuals = tuple(
        sum(monthly[k - 1] or 0 for k in range(3 * q - 2, 3 * q + 1)) if 3 * q - 2 <= m else None
        for q in QUARTERS
    )
    actual_to_date = sum(a for a in monthly if a is not None)
    profiled_to_date = sum(months[:m])

    def standing(at: int, period: int) -> tuple[int, bool, int | None]:
        """The forecast that stands in quarter ``at`` as at month ``period`` (0: before Q1)."""
        entered = [q for q, (outturn, _commentary) in forecasts.items() if q <= at and outturn is not None]
        if entered:
            latest = max(entered)
            return forecasts[latest][0], False, latest
        if at == 0:
            return annual, True, None
        to_date = sum(actual_by_month.get(k, 0) for k in MONTHS if k <= period)
        return default_forecast(to_date, months, period, ceased=ceased), True, None

    outturn, is_default, from_quarter = standing(n, m)
    previous = annual if n == 1 else standing(n - 1, 3 * (n - 1))[0]
    variance_to_date = actual_to_date - profiled_to_date
    forecast_variance = outturn - annual
    return StreamPosition(
        stream_id=stream_id,
        year=month.year.start,
        quarter=n,
        annual_budget=annual,
        has_budget=budget is not None,
        profile=tuple(profile),
        actuals=actuals,
        profiled_to_date=profiled_to_date,
        actual_to_date=actual_to_date,
        variance_to_date=variance_to_date,
        variance_to_date_pct=percent_of(variance_to_date, profiled_to_date),
        previous_forecast=previous,
        forecast_outturn=outturn,
        forecast_is_default=is_default,
        forecast_from_quarter=from_quarter,
        movement=outturn - previous,
        forecast_variance=forecast_variance,
        forecast_variance_pct=percent_of(forecast_variance, annual),
        rag=income_rag(annual, outturn, thresholds),
        commentary=forecasts.get(n, (0, ""))[1],
        period=m,
        months=tuple(months),
        monthly=monthly,
    )


@dataclass(frozen=True)
class _Aggregates:
    actuals: dict[int, dict[int, int]]  #: by stream, by month period
    budgets: dict[int, BudgetFigures]
    forecasts: dict[int, dict[int, tuple[int, str]]]
    thresholds: IncomeThresholds
    ceased: frozenset[int]


def year_actuals(
    session: Session, as_at: AsAt, only: list[int] | None = None
) -> dict[int, dict[int, tuple[int, int]]]:
    """Income and number of entries per stream and month period of the year up to the end of
    ``as_at``: the kept totals' rows for those months, read by their key (year, period, stream)."""
    month = month_of(as_at)
    params = {"year": month.year.start, "period": month.number}
    if only is not None:
        params["ids"] = only
    rows = read(session, _actuals_statement(month.number == 12, only is not None), params)
    result: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for stream_id, period, total, count in rows:
        result[stream_id][period] = (int(total), int(count))
    return dict(result)


def _aggregates(
    session: Session,
    as_at: AsAt,
    only: list[int] | None,
    actuals: dict[int, dict[int, tuple[int, int]]] | None = None,
    thresholds: IncomeThresholds | None = None,
    budgets: dict[int, BudgetFigures] | None = None,
    forecast_quarter: int | None = None,
    ceased: frozenset[int] | None = None,
) -> _Aggregates:
    month = month_of(as_at)
    if actuals is None:
        actuals = year_actuals(session, month, only)
    params = {"year": month.year.start, "quarter": forecast_quarter or month.quarter.number}
    if only is not None:
        params["ids"] = only
    if budgets is None:
        budget_rows = read(session, _BUDGETS if only is None else _BUDGETS_OF, params)
        budgets = {row[0]: budget_figures(row[1:]) for row in budget_rows}
    forecasts: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
    forecast_rows = read(session, _FORECASTS if only is None else _FORECASTS_OF, params)
    for stream_id, q, outturn, commentary in forecast_rows:
        forecasts[stream_id][q] = (outturn, commentary)
    sums = {
        stream_id: {period: total for period, (total, _count) in by_period.items()}
        for stream_id, by_period in actuals.items()
    }
    if ceased is None:
        ceased = frozenset(read(session, _CEASED).scalars())
    return _Aggregates(sums, budgets, dict(forecasts), thresholds or load_thresholds(session), ceased)


def _position_of(
    stream_id: int, as_at: AsAt, data: _Aggregates, forecast_quarter: int | None = None
) -> StreamPosition:
    return position(
        forecast_quarter=forecast_quarter,
        stream_id=stream_id,
        as_at=as_at,
        budget=data.budgets.get(stream_id),
        actual_by_month=data.actuals.get(stream_id, {}),
        forecasts=data.forecasts.get(stream_id, {}),
        thresholds=data.thresholds,
        ceased=stream_id in data.ceased,
    )


def stream_positions(
    session: Session,
    as_at: AsAt,
    stream_ids: Iterable[int] | None = None,
    *,
    actuals: dict[int, dict[int, tuple[int, int]]] | None = None,
    thresholds: IncomeThresholds | None = None,
    budgets: dict[int, BudgetFigures] | None = None,
    forecast_quarter: Quarter | None = None,
    ceased: frozenset[int] | None = None,
) -> dict[int, StreamPosition]:
    """Positions of the streams with a budget, income or a forecast in the year (or of just
    ``stream_ids``), as at the end of ``quarter``. ``actuals`` (from :func:`year_actuals`) saves the
    aggregate when the caller has it already, ``thresholds`` the settings query and ``budgets``
    (annual, quarters, months) by stream the budgets query."""
    number = forecast_quarter.number if forecast_quarter is not None else None
    only = list(stream_ids) if stream_ids is not None else None
    data = _aggregates(
        session, as_at, only, actuals, thresholds, budgets, forecast_quarter=number, ceased=ceased
    )
    ids = set(only) if only is not None else set(data.actuals) | set(data.budgets) | set(data.forecasts)
    return {stream_id: _position_of(stream_id, as_at, data, number) for stream_id in sorted(ids)}


def forecast_preview(
    session: Session, stream_id: int, as_at: AsAt, outturn: int, *, quarter: Quarter | None = None
) -> StreamPosition:
    """The stream's position as at ``as_at`` were the forecast made in ``quarter`` (by default
    the as-at month's) ``outturn``: the forecast form shows the RAG this gives before it is saved."""
    number = quarter.number if quarter is not None else month_of(as_at).quarter.number
    data = _aggregates(session, as_at, [stream_id], forecast_quarter=number)
    forecasts = dict(data.forecasts.get(stream_id, {}))
    commentary = forecasts.get(number, (0, ""))[1]
    forecasts[number] = (outturn, commentary)
    data.forecasts[stream_id] = forecasts
    return _position_of(stream_id, as_at, data, number)


def forecast_as_at(quarter: Quarter, today: date) -> MonthPeriod:
    """The month a forecast form for ``quarter`` shows figures to: the quarter's end once it has
    passed, otherwise the latest month that has ended (within the quarter's year)."""
    latest = latest_ended_month(today)
    if latest >= quarter.last_month:
        return quarter.last_month
    return max(latest, quarter.year.months[0])


def live_as_at(today: date, year: FinancialYear | None = None) -> MonthPeriod:
    """The month live screens show figures to (DOMAIN.md): the latest that has ended, or for
    another year, its last month (or its first, for a year not yet begun)."""
    latest = latest_ended_month(today)
    if year is None or year == latest.year:
        return latest
    return year.months[11] if year < latest.year else year.months[0]


def received_since(session: Session, as_at: MonthPeriod, today: date) -> dict[int, int]:
    """Income recorded per stream after the end of ``as_at`` (the as-at month of live figures),
    up to ``today``: what the figures leave out, shown beside them so nothing recorded is hidden.

    Entries are never dated after today, so these are the entries of the months from the one
    after ``as_at`` to today's: a sum of the kept totals of those months."""
    months = []
    month = as_at.next()
    while month.first_day <= today and len(months) < 36:
        months.append(month)
        month = month.next()
    if not months:
        return {}
    pairs = [and_(IncomeTotal.financial_year == m.year.start, IncomeTotal.period == m.number) for m in months]
    statement = (
        select(IncomeTotal.stream_id, func.sum(IncomeTotal.amount))
        .where(or_(*pairs))
        .group_by(IncomeTotal.stream_id)
    )
    return {stream_id: int(total) for stream_id, total in session.execute(statement)}


def list_streams(
    session: Session,
    *,
    service_id: int | None = None,
    category_id: int | None = None,
    status: str | None = None,
    text: str = "",
) -> list[IncomeStream]:
    """Streams matching the filters, by code, with service, category and site loaded (one query)."""
    statement = select(IncomeStream).options(
        joinedload(IncomeStream.service), joinedload(IncomeStream.category), joinedload(IncomeStream.site)
    )
    if service_id is not None:
        statement = statement.where(IncomeStream.service_id == service_id)
    if category_id is not None:
        statement = statement.where(IncomeStream.category_id == category_id)
    if status:
        statement = statement.where(IncomeStream.status == StreamStatus(status))
    if text.strip():
        pattern = f"%{like_escape(text.strip().lower())}%"
        statement = statement.where(
            or_(
                func.lower(IncomeStream.code).like(pattern, escape="\\"),
                func.lower(IncomeStream.name).like(pattern, escape="\\"),
            )
        )
    return list(session.scalars(statement.order_by(IncomeStream.code)).unique())


def budget_for(session: Session, stream_id: int, year: int) -> Budget | None:
    """A stream's budget record for a financial year (``year`` its first calendar year), as the
    database holds it now."""
    return session.scalar(
        select(Budget)
        .where(Budget.stream_id == stream_id, Budget.year == year)
        .execution_options(populate_existing=True)
    )


def forecast_made_in(session: Session, stream_id: int, quarter: Quarter) -> Forecast | None:
    """The forecast record made for a stream in ``quarter``, as the database holds it now."""
    return session.scalar(
        select(Forecast)
        .where(
            Forecast.stream_id == stream_id,
            Forecast.year == quarter.year.start,
            Forecast.quarter == quarter.number,
        )
        .execution_options(populate_existing=True)
    )


def forecast_versions(session: Session, quarter: Quarter, stream_ids: list[int]) -> dict[int, int]:
    """The version of each stream's forecast made in ``quarter`` (streams with none are absent)."""
    rows = session.execute(
        select(Forecast.stream_id, Forecast.version).where(
            Forecast.year == quarter.year.start,
            Forecast.quarter == quarter.number,
            Forecast.stream_id.in_(stream_ids),
        )
    )
    return {stream_id: version for stream_id, version in rows}
