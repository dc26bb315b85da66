"""Qwen3-VL's computer-use protocol (``qwen3vl``).

Facts followed (docs/protocols.md, "qwen3vl"; OSWorld's Qwen3-VL agent and the
Qwen3-VL cookbooks):

* the system message is the function-call block with the ``computer_use`` tool
  (Qwen3-VL's revision: ``triple_click``, ``hscroll``, ``answer``) and a response
  format of ``Thought:``, ``Action:``, then one ``<tool_call>``;
* history as chat turns: the last four steps as user (their screenshot) and
  assistant (their reply) turns, the first of them also carrying the instruction;
  older steps as ``Step N: <action>`` lines under ``Previous actions:``; the
  current screenshot last. At most 5 images per request;
* ``coordinate`` relative, in thousandths of the screenshot (the tool says
  ``The screen's resolution is 1000x1000.``), mapped with ``x/1000*W``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..actions import Point
from .base import ChatRequest, HistoryEntry, ParsedAnswer, ProtocolAdapter, StepInput
from .click_grounding import ClickGrounding
from .coordinates import Normalised
from .qwen_common import PLACEHOLDERS, split_template, tips_text, tools_line
from .qwen_tool_call import (
    QWEN3_EXTRA_ACTIONS,
    QWEN25_ACTIONS,
    last_pointer,
    parse_tool_call,
    tool_call_arguments,
)

if TYPE_CHECKING:
    from ..model import ModelReply

COORDINATES = Normalised(1000)
HISTORY_STEPS = 4
TEMPLATE_FILE = "qwen3vl.txt"
ACTIONS = frozenset({"key", "type", "hover", "left_click", "left_drag", "right_click",
                     "middle_click", "left_double_click", "scroll", "WAIT", "DONE", "FAIL",
                     "answer"})
_ACTION_LINE = re.compile(r"^\s*Action:\s*(.+)$", re.MULTILINE)


def action_summary(entry: HistoryEntry) -> str:
    """The reply's ``Action:`` sentence (its tool call when there is none)."""
    text = entry.answer_text.split("<tool_call>")[0]
    match = _ACTION_LINE.search(text)
    if match:
        return match.group(1).strip()
    found = tool_call_arguments(entry.answer_text)
    return found[1] if found else entry.answer_text.strip()[:300]


class Qwen3vlProtocol:
    """Builds Qwen3-VL computer-use requests and parses its answers."""

    name = "qwen3vl"
    template_file = TEMPLATE_FILE
    placeholders = PLACEHOLDERS
    actions = ACTIONS
    coordinates = COORDINATES
    #: "Where is X?" asked as a one-step "Click X." task (:mod:`.click_grounding`).
    grounding: ClickGrounding
    tool_actions = QWEN25_ACTIONS + QWEN3_EXTRA_ACTIONS

    def __init__(self, tips: str | None = None, *, prompt_template: str | None = None,
                 history_steps: int = HISTORY_STEPS) -> None:
        self.tips = tips
        self.prompt_template = prompt_template
        self.history_steps = max(0, min(history_steps, HISTORY_STEPS))
        self._system, self._user = split_template(prompt_template, TEMPLATE_FILE, self.name,
                                                  tips)
        self._pointer: Point | None = None
        self.grounding = ClickGrounding(lambda: Qwen3vlProtocol(
            prompt_template=self.prompt_template))

    def with_tips(self, tips: str | None) -> Qwen3vlProtocol:
        """The same protocol with ``tips`` added to its own."""
        joined = "\n".join(t for t in (self.tips, tips) if t) or None
        return Qwen3vlProtocol(joined, prompt_template=self.prompt_template,
                               history_steps=self.history_steps)

    def continuation(self, reply: ModelReply) -> str | None:
        """Not continued: a cut-off reply is asked again (with the thinking variants too)."""
        return None

    def instruction(self, step: StepInput, older: list[HistoryEntry]) -> str:
        """The user text: the task and the steps older than the replayed turns."""
        lines = [f"Step {i}: {action_summary(e)}" + (f" (note: {e.note})" if e.note else "")
                 for i, e in enumerate(older, start=1)]
        return self._user.substitute(task=step.task.strip(), history="\n".join(lines) or "None",
                                     tips=tips_text(self.tips))

    def build_request(self, step: StepInput) -> ChatRequest:
        """System; then the last steps as turns (instruction with the first); current image last."""
        history = step.history
        window = history[max(0, len(history) - self.history_steps):] if self.history_steps else []
        older = history[:len(history) - len(window)]
        text = self.instruction(step, older)
        messages: list[dict[str, Any]] = [{"role": "system", "content": self._system.substitute(
            tools=tools_line(1000, 1000, self.tool_actions))}]
        images: list[dict[str, Any]] = []
        pending = [{"type": "text", "text": text}]
        for offset, entry in enumerate(window):
            index = len(older) + offset + 1
            url = entry.image_url or entry.thumbnail_url
            content: list[dict[str, Any]] = []
            if url:
                content.append({"type": "image_url", "image_url": {"url": url}})
                images.append({"role": "previous", "step": index})
            messages.append({"role": "user", "content": content + pending})
            pending = []
            messages.append({"role": "assistant", "content": entry.answer_text})
            if entry.note:
                pending.append({"type": "text", "text": f"Note on step {index}: {entry.note}"})
        current: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": step.image_url}}]
        if step.correction:
            correction = (f"Your previous reply for this step could not be used: "
                          f"{step.correction} Reply again: Thought, Action, then one "
                          "<tool_call> block.")
            pending.append({"type": "text", "text": correction})
        messages.append({"role": "user", "content": current + pending})
        images.append({"role": "current", "step": step.index})
        self._pointer = last_pointer([h.answer_text for h in history])
        return ChatRequest(messages=messages, prompt=text, images=images)

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Parse one answer (coordinates in thousandths of the screenshot)."""
        return parse_tool_call(content, reasoning, actions=self.tool_actions,
                               pointer=self._pointer, centre=Point(x=500, y=500))


if TYPE_CHECKING:  # mypy checks the class against the contract
    _conforms: ProtocolAdapter = Qwen3vlProtocol()
