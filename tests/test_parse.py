"""Every answer form real GLM-4.1V deployments produce."""

import pytest

from guiagent.actions import Answer, Done, Fail, Key, LeftClick, LeftDrag, Scroll, Type, Wait
from guiagent.errors import ModelResponseError
from guiagent.protocols.glm41v_parse import parse_answer

BOXED = ("<think>The File menu is top left.</think><answer>I open the File menu.\n"
         "<|begin_of_box|>left_click(start_box='[23,41]', element_info='File menu')<|end_of_box|>\n"
         "Memory:\n[\"opened file\"]</answer>")


def test_canonical_answer():
    p = parse_answer(BOXED)
    assert p.action == LeftClick(start_box={"x": 23, "y": 41}, element_info="File menu")
    assert p.thinking == "The File menu is top left."
    assert p.memory == ["opened file"]
    assert p.answer_text.startswith("I open the File menu.")


def test_reasoning_in_separate_field_and_markers_stripped():
    content = ("<answer>I open it.\nleft_click(start_box='[23,41]', element_info='File menu')\n"
               "Memory:\n[]</answer>")
    p = parse_answer(content, reasoning="thinking elsewhere")
    assert p.thinking == "thinking elsewhere"
    assert p.action.start_box.x == 23


@pytest.mark.parametrize("text,x,y", [
    ("left_click(start_box='[10,20,30,40]')", 20, 30),
    ('left_click(start_box="[10,20]")', 10, 20),
    ("left_click(start_box=[10,20])", 10, 20),
    ("left_click(start_box='[[10,20,30,40]]')", 20, 30),
    ("left_click(start_box='(10, 20)')", 10, 20),
    ("Action: left_click(start_box='[5,6]', element_info='OK')", 5, 6),
    ("I think the button is there. left_click(start_box='[7,8]') and that is all.", 7, 8),
    ("<|begin_of_box|>left_click(start_box='[1,2]')<|end_of_box|>", 1, 2),
    ("LEFT_CLICK(start_box='[3,4]')", 3, 4),
    ("click(start_box='[9,9]')", 9, 9),
])
def test_point_forms(text, x, y):
    a = parse_answer(text).action
    assert isinstance(a, LeftClick) and (a.start_box.x, a.start_box.y) == (x, y)


@pytest.mark.parametrize("keys,expected", [
    ("ctrl+shift+t", "ctrl+shift+t"), ("enter", "enter"), ("Return", "enter"),
    ("pagedown", "pagedown"), ("Page_Down", "pagedown"), ("Control+A", "ctrl+a"),
    ("alt+F4", "alt+f4"), ("esc", "escape"), ("cmd+c", "meta+c"), ("ctrl++", "ctrl++"),
])
def test_key_names(keys, expected):
    assert parse_answer(f"key(keys='{keys}')").action == Key(keys=expected)


def test_quotes_and_escapes_in_type():
    assert parse_answer("type(content='It\\'s ok')").action == Type(content="It's ok")
    assert parse_answer('type(content="say \\"hi\\"")').action == Type(content='say "hi"')
    assert parse_answer("type(content='It's (sloppy)')").action == Type(content="It's (sloppy)")
    assert parse_answer("type(content='a\\nb')").action == Type(content="a\nb")
    assert parse_answer("type(content='Café 日本 €5')").action == Type(content="Café 日本 €5")


def test_other_actions():
    assert parse_answer("scroll(start_box='[500,500]', direction='Down', step=3)").action == \
        Scroll(start_box={"x": 500, "y": 500}, direction="down", step=3)
    assert parse_answer("scroll(start_box='[5,5]', direction='up')").action.step == 5
    drag = parse_answer("left_drag(start_box='[1,2]', end_box='[3,4]')").action
    assert isinstance(drag, LeftDrag) and drag.end_box.y == 4
    assert parse_answer("WAIT()").action == Wait()
    assert parse_answer("<answer>All set. DONE()\nMemory:\n[]</answer>").action == Done()
    assert parse_answer("FAIL()").action == Fail()
    assert parse_answer("answer(content='42 items')").action == Answer(content="42 items")
    for name in ("right_click", "middle_click", "hover", "left_double_click"):
        assert parse_answer(f"{name}(start_box='[1,1]')").action.action == name


def test_prose_word_before_call_is_not_an_action():
    p = parse_answer("I will click (carefully) the box.\nleft_click(start_box='[1,2]')")
    assert p.action.start_box.x == 1


def test_memory_absent_or_not_json():
    assert parse_answer("DONE()").memory == []
    assert parse_answer("DONE()\nMemory:\nnot json").memory == "not json"


@pytest.mark.parametrize("text,fragment", [
    ("", "no action found"),
    ("I am not sure what to do.", "no action found"),
    ("<think>still thinking when the tokens ran out", "inside <think>"),
    ("left_click(start_box='[1]')", "neither a point"),
    ("key(keys='hyperdrive')", "unknown key name"),
    ("scroll(start_box='[1,1]', direction='left')", "direction"),
    ("left_click(start_box='[1,2]'", "never closed"),
])
def test_unparseable_answers_raise_with_raw_text(text, fragment):
    with pytest.raises(ModelResponseError) as info:
        parse_answer(text)
    assert fragment in str(info.value)
    assert info.value.raw == text
