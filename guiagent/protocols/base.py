"""The protocol adapter contract: how one model family is asked and answered.

An adapter turns (task, current screenshot, history) into chat messages and a
raw answer into a :class:`ParsedAnswer`. The loop never formats prompts itself,
so a second model family is one new module.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image

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


def message_parts(messages: list[dict[str, Any]], *, roles: tuple[str, ...] | None = None,
                  ) -> tuple[list[str], list[Image.Image], list[str]]:
    """Texts, decoded ``data:`` images and their MIME types of chat messages, in order.

    Used wherever a request must be read back: the test model server and cassettes.
    """
    texts: list[str] = []
    images: list[Image.Image] = []
    mimes: list[str] = []
    for message in messages:
        if roles is not None and message.get("role", "user") not in roles:
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content or []:
            if part.get("type") == "text":
                texts.append(part["text"])
            elif part.get("type") == "image_url":
                header, _, b64 = part["image_url"]["url"].partition(",")
                if not header.startswith("data:"):
                    continue
                mimes.append(header.removeprefix("data:").split(";")[0])
                images.append(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"))
    return texts, images, mimes
