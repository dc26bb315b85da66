"""Generic ``json`` stand-in: one schema-valid JSON object, points in thousandths.

It answers only requests that carry guiagent's step schema as
``response_format`` (a real server would otherwise not enforce it), and every
answer it writes is checked against that schema's action union first.
"""

from __future__ import annotations

import json
import re
from typing import Any

from PIL import Image

from ...actions import ACTION_ADAPTER
from ...geometry import Size
from ...protocols.json_actions import response_format
from ..model_server import ModelRequest
from . import IntendedAction, StandIn

_STEP = re.compile(r"^step \d+: ", re.MULTILINE)


def action_object(action: IntendedAction) -> dict[str, Any]:
    """The action as the schema spells it (every field present)."""
    point = None
    if action.at is not None:
        p = action.thousandths()
        point = {"x": round(p.x), "y": round(p.y)}
    if action.kind in ("click", "double_click"):
        name = "left_double_click" if action.kind == "double_click" else "left_click"
        return {"action": name, "start_box": point, "element_info": action.info}
    if action.kind == "scroll":
        return {"action": "scroll", "start_box": point, "direction": action.direction, "step": 5,
                "element_info": action.info}
    if action.kind == "type":
        return {"action": "type", "content": action.text}
    if action.kind == "key":
        return {"action": "key", "keys": action.keys}
    if action.kind == "answer":
        return {"action": "answer", "content": action.text}
    return {"action": {"done": "DONE", "fail": "FAIL", "wait": "WAIT"}[action.kind]}


def answer(action: IntendedAction, image: Size) -> str:
    """``{"thought", "action", "memory"}`` as one JSON object."""
    obj = action_object(action)
    ACTION_ADAPTER.validate_python(obj)
    memory = [str(m) for m in action.memory]
    return json.dumps({"thought": action.say or "I act.", "action": obj, "memory": memory},
                      ensure_ascii=False)


def check(req: ModelRequest) -> str | None:
    """A request without the step schema as ``response_format`` is refused."""
    if req.body.get("response_format") != response_format():
        return ("the request does not carry guiagent's step schema as response_format "
                f"(got {str(req.body.get('response_format'))[:200]})")
    return None


def step_of(req: ModelRequest) -> int:
    """The history lists one ``step N:`` line per earlier step."""
    history = req.text.split("# History", 1)[-1].split("# Memory", 1)[0]
    return len(_STEP.findall(history)) + 1


def current_image(req: ModelRequest) -> Image.Image:
    """The one image of the request."""
    return req.images[0]


STANDIN = StandIn(name="json", answer=answer, step_of=step_of, current_image=current_image,
                  check=check)
