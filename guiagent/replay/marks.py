"""Where to draw a step's action on its screenshot, for the HTML report and the GIF.

Positions are pixels of the recorded screenshot, taken from
``StepRecord.executed[*].screenshot``: the point the driver really acted on,
not a re-computation. An action that was never executed (refused, failed) is
drawn at the model's point as an *intended* mark. Typing and key presses have
no point of their own; their label sits where the pointer last was, which is
usually the field that has the focus.
"""

from __future__ import annotations

from typing import Literal

from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel

from ..actions import Key, LeftDrag, Scroll, Type, action_points
from ..runlog import StepRecord

MarkKind = Literal["click", "double_click", "right_click", "middle_click", "hover", "drag",
                   "scroll", "type", "key"]
_KINDS: dict[str, MarkKind] = {
    "left_click": "click", "left_double_click": "double_click", "right_click": "right_click",
    "middle_click": "middle_click", "hover": "hover", "left_drag": "drag", "scroll": "scroll",
    "type": "type", "key": "key",
}
COLORS = {"click": "#e5183c", "double_click": "#e5183c", "right_click": "#8b1ce5",
          "middle_click": "#8b1ce5", "hover": "#0a84ff", "drag": "#0a84ff",
          "scroll": "#f08c00", "type": "#1b1b1f", "key": "#1b1b1f"}
LABEL_CHARS = 60


class Mark(BaseModel):
    """One thing to draw, in pixels of the step's screenshot."""

    kind: MarkKind
    x: float
    y: float
    x2: float | None = None
    y2: float | None = None
    label: str = ""
    intended: bool = False
    """True when the action was not executed: drawn at the model's point."""

    @property
    def color(self) -> str:
        """The mark's colour (CSS and Pillow both read it)."""
        return COLORS[self.kind]


def _short(text: str) -> str:
    text = text.replace("\n", "⏎")
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def step_marks(step: StepRecord, size: tuple[int, int],
               last_point: tuple[float, float] | None = None) -> list[Mark]:
    """The marks of one step; ``last_point`` is where the pointer was before it."""
    action = step.action
    if action is None or action.action not in _KINDS:
        return []
    kind = _KINDS[action.action]
    width, height = size
    if isinstance(action, Type | Key):
        x, y = last_point if last_point else (12.0, 12.0)
        label = f"type “{_short(action.content)}”" if isinstance(action, Type) else \
            f"key {action.keys}"
        return [Mark(kind=kind, x=x, y=y, label=label, intended=step.result in ("", "refused", "not taken"))]
    points = [(p.screenshot.x, p.screenshot.y) for p in step.executed]
    intended = not points
    if intended:  # not executed: place the model's own point, clamped into the image
        points = [(min(max(p.x, 0), 1000) / 1000 * (width - 1),
                   min(max(p.y, 0), 1000) / 1000 * (height - 1)) for p in action_points(action)]
    if not points:
        return []
    (x, y), label = points[0], getattr(action, "element_info", "") or ""
    if isinstance(action, LeftDrag) and len(points) > 1:
        return [Mark(kind=kind, x=x, y=y, x2=points[1][0], y2=points[1][1], label=_short(label),
                     intended=intended)]
    if isinstance(action, Scroll):
        length = min(height * 0.04 * action.step, height * 0.3)
        sign = 1 if action.direction == "down" else -1
        return [Mark(kind=kind, x=x, y=y, x2=x, y2=min(max(y + sign * length, 0), height - 1),
                     label=f"scroll {action.direction} {action.step}", intended=intended)]
    return [Mark(kind=kind, x=x, y=y, label=_short(label), intended=intended)]


def pointer_after(step: StepRecord, marks: list[Mark],
                  last_point: tuple[float, float] | None) -> tuple[float, float] | None:
    """Where the pointer is after the step (drags end at their end point)."""
    for mark in marks:
        if mark.kind in ("type", "key"):
            continue
        if mark.kind == "drag" and mark.x2 is not None and mark.y2 is not None:
            return mark.x2, mark.y2
        return mark.x, mark.y
    return last_point


def label_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at ``size`` pixels (no system fonts needed)."""
    return ImageFont.load_default(size=size)


def draw_marks(image: Image.Image, marks: list[Mark]) -> Image.Image:
    """A copy of the screenshot with the marks drawn on it (Pillow; used for the GIF)."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    unit = max(2, round(out.width / 320))
    font = label_font(max(12, unit * 5))
    for m in marks:
        color = m.color
        if m.kind in ("type", "key"):
            _label(draw, m.x + 4 * unit, m.y + 4 * unit, m.label, font, color, unit)
            continue
        if m.x2 is not None and m.y2 is not None:
            draw.line([(m.x, m.y), (m.x2, m.y2)], fill=color, width=unit * 2)
            _arrowhead(draw, (m.x, m.y), (m.x2, m.y2), color, unit * 6)
        r = unit * 5
        draw.ellipse([m.x - r, m.y - r, m.x + r, m.y + r], outline=color, width=unit)
        draw.ellipse([m.x - unit, m.y - unit, m.x + unit, m.y + unit], fill=color)
        if m.label:
            _label(draw, m.x + r + unit, m.y - r, m.label, font, color, unit)
    return out


def _arrowhead(draw: ImageDraw.ImageDraw, start: tuple[float, float], end: tuple[float, float],
               color: str, size: float) -> None:
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / length, dy / length
    left = (end[0] - size * ux + size * 0.5 * uy, end[1] - size * uy - size * 0.5 * ux)
    right = (end[0] - size * ux - size * 0.5 * uy, end[1] - size * uy + size * 0.5 * ux)
    draw.polygon([end, left, right], fill=color)


def _label(draw: ImageDraw.ImageDraw, x: float, y: float, text: str,
           font: ImageFont.FreeTypeFont | ImageFont.ImageFont, color: str, unit: int) -> None:
    left, top, right, bottom = draw.textbbox((x, y), text, font=font)
    pad = unit * 2
    draw.rectangle([left - pad, top - pad, right + pad, bottom + pad], fill=color)
    draw.text((x, y), text, font=font, fill="white")
