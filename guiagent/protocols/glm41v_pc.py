"""GLM-4.1V-9B-Thinking's desktop ("pc") protocol.

Facts followed (see docs/protocol.md): one single-turn user message; images
first, the current screenshot at full size then up to four earlier ones at half
size, oldest to newest; then the text: role, action space, rules, output format,
optional tips, task, and the history as ``step N: <answer>`` lines followed by
the current ``Memory:``.
"""

from __future__ import annotations

import json
from importlib import resources
from string import Template
from typing import Any

from .base import ChatRequest, HistoryEntry
from .glm41v_parse import ParsedAnswer, parse_answer, strip_box_markers

MAX_PREVIOUS_IMAGES = 4


def _template() -> Template:
    text = resources.files("guiagent").joinpath("prompts/glm41v_pc.txt").read_text("utf-8")
    return Template(text)


class Glm41vPcProtocol:
    """Builds GLM-4.1V pc-protocol requests and parses their answers."""

    name = "glm41v-pc"

    def __init__(self, tips: str | None = None, previous_images: int = MAX_PREVIOUS_IMAGES) -> None:
        self.tips = tips
        self.previous_images = max(0, min(previous_images, MAX_PREVIOUS_IMAGES))
        self._template = _template()

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
        lines.append("Memory:")
        lines.append(json.dumps(memory, ensure_ascii=False) if not isinstance(memory, str) else memory)
        if correction:
            lines.append(f"\nYour previous reply for this step could not be used: {correction} "
                         "Reply again with exactly one action from the action space.")
        tips = f"\n# Tips\n{self.tips.strip()}\n" if self.tips else ""
        return self._template.substitute(tips=tips, task=task.strip(), history="\n".join(lines))

    def build_request(
        self, task: str, current_image_url: str, history: list[HistoryEntry], memory: Any,
        *, correction: str | None = None,
    ) -> ChatRequest:
        """Images first (current, then earlier ones oldest to newest), then the text."""
        previous = [h for h in history if h.thumbnail_url][-self.previous_images:] \
            if self.previous_images else []
        content: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": current_image_url}}]
        images = [{"role": "current", "step": len(history) + 1}]
        for entry in previous:
            content.append({"type": "image_url", "image_url": {"url": entry.thumbnail_url}})
            images.append({"role": "previous", "step": history.index(entry) + 1})
        prompt = self.prompt_text(task, history, memory, correction)
        content.append({"type": "text", "text": prompt})
        return ChatRequest(messages=[{"role": "user", "content": content}], prompt=prompt,
                           images=images)

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Parse a raw answer (see :mod:`guiagent.protocols.glm41v_parse`)."""
        return parse_answer(content, reasoning)
