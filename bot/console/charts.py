"""Charts as server-rendered SVG: the geometry here, the markup in ``templates/_charts.html``.

No chart library and no script: the page works under the console's strict CSP, prints, and
reads the same with JavaScript off. Every mark carries a ``<title>`` (its tooltip and what a
screen reader says), and every chart has the table of its numbers as CSV beside it.
Colours are CSS classes (``series-0`` …) so the stylesheet decides them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

WIDTH = 560  # the viewBox: about its column's width on a laptop, so text stays 12 px
PLOT_LEFT = 44
PLOT_RIGHT = 8
PLOT_TOP = 10
PLOT_BOTTOM = 26
SERIES = 6  # series-0 … series-5 in console.css


def nice_ticks(top: float, most: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (1, 2 or 5 times a power of ten apart)."""
    if top <= 0:
        return [0, 1]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if step < 1 and float(top).is_integer() and top >= 1:
        step = 1  # whole things (conversations, messages) get whole ticks
    count = math.ceil(top / step)
    return [round(n * step, 10) for n in range(count + 1)]


def day_label(day: date) -> str:
    return f"{day.day} {day.strftime('%b')}"


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass(frozen=True)
class Tick:
    at: float  # y of a horizontal gridline, or x of a label
    label: str


@dataclass
class Chart:
    """What the template draws: a plot area, gridlines with labels, and marks."""

    height: int
    marks: list[Mark] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    lines: list[tuple[int, str, str]] = field(default_factory=list)  # series, name, "x,y x,y"
    points: list[Mark] = field(default_factory=list)
    legend: list[tuple[int, str]] = field(default_factory=list)
    width: int = WIDTH
    left: int = PLOT_LEFT
    bottom: float = 0
    empty: bool = False

    @property
    def right(self) -> int:
        return self.width - PLOT_RIGHT


def _x_ticks(days: Sequence[date], x_of: dict[date, float]) -> list[Tick]:
    every = max(1, math.ceil(len(days) / 10))
    # Label from the last day backwards, so "yesterday" always has its label.
    shown = days[::-1][::every][::-1]
    return [Tick(x_of[day], day_label(day)) for day in shown]


def _y_scale(top: float, height: int, percent: bool = False) -> tuple[list[Tick], float, float]:
    ticks = nice_ticks(top)
    plot = height - PLOT_TOP - PLOT_BOTTOM
    scale = plot / ticks[-1]
    bottom = PLOT_TOP + plot
    fmt = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:g}")
    return [Tick(bottom - v * scale, fmt(v)) for v in ticks], scale, bottom


def stacked_days(days: Sequence[date], series: Sequence[str],
                 values: dict[tuple[date, str], int], unit: str, height: int = 220) -> Chart:
    """One bar a day, stacked by series (channels); ``values[(day, name)]``."""
    totals = [sum(values.get((day, name), 0) for name in series) for day in days]
    ticks, scale, bottom = _y_scale(max(totals, default=0), height)
    chart = Chart(height, y_ticks=ticks, bottom=bottom, empty=not any(totals))
    chart.legend = [(n % SERIES, name) for n, name in enumerate(series)]
    slot = (WIDTH - PLOT_LEFT - PLOT_RIGHT) / max(len(days), 1)
    bar = max(1.0, min(slot * 0.72, 36.0))
    x_of = {day: PLOT_LEFT + i * slot + (slot - bar) / 2 for i, day in enumerate(days)}
    for day, total in zip(days, totals):
        y = bottom
        for n, name in enumerate(series):
            value = values.get((day, name), 0)
            if not value:
                continue
            h = value * scale
            y -= h
            chart.marks.append(Mark(
                x_of[day], y, bar, h, n % SERIES,
                f"{day_label(day)} · {name}: {value} {unit} (of {total})",
            ))
    chart.x_ticks = _x_ticks(days, {day: x + bar / 2 for day, x in x_of.items()})
    return chart


def rate_lines(days: Sequence[date], series: Sequence[tuple[str, Sequence[tuple[int, int]]]],
               height: int = 200) -> Chart:
    """Percentages per day, one line per series of (part, whole) a day; no whole, no point
    (a gap in the line)."""
    rates = [[(p / w if w else None) for p, w in counts] for _, counts in series]
    top = max((r for line in rates for r in line if r is not None), default=0.0)
    ticks, scale, bottom = _y_scale(min(1.0, max(top, 0.1)), height, percent=True)
    chart = Chart(height, y_ticks=ticks, bottom=bottom,
                  empty=all(r is None for line in rates for r in line))
    chart.legend = [(n % SERIES, name) for n, (name, _) in enumerate(series)]
    slot = (WIDTH - PLOT_LEFT - PLOT_RIGHT) / max(len(days), 1)
    x_of = {day: PLOT_LEFT + (i + 0.5) * slot for i, day in enumerate(days)}
    for n, ((name, counts), line) in enumerate(zip(series, rates)):
        segment: list[str] = []
        for day, (part, whole), rate in zip(days, counts, line):
            if rate is None:
                if segment:
                    chart.lines.append((n % SERIES, name, " ".join(segment)))
                segment = []
                continue
            x, y = x_of[day], bottom - rate * scale
            segment.append(f"{x:.1f},{y:.1f}")
            chart.points.append(Mark(
                x, y, 0, 0, n % SERIES, f"{day_label(day)} · {name}: {rate:.0%} ({part} of {whole})",
            ))
        if segment:
            chart.lines.append((n % SERIES, name, " ".join(segment)))
    chart.x_ticks = _x_ticks(days, x_of)
    return chart


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float  # 0..1 of the longest
    note: str  # shown after the bar, e.g. "41%"
    series: int = 0
    title: str = ""


def bars(rows: Sequence[tuple[str, int]], whole: int | None = None) -> list[Bar]:
    """Horizontal bars for ``(label, value)``; ``whole`` turns the note into a share of it."""
    longest = max((value for _, value in rows), default=0)
    found = []
    for label, value in rows:
        share = f"{value / whole:.0%}" if whole else ""
        found.append(Bar(label, value, value / longest if longest else 0.0, share,
                         title=f"{label}: {value}" + (f" ({share})" if share else "")))
    return found


def funnel_bars(started: int, stages: Sequence[tuple[str, int | None]]) -> list[Bar]:
    """A form's stages as bars against the number that started it."""
    found = []
    for n, (name, value) in enumerate(stages):
        if value is None:
            continue
        share = f"{value / started:.0%}" if started else ""
        found.append(Bar(name, value, value / started if started else 0.0, share, series=n,
                         title=f"{name}: {value} of {started} ({share})"))
    return found
