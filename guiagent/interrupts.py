"""Ctrl-C and SIGTERM: finish the current action, then end the run cleanly.

Killing an agent in the middle of a step can leave a half-typed form and a run
log without an outcome. While a run is going, :func:`stop_on_signals` turns the
first SIGINT or SIGTERM into a request to stop (a flag the loop checks between
steps, so the current action completes and run.json says ``interrupted``); a
second one raises :class:`KeyboardInterrupt` at once. Handlers are installed
only in the main thread and restored afterwards.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """A thread-safe flag saying why the run should stop at the next step boundary."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def set(self, reason: str) -> None:
        """Ask the run to stop after the current step."""
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def clear(self) -> None:
        """Forget an earlier request (a new run starts)."""
        self._event.clear()
        self.reason = ""

    def is_set(self) -> bool:
        """True once a stop was requested."""
        return self._event.is_set()


@contextmanager
def stop_on_signals(stop: StopRequest, enabled: bool = True) -> Iterator[StopRequest]:
    """Within the block, SIGINT/SIGTERM set ``stop``; a second signal interrupts at once."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            raise KeyboardInterrupt(f"{name} received twice")
        stop.set(f"{name} received")
        sys.stderr.write(f"guiagent: {name} received; stopping after the current action "
                         "(send it again to stop at once)\n")

    previous = {sig: signal.signal(sig, handler) for sig in HANDLED}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
