"""Qwen-VL computer use: the ``computer_use`` tool and its ``<tool_call>`` answers.

Facts followed (docs/protocols.md, "qwen25vl"/"qwen3vl"): the tool is described
in the system message inside ``<tools></tools>`` (qwen-agent's function-call
layout) and the model answers ``<tool_call>\\n{"name": "computer_use",
"arguments": {"action": "left_click", "coordinate": [x, y]}}\\n</tool_call>``,
Qwen3-VL after a ``Thought:``/``Action:`` preamble. ``left_click_drag`` names
only where the drag ends: it starts where the pointer is, so the parser is told
the pointer's last position (from the history). ``scroll`` and the clicks may
omit ``coordinate``: they then act at the pointer, or at the screen's centre
before any pointer move.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from ..actions import (
    Action,
    Answer,
    Done,
    Fail,
    Hover,
    Key,
    LeftClick,
    LeftDoubleClick,
    LeftDrag,
    MiddleClick,
    Point,
    RightClick,
    Scroll,
    Type,
    Wait,
)
from ..errors import ActionRefusedError, ModelResponseError
from ..keys import combo_text, parse_combo
from .base import ParsedAnswer, split_think

TOOL_NAME = "computer_use"
#: Qwen2.5-VL's ``computer_use`` actions, in the published order.
QWEN25_ACTIONS = ("key", "type", "mouse_move", "left_click", "left_click_drag", "right_click",
                  "middle_click", "double_click", "scroll", "wait", "terminate")
#: Qwen3-VL's revision adds these.
QWEN3_EXTRA_ACTIONS = ("triple_click", "hscroll", "answer")
_POINTER_ACTIONS = ("mouse_move", "left_click", "left_click_drag", "right_click", "middle_click",
                    "double_click", "triple_click", "scroll")
_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def computer_use_tool(description: str, actions: tuple[str, ...],
                      action_help: str) -> dict[str, Any]:
    """The tool definition line put between ``<tools>`` and ``</tools>``."""
    return {"type": "function", "function": {
        "name_for_human": TOOL_NAME, "name": TOOL_NAME, "description": description,
        "parameters": {
            "properties": {
                "action": {"description": action_help, "enum": list(actions), "type": "string"},
                "keys": {"description": "Required only by `action=key`.", "type": "array"},
                "text": {"description": "Required only by `action=type`"
                                        + (" and `action=answer`." if "answer" in actions else "."),
                         "type": "string"},
                "coordinate": {"description": "(x, y): the point to act on, x pixels from the "
                                              "left edge and y pixels from the top edge. Used by "
                                              "every mouse action.", "type": "array"},
                "pixels": {"description": "How far to scroll: positive values scroll up, "
                                          "negative values down. Required only by "
                                          "`action=scroll`"
                                          + (" and `action=hscroll`." if "hscroll" in actions
                                             else "."), "type": "number"},
                "time": {"description": "Seconds to wait. Required only by `action=wait`.",
                         "type": "number"},
                "status": {"description": "How the task ended. Required only by "
                                          "`action=terminate`.", "type": "string",
                           "enum": ["success", "failure"]},
            },
            "required": ["action"], "type": "object",
        },
        "args_format": "Format the arguments as a JSON object.",
    }}


def tool_call_arguments(content: str) -> tuple[dict[str, Any], str] | None:
    """The arguments of the answer's first ``computer_use`` call and the call's JSON text."""
    for match in _TOOL_CALL.finditer(content or ""):
        body = match.group(1).strip()
        start = body.find("{")
        if start < 0:
            continue
        try:
            value, end = json.JSONDecoder().raw_decode(body[start:])
        except (json.JSONDecodeError, RecursionError):
            continue
        if not isinstance(value, dict):
            continue
        args = value.get("arguments", {})
        if isinstance(args, str):  # some servers double-encode the arguments
            try:
                args = json.loads(args)
            except (json.JSONDecodeError, RecursionError):
                continue
        if isinstance(args, dict) and value.get("name", TOOL_NAME) == TOOL_NAME:
            return args, body[start:start + end]
    return None


def last_pointer(answers: list[str]) -> Point | None:
    """Where the pointer was left by the latest of these answers (raw family coordinates)."""
    for text in reversed(answers):
        found = tool_call_arguments(text)
        if found and found[0].get("action") in _POINTER_ACTIONS and "coordinate" in found[0]:
            try:
                return _point(found[0]["coordinate"], text)
            except ModelResponseError:
                continue
    return None


def parse_tool_call(content: str, reasoning: str | None, *, actions: tuple[str, ...],
                    pointer: Point | None, centre: Point | None) -> ParsedAnswer:
    """Parse a Qwen-VL computer-use answer into an action (raw family coordinates)."""
    thinking, text = split_think(content, reasoning)
    found = tool_call_arguments(text)
    if found is None:
        raise ModelResponseError(
            "no <tool_call> in the answer: reply with <tool_call>\n{\"name\": \"computer_use\", "
            "\"arguments\": {\"action\": ...}}\n</tool_call>", raw=content)
    args, call = found
    preamble = text[:text.find("<tool_call>")].strip()
    if preamble:
        thinking = "\n".join(p for p in (thinking, preamble) if p)
    action = _action(args, content, actions, pointer, centre)
    return ParsedAnswer(action=action, call=call, thinking=thinking, answer_text=text.strip(),
                        memory=[])


def _point(value: Any, raw: str) -> Point:
    numbers = ([float(v) for v in value] if isinstance(value, list | tuple)
               and all(isinstance(v, int | float) for v in value)
               else [float(n) for n in _NUMBER.findall(str(value))])
    if len(numbers) != 2:
        raise ModelResponseError(f"coordinate {value!r} is not [x, y]", raw=raw)
    return Point(x=numbers[0], y=numbers[1])


def _action(args: dict[str, Any], raw: str, actions: tuple[str, ...], pointer: Point | None,
            centre: Point | None) -> Action:
    name = str(args.get("action", "")).strip()
    if name not in actions:
        raise ModelResponseError(f"unknown action {name!r}; computer_use takes one of: "
                                 + ", ".join(actions), raw=raw)

    def at(required: bool = False) -> Point:
        if args.get("coordinate") is not None:
            return _point(args["coordinate"], raw)
        where = pointer if not required else None
        where = where or (centre if name == "scroll" else None)
        if where is None:
            raise ModelResponseError(f"action={name} needs a coordinate [x, y]", raw=raw)
        return where

    try:
        if name == "key":
            keys = args.get("keys", [])
            keys = "+".join(str(k) for k in keys) if isinstance(keys, list) else str(keys)
            return Key(keys=combo_text(parse_combo(keys)))
        if name == "type":
            return Type(content=str(args.get("text", "")))
        if name == "mouse_move":
            return Hover(start_box=at(required=True))
        if name == "left_click":
            return LeftClick(start_box=at())
        if name == "right_click":
            return RightClick(start_box=at())
        if name == "middle_click":
            return MiddleClick(start_box=at())
        if name in ("double_click", "triple_click"):  # triple: "simulated as double-click"
            return LeftDoubleClick(start_box=at())
        if name == "left_click_drag":
            if pointer is None:
                raise ModelResponseError("left_click_drag starts where the pointer is, and it "
                                         "has not been placed yet: mouse_move to the start "
                                         "first", raw=raw)
            return LeftDrag(start_box=pointer, end_box=at(required=True))
        if name == "scroll":
            pixels = int(float(args.get("pixels", 0)))
            if pixels == 0:
                raise ModelResponseError("action=scroll needs pixels (positive scrolls up, "
                                         "negative down)", raw=raw)
            return Scroll(start_box=at(), direction="up" if pixels > 0 else "down",
                          step=min(100, abs(pixels)))
        if name == "hscroll":
            raise ModelResponseError("horizontal scrolling is not available here: use scroll, "
                                     "key or left_click_drag instead", raw=raw)
        if name == "wait":
            return Wait()
        if name == "terminate":
            return Done() if str(args.get("status", "success")).lower() == "success" else Fail()
        if name == "answer":
            return Answer(content=str(args.get("text", "")))
    except ActionRefusedError as exc:
        raise ModelResponseError(str(exc), raw=raw) from exc
    except (ValidationError, ValueError, TypeError, OverflowError) as exc:
        raise ModelResponseError(f"invalid arguments for action={name}: {exc}", raw=raw) from exc
    raise AssertionError(f"unhandled action {name}")  # pragma: no cover - names checked above

