"""Reading a streamed chat completion: thinking and answer as they come, and when.

A server with a reasoning parser sends the thought in ``reasoning_content`` (or
``reasoning``, its newer name) deltas and the answer in ``content`` deltas.
Without one, the thought arrives inside ``content`` between ``<think>`` and
``</think>``: :class:`ThinkSplitter` tells the two apart as the pieces come,
even when a tag is split across chunks, so a live view can show each as what it
is. What the stream adds up to (content, reasoning, finish reason, usage) is the
same as a non-streamed answer; only the timing is new.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: Receives each new piece of a reply: ``(kind, text)``, kind "thinking" or "answer".
DeltaSink = Callable[[str, str], None]

_OPEN, _CLOSE = "<think>", "</think>"
_DROPPED = ("<answer>", "</answer>")  # layout tags: kept in the content, not shown live
_TAGS = (_OPEN, _CLOSE, *_DROPPED)


class ThinkSplitter:
    """Splits streamed ``content`` text into thinking and answer pieces.

    Text inside ``<think>...</think>`` is thinking, the rest answer; the tags
    themselves (and ``<answer>`` tags) are not passed on. A piece that might be
    the start of a tag is held back until the next piece settles it.
    """

    def __init__(self, sink: DeltaSink, *, thinking: bool = False) -> None:
        self.sink = sink
        self.thinking = thinking
        self._held = ""

    def feed(self, text: str) -> None:
        """Take the next piece of content."""
        buf = self._held + text
        self._held = ""
        while buf:
            tag_at, tag = _first_tag(buf)
            if tag is None:
                keep = _partial_tag_suffix(buf)
                self._emit(buf[:len(buf) - keep])
                self._held = buf[len(buf) - keep:]
                return
            self._emit(buf[:tag_at])
            if tag == _OPEN:
                self.thinking = True
            elif tag == _CLOSE:
                self.thinking = False
            buf = buf[tag_at + len(tag):]

    def flush(self) -> None:
        """Pass on what was held back (the stream ended)."""
        held, self._held = self._held, ""
        self._emit(held)

    def _emit(self, text: str) -> None:
        if text:
            self.sink("thinking" if self.thinking else "answer", text)


def _first_tag(text: str) -> tuple[int, str | None]:
    found = [(text.find(tag), tag) for tag in _TAGS if tag in text]
    if not found:
        return -1, None
    at, tag = min(found)
    return at, tag


def _partial_tag_suffix(text: str) -> int:
    """Length of the longest end of ``text`` that begins some tag (0: none)."""
    start = text.rfind("<")
    if start == -1:
        return 0
    tail = text[start:]
    return len(tail) if any(tag.startswith(tail) for tag in _TAGS) else 0


@dataclass
class StreamedReply:
    """What a stream added up to."""

    content: str = ""
    reasoning: str | None = None
    finish_reason: str | None = None
    usage: Any = None
    first_token_seconds: float | None = None
    chunks: int = 0


def read_stream(chunks: Iterable[Any], started: float,
                sink: DeltaSink | None = None) -> StreamedReply:
    """Collect a stream of ``chat.completion.chunk`` objects, passing each piece to ``sink``.

    ``started`` is the ``time.perf_counter()`` of sending the request; the first
    piece of text (thinking or answer) fixes the time to first token.
    """
    out = StreamedReply()
    content: list[str] = []
    reasoning: list[str] = []
    splitter = ThinkSplitter(sink or (lambda kind, text: None))
    for chunk in chunks:
        out.chunks += 1
        if getattr(chunk, "usage", None) is not None:
            out.usage = chunk.usage
        for choice in getattr(chunk, "choices", None) or []:
            delta = getattr(choice, "delta", None)
            think = _text(delta, "reasoning_content") or _text(delta, "reasoning")
            text = _text(delta, "content")
            if (think or text) and out.first_token_seconds is None:
                out.first_token_seconds = time.perf_counter() - started
            if think:
                reasoning.append(think)
                if sink is not None:
                    sink("thinking", think)
            if text:
                content.append(text)
                splitter.feed(text)
            if getattr(choice, "finish_reason", None):
                out.finish_reason = choice.finish_reason
    splitter.flush()
    out.content = "".join(content)
    out.reasoning = "".join(reasoning) if reasoning else None
    return out


def _text(delta: Any, name: str) -> str:
    value = getattr(delta, name, None) if delta is not None else None
    return value if isinstance(value, str) else ""
