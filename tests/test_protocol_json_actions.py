"""The json protocol's schema is plain enough for strict mode, and answers are checked against it."""

import json

import pytest

from guiagent.actions import ACTION_ADAPTER, Answer, Done, LeftClick, Point, Scroll
from guiagent.errors import ModelResponseError
from guiagent.protocols.json_actions import (
    action_classes,
    parse_json_answer,
    response_format,
    step_schema,
)


def walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_schema_is_strict_mode_plain():
    fmt = response_format()
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "guiagent_step"
    text = json.dumps(fmt)
    for word in ("$ref", "$defs", "const", "minimum", "maximum", "default", "discriminator",
                 "oneOf"):
        assert f'"{word}"' not in text, word
    for node in walk(step_schema()):
        if isinstance(node, dict) and node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert set(node["required"]) == set(node["properties"])


def test_schema_covers_every_action_of_the_union():
    names = [v["properties"]["action"]["enum"][0]
             for v in step_schema()["properties"]["action"]["anyOf"]]
    assert names == [cls.model_fields["action"].default for cls in action_classes()]
    assert {"left_click", "type", "key", "scroll", "DONE", "answer"} <= set(names)


def test_every_schema_valid_example_loads_as_an_action():
    # One object per variant, filled with the simplest values the schema allows.
    def fill(prop):
        if "enum" in prop:
            return prop["enum"][0]
        if prop.get("type") == "object":
            return {k: fill(v) for k, v in prop["properties"].items()}
        return {"string": "x", "number": 500, "integer": 3}[prop["type"]]

    for variant in step_schema()["properties"]["action"]["anyOf"]:
        ACTION_ADAPTER.validate_python(fill(variant))


def test_parse_answer_with_thought_and_memory():
    text = json.dumps({"thought": "The name field is empty.",
                       "action": {"action": "left_click", "start_box": {"x": 250, "y": 125.5},
                                  "element_info": "Full name"},
                       "memory": ["name not yet typed"]})
    parsed = parse_json_answer(text, reasoning="I look.")
    assert parsed.action == LeftClick(start_box=Point(x=250, y=125.5), element_info="Full name")
    assert parsed.thinking == "I look.\nThe name field is empty."
    assert parsed.memory == ["name not yet typed"]
    assert json.loads(parsed.call)["action"] == "left_click"


def test_parse_tolerates_think_fences_and_a_bare_action():
    parsed = parse_json_answer('<think>hm</think>```json\n{"action": "DONE"}\n```')
    assert parsed.action == Done() and parsed.thinking == "hm"
    assert parse_json_answer('{"thought": "", "action": {"action": "answer", "content": "7"}, '
                             '"memory": []}').action == Answer(content="7")
    scroll = parse_json_answer('{"action": {"action": "scroll", "start_box": {"x": 1, "y": 2}, '
                               '"direction": "down", "step": 3, "element_info": ""}}').action
    assert scroll == Scroll(start_box=Point(x=1, y=2), direction="down", step=3)


@pytest.mark.parametrize(("text", "message"), [
    ("I will click.", "no JSON object"),
    ('{"thought": "x", "action": ', "not valid JSON"),
    ('{"thought": "x"}', 'no "action" object'),
    ('{"action": {"action": "fly"}}', "invalid action"),
    ('{"action": {"action": "scroll", "start_box": {"x": 1, "y": 2}, "direction": "down", '
     '"step": 1000, "element_info": ""}}', "step"),
])
def test_unusable_answers(text, message):
    with pytest.raises(ModelResponseError, match=message):
        parse_json_answer(text)
