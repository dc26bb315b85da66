"""Script GLM-4.1V answers from a real page's element positions.

A test describes what a person would do (click this field, type that, pick
this option); :func:`plan_answers` opens the page in its own Chromium at the
same viewport, measures where each element really is, and writes the answers
GLM-4.1V would give, with coordinates in its 0-1000 space. The plan is carried
out with the driver's own actions (so dialogs and file pickers appear on its
overlay and can be measured too; their parts are ``[data-guiagent-button=accept]``,
``[data-guiagent-button=dismiss]``, ``[data-guiagent-file='0']``, ...). The agent
under test then runs against :class:`~guiagent.testing.model_server.GlmModelServer`
with these answers and its own, separate browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..actions import Key, LeftClick, LeftDoubleClick, Point, Type
from ..geometry import ScreenFrame, Size
from .model_server import glm_answer


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
    """Report the task done (or failed, or answer a question)."""

    call: str = "DONE()"


PlanStep = ClickOn | Choose | TypeText | PressKeys | Finish


def _q(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def plan_answers(url: str, plan: list[PlanStep], viewport: str = "1280x720",
                 **driver_options: Any) -> list[str]:
    """Measure the page and return one GLM-format answer per model step.

    ``driver_options`` go to the planning PlaywrightDriver (``upload_files``, ...).
    """
    from ..drivers.playwright import PlaywrightDriver

    size = Size.parse(viewport)
    frame = ScreenFrame(screenshot=size, surface=size)
    answers: list[str] = []
    with PlaywrightDriver(url, viewport=size, **driver_options) as driver:
        def xy(selector: str) -> tuple[int, int]:
            driver.show_pending()
            box = driver.page.locator(selector).first.bounding_box()
            if box is None:
                raise LookupError(f"{selector!r} is not visible on {url}")
            return (round((box["x"] + box["width"] / 2) / size.width * 1000),
                    round((box["y"] + box["height"] / 2) / size.height * 1000))

        def point(selector: str) -> str:
            return "[{},{}]".format(*xy(selector))

        def click(selector: str, double: bool = False) -> None:
            x, y = xy(selector)
            kind = LeftDoubleClick if double else LeftClick
            driver.act(kind(start_box=Point(x=x, y=y)), frame)

        for n, step in enumerate(plan, start=1):
            memory = [f"step {n} of {len(plan)}"]
            if isinstance(step, ClickOn):
                name = "left_double_click" if step.double else "left_click"
                call = f"{name}(start_box='{point(step.selector)}', element_info={_q(step.info)})"
                answers.append(glm_answer(call, explanation=f"I click {step.info or step.selector}.",
                                          memory=memory))
                click(step.selector, step.double)
            elif isinstance(step, Choose):
                call = f"left_click(start_box='{point(step.selector)}', element_info='dropdown')"
                answers.append(glm_answer(call, explanation="I open the dropdown.", memory=memory))
                click(step.selector)
                option = f"[data-guiagent-select-list] [role=option]:text-is({step.option!r})"
                call = f"left_click(start_box='{point(option)}', element_info={_q(step.option)})"
                answers.append(glm_answer(call, explanation=f"I choose {step.option}.",
                                          memory=memory))
                click(option)
            elif isinstance(step, TypeText):
                answers.append(glm_answer(f"type(content={_q(step.text)})",
                                          explanation="I type the value.", memory=memory))
                driver.act(Type(content=step.text), frame)
            elif isinstance(step, PressKeys):
                answers.append(glm_answer(f"key(keys={_q(step.keys)})", memory=memory))
                driver.act(Key(keys=step.keys), frame)
            else:
                answers.append(glm_answer(step.call, explanation="The task is complete.",
                                          memory=memory))
    return answers
