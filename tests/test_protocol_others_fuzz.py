"""Property-based fuzzing of the ui-tars, qwen and json parsers: an action or a ModelResponseError."""

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guiagent.actions import _Action
from guiagent.errors import ModelResponseError
from guiagent.protocols.base import ParsedAnswer
from guiagent.protocols.json_actions import parse_json_answer
from guiagent.protocols.qwen_tool_call import QWEN3_EXTRA_ACTIONS, QWEN25_ACTIONS, parse_tool_call
from guiagent.protocols.ui_tars_parse import parse_ui_tars

FUZZ = settings(max_examples=int(os.environ.get("GUIAGENT_FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
QWEN = QWEN25_ACTIONS + QWEN3_EXTRA_ACTIONS


def qwen(content, reasoning=None):
    return parse_tool_call(content, reasoning, actions=QWEN, pointer=None, centre=None)


PARSERS = [parse_ui_tars, qwen, parse_json_answer]


def parses_or_refuses(parser, content, reasoning=None):
    try:
        parsed = parser(content, reasoning)
    except ModelResponseError as exc:
        assert str(exc)
        return None
    assert isinstance(parsed, ParsedAnswer)
    assert isinstance(parsed.action, _Action)
    parsed.action.to_call()
    json.dumps(parsed.action.model_dump())
    return parsed


@FUZZ
@given(st.text(), st.none() | st.text(max_size=40))
def test_any_text(content, reasoning):
    for parser in PARSERS:
        parses_or_refuses(parser, content, reasoning)


numbers = st.one_of(st.integers(-10**9, 10**9), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["1e999", "nan", "-0", "١٢", "0x10"]))
values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8)
qwen_args = st.fixed_dictionaries(
    {"action": st.sampled_from([*QWEN, "click", "", "fly"])},
    optional={"coordinate": st.one_of(st.lists(numbers, max_size=3), st.text(max_size=10), values),
              "keys": st.one_of(st.lists(st.text(max_size=6), max_size=3), values),
              "text": values, "pixels": st.one_of(numbers, values), "status": values,
              "time": values})
ui_names = st.sampled_from(["click", "left_double", "right_single", "drag", "hotkey", "type",
                            "scroll", "wait", "finished", "call_user", "open_app", "x"])
ui_args = st.lists(st.tuples(st.sampled_from(["start_box", "end_box", "point", "key", "content",
                                              "direction", "bogus"]),
                             st.one_of(numbers.map(lambda n: f"'({n},{n})'"),
                                       st.text(max_size=10).map(repr),
                                       st.sampled_from(["'<point>1 2</point>'", "'up'", "'left'",
                                                        "'ctrl c'", "(", "'it's'", "[[["]))),
                   max_size=3).map(lambda kv: ", ".join(f"{k}={v}" for k, v in kv))


@FUZZ
@given(qwen_args, st.sampled_from(["", "Thought: t\nAction: a\n", "<think>x</think>"]),
       st.booleans())
def test_near_valid_tool_calls(args, head, closed):
    text = head + '<tool_call>\n' + json.dumps({"name": "computer_use", "arguments": args})
    parses_or_refuses(qwen, text + ("\n</tool_call>" if closed else ""))
    parses_or_refuses(parse_json_answer, json.dumps({"thought": "t", "action": args}))


@FUZZ
@given(ui_names, ui_args, st.sampled_from(["Thought: t\nAction: ", "Action: ", "```\nAction: "]),
       st.sampled_from(["", "\n\nwait()", "<|im_end|>", "```", "[EOS]"]))
def test_near_valid_ui_tars(name, args, head, tail):
    parses_or_refuses(parse_ui_tars, f"{head}{name}({args}){tail}")
