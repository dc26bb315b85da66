"""GLM-4.1V-9B-Thinking's desktop ("pc") protocol.

Facts followed (see docs/protocol.md): one single-turn user message; images
first, the current screenshot at full size then up to four earlier ones at half
size, oldest to newest; then the text: role, action space, rules, output format,
optional tips, task, and the history as ``step N: <answer>`` lines followed by
the current ``Memory:``. The text is ``guiagent/prompts/glm41v_pc.txt`` with the
:data:`PLACEHOLDERS` filled in; ``prompt_template`` replaces that file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .base import ALL_ACTIONS, ChatRequest, HistoryEntry, ParsedAnswer, ProtocolAdapter, StepInput
from .coordinates import THOUSANDTHS
from .family_template import family_template
from .glm41v_grounding import Glm41vGrounding
from .glm41v_parse import parse_answer, strip_box_markers
from .templates import Placeholder, packaged_text

if TYPE_CHECKING:
    from ..model import ModelReply

MAX_PREVIOUS_IMAGES = 4
TEMPLATE_FILE = "glm41v_pc.txt"

PLACEHOLDERS = (
    Placeholder("task", "the task, as the user gave it", required=True),
    Placeholder("history", "one `step N: <explanation and action>` line per earlier step "
                "(box markers and the step's own memory removed; notes to the model after "
                "it); empty at step 1", required=True),
    Placeholder("memory", "the memory the model kept, as JSON (a list)", required=True),
    Placeholder("action_space", "the action signatures with one comment each "
                "(guiagent/prompts/glm41v_pc_actions.txt)"),
    Placeholder("tips", "`# Tips` and the run's tips (--tips, secrets guidance), or empty; a "
                "template without it cannot take tips"),
)


class Glm41vPcProtocol:
    """Builds GLM-4.1V pc-protocol requests and parses their answers."""

    name = "glm41v-pc"
    actions = ALL_ACTIONS
    coordinates = THOUSANDTHS
    grounding = Glm41vGrounding()
    template_file = TEMPLATE_FILE
    placeholders = PLACEHOLDERS

    def __init__(self, tips: str | None = None, previous_images: int = MAX_PREVIOUS_IMAGES,
                 *, prompt_template: str | None = None) -> None:
        self.tips = tips
        self.previous_images = max(0, min(previous_images, MAX_PREVIOUS_IMAGES))
        self.prompt_template = prompt_template
        self._template = family_template(prompt_template, TEMPLATE_FILE, PLACEHOLDERS,
                                         self.name, tips)
        self._actions = packaged_text("glm41v_pc_actions.txt").rstrip("\n")

    def with_tips(self, tips: str | None) -> Glm41vPcProtocol:
        """The same protocol with ``tips`` added to its own."""
        joined = "\n".join(t for t in (self.tips, tips) if t) or None
        return Glm41vPcProtocol(joined, self.previous_images, prompt_template=self.prompt_template)

    def continuation(self, reply: ModelReply) -> str | None:
        """Close a thought the token limit cut off: ``<think>...</think><answer>``.

        As the GLM-4.1V authors do; the server then writes the answer alone.
        """
        text = reply.content or ""
        cut_off = (reply.finish_reason == "length" and "</think>" not in text
                   and "<answer>" not in text and bool(text.strip() or reply.reasoning))
        if not cut_off:
            return None
        thought = (reply.reasoning or "") + text.replace("<think>", "")
        return f"<think>{thought}</think><answer>"

    def prompt_text(self, task: str, history: list[HistoryEntry], memory: Any,
                    correction: str | None = None) -> str:
        """The text part of the request."""
        lines = []
        for i, entry in enumerate(history, start=1):
            text = strip_box_markers(entry.answer_text)
            # The current memory follows the history once; each step's own copy is dropped.
            text = text.split("Memory:")[0].strip()
            line = f"step {i}: {text}"
            if entry.note:
                line += f"\n(note: {entry.note})"
            lines.append(line)
        tips = f"\n# Tips\n{self.tips.strip()}\n" if self.tips else ""
        text = self._template.substitute(
            tips=tips, task=task.strip(), history="\n".join(lines), action_space=self._actions,
            memory=json.dumps(memory, ensure_ascii=False) if not isinstance(memory, str) else memory)
        if correction:  # after the template: a user's template cannot lose it
            text = (f"{text.rstrip()}\n\nYour previous reply for this step could not be used: "
                    f"{correction} Reply again with exactly one action from the action space.\n")
        return text

    def build_request(self, step: StepInput) -> ChatRequest:
        """Images first (current, then earlier ones oldest to newest), then the text."""
        history = step.history
        previous = [h for h in history if h.thumbnail_url][-self.previous_images:] \
            if self.previous_images else []
        content: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": step.image_url}}]
        images = [{"role": "current", "step": len(history) + 1}]
        for entry in previous:
            content.append({"type": "image_url", "image_url": {"url": entry.thumbnail_url}})
            images.append({"role": "previous", "step": history.index(entry) + 1})
        prompt = self.prompt_text(step.task, history, step.memory, step.correction)
        content.append({"type": "text", "text": prompt})
        return ChatRequest(messages=[{"role": "user", "content": content}], prompt=prompt,
                           images=images)

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Parse a raw answer (see :mod:`guiagent.protocols.glm41v_parse`)."""
        return parse_answer(content, reasoning)


if TYPE_CHECKING:  # mypy checks the class against the contract
    _conforms: ProtocolAdapter = Glm41vPcProtocol()
