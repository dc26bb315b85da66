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
from .ocr import read_lines
from .target import Target

NEAR_PX = 40


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
        purpose = "field" if "label" in target or "placeholder" in target else "click"
        _, found = find_elements(page, Target(**target), purpose)
        if len(found) != 1:
            return False
        box = found[0].bounding_box() or {}
        margin = 4
        return (box.get("x", 0) - margin <= x <= box.get("x", 0) + box.get("width", 0) + margin
                and box.get("y", 0) - margin <= y <= box.get("y", 0) + box.get("height", 0)
                + margin) or info.get("tag") == "label"


def text_near_point(run_dir: Path, step: StepRecord) -> str | None:
    """The OCR phrase at (or nearest to) the step's executed point on its recorded screenshot."""
    if not step.screenshot or not step.executed:
        return None
    image = Image.open(run_dir / step.screenshot)
    p = step.executed[0].screenshot
    best, best_d = None, float(NEAR_PX)
    for line in read_lines(image):
        x1, y1, x2, y2 = line.box
        dx = max(x1 - p.x, 0, p.x - x2)
        dy = max(y1 - p.y, 0, p.y - y2)
        d = (dx * dx + dy * dy) ** 0.5
        if d <= best_d and len(line.text.strip()) > 1:
            best, best_d = line.text.strip(), d
    return best
