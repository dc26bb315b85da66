"""Request layouts of ui-tars, qwen25vl, qwen3vl and json: roles, image order, history, text."""

import json

import pytest

from guiagent.geometry import Size
from guiagent.protocols.base import HistoryEntry, StepInput
from guiagent.protocols.json_schema import JsonSchemaProtocol
from guiagent.protocols.qwen3vl import Qwen3vlProtocol
from guiagent.protocols.qwen25vl import Qwen25vlProtocol
from guiagent.protocols.ui_tars import UiTarsProtocol

CURRENT = "data:image/png;base64,CURRENT"
SHOT = Size(width=1280, height=720)


def img(n):
    return f"data:image/png;base64,STEP{n}"


def uitars_history(n):
    return [HistoryEntry(answer_text=f"Thought: t{i}\nAction: click(start_box='({i},{i})')",
                         image_url=img(i), thumbnail_url=f"thumb{i}") for i in range(1, n + 1)]


def qwen_call(action, **args):
    return ('<tool_call>\n' + json.dumps({"name": "computer_use",
                                          "arguments": {"action": action, **args}})
            + '\n</tool_call>')


def layout(messages):
    """[(role, ['img:<url>' | 'text'])...] of a request."""
    out = []
    for m in messages:
        if isinstance(m["content"], str):
            out.append((m["role"], ["text"]))
        else:
            out.append((m["role"], ["img:" + p["image_url"]["url"].rsplit(",", 1)[-1]
                                    if p["type"] == "image_url" else "text" for p in m["content"]]))
    return out


def test_ui_tars_first_step():
    req = UiTarsProtocol().build_request(StepInput(task="Send the form", image_url=CURRENT,
                                                   screenshot=SHOT))
    assert layout(req.messages) == [("system", ["text"]), ("user", ["text"]),
                                    ("user", ["img:CURRENT"])]
    assert req.messages[0]["content"] == "You are a helpful assistant."
    prompt = req.messages[1]["content"][0]["text"]
    assert prompt == req.prompt
    assert "## Output Format" in prompt and "## Action Space" in prompt
    assert prompt.rstrip().endswith("## User Instruction\nSend the form")
    assert "click(start_box='<|box_start|>(x1,y1)<|box_end|>')" in prompt
    assert "in English" in prompt
    assert req.images == [{"role": "current", "step": 1}]


def test_ui_tars_history_keeps_four_images_and_box_tokens():
    history = uitars_history(6)
    history[1].note = "the action was refused"
    req = UiTarsProtocol().build_request(StepInput(task="t", image_url=CURRENT, screenshot=SHOT,
                                                   history=history))
    assert layout(req.messages) == [
        ("system", ["text"]), ("user", ["text"]),
        ("assistant", ["text"]), ("assistant", ["text"]),  # steps 1-2: reply only
        ("user", ["img:STEP3", "text"]), ("assistant", ["text"]),  # step 2's note rides along
        ("user", ["img:STEP4"]), ("assistant", ["text"]),
        ("user", ["img:STEP5"]), ("assistant", ["text"]),
        ("user", ["img:STEP6"]), ("assistant", ["text"]),
        ("user", ["img:CURRENT"]),
    ]
    assert req.messages[2]["content"] == \
        "Thought: t1\nAction: click(start_box='<|box_start|>(1,1)<|box_end|>')"
    assert "Note on step 2: the action was refused" in req.messages[4]["content"][1]["text"]
    assert [i["step"] for i in req.images] == [3, 4, 5, 6, 7]


def test_ui_tars_correction_and_tips():
    proto = UiTarsProtocol(tips="Never press Delete.").with_tips("Be quick.")
    req = proto.build_request(StepInput(task="t", image_url=CURRENT, screenshot=SHOT,
                                        correction="no 'Action:' line."))
    assert "- Never press Delete.\n- Be quick.\n" in req.prompt
    last = req.messages[-1]["content"]
    assert last[-1]["type"] == "text" and "no 'Action:' line." in last[-1]["text"]


def test_qwen25vl_layout_resolution_and_progress():
    history = [HistoryEntry(answer_text=qwen_call("left_click", coordinate=[10, 20]),
                            image_url=img(1)),
               HistoryEntry(answer_text=qwen_call("type", text="Ada"), image_url=img(2),
                            note="typed into nothing")]
    req = Qwen25vlProtocol().build_request(StepInput(task="Fill it", image_url=CURRENT,
                                                     screenshot=Size(width=1920, height=1080),
                                                     history=history))
    assert layout(req.messages) == [("system", ["text"]), ("user", ["text", "img:CURRENT"])]
    system = req.messages[0]["content"]
    assert system.startswith("You are a helpful assistant.\n\n# Tools\n")
    tools = json.loads(system.split("<tools>\n")[1].split("\n</tools>")[0])
    fn = tools["function"]
    assert fn["name"] == "computer_use" and "The screen's resolution is 1932x1092." in fn["description"]
    assert fn["parameters"]["properties"]["action"]["enum"] == [
        "key", "type", "mouse_move", "left_click", "left_click_drag", "right_click",
        "middle_click", "double_click", "scroll", "wait", "terminate"]
    text = req.messages[1]["content"][0]["text"]
    assert text.startswith("The user query: Fill it\n")
    assert ('Task progress (You have done the following operation on the current device): '
            'Step 1: {"name": "computer_use", "arguments": {"action": "left_click", '
            '"coordinate": [10, 20]}}; Step 2: ') in text
    assert "(note: typed into nothing); " in text
    assert req.images == [{"role": "current", "step": 3}]
    # The pointer the history left is where a drag starts.
    drag = Qwen25vlProtocol.parse  # bound below
    proto = Qwen25vlProtocol()
    proto.build_request(StepInput(task="t", image_url=CURRENT, screenshot=SHOT, history=history))
    parsed = proto.parse(qwen_call("left_click_drag", coordinate=[50, 60]))
    assert (parsed.action.start_box.x, parsed.action.end_box.x) == (10, 50)
    assert drag is not None


def test_qwen3vl_turns_and_older_steps_as_text():
    history = [HistoryEntry(answer_text=f"Thought: t{i}\nAction: Click field {i}.\n"
                            + qwen_call("left_click", coordinate=[i, i]), image_url=img(i))
               for i in range(1, 7)]
    req = Qwen3vlProtocol().build_request(StepInput(task="Fill it", image_url=CURRENT,
                                                    screenshot=SHOT, history=history))
    assert layout(req.messages) == [
        ("system", ["text"]),
        ("user", ["img:STEP3", "text"]), ("assistant", ["text"]),
        ("user", ["img:STEP4"]), ("assistant", ["text"]),
        ("user", ["img:STEP5"]), ("assistant", ["text"]),
        ("user", ["img:STEP6"]), ("assistant", ["text"]),
        ("user", ["img:CURRENT"]),
    ]
    system = req.messages[0]["content"]
    assert "The screen's resolution is 1000x1000." in system
    assert '"triple_click"' in system and '"answer"' in system and "# Response format" in system
    instruction = req.messages[1]["content"][1]["text"]
    assert "Instruction: Fill it" in instruction
    assert "Previous actions:\nStep 1: Click field 1.\nStep 2: Click field 2." in instruction
    first = Qwen3vlProtocol().build_request(StepInput(task="Fill it", image_url=CURRENT,
                                                      screenshot=SHOT))
    assert layout(first.messages) == [("system", ["text"]), ("user", ["img:CURRENT", "text"])]
    assert "Previous actions:\nNone" in first.prompt


def test_json_request_carries_the_schema():
    history = [HistoryEntry(answer_text='{"thought": "x", "action": {"action": "DONE"}}')]
    req = JsonSchemaProtocol().build_request(StepInput(task="Do it", image_url=CURRENT,
                                                       screenshot=SHOT, history=history,
                                                       memory=["a"]))
    assert layout(req.messages) == [("user", ["img:CURRENT", "text"])]
    fmt = req.extra_body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert '"action": "left_click"' in req.prompt and "thousandths" in req.prompt
    assert 'step 1: {"thought": "x", "action": {"action": "DONE"}}' in req.prompt
    assert '# Memory\n["a"]' in req.prompt


@pytest.mark.parametrize("cls", [UiTarsProtocol, Qwen25vlProtocol, Qwen3vlProtocol,
                                 JsonSchemaProtocol])
def test_declared_actions_are_schema_names(cls):
    from guiagent.protocols.json_actions import action_classes
    names = {cls_.model_fields["action"].default for cls_ in action_classes()}
    assert cls.actions <= names
