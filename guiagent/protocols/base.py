"""The protocol adapter contract: how one model family is asked and answered.

An adapter turns (task, current screenshot, history) into chat messages and a
raw answer into a :class:`ParsedAnswer`. The loop never formats prompts itself,
so a second model family is one new module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .glm41v_parse import ParsedAnswer


@dataclass
class HistoryEntry:
    """One finished step as later prompts see it."""

    answer_text: str
    thumbnail_url: str | None = None
    note: str | None = None  # e.g. "the action was refused: ..." shown to the model


@dataclass
class ChatRequest:
    """The messages of one request, plus what the log keeps of them."""

    messages: list[dict[str, Any]]
    prompt: str
    images: list[dict[str, Any]] = field(default_factory=list)  # [{"role": "current", ...}]


class ProtocolAdapter(Protocol):
    """Speaks one model family's GUI interface."""

    name: str

    def build_request(
        self, task: str, current_image_url: str, history: list[HistoryEntry], memory: Any,
        *, correction: str | None = None,
    ) -> ChatRequest:
        """The request for the next action."""

    def parse(self, content: str, reasoning: str | None = None) -> ParsedAnswer:
        """Parse a raw answer; raise ModelResponseError when no action can be read."""
