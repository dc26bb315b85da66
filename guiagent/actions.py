"""The action schema: GLM-4.1V's desktop ("pc") action space as pydantic models.

Names and parameters follow the model's published interface exactly
(``left_click(start_box='[x,y]', element_info='')`` and so on); ``answer`` is
guiagent's addition for tasks that ask a question. Points are kept in the
model's 0-1000 space; :mod:`guiagent.geometry` turns them into pixels.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class Point(BaseModel):
    """A point in the model's space: thousandths of the screenshot's width and height."""

    model_config = ConfigDict(frozen=True)
    x: float
    y: float

    def box_text(self) -> str:
        """Render as the model writes it: ``[x,y]``."""
        return f"[{self.x:g},{self.y:g}]"


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_call(self) -> str:
        """Render the action the way GLM-4.1V writes it."""
        raise NotImplementedError

    @property
    def terminal(self) -> bool:
        """True for actions that end the run."""
        return False


def _q(text: str) -> str:
    """Quote a string argument as a Python-style single-quoted literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


class _PointAction(_Action):
    start_box: Point
    element_info: str = ""

    def to_call(self) -> str:
        return f"{self.action}(start_box={_q(self.start_box.box_text())}, element_info={_q(self.element_info)})"  # type: ignore[attr-defined]  # noqa: E501


class LeftClick(_PointAction):
    """Click the left button once at ``start_box``."""

    action: Literal["left_click"] = "left_click"


class RightClick(_PointAction):
    """Click the right button at ``start_box``."""

    action: Literal["right_click"] = "right_click"


class MiddleClick(_PointAction):
    """Click the middle button at ``start_box``."""

    action: Literal["middle_click"] = "middle_click"


class Hover(_PointAction):
    """Move the pointer to ``start_box`` without clicking."""

    action: Literal["hover"] = "hover"


class LeftDoubleClick(_PointAction):
    """Double-click the left button at ``start_box``."""

    action: Literal["left_double_click"] = "left_double_click"


class LeftDrag(_Action):
    """Press at ``start_box``, move to ``end_box``, release."""

    action: Literal["left_drag"] = "left_drag"
    start_box: Point
    end_box: Point
    element_info: str = ""

    def to_call(self) -> str:
        return (
            f"left_drag(start_box={_q(self.start_box.box_text())}, "
            f"end_box={_q(self.end_box.box_text())}, element_info={_q(self.element_info)})"
        )


class Key(_Action):
    """Press one key or a combination joined with ``+`` (``ctrl+c``)."""

    action: Literal["key"] = "key"
    keys: str

    def to_call(self) -> str:
        return f"key(keys={_q(self.keys)})"


class Type(_Action):
    """Type text into the focused element; it neither focuses nor clears it."""

    action: Literal["type"] = "type"
    content: str

    def to_call(self) -> str:
        return f"type(content={_q(self.content)})"


class Scroll(_Action):
    """Scroll ``step`` wheel clicks up or down with the pointer at ``start_box``."""

    action: Literal["scroll"] = "scroll"
    start_box: Point
    direction: Literal["up", "down"]
    step: int = Field(default=5, ge=1, le=100)
    element_info: str = ""

    def to_call(self) -> str:
        return (
            f"scroll(start_box={_q(self.start_box.box_text())}, direction={_q(self.direction)}, "
            f"step={self.step}, element_info={_q(self.element_info)})"
        )


class Wait(_Action):
    """Wait (5 seconds in the model's interface) for the screen to settle."""

    action: Literal["WAIT"] = "WAIT"

    def to_call(self) -> str:
        return "WAIT()"


class Done(_Action):
    """The task is complete."""

    action: Literal["DONE"] = "DONE"

    def to_call(self) -> str:
        return "DONE()"

    @property
    def terminal(self) -> bool:
        return True


class Fail(_Action):
    """The task cannot be done."""

    action: Literal["FAIL"] = "FAIL"

    def to_call(self) -> str:
        return "FAIL()"

    @property
    def terminal(self) -> bool:
        return True


class Answer(_Action):
    """The task asked a question; ``content`` is the reply. Ends the run."""

    action: Literal["answer"] = "answer"
    content: str

    def to_call(self) -> str:
        return f"answer(content={_q(self.content)})"

    @property
    def terminal(self) -> bool:
        return True


Action = Annotated[
    LeftClick | RightClick | MiddleClick | Hover | LeftDoubleClick | LeftDrag
    | Key | Type | Scroll | Wait | Done | Fail | Answer,
    Field(discriminator="action"),
]
ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)
POINTER_ACTIONS = (LeftClick, RightClick, MiddleClick, Hover, LeftDoubleClick)


def action_points(action: Action) -> list[Point]:
    """Every model-space point an action addresses, in order."""
    if isinstance(action, LeftDrag):
        return [action.start_box, action.end_box]
    point = getattr(action, "start_box", None)
    return [point] if point is not None else []


def action_from_json(data: str | dict) -> Action:
    """Load an action from its JSON form (as stored in ``steps.jsonl``)."""
    if isinstance(data, str):
        data = json.loads(data)
    return ACTION_ADAPTER.validate_python(data)
