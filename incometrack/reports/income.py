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
from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

from incometrack.models import Budget, Forecast, IncomeEntry, IncomeStream, Setting, StreamStatus
from incometrack.money import percent_of
from incometrack.periods import Quarter
from incometrack.rag import IncomeThresholds, Rag, income_rag
from incometrack.reports.entries import like_escape
from incometrack.reports.sql import read

QUARTERS = (1, 2, 3, 4)


@dataclass(frozen=True)
class StreamPosition:
    """A stream's figures for financial year ``year`` as at the end of quarter ``quarter``."""

    stream_id: int
    year: int
    quarter: int
    annual_budget: int
    has_budget: bool
    profile: tuple[int, int, int, int]
    #: actual income per quarter; None for quarters after ``quarter``
    actuals: tuple[int | None, int | None, int | None, int | None]
    profiled_to_date: int
    actual_to_date: int
    variance_to_date: int
    variance_to_date_pct: Decimal | None
    previous_forecast: int
    forecast_outturn: int
    #: True when no forecast was entered this year up to ``quarter``: actual to date plus the
    #: profiled budget of the quarters still to come
    forecast_is_default: bool
    #: the quarter whose forecast stands (None with the default)
    forecast_from_quarter: int | None
    movement: int
    forecast_variance: int
    forecast_variance_pct: Decimal | None
    rag: Rag
    #: commentary entered for this quarter ('' when none)
    commentary: str

    @property
    def commentary_missing(self) -> bool:
        return self.rag.needs_commentary and not self.commentary.strip()


_SETTINGS = select(Setting.key, Setting.value)


@cache
def _actuals_statement(whole_year: bool, only: bool):
    """The year's aggregate; a whole year (Q4) needs no quarter predicate, which keeps the
    covering index's scan as plain as it gets."""
    query = (
        select(IncomeEntry.stream_id, IncomeEntry.quarter, func.sum(IncomeEntry.amount), func.count())
        .where(IncomeEntry.financial_year == bindparam("year"))
        .group_by(IncomeEntry.stream_id, IncomeEntry.quarter)
    )
    if not whole_year:
        query = query.where(IncomeEntry.quarter <= bindparam("quarter"))
    return query.where(IncomeEntry.stream_id.in_(bindparam("ids", expanding=True))) if only else query


_BUDGETS = select(Budget.stream_id, Budget.annual, Budget.q1, Budget.q2, Budget.q3, Budget.q4).where(
    Budget.year == bindparam("year")
)
_BUDGETS_OF = _BUDGETS.where(Budget.stream_id.in_(bindparam("ids", expanding=True)))
_FORECASTS = select(Forecast.stream_id, Forecast.quarter, Forecast.outturn, Forecast.commentary).where(
    Forecast.year == bindparam("year"), Forecast.quarter <= bindparam("quarter")
)
_CEASED = select(IncomeStream.id).where(IncomeStream.status == StreamStatus.CEASED)
_FORECASTS_OF = _FORECASTS.where(Forecast.stream_id.in_(bindparam("ids", expanding=True)))


def load_thresholds(session: Session) -> IncomeThresholds:
    return IncomeThresholds.from_settings(dict(read(session, _SETTINGS).all()))


def default_forecast(
    actual_to_date: int, profile: tuple[int, ...], quarter: int, *, ceased: bool = False
) -> int:
    """Actual to date plus the profiled budget of the quarters still to come; a ceased stream
    earns nothing more, so its default is its actual to date (DOMAIN.md)."""
    return actual_to_date if ceased else actual_to_date + sum(profile[quarter:])


def position(
    *,
    stream_id: int,
    quarter: Quarter,
    budget: tuple[int, tuple[int, int, int, int]] | None,
    actual_by_quarter: dict[int, int],
    forecasts: dict[int, tuple[int, str]],
    thresholds: IncomeThresholds,
    ceased: bool = False,
) -> StreamPosition:
    """Combine one stream's aggregates into its position (pure: no database)."""
    n = quarter.number
    annual, profile = budget if budget is not None else (0, (0, 0, 0, 0))
    actuals = tuple(actual_by_quarter.get(q, 0) if q <= n else None for q in QUARTERS)
    actual_to_date = sum(a for a in actuals if a is not None)
    profiled_to_date = sum(profile[:n])

    def standing(at: int) -> tuple[int, bool, int | None]:
        """The forecast that stands at the end of quarter ``at`` (0 means before Q1)."""
        entered = [q for q in forecasts if q <= at]
        if entered:
            latest = max(entered)
            return forecasts[latest][0], False, latest
        if at == 0:
            return annual, True, None
        to_date = sum(actual_by_quarter.get(q, 0) for q in QUARTERS if q <= at)
        return default_forecast(to_date, profile, at, ceased=ceased), True, None

    outturn, is_default, from_quarter = standing(n)
    previous = annual if n == 1 else standing(n - 1)[0]
    variance_to_date = actual_to_date - profiled_to_date
    forecast_variance = outturn - annual
    return StreamPosition(
        stream_id=stream_id,
        year=quarter.year.start,
        quarter=n,
        annual_budget=annual,
        has_budget=budget is not None,
        profile=profile,
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
    )


@dataclass(frozen=True)
class _Aggregates:
    actuals: dict[int, dict[int, int]]
    budgets: dict[int, tuple[int, tuple[int, int, int, int]]]
    forecasts: dict[int, dict[int, tuple[int, str]]]
    thresholds: IncomeThresholds
    ceased: frozenset[int]


def year_actuals(
    session: Session, quarter: Quarter, only: list[int] | None = None
) -> dict[int, dict[int, tuple[int, int]]]:
    """Income and number of entries per stream and quarter of the year up to ``quarter``: one
    aggregate that the covering index (year, quarter, stream, amount) answers without the table."""
    params = {"year": quarter.year.start, "quarter": quarter.number}
    if only is not None:
        params["ids"] = only
    rows = read(session, _actuals_statement(quarter.number == 4, only is not None), params)
    result: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for stream_id, q, total, count in rows:
        result[stream_id][q] = (int(total), int(count))
    return dict(result)


def _aggregates(
    session: Session,
    quarter: Quarter,
    only: list[int] | None,
    actuals: dict[int, dict[int, tuple[int, int]]] | None = None,
    thresholds: IncomeThresholds | None = None,
    budgets: dict[int, tuple[int, tuple[int, int, int, int]]] | None = None,
) -> _Aggregates:
    if actuals is None:
        actuals = year_actuals(session, quarter, only)
    params = {"year": quarter.year.start, "quarter": quarter.number}
    if only is not None:
        params["ids"] = only
    if budgets is None:
        budget_rows = read(session, _BUDGETS if only is None else _BUDGETS_OF, params)
        budgets = {stream_id: (annual, (q1, q2, q3, q4)) for stream_id, annual, q1, q2, q3, q4 in budget_rows}
    forecasts: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
    forecast_rows = read(session, _FORECASTS if only is None else _FORECASTS_OF, params)
    for stream_id, q, outturn, commentary in forecast_rows:
        forecasts[stream_id][q] = (outturn, commentary)
    sums = {
        stream_id: {q: total for q, (total, _count) in by_quarter.items()}
        for stream_id, by_quarter in actuals.items()
    }
    ceased = frozenset(read(session, _CEASED).scalars())
    return _Aggregates(sums, budgets, dict(forecasts), thresholds or load_thresholds(session), ceased)


def _position_of(stream_id: int, quarter: Quarter, data: _Aggregates) -> StreamPosition:
    return position(
        stream_id=stream_id,
        quarter=quarter,
        budget=data.budgets.get(stream_id),
        actual_by_quarter=data.actuals.get(stream_id, {}),
        forecasts=data.forecasts.get(stream_id, {}),
        thresholds=data.thresholds,
        ceased=stream_id in data.ceased,
    )


def stream_positions(
    session: Session,
    quarter: Quarter,
    stream_ids: Iterable[int] | None = None,
    *,
    actuals: dict[int, dict[int, tuple[int, int]]] | None = None,
    thresholds: IncomeThresholds | None = None,
    budgets: dict[int, tuple[int, tuple[int, int, int, int]]] | None = None,
) -> dict[int, StreamPosition]:
    """Positions of the streams with a budget, income or a forecast in the year (or of just
    ``stream_ids``), as at the end of ``quarter``. ``actuals`` (from :func:`year_actuals`) saves the
    aggregate when the caller has it already, ``thresholds`` the settings query and ``budgets``
    (annual, profile) by stream the budgets query."""
    only = list(stream_ids) if stream_ids is not None else None
    data = _aggregates(session, quarter, only, actuals, thresholds, budgets)
    ids = set(only) if only is not None else set(data.actuals) | set(data.budgets) | set(data.forecasts)
    return {stream_id: _position_of(stream_id, quarter, data) for stream_id in sorted(ids)}


def forecast_preview(session: Session, stream_id: int, quarter: Quarter, outturn: int) -> StreamPosition:
    """The stream's position were its forecast made in ``quarter`` ``outturn`` (the forecast form
    shows the RAG this gives before it is saved)."""
    data = _aggregates(session, quarter, [stream_id])
    forecasts = dict(data.forecasts.get(stream_id, {}))
    commentary = forecasts.get(quarter.number, (0, ""))[1]
    forecasts[quarter.number] = (outturn, commentary)
    data.forecasts[stream_id] = forecasts
    return _position_of(stream_id, quarter, data)


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
