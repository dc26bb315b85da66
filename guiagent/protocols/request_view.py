"""Reading a request back: which step it is for, its prompt, its current screenshot.

A cassette (``replay --model-from-log``) answers each request with the
recorded answer of the same step, so it must tell the step from the request
alone; each family lays its history out differently (``step N:`` lines, chat
turns, ``Step N:`` progress entries). A protocol class may offer
``read_request(messages) -> RequestView``; families without one are read the
GLM-4.1V pc way (history lines, the first image current).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image


@dataclass
class RequestView:
    """What a cassette needs to know about one request."""

    steps_before: int
    prompt: str
    current_image: Image.Image | None


def user_text(messages: list[dict[str, Any]]) -> str:
    """The text parts of the user messages, in order, joined by newlines (no image decoding)."""
    texts: list[str] = []
    for message in messages:
        if message.get("role", "user") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        texts += [p["text"] for p in content or [] if p.get("type") == "text"]
    return "\n".join(texts)


def assistant_turns(messages: list[dict[str, Any]]) -> int:
    """How many assistant messages the request replays."""
    return sum(1 for m in messages if m.get("role") == "assistant")


def last_image(messages: list[dict[str, Any]]) -> Image.Image | None:
    """The last ``data:`` image of the user messages, decoded."""
    for message in reversed(messages):
        if message.get("role", "user") != "user" or isinstance(message.get("content"), str):
            continue
        for part in reversed(message.get("content") or []):
            if part.get("type") != "image_url":
                continue
            header, _, b64 = part["image_url"]["url"].partition(",")
            if header.startswith("data:"):
                return Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB")
    return None
