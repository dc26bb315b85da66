"""The pyautogui input backend: XTEST events over one open X connection.

pyautogui is convenient but has sharp edges on X11, handled here: it
connects at import time (so it is imported late, with ``DISPLAY`` set), keeps
one module-level connection (re-pointed when a second display is used), its
helper modules leak pipes at import, and ``write`` mistypes characters whose
keysym is not where a US layout table expects it.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Literal

from ..errors import DriverError
from .desktop_clipboard import MissingToolError
from .desktop_input import DOUBLE_CLICK_INTERVAL, DRAG_STEP_DELAY, Button, drag_path
from .desktop_keys import PUNCTUATION_KEYSYMS, pyautogui_key

_BUTTONS = {"left": 1, "middle": 2, "right": 3}


class PyAutoGuiBackend:
    """XTEST events through pyautogui over one Xlib connection to ``display``."""

    name = "pyautogui"

    def __init__(self, display: str, pause: float = 0.01) -> None:
        self.display = display
        self.pause = pause
        self._gui: Any = None  # the pyautogui module (untyped), imported on first use

    @property
    def gui(self):  # noqa: ANN201 - the pyautogui module, imported late on purpose
        """pyautogui, imported with ``DISPLAY`` set and bound to our display."""
        if self._gui is None:
            self._gui = _import_pyautogui(self.display)
            self._gui.FAILSAFE = False
            self._gui.PAUSE = self.pause
        _bind_display(self.display)
        return self._gui

    def close(self) -> None:
        """Drop the X connection so nothing dangles when the display goes away."""
        if self._gui is not None:
            release_display(self.display)

    def move(self, x: int, y: int) -> None:
        """Put the pointer at (x, y)."""
        self.gui.moveTo(x, y)

    def click(self, x: int, y: int, button: Button = "left", count: int = 1) -> None:
        """Click ``count`` times at (x, y): XTEST events on pyautogui's connection, one sync.

        ``pyautogui.click`` syncs after every press and release and sleeps ``PAUSE``
        after the call (10 of the 12 ms a click took); the events are the same.
        """
        self.gui  # noqa: B018 - imports and binds pyautogui's connection
        from pyautogui import _pyautogui_x11 as x11
        from Xlib import X
        from Xlib.ext.xtest import fake_input

        conn = x11._display
        code = _BUTTONS[button]
        fake_input(conn, X.MotionNotify, x=x, y=y)
        for n in range(count):
            if n:
                conn.sync()
                time.sleep(DOUBLE_CLICK_INTERVAL)
            fake_input(conn, X.ButtonPress, code)
            fake_input(conn, X.ButtonRelease, code)
        conn.sync()

    def drag(self, start: tuple[int, int], end: tuple[int, int], steps: int) -> None:
        """Press, move in steps with short pauses, release."""
        gui = self.gui
        gui.moveTo(*start)
        gui.mouseDown(button="left")
        try:
            for x, y in drag_path(start, end, steps):
                time.sleep(DRAG_STEP_DELAY)
                gui.moveTo(x, y)
            time.sleep(DRAG_STEP_DELAY)
        finally:
            gui.mouseUp(button="left")

    def scroll(self, x: int, y: int, direction: Literal["up", "down"], clicks: int) -> None:
        """pyautogui scrolls up for positive clicks."""
        self.gui.scroll(clicks if direction == "up" else -clicks, x=x, y=y)

    def press(self, keys: list[str]) -> None:
        """Hold each key in order, release in reverse: XTEST events, one sync.

        The same events ``pyautogui.hotkey`` sends (it syncs after each and sleeps
        ``PAUSE`` at the end); keys it would type with shift go through it as before.
        """
        gui = self.gui
        names = [pyautogui_key(k) for k in keys]
        from pyautogui import _pyautogui_x11 as x11
        from Xlib import X
        from Xlib.ext.xtest import fake_input

        codes = [x11.keyboardMapping.get(name) for name in names]
        if any(code is None or gui.isShiftCharacter(name) for name, code in zip(names, codes,
                                                                                 strict=True)):
            gui.hotkey(*names)
            return
        conn = x11._display
        for code in codes:
            fake_input(conn, X.KeyPress, code)
        for code in reversed(codes):
            fake_input(conn, X.KeyRelease, code)
        conn.sync()

    def type_ascii(self, text: str) -> None:
        """XTEST key events on pyautogui's connection, shift chosen from the keymap.

        ``pyautogui.write`` guesses shift from a US layout table and gets keys
        wrong whose keysym sits on another keycode (Xvfb types '<' as '>'), so
        each character's keycode and shift level are looked up in the server's map.
        """
        self.gui  # noqa: B018 - imports and binds pyautogui's connection
        from pyautogui import _pyautogui_x11 as x11
        from Xlib import XK, X
        from Xlib.ext.xtest import fake_input

        conn = x11._display
        shift = conn.keysym_to_keycode(XK.string_to_keysym("Shift_L"))
        for ch in text:
            keysym = XK.string_to_keysym(PUNCTUATION_KEYSYMS.get(ch, ch))
            codes = [(index, code) for code, index in conn.keysym_to_keycodes(keysym)
                     if index in (0, 1)]
            if not codes:
                # Never the character itself: the text may be a password.
                raise DriverError("a character of the text has no key on this keymap")
            index, code = min(codes)
            if index:
                fake_input(conn, X.KeyPress, shift)
            fake_input(conn, X.KeyPress, code)
            fake_input(conn, X.KeyRelease, code)
            if index:
                fake_input(conn, X.KeyRelease, shift)
        conn.sync()


def _import_pyautogui(display: str):  # noqa: ANN202 - returns the module
    """Import pyautogui with ``DISPLAY`` pointing at a live server.

    pyautogui opens its X connection at import time, from ``os.environ``; an
    unset or dead display raises there, so the import happens here, late.
    """
    xauth = Path(os.environ.get("XAUTHORITY") or Path.home() / ".Xauthority")
    if not xauth.exists():
        xauth.touch()  # python-xlib raises XauthError without the file
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        # pyscreeze and mouseinfo leave `which` pipes open at import, and python-xlib
        # prints an Xauthority warning on stdout for servers without a cookie.
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore", ResourceWarning)
            import pyautogui

            _close_import_leftovers()
    except ImportError as exc:
        raise MissingToolError(
            "the pyautogui backend needs the desktop extra: pip install 'guiagent[desktop]' "
            "(or use backend='xdotool')"
        ) from exc
    except Exception as exc:  # Xlib raises its own error types at import
        raise DriverError(f"pyautogui could not connect to X display {display}: {exc}") from exc
    finally:
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
    return pyautogui


def _close_import_leftovers() -> None:
    """Close what pyautogui's helper modules leave open at import.

    pyscreeze and mouseinfo keep a finished ``which`` process with open pipes,
    and mouseinfo a second X connection guiagent never uses; left alone they
    surface as ResourceWarnings (errors under ``-W error``).
    """
    for name in ("pyscreeze", "mouseinfo"):
        module = sys.modules.get(name)
        proc = getattr(module, "whichProc", None)
        for pipe in (getattr(proc, "stdout", None), getattr(proc, "stderr", None)):
            if pipe is not None:
                pipe.close()
    info_display = getattr(sys.modules.get("mouseinfo"), "_display", None)
    if info_display is not None:
        _close_quietly(info_display)
    gc.collect()


def _close_quietly(conn: object) -> None:
    try:
        conn.close()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the server may be gone already
        pass


def release_display(display: str) -> None:
    """Close pyautogui's connection if it is to ``display`` (its server is going away)."""
    x11 = sys.modules.get("pyautogui._pyautogui_x11")
    current = getattr(x11, "_display", None)
    if current is not None and current.get_display_name() == display:
        _close_quietly(current)
        x11._display = None  # type: ignore[union-attr]


def _bind_display(display: str) -> None:
    """Point pyautogui's module-level X connection at ``display`` if it holds another.

    pyautogui keeps one connection per process, opened at import; a second
    sandbox in the same process needs it swapped. The keycode table built at
    import stays valid because every Xvfb starts with the same keymap.
    """
    from pyautogui import _pyautogui_x11 as x11
    from Xlib.display import Display

    current = x11._display
    if current is not None and current.get_display_name() == display:
        return
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            x11._display = Display(display)
    except Exception as exc:
        raise DriverError(f"cannot connect to X display {display}: {exc}") from exc
    if current is not None:
        _close_quietly(current)
