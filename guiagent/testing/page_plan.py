"""Script model answers from a real page's element positions.

A test describes what a person would do (click this field, type that, pick
this option); :func:`plan_intentions` opens the page in its own Chromium at the
same viewport, measures where each element really is, and returns family-neutral
:class:`~guiagent.testing.standins.IntendedAction` values that any protocol's
stand-in writes in its own format; :func:`plan_answers` writes them as GLM-4.1V
would, with coordinates in its 0-1000 space. The plan is carried
out with the driver's own actions (so dialogs and file pickers appear on its
overlay and can be measured too; their parts are ``[data-guiagent-button=accept]``,
``[data-guiagent-button=dismiss]``, ``[data-guiagent-file='0']``, ...). The agent
under test then runs against :class:`~guiagent.testing.model_server.GlmModelServer`
with these answers and its own, separate browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..actions import Key, LeftClick, LeftDoubleClick, Point, Type
from ..errors import DriverError
from ..geometry import ScreenFrame, Size
from ..protocols.som import read_marks
from .standins import IntendedAction
from .standins.glm41v_pc import answer as glm41v_answer

_FOCUSED_CENTRE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const r = el.getBoundingClientRect();
  return [r.left + r.width / 2, r.top + r.height / 2];
}"""


@dataclass(frozen=True)
class ClickOn:
    """Click the centre of the element matching a Playwright selector."""

    selector: str
    info: str = ""
    double: bool = False


@dataclass(frozen=True)
class Choose:
    """Open a ``<select>`` by clicking it, then click one of its options by text."""

    selector: str
    option: str


@dataclass(frozen=True)
class TypeText:
    """Type text into the focused element."""

    text: str


@dataclass(frozen=True)
class PressKeys:
    """Press a key combination."""

    keys: str


@dataclass(frozen=True)
class Finish:
    """Report the task done (``kind="fail"``: impossible; ``"answer"``: reply ``text``)."""

    kind: Literal["done", "fail", "answer"] = "done"
    text: str = ""


PlanStep = ClickOn | Choose | TypeText | PressKeys | Finish


def plan_intentions(url: str, plan: list[PlanStep], viewport: str = "1280x720",
                    **driver_options: Any) -> list[IntendedAction]:
    """Measure the page and return one intended action per model step.

    Targets are fractions of the viewport, so any family's stand-in can write
    them for any screenshot size. ``driver_options`` go to the planning
    PlaywrightDriver (``upload_files``, ...).
    """
    from ..drivers.playwright import PlaywrightDriver

    size = Size.parse(viewport)
    frame = ScreenFrame(screenshot=size, surface=size)
    out: list[IntendedAction] = []
    with PlaywrightDriver(url, viewport=size, **driver_options) as driver:
        def at(selector: str) -> tuple[float, float]:
            driver.show_pending()
            box = driver.page.locator(selector).first.bounding_box()
            if box is None:
                raise LookupError(f"{selector!r} is not visible on {url}")
            return ((box["x"] + box["width"] / 2) / size.width,
                    (box["y"] + box["height"] / 2) / size.height)

        def element(where: tuple[float, float] | None) -> int | None:
            """The set-of-marks number of the element at ``where`` (the focused one if None)."""
            if where is None:
                focused = driver.page.evaluate(_FOCUSED_CENTRE)
                if focused is None:
                    return None
                x, y = focused
            else:
                x, y = where[0] * size.width, where[1] * size.height
            try:
                found = read_marks(driver.page).at(x, y)
            except DriverError:  # only stand-ins that name elements need it; they will say so
                return None
            return found.index if found is not None else None

        def click(where: tuple[float, float], double: bool = False) -> None:
            # Where the GLM answer's rounded thousandths land, as before.
            point = Point(x=round(where[0] * 1000), y=round(where[1] * 1000))
            kind = LeftDoubleClick if double else LeftClick
            driver.act(kind(start_box=point), frame)

        for n, step in enumerate(plan, start=1):
            memory = [f"step {n} of {len(plan)}"]
            if isinstance(step, ClickOn):
                where = at(step.selector)
                out.append(IntendedAction("double_click" if step.double else "click", where,
                                          info=step.info,
                                          say=f"I click {step.info or step.selector}.",
                                          memory=memory, element=element(where)))
                click(where, step.double)
            elif isinstance(step, Choose):
                where = at(step.selector)
                out.append(IntendedAction("click", where, info="dropdown",
                                          say="I open the dropdown.", memory=memory,
                                          element=element(where)))
                click(where)
                option = f"[data-guiagent-select-list] [role=option]:text-is({step.option!r})"
                where = at(option)
                out.append(IntendedAction("click", where, info=step.option,
                                          say=f"I choose {step.option}.", memory=memory,
                                          element=element(where)))
                click(where)
            elif isinstance(step, TypeText):
                out.append(IntendedAction("type", text=step.text, say="I type the value.",
                                          memory=memory, element=element(None)))
                driver.act(Type(content=step.text), frame)
            elif isinstance(step, PressKeys):
                out.append(IntendedAction("key", keys=step.keys, memory=memory))
                driver.act(Key(keys=step.keys), frame)
            else:
                out.append(IntendedAction(step.kind, text=step.text,
                                          say="The task is complete.", memory=memory))
    return out


def plan_answers(url: str, plan: list[PlanStep], viewport: str = "1280x720",
                 **driver_options: Any) -> list[str]:
    """Measure the page and return one GLM-4.1V answer per model step (see :func:`plan_intentions`)."""
    size = Size.parse(viewport)
    return [glm41v_answer(i, size) for i in plan_intentions(url, plan, viewport, **driver_options)]
