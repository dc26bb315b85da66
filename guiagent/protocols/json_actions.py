"""guiagent's action union as a plain JSON schema, and answers read back against it.

The ``json`` protocol asks any OpenAI-compatible VLM for a JSON object (a
thought, one action, a memory list) and sends this schema as
``response_format`` so that vLLM enforces it with structured outputs and hosted
APIs accept it. The schema is kept plain on purpose (objects, strings,
numbers, integers, one-value enums, every property required,
``additionalProperties: false``): that is what OpenAI's strict mode demands and
what every vLLM structured-output backend can enforce. Ranges the schema leaves
out (a scroll's step, points within 0-1000) are checked again here and by the
screen frame.
"""

from __future__ import annotations

import json
import typing
from functools import cache
from typing import Any

from pydantic import ValidationError

from ..actions import ACTION_ADAPTER, Action
from ..errors import ModelResponseError
from .base import ParsedAnswer, split_think

SCHEMA_NAME = "guiagent_step"
_DROP = {"title", "default", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
         "discriminator"}


def action_classes() -> list[type]:
    """The pydantic classes of the action union, in declaration order."""
    union = typing.get_args(Action)[0]
    return list(typing.get_args(union))


def _plain(node: Any, defs: dict[str, Any]) -> Any:
    """Inline ``$ref``s, turn ``const`` into a one-value enum, drop what strict mode refuses."""
    if isinstance(node, list):
        return [_plain(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _plain(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key == "$defs":
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "description":
            out[key] = " ".join(str(value).replace("``", "`").split())
        elif key == "properties":
            out[key] = {name: _plain(prop, defs) for name, prop in value.items()}
        else:
            out[key] = _plain(value, defs)
    if out.get("type") == "object" and "properties" in out:
        names = list(out["properties"])
        if "action" in names:  # the discriminator first: models write it first
            names.remove("action")
            names.insert(0, "action")
            out["properties"] = {n: out["properties"][n] for n in names}
        out["required"] = names
        out["additionalProperties"] = False
    return out


@cache
def action_schema() -> dict[str, Any]:
    """``anyOf`` one object per action, each with every field required."""
    variants = []
    for cls in action_classes():
        schema = cls.model_json_schema()  # type: ignore[attr-defined]
        variants.append(_plain(schema, schema.get("$defs", {})))
    return {"anyOf": variants}


@cache
def step_schema() -> dict[str, Any]:
    """The whole answer: ``{"thought": str, "action": <one action>, "memory": [str]}``."""
    return {
        "type": "object",
        "properties": {
            "thought": {"type": "string",
                        "description": "What you see and why you choose this action, briefly."},
            "action": action_schema(),
            "memory": {"type": "array", "items": {"type": "string"},
                       "description": "Facts to keep for later steps (may be empty)."},
        },
        "required": ["thought", "action", "memory"],
        "additionalProperties": False,
    }


def response_format() -> dict[str, Any]:
    """The ``response_format`` body field: the step schema, strict."""
    return {"type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": step_schema(), "strict": True}}


def action_space_text() -> str:
    """One line per action: its name and fields, for the prompt (vLLM advises describing it)."""
    lines = []
    for cls in action_classes():
        variant = _plain(cls.model_json_schema(), cls.model_json_schema().get("$defs", {}))  # type: ignore[attr-defined]
        props = variant["properties"]
        name = props["action"]["enum"][0]
        fields = ", ".join(f'"{k}": {_kind(v)}' for k, v in props.items() if k != "action")
        example = '{"action": "' + name + '"' + (", " + fields if fields else "") + "}"
        lines.append(f"- {example}: {variant.get('description', '')}")
    return "\n".join(lines)


def _kind(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(json.dumps(v) for v in prop["enum"])
    if prop.get("type") == "object":
        return "{" + ", ".join(f'"{k}": {_kind(v)}' for k, v in prop["properties"].items()) + "}"
    return {"string": "string", "number": "number", "integer": "integer"}.get(prop.get("type", ""),
                                                                             "value")


def parse_json_answer(content: str, reasoning: str | None = None) -> ParsedAnswer:
    """Read a step object; raise :class:`ModelResponseError` saying what is wrong."""
    thinking, text = split_think(content, reasoning)
    start = text.find("{")
    if start < 0:
        raise ModelResponseError("the answer holds no JSON object: reply with one object "
                                 '{"thought": ..., "action": {...}, "memory": [...]}', raw=content)
    try:
        value, end = json.JSONDecoder().raw_decode(text[start:])
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ModelResponseError(f"the answer is not valid JSON ({exc}): reply with one object "
                                 '{"thought": ..., "action": {...}, "memory": [...]}',
                                 raw=content) from None
    if not isinstance(value, dict):
        raise ModelResponseError("the answer must be a JSON object, not "
                                 f"{type(value).__name__}", raw=content)
    raw_action = value.get("action")
    if isinstance(raw_action, str):  # the action object itself, without the wrapper
        raw_action, value = value, {}
    if not isinstance(raw_action, dict):
        raise ModelResponseError('the object has no "action" object: put one action from the '
                                 'list under "action"', raw=content)
    try:
        action = ACTION_ADAPTER.validate_python(raw_action)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ModelResponseError(f"invalid action {json.dumps(raw_action)[:200]}: "
                                 f"{where + ': ' if where else ''}{first['msg']}",
                                 raw=content) from None
    thought = value.get("thought")
    if isinstance(thought, str) and thought.strip():
        thinking = "\n".join(p for p in (thinking, thought.strip()) if p)
    memory = value.get("memory", [])
    return ParsedAnswer(action=action, call=json.dumps(raw_action, ensure_ascii=False),
                        thinking=thinking, answer_text=text[start:start + end],
                        memory=memory if isinstance(memory, list) else [])
