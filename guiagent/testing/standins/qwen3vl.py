"""Qwen3-VL stand-in: ``Thought:``, ``Action:``, then a ``<tool_call>`` in thousandths.

Requests replay the last steps as turns (one assistant message each) and list
older ones as ``Step N:`` lines under ``Previous actions:``; the current
screenshot comes last.
"""

from __future__ import annotations

import re

from PIL import Image

from ...geometry import Size
from ..model_server import ModelRequest
from . import IntendedAction, StandIn
from .qwen25vl import arguments, tool_call

_OLDER_STEP = re.compile(r"^Step \d+: ", re.MULTILINE)


def answer(action: IntendedAction, image: Size) -> str:
    """Thought, Action, then the tool call; ``coordinate`` in 0-1000 of the screenshot."""
    coordinate = None
    if action.at is not None:
        p = action.thousandths()
        coordinate = [round(p.x), round(p.y)]
    say = action.say or "I act."
    return f"Thought: {say}\nAction: {say}\n{tool_call(arguments(action, coordinate))}"


def step_of(req: ModelRequest) -> int:
    """Assistant turns plus the older steps listed as text."""
    messages = req.body.get("messages", [])
    turns = sum(1 for m in messages if m.get("role") == "assistant")
    texts = [p.get("text", "") for m in messages if m.get("role") == "user"
             for p in (m.get("content") or []) if isinstance(p, dict)]
    older = "\n".join(texts).split("Previous actions:", 1)[-1]
    return turns + len(_OLDER_STEP.findall(older)) + 1


def current_image(req: ModelRequest) -> Image.Image:
    """The current screenshot comes last."""
    return req.images[-1]


STANDIN = StandIn(name="qwen3vl", answer=answer, step_of=step_of, current_image=current_image)
