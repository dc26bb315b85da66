"""Stuck detection: the same action again and again while the screen stays the same.

A model that clicks a dead button keeps clicking it, at the price of a
multi-second generation per step. :class:`StuckDetector` compares, before each
action, the action and a cheap fingerprint of the screen (a 64x36 grayscale
thumbnail) with the previous step's. When the action repeats and the previous
one changed nothing on screen, a counter grows: at ``warn_after`` the model is
told (a note in its next prompt); at ``stop_after`` the action is not executed
and the run ends with outcome ``stuck``.

Screens are compared cell by cell with a tolerance (``max_changed_cells``) so
that a blinking text caret on a desktop does not count as a change.
"""

from __future__ import annotations

from PIL import Image

from .actions import Action
from .drivers.base import Observation
from .hooks import AgentHooks, StopRun, add_note
from .runlog import StepRecord

THUMB = (64, 36)


def fingerprint(image: Image.Image) -> bytes:
    """A 64x36 grayscale thumbnail of the screen, as bytes."""
    return image.convert("L").resize(THUMB, Image.Resampling.BILINEAR).tobytes()


def screens_differ(a: bytes, b: bytes, *, level: int = 8, max_changed_cells: int = 2) -> bool:
    """True when more than ``max_changed_cells`` cells differ by more than ``level`` (of 255)."""
    if len(a) != len(b):
        return True
    changed = sum(1 for x, y in zip(a, b, strict=True) if abs(x - y) > level)
    return changed > max_changed_cells


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


class StuckDetector(AgentHooks):
    """Warns the model, then stops the run, when an action repeats without effect."""

    def __init__(self, warn_after: int = 3, stop_after: int = 5, *, tolerance: float = 10.0,
                 max_changed_cells: int = 2) -> None:
        if not 1 <= warn_after <= stop_after:
            raise ValueError("stuck detection needs 1 <= warn_after <= stop_after")
        self.warn_after, self.stop_after = warn_after, stop_after
        self.tolerance, self.max_changed_cells = tolerance, max_changed_cells
        self.repeats = 0
        self._last: tuple[Action, bytes] | None = None

    def on_run_start(self, driver: object) -> None:
        """A new run: forget the last one."""
        self.repeats, self._last = 0, None

    def before_action(self, step: StepRecord, action: Action, observation: Observation) -> None:
        """Count the repeat; warn through a note, or stop the run."""
        screen = fingerprint(observation.pil())
        last = self._last
        if last is not None and same_action(last[0], action, self.tolerance) and not screens_differ(
                last[1], screen, max_changed_cells=self.max_changed_cells):
            self.repeats += 1
        else:
            self.repeats = 1
        self._last = (action, screen)
        step.extra["repeats"] = self.repeats
        if self.repeats >= self.stop_after:
            raise StopRun("stuck", f"the model chose {action.to_call()} {self.repeats} times in "
                                   "a row and the screen did not change")
        if self.repeats >= self.warn_after:
            add_note(step, f"you have now chosen this same action {self.repeats} times in a row "
                           "and the screen did not change: it is not working. Try something "
                           "different (another element, a key, scrolling), or FAIL() if the "
                           "task cannot be done.")
