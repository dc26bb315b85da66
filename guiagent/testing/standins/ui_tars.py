"""UI-TARS-1.5 stand-in: ``Thought:``/``Action:`` with points in smart-resized pixels.

Requests are multi-turn: one assistant message per earlier step, the current
screenshot last. The answer's point is computed for the image the request
carried, smart-resized as UI-TARS-1.5's processor would (factor 28).
"""

from __future__ import annotations

from PIL import Image

from ...geometry import Size
from ...protocols.coordinates import SmartResizedPixels
from ..model_server import ModelRequest
from . import IntendedAction, StandIn

#: The published processor settings, written out here (not the adapter's) so a wrong
#: adapter setting shows as a missed click.
RESIZE = SmartResizedPixels(factor=28, min_pixels=100 * 28 * 28, max_pixels=16384 * 28 * 28)


def quote(text: str) -> str:
    """A Python-style single-quoted string, as UI-TARS writes arguments."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def point(action: IntendedAction, image: Size) -> str:
    """``<|box_start|>(x,y)<|box_end|>`` in pixels of the smart-resized image."""
    size = RESIZE.resized(image)
    assert action.at is not None
    x, y = round(action.at[0] * size.width), round(action.at[1] * size.height)
    return f"<|box_start|>({x},{y})<|box_end|>"


def ui_tars_call(action: IntendedAction, image: Size) -> str:
    """The action as UI-TARS-1.5 writes it."""
    if action.kind == "click":
        return f"click(start_box='{point(action, image)}')"
    if action.kind == "double_click":
        return f"left_double(start_box='{point(action, image)}')"
    if action.kind == "scroll":
        return f"scroll(start_box='{point(action, image)}', direction='{action.direction}')"
    if action.kind == "type":
        return f"type(content={quote(action.text)})"
    if action.kind == "key":
        return f"hotkey(key={quote(' '.join(action.keys.split('+')))})"
    if action.kind == "answer":
        return f"finished(content={quote(action.text)})"
    return {"done": "finished()", "fail": "call_user()", "wait": "wait()"}[action.kind]


def answer(action: IntendedAction, image: Size) -> str:
    """The full answer: a thought, then the action."""
    return f"Thought: {action.say or 'I act.'}\nAction: {ui_tars_call(action, image)}"


def step_of(req: ModelRequest) -> int:
    """One assistant turn per earlier step."""
    return sum(1 for m in req.body.get("messages", []) if m.get("role") == "assistant") + 1


def current_image(req: ModelRequest) -> Image.Image:
    """The current screenshot comes last."""
    return req.images[-1]


STANDIN = StandIn(name="ui-tars", answer=answer, step_of=step_of, current_image=current_image)
