"""Stuck detection: the same action again and again while the screen stays the same.

A model that clicks a dead button keeps clicking it, at the price of a
multi-second generation per step. :class:`StuckDetector` compares, before each
action, the action and the screen with the previous step's. When the action
repeats and the previous one changed nothing on screen, a counter grows: at
``warn_after`` the model is told (a note in its next prompt); at
``stop_after`` the action is not executed and the run ends with outcome
``stuck``.

Screens are compared in grayscale, pixel by pixel: one typed character is a
change (a coarse thumbnail missed it, so typing "a" five times into a field
looked stuck). The only change ignored is a text caret: when all
changed pixels fit in a box at most ``CARET_WIDTH`` wide and ``CARET_HEIGHT``
tall, a blinking caret on a desktop does not count as progress.
"""

from __future__ import annotations

from PIL import Image, ImageChops

from .actions import Action
from .drivers.base import Observation
from .hooks import AgentHooks, StopRun, add_note
from .runlog import StepRecord

#: Pixels a change may span and still be a blinking caret, not progress (a glyph is wider).
CARET_WIDTH, CARET_HEIGHT = 4, 48
#: Grayscale levels (of 255) below which a pixel counts as unchanged (JPEG noise).
LEVEL = 40


def fingerprint(image: Image.Image) -> Image.Image:
    """The screen as compared: grayscale, full size (a caret and a glyph differ by pixels)."""
    return image.convert("L")


def screens_differ(a: Image.Image, b: Image.Image, *, level: int = LEVEL) -> bool:
    """True unless the screens are the same but for, at most, a caret-sized spot."""
    if a.size != b.size:
        return True
    box = ImageChops.difference(a, b).point(lambda v: 255 if v > level else 0).getbbox()
    if box is None:
        return False
    left, top, right, bottom = box
    return right - left > CARET_WIDTH or bottom - top > CARET_HEIGHT


def same_action(a: Action, b: Action, tolerance: float = 10.0) -> bool:
    """Equal actions, points within ``tolerance`` thousandths, ``element_info`` ignored."""
    if a.action != b.action:
        return False
    da, db = a.model_dump(exclude={"element_info"}), b.model_dump(exclude={"element_info"})
    for key, value in da.items():
        other = db.get(key)
        if isinstance(value, dict) and isinstance(other, dict) and {"x", "y"} <= value.keys():
            if abs(value["x"] - other["x"]) > tolerance or abs(value["y"] - other["y"]) > tolerance:
                return False
        elif value != other:
            return False
    return True


def _differ(a: Observation, b: Observation) -> bool:
    """:func:`screens_differ` of two observations (equal bytes: the same screen, no decoding)."""
    if a.data is not None and a.data == b.data:
        return False
    return screens_differ(fingerprint(a.pil()), fingerprint(b.pil()))


class StuckDetector(AgentHooks):
    """Warns the model, then stops the run, when an action repeats without effect."""

    def __init__(self, warn_after: int = 3, stop_after: int = 5, *,
                 tolerance: float = 10.0) -> None:
        if not 1 <= warn_after <= stop_after:
            raise ValueError("stuck detection needs 1 <= warn_after <= stop_after")
        self.warn_after, self.stop_after = warn_after, stop_after
        self.tolerance = tolerance
        self.repeats = 0
        #: The last action and the screen it was chosen on; screens are decoded and
        #: compared only when an action repeats (most steps never pay for it).
        self._last: tuple[Action, Observation] | None = None

    def on_run_start(self, driver: object) -> None:
        """A new run: forget the last one."""
        self.repeats, self._last = 0, None

    def before_action(self, step: StepRecord, action: Action, observation: Observation) -> None:
        """Count the repeat; warn through a note, or stop the run (the model's steps only)."""
        if step.actor != "model":  # a person who took over is not stuck
            self._last = None
            return
        last = self._last
        if last is not None and same_action(last[0], action, self.tolerance) and not _differ(
                last[1], observation):
            self.repeats += 1
        else:
            self.repeats = 1
        self._last = (action, observation)
        step.extra["repeats"] = self.repeats
        if self.repeats >= self.stop_after:
            raise StopRun("stuck", f"the model chose {action.to_call()} {self.repeats} times in "
                                   "a row and the screen did not change")
        if self.repeats >= self.warn_after:
            add_note(step, f"you have now chosen this same action {self.repeats} times in a row "
                           "and the screen did not change: it is not working. Try something "
                           "different (another element, a key, scrolling), or FAIL() if the "
                           "task cannot be done.")
