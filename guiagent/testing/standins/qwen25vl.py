"""Qwen2.5-VL stand-in: a ``<tool_call>`` with ``coordinate`` in smart-resized pixels.

Requests carry one image after the text; the earlier steps are ``Step N:``
entries of the task progress. The coordinate is computed for the image the
request carried, smart-resized as Qwen2.5-VL's processor would (factor 28).
"""

from __future__ import annotations

import json
import re
from typing import Any

from PIL import Image

from ...geometry import Size
from ...protocols.coordinates import SmartResizedPixels
from ..model_server import ModelRequest
from . import IntendedAction, StandIn

#: The published processor settings, written out here (not the adapter's) so a wrong
#: adapter setting shows as a missed click.
RESIZE = SmartResizedPixels(factor=28, min_pixels=4 * 28 * 28, max_pixels=16384 * 28 * 28)

_PROGRESS_STEP = re.compile(r"Step \d+: ")


def tool_call(arguments: dict[str, Any]) -> str:
    """``<tool_call>`` around the ``computer_use`` call, as Qwen-VL writes it."""
    return ("<tool_call>\n" + json.dumps({"name": "computer_use", "arguments": arguments},
                                         ensure_ascii=False) + "\n</tool_call>")


def arguments(action: IntendedAction, coordinate: list[int] | None) -> dict[str, Any]:
    """The ``computer_use`` arguments of an intended action (shared with Qwen3-VL)."""
    if action.kind == "click":
        return {"action": "left_click", "coordinate": coordinate}
    if action.kind == "double_click":
        return {"action": "double_click", "coordinate": coordinate}
    if action.kind == "scroll":
        return {"action": "scroll", "coordinate": coordinate,
                "pixels": 5 if action.direction == "up" else -5}
    if action.kind == "type":
        return {"action": "type", "text": action.text}
    if action.kind == "key":
        return {"action": "key", "keys": action.keys.split("+")}
    if action.kind == "answer":
        return {"action": "answer", "text": action.text}
    if action.kind == "wait":
        return {"action": "wait", "time": 2}
    return {"action": "terminate", "status": "success" if action.kind == "done" else "failure"}


def answer(action: IntendedAction, image: Size) -> str:
    """The tool call, ``coordinate`` in pixels of the smart-resized image."""
    coordinate = None
    if action.at is not None:
        size = RESIZE.resized(image)
        coordinate = [round(action.at[0] * size.width), round(action.at[1] * size.height)]
    return tool_call(arguments(action, coordinate))


def step_of(req: ModelRequest) -> int:
    """The task progress lists one ``Step N:`` per earlier step."""
    user = [m for m in req.body.get("messages", []) if m.get("role") == "user"]
    texts = [p.get("text", "") for m in user for p in (m.get("content") or [])
             if isinstance(p, dict)]
    progress = "\n".join(texts).split("Task progress", 1)[-1]
    return len(_PROGRESS_STEP.findall(progress)) + 1


def current_image(req: ModelRequest) -> Image.Image:
    """The one image of the request."""
    return req.images[-1]


STANDIN = StandIn(name="qwen25vl", answer=answer, step_of=step_of, current_image=current_image)
