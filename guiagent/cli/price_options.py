"""``--price-in`` / ``--price-out``: the model's price, for the cost figures of runs and suites.

USD per million tokens: prompt tokens (visual and text) at the input price,
generated tokens (thinking and answer) at the output price. The price is
recorded in run.json, so a report written later computes the same cost. The
environment can set it too (GUIAGENT_PRICE_IN / GUIAGENT_PRICE_OUT), e.g. once
per shell for a hosted model.
"""

from __future__ import annotations

import math
from typing import Annotated

import typer

from ..runlog import RunRecord
from ..tokens import usd

__all__ = ["PriceIn", "PriceOut", "tokens_line", "usd"]

def _finite(value: float | None) -> float | None:
    """Refuse ``inf`` and ``nan``: a price must be a number of dollars."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter("must be a finite number of USD per million tokens, e.g. 0.6")
    return value


PriceIn = Annotated[float | None, typer.Option(
    "--price-in", envvar="GUIAGENT_PRICE_IN", min=0, callback=_finite,
    help="USD per million prompt tokens (visual + text), for cost figures.")]
PriceOut = Annotated[float | None, typer.Option(
    "--price-out", envvar="GUIAGENT_PRICE_OUT", min=0, callback=_finite,
    help="USD per million generated tokens (thinking + answer), for cost figures.")]


def tokens_line(record: RunRecord) -> str:
    """``12,345 tokens (visual 2,392, text 8,001, thinking 1,800, answer 152), $0.0042``."""
    t = record.totals.tokens
    line = f"{record.totals.usage.total_tokens:,} tokens"
    if t.total:
        line += (f" (visual {t.visual:,}, text {t.text:,}, thinking {t.thinking:,}, "
                 f"answer {t.answer:,}{'; some estimated' if t.estimated else ''})")
    if record.totals.cost_usd is not None:
        line += f", {usd(record.totals.cost_usd)}"
    return line
