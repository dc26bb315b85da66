"""Property-based fuzzing of the answer parser: an action or a ModelResponseError, nothing else."""

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guiagent.actions import _Action
from guiagent.errors import ModelResponseError
from guiagent.protocols.glm41v_parse import _ALIASES, _SPEC, ParsedAnswer, parse_answer

# GUIAGENT_FUZZ_EXAMPLES=20000 for a long hunt; 400 keeps the suite quick.
FUZZ = settings(max_examples=int(os.environ.get("GUIAGENT_FUZZ_EXAMPLES", "400")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

NAMES = sorted([*_SPEC, *_ALIASES, "WAIT", "DONE", "FAIL", "Left_Click"])
PARAMS = ["start_box", "end_box", "element_info", "keys", "content", "direction", "step",
          "point", "text", "key", "steps", "bogus"]


def parses_or_refuses(content, reasoning=None):
    try:
        parsed = parse_answer(content, reasoning)
    except ModelResponseError as exc:
        assert str(exc)
        return None
    assert isinstance(parsed, ParsedAnswer)
    assert isinstance(parsed.action, _Action)
    parsed.action.to_call()  # renders
    json.dumps(parsed.action.model_dump())
    return parsed


@FUZZ
@given(st.text(), st.none() | st.text(max_size=50))
def test_any_text(content, reasoning):
    parses_or_refuses(content, reasoning)


numbers = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["1e999", "-0", "nan", "inf", "0x10", "1_000", "١٢"]))
point_text = st.one_of(
    st.lists(numbers, min_size=0, max_size=5).map(lambda ns: "[" + ",".join(map(str, ns)) + "]"),
    st.tuples(numbers, numbers).map(lambda p: f"({p[0]}, {p[1]})"),
    st.text(max_size=12),
)
scalar = st.one_of(
    point_text.map(repr),                       # '[x,y]' as a quoted string
    point_text,                                 # [x,y] as a bare literal
    numbers.map(str),
    st.text(max_size=20).map(repr),
    st.text(alphabet="'\"\\()[]{},=+ abc", max_size=15),  # sloppy quoting
    st.sampled_from(["None", "True", "{}", "{[1]: 2}", "[[[[]]]]", "1j", "b'x'", "...", "f(x)",
                     "'ctrl+alt+delete'", "'down'", "['ctrl', 'c']", "'{{secret:PW}}'"]),
)
argument = st.one_of(
    st.tuples(st.sampled_from(PARAMS), scalar).map(lambda kv: f"{kv[0]}={kv[1]}"),
    scalar,
)
call = st.tuples(st.sampled_from(NAMES), st.lists(argument, max_size=4),
                 st.sampled_from(["", ")", "))", ","])).map(
    lambda t: f"{t[0]}({', '.join(t[1])}{t[2] if t[2] != ')' else ''})"
    if t[2] != "" else f"{t[0]}({', '.join(t[1])})")
memory = st.one_of(st.just("[]"), st.lists(st.text(max_size=10)).map(json.dumps),
                   st.text(max_size=20), st.just("[" * 50), st.just("{\"a\": [1, 2"))


@st.composite
def near_valid_answer(draw):
    head = draw(st.sampled_from(["<think>", "", "<think>unclosed ", "</think>"]))
    thinking = draw(st.text(max_size=30))
    close = draw(st.sampled_from(["</think>", "", "</think></think>"]))
    body = draw(st.text(max_size=20)) + "\n"
    action = draw(call)
    if draw(st.booleans()):
        action = f"<|begin_of_box|>{action}<|end_of_box|>"
    if draw(st.booleans()):
        action = "Action: " + action
    tail = f"\nMemory:\n{draw(memory)}" if draw(st.booleans()) else ""
    answer_open = draw(st.sampled_from(["<answer>", ""]))
    answer_close = draw(st.sampled_from(["</answer>", ""]))
    return f"{head}{thinking}{close}{answer_open}{body}{action}{tail}{answer_close}"


@st.composite
def mutated(draw):
    text = draw(near_valid_answer())
    for _ in range(draw(st.integers(0, 3))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "swap"]))
        ch = draw(st.sampled_from(list("'\"()[],=\\<>|\n0")))
        if op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "insert":
            text = text[:i] + ch + text[i:]
        else:
            text = text[:i] + ch + text[i + 1:]
    return text


@FUZZ
@given(near_valid_answer(), st.none() | st.text(max_size=20))
def test_near_valid_answers(content, reasoning):
    parses_or_refuses(content, reasoning)


@FUZZ
@given(mutated())
def test_mutated_answers(content):
    parses_or_refuses(content)


@settings(max_examples=50, deadline=None)
@given(st.integers(200, 5000), st.sampled_from(["(", "[", "{", "((((", "[1,"]))
def test_deeply_nested_arguments(depth, opener):
    parses_or_refuses(f"<answer>left_click(start_box={opener * depth})</answer>")
    parses_or_refuses(f"<answer>DONE()\nMemory:\n{'[' * depth}</answer>")


@FUZZ
@given(st.sampled_from(sorted(_SPEC)), st.integers(0, 1000), st.integers(0, 1000))
def test_valid_calls_always_parse(name, x, y):
    args = {
        "left_drag": f"start_box='[{x},{y}]', end_box='[{y},{x}]'",
        "key": "keys='ctrl+c'", "type": f"content='{x} {y}'",
        "scroll": f"start_box='[{x},{y}]', direction='down', step=3",
        "answer": f"content='{x}'", "wait": "", "done": "", "fail": "",
    }.get(name, f"start_box='[{x},{y}]', element_info='e'")
    parsed = parses_or_refuses(f"<think>t</think><answer><|begin_of_box|>{name}({args})"
                               "<|end_of_box|>\nMemory:\n[]</answer>")
    assert parsed is not None
    assert parsed.action.action in (name, name.upper())
