"""Qwen2.5-VL's computer-use protocol (``qwen25vl``).

Facts followed (docs/protocols.md, "qwen25vl"; the Qwen2.5-VL cookbooks):

* a system message ``You are a helpful assistant.`` followed by the function-call
  block: ``# Tools``, the ``computer_use`` definition inside ``<tools></tools>``,
  and the ``<tool_call>`` answer layout;
* one user message: the text (``The user query: ...``, then the task progress
  as ``Step N: <tool call JSON>; `` for every earlier step) before the one
  current screenshot. One image per request, so a server's default image limit
  of 1 is enough;
* ``coordinate`` in absolute pixels of the smart-resized image (factor 28,
  4-16384 blocks); the tool description states that image's resolution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..actions import Point
from .base import ChatRequest, ParsedAnswer, ProtocolAdapter, StepInput
from .click_grounding import ClickGrounding
from .coordinates import SmartResizedPixels
from .qwen_common import PLACEHOLDERS, split_template, tips_text, tools_line
from .qwen_tool_call import QWEN25_ACTIONS, last_pointer, parse_tool_call, tool_call_arguments

if TYPE_CHECKING:
    from ..model import ModelReply

#: Qwen2.5-VL's processor (qwen-vl-utils): factor 28, 4..16384 blocks of 28x28.
COORDINATES = SmartResizedPixels(factor=28, min_pixels=4 * 28 * 28, max_pixels=16384 * 28 * 28)
TEMPLATE_FILE = "qwen25vl.txt"
ACTIONS = frozenset({"key", "type", "hover", "left_click", "left_drag", "right_click",
                     "middle_click", "left_double_click", "scroll", "WAIT", "DONE", "FAIL"})


class Qwen25vlProtocol:
    """Builds Qwen2.5-VL computer-use requests and parses ``<tool_call>`` answers."""

    name = "qwen25vl"
    template_file = TEMPLATE_FILE
    placeholders = PLACEHOLDERS
    actions = ACTIONS
    #: "Where is X?" asked as a one-step "Click X." task (:mod:`.click_grounding`).
    grounding: ClickGrounding
    tool_actions = QWEN25_ACTIONS

    def __init__(self, tips: str | None = None, *, prompt_template: str | None = None,
                 coordinates: SmartResizedPixels = COORDINATES) -> None:
        self.tips = tips
        self.prompt_template = prompt_template
        self.coordinates = coordinates
        self._system, self._user = split_template(prompt_template, TEMPLATE_FILE, self.name,
                                                  tips)
        self._pointer: Point | None = None
        self._centre: Point | None = None
        self.grounding = ClickGrounding(lambda: Qwen25vlProtocol(
            prompt_template=self.prompt_template, coordinates=self.coordinates))

    def with_tips(self, tips: str | None) -> Qwen25vlProtocol:
        """The same protocol with ``tips`` added to its own."""
        joined = "\n".join(t for t in (self.tips, tips) if t) or None
        return Qwen25vlProtocol(joined, prompt_template=self.prompt_template,
                                coordinates=self.coordinates)

    def continuation(self, reply: ModelReply) -> str | None:
        """Qwen2.5-VL answers without a long thought: a cut-off reply is asked again."""
        return None

    def history_text(self, step: StepInput) -> str:
        """``Step N: <tool call JSON>; `` per earlier step, as the cookbook writes progress."""
        parts = []
        for index, entry in enumerate(step.history, start=1):
            found = tool_call_arguments(entry.answer_text)
            call = found[1] if found else entry.answer_text.strip()
            note = f" (note: {entry.note})" if entry.note else ""
            parts.append(f"Step {index}: {call}{note}; ")
        return "".join(parts)

    def build_request(self, step: StepInput) -> ChatRequest:
        """System message with the tool; user text, then the current screenshot."""
        resized = self.coordinates.resized(step.screenshot)
        system = self._system.substitute(
            tools=tools_line(resized.width, resized.height, self.tool_actions))
        text = self._user.substitute(task=step.task.strip(), history=self.history_text(step),
                                     tips=tips_text(self.tips))
        if step.correction:
            text += (f"\nYour previous reply for this step could not be used: {step.correction} "
                     "Reply again with one <tool_call> block.")
        content: list[dict[str, Any]] = [{"type": "text", "text": text},
                                          {"type": "image_url", "image_url": {"url": step.image_url}}]
        self._pointer = last_pointer([h.answer_text for h in step.history])
        self._centre = Point(x=resized.width / 2, y=resized.height / 2)
        return ChatRequest(messages=[{"role": "system", "content": system},
                                     {"role": "user", "content": content}],
                           prompt=text, images=[{"role": "current", "step": step.index}])

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Parse one answer; drags start at the pointer the history left."""
        return parse_tool_call(content, reasoning, actions=self.tool_actions,
                               pointer=self._pointer, centre=self._centre)


if TYPE_CHECKING:  # mypy checks the class against the contract
    _conforms: ProtocolAdapter = Qwen25vlProtocol()
