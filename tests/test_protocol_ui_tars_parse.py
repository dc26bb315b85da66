"""UI-TARS-1.5 answers as the model writes them, in both point notations."""

import pytest

from guiagent.actions import (
    Answer,
    Done,
    Fail,
    Key,
    LeftClick,
    LeftDoubleClick,
    LeftDrag,
    RightClick,
    Scroll,
    Type,
    Wait,
)
from guiagent.errors import ModelResponseError
from guiagent.protocols.ui_tars_parse import add_box_tokens, parse_ui_tars


def test_click_with_box_tokens_and_thought():
    parsed = parse_ui_tars("Thought: The Send button is at the bottom.\n"
                           "Action: click(start_box='<|box_start|>(197,525)<|box_end|>')")
    assert parsed.action == LeftClick(start_box={"x": 197, "y": 525})
    assert parsed.thinking == "The Send button is at the bottom."
    assert parsed.call == "click(start_box='(197,525)')"


def test_tokens_stripped_by_the_server_and_point_notation():
    assert parse_ui_tars("Thought: x\nAction: click(start_box='(10,20)')").action.start_box.x == 10
    parsed = parse_ui_tars("Thought: x\nAction: click(point='<point>177 549</point>')")
    assert parsed.action == LeftClick(start_box={"x": 177, "y": 549})
    drag = parse_ui_tars("Action: drag(start_point='<point>1 2</point>', end_point='<point>3 4</point>')")
    assert drag.action == LeftDrag(start_box={"x": 1, "y": 2}, end_box={"x": 3, "y": 4})


def test_box_counts_as_its_centre():
    parsed = parse_ui_tars("Action: left_double(start_box='(100,200,300,400)')")
    assert parsed.action == LeftDoubleClick(start_box={"x": 200, "y": 300})


@pytest.mark.parametrize(("answer", "action"), [
    ("right_single(start_box='(5,6)')", RightClick(start_box={"x": 5, "y": 6})),
    ("hotkey(key='ctrl c')", Key(keys="ctrl+c")),
    ("hotkey(key='arrowleft')", Key(keys="left")),
    ("type(content='hello\\n')", Type(content="hello\n")),
    ("type(content='it's fine')", Type(content="it's fine")),
    ("scroll(start_box='(5,6)', direction='up')", Scroll(start_box={"x": 5, "y": 6},
                                                         direction="up", step=5)),
    ("wait()", Wait()),
    ("finished()", Done()),
    ("finished(content='42 items')", Answer(content="42 items")),
    ("call_user()", Fail()),
])
def test_computer_actions(answer, action):
    assert parse_ui_tars(f"Thought: t\nAction: {answer}").action == action


def test_first_of_several_actions_and_eos():
    parsed = parse_ui_tars("Thought: t\nAction: click(start_box='(1,2)')\n\n"
                           "type(content='x')[EOS]")
    assert parsed.action == LeftClick(start_box={"x": 1, "y": 2})


def test_fenced_answer_and_end_tokens():
    parsed = parse_ui_tars("```\nThought: t\nAction: click(start_box='(1,2)')\n```<|im_end|>")
    assert parsed.action == LeftClick(start_box={"x": 1, "y": 2})
    assert parsed.call == "click(start_box='(1,2)')"


def test_reflection_layout():
    parsed = parse_ui_tars("Reflection: it worked\nAction_Summary: click OK\n"
                           "Action: click(start_box='(1,2)')")
    assert parsed.thinking == "it worked click OK"


@pytest.mark.parametrize(("answer", "message"), [
    ("I will click the button.", "no 'Action:'"),
    ("Action: ", "empty"),
    ("Action: click()", "start_box"),
    ("Action: scroll(start_box='(1,2)', direction='left')", "horizontal"),
    ("Action: open_app(app_name='Mail')", "phone action"),
    ("Action: fly(start_box='(1,2)')", "unknown action fly"),
    ("Action: click(start_box='(1)')", "not a point"),
    ("Action: hotkey(key='hyperkey')", "unknown key"),
])
def test_unusable_answers_say_what_to_fix(answer, message):
    with pytest.raises(ModelResponseError, match=message) as info:
        parse_ui_tars(answer)
    assert info.value.raw == answer


def test_history_gets_its_box_tokens_back():
    assert add_box_tokens("Action: drag(start_box='(1,2)', end_box='<|box_start|>(3,4)<|box_end|>')") \
        == "Action: drag(start_box='<|box_start|>(1,2)<|box_end|>', end_box='<|box_start|>(3,4)<|box_end|>')"
