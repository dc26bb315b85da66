"""Plans of the stand-in policy (:mod:`.policy_server`) for the bundled ``office`` suite.

Each task's plan is built from its instruction by :mod:`.desktop_plans` (the
table, the numbers, the paragraphs, the file name) and turned into intentions
the policy server carries out one per request. Everything that depends on the
screen is decided from the screenshot: where a phrase is to click, whether the
dialog a key needs has opened, whether the title bar shows the saved name.
Until it has, the intention raises :class:`~.screen_reading.NotYet` and the
policy answers ``WAIT()``, as a model watching LibreOffice would.
"""

from __future__ import annotations

from dataclasses import dataclass

from .desktop_plans import ClickText, Finish, Press, Step, Type, find_phrase, on_screen, plan_for, title_shows
from .intentions import click_at, quote
from .screen_reading import NotYet, Screen


@dataclass(frozen=True)
class DesktopIntention:
    """One step of a desktop plan, as an intention of the policy server."""

    step: Step

    def describe(self) -> str:
        """The intention in words."""
        step = self.step
        if isinstance(step, Type):
            return f"type {step.text!r}"
        if isinstance(step, Press):
            when = f" once {' '.join(step.when)} shows" if step.when else ""
            return f"press {step.keys}{when}"
        if isinstance(step, ClickText):
            return f"click {step.note}"
        return "say the task is done"

    def act(self, screen: Screen) -> str:
        """The action, or NotYet while what it needs is not on screen."""
        step, image = self.step, screen.image
        if isinstance(step, Type):
            return f"type(content={quote(step.text)})"
        if isinstance(step, Press):
            if step.when and not on_screen(image, step.when):
                raise NotYet(f"{' '.join(step.when)} is not on screen yet")
            return f"key(keys={quote(step.keys)})"
        if isinstance(step, ClickText):
            box = find_phrase(image, step.text, step.exclude)
            if box is None:
                raise NotYet(f"I cannot read {step.text!r} yet")
            return click_at(screen, box, step.note)
        if step.gone and on_screen(image, step.gone):
            raise NotYet(f"{' '.join(step.gone)} is still open")
        if step.title and not title_shows(image, step.title):
            raise NotYet(f"the title bar does not show {step.title} yet")
        return step.call


def intentions(steps: list[Step]) -> list[DesktopIntention]:
    """A desktop plan as the policy server's intentions (a plan always ends in DONE)."""
    out = [DesktopIntention(s) for s in steps]
    if not out or not isinstance(out[-1].step, Finish):
        out.append(DesktopIntention(Finish()))
    return out


def plans() -> dict[str, list[DesktopIntention]]:
    """{instruction: intentions} for every task of the bundled office suite."""
    from ..eval.tasks import load_suite

    out = {}
    for task in load_suite("office"):
        plan = plan_for(task.instruction)
        if plan is not None:
            out[task.instruction] = intentions(plan.steps)
    return out
