"""Wait until an application's window is mapped and idle, on any X display.

A window being mapped is not the same as an application ready for input:
LibreOffice maps its frame seconds before it reads the keyboard or the
clipboard, and on a loaded machine that gap grows to tens of seconds; text
typed into it meanwhile is lost. :func:`wait_for_app_window` waits, against one
deadline, until

1. a client window matching a :class:`WindowMatch` (title and/or class, as
   regular expressions) is mapped: the window manager lists it in
   ``_NET_CLIENT_LIST``, or, without a window manager, it is a mapped child of
   the root with a ``WM_CLASS``;
2. its event loop answers a ``_NET_WM_PING`` (if the client supports the
   protocol): the application is processing events, not still loading;
3. its pixels stop changing for ``settle`` seconds (a blinking caret aside);
4. it has the keyboard focus (asked for once with ``_NET_ACTIVE_WINDOW``).

Everything is polled over one python-xlib connection, so nothing here can end
a run because a helper program took longer than a fixed few seconds on a busy
machine; only the caller's deadline counts, and missing it raises
:class:`~guiagent.errors.AppNotReadyError` saying which stage was not reached.
Reused by the CLI (``--app``, skills' ``app:``, the ``wait_for: {window:}`` step)
and by evaluation episodes.
"""

from __future__ import annotations

import contextlib
import io
import re
import select
import shlex
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import AppNotReadyError, DriverError
from ..stuck import screens_differ

POLL_SECONDS = 0.1
SETTLE_POLL_SECONDS = 0.25
#: How long the pixels must stay the same before a window counts as idle.
SETTLE_SECONDS = 1.0
#: Generous on purpose: LibreOffice under a CPU hog on two cores took over a minute.
APP_TIMEOUT_SECONDS = 180.0


class WindowMatch(BaseModel):
    """Which window to wait for: regular expressions on its title and/or WM_CLASS.

    Both are searched case-insensitively (``class: calc`` matches
    ``libreoffice-calc``); the class matches either part of WM_CLASS.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    title: str | None = None
    class_: str | None = Field(default=None, alias="class")

    @model_validator(mode="after")
    def _valid(self) -> WindowMatch:
        for pattern in (self.title, self.class_):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return self

    def describe(self) -> str:
        """``title ~ 'x', class ~ 'y'`` for messages."""
        parts = [f"title ~ {self.title!r}"] if self.title else []
        parts += [f"class ~ {self.class_!r}"] if self.class_ else []
        return ", ".join(parts) or "any new window"

    def matches(self, window: WindowInfo) -> bool:
        """True if the window fits every given pattern."""
        if self.title and not re.search(self.title, window.title, re.IGNORECASE):
            return False
        return not self.class_ or any(
            re.search(self.class_, part, re.IGNORECASE) for part in window.wm_class)


class AppSpec(BaseModel):
    """An application to start and the window that says it is up."""

    model_config = ConfigDict(extra="forbid")

    command: list[str] = Field(min_length=1)
    window: WindowMatch | None = None  # None: the first new client window
    timeout: float = Field(default=APP_TIMEOUT_SECONDS, gt=0)

    @field_validator("command", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return shlex.split(value)
            except ValueError as exc:
                raise ValueError(f"cannot split the command {value!r}: {exc}") from exc
        return value

    def describe(self) -> str:
        """The command as a shell would show it."""
        return shlex.join(self.command)


@dataclass
class WindowInfo:
    """A client window as the X server describes it."""

    id: int
    title: str
    wm_class: tuple[str, ...]
    geometry: tuple[int, int, int, int] = (0, 0, 0, 0)  # left, top, width, height on the root

    def describe(self) -> str:
        """``'Untitled 1 - LibreOffice Calc' (libreoffice-calc)``."""
        return f"{self.title!r} ({'/'.join(self.wm_class) or 'no class'})"


class WindowWatcher:
    """One X connection for listing, pinging, grabbing and focusing client windows."""

    def __init__(self, display: str) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self.display = display
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # no-cookie notice on Xvfb
                self.conn: Any = xdisplay.Display(display)
        except Exception as exc:
            raise DriverError(f"cannot connect to X display {display}: {exc}") from exc
        self.root = self.conn.screen().root
        self.atoms = {name: self.conn.intern_atom(name) for name in (
            "_NET_CLIENT_LIST", "_NET_WM_NAME", "UTF8_STRING", "WM_PROTOCOLS", "_NET_WM_PING",
            "_NET_ACTIVE_WINDOW")}
        # Ping answers come back to the root as ClientMessages; ask to see them.
        self.root.change_attributes(event_mask=X.SubstructureNotifyMask)
        self._ping_serial = 0

    def close(self) -> None:
        """Drop the connection; safe to call twice."""
        with contextlib.suppress(Exception):
            self.conn.close()

    def __enter__(self) -> WindowWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- listing ---------------------------------------------------------------
    def clients(self) -> list[WindowInfo]:
        """Mapped client windows, bottom to top (a window that vanishes meanwhile is skipped)."""
        from Xlib import X

        listed = self.root.get_full_property(self.atoms["_NET_CLIENT_LIST"], X.AnyPropertyType)
        if listed is not None:
            windows = [self.conn.create_resource_object("window", wid) for wid in listed.value]
        else:  # no window manager: top-level windows with a class
            windows = list(self.root.query_tree().children)
        out = []
        for window in windows:
            try:
                info = self._describe(window)
            except Exception:  # noqa: BLE001 - destroyed while we looked (BadWindow)
                continue
            if info is not None:
                out.append(info)
        return out

    def _describe(self, window: Any) -> WindowInfo | None:
        from Xlib import X

        if window.get_attributes().map_state != X.IsViewable:
            return None
        wm_class = window.get_wm_class()
        if not wm_class:
            return None
        name = window.get_full_property(self.atoms["_NET_WM_NAME"], self.atoms["UTF8_STRING"])
        if name is not None:
            title = name.value.decode("utf-8", errors="replace") if isinstance(
                name.value, bytes) else str(name.value)
        else:
            raw = window.get_wm_name()
            title = raw.decode("latin-1") if isinstance(raw, bytes) else (raw or "")
        geo = window.get_geometry()
        origin = window.translate_coords(self.root, 0, 0)
        return WindowInfo(id=window.id, title=title, wm_class=tuple(wm_class),
                          geometry=(-origin.x, -origin.y, geo.width, geo.height))

    # -- readiness ---------------------------------------------------------------
    def answers_ping(self, window_id: int, timeout: float) -> bool | None:
        """True if the client answered a _NET_WM_PING in time, None if it does not speak it."""
        from Xlib import X
        from Xlib.protocol import event

        window = self.conn.create_resource_object("window", window_id)
        protocols = window.get_wm_protocols() or []
        if self.atoms["_NET_WM_PING"] not in protocols:
            return None
        self._ping_serial += 1
        stamp = self._ping_serial
        message = event.ClientMessage(
            window=window, client_type=self.atoms["WM_PROTOCOLS"],
            data=(32, [self.atoms["_NET_WM_PING"], stamp, window_id, 0, 0]))
        window.send_event(message, event_mask=X.NoEventMask)
        self.conn.flush()
        deadline = time.monotonic() + timeout
        while True:
            while self.conn.pending_events():
                ev = self.conn.next_event()
                if (ev.type == X.ClientMessage and ev.client_type == self.atoms["WM_PROTOCOLS"]
                        and ev.data[1][0] == self.atoms["_NET_WM_PING"]
                        and ev.data[1][1] == stamp):
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            select.select([self.conn.fileno()], [], [], min(left, POLL_SECONDS))

    def grab(self, window: WindowInfo) -> Image.Image | None:
        """The window's pixels as shown on the screen (None if off screen)."""
        from Xlib import X

        screen = self.conn.screen()
        left, top, width, height = window.geometry
        x0, y0 = max(0, left), max(0, top)
        x1 = min(screen.width_in_pixels, left + width)
        y1 = min(screen.height_in_pixels, top + height)
        if x1 <= x0 or y1 <= y0:
            return None
        raw = self.root.get_image(x0, y0, x1 - x0, y1 - y0, X.ZPixmap, 0xFFFFFFFF)
        return Image.frombytes("RGB", (x1 - x0, y1 - y0), raw.data, "raw", "BGRX")

    def focused_in(self, window_id: int) -> bool:
        """True if the keyboard focus is on this window or one of its descendants."""
        focus = self.conn.get_input_focus().focus
        while hasattr(focus, "id") and focus.id not in (0, self.root.id):
            if focus.id == window_id:
                return True
            focus = focus.query_tree().parent
        return False

    def activate(self, window_id: int) -> None:
        """Ask the window manager to raise and focus the window (EWMH)."""
        from Xlib import X
        from Xlib.protocol import event

        window = self.conn.create_resource_object("window", window_id)
        if self.root.get_full_property(self.atoms["_NET_CLIENT_LIST"], X.AnyPropertyType) is None:
            window.set_input_focus(X.RevertToParent, X.CurrentTime)  # no window manager
            self.conn.flush()
            return
        message = event.ClientMessage(window=window, client_type=self.atoms["_NET_ACTIVE_WINDOW"],
                                      data=(32, [2, X.CurrentTime, 0, 0, 0]))
        self.root.send_event(message, event_mask=X.SubstructureRedirectMask
                             | X.SubstructureNotifyMask)
        self.conn.flush()


def client_windows(display: str) -> list[WindowInfo]:
    """The mapped client windows of ``display`` right now."""
    with WindowWatcher(display) as watcher:
        return watcher.clients()


class _WindowGone(Exception):
    """The window being waited on was destroyed or unmapped: look for one again."""


def wait_for_app_window(
    display: str,
    match: WindowMatch | None = None,
    *,
    timeout: float = 120.0,
    exclude: Collection[int] = (),
    settle: float = SETTLE_SECONDS,
    focus: bool = True,
    alive: Callable[[], str | None] | None = None,
) -> WindowInfo:
    """Wait until a matching window is mapped, answers pings, holds still and has focus.

    ``match`` None means any client window not in ``exclude`` (the ids that were
    there before the app was launched). ``alive`` is polled; a string it returns
    (the app exited, with its output) ends the wait at once with that reason. A
    window that goes away meanwhile (a splash screen, a start center replaced by
    the document) sends the wait back to looking for a matching window.
    """
    from Xlib import error as xerror

    wait = _Wait(display, match or WindowMatch(), timeout, alive)
    with WindowWatcher(display) as watcher:
        while True:
            try:
                return wait.attempt(watcher, exclude, settle, focus)
            except (_WindowGone, xerror.BadWindow, xerror.BadDrawable, xerror.BadMatch):
                wait.check_time()
                time.sleep(POLL_SECONDS)
            except (xerror.ConnectionClosedError, OSError) as exc:
                raise DriverError(f"lost the X display {display} while waiting for "
                                  f"{wait.stage}: {exc}") from exc


class _Wait:
    """One deadline, the stage reached so far, and what was seen: for the error message."""

    def __init__(self, display: str, match: WindowMatch, timeout: float,
                 alive: Callable[[], str | None] | None) -> None:
        self.display, self.match, self.timeout, self.alive = display, match, timeout, alive
        self.deadline = time.monotonic() + timeout
        self.stage = f"a window ({match.describe()}) to be mapped"
        self.seen: list[WindowInfo] = []

    def check_time(self) -> None:
        if self.alive is not None and (why := self.alive()):
            raise AppNotReadyError(f"the application ended before its window was ready: {why}")
        if time.monotonic() >= self.deadline:
            listing = "; ".join(w.describe() for w in self.seen) or "none"
            raise AppNotReadyError(
                f"waited {self.timeout:g}s on {self.display} for {self.stage}, in vain (client "
                f"windows: {listing}); check that the app starts on this display, or allow "
                "more time")

    def attempt(self, watcher: WindowWatcher, exclude: Collection[int], settle: float,
                focus: bool) -> WindowInfo:
        self.stage = f"a window ({self.match.describe()}) to be mapped"
        window = None
        while window is None:
            self.seen = watcher.clients()
            window = next((w for w in reversed(self.seen)
                           if w.id not in exclude and self.match.matches(w)), None)
            if window is None:
                self.check_time()
                time.sleep(POLL_SECONDS)
        self.stage = f"{window.describe()} to answer a ping (it is still busy starting)"
        while watcher.answers_ping(
                window.id, min(2.0, max(0.1, self.deadline - time.monotonic()))) is False:
            self.check_time()
        self.stage = f"{window.describe()} to stop changing for {settle:g}s"
        last, still_since = None, time.monotonic()
        while True:
            current = next((w for w in watcher.clients() if w.id == window.id), None)
            if current is None:
                raise _WindowGone()
            window = current
            shot = watcher.grab(window)
            if last is None or shot is None or screens_differ(last.convert("L"),
                                                              shot.convert("L")):
                still_since = time.monotonic()
            elif time.monotonic() - still_since >= settle:
                break
            last = shot
            self.check_time()
            time.sleep(SETTLE_POLL_SECONDS)
        if focus and not watcher.focused_in(window.id):
            self.stage = f"{window.describe()} to get the keyboard focus"
            watcher.activate(window.id)
            while not watcher.focused_in(window.id):
                if not any(w.id == window.id for w in watcher.clients()):
                    raise _WindowGone()
                self.check_time()
                time.sleep(POLL_SECONDS)
        return window
