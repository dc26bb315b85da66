"""The report's cost section: tokens by kind and model time per step, as an inline SVG chart.

The chart is drawn here, on the server side, as plain geometry (numbers) that
the report template turns into ``<svg>`` elements: the page stays one
self-contained file that works offline (no charting library, no CDN, no
script), and every label goes through the template's autoescaping like the
rest of the log's text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..runlog import RunRecord, StepRecord
from ..tokens import KINDS, Price, TokenSplit, speed

#: Fill colours of the token kinds and of the two parts of a step's model time.
COLORS = {"visual": "#7c4dff", "text": "#26a69a", "thinking": "#ffa000", "answer": "#1e88e5",
          "first token": "#ef5350", "generation": "#66bb6a", "model (not streamed)": "#9e9e9e"}
WIDTH, HEIGHT = 600, 190
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 10, 24


@dataclass
class StepCost:
    """One step's row of the cost table."""

    index: int
    tokens: TokenSplit | None
    cost_usd: float | None
    model_seconds: float
    first_token_seconds: float | None
    tokens_per_second: float | None


@dataclass
class Segment:
    """One coloured piece of a stacked bar (SVG user units)."""

    kind: str
    value: float
    x: float
    y: float
    width: float
    height: float
    color: str


@dataclass
class Chart:
    """One bar chart: stacked bars per step, a scale, a legend."""

    title: str
    unit: str
    top_value: float
    bars: list[tuple[int, float, list[Segment]]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: int = HEIGHT - BOTTOM
    top: int = TOP

    @property
    def ticks(self) -> list[tuple[float, str]]:
        """(y, label) of the scale: 0, half and the top value."""
        span = self.bottom - self.top
        return [(self.bottom - span * f, _number(self.top_value * f, self.unit)) for f in (0, .5, 1)]


@dataclass
class CostView:
    """Everything the report shows about cost: per-step rows, totals, the two charts."""

    steps: list[StepCost]
    totals: TokenSplit
    price: Price | None
    cost_usd: float | None
    streamed: bool
    tokens_chart: Chart | None
    time_chart: Chart | None

    @property
    def estimated(self) -> list[str]:
        """Kinds that are estimates somewhere in the run."""
        return list(self.totals.estimated)


def step_cost(step: StepRecord, price: Price | None) -> StepCost:
    """The cost row of one step (tokens absent in logs older than the split)."""
    ttft, rate = speed(step.attempts)
    model_seconds = sum(a.seconds for a in step.attempts) or step.timings.get("model", 0.0)
    cost = price.cost(step.tokens) if price is not None and step.tokens is not None else None
    return StepCost(index=step.index, tokens=step.tokens, cost_usd=cost, model_seconds=model_seconds,
                    first_token_seconds=ttft, tokens_per_second=rate)


def cost_view(record: RunRecord, steps: list[StepRecord]) -> CostView:
    """The cost section of a run's report."""
    rows = [step_cost(step, record.price) for step in steps]
    totals = record.totals.tokens
    if not totals.total:  # a log written while running: sum what the steps say
        totals = sum((r.tokens for r in rows if r.tokens is not None), TokenSplit())
    cost = record.price.cost(totals) if record.price is not None else None
    streamed = any(r.first_token_seconds is not None for r in rows)
    return CostView(steps=rows, totals=totals, price=record.price, cost_usd=cost, streamed=streamed,
                    tokens_chart=_tokens_chart(rows), time_chart=_time_chart(rows))


def _tokens_chart(rows: list[StepCost]) -> Chart | None:
    values: list[tuple[int, list[tuple[str, float]]]] = [
        (r.index, [(k, float(getattr(r.tokens, k)) if r.tokens else 0.0) for k in KINDS]) for r in rows]
    return _stacked("Tokens per step", "tokens", values, list(KINDS))


def _time_chart(rows: list[StepCost]) -> Chart | None:
    values = []
    for r in rows:
        if r.first_token_seconds is not None:
            first = min(r.first_token_seconds, r.model_seconds)
            parts = [("first token", first), ("generation", r.model_seconds - first)]
        else:
            parts = [("model (not streamed)", r.model_seconds)]
        values.append((r.index, parts))
    kinds = [k for k in ("first token", "generation", "model (not streamed)")
             if any(k == kind and v > 0 for _, ps in values for kind, v in ps)]
    return _stacked("Model time per step", "s", values, kinds)


def _stacked(title: str, unit: str, values: list[tuple[int, list[tuple[str, float]]]],
             kinds: list[str]) -> Chart | None:
    """Stacked bars, one per step, scaled to the tallest (values a log cannot mean, such as
    negative, infinite or NaN seconds in someone else's run folder, count as nothing)."""
    values = [(index, [(k, v if math.isfinite(v) and v > 0 else 0.0) for k, v in parts])
              for index, parts in values]
    tallest = max((sum(v for _, v in parts) for _, parts in values), default=0.0)
    if tallest <= 0:
        return None
    chart = Chart(title=title, unit=unit, top_value=_nice(tallest),
                  legend=[(k, COLORS[k]) for k in kinds])
    span = chart.bottom - chart.top
    slot = (chart.width - chart.left - RIGHT) / len(values)
    bar = max(1.0, slot * 0.72)
    for n, (index, parts) in enumerate(values):
        x = chart.left + n * slot + (slot - bar) / 2
        y = float(chart.bottom)
        segments = []
        for kind, value in parts:
            if value <= 0:
                continue
            h = value / chart.top_value * span
            y -= h
            segments.append(Segment(kind=kind, value=value, x=round(x, 2), y=round(y, 2),
                                    width=round(bar, 2), height=round(h, 2), color=COLORS[kind]))
        chart.bars.append((index, round(x + bar / 2, 2), segments))
    return chart


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten at or above ``value``."""
    power = 10.0 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    while power > value:
        power /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _number(value: float, unit: str) -> str:
    """A scale label: ``0.25 s``, ``1.25k``, ``500`` (scale values are 1, 2, 2.5 or 5 times 10^k)."""
    value = round(value, 6)
    if unit == "s":
        return f"{value:g} s"
    return f"{round(value / 1000, 6):g}k" if value >= 1000 else f"{value:g}"
