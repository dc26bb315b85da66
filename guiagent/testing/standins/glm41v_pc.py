"""GLM-4.1V "pc" stand-in: ``<think>..</think><answer>`` with a boxed call in thousandths.

Requests carry the current screenshot first and earlier steps as ``step N:``
history lines (docs/protocol.md).
"""

from __future__ import annotations

from PIL import Image

from ...geometry import Size
from ..model_server import ModelRequest, glm_answer
from . import IntendedAction, StandIn

_CALLS = {"done": "DONE()", "fail": "FAIL()", "wait": "WAIT()"}


def quote(text: str) -> str:
    """A Python-style single-quoted string, as GLM writes action arguments."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def glm41v_call(action: IntendedAction) -> str:
    """The action as GLM-4.1V writes it."""
    if action.kind in ("click", "double_click", "scroll"):
        p = action.thousandths()
        box = f"[{round(p.x)},{round(p.y)}]"
        if action.kind == "scroll":
            return (f"scroll(start_box='{box}', direction='{action.direction}', step=5, "
                    f"element_info={quote(action.info)})")
        name = "left_double_click" if action.kind == "double_click" else "left_click"
        return f"{name}(start_box='{box}', element_info={quote(action.info)})"
    if action.kind == "type":
        return f"type(content={quote(action.text)})"
    if action.kind == "key":
        return f"key(keys={quote(action.keys)})"
    if action.kind == "answer":
        return f"answer(content={quote(action.text)})"
    return _CALLS[action.kind]


def answer(action: IntendedAction, image: Size) -> str:
    """The full answer (thousandths need no image size)."""
    return glm_answer(glm41v_call(action), explanation=action.say, memory=action.memory)


def _current(req: ModelRequest) -> Image.Image:
    return req.images[0]


STANDIN = StandIn(name="glm41v-pc", answer=answer, step_of=lambda req: req.step,
                  current_image=_current)
