"""What the stand-in policy means to do next, as a person would say it, turned into one action.

A plan is a list of intentions ("click the field labelled Email", "type X",
"click the button Save", "answer with the Total in the row of 1023"). Each
intention becomes exactly one GLM-4.1V action, computed from the screenshot
alone (:mod:`.screen_reading`): where the words are, where the box under a
label is, which cell sits in which column. Nothing is measured on a DOM.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .screen_reading import Box, NotOnScreen, Screen


def quote(text: str) -> str:
    """A Python-style single-quoted string as GLM writes action arguments."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def point(screen: Screen, x: float, y: float) -> str:
    """A pixel point as GLM's ``[x,y]`` in thousandths of the screenshot."""
    return f"[{round(x / screen.width * 1000)},{round(y / screen.height * 1000)}]"


def click_at(screen: Screen, box: Box, info: str, *, x: float | None = None) -> str:
    """``left_click`` at the centre of a box (or at ``x`` on its middle row)."""
    cx = (box[0] + box[2]) / 2 if x is None else x
    return f"left_click(start_box='{point(screen, cx, (box[1] + box[3]) / 2)}', element_info={quote(info)})"


@dataclass(frozen=True)
class Click:
    """Click the words ``text``: a button, link, tab, or the label of a checkbox or switch.

    ``nth`` chooses among equal readings in reading order, ``row`` keeps the one
    on the row that shows that other text, ``below`` the ones under it.
    """

    text: str
    nth: int | None = None
    row: str | None = None
    below: str | None = None
    button: bool = False

    def describe(self) -> str:
        """The intention in words."""
        where = f" in the row of {self.row}" if self.row else ""
        return f"click {'the button ' if self.button else ''}{self.text!r}{where}"

    def act(self, screen: Screen) -> str:
        """The action."""
        below = screen.find(self.below).box if self.below else None
        if self.row is None:
            found = screen.find(self.text, nth=self.nth, below=below, buttons_only=self.button)
            return click_at(screen, found.box, self.text)
        for anchor in screen.find_all(self.row):  # the row's text may also be in a search box
            try:
                found = screen.find(self.text, nth=self.nth, row=anchor.box, below=below,
                                    buttons_only=self.button)
            except NotOnScreen:
                continue
            return click_at(screen, found.box, self.text)
        raise NotOnScreen(f"cannot read {self.text!r} on a row of {self.row!r}")


@dataclass(frozen=True)
class ClickField:
    """Click into the input box under the label ``label`` (text field, textarea or dropdown)."""

    label: str
    nth: int | None = None

    def describe(self) -> str:
        """The intention in words."""
        return f"click the field labelled {self.label!r}"

    def act(self, screen: Screen) -> str:
        """The action."""
        box = screen.field_below(screen.find(self.label, nth=self.nth).box)
        return click_at(screen, box, f"{self.label} field", x=box[0] + 40)


@dataclass(frozen=True)
class ClickOption:
    """Click ``option`` in the list opened under the dropdown labelled ``field``."""

    option: str
    field: str

    def describe(self) -> str:
        """The intention in words."""
        return f"choose {self.option!r} in the {self.field!r} list"

    def act(self, screen: Screen) -> str:
        """The action."""
        box = screen.field_below(screen.find(self.field).box)
        # The open list hangs under the dropdown, its items indented a little from its left edge.
        try:
            item = screen.find(self.option, region=(box[0] - 2, box[3], box[2] + 80, box[3] + 310))
        except LookupError:  # the list opened upwards, or reads badly alone
            item = screen.find(self.option, below=box, left_in=(box[0] - 4, box[0] + 30))
        return click_at(screen, item.box, self.option)


@dataclass(frozen=True)
class TypeText:
    """Type ``text`` into whatever has focus."""

    text: str

    def describe(self) -> str:
        """The intention in words."""
        return f"type {self.text!r}"

    def act(self, screen: Screen) -> str:
        """The action (no need to look)."""
        return f"type(content={quote(self.text)})"


@dataclass(frozen=True)
class Press:
    """Press a key combination, e.g. ``ctrl+a`` to select a field's old text."""

    keys: str

    def describe(self) -> str:
        """The intention in words."""
        return f"press {self.keys}"

    def act(self, screen: Screen) -> str:
        """The action."""
        return f"key(keys={quote(self.keys)})"


@dataclass(frozen=True)
class AnswerCell:
    """Answer with what the table shows in column ``column`` on the row showing ``row``."""

    row: str
    column: str

    def describe(self) -> str:
        """The intention in words."""
        return f"answer with the {self.column} in the row of {self.row!r}"

    def act(self, screen: Screen) -> str:
        """The action."""
        return f"answer(content={quote(screen.cell(self.row, self.column))})"


@dataclass(frozen=True)
class AnswerBeside:
    """Answer with the value shown right of ``label`` (a two-column summary)."""

    label: str

    def describe(self) -> str:
        """The intention in words."""
        return f"answer with the value next to {self.label!r}"

    def act(self, screen: Screen) -> str:
        """The action."""
        return f"answer(content={quote(screen.beside(self.label))})"


@dataclass(frozen=True)
class AnswerText:
    """Answer with group 1 of the first phrase on screen matching ``pattern``."""

    pattern: str

    def describe(self) -> str:
        """The intention in words."""
        return f"answer with the text matching {self.pattern!r}"

    def act(self, screen: Screen) -> str:
        """The action."""
        m = screen.search(self.pattern)
        return f"answer(content={quote(m.group(1) if m.groups() else m.group(0))})"


@dataclass(frozen=True)
class Done:
    """Say the task is complete."""

    def describe(self) -> str:
        """The intention in words."""
        return "say the task is done"

    def act(self, screen: Screen) -> str:
        """The action."""
        return "DONE()"


@dataclass(frozen=True)
class Fail:
    """Say the task cannot be done here (``why`` goes into the explanation)."""

    why: str = "this site cannot do that"

    def describe(self) -> str:
        """The intention in words."""
        return f"give up: {self.why}"

    def act(self, screen: Screen) -> str:
        """The action."""
        return "FAIL()"


Intention = (Click | ClickField | ClickOption | TypeText | Press | AnswerCell | AnswerBeside
             | AnswerText | Done | Fail)
#: Intentions that must read the screen.
LOOKS = (Click, ClickField, ClickOption, AnswerCell, AnswerBeside, AnswerText)


def wrong_action(intention: Intention, screen: Screen, rng: random.Random) -> tuple[str, str]:
    """A plausible mistake instead of ``intention``: (action, what went wrong).

    Clicks land somewhere else, answers are off, an infeasible task is claimed
    done, a finished one given up, and any step may end the task too early.
    """
    if isinstance(intention, Fail):
        return "DONE()", "claimed an impossible task was done"
    if isinstance(intention, Done):
        return "FAIL()", "gave up on a finished task"
    if isinstance(intention, AnswerCell | AnswerBeside | AnswerText) and rng.random() < 0.7:
        try:
            right = re.search(r"content='(.*)'\)$", intention.act(screen))
            value = right.group(1) if right else ""
        except LookupError:
            value = ""
        digits = [i for i, c in enumerate(value) if c.isdigit()]
        if digits:
            i = rng.choice(digits)
            value = value[:i] + str((int(value[i]) + rng.randint(1, 8)) % 10) + value[i + 1:]
        else:
            value = "I could not find it"
        return f"answer(content={quote(value)})", "answered with a wrong value"
    if rng.random() < 0.5:
        return "DONE()", "said done too early"
    x, y = rng.randint(20, 980), rng.randint(80, 980)
    return f"left_click(start_box='[{x},{y}]', element_info='')", "clicked the wrong place"
