"""Coordinate conventions as data: what the numbers in a family's answer mean.

Families disagree on what ``[x, y]`` means (``../shared`` facts, docs/protocols.md):

* :class:`Normalised` ``scale=1000``: thousandths of the screenshot (GLM-4.1V, Qwen3-VL);
  ``scale=999``: GLM-4.5V's prompt says 0-999, so 999 is the far edge;
* :class:`SmartResizedPixels`: absolute pixels of the image after Qwen2.5-VL's
  ``smart_resize`` (UI-TARS-1.5, Qwen2.5-VL), with its factor and pixel bounds;
* :class:`ScreenshotPixels`: pixels of the screenshot as sent.

Every convention maps a raw answer point to guiagent's one internal space,
thousandths of the screenshot (:data:`guiagent.geometry.MODEL_SCALE`), which
:class:`~guiagent.geometry.ScreenFrame` then resolves to surface and device
pixels. ``from_normalised`` is the inverse, used by stand-in models in tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..actions import Action, Point
from ..geometry import MODEL_SCALE, XY, Size


@dataclass(frozen=True)
class Normalised:
    """``[x, y]`` in 0..scale of the screenshot's width and height."""

    scale: int = 1000
    kind: Literal["normalised"] = "normalised"

    def to_normalised(self, x: float, y: float, screenshot: Size) -> XY:
        """The point in thousandths of the screenshot."""
        # Multiply first: 999 * 1000 / 999 is exactly 1000 (the far edge stays on screen).
        return XY(x=x * MODEL_SCALE / self.scale, y=y * MODEL_SCALE / self.scale)

    def from_normalised(self, point: XY, screenshot: Size) -> XY:
        """The point as this family would write it (not rounded)."""
        return XY(x=point.x * self.scale / MODEL_SCALE, y=point.y * self.scale / MODEL_SCALE)

    def describe(self) -> str:
        """One line for docs and ``prompt show``."""
        return f"normalised 0-{self.scale} of the screenshot"


def smart_resize(height: int, width: int, factor: int = 28, min_pixels: int = 56 * 56,
                 max_pixels: int = 14 * 14 * 4 * 1280, max_ratio: float = 200) -> tuple[int, int]:
    """Qwen2.5-VL's image resize: (height, width) as multiples of ``factor`` within the bounds.

    Python's ``round`` (halves to even) on purpose: that is what the model's
    processor does, and other rounding clicks in the wrong place.
    """
    if max(height, width) / min(height, width) > max_ratio:
        raise ValueError(f"aspect ratio of {width}x{height} exceeds {max_ratio}")
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


@dataclass(frozen=True)
class SmartResizedPixels:
    """Absolute pixels of the image after ``smart_resize(factor, min_pixels, max_pixels)``."""

    factor: int = 28
    min_pixels: int = 100 * 28 * 28
    max_pixels: int = 16384 * 28 * 28
    kind: Literal["smart_resized_pixels"] = "smart_resized_pixels"

    def resized(self, screenshot: Size) -> Size:
        """The size of the image the model saw, for a screenshot of this size."""
        h, w = smart_resize(screenshot.height, screenshot.width, self.factor,
                            self.min_pixels, self.max_pixels)
        return Size(width=w, height=h)

    def to_normalised(self, x: float, y: float, screenshot: Size) -> XY:
        """The point in thousandths of the screenshot."""
        r = self.resized(screenshot)
        return XY(x=x * MODEL_SCALE / r.width, y=y * MODEL_SCALE / r.height)

    def from_normalised(self, point: XY, screenshot: Size) -> XY:
        """The point in pixels of the resized image (not rounded)."""
        r = self.resized(screenshot)
        return XY(x=point.x / MODEL_SCALE * r.width, y=point.y / MODEL_SCALE * r.height)

    def describe(self) -> str:
        """One line for docs and ``prompt show``."""
        return (f"pixels of the smart-resized image (factor {self.factor}, "
                f"{self.min_pixels}-{self.max_pixels} pixels)")


@dataclass(frozen=True)
class ScreenshotPixels:
    """Absolute pixels of the screenshot as sent."""

    kind: Literal["screenshot_pixels"] = "screenshot_pixels"

    def to_normalised(self, x: float, y: float, screenshot: Size) -> XY:
        """The point in thousandths of the screenshot."""
        return XY(x=x * MODEL_SCALE / screenshot.width, y=y * MODEL_SCALE / screenshot.height)

    def from_normalised(self, point: XY, screenshot: Size) -> XY:
        """The point in screenshot pixels (not rounded)."""
        return XY(x=point.x / MODEL_SCALE * screenshot.width,
                  y=point.y / MODEL_SCALE * screenshot.height)

    def describe(self) -> str:
        """One line for docs and ``prompt show``."""
        return "pixels of the screenshot as sent"


CoordinateConvention = Normalised | SmartResizedPixels | ScreenshotPixels

#: guiagent's internal space; a family in this convention needs no mapping.
THOUSANDTHS = Normalised(1000)


def normalise_action(action: Action, convention: CoordinateConvention,
                     screenshot: Size) -> tuple[Action, dict[str, XY]]:
    """The action with its points in thousandths of the screenshot, and the raw points by field.

    The raw points (as the model wrote them) go into the step log next to the
    normalised ones, so a wrong click can be traced to the convention.
    """
    raw: dict[str, XY] = {}
    update: dict[str, Point] = {}
    for name in type(action).model_fields:
        value = getattr(action, name)
        if isinstance(value, Point):
            raw[name] = XY(x=value.x, y=value.y)
            mapped = convention.to_normalised(value.x, value.y, screenshot)
            update[name] = Point(x=round(mapped.x, 3), y=round(mapped.y, 3))
    if not update or convention == THOUSANDTHS:
        return action, raw
    return action.model_copy(update=update), raw
