"""One thread that owns the driver, for servers that answer on an event loop.

Playwright's sync API works only on the thread that started it, and two tool
calls must never drive one screen at once. So every call on a session is
queued to this single thread, in order; the event loop awaits the result
without blocking. A call the client gives up on still finishes here (an
action half done would be worse), and the next one waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class DriverThread:
    """Runs functions one at a time on a dedicated thread."""

    def __init__(self, name: str = "guiagent-driver") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the thread and wait for it (from any thread but this one)."""
        return self._pool.submit(fn).result()

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the thread; the awaiting event loop stays free meanwhile."""
        return await asyncio.wrap_future(self._pool.submit(fn))

    def shutdown(self) -> None:
        """Let queued calls finish, then end the thread."""
        self._pool.shutdown(wait=True)
