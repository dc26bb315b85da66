"""The events of one live run, pushed from the agent's thread to every open page.

The agent runs on a thread of its own; pages listen with server-sent events on
the web server's asyncio loop. :class:`EventHub` bridges the two without
polling: :meth:`EventHub.publish` (any thread) numbers the event, keeps it for
pages that join later, and hands it to each listener's queue through
``loop.call_soon_threadsafe``. A page that reconnects says the last number it
saw (``Last-Event-ID``) and gets only what it missed.

Streamed pieces of the model's reply (``delta``) are kept only until their
step ends: the step's own event then carries the whole thinking.

Memory stays bounded whatever the pages and the model do: a page that reads
too slowly (``QUEUE_LIMIT`` events behind) has its stream ended, and its
browser reconnects from the last event it saw; at most ``KEPT_DELTA_CHARS`` of
one step's streamed text are kept for late joiners (live pages get it all).

Every event passes the run's secrets redaction on its way in (:class:`EventHub`
``redactor``), whatever part of the run it comes from.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..redaction import NO_SECRETS, Redactor

Event = dict[str, Any]
QUEUE_LIMIT = 2000
KEPT_DELTA_CHARS = 200_000


@dataclass(eq=False)
class Listener:
    """One page's queue on one event loop; ``None`` in it means the stream is over."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[tuple[int, Event] | None] = field(default_factory=asyncio.Queue)
    #: The page fell ``QUEUE_LIMIT`` events behind: its stream ends (it reconnects).
    overflowed: bool = False

    def put(self, item: tuple[int, Event] | None) -> None:
        """Hand ``item`` to the page's loop (from any thread); a closed loop is ignored."""
        try:
            self.loop.call_soon_threadsafe(self._offer, item)
        except RuntimeError:  # the loop is closed: the server stopped
            pass

    def _offer(self, item: tuple[int, Event] | None) -> None:
        """On the page's loop: queue ``item``, or end a stream that fell too far behind."""
        if self.overflowed:
            return
        if item is not None and self.queue.qsize() >= QUEUE_LIMIT:
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            item = None
        self.queue.put_nowait(item)


class EventHub:
    """Numbered events of one run, kept for late joiners and pushed to listeners."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        #: Every event passes it: the guard's question quotes the page and the action,
        #: the final answer is the model's, a task may quote a value (see :meth:`redact_with`).
        self.redactor = redactor or NO_SECRETS
        self._lock = threading.Lock()
        self._published = threading.Condition(self._lock)
        self._events: list[tuple[int, Event]] = []
        self._seq = 0
        self._listeners: set[Listener] = set()
        self._delta_chars = 0  # kept streamed text of the current step
        self.closed = False

    def publish(self, event: Event) -> int:
        """Keep ``event`` (redacted) and push it to every listener; return its number."""
        event = self.redactor.data(event)
        with self._lock:
            self._seq += 1
            kind = event.get("type")
            if kind == "step":  # the step carries its thinking: drop the pieces
                self._events = [(n, e) for n, e in self._events
                                if not (e.get("type") == "delta" and e.get("index") == event.get("index"))]
                self._delta_chars = 0
            if kind == "delta":
                self._delta_chars += len(str(event.get("text", "")))
            if kind != "delta" or self._delta_chars <= KEPT_DELTA_CHARS:
                self._events.append((self._seq, event))
            listeners = list(self._listeners)
            seq = self._seq
            self._published.notify_all()
        for listener in listeners:
            listener.put((seq, event))
        return seq

    def redact_with(self, redactor: Redactor) -> None:
        """Redact every event from now on, and the kept ones, with the run's ``redactor``."""
        with self._lock:
            self.redactor = redactor
            self._events = [(n, redactor.data(e)) for n, e in self._events]

    def subscribe(self, after: int = 0) -> tuple[list[tuple[int, Event]], Listener | None]:
        """The events after number ``after``, and a listener for the rest (None once closed).

        Call on the loop that will read the listener's queue.
        """
        with self._lock:
            backlog = [(n, e) for n, e in self._events if n > after]
            if self.closed:
                return backlog, None
            listener = Listener(asyncio.get_running_loop())
            self._listeners.add(listener)
        return backlog, listener

    def unsubscribe(self, listener: Listener) -> None:
        """Stop pushing to ``listener``."""
        with self._lock:
            self._listeners.discard(listener)

    def close(self) -> None:
        """No more events: end every listener's stream (the backlog stays readable)."""
        with self._lock:
            self.closed = True
            listeners, self._listeners = list(self._listeners), set()
        for listener in listeners:
            listener.put(None)

    def wait_for(self, match: Callable[[Event], bool], timeout: float) -> Event | None:
        """The first kept event ``match`` accepts, waiting up to ``timeout`` for it (None)."""
        def found() -> Event | None:
            return next((e for _, e in self._events if match(e)), None)

        with self._published:
            self._published.wait_for(lambda: found() is not None, timeout)
            return found()

    def events(self) -> list[Event]:
        """A copy of the kept events, oldest first."""
        with self._lock:
            return [e for _, e in self._events]


def sse_message(seq: int, event: Event) -> str:
    """One server-sent event: its number and the event as one line of JSON."""
    return f"id: {seq}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
