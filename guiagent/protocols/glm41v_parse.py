"""Turn a GLM-4.1V answer into an action, whatever shape the deployment gives it.

Real answers vary: the think part inline or in ``reasoning_content``; box
markers kept or stripped by the server; a point or a 4-number box; single or
double quotes; prose around the call; an ``Action:`` prefix. The parser finds
the first call to a known action and reads its arguments with Python's own
literal syntax, falling back to a tolerant reader for sloppy quoting.
Anything it cannot read raises :class:`ModelResponseError` with the raw text.
"""

from __future__ import annotations

import ast
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
from .base import ParsedAnswer

__all__ = ["BEGIN_BOX", "END_BOX", "ParsedAnswer", "parse_answer", "parse_memory", "split_answer",
           "strip_box_markers"]

BEGIN_BOX, END_BOX = "<|begin_of_box|>", "<|end_of_box|>"

# Canonical name -> (class, positional parameter order). Aliases map other spellings.
_SPEC: dict[str, tuple[type[Action], tuple[str, ...]]] = {
    "left_click": (LeftClick, ("start_box", "element_info")),
    "right_click": (RightClick, ("start_box", "element_info")),
    "middle_click": (MiddleClick, ("start_box", "element_info")),
    "hover": (Hover, ("start_box", "element_info")),
    "left_double_click": (LeftDoubleClick, ("start_box", "element_info")),
    "left_drag": (LeftDrag, ("start_box", "end_box", "element_info")),
    "key": (Key, ("keys",)),
    "type": (Type, ("content",)),
    "scroll": (Scroll, ("start_box", "direction", "step", "element_info")),
    "wait": (Wait, ()),
    "done": (Done, ()),
    "fail": (Fail, ()),
    "answer": (Answer, ("content",)),
}
_ALIASES = {
    "click": "left_click", "double_click": "left_double_click", "drag": "left_drag",
    "hotkey": "key", "press": "key", "finished": "done", "infeasible": "fail",
}
_NAMES = sorted([*_SPEC, *_ALIASES], key=len, reverse=True)
_CALL_RE = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(_NAMES) + r")\(", re.IGNORECASE)
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
_PARAM_ALIASES = {"point": "start_box", "start_point": "start_box", "end_point": "end_box",
                  "text": "content", "key": "keys", "steps": "step"}



def split_answer(content: str, reasoning: str | None = None) -> tuple[str, str]:
    """Return ``(thinking, answer_text)`` from the raw content (and reasoning field)."""
    text = content or ""
    thinking = (reasoning or "").strip()
    match = re.search(r"<think>(.*?)</think>", text, re.DOTALL)
    if match:
        thinking = (thinking + "\n" + match.group(1)).strip() if thinking else match.group(1).strip()
        text = text[match.end():]
    elif "</think>" in text:  # the opening tag went into the prompt or was stripped
        head, _, text = text.partition("</think>")
        thinking = thinking or head.strip()
    elif "<think>" in text and "<answer>" not in text:
        raise ModelResponseError(
            "the answer stops inside <think>: the model's reasoning hit the token limit "
            "before it chose an action", raw=content,
        )
    answer = re.search(r"<answer>(.*?)(?:</answer>|$)", text, re.DOTALL)
    body = answer.group(1) if answer else text
    return thinking, body.strip()


def strip_box_markers(text: str) -> str:
    """Remove the grounding special tokens, as history entries need."""
    return text.replace(BEGIN_BOX, "").replace(END_BOX, "")


def parse_memory(answer_text: str) -> Any:
    """Read the JSON list after ``Memory:``; the raw text if it is not JSON, [] if absent."""
    idx = answer_text.rfind("Memory:")
    if idx < 0:
        return []
    tail = answer_text[idx + len("Memory:"):].strip()
    tail = tail.split("</answer>")[0].strip()
    try:
        return json.loads(tail)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: absurdly deep nesting
        decoder = json.JSONDecoder()
        try:
            value, _ = decoder.raw_decode(tail)
            return value
        except (json.JSONDecodeError, RecursionError):
            return tail


def parse_answer(content: str, reasoning: str | None = None) -> ParsedAnswer:
    """Parse one raw model answer into a :class:`ParsedAnswer`."""
    thinking, answer_text = split_answer(content, reasoning)
    boxed = re.search(re.escape(BEGIN_BOX) + r"(.*?)" + re.escape(END_BOX), answer_text, re.DOTALL)
    search_in = [boxed.group(1)] if boxed else []
    search_in.append(answer_text.split("Memory:")[0] if "Memory:" in answer_text else answer_text)
    last_error: ModelResponseError | None = None
    for text in search_in:
        for match in _CALL_RE.finditer(text):
            try:
                action, call = _read_call(text, match)
            except ModelResponseError as exc:
                last_error = last_error or exc
                continue
            return ParsedAnswer(
                action=action, call=call, thinking=thinking, answer_text=answer_text,
                memory=parse_memory(answer_text),
            )
    if last_error is not None:
        raise ModelResponseError(str(last_error), raw=content)
    raise ModelResponseError(
        "no action found in the answer: expected one call such as "
        "left_click(start_box='[x,y]'), type(content='...'), key(keys='enter') or DONE()",
        raw=content,
    )


def _read_call(text: str, match: re.Match[str]) -> tuple[Action, str]:
    name = match.group(1).lower()
    name = _ALIASES.get(name, name)
    cls, order = _SPEC[name]
    open_at = match.end() - 1
    close_at = _matching_paren(text, open_at)
    if close_at is None:
        raise ModelResponseError(f"the call {name}( is never closed")
    call = text[match.start(): close_at + 1]
    args = _read_args(text[open_at + 1: close_at], order)
    return _build(name, cls, args), call


def _matching_paren(text: str, open_at: int) -> int | None:
    """Index of the ``)`` closing ``text[open_at]``, skipping quoted strings."""
    depth, quote, i = 0, "", open_at
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    # An unbalanced quote (``type(content='it's')``): fall back to the last ``)``.
    last = text.rfind(")")
    return last if last > open_at else None


def _read_args(inner: str, order: tuple[str, ...]) -> dict[str, Any]:
    inner = inner.strip()
    if not inner:
        return {}
    try:
        call = ast.parse(f"f({inner})", mode="eval").body
        assert isinstance(call, ast.Call)
        args = {order[i]: ast.literal_eval(a) for i, a in enumerate(call.args) if i < len(order)}
        for kw in call.keywords:
            if kw.arg is not None:
                args[_PARAM_ALIASES.get(kw.arg, kw.arg)] = ast.literal_eval(kw.value)
        return args
    except (SyntaxError, ValueError, TypeError, AssertionError, IndexError, MemoryError,
            RecursionError):  # TypeError: {[1]: 2}; Memory/Recursion: absurdly deep nesting
        return _read_args_loosely(inner)


_KW_RE = re.compile(r"(?:^|,)\s*([A-Za-z_]+)\s*=\s*")


def _read_args_loosely(inner: str) -> dict[str, Any]:
    """Keyword arguments split at ``, name=``, each value stripped of one pair of quotes."""
    marks = list(_KW_RE.finditer(inner))
    args: dict[str, Any] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(inner)
        value = inner[m.end(): end].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        args[_PARAM_ALIASES.get(m.group(1), m.group(1))] = value
    if not args:
        raise ModelResponseError(f"cannot read the arguments {inner!r}")
    return args


def _point(value: Any, param: str) -> Point:
    numbers = [float(n) for n in _NUMBER_RE.findall(str(value))] if not isinstance(
        value, list | tuple) else [float(n) for n in _flatten(value)]
    if len(numbers) == 2:
        return Point(x=numbers[0], y=numbers[1])
    if len(numbers) == 4:
        x1, y1, x2, y2 = numbers
        return Point(x=(x1 + x2) / 2, y=(y1 + y2) / 2)
    raise ModelResponseError(f"{param}={value!r} is neither a point [x,y] nor a box [x1,y1,x2,y2]")


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [n for v in value for n in _flatten(v)]
    return [value]


def _build(name: str, cls: type[Action], args: dict[str, Any]) -> Action:
    try:
        for box in ("start_box", "end_box"):
            if box in args:
                args[box] = _point(args[box], box)
        if name == "key":
            raw = args.get("keys", "")
            if isinstance(raw, list | tuple):
                raw = "+".join(str(k) for k in raw)
            args["keys"] = combo_text(parse_combo(str(raw)))
        if name == "scroll":
            args["direction"] = str(args.get("direction", "")).strip().lower()
            if "step" in args:
                args["step"] = int(float(args["step"]))
        if name in ("type", "answer"):
            args["content"] = str(args.get("content", ""))
        if "element_info" in args:
            args["element_info"] = str(args["element_info"])
        known = set(cls.model_fields) - {"action"}
        return cls(**{k: v for k, v in args.items() if k in known})
    except ActionRefusedError as exc:
        raise ModelResponseError(str(exc)) from exc
    except (ValidationError, ValueError, TypeError, OverflowError) as exc:  # Overflow: int(inf)
        first = exc.errors()[0] if isinstance(exc, ValidationError) else {"msg": str(exc)}
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ModelResponseError(
            f"invalid {name}(...) call: {where + ': ' if where else ''}{first['msg']}"
        ) from exc
