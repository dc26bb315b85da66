"""Qwen-VL <tool_call> answers as the cookbooks show them."""

import pytest

from guiagent.actions import (
    Answer,
    Done,
    Fail,
    Hover,
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
from guiagent.errors import ModelResponseError
from guiagent.protocols.qwen_tool_call import (
    QWEN3_EXTRA_ACTIONS,
    QWEN25_ACTIONS,
    last_pointer,
    parse_tool_call,
)

Q3 = QWEN25_ACTIONS + QWEN3_EXTRA_ACTIONS


def call(args: str) -> str:
    return '<tool_call>\n{"name": "computer_use", "arguments": ' + args + '}\n</tool_call>'


def parse(text, actions=QWEN25_ACTIONS, pointer=None, centre=None):
    return parse_tool_call(text, None, actions=actions, pointer=pointer, centre=centre)


def test_cookbook_click():
    parsed = parse(call('{"action": "left_click", "coordinate": [935, 406]}'))
    assert parsed.action == LeftClick(start_box=Point(x=935, y=406))
    assert parsed.call == '{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [935, 406]}}'


def test_qwen3_thought_action_preamble_and_think():
    text = ("<think>hmm</think>Thought: The field is empty.\nAction: Click the name field.\n"
            + call('{"action": "left_click", "coordinate": [500, 250]}'))
    parsed = parse(text, Q3)
    assert parsed.action.start_box == Point(x=500, y=250)
    assert parsed.thinking.startswith("hmm\nThought: The field is empty.")


@pytest.mark.parametrize(("args", "action"), [
    ('{"action": "key", "keys": ["ctrl", "c"]}', Key(keys="ctrl+c")),
    ('{"action": "key", "keys": ["Return"]}', Key(keys="enter")),
    ('{"action": "type", "text": "Ada \\"L\\""}', Type(content='Ada "L"')),
    ('{"action": "mouse_move", "coordinate": [1, 2]}', Hover(start_box=Point(x=1, y=2))),
    ('{"action": "right_click", "coordinate": "(3, 4)"}', RightClick(start_box=Point(x=3, y=4))),
    ('{"action": "double_click", "coordinate": [5, 6]}', LeftDoubleClick(start_box=Point(x=5, y=6))),
    ('{"action": "scroll", "pixels": -3, "coordinate": [5, 6]}',
     Scroll(start_box=Point(x=5, y=6), direction="down", step=3)),
    ('{"action": "wait", "time": 2}', Wait()),
    ('{"action": "terminate", "status": "success"}', Done()),
    ('{"action": "terminate", "status": "failure"}', Fail()),
])
def test_actions(args, action):
    assert parse(call(args)).action == action


def test_arguments_as_a_json_string_and_no_closing_tag():
    text = '<tool_call>\n{"name": "computer_use", "arguments": "{\\"action\\": \\"wait\\"}"}'
    assert parse(text).action == Wait()


def test_drag_starts_at_the_pointer_from_history():
    history = [call('{"action": "left_click", "coordinate": [10, 20]}'),
               call('{"action": "mouse_move", "coordinate": [30, 40]}'),
               call('{"action": "type", "text": "x"}')]
    pointer = last_pointer(history)
    assert pointer == Point(x=30, y=40)
    parsed = parse(call('{"action": "left_click_drag", "coordinate": [70, 80]}'), pointer=pointer)
    assert parsed.action == LeftDrag(start_box=Point(x=30, y=40), end_box=Point(x=70, y=80))
    with pytest.raises(ModelResponseError, match="mouse_move to the start"):
        parse(call('{"action": "left_click_drag", "coordinate": [70, 80]}'))


def test_click_and_scroll_without_coordinate():
    pointer, centre = Point(x=1, y=1), Point(x=500, y=400)
    assert parse(call('{"action": "left_click"}'), pointer=pointer).action.start_box == pointer
    assert parse(call('{"action": "scroll", "pixels": 5}'), centre=centre).action == Scroll(
        start_box=centre, direction="up", step=5)
    with pytest.raises(ModelResponseError, match="needs a coordinate"):
        parse(call('{"action": "left_click"}'))


def test_qwen3_only_actions():
    assert parse(call('{"action": "answer", "text": "42"}'), Q3).action == Answer(content="42")
    assert parse(call('{"action": "triple_click", "coordinate": [1, 2]}'), Q3).action == \
        LeftDoubleClick(start_box=Point(x=1, y=2))
    with pytest.raises(ModelResponseError, match="unknown action 'answer'"):
        parse(call('{"action": "answer", "text": "42"}'))
    with pytest.raises(ModelResponseError, match="horizontal"):
        parse(call('{"action": "hscroll", "pixels": 3}'), Q3)


@pytest.mark.parametrize(("text", "message"), [
    ("I click the button.", "no <tool_call>"),
    ("<tool_call>\nnot json\n</tool_call>", "no <tool_call>"),
    (call('{"action": "left_click", "coordinate": [1]}'), r"not \[x, y\]"),
    (call('{"action": "scroll", "pixels": 0}'), "needs pixels"),
    (call('{"action": "key", "keys": ["hyperkey"]}'), "unknown key"),
    ('<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click"}}\n</tool_call>',
     "no <tool_call>"),
])
def test_unusable_answers(text, message):
    with pytest.raises(ModelResponseError, match=message):
        parse(text, centre=Point(x=1, y=1))
