"""The viewport's screenshot straight from Chromium's DevTools protocol.

Playwright's ``page.screenshot`` does more than a step needs (it waits for
fonts, hides the caret, restores state afterwards: several round trips, ~15 ms
at 1280x720 here). ``Page.captureScreenshot`` on a CDP session kept per page,
with ``optimizeForSpeed``, takes one round trip and encodes faster (50 -> 34 ms
at 1280x720, 79 -> 54 ms at 1920x1080 on the development machine). The text
caret is left as the page draws it (a person sees it too). The page's title is
asked for in the same turn of Playwright's loop, so the two round trips overlap.

Only at ``device_scale_factor`` 1 (at 2, Chromium gives CSS-pixel images here, where
``screenshot_scale="device"`` wants device pixels); otherwise the driver uses Playwright's.
Any failure returns None and the session is made again next time.
"""

from __future__ import annotations

import asyncio
import base64
import weakref
from typing import Any

from .held_input import call_bounded, cdp_send

#: A capture Chromium has not answered by then (it can wait for a first paint after a
#: navigation that never comes) is left to Playwright's screenshot, which copes.
CDP_TIMEOUT_S = 3.0


class ScreenCapture:
    """CDP sessions per page, made on first use."""

    def __init__(self) -> None:
        self._sessions: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    def capture(self, page: Any, image_format: str, quality: int) -> tuple[bytes, str] | None:
        """The viewport as JPEG or PNG bytes and the page's title; None when CDP cannot give it."""
        params: dict[str, Any] = {"format": "jpeg" if image_format == "jpeg" else "png",
                                  "optimizeForSpeed": True}
        if params["format"] == "jpeg":
            params["quality"] = quality
        try:
            session = self._sessions.get(page)
            if session is None:
                session = self._sessions[page] = page.context.new_cdp_session(page)
            # return_exceptions: a call cancelled under us (Ctrl-C, the browser closing) is an
            # answer here, never an exception left unretrieved on the gathering future
            # (asyncio printed its traceback on an interrupted eval's stderr)
            async def both() -> tuple[Any, Any]:  # gathered on Playwright's loop, not this thread's
                return await asyncio.gather(
                    cdp_send(session._impl_obj, "Page.captureScreenshot", params),
                    page._impl_obj.title(), return_exceptions=True)
            shot, text = call_bounded(page, both(), CDP_TIMEOUT_S)
            for item in (shot, text):
                if isinstance(item, BaseException):
                    raise RuntimeError(f"CDP capture failed: {item!r}") from None
            return base64.b64decode(shot["data"]), str(text)
        except Exception:  # noqa: BLE001 - not Chromium, a closed page, a detached session, a timeout
            self._sessions.pop(page, None)
            return None
