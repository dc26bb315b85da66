"""GLM-4.5V/4.6V's pc protocol: the request layout the facts give, and its answers."""

import base64
import io

import pytest
from PIL import Image

from guiagent.actions import Done, LeftClick, Type
from guiagent.errors import ModelResponseError
from guiagent.geometry import Size
from guiagent.model import ModelReply
from guiagent.protocols.base import HistoryEntry, StepInput, message_parts
from guiagent.protocols.glm45v import Glm45vProtocol, history_parts


def _png(w, h, colour="white"):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _answer(call, text="I click the field.", memory="[]"):
    return f"{text}\n<|begin_of_box|>{call}<|end_of_box|>\nMemory:\n{memory}"


def _history(n):
    return [HistoryEntry(answer_text=_answer(f"left_click(start_box='[{i},{i}]', element_info='f{i}')",
                                             text=f"Thought number {i}."),
                         thumbnail_url=_png(64, 36, "red"), call="")
            for i in range(1, n + 1)]


def _step(history, memory=None, **kw):
    return StepInput(task="Fill the form", image_url=_png(128, 72), screenshot=Size(width=128, height=72),
                     history=history, memory=memory if memory is not None else [], **kw)


def test_current_screenshot_last_history_images_interleaved_older_steps_omitted():
    request = Glm45vProtocol().build_request(_step(_history(6), memory=[{"name": "Ada"}]))
    [message] = request.messages
    kinds = [part["type"] for part in message["content"]]
    assert kinds == ["text", "image_url"] * 5  # 4 history images, then the current one
    texts, images, _ = message_parts(request.messages)
    assert [im.size for im in images] == [(64, 36)] * 4 + [(128, 72)]
    assert request.images == [{"role": "previous", "step": k} for k in (3, 4, 5, 6)] + [
        {"role": "current", "step": 7}]
    # Steps 1 and 2 are older than the last four: their screenshots are omitted, in the text.
    assert "\nstep 1: Screenshot:(Omitted in context.) Thought: Thought number 1.\n" \
           "Action: left_click(start_box='[1,1]', element_info='f1')" in texts[0]
    assert "step 2: Screenshot:(Omitted in context.)" in texts[0]
    assert texts[0].endswith("\nstep 3: Screenshot:")
    assert texts[1].startswith(" Thought: Thought number 3.\nAction: left_click(start_box='[3,3]'")
    assert texts[1].endswith("\nstep 4: Screenshot:")
    # Box markers and each step's own memory stay out of the history.
    assert "<|begin_of_box|>" not in request.prompt and "Memory:\n[]" not in request.prompt
    tail = texts[-1]
    assert tail.index("Memory:\n[{\"name\": \"Ada\"}]") < tail.index("# Output Format")
    assert tail.endswith("\n\nCurrent Screenshot:\n")
    head = texts[0]
    for section in ("# Task:\nFill the form\n", "# Task Platform\nUbuntu\n", "# Action Space\n",
                    "# Historical Actions and Current Memory\nHistory:"):
        assert section in head
    assert request.prompt == "\n".join(texts)  # one line break where each history image goes


def test_action_space_blocks_in_the_published_order():
    text = Glm45vProtocol().build_request(_step([])).prompt
    order = ["### {left,right,middle}_click", "### hover", "### left_double_click", "### left_drag",
             "### key", "### type", "### scroll", "### WAIT", "### DONE", "### FAIL"]
    positions = [text.index(block + "\n\nCall rule: `") for block in order]
    assert positions == sorted(positions)
    assert "'name': ['left_click', 'right_click', 'middle_click']" in text
    assert "0-999" in text


def test_first_step_has_no_history_and_only_the_current_image():
    request = Glm45vProtocol().build_request(_step([]))
    assert request.images == [{"role": "current", "step": 1}]
    assert "History:\nMemory:\n[]\n# Output Format" in request.prompt
    assert request.extra_body == {}


@pytest.mark.parametrize("thinking,body", [
    (False, {"chat_template_kwargs": {"enable_thinking": False}}),
    (True, {"chat_template_kwargs": {"enable_thinking": True}}),
])
def test_thinking_switch_goes_into_the_request_body(thinking, body):
    assert Glm45vProtocol(thinking=thinking).build_request(_step([])).extra_body == body


def test_history_thought_is_the_text_without_the_call():
    entry = HistoryEntry(answer_text="Now I type the name.\n<|begin_of_box|>type(content='Ada (the first)')"
                                     "<|end_of_box|>\nMemory:\n[]")
    assert history_parts(entry) == ("Now I type the name.", "type(content='Ada (the first)')")


def test_refusal_note_follows_the_action():
    entry = _history(1)[0]
    entry.note = "that action was refused"
    text = Glm45vProtocol().build_request(_step([entry])).prompt
    assert "element_info='f1') (note: that action was refused)" in text


def test_parse_the_published_answer_layout():
    content = ("<think>The name field is empty.</think>I click the name field.\n"
               "<|begin_of_box|>left_click(start_box='[586, 446]', element_info='Full name')<|end_of_box|>\n"
               "Memory:\n[{\"step\": \"name\"}]")
    parsed = Glm45vProtocol().parse(content)
    assert parsed.action == LeftClick(start_box={"x": 586, "y": 446}, element_info="Full name")
    assert parsed.thinking == "The name field is empty."
    assert parsed.memory == [{"step": "name"}]
    assert parsed.answer_text.startswith("I click the name field.")


def test_parse_with_reasoning_parser_and_markers_stripped():
    content = "I type it.\ntype(content='a) b')\nMemory:\n[]"
    parsed = Glm45vProtocol().parse(content, reasoning="thought elsewhere")
    assert parsed.action == Type(content="a) b") and parsed.thinking == "thought elsewhere"
    assert isinstance(Glm45vProtocol().parse("All done.\nDONE()\nMemory:\n[]").action, Done)


def test_unreadable_answer_is_a_model_response_error():
    with pytest.raises(ModelResponseError):
        Glm45vProtocol().parse("I am not sure what to do.\nMemory:\n[]")


def test_continuation_closes_the_thought_without_answer_tags():
    proto = Glm45vProtocol()
    cut = ModelReply(content="<think>Looking at the form", finish_reason="length")
    assert proto.continuation(cut) == "<think>Looking at the form</think>"
    split = ModelReply(content="", reasoning="Looking", finish_reason="length")
    assert proto.continuation(split) == "<think>Looking</think>"
    assert proto.continuation(ModelReply(content="<think>a</think>I cl", finish_reason="length")) is None
    assert proto.continuation(ModelReply(content="I click", finish_reason="length")) is None
    assert proto.continuation(ModelReply(content="<think>a", finish_reason="stop")) is None


def test_user_template_and_tips():
    template = "T=$task P=$platform\n$action_space\nH:$history\nM:$memory$tips\n"
    proto = Glm45vProtocol(prompt_template=template).with_tips("Use the demo account.")
    text = proto.build_request(_step(_history(1))).prompt
    assert text.startswith("T=Fill the form P=Ubuntu\n### {left,right,middle}_click")
    assert "\n- Use the demo account.\n" in text
    assert "H:\nstep 1: Screenshot:" in text


def test_user_templates_are_checked_against_the_placeholders():
    from guiagent.errors import ConfigError
    from guiagent.protocols.registry import make_protocol

    with pytest.raises(ConfigError, match=r"missing required placeholder\(s\) \$history, \$memory"):
        make_protocol("glm45v", prompt_template="Do $task.")
    with pytest.raises(ConfigError, match=r"unknown placeholder\(s\) \$elements"):
        make_protocol("glm45v", prompt_template="$task $history $memory $elements")
    with pytest.raises(ConfigError, match=r"has no \$tips"):
        make_protocol("glm45v", tips="Be brief.", prompt_template="$task $history $memory")
