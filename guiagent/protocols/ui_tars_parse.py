"""Read a UI-TARS-1.5 answer: ``Thought: ...`` then ``Action: call(...)``.

Facts followed (docs/protocols.md, "ui-tars"): the call comes after the last
``Action:``; several calls may follow, separated by a blank line (guiagent
takes the first: one action per step). Points are written
``start_box='<|box_start|>(x,y)<|box_end|>'`` (the markers vanish when the
server skips special tokens) or, in the newer notation,
``point='<point>x y</point>'``; both are read, and a 4-number box counts as
its centre. Coordinates stay as the model wrote them: absolute pixels of the
smart-resized image (the adapter's convention maps them).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from pydantic import ValidationError

from ..actions import (
    Action,
    Answer,
    Done,
    Fail,
    Key,
    LeftClick,
    LeftDoubleClick,
    LeftDrag,
    Point,
    RightClick,
    Scroll,
    Type,
    Wait,
)
from ..errors import ActionRefusedError, ModelResponseError
from ..keys import combo_text, parse_combo
from .base import ParsedAnswer

BOX_START, BOX_END = "<|box_start|>", "<|box_end|>"
#: What each UI-TARS computer action becomes in guiagent's action schema.
ACTION_NAMES = ("click", "left_single", "left_double", "right_single", "drag", "select",
                "hotkey", "press", "type", "scroll", "wait", "finished", "call_user")
_MOBILE_ONLY = ("long_press", "open_app", "press_home", "press_back")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_THOUGHT = re.compile(r"(?:Thought|Action_Summary):\s*(.+?)(?=\s*Action:|$)", re.DOTALL)
_REFLECTION = re.compile(r"Reflection:\s*(.+?)(?=\s*Action_Summary:|\s*Action:|$)", re.DOTALL)


def strip_box_tokens(text: str) -> str:
    """The answer without the point markers (vLLM drops them anyway unless told not to)."""
    return text.replace(BOX_START, "").replace(BOX_END, "")


def add_box_tokens(text: str) -> str:
    """Put the markers back around each ``start_box``/``end_box`` value, as UI-TARS replays history."""
    plain = strip_box_tokens(text)
    return re.sub(r"((?:start|end)_box=)(['\"])(.*?)\2",
                  lambda m: f"{m.group(1)}{m.group(2)}{BOX_START}{m.group(3)}{BOX_END}{m.group(2)}",
                  plain)


def parse_ui_tars(content: str, reasoning: str | None = None) -> ParsedAnswer:
    """Parse one UI-TARS answer; raise :class:`ModelResponseError` with what to fix."""
    text = re.sub(r"<think>.*?</think>", "", content or "", flags=re.DOTALL)
    for token in ("[EOS]", "<|im_end|>", "<|endoftext|>"):
        text = text.replace(token, "")
    text = strip_box_tokens(text).strip()
    if "Action:" not in text:
        raise ModelResponseError(
            "no 'Action:' line in the answer: reply with 'Thought: ...' and then "
            "'Action: ...' holding one call such as click(start_box='(x,y)')", raw=content)
    head, _, tail = text.rpartition("Action:")
    thought = " ".join(m.group(1).strip() for m in (_REFLECTION.search(head), _THOUGHT.search(head))
                       if m)
    first = re.split(r"(?<=\))\n\n", tail.strip().strip("`").strip())[0]
    call = _notation(first.strip())
    if ")" in call and not call.endswith(")"):  # a closing fence or end token after the call
        call = call[:call.rfind(")") + 1]
    if not call:
        raise ModelResponseError("the 'Action:' line is empty: give one call such as "
                                 "click(start_box='(x,y)')", raw=content)
    action = _action(call, content)
    thinking = "\n".join(p for p in ((reasoning or "").strip(), thought) if p)
    return ParsedAnswer(action=action, call=call, thinking=thinking, answer_text=text, memory=[])


def _notation(call: str) -> str:
    """Rewrite the ``<point>``/``<bbox>`` notation into ``start_box='(x,y)'``."""
    call = re.sub(r"<(?:point|bbox)>\s*([-\d.\s,]+?)\s*</(?:point|bbox)>",
                  lambda m: "(" + ",".join(_NUMBER.findall(m.group(1))) + ")", call)
    call = re.sub(r"\b(start_point|point)\s*=", "start_box=", call)
    return re.sub(r"\bend_point\s*=", "end_box=", call)


def _arguments(call: str, raw: str) -> tuple[str, dict[str, Any]]:
    match = re.match(r"\s*([A-Za-z_]+)\s*\((.*)\)\s*$", call, re.DOTALL)
    if not match:
        raise ModelResponseError(f"cannot read the action {call[:200]!r}: expected a call "
                                 "such as click(start_box='(x,y)')", raw=raw)
    name, inner = match.group(1).lower(), match.group(2)
    if name == "type":  # quotes inside the text are often left unescaped
        text = re.match(r"\s*content\s*=\s*(['\"])(.*)\1\s*$", inner, re.DOTALL)
        if text:
            try:
                return name, {"content": ast.literal_eval(text.group(1) + text.group(2)
                                                          + text.group(1))}
            except (SyntaxError, ValueError):
                return name, {"content": text.group(2).replace("\\n", "\n")}
    try:
        node = ast.parse(f"f({inner})", mode="eval").body
        assert isinstance(node, ast.Call)
        return name, {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    except (SyntaxError, ValueError, TypeError, AssertionError, MemoryError, RecursionError):
        raise ModelResponseError(f"cannot read the arguments of {call[:200]!r}: write them as "
                                 "name='value'", raw=raw) from None


def _point(value: Any, param: str, raw: str) -> Point:
    numbers = [float(n) for n in _NUMBER.findall(str(value))]
    if len(numbers) == 2:
        return Point(x=numbers[0], y=numbers[1])
    if len(numbers) == 4:
        return Point(x=(numbers[0] + numbers[2]) / 2, y=(numbers[1] + numbers[3]) / 2)
    raise ModelResponseError(f"{param}={value!r} is not a point (x,y)", raw=raw)


def _action(call: str, raw: str) -> Action:
    name, args = _arguments(call, raw)
    if name in _MOBILE_ONLY:
        raise ModelResponseError(f"{name}() is a phone action; use the computer actions "
                                 "(click, type, hotkey, scroll, drag, ...)", raw=raw)

    def box(param: str) -> Point:
        if not args.get(param):
            raise ModelResponseError(f"{name}() needs {param}='(x,y)'", raw=raw)
        return _point(args[param], param, raw)

    try:
        if name in ("click", "left_single"):
            return LeftClick(start_box=box("start_box"))
        if name == "left_double":
            return LeftDoubleClick(start_box=box("start_box"))
        if name == "right_single":
            return RightClick(start_box=box("start_box"))
        if name in ("drag", "select"):
            return LeftDrag(start_box=box("start_box"), end_box=box("end_box"))
        if name in ("hotkey", "press"):
            keys = str(args.get("key") or args.get("hotkey") or args.get("press") or "")
            return Key(keys=combo_text(parse_combo("+".join(keys.split()))))
        if name == "type":
            return Type(content=str(args.get("content", "")))
        if name == "scroll":
            direction = str(args.get("direction", "")).strip().lower()
            if direction in ("left", "right"):
                raise ModelResponseError(
                    "horizontal scrolling is not available here: scroll up or down, or use "
                    "hotkey(key='shift ...') or drag instead", raw=raw)
            return Scroll(start_box=box("start_box"), direction=direction,  # type: ignore[arg-type]
                          step=5)
        if name == "wait":
            return Wait()
        if name == "finished":
            content = str(args.get("content", "")).strip()
            return Answer(content=content) if content else Done()
        if name == "call_user":
            return Fail()
    except ActionRefusedError as exc:
        raise ModelResponseError(str(exc), raw=raw) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ModelResponseError(f"invalid {name}(...): {where}: {first['msg']}", raw=raw) from exc
    raise ModelResponseError(f"unknown action {name}(); use one of: "
                             + ", ".join(a for a in ACTION_NAMES if a not in
                                         ("left_single", "select", "press", "call_user")),
                             raw=raw)
