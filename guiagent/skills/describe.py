"""Say what was clicked in a recorded run, as a skill target a person would write.

For a browser run the page is loaded afresh and asked what lies at the
executed point (``document.elementFromPoint``): a field's label or
placeholder, a button's text. For a desktop run, or when the page has nothing
useful there, the recorded screenshot is read with OCR around the point.
Nothing is submitted: the fresh page is only looked at, except that a
dropdown is opened (a click inside the page, no request) to read an option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from ..geometry import Size
from ..runlog import StepRecord
from .dom_js import DESCRIBE_AT
from .ground_dom import find_elements
from .ocr import PASSES, read_box, read_lines
from .target import Purpose, Target

ROW_PX = 250    # how far along a row a phrase may sit from the click
ABOVE_PX = 80   # how far above the click a field's label may sit (half a text area)


def target_from_dom(info: dict[str, Any]) -> dict[str, Any] | None:
    """The skill target for what ``DESCRIBE_AT`` found (None if nothing nameable)."""
    control = info.get("control")
    if control in ("input", "select", "textarea") and info.get("controlType") not in (
            "submit", "button", "reset"):
        if info.get("label"):
            return {"label": info["label"]}
        if info.get("placeholder"):
            return {"placeholder": info["placeholder"]}
        return None
    if info.get("text"):
        is_button = info["tag"] == "button" or info.get("type") in ("submit", "button") or \
            info.get("role") == "button"
        return {"text": info["text"], **({"role": "button"} if is_button else {})}
    if info.get("label"):
        return {"label": info["label"]}
    return None


class DomDescriber:
    """Reads the element under recorded points from a fresh page load."""

    def __init__(self, viewport: str | Size, url: str | None = None) -> None:
        from ..drivers.playwright import PlaywrightDriver

        self.url = url
        self.driver = PlaywrightDriver(None, viewport=viewport)
        self.driver.start()

    def close(self) -> None:
        """Close the browser."""
        self.driver.close()

    def _load(self, step: StepRecord) -> Any:
        page = self.driver.page
        url = self.url or step.url
        if url and page.url != url:
            page.goto(url, wait_until="load")
        return page

    def describe(self, step: StepRecord) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(target, element facts) for the step's executed point."""
        page = self._load(step)
        p = step.executed[0].surface
        info = page.evaluate(DESCRIBE_AT, [p.x, p.y]) or {}
        target = target_from_dom(info)
        if target is not None and not self._points_back(page, target, p.x, p.y, info):
            target = None
        return target, info

    def option_text(self, select_step: StepRecord, option_step: StepRecord) -> str | None:
        """Open the dropdown of ``select_step`` and read the option under ``option_step``."""
        page = self._load(select_step)
        a, b = select_step.executed[0].surface, option_step.executed[0].surface
        page.mouse.click(a.x, a.y)
        info = page.evaluate(DESCRIBE_AT, [b.x, b.y]) or {}
        page.keyboard.press("Escape")
        return info.get("text") if info.get("role") == "option" else None

    @staticmethod
    def _points_back(page: Any, target: dict[str, Any], x: float, y: float,
                     info: dict[str, Any]) -> bool:
        """True if grounding the target on this page finds one element at the point."""
        purpose: Purpose = "field" if "label" in target or "placeholder" in target else "click"
        _, found = find_elements(page, Target(**target), purpose)
        if len(found) != 1:
            return False
        box = found[0].bounding_box() or {}
        margin = 4
        return (box.get("x", 0) - margin <= x <= box.get("x", 0) + box.get("width", 0) + margin
                and box.get("y", 0) - margin <= y <= box.get("y", 0) + box.get("height", 0)
                + margin) or info.get("tag") == "label"


def _tier(box: tuple[float, float, float, float], x: float, y: float
          ) -> tuple[int, float] | None:
    """How well a phrase names the thing clicked at (x, y), lower is better: the phrase
    under the point (0), one on the same row (1: list items, radio labels), a label just
    above (3; 2 is reserved for reading the box under the point)."""
    x1, y1, x2, y2 = box
    dx = max(x1 - x, 0, x - x2)
    if y1 - 4 <= y <= y2 + 4 and dx <= ROW_PX:
        return (0 if dx == 0 else 1), dx
    if y2 <= y and y - y2 <= ABOVE_PX and x1 <= x + 20 and x2 >= x - 2 * ROW_PX:
        return 3, (y - y2) + 0.1 * dx
    return None


def _clean(text: str) -> str:
    """Drop OCR debris (``|``, ``©``, ``{_]``) around the words."""
    words = [w for w in text.split() if sum(ch.isalnum() for ch in w) >= max(1, len(w) // 2)]
    while len(words) > 1 and len(words[-1]) == 1:  # a stray letter read from an edge
        words.pop()
    return " ".join(words).strip()


def _readable(text: str) -> bool:
    return sum(ch.isalnum() for ch in text) >= 3


def text_near_point(run_dir: Path, step: StepRecord) -> str | None:
    """The words naming what was clicked at the step's point on its recorded screenshot."""
    if not step.screenshot or not step.executed:
        return None
    image = Image.open(run_dir / step.screenshot)
    p = step.executed[0].screenshot
    candidates: list[tuple[int, float, float, str]] = []
    for binarise, scale, psm in PASSES[:3]:
        for line in read_lines(image, binarise=binarise, scale=scale, psm=psm):
            tier, text = _tier(line.box, p.x, p.y), _clean(line.text)
            if tier is not None and _readable(text) and line.confidence >= 0.6:
                candidates.append((*tier, -line.confidence, text))
    candidates.sort()
    if candidates and candidates[0][0] <= 1:
        return candidates[0][3]
    # Nothing readable on the point's row: read the box under the point on its own
    # (light text on a coloured button), before falling back to a label above it.
    text = _clean(read_box(image, (max(0, p.x - 120), max(0, p.y - 14),
                                   min(image.width, p.x + 120), min(image.height, p.y + 14))))
    if _readable(text):
        return text
    return candidates[0][3] if candidates else None
