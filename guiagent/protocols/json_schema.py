"""The generic JSON-schema protocol (``json``): any OpenAI-compatible VLM.

One user message (the current screenshot, then the text: the action list,
the coordinate rule, the reply layout, the task and a text history), one image
per request, so any server's image limit will do. The answer is a JSON object
``{"thought", "action", "memory"}`` whose schema (guiagent's action union,
:mod:`guiagent.protocols.json_actions`) is sent as ``response_format``: vLLM
enforces it with structured outputs and hosted APIs accept it. Points are
thousandths of the screenshot (0-1000), guiagent's own space.

Reasoning models: serve them with their reasoning parser (vLLM applies the
grammar after the thinking, which lands in ``reasoning_content``); without one
the grammar constrains the first token and the model cannot think. A thought
left in ``content`` as ``<think>...</think>`` is read as thinking anyway.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .base import ChatRequest, ParsedAnswer, ProtocolAdapter, StepInput
from .click_grounding import ClickGrounding
from .coordinates import THOUSANDTHS
from .family_template import family_template
from .json_actions import action_classes, action_space_text, parse_json_answer, response_format
from .templates import Placeholder

if TYPE_CHECKING:
    from ..model import ModelReply

TEMPLATE_FILE = "json.txt"
PLACEHOLDERS = (
    Placeholder("task", "the task, as the user gave it", required=True),
    Placeholder("history", "one `step N: <the step's JSON answer>` line per earlier step (notes "
                "to the model after it), or `(none yet)`", required=True),
    Placeholder("memory", "the memory list the model kept, as JSON"),
    Placeholder("action_space", "one line per action of the schema: its JSON shape and what it "
                "does"),
    Placeholder("tips", "`# Tips` and the run's tips (--tips, secrets guidance), or empty; a "
                "template without it cannot take tips"),
)


class JsonSchemaProtocol:
    """Asks for one schema-constrained JSON object per step."""

    name = "json"
    template_file = TEMPLATE_FILE
    placeholders = PLACEHOLDERS
    actions = frozenset(str(cls.model_fields["action"].default) for cls in action_classes())  # type: ignore[attr-defined]
    coordinates = THOUSANDTHS
    #: "Where is X?" asked as a one-step "Click X." task (:mod:`.click_grounding`).
    grounding: ClickGrounding

    def __init__(self, tips: str | None = None, *, prompt_template: str | None = None,
                 strict: bool = True) -> None:
        self.tips = tips
        self.prompt_template = prompt_template
        self.strict = strict
        self._template = family_template(prompt_template, TEMPLATE_FILE, PLACEHOLDERS,
                                         self.name, tips)
        self.grounding = ClickGrounding(lambda: JsonSchemaProtocol(
            prompt_template=self.prompt_template, strict=self.strict))

    def with_tips(self, tips: str | None) -> JsonSchemaProtocol:
        """The same protocol with ``tips`` added to its own."""
        joined = "\n".join(t for t in (self.tips, tips) if t) or None
        return JsonSchemaProtocol(joined, prompt_template=self.prompt_template, strict=self.strict)

    def continuation(self, reply: ModelReply) -> str | None:
        """Not continued: a constrained reply cut off by the limit is asked again."""
        return None

    def prompt_text(self, step: StepInput) -> str:
        """The text part: actions, rules, task, history and memory."""
        lines = []
        for index, entry in enumerate(step.history, start=1):
            line = f"step {index}: {' '.join(entry.answer_text.split())}"
            if entry.note:
                line += f"\n(note: {entry.note})"
            lines.append(line)
        tips = f"\n# Tips\n{self.tips.strip()}\n" if self.tips else ""
        memory = step.memory if isinstance(step.memory, str) else json.dumps(
            step.memory if step.memory is not None else [], ensure_ascii=False)
        text = self._template.substitute(action_space=action_space_text(), task=step.task.strip(),
                                         history="\n".join(lines) or "(none yet)",
                                         memory=memory, tips=tips)
        if step.correction:
            text += (f"\n\nYour previous reply for this step could not be used: {step.correction} "
                     "Reply again with one JSON object as described.")
        return text

    def build_request(self, step: StepInput) -> ChatRequest:
        """The current screenshot, then the text; the schema as ``response_format``."""
        text = self.prompt_text(step)
        content: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": step.image_url}},
            {"type": "text", "text": text}]
        fmt = response_format()
        if not self.strict:
            fmt = {**fmt, "json_schema": {**fmt["json_schema"], "strict": False}}
        return ChatRequest(messages=[{"role": "user", "content": content}], prompt=text,
                           images=[{"role": "current", "step": step.index}],
                           extra_body={"response_format": fmt})

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Read the JSON object (see :mod:`guiagent.protocols.json_actions`)."""
        return parse_json_answer(content, reasoning)


if TYPE_CHECKING:  # mypy checks the class against the contract
    _conforms: ProtocolAdapter = JsonSchemaProtocol()
