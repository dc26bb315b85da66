"""GLM-4.1V web (set-of-marks) stand-in: ``Thought: / Action: / Memory_Updated:`` naming elements.

The intended actions carry the set-of-marks number of their target
(``IntendedAction.element``, read on the planning page with the same marker
the agent uses), so the answer names elements exactly as the model would after
reading the labels on the screenshot. Its place in the plan is the number of
history lines (``0.Thought:...``) in the request; the protocol shows the last
15 steps only, so a plan for this stand-in has at most 16 steps.
"""

from __future__ import annotations

import json
import re

from PIL import Image

from ...geometry import Size
from ..model_server import ModelRequest
from . import IntendedAction, StandIn

_HISTORY_LINE = re.compile(r"^\d+\.Thought:", re.MULTILINE)
_KEYS = {"enter": "Return", "return": "Return"}


def web_action(action: IntendedAction) -> str:
    """The ``Action:`` line for an intended action."""
    if action.kind in ("click", "double_click", "type") and action.element is None:
        raise ValueError(f"a {action.kind} for the web protocol needs the target's element number")
    if action.kind in ("click", "double_click"):
        return f"Click [{action.element}]"
    if action.kind == "type":
        return f"Type [{action.element}]; [{action.text}]"
    if action.kind == "scroll":
        target = "WINDOW" if action.element is None else str(action.element)
        return f"Scroll [{target}]; [{action.direction}]"
    if action.kind == "key":
        return f"Key; [{_KEYS.get(action.keys.lower(), action.keys)}]"
    if action.kind == "wait":
        return "Wait"
    return f"ANSWER; <content>{action.text}</content>"


def answer(action: IntendedAction, image: Size) -> str:
    """The full answer, with the plan position as memory."""
    memory = json.dumps({"progress": action.memory[-1]} if action.memory else {},
                        ensure_ascii=False)
    say = action.say or "I act on the page."
    return (f"<think>I read the labels on the screenshot.</think><answer>Thought: {say}\n"
            f"Action: {web_action(action)}\nMemory_Updated: {memory}</answer>")


def step_of(req: ModelRequest) -> int:
    """One more than the history lines of the request."""
    return len(_HISTORY_LINE.findall(req.text)) + 1


def _current(req: ModelRequest) -> Image.Image:
    return req.images[0]


STANDIN = StandIn(name="glm41v-web", answer=answer, step_of=step_of, current_image=_current)
