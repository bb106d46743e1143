"""Server-rendered SVG charts: accessible (role="img", title, description), readable in black and
white, and always shown beside a table of the same numbers. No chart script is needed.

Functions take plain values and return markup; every piece of user text is escaped here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from incometrack.money import format_gbp
from incometrack.rag import rag_named

FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif\""
#: GOV.UK Frontend colours; each differs in shape or pattern too, so colour is never the only cue.
INK = "#0b0c0c"
GRID = "#b1b4b6"


def _open(width: int, height: int, chart_id: str, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT} '
        f'font-size="14">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


@dataclass(frozen=True)
class TimelineItem:
    label: str
    baseline: date
    forecast: date
    completed: date | None
    rag: str  #: Red, Amber, Green, Complete or Cancelled


def timeline_svg(items: list[TimelineItem], *, chart_id: str, title: str, today: date) -> Markup:
    """One row per milestone: an open diamond at the baseline date, a filled circle (coloured by RAG)
    at the forecast or completion date, joined by a line where they differ; a dashed line marks today."""
    if not items:
        return Markup("")
    label_width, row, top, right = 260, 34, 40, 20
    width = 900
    plot = width - label_width - right
    days = [d for item in items for d in (item.baseline, item.forecast, item.completed) if d] + [today]
    start, end = min(days) - timedelta(days=14), max(days) + timedelta(days=14)
    span = max((end - start).days, 1)
    height = top + row * len(items) + 30

    def x(day: date) -> float:
        return round(label_width + plot * (day - start).days / span, 1)

    description = "; ".join(
        f"{item.label}: baseline {item.baseline:%d %b %Y}, "
        + (f"completed {item.completed:%d %b %Y}" if item.completed else f"forecast {item.forecast:%d %b %Y}")
        + f", {item.rag}"
        for item in items
    )
    parts = _open(width, height, chart_id, title, description)
    # Month ticks along the top.
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            parts.append(
                f'<line x1="{x(month)}" y1="{top - 8}" x2="{x(month)}" y2="{height - 30}" stroke="{GRID}" />'
            )
            parts.append(
                f'<text x="{x(month) + 3}" y="{top - 14}" fill="{INK}" font-size="12">{month:%b %y}</text>'
            )
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    parts.append(
        f'<line x1="{x(today)}" y1="{top - 8}" x2="{x(today)}" y2="{height - 30}" stroke="{INK}" '
        f'stroke-dasharray="4 3" /><text x="{x(today) + 3}" y="{height - 12}" fill="{INK}" font-size="12">Today</text>'
    )
    for index, item in enumerate(items):
        y = top + row * index + row / 2
        shown = item.completed or item.forecast
        rag = rag_named(item.rag)
        colour = rag.colour if rag else INK
        label = item.label if len(item.label) <= 36 else item.label[:35] + "…"
        parts.append(f'<text x="0" y="{y + 5}" fill="{INK}">{escape(label)}</text>')
        if shown != item.baseline:
            parts.append(
                f'<line x1="{x(item.baseline)}" y1="{y}" x2="{x(shown)}" y2="{y}" stroke="{colour}" stroke-width="3" />'
            )
        bx = x(item.baseline)
        parts.append(
            f'<polygon points="{bx},{y - 8} {bx + 8},{y} {bx},{y + 8} {bx - 8},{y}" fill="#ffffff" stroke="{INK}" '
            f'stroke-width="2" />'
        )
        parts.append(
            f'<circle cx="{x(shown)}" cy="{y}" r="7" fill="{colour}" stroke="{INK}" stroke-width="1.5" />'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - all user text above went through escape()


@dataclass(frozen=True)
class BarGroup:
    label: str
    bars: tuple[int, ...]  #: one value (pence) per series


def bar_chart_svg(
    groups: list[BarGroup],
    series: tuple[str, ...],
    *,
    chart_id: str,
    title: str,
    width: int = 900,
    height: int = 320,
) -> Markup:
    """Grouped bars of money per group (e.g. actual and profiled budget per quarter). The first
    series is solid, the second hatched, so they differ without colour."""
    if not groups:
        return Markup("")
    left, bottom, top, right = 90, 50, 30, 20
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high, gridlines = value_axis(v for g in groups for v in g.bars)
    scale = plot_h / (high - low)

    def y(value: int) -> float:
        return round(top + (high - value) * scale, 1)

    description = "; ".join(
        f"{g.label}: " + ", ".join(f"{name} {format_gbp(v)}" for name, v in zip(series, g.bars, strict=True))
        for g in groups
    )
    parts = _open(width, height, chart_id, title, description)
    parts.append(
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#505a5f" stroke-width="3"/></pattern></defs>'
    )
    for value in gridlines:
        parts.append(
            f'<line x1="{left}" y1="{y(value)}" x2="{width - right}" y2="{y(value)}" stroke="{GRID}" />'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y(value) + 4}" text-anchor="end" fill="{INK}" font-size="12">'
            f"{escape(short_gbp(value))}</text>"
        )
    group_w = plot_w / len(groups)
    bar_w = min(40, group_w * 0.8 / max(len(series), 1))
    fills = ["#1d70b8", f"url(#{chart_id}-hatch)", "#00703c", "#f47738"]
    for index, group in enumerate(groups):
        gx = left + group_w * index + (group_w - bar_w * len(group.bars)) / 2
        for number, value in enumerate(group.bars):
            top_y, base_y = y(max(value, 0)), y(min(value, 0))
            parts.append(
                f'<rect x="{round(gx + bar_w * number, 1)}" y="{top_y}" width="{round(bar_w - 2, 1)}" '
                f'height="{round(max(base_y - top_y, 0.5), 1)}" fill="{fills[number % len(fills)]}" stroke="{INK}" '
                f'stroke-width="1"><title>{escape(group.label)}, {escape(series[number])}: '
                f"{escape(format_gbp(value))}</title></rect>"
            )
        parts.append(
            f'<text x="{round(left + group_w * index + group_w / 2, 1)}" y="{height - bottom + 18}" '
            f'text-anchor="middle" fill="{INK}" font-size="12">{escape(group.label)}</text>'
        )
    for number, name in enumerate(series):
        lx = left + 170 * number
        parts.append(
            f'<rect x="{lx}" y="{height - 18}" width="14" height="14" fill="{fills[number % len(fills)]}" '
            f'stroke="{INK}" /><text x="{lx + 20}" y="{height - 6}" fill="{INK}" font-size="12">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - all user text above went through escape()


def value_axis(values: Iterable[int]) -> tuple[int, int, tuple[int, ...]]:
    """The span of a money axis in pence and its five gridline values: shared by the page's SVG
    charts and the committee PDF's chart.

    The axis always takes in zero, and its gridlines are a whole number of steps of £1, £2 or £5
    times a power of ten, so each has its own short label (never five gridlines all reading £0).
    """
    values = list(values) or [0]
    smallest, largest = min(min(values), 0), max(max(values), 0)
    steps = _nice_steps()
    step = next(steps)
    while step * 4 < largest - smallest:
        step = next(steps)
    while True:
        low = (smallest // step) * step  # floor, for refunds below zero too
        if low + 4 * step >= largest:
            return low, low + 4 * step, tuple(low + step * n for n in range(5))
        step = next(steps)


def _nice_steps():
    """£1, £2, £5, £10, £20, £50, … in pence."""
    power = 100
    while True:
        for factor in (1, 2, 5):
            yield factor * power
        power *= 10


def short_gbp(pence: int) -> str:
    """Axis labels: whole pounds, thousands as k and millions as m."""
    pounds = pence // 100 if pence >= 0 else -((-pence) // 100)
    sign = "-" if pounds < 0 else ""
    pounds = abs(pounds)
    if pounds >= 1_000_000:
        tenths = pounds // 100_000
        return f"{sign}£{tenths // 10}.{tenths % 10}m".replace(".0m", "m")
    if pounds >= 1_000:
        tenths = pounds // 100
        return f"{sign}£{tenths // 10}.{tenths % 10}k".replace(".0k", "k")
    return f"{sign}£{pounds}"
