"""How the return is laid out: its sections and their columns, declared once.

The workbook (one sheet a section), the committee PDF and the HTML return (the page and the
published file) all draw their tables from :data:`SECTIONS`: a column's title, what it shows of a
line (``value``), its kind (which decides the cell's format everywhere) and its width in
characters. A renderer decides only how a kind looks in its medium: a £ number format in the
workbook, ``£1,234.00`` in the PDF and HTML.

Paper is narrower than a sheet or a page that scrolls, so a section may say how the PDF splits
its columns into :class:`Part` tables (the stream table prints as "position to date" and
"forecast outturn"); a column with ``on_paper=False`` is printed another way (commentary as
paragraphs below the tables) or not at all.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any

from incometrack.money import format_gbp
from incometrack.periods import format_date
from incometrack.rag import Rag
from incometrack.reports.returns import (
    NO_DECISIONS,
    FinancialReturn,
    ServiceSummary,
    StreamLine,
)


class Kind(enum.StrEnum):
    """What a column holds, which decides how every renderer writes its cells."""

    TEXT = "text"  #: one line of text
    USER = "user"  #: text a person wrote, wrapped
    MONEY = "money"  #: pence
    PERCENT = "percent"  #: a Decimal percentage (12.5 for 12.5%)
    DATE = "date"
    INT = "int"
    RAG = "rag"  #: a rating, shown as its word on its colour
    NUMBER = "number"  #: a Decimal count, percentage or score to 1 dp (a measure's value)

    @property
    def numeric(self) -> bool:
        return self in (Kind.MONEY, Kind.PERCENT, Kind.INT, Kind.NUMBER)


@dataclass(frozen=True)
class Ratio:
    """A total that is one column's total over another's, as a percentage (never a sum)."""

    numerator: str
    denominator: str


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], object]
    kind: Kind = Kind.TEXT
    #: in characters, as a workbook column's width; the PDF starts from this and fits the page
    width: int = 15
    #: "sum", a :class:`Ratio`, or None (the total line's own value, often blank)
    total: str | Ratio | None = None
    on_paper: bool = True
    #: marks a line's value as an estimate, explained by ``flag_note`` (a footnote or a comment)
    flag: Callable[[Any], bool] | None = None
    flag_note: str = ""
    #: a code, printed whole: on paper its column is as wide as its longest value, never broken
    whole: bool = False
    #: a quarter's own figure (1-4): left off paper in a return of an earlier quarter, where it
    #: would print empty
    quarter: int | None = None

    @property
    def numeric(self) -> bool:
        return self.kind.numeric


@dataclass(frozen=True)
class Part:
    """One of the tables the PDF prints a wide section as."""

    heading: str
    titles: tuple[str, ...]
    #: the column that gives up width first where the table is too wide for paper; None: every
    #: text column gives up its share
    flex: str | None = None


@dataclass(frozen=True)
class Section:
    key: str  #: the anchor on the page and the HTML file
    sheet: str  #: the workbook's sheet name (a contract: scripts read these)
    heading: str
    caption: str
    columns: tuple[Column, ...]
    lines: Callable[[FinancialReturn], Iterable[Any]]
    #: the total line: a line of the same kind (labelled in its first column), or its values by
    #: column title (those missing blank); None for no total
    total: Callable[[FinancialReturn], Any] | None = None
    #: a column that names the line, a row header for screen readers
    row_header: bool = True
    empty: str = "None."
    parts: tuple[Part, ...] = ()
    #: the section is a table in the PDF and the HTML (the year's entries are only in the workbook)
    on_paper: bool = True
    #: on a page, the columns shown at first (the rest one click away); () for all of them
    screen: tuple[str, ...] = ()
    #: how many of the first columns name a line (a stream's code and name): a card's title
    names: int = 1

    def column(self, title: str) -> Column:
        return next(c for c in self.columns if c.title == title)

    def paper_parts(self) -> tuple[Part, ...]:
        if self.parts:
            return self.parts
        return (Part(self.heading, tuple(c.title for c in self.columns if c.on_paper)),)

    def values(self, line: Any) -> list[object]:
        return [c.value(line) for c in self.columns]

    def total_values(self, report: FinancialReturn) -> list[object] | None:
        if self.total is None:
            return None
        line = self.total(report)
        if line is None:  # a total the report holds none of (a snapshot from before impact)
            return None
        if isinstance(line, dict):
            return [line.get(c.title) for c in self.columns]
        return self.values(line)


def display(value: object, kind: Kind) -> str:
    """A cell as text in the PDF and the HTML: ``£1,234.50``, ``12.5%``, ``1 Apr 2026``."""
    if value is None:
        return ""
    if kind == Kind.MONEY:
        return format_gbp(value)  # type: ignore[arg-type]
    if kind == Kind.PERCENT:
        return f"{value}%" if isinstance(value, Decimal) else str(value)
    if kind == Kind.DATE:
        return format_date(value) if isinstance(value, date) else str(value)
    if kind == Kind.INT:
        return f"{value:,}" if isinstance(value, int) else str(value)
    if kind == Kind.NUMBER:
        return format_measure(value) if isinstance(value, Decimal) else str(value)
    return str(value)


def format_measure(value: Decimal) -> str:
    """``1,250`` for a whole number, ``72.5`` otherwise."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"


# The figures of a line of income, shared by the summary by service and the stream table ----------


def _figure_columns(*, quarters: bool, variance_title: str, width: int = 15) -> list[Column]:
    def of(name: str) -> Callable[[Any], object]:
        return lambda line: getattr(line.figures, name)

    columns = [Column("Annual budget", of("annual_budget"), Kind.MONEY, width, "sum")]
    if quarters:
        columns += [
            Column(
                f"Q{q + 1} actual",
                lambda line, q=q: line.figures.actuals[q],
                Kind.MONEY,
                width,
                "sum",
                quarter=q + 1,
            )
            for q in range(4)
        ]
    columns += [
        Column("Profiled budget to date", of("profiled_to_date"), Kind.MONEY, width, "sum"),
        Column("Actual to date", of("actual_to_date"), Kind.MONEY, width, "sum"),
        Column(variance_title, of("variance_to_date"), Kind.MONEY, width, "sum"),
        Column(
            f"{variance_title} %",
            of("variance_to_date_pct"),
            Kind.PERCENT,
            11,
            Ratio(variance_title, "Profiled budget to date"),
        ),
    ]
    if quarters:
        columns.append(Column("Previous forecast", of("previous_forecast"), Kind.MONEY, width, "sum"))
    columns.append(
        Column(
            "Forecast outturn",
            of("forecast_outturn"),
            Kind.MONEY,
            width,
            "sum",
            flag=(lambda line: line.forecast_is_default) if quarters else None,
            flag_note="Default forecast: actual to date plus the profiled budget still to come.",
        )
    )
    if quarters:
        columns.append(Column("Movement", of("movement"), Kind.MONEY, width, "sum"))
    columns += [
        Column("Forecast variance", of("forecast_variance"), Kind.MONEY, width, "sum"),
        Column(
            "Forecast variance %",
            of("forecast_variance_pct"),
            Kind.PERCENT,
            11,
            Ratio("Forecast variance", "Annual budget"),
        ),
        Column("RAG", lambda line: line.figures.rag, Kind.RAG, 9),
    ]
    return columns


def _overall_stream(report: FinancialReturn) -> StreamLine:
    return StreamLine("Total", "", "", "", report.overall, False, "", False)


def _stream_commentary(line: StreamLine) -> str:
    return line.commentary or ("Commentary needed" if line.commentary_missing else "")


SUMMARY = Section(
    "summary",
    "Summary",
    "Summary by service",
    "Income by service, year to date",
    (
        Column("Service", lambda line: line.service, Kind.TEXT, 26),
        *_figure_columns(quarters=False, variance_title="Variance", width=14),
    ),
    lambda report: report.services,
    total=lambda report: ServiceSummary("Total", report.overall),
)

STREAMS = Section(
    "streams",
    "Income by stream",
    "Income by stream",
    "Income by stream, year to date and forecast outturn",
    (
        Column("Stream code", lambda line: line.code, Kind.TEXT, 14, whole=True),
        Column("Stream", lambda line: line.name, Kind.TEXT, 32),
        Column("Service", lambda line: line.service, Kind.TEXT, 14),
        Column("Category", lambda line: line.category, Kind.TEXT, 24),
        *_figure_columns(quarters=True, variance_title="Variance to date"),
        # wide, so a row is one line tall for most commentary and the printed sheet (which leaves
        # it out: the streams rated Red or Amber carry theirs) stays a page tall
        Column("Commentary", _stream_commentary, Kind.USER, 90, on_paper=False),
    ),
    lambda report: report.streams,
    total=_overall_stream,
    empty="No income streams this year.",
    names=2,
    screen=(
        "Stream code",
        "Stream",
        "Profiled budget to date",
        "Actual to date",
        "Variance to date",
        "Forecast outturn",
        "RAG",
        "Commentary",
    ),
    parts=(
        Part(
            "Income by stream: position to date",
            (
                "Stream code",
                "Stream",
                "Annual budget",
                "Q1 actual",
                "Q2 actual",
                "Q3 actual",
                "Q4 actual",
                "Profiled budget to date",
                "Actual to date",
                "Variance to date",
                "Variance to date %",
            ),
            flex="Stream",
        ),
        Part(
            "Income by stream: forecast outturn",
            (
                "Stream code",
                "Stream",
                "Service",
                "Category",
                "Previous forecast",
                "Forecast outturn",
                "Movement",
                "Forecast variance",
                "Forecast variance %",
                "RAG",
            ),
            flex="Stream",
        ),
    ),
)


def _grant_totals(report: FinancialReturn) -> dict[str, object]:
    return {
        "Funder": "Total",
        **{title: sum(getattr(g, name) or 0 for g in report.grants) for title, name in _GRANT_MONEY.items()},
    }


_GRANT_MONEY = {
    "Requested": "requested",
    "Awarded": "awarded",
    "Match funding": "match_funding",
    "Received to date": "received",
    "Spent to date": "spent",
    "Remaining": "remaining",
}


GRANTS = Section(
    "grants",
    "Grants",
    "Grants",
    "Bids live this year: dates, money and reporting",
    (
        Column("Funder", lambda g: g.funder, Kind.TEXT, 22),
        Column("Programme", lambda g: g.programme, Kind.TEXT, 20),
        Column("Bid", lambda g: g.bid, Kind.TEXT, 28),
        Column("Status", lambda g: g.status.value.capitalize(), Kind.TEXT, 15),
        Column("Submitted", lambda g: g.submitted_on, Kind.DATE, 12),
        Column("Decision", lambda g: g.decision_on, Kind.DATE, 12),
        Column("Start", lambda g: g.start_on, Kind.DATE, 12),
        Column("End", lambda g: g.end_on, Kind.DATE, 12),
        *(Column(title, attrgetter(name), Kind.MONEY, 15, "sum") for title, name in _GRANT_MONEY.items()),
        Column("Next report due", lambda g: g.next_report_due, Kind.DATE, 14),
        Column("Next report", lambda g: g.next_report, Kind.TEXT, 20),
        # On paper the outcomes are the "Libraries Deliver outcomes" table's.
        Column("Outcomes", lambda g: g.outcomes, Kind.TEXT, 40, on_paper=False),
    ),
    lambda report: report.grants,
    total=_grant_totals,
    empty="No bids are live this year.",
    parts=(
        Part(
            "Grants: dates and reporting",
            (
                "Funder",
                "Programme",
                "Bid",
                "Status",
                "Submitted",
                "Decision",
                "Start",
                "End",
                "Next report due",
                "Next report",
            ),
        ),
        Part(
            "Grants: money to date",
            ("Funder", "Bid", *_GRANT_MONEY),
            flex="Bid",
        ),
    ),
)


MILESTONES = Section(
    "milestones",
    "Milestones",
    "Milestones by RAG at the quarter end",
    "Milestones at the quarter end, with their RAG and latest update",
    (
        Column("Project", lambda m: m.project, Kind.TEXT, 26),
        Column("Milestone", lambda m: m.milestone, Kind.TEXT, 30),
        Column("Owner", lambda m: m.owner, Kind.TEXT, 18),
        Column("Baseline", lambda m: m.baseline, Kind.DATE, 12),
        Column("Forecast", lambda m: m.forecast, Kind.DATE, 12),
        Column("Completed", lambda m: m.completed, Kind.DATE, 12),
        Column("Status", lambda m: m.status.value.capitalize(), Kind.TEXT, 12),
        Column("RAG", lambda m: m.rag, Kind.RAG, 10),
        Column("Slippage (days)", lambda m: m.slippage_days, Kind.INT, 10),
        Column("Latest update", lambda m: m.latest_update, Kind.USER, 44),
    ),
    lambda report: report.milestones,
    row_header=False,
    empty="No milestones at the quarter end.",
)

OUTCOMES = Section(
    "outcomes",
    "Outcomes",
    "Libraries Deliver outcomes",
    "Awarded grants and active projects by Libraries Deliver outcome",
    (
        Column("Outcome", lambda o: o.outcome, Kind.TEXT, 44),
        # Totals are not sums: a grant or project serving several outcomes is counted once.
        Column("Grants awarded", lambda o: o.grants_awarded, Kind.INT, 12),
        Column("Value awarded", lambda o: o.grants_value, Kind.MONEY, 16),
        Column("Projects", lambda o: o.projects, Kind.INT, 10),
        Column("Project names", lambda o: o.project_names, Kind.USER, 60),
    ),
    lambda report: report.outcomes,
    total=lambda report: report.outcome_totals,
    empty="No outcomes are set up.",
)


CIPFA = Section(
    "cipfa",
    "CIPFA lines",
    "CIPFA income lines, year to date",
    "Year-to-date income per CIPFA income line",
    (
        Column("CIPFA income line", lambda c: c.line, Kind.TEXT, 56),
        Column("Actual to date", lambda c: c.actual_to_date, Kind.MONEY, 16, "sum"),
    ),
    lambda report: report.cipfa,
    total=lambda report: {
        "CIPFA income line": "Total",
        "Actual to date": sum(c.actual_to_date for c in report.cipfa),
    },
)


ENTRIES = Section(
    "entries",
    "Income entries",
    "Income entries",
    "Income entries of the year to date",
    (
        Column("Date received", lambda e: e.date_received, Kind.DATE, 13),
        Column("Quarter", lambda e: f"Q{e.quarter}", Kind.TEXT, 8),
        Column("Stream code", lambda e: e.stream_code, Kind.TEXT, 14, whole=True),
        Column("Stream", lambda e: e.stream, Kind.TEXT, 30),
        Column("Service", lambda e: e.service, Kind.TEXT, 14),
        Column("Category", lambda e: e.category, Kind.TEXT, 24),
        Column("Site", lambda e: e.site, Kind.TEXT, 24),
        Column("Reference", lambda e: e.reference, Kind.TEXT, 16),
        Column("Description", lambda e: e.description, Kind.TEXT, 36),
        Column("Amount", lambda e: e.amount, Kind.MONEY, 14, "sum"),
    ),
    lambda report: report.entries,
    total=lambda report: {"Date received": "Total", "Amount": report.entries_summary.total},
    row_header=False,
    on_paper=False,
)


def red_or_amber(report: FinancialReturn) -> list[StreamLine]:
    """The streams rated Red or Amber, the largest forecast shortfall first."""
    rated = (s for s in report.streams if s.figures.rag in (Rag.RED, Rag.AMBER))
    return sorted(rated, key=lambda s: (s.figures.forecast_variance, s.code))


#: What the committee reads first in every rendering: the streams that need its attention.
EXCEPTIONS = Section(
    "exceptions",
    "Streams rated Red or Amber",
    "Streams rated Red or Amber",
    "Streams rated Red or Amber, the largest forecast shortfall first",
    (
        Column("Stream code", lambda line: line.code, Kind.TEXT, 14, whole=True),
        Column("Stream", lambda line: line.name, Kind.TEXT, 26),
        Column("Service", lambda line: line.service, Kind.TEXT, 14),
        Column("Forecast variance", lambda line: line.figures.forecast_variance, Kind.MONEY, 15),
        Column("Forecast variance %", lambda line: line.figures.forecast_variance_pct, Kind.PERCENT, 11),
        Column("RAG", lambda line: line.figures.rag, Kind.RAG, 9),
        Column("Movement since the previous forecast", lambda line: line.figures.movement, Kind.MONEY, 15),
        Column("Commentary", _stream_commentary, Kind.USER, 60),
    ),
    red_or_amber,
    empty="No stream is rated Red or Amber.",
    names=2,
    parts=(
        Part(
            "Streams rated Red or Amber",
            (
                "Stream code",
                "Stream",
                "Service",
                "Forecast variance",
                "Forecast variance %",
                "RAG",
                "Movement since the previous forecast",
                "Commentary",
            ),
            flex="Commentary",
        ),
    ),
)

# Impact and outcomes: one sheet, section and page part, its tables below each other ------------

IMPACT = Section(
    "impact",
    "Impact and outcomes",
    "Impact and outcomes",
    "Each project's measures against their targets, with progress rated against the time elapsed",
    (
        Column("Project", lambda m: m.project, Kind.TEXT, 24),
        Column("Measure", lambda m: m.measure, Kind.TEXT, 28),
        Column("Unit", lambda m: m.unit, Kind.TEXT, 12),
        Column("Baseline", lambda m: m.baseline, Kind.NUMBER, 10),
        Column("Target", lambda m: m.target, Kind.NUMBER, 10),
        Column("Target date", lambda m: m.target_on, Kind.DATE, 12),
        Column("This quarter", lambda m: m.this_quarter, Kind.NUMBER, 10),
        Column("Year to date", lambda m: m.year_to_date, Kind.NUMBER, 10),
        Column("% of target", lambda m: m.percent_of_target, Kind.PERCENT, 10),
        Column("RAG", lambda m: m.rag or "No result due", Kind.RAG, 10),
        # the roll-ups below say it on paper
        Column("Outcome", lambda m: m.outcome, Kind.TEXT, 30, on_paper=False),
    ),
    lambda report: report.impact.measures,
    empty="No project has measures yet.",
    names=2,
    parts=(
        Part(
            "Impact and outcomes: measures against targets",
            (
                "Project",
                "Measure",
                "Unit",
                "Baseline",
                "Target",
                "Target date",
                "This quarter",
                "Year to date",
                "% of target",
                "RAG",
            ),
            flex="Measure",
        ),
    ),
)


def _rollup_columns(first: str) -> tuple[Column, ...]:
    # Counts of projects are not sums: the total counts a project with several measures once.
    return (
        Column(first, lambda r: r.name, Kind.TEXT, 36),
        Column("Project names", lambda r: r.project_names, Kind.USER, 34),
        Column("Projects", lambda r: r.projects, Kind.INT, 9),
        Column("Measures", lambda r: r.measures, Kind.INT, 9),
        Column("Green", lambda r: r.green, Kind.INT, 8),
        Column("Amber", lambda r: r.amber, Kind.INT, 8),
        Column("Red", lambda r: r.red, Kind.INT, 8),
    )


IMPACT_OUTCOMES = Section(
    "impact-outcomes",
    "Impact and outcomes",
    "Impact by Libraries Deliver outcome",
    "Projects and their measures by Libraries Deliver outcome, each project counted once in the total",
    _rollup_columns("Libraries Deliver outcome"),
    lambda report: report.impact.by_outcome,
    total=lambda report: report.impact.total,
    empty="No outcomes are set up.",
)

IMPACT_OFFERS = Section(
    "impact-offers",
    "Impact and outcomes",
    "Impact by Universal Library Offer",
    "Projects and their measures by Universal Library Offer",
    _rollup_columns("Universal Library Offer"),
    lambda report: report.impact.by_offer,
)


def evidence_text(item: Any) -> str:
    """An item of evidence in one paragraph: ``Quote: "…" (Outreach service user, Folkestone,
    12 Aug 2026)``; a photo by its title and description; "Withheld: consent" where withheld."""
    if item.withheld:
        return f"{item.kind}: {item.text}"
    said = ", ".join(p for p in (item.attribution, item.site, format_date(item.occurred_on)) if p)
    if item.kind == "Quote":
        words = f"\u201c{item.text}\u201d"
    elif item.kind == "Photo":
        words = f"{item.title}. {item.alt_text}"
    else:
        words = f"{item.title}. {item.text}"
    return f"{item.kind}: {words}" + (f" ({said})" if said else "")


#: In the workbook (the page and the PDF print each item as a paragraph, a photo as a picture).
IMPACT_EVIDENCE = Section(
    "impact-evidence",
    "Impact and outcomes",
    "Evidence",
    "Approved evidence per project: a case study, up to two quotes and a photo, where consent allows",
    (
        Column("Project", lambda e: e.project, Kind.TEXT, 24),
        Column("Evidence", evidence_text, Kind.USER, 34),
        Column("Outcome", lambda e: e.outcome, Kind.TEXT, 11),
    ),
    lambda report: report.impact.evidence,
    row_header=False,
    empty="No approved evidence yet.",
)

#: The tables of the impact sheet and section, in order.
IMPACT_SECTIONS = (IMPACT, IMPACT_OUTCOMES, IMPACT_OFFERS, IMPACT_EVIDENCE)

#: The return's tables, in the order of the workbook's sheets (the exceptions first, then the
#: Summary with its own small tables; the impact sheet holds :data:`IMPACT_SECTIONS`).
SECTIONS = (EXCEPTIONS, SUMMARY, STREAMS, GRANTS, MILESTONES, OUTCOMES, CIPFA, IMPACT, ENTRIES)

# The Summary's small tables beside the figures ---------------------------------------------------

QUARTERS = Section(
    "quarters",
    "Summary",
    "Quarter",
    "Income by quarter against profiled budget (the chart's figures)",
    (
        Column("Quarter", lambda b: b.label, Kind.TEXT, 26),
        Column("Actual income", lambda b: b.actual, Kind.MONEY, 16),
        Column("Profiled budget", lambda b: b.profiled, Kind.MONEY, 16),
    ),
    lambda report: report.quarters,
)

MILESTONE_COUNTS = Section(
    "milestone-counts",
    "Summary",
    "Milestones by RAG at the quarter end",
    "Milestones by RAG at the quarter end",
    (
        Column("RAG", lambda c: c.rag, Kind.RAG, 26),
        Column("Milestones", lambda c: c.count, Kind.INT, 16),
    ),
    lambda report: report.milestone_counts,
)


@dataclass(frozen=True)
class Figure:
    """A headline figure: its label, its value and how the value reads."""

    label: str
    value: object
    kind: Kind


def grant_figures(report: FinancialReturn) -> list[Figure]:
    """The grants headline of the Summary, the same lines in every rendering. A success rate
    before any decision reads "No decisions yet", never a blank or 0%."""
    g = report.grants_headline

    def rate(value: Decimal | None) -> tuple[object, Kind]:
        return (value, Kind.PERCENT) if value is not None else (NO_DECISIONS, Kind.TEXT)

    return [
        Figure("Awarded in the year to date", g.awarded_in_year, Kind.MONEY),
        Figure("Grant payments received in the year to date", g.received_in_year, Kind.MONEY),
        Figure(f"Pending bids ({g.pending_count}): amount requested", g.pending_requested, Kind.MONEY),
        Figure("Weighted value of pending bids", g.weighted_pipeline, Kind.MONEY),
        Figure("Success rate by count", *rate(g.success_rate_count)),
        Figure("Success rate by value", *rate(g.success_rate_value)),
    ]


GRANT_FIGURES_CAPTION = "Grants, year to date"


def _share(basis_points: int) -> str:
    """Basis points as a percentage in words: 500 is ``5%``, 250 is ``2.5%``."""
    return f"{Decimal(basis_points) / 100}%"


def rag_key(report: FinancialReturn) -> tuple[tuple[Rag, str], ...]:
    """What each rating means, with the thresholds the return's streams were rated by (settings,
    kept with a submitted return): the key before the first rated table in every rendering."""
    t = report.thresholds
    return (
        (
            Rag.RED,
            f"Forecast shortfall of at least the lower of {_share(t.red_basis_points)} of the annual budget"
            f" and {format_gbp(t.red_pence).removesuffix('.00')}; milestone past its forecast date.",
        ),
        (
            Rag.AMBER,
            f"Forecast shortfall of at least {_share(t.amber_basis_points)} of the annual budget; milestone"
            " forecast after its baseline.",
        ),
        (Rag.GREEN, "On or above budget, or a smaller shortfall; milestone on time."),
        (Rag.COMPLETE, "Milestone complete."),
    )


RAG_KEY_CAPTION = "What the ratings mean"
