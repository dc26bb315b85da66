"""GLM-4.5V/4.6V stand-in: ``<think>..</think>`` then plain text, a boxed call and ``Memory:``.

Requests interleave history screenshots at their ``step k: Screenshot:`` lines
and carry the current screenshot last (docs/protocols.md, glm45v). Points are
thousandths written in the prompt's 0-999 range.
"""

from __future__ import annotations

import json
import re

from PIL import Image

from ...geometry import Size
from ..model_server import ModelRequest
from . import IntendedAction, StandIn
from .glm41v_pc import glm41v_call

_HISTORY_STEP = re.compile(r"^step (\d+): Screenshot:", re.MULTILINE)
_POINT = re.compile(r"start_box='\[(\d+),(\d+)\]'")


def glm45v_call(action: IntendedAction) -> str:
    """The call as GLM-4.5V writes it: GLM-4.1V's action space, coordinates at most 999."""
    call = glm41v_call(action)
    return _POINT.sub(lambda m: f"start_box='[{min(int(m.group(1)), 999)}, "
                                f"{min(int(m.group(2)), 999)}]'", call)


def answer(action: IntendedAction, image: Size) -> str:
    """The full answer: thought, explanation, the boxed call, then the memory list."""
    memory = json.dumps([{"progress": m} for m in action.memory], ensure_ascii=False)
    say = action.say or "I act on the screen."
    return (f"<think>I look at the current screenshot.</think>{say}\n"
            f"<|begin_of_box|>{glm45v_call(action)}<|end_of_box|>\nMemory:\n{memory}")


def step_of(req: ModelRequest) -> int:
    """One more than the history entries (``step k: Screenshot:``) of the request."""
    return len(_HISTORY_STEP.findall(req.text)) + 1


def _current(req: ModelRequest) -> Image.Image:
    return req.images[-1]


STANDIN = StandIn(name="glm45v", answer=answer, step_of=step_of, current_image=_current)
