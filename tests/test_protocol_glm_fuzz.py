"""Property-based fuzzing of the glm45v and glm41v-web parsers: an action or a ModelResponseError."""

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guiagent.actions import _Action
from guiagent.errors import ModelResponseError
from guiagent.geometry import ScreenFrame, Size
from guiagent.protocols.base import ParsedAnswer
from guiagent.protocols.glm41v_web import Glm41vWebProtocol
from guiagent.protocols.glm45v import Glm45vProtocol
from guiagent.protocols.som import Box, Element, Marks

FUZZ = settings(max_examples=int(os.environ.get("GUIAGENT_FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _web():
    proto = Glm41vWebProtocol()
    proto.marks = Marks([Element(i, "button", name=f"b{i}", boxes=[Box(10 * i, 10, 10, 10)])
                         for i in range(3)])
    proto.frame = ScreenFrame(screenshot=Size(width=100, height=50), surface=Size(width=100, height=50))
    return proto


PARSERS = [Glm45vProtocol().parse, _web().parse]


def parses_or_refuses(parser, content, reasoning=None):
    try:
        parsed = parser(content, reasoning)
    except ModelResponseError as exc:
        assert str(exc)
        return None
    assert isinstance(parsed, ParsedAnswer)
    for action in [parsed.action, *parsed.then]:
        assert isinstance(action, _Action)
        action.to_call()
        json.dumps(action.model_dump())
    return parsed


@FUZZ
@given(st.text(), st.none() | st.text(max_size=40))
def test_any_text(content, reasoning):
    for parser in PARSERS:
        parses_or_refuses(parser, content, reasoning)


indexes = st.one_of(st.integers(-5, 10**30).map(str), st.sampled_from(["WINDOW", "", "x", "٣", "1e9"]))
web_lines = st.one_of(
    st.builds(lambda n, t: f"Type [{n}]; [{t}]", indexes, st.text(max_size=20)),
    st.builds(lambda n: f"Click [{n}]", indexes),
    st.builds(lambda n, d: f"Scroll [{n}]; [{d}]", indexes, st.sampled_from(["up", "down", "left", ""])),
    st.builds(lambda k: f"Key; [{k}]", st.text(max_size=12)),
    st.builds(lambda t: f"ANSWER; <content>{t}</content>", st.text(max_size=20)),
    st.sampled_from(["Wait", "GoBack", "Bing", "Google", ""]),
)


@FUZZ
@given(web_lines, st.text(max_size=20), st.text(max_size=30), st.booleans())
def test_web_answers(line, thought, memory, tagged):
    body = f"Thought: {thought}\nAction: {line}\nMemory_Updated: {memory}"
    content = f"<think>t</think><answer>{body}</answer>" if tagged else body
    parsed = parses_or_refuses(_web().parse, content)
    if parsed is not None and line.startswith("Click"):
        point = parsed.action.start_box
        assert 0 <= point.x <= 1000 and 0 <= point.y <= 1000


calls = st.one_of(
    st.builds(lambda x, y: f"left_click(start_box='[{x}, {y}]')", st.integers(-10, 10**6),
              st.integers(-10, 10**6)),
    st.builds(lambda t: f"type(content='{t}')", st.text(max_size=20)),
    st.builds(lambda k: f"key(keys='{k}')", st.text(max_size=10)),
    st.sampled_from(["DONE()", "FAIL()", "WAIT()", "scroll(start_box='[1,2]', direction='sideways')"]),
)


@FUZZ
@given(calls, st.text(max_size=20), st.text(max_size=20), st.booleans())
def test_glm45v_answers(call, text, memory, boxed):
    action = f"<|begin_of_box|>{call}<|end_of_box|>" if boxed else call
    parses_or_refuses(Glm45vProtocol().parse, f"<think>t</think>{text}\n{action}\nMemory:\n{memory}")
