"""The grounding chain: find a described target on the current screen.

Grounders are tried cheapest and surest first: the page's DOM and
accessibility tree (browsers only), OCR of the screenshot (any screen), and
the model's grounding query (only when a model is configured). The first that
finds exactly one match wins; every miss is kept, so a failure can list what
each grounder saw instead of just saying "not found".
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, PrivateAttr

from ..drivers.base import Driver, Observation
from ..errors import TargetNotFoundError
from ..geometry import XY, ScreenFrame
from .target import Purpose, Target


class Box(BaseModel):
    """A rectangle in the model's 0-1000 space."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def center(self) -> XY:
        """The point to act on."""
        return XY(x=round((self.x1 + self.x2) / 2), y=round((self.y1 + self.y2) / 2))

    @classmethod
    def from_surface(cls, frame: ScreenFrame, x: float, y: float, w: float, h: float) -> Box:
        """A box in the driver's surface units (CSS px, screen points)."""
        a, b = frame.surface_to_model(x, y), frame.surface_to_model(x + w, y + h)
        return cls(x1=a.x, y1=a.y, x2=b.x, y2=b.y)

    @classmethod
    def from_screenshot(cls, frame: ScreenFrame, x1: float, y1: float, x2: float,
                        y2: float) -> Box:
        """A box in screenshot pixels."""
        a, b = frame.to_model(x1, y1), frame.to_model(x2, y2)
        return cls(x1=a.x, y1=a.y, x2=b.x, y2=b.y)

    def clamped(self) -> Box:
        """The part of the box on the screen."""
        def c(v: float) -> float:
            return min(1000.0, max(0.0, v))
        return Box(x1=c(self.x1), y1=c(self.y1), x2=c(self.x2), y2=c(self.y2))


class Grounding(BaseModel):
    """Where a grounder found the target; what the replay log records."""

    grounder: Literal["dom", "ocr", "model"]
    target: str
    box: Box
    confidence: float | None = None  # 1.0 for a unique DOM match; OCR similarity; None: model
    matched: str = ""                # the label/text/name that matched
    how: str = ""                    # the strategy, e.g. "label (exact)"
    element: dict[str, Any] | None = None  # DOM facts: tag, type, checked, value, options
    offscreen: Literal["above", "below"] | None = None  # DOM: outside the viewport
    _handle: Any = PrivateAttr(default=None)  # DOM: the Playwright locator or element handle

    @property
    def handle(self) -> Any:
        """The element found by the DOM grounder (None for OCR and model groundings)."""
        return self._handle

    @property
    def point(self) -> XY:
        """The model-space point to act on."""
        return self.box.center


class Miss(BaseModel):
    """A grounder that did not find the target, and what it saw instead."""

    grounder: str
    reason: str                      # "not found", "ambiguous", "unavailable", ...
    seen: list[str] = []


class Grounder(Protocol):
    """One way of finding targets."""

    name: str

    def locate(self, target: Target, purpose: Purpose, obs: Observation,
               driver: Driver) -> Grounding | Miss:
        """Find ``target`` on the screen ``obs`` shows."""


class GroundingChain:
    """Tries grounders in order; raises TargetNotFoundError listing every miss."""

    def __init__(self, grounders: list[Grounder]) -> None:
        self.grounders = grounders

    def locate(self, target: Target, purpose: Purpose, obs: Observation, driver: Driver,
               *, quick: bool = False) -> tuple[Grounding, list[Miss]]:
        """The first grounding found, with the misses before it; ``quick`` skips the model."""
        misses: list[Miss] = []
        for grounder in self.grounders:
            if quick and getattr(grounder, "costly", False):
                continue
            found = grounder.locate(target, purpose, obs, driver)
            if isinstance(found, Grounding):
                return found, misses
            misses.append(found)
            if found.reason.startswith("ambiguous"):
                break  # several real matches: another grounder picking one would be a guess
        error = TargetNotFoundError(not_found_message(target, misses))
        error.misses = misses  # type: ignore[attr-defined]
        raise error


def not_found_message(target: Target, misses: list[Miss]) -> str:
    """Say what was looked for, by whom, and what was on screen instead."""
    lines = [f"could not find {target.summary()} on the screen:"]
    for miss in misses:
        seen = "; ".join(miss.seen[:15]) + (" ..." if len(miss.seen) > 15 else "")
        lines.append(f"  {miss.grounder}: {miss.reason}" + (f" - saw {seen}" if seen else ""))
    if any(m.grounder == "model" and m.reason.startswith("unavailable") for m in misses):
        lines.append("  (pass --model-url to let the model look for it, or fix the target)")
    return "\n".join(lines)
