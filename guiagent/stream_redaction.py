"""Redacting a streamed reply: over the text so far, not piece by piece.

A live view shows the model's thinking as it streams, before the step is
written (and redacted) by the run log. A secret in it can arrive split across
two pieces (``hun`` then ``ter2``), which no per-piece redaction sees. So
:class:`RedactedDeltas` keeps the stream's text not yet passed on, holds back
its last ``longest - 1`` characters (a secret's form may start there and end in
a later piece), never cuts inside a form it already sees, and passes on only
redacted text. The held tail is passed on when the request ends
(:meth:`RedactedDeltas.flush`), or when the other kind of text begins.

A URL's ``user:password@`` is unbounded in length, so the tail that could still
become one (a word that may be a scheme, ``scheme:``, ``scheme://`` and the
characters a userinfo may hold, up to the end of the text so far) is held back
too until a character that ends it arrives: ``https://us`` + ``er:pw@host``
shows as ``https://host``. Held text costs the view a word of latency at most.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from .redaction import Redactor
from .runlog import StepRecord

StepDeltaSink = Callable[[StepRecord, str, str], None]

# What may still grow into "scheme://user:password@": a trailing word, with its ":", "//" and
# userinfo characters (the class redaction.strip_userinfo drops).
_OPEN_URL = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*(?::(?:/(?:/[^\s/?#@\"'<>\\]*)?)?)?\Z")


class RedactedDeltas:
    """A step delta sink that redacts secret values, whole, before passing pieces on."""

    def __init__(self, sink: StepDeltaSink, redactor: Redactor) -> None:
        self.sink, self.redactor = sink, redactor
        self._hold = max(redactor.longest - 1, 0)
        self._lock = threading.Lock()
        self._open: tuple[StepRecord, str] | None = None  # the stream being held back
        self._pending = ""

    def __call__(self, step: StepRecord, kind: str, text: str) -> None:
        """Take one streamed piece; pass on what can no longer be part of a secret."""
        with self._lock:
            out = []
            if self._open is not None and (self._open[0] is not step or self._open[1] != kind):
                out.append((*self._open, self._take(len(self._pending))))
            self._open = (step, kind)
            self._pending += text
            cut = len(self._pending) - self._hold
            for start, end in self.redactor.spans(self._pending):
                if start < cut < end:  # never cut inside a secret's form
                    cut = start
                    break
            opened = _OPEN_URL.search(self._pending, 0, max(cut, 0))
            if opened is not None:  # the text passed on must not end inside a URL's userinfo
                cut = opened.start()
            if cut > 0:
                out.append((step, kind, self._take(cut)))
        self._send(out)

    def flush(self) -> None:
        """The request ended: pass on the held tail (redacted)."""
        with self._lock:
            out = [(*self._open, self._take(len(self._pending)))] if self._open else []
            self._open = None
        self._send(out)

    def _take(self, cut: int) -> str:
        text, self._pending = self._pending[:cut], self._pending[cut:]
        return self.redactor.text(text)

    def _send(self, pieces: list[tuple[StepRecord, str, str]]) -> None:
        for step, kind, text in pieces:
            if text:
                self.sink(step, kind, text)
