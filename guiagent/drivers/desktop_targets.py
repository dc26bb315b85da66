"""Who would take an input: the focused client window for keys, the window under a click.

X11 happily accepts key and button events when nobody is there to take them:
keys go to a window manager's hidden helper window, a click lands on the bare
root, and both vanish without an error. An application that is still starting
(LibreOffice under load takes tens of seconds) loses everything typed at it that
way, and the step used to count as done. :class:`InputTargets` asks the X server
first, over its own python-xlib connection (used only from the caller's thread):

* a key needs a focused window that belongs to a client, i.e. the focus window or
  one of its ancestors carries ``WM_CLASS`` (openbox focuses its own class-less
  helper window when no application has focus);
* a click needs a mapped window at the point (``XTranslateCoordinates`` on the
  root names the top-level window containing it, frame or menu alike).

Each check waits a short, bounded time for the condition (an app mapping its
window right now), then the driver raises InputNotTakenError.
"""

from __future__ import annotations

import contextlib
import io
import time
from typing import Any

from ..errors import DriverError

POLL_SECONDS = 0.05


class InputTargets:
    """Queries on one X display about where input would go."""

    def __init__(self, display: str) -> None:
        self.display = display
        self._conn: Any = None
        self._classes: dict[int, str] = {}  # window id -> its client's WM_CLASS (ids are not reused soon)

    def _x(self) -> Any:
        if self._conn is None:
            from Xlib import display as xdisplay

            try:
                with contextlib.redirect_stdout(io.StringIO()):  # no-cookie notice on Xvfb
                    self._conn = xdisplay.Display(self.display)
            except Exception as exc:
                raise DriverError(f"cannot connect to X display {self.display}: {exc}") from exc
        return self._conn

    def close(self) -> None:
        """Drop the connection; safe to call twice."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None

    def focused_client(self) -> str | None:
        """WM_CLASS of the client holding the keyboard focus, or None if no client does."""
        from Xlib import X

        conn = self._x()
        root = conn.screen().root
        focus = conn.get_input_focus().focus
        if focus == X.PointerRoot:  # keys follow the pointer: whatever lies under it
            child = root.query_pointer().child  # a top-level window (a frame, maybe)
            return (self._client_class(child) or "the window under the pointer") if child else None
        if not hasattr(focus, "id") or focus.id in (X.NONE, root.id):
            return None
        return self._client_class(focus)

    def _client_class(self, window: Any) -> str | None:
        """The WM_CLASS of ``window`` or its nearest ancestor that has one, if viewable."""
        from Xlib import X

        root = self._x().screen().root
        try:
            if window.get_attributes().map_state != X.IsViewable:
                return None
            if window.id in self._classes:  # the walk up is the costly part: once per window
                return self._classes[window.id]
            start = window.id
            while window.id != root.id:
                wm_class = window.get_wm_class()
                if wm_class:
                    self._classes[start] = wm_class[-1] or wm_class[0]
                    return self._classes[start]
                window = window.query_tree().parent
        except Exception:  # noqa: BLE001 - the window went away meanwhile: nobody has focus
            return None
        return None

    def window_at(self, x: int, y: int) -> int | None:
        """Id of the mapped top-level window containing root pixel (x, y), or None."""
        root = self._x().screen().root
        child = root.translate_coords(root, x, y).child
        return child.id if child else None

    def wait_focus(self, timeout: float) -> str | None:
        """The focused client's class, waiting up to ``timeout`` s for one to get focus."""
        return _poll(self.focused_client, timeout)

    def wait_window_at(self, x: int, y: int, timeout: float) -> int | None:
        """The window at (x, y), waiting up to ``timeout`` s for one to be mapped there."""
        return _poll(lambda: self.window_at(x, y), timeout)


def _poll(check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(POLL_SECONDS)
