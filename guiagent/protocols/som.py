"""Set-of-marks: number a page's interactive elements and draw the numbers on its screenshot.

GLM's web protocol shows the model a screenshot with a numbered box on every
interactive element and a list ``[N]: <tag> "text";`` of them; the model then
answers ``Click [N]``. This module

* finds the elements (``som_marks.js``) in an isolated JavaScript world, like
  :mod:`guiagent.guard_dom`: the page's scripts can neither see nor fake the
  marking. Element names are page content, so they are data: whitespace is
  collapsed (a name cannot start a new list line), quotes are escaped, length
  is capped, and nothing of the page is ever inserted as markup anywhere;
* draws the marks on the screenshot (never in the page), scaled to it: a 2 px
  dashed outline and the number at the box's top-left corner, as WebVoyager's
  marker does;
* knows each element's point in the model's 0-1000 space (the centre of its
  first visible box), which is where ``Click [N]`` is executed with real events.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ..actions import Point
from ..errors import DriverError
from ..geometry import ScreenFrame

MARKS_JS = resources.files("guiagent.protocols").joinpath("som_marks.js").read_text(
    "utf-8").split("\n", 1)[1].strip()
WORLD = "guiagent-marks"
MAX_NAME = 200
MAX_ELEMENTS = 400
#: Tags the element list names (WebVoyager shows the tag only for these).
TAGGED = ("button", "input", "textarea")


@dataclass(frozen=True)
class Box:
    """A rectangle in CSS pixels of the viewport."""

    x: float
    y: float
    w: float
    h: float


@dataclass
class Element:
    """One numbered element: what the list says of it and where it is."""

    index: int
    tag: str
    name: str = ""
    aria: str = ""
    kind: str = ""  # the input's type attribute
    boxes: list[Box] = field(default_factory=list)

    @property
    def centre(self) -> tuple[float, float]:
        """The centre of the first visible box, in CSS pixels."""
        b = self.boxes[0]
        return b.x + b.w / 2, b.y + b.h / 2

    def list_line(self) -> str | None:
        """``[N]: <tag> "name";`` (None when the element has nothing to show)."""
        name, aria = _quoted(self.name), _quoted(self.aria)
        tag = f"<{self.tag}> " if self.tag in TAGGED else ""
        if not self.name:
            if self.tag in ("input", "textarea", "button", "select"):
                return f"[{self.index}]: <{self.tag}> \"{aria}\";"
            return None
        if self.aria and self.aria != self.name:
            return f"[{self.index}]: {tag}\"{name}\", \"{aria}\";"
        return f"[{self.index}]: {tag}\"{name}\";"


@dataclass
class Marks:
    """The numbered elements of one observation."""

    elements: list[Element]

    def listing(self) -> str:
        """The element list as the prompt shows it: lines joined by tabs."""
        return "\t".join(line for e in self.elements if (line := e.list_line()))

    def element(self, index: int) -> Element:
        """Element ``index``; ModelResponseError-friendly ValueError when there is none."""
        if 0 <= index < len(self.elements):
            return self.elements[index]
        top = len(self.elements) - 1
        raise ValueError(f"there is no element [{index}] on this screenshot "
                         f"(the labels go from 0 to {top})" if top >= 0 else
                         f"there is no element [{index}]: this screenshot has no labelled elements")

    def at(self, x: float, y: float) -> Element | None:
        """The smallest element whose box holds the CSS pixel (x, y); None when none does."""
        inside = [(b.w * b.h, e.index) for e in self.elements for b in e.boxes
                  if b.x <= x < b.x + b.w and b.y <= y < b.y + b.h]
        return self.elements[min(inside)[1]] if inside else None

    def point(self, index: int, frame: ScreenFrame) -> Point:
        """Element ``index``'s centre in the model's 0-1000 space of ``frame``."""
        x, y = self.element(index).centre
        return Point(x=x / frame.surface.width * 1000, y=y / frame.surface.height * 1000)


def _quoted(text: str) -> str:
    text = " ".join(text.split())[:MAX_NAME]
    return text.replace("\\", "\\\\").replace('"', '\\"')


def read_marks(page: Any) -> Marks:
    """Number the interactive elements of ``page`` (a Playwright page)."""
    raw = _evaluate_isolated(page, f"({MARKS_JS})()")
    elements: list[Element] = []
    for item in (raw if isinstance(raw, list) else [])[:MAX_ELEMENTS]:
        if not isinstance(item, dict):
            continue
        boxes = [Box(float(r["x"]), float(r["y"]), float(r["w"]), float(r["h"]))
                 for r in item.get("rects") or [] if isinstance(r, dict)]
        if not boxes:
            continue
        name = str(item.get("text") or item.get("label") or item.get("placeholder") or "")
        aria = str(item.get("aria") or "")
        if not name and not aria:
            aria = str(item.get("label") or item.get("placeholder") or "")
        elements.append(Element(index=len(elements), tag=str(item.get("tag") or "")[:20],
                                name=name[:MAX_NAME * 2], aria=aria[:MAX_NAME * 2],
                                kind=str(item.get("type") or "")[:20], boxes=boxes))
    return Marks(elements)


@dataclass
class _World:
    session: Any
    frame_id: str
    context_id: int | None = None


_WORLDS: weakref.WeakKeyDictionary[Any, _World] = weakref.WeakKeyDictionary()


def _evaluate_isolated(page: Any, expression: str) -> Any:
    """Evaluate ``expression`` in an isolated world of the page's main frame.

    The CDP session and world are kept per page and made again when the
    document (and with it the world) is gone.
    """
    last: Exception | None = None
    for attempt in range(3):
        world = _WORLDS.get(page) if attempt < 2 else None
        if world is not None and attempt == 1:
            world.context_id = None  # a new document: same session, new world
        try:
            if world is None:
                session = page.context.new_cdp_session(page)
                tree = session.send("Page.getFrameTree")
                world = _WORLDS[page] = _World(session, tree["frameTree"]["frame"]["id"])
            if world.context_id is None:
                made = world.session.send("Page.createIsolatedWorld", {
                    "frameId": world.frame_id, "worldName": WORLD})
                world.context_id = made["executionContextId"]
            result = world.session.send("Runtime.evaluate", {
                "expression": expression, "contextId": world.context_id,
                "returnByValue": True})
        except Exception as exc:  # noqa: BLE001 - Playwright's Error: the world or session is gone
            if attempt:  # a new world in the same session did not help either
                _WORLDS.pop(page, None)
            last = exc
            continue
        if "exceptionDetails" in result:
            raise DriverError(f"cannot number the page's elements: "
                              f"{json.dumps(result['exceptionDetails'])[:300]}")
        return result.get("result", {}).get("value")
    raise DriverError(f"cannot number the page's elements: {last}")


def draw_marks(image: Image.Image, marks: Marks, frame: ScreenFrame) -> Image.Image:
    """A copy of ``image`` with every element's dashed box and number drawn on it."""
    out = image.convert("RGB")
    scale_x = image.width / frame.surface.width
    scale_y = image.height / frame.surface.height
    scale = min(scale_x, scale_y)
    draw = ImageDraw.Draw(out)
    font = ImageFont.load_default(size=max(8, round(12 * scale)))
    line = max(1, round(2 * scale))
    for element in marks.elements:
        for box in element.boxes[:1]:
            x0, y0 = box.x * scale_x, box.y * scale_y
            x1, y1 = (box.x + box.w) * scale_x - 1, (box.y + box.h) * scale_y - 1
            _dashed_rect(draw, x0, y0, x1, y1, line, dash=max(2, round(4 * scale)))
            label = str(element.index)
            left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
            tw, th = right - left + 4 * scale, bottom - top + 4 * scale
            ty = y0 - 19 * scale if y0 - 19 * scale >= 0 else y0
            tx = min(max(0.0, x0), image.width - tw)
            draw.rectangle((tx, ty, tx + tw, ty + th), fill=(0, 0, 0))
            draw.text((tx + 2 * scale - left, ty + 2 * scale - top), label, font=font,
                      fill=(255, 255, 255))
    return out


def _dashed_rect(draw: ImageDraw.ImageDraw, x0: float, y0: float, x1: float, y1: float,
                 width: int, dash: int) -> None:
    for a, b, horizontal, fixed in ((x0, x1, True, y0), (x0, x1, True, y1),
                                    (y0, y1, False, x0), (y0, y1, False, x1)):
        pos = a
        while pos < b:
            end = min(pos + dash, b)
            if horizontal:
                draw.line((pos, fixed, end, fixed), fill=(0, 0, 0), width=width)
            else:
                draw.line((fixed, pos, fixed, end), fill=(0, 0, 0), width=width)
            pos += 2 * dash
