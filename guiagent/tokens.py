"""What a model request cost: tokens by kind (visual, text, thinking, answer), speed, price.

The server reports ``prompt_tokens`` and ``completion_tokens``; how they divide
is worked out here, once per request, when its step is logged:

* **visual**: computed from the sizes of the images actually sent, by the
  model family's own rule (:mod:`guiagent.visual_tokens`, chosen by protocol name);
* **text**: the server's ``prompt_tokens`` minus the visual ones (when the server
  reports no usage, about 4 characters a token of the prompt: *estimated*);
* **thinking** / **answer**: the server's ``completion_tokens_details.reasoning_tokens``
  when it gives them, else the completion tokens divided in proportion to the
  characters of the thought and of the answer (*estimated*).

Parts that are estimates are named in :attr:`TokenSplit.estimated`, so a report
can say so. A :class:`Price` (USD per million prompt and completion tokens) is
recorded in run.json, so a report written later computes the same cost.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
from collections.abc import Iterable
from typing import Any, Literal

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, Field

from .model import TokenUsage
from .visual_tokens import visual_tokens

#: Rough characters per token of English prompt text, for servers that report no usage.
CHARS_PER_TOKEN = 4
TokenKind = Literal["visual", "text", "thinking", "answer"]
KINDS: tuple[TokenKind, ...] = ("visual", "text", "thinking", "answer")


class TokenSplit(BaseModel):
    """Tokens of one request (or a sum of requests) by what they were spent on."""

    visual: int = 0
    text: int = 0
    thinking: int = 0
    answer: int = 0
    #: The parts that are estimates rather than the server's (or the family rule's) count.
    estimated: list[TokenKind] = []

    @property
    def prompt(self) -> int:
        """Tokens sent: visual plus text."""
        return self.visual + self.text

    @property
    def completion(self) -> int:
        """Tokens generated: thinking plus answer."""
        return self.thinking + self.answer

    @property
    def total(self) -> int:
        """All tokens."""
        return self.prompt + self.completion

    def __add__(self, other: TokenSplit) -> TokenSplit:
        marked = set(self.estimated) | set(other.estimated)
        return TokenSplit(visual=self.visual + other.visual, text=self.text + other.text,
                          thinking=self.thinking + other.thinking,
                          answer=self.answer + other.answer,
                          estimated=[k for k in KINDS if k in marked])


def total_split(splits: Iterable[TokenSplit | None]) -> TokenSplit:
    """The sum of some splits (missing ones count as nothing)."""
    out = TokenSplit()
    for split in splits:
        if split is not None:
            out = out + split
    return out


class Price(BaseModel):
    """What the model's provider charges, in USD per million tokens."""

    input: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    output: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    currency: Literal["USD"] = "USD"

    def cost(self, split: TokenSplit) -> float:
        """USD for these tokens: prompt tokens at the input price, generated at the output price."""
        return (split.prompt * self.input + split.completion * self.output) / 1_000_000


def usd(amount: float | None) -> str:
    """A cost as people read it: ``$0.0123``; an em dash when no price was given."""
    if amount is None:
        return "—"
    return f"${amount:.4f}" if amount < 10 else f"${amount:,.2f}"


def price_of(settings: Any) -> Price | None:
    """The price configured on model settings (``price_in`` / ``price_out``), if any."""
    price_in, price_out = getattr(settings, "price_in", None), getattr(settings, "price_out", None)
    if price_in is None and price_out is None:
        return None
    return Price(input=price_in or 0.0, output=price_out or 0.0)


def thought_and_answer_chars(content: str, reasoning: str | None) -> tuple[int, int]:
    """Characters of the thought and of the answer in one reply."""
    thought = len(reasoning or "")
    if "</think>" in content:
        head, _, tail = content.partition("</think>")
        return thought + len(head.replace("<think>", "")), len(tail)
    if content.lstrip().startswith("<think>"):  # cut off while still thinking
        return thought + len(content.replace("<think>", "")), 0
    return thought, len(content)


def split_tokens(protocol: str | None, usage: TokenUsage, content: str, reasoning: str | None,
                 image_sizes: Iterable[tuple[int, int]], prompt_chars: int = 0) -> TokenSplit:
    """Divide one request's tokens by kind (see the module docstring)."""
    if not usage.total_tokens and not usage.prompt_tokens and not usage.completion_tokens \
            and not content and not reasoning:
        return TokenSplit()  # nothing came back: the request failed
    estimated: list[TokenKind] = []
    visual = visual_tokens(protocol, image_sizes)
    if usage.prompt_tokens:
        visual = min(visual, usage.prompt_tokens)
        text = usage.prompt_tokens - visual
    else:
        text = -(-prompt_chars // CHARS_PER_TOKEN)
        estimated.append("text")
    thought_chars, answer_chars = thought_and_answer_chars(content, reasoning)
    completion = usage.completion_tokens
    if not completion and thought_chars + answer_chars:
        completion = -(-(thought_chars + answer_chars) // CHARS_PER_TOKEN)
        estimated += ["thinking", "answer"]
    if usage.reasoning_tokens is not None:
        thinking = min(usage.reasoning_tokens, completion)
    else:
        chars = thought_chars + answer_chars
        thinking = round(completion * thought_chars / chars) if chars else 0
        if thought_chars and answer_chars and "thinking" not in estimated:
            estimated += ["thinking", "answer"]
    return TokenSplit(visual=visual, text=text, thinking=thinking, answer=completion - thinking,
                      estimated=estimated)


def image_sizes(messages: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(width, height) of every ``data:`` image in chat messages, in order.

    Only the image's header is decoded (cached per URL: a history thumbnail is
    sent with several requests); URLs that are not ``data:`` images are skipped.
    """
    sizes = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if isinstance(part, dict) and part.get("type") == "image_url":
                url = (part.get("image_url") or {}).get("url")
                size = data_url_size(url) if isinstance(url, str) else None
                if size is not None:
                    sizes.append(size)
    return sizes


@functools.lru_cache(maxsize=8)  # the current screenshot and four history thumbnails
def data_url_size(url: str) -> tuple[int, int] | None:
    """The pixel size of a ``data:`` image URL (None when it is not a readable image)."""
    header, _, b64 = url.partition(",")
    if not header.startswith("data:") or ";base64" not in header:
        return None
    for chunk in (b64[:8192], b64):  # the size is in the first bytes of PNG and most JPEGs
        try:
            data = base64.b64decode(chunk[: len(chunk) - len(chunk) % 4])
            with Image.open(io.BytesIO(data)) as image:
                return image.size
        except (binascii.Error, UnidentifiedImageError, OSError, ValueError):
            continue
    return None


def speed(attempts: Iterable[Any]) -> tuple[float | None, float | None]:
    """(time to first token, generated tokens per second) of a step's streamed requests.

    Time to first token is the first streamed request's; the rate divides the
    tokens generated after each streamed request's first one by the time they
    took (as :func:`guiagent.model.decode_speed` does for one request). Both are
    None when nothing was streamed (the server's rate is unknown then).
    """
    streamed = [a for a in attempts if getattr(a, "first_token_seconds", None) is not None]
    if not streamed:
        return None, None
    generating = sum(max(0.0, a.seconds - a.first_token_seconds) for a in streamed)
    generated = sum(max(0, a.usage.completion_tokens - 1) for a in streamed)
    rate = generated / generating if generating > 0 and generated else None
    return streamed[0].first_token_seconds, rate
