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

import itertools
import json
import time
from collections.abc import Callable, Iterable, Iterator
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


def byte_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Lines of a byte stream, split on ``\\n`` only (JSON text may hold U+2028 and the like)."""
    rest = b""
    for chunk in chunks:
        *lines, rest = (rest + chunk).split(b"\n")
        for line in lines:
            yield line.removesuffix(b"\r").decode("utf-8", "replace")
    if rest:
        yield rest.removesuffix(b"\r").decode("utf-8", "replace")


class StreamError(Exception):
    """The stream carried an error object instead of a chunk (the server failed midway)."""


def sse_chunks(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects of a server-sent-events body, up to ``data: [DONE]``.

    Chunks are read as plain dicts: building the SDK's pydantic objects for each
    of hundreds of chunks a reply costs more CPU than everything else a step does
    with them. ``ValueError`` for a chunk that is not JSON; :class:`StreamError`
    for an error object.
    """
    data: list[str] = []
    for line in itertools.chain(lines, [""]):
        if line:
            field, _, value = line.partition(":")
            if field == "data":
                data.append(value[1:] if value.startswith(" ") else value)
            continue
        if not data:
            continue
        payload, data = "\n".join(data), []
        if payload.startswith("[DONE]"):
            return
        chunk = json.loads(payload)
        if not isinstance(chunk, dict):
            raise ValueError(f"a stream chunk is not a JSON object: {payload[:100]}")
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            raise StreamError(str(message or "an error occurred while streaming")[:300])
        yield chunk


@dataclass
class StreamedReply:
    """What a stream added up to (``usage`` as the server's dict)."""

    content: str = ""
    reasoning: str | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    first_token_seconds: float | None = None
    chunks: int = 0


def read_stream(chunks: Iterable[dict[str, Any]], started: float,
                sink: DeltaSink | None = None) -> StreamedReply:
    """Collect ``chat.completion.chunk`` objects (dicts), passing each piece to ``sink``.

    ``started`` is the ``time.perf_counter()`` of sending the request; the first
    piece of text (thinking or answer) fixes the time to first token.
    """
    out = StreamedReply()
    content: list[str] = []
    reasoning: list[str] = []
    splitter = ThinkSplitter(sink or (lambda kind, text: None))
    for chunk in chunks:
        out.chunks += 1
        if isinstance(chunk.get("usage"), dict):
            out.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            raw_delta = choice.get("delta")
            delta: dict[str, Any] = raw_delta if isinstance(raw_delta, dict) else {}
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
            if choice.get("finish_reason"):
                out.finish_reason = str(choice["finish_reason"])
    splitter.flush()
    out.content = "".join(content)
    out.reasoning = "".join(reasoning) if reasoning else None
    return out


def _text(delta: dict[str, Any], name: str) -> str:
    value = delta.get(name)
    return value if isinstance(value, str) else ""
