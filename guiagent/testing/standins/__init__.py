"""Stand-in models for every protocol: intended actions written in each family's exact format.

A test states what a person would do next as an :class:`IntendedAction`
(measured on the live page by :func:`~guiagent.testing.page_plan.plan_intentions`,
with the target as a fraction of the screen). A family's :class:`StandIn`
knows the rest of its published interface:

* ``step_of``: which step a request is for, read from the request in the family's
  layout (its history lines, its turns);
* ``current_image``: where the family puts the current screenshot;
* ``answer``: the answer text the model would give for the intended action, with
  the point in the family's coordinates for the image it was sent.

:func:`standin_server` serves that over real HTTP, so one parametrised test
(``tests/test_e2e_contact_form.py``) drives the contact form with every family.
A family adds one line to :data:`STANDINS` and a module with its ``STANDIN``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Literal

from PIL import Image

from ...errors import ConfigError
from ...geometry import MODEL_SCALE, XY, Size
from ..model_server import GlmModelServer, ModelRequest, Reply

IntendedKind = Literal["click", "double_click", "type", "key", "scroll", "wait", "done", "fail",
                       "answer"]


@dataclass(frozen=True)
class IntendedAction:
    """One action a stand-in means to take, independent of any family's format.

    ``at`` is the target as fractions (0..1) of the screen's width and height,
    so it holds for any screenshot size (scaled down, HiDPI). ``text`` is what
    ``type`` types or ``answer`` answers; ``keys`` a combination like ``ctrl+a``.
    """

    kind: IntendedKind
    at: tuple[float, float] | None = None
    text: str = ""
    keys: str = ""
    direction: Literal["up", "down"] = "down"
    info: str = ""  # what the target is, in words (element_info)
    say: str = ""  # the explanation before the action
    memory: list[Any] = field(default_factory=list)
    #: The target's set-of-marks number on the planning page (the element clicked, or the
    #: one focused for ``type``), for families that name elements instead of points.
    element: int | None = None

    def thousandths(self) -> XY:
        """The target in thousandths of the screenshot (guiagent's internal space)."""
        if self.at is None:
            raise ValueError(f"a {self.kind} action has no target point")
        return XY(x=self.at[0] * MODEL_SCALE, y=self.at[1] * MODEL_SCALE)


@dataclass(frozen=True)
class StandIn:
    """How one family's stand-in reads requests and writes answers (see the module docstring)."""

    name: str
    answer: Callable[[IntendedAction, Size], str]
    step_of: Callable[[ModelRequest], int]
    current_image: Callable[[ModelRequest], Image.Image]
    #: What is wrong with a request this family's server would not serve (None: fine);
    #: the stand-in then answers HTTP 400 with that message.
    check: Callable[[ModelRequest], str | None] | None = None


# protocol name -> "module:attribute" of its StandIn (imported when asked for)
STANDINS: dict[str, str] = {
    "glm41v-pc": "guiagent.testing.standins.glm41v_pc:STANDIN",
    "glm45v": "guiagent.testing.standins.glm45v:STANDIN",
    "glm41v-web": "guiagent.testing.standins.glm41v_web:STANDIN",
    "ui-tars": "guiagent.testing.standins.ui_tars:STANDIN",
    "qwen25vl": "guiagent.testing.standins.qwen25vl:STANDIN",
    "qwen3vl": "guiagent.testing.standins.qwen3vl:STANDIN",
    "json": "guiagent.testing.standins.json_schema:STANDIN",
}


def standin(name: str) -> StandIn:
    """The stand-in of protocol ``name``; ConfigError when it has none."""
    target = STANDINS.get(name)
    if target is None:
        raise ConfigError(f"no stand-in model for protocol {name!r}; stand-ins exist for "
                          f"{', '.join(STANDINS)}")
    module, _, attr = target.partition(":")
    found: StandIn = getattr(import_module(module), attr)
    return found


def plan_responder(name: str, plan: list[IntendedAction]) -> Callable[[ModelRequest], Reply]:
    """Answer each request with the plan's action for its step, in family ``name``'s format.

    Steps past the plan's end repeat its last action (a finishing one, normally).
    """
    family = standin(name)

    def respond(req: ModelRequest) -> Reply:
        problem = family.check(req) if family.check is not None else None
        if problem:
            return Reply(status=400, content=problem)
        step = family.step_of(req)
        intended = plan[min(max(step, 1), len(plan)) - 1]
        image = family.current_image(req)
        return Reply(content=family.answer(intended, Size(width=image.width, height=image.height)))

    return respond


def standin_server(name: str, plan: list[IntendedAction], **server_options: Any) -> GlmModelServer:
    """A real OpenAI-compatible server playing family ``name`` through ``plan``."""
    return GlmModelServer(plan_responder(name, plan), **server_options)
