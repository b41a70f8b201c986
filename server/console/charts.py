"""Charts drawn on the server as SVG (no script, no CDN): a line through samples over time, and bars per
period. Each is a fixed viewBox the page scales to its width, with a sentence that says what it shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 48, 28, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Chart:
    """What a template draws: the line's points or the bars, the axis labels, and a summary for screen readers."""

    summary: str
    points: str = ""
    dots: list[tuple[float, float]] = field(default_factory=list)  # each sample, when few enough to see
    bars: list[Bar] = field(default_factory=list)
    y_max: str = "0"
    x_first: str = ""
    x_last: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: int = HEIGHT - BOTTOM
    top: int = TOP


def _scale(samples: Sequence[tuple[datetime, float]]) -> tuple[float, float, float]:
    start = samples[0][0].timestamp()
    span = max(1.0, samples[-1][0].timestamp() - start)
    peak = max(1.0, max(v for _, v in samples))
    return start, span, peak


def _clock(at: datetime) -> str:
    return at.strftime("%H:%M UTC")


def line_chart(samples: Sequence[tuple[datetime, int]], what: str) -> Chart:
    """A line through (time, value) samples, from zero up to their peak."""
    if not samples:
        return Chart(summary=f"No {what} recorded.")
    values = [(at, float(v)) for at, v in samples]
    start, span, peak = _scale(values)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    xy = [(round(LEFT + (at.timestamp() - start) / span * plot_w, 1), round(HEIGHT - BOTTOM - v / peak * plot_h, 1))
          for at, v in values]
    points = " ".join(f"{x},{y}" for x, y in xy)
    return Chart(summary=f"{what.capitalize()} from {_clock(samples[0][0])} to {_clock(samples[-1][0])}: "
                         f"{len(samples)} samples, at most {int(peak)}.",
                 points=points, dots=xy if len(xy) <= 120 else [], y_max=f"{int(peak)}",
                 x_first=_clock(samples[0][0]), x_last=_clock(samples[-1][0]))


def bar_chart(samples: Sequence[tuple[datetime, Decimal]], what: str) -> Chart:
    """A bar per (period, amount), in time order, from zero up to the largest."""
    if not samples:
        return Chart(summary=f"No {what} yet.")
    values = [(at, float(v)) for at, v in samples]
    peak = max(1.0, max(v for _, v in values))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(values)
    bars = []
    for i, (at, v) in enumerate(values):
        h = v / peak * plot_h
        bars.append(Bar(x=LEFT + i * slot + slot * 0.15, y=HEIGHT - BOTTOM - h, width=slot * 0.7, height=h,
                        title=f"{_clock(at)}: ₹{v:,.2f}"))
    total = sum(v for _, v in values)
    return Chart(summary=f"{what.capitalize()}: ₹{total:,.2f} over {len(values)} minute(s), at most ₹{peak:,.2f} "
                         "in one.",
                 bars=bars, y_max=f"₹{peak:,.0f}", x_first=_clock(samples[0][0]), x_last=_clock(samples[-1][0]))
