"""Bar charts as plain geometry for an SVG template (R11.3): no script, no inline style, so the
Content-Security-Policy stays strict; colours come from the stylesheet's `series-N` classes.

Pure: no Django. Values are numbers (int, float or Decimal); negative values count as zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 640
HEIGHT = 260
LEFT = 56  # room for the axis labels
BOTTOM = 40
TOP = 12
TICKS = 4

Number = int | float | Decimal


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    label: str
    series_name: str
    value: Number


@dataclass(frozen=True)
class Tick:
    y: float
    value: Number


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass
class BarChart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[int, str]] = field(default_factory=list)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten at or above `value` (a readable axis top)."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def bar_chart(labels: list[str], series: list[tuple[str, list[Number]]], *, stacked: bool = True) -> BarChart:
    """Bars for each label, the series stacked on each other or side by side."""
    chart = BarChart(legend=[(i, name) for i, (name, _values) in enumerate(series)])
    if not labels:
        return chart
    values = [[max(float(v or 0), 0.0) for v in vals] for _name, vals in series]
    if stacked:
        top = max(sum(col) for col in zip(*values, strict=True)) if values else 0.0
    else:
        top = max((v for vals in values for v in vals), default=0.0)
    top = _nice_ceiling(top)
    plot_width = chart.width - chart.left - 8
    plot_height = chart.baseline - TOP
    slot = plot_width / len(labels)
    bar_width = slot * 0.7 if stacked else slot * 0.7 / max(len(series), 1)
    for i, label in enumerate(labels):
        x0 = chart.left + i * slot + slot * 0.15
        chart.labels.append(Label(x=round(chart.left + (i + 0.5) * slot, 2), text=label))
        offset = 0.0
        for s, (name, vals) in enumerate(series):
            height = values[s][i] / top * plot_height
            x = x0 if stacked else x0 + s * bar_width
            y = chart.baseline - offset - height
            chart.bars.append(
                Bar(round(x, 2), round(y, 2), round(bar_width, 2), round(height, 2), s, label, name, vals[i] or 0)
            )
            if stacked:
                offset += height
    for k in range(TICKS + 1):
        value = top * k / TICKS
        chart.ticks.append(
            Tick(round(chart.baseline - plot_height * k / TICKS, 2), int(value) if value == int(value) else value)
        )
    return chart
