"""Input that a JavaScript dialog may hold: return to the caller instead of hanging.

Chromium does not acknowledge a mouse or key event whose handler opened
``alert``/``confirm``/``prompt`` until the dialog is closed, so Playwright's
sync ``mouse.click`` would never return and the model could never see or answer
the dialog. :func:`run_until_held` runs the input on Playwright's event loop
and returns as soon as it finishes *or* a dialog opens; in the second case the
unfinished input is handed back and completes once the dialog is answered.

This reaches into the sync API's plumbing (``_loop``, ``_sync``, ``_impl_obj``),
which has been stable across Playwright releases; the async methods are called
with positional arguments, whose order is the same in every release.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from ..actions import Action, Hover, Key, LeftDoubleClick, LeftDrag, Scroll, Type
from ..geometry import ScreenFrame
from .base import ActionResult

WHEEL_CLICK_PX = 100  # one wheel notch in Chromium


class DialogSignal:
    """A future on Playwright's loop that the dialog handler resolves."""

    def __init__(self, page: Any) -> None:
        self.loop = page._loop
        self.future: asyncio.Future[None] = self.loop.create_future()

    def fire(self) -> None:
        """A dialog opened."""
        if not self.future.done():
            self.future.set_result(None)

    def rearm(self) -> None:
        """Wait for the next dialog."""
        if self.future.done():
            self.future = self.loop.create_future()


def run_until_held(page: Any, make: Callable[[Any], Awaitable[Any]], signal: DialogSignal | None,
                   timeout: float | None = None) -> asyncio.Task[Any] | None:
    """Run ``make(page's async object)``; None when it finished, else the task a dialog holds.

    Errors of a finished call are raised here; ``timeout`` (seconds) gives up waiting
    (the task is then returned as if held).
    """
    loop = page._loop
    task: asyncio.Task[Any] = loop.create_task(_as_coroutine(make(page._impl_obj)))
    waits: set[asyncio.Future[Any]] = {task}
    if signal is not None:
        waits.add(signal.future)

    async def first() -> None:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)

    page._sync(first())
    if task.done():
        task.result()
        return None
    task.add_done_callback(_swallow)
    return task


def finish_held(page: Any, task: asyncio.Task[Any], signal: DialogSignal | None,
                timeout: float = 15.0) -> asyncio.Task[Any] | None:
    """Wait for an input a dialog held; None when done, else still held (another dialog)."""
    async def again() -> Any:
        return await task

    return run_until_held(page, lambda _impl: again(), signal, timeout)


def call_bounded(page: Any, call: Awaitable[Any], timeout: float) -> Any:
    """Await ``call`` (made of Playwright's async objects) on the page's loop for at most
    ``timeout`` s; :class:`TimeoutError` after that, the call cancelled. Playwright's own
    evaluate and CDP calls have no deadline: a page whose script never yields holds them."""
    async def bounded() -> Any:
        return await asyncio.wait_for(call, timeout)
    return page._sync(bounded())


def cdp_send(session: Any, method: str, params: dict[str, Any]) -> Awaitable[Any]:
    """The call ``session.send(method, params)`` on Playwright's async CDPSession, whose
    signature is (method, params[, timeout]) depending on the release."""
    send = session.send
    extra = (None,) if "timeout" in inspect.signature(send).parameters else ()
    return send(method, params, *extra)


async def _as_coroutine(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _swallow(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # a held input that later fails (page closed) is not an error to report


def perform(action: Action, frame: ScreenFrame) -> tuple[Callable[[Any], Awaitable[Any]], ActionResult]:
    """The async input sequence for one screen action, and what to record about it."""
    if isinstance(action, LeftDrag):
        a = frame.resolve(action.start_box.x, action.start_box.y)
        b = frame.resolve(action.end_box.x, action.end_box.y)

        async def drag(impl: Any) -> None:
            await impl.mouse.move(a.surface.x, a.surface.y, None)
            await impl.mouse.down(None, None)
            await impl.mouse.move(b.surface.x, b.surface.y, 12)
            await impl.mouse.up(None, None)
        return drag, ActionResult(points=[a, b], detail="dragged")
    if isinstance(action, Key):
        from .playwright import playwright_combo

        combo = playwright_combo(action.keys)

        async def press(impl: Any) -> None:
            await impl.keyboard.press(combo, None)
        return press, ActionResult(detail=f"pressed {action.keys}")
    if isinstance(action, Type):
        text = action.content

        async def typing(impl: Any) -> None:
            await impl.keyboard.type(text, None)
        return typing, ActionResult(detail=f"typed {len(text)} characters")
    p = frame.resolve(action.start_box.x, action.start_box.y)  # type: ignore[union-attr]
    x, y = p.surface.x, p.surface.y
    if isinstance(action, Scroll):
        sign = 1 if action.direction == "down" else -1
        steps = action.step

        async def wheel(impl: Any) -> None:
            await impl.mouse.move(x, y, None)
            for _ in range(steps):
                await impl.mouse.wheel(0, sign * WHEEL_CLICK_PX)
        return wheel, ActionResult(points=[p], detail=f"scrolled {action.direction} {action.step}")
    if isinstance(action, Hover):
        async def hover(impl: Any) -> None:
            await impl.mouse.move(x, y, None)
        return hover, ActionResult(points=[p], detail=action.action)
    button = {"right_click": "right", "middle_click": "middle"}.get(action.action, "left")
    count = 2 if isinstance(action, LeftDoubleClick) else 1

    async def click(impl: Any) -> None:  # click() moves the pointer there first itself
        await impl.mouse.click(x, y, None, button, count)
    return click, ActionResult(points=[p], detail=action.action)
