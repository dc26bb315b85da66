"""Input backends of the desktop driver: their protocol, and the xdotool backend.

Backends receive global X11 pixel coordinates and canonical key names; the
driver has already resolved model points through the observation's frame.
xdotool (one process per action) needs no Python extra and is what many
reference agents use; the in-process pyautogui backend is in
:mod:`.desktop_pyautogui`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from typing import Literal, Protocol

from ..errors import DriverError
from .desktop_clipboard import MissingToolError
from .desktop_keys import xdotool_combo

Button = Literal["left", "right", "middle"]
_X_BUTTONS = {"left": 1, "middle": 2, "right": 3}
DOUBLE_CLICK_INTERVAL = 0.05
DRAG_STEP_DELAY = 0.01


class InputBackend(Protocol):
    """Pointer and keyboard primitives in global screen pixels."""

    name: str

    def move(self, x: int, y: int) -> None:
        """Put the pointer at (x, y)."""

    def click(self, x: int, y: int, button: Button = "left", count: int = 1) -> None:
        """Click ``count`` times at (x, y)."""

    def drag(self, start: tuple[int, int], end: tuple[int, int], steps: int) -> None:
        """Press the left button at ``start``, move in ``steps``, release at ``end``."""

    def scroll(self, x: int, y: int, direction: Literal["up", "down"], clicks: int) -> None:
        """Turn the wheel ``clicks`` notches with the pointer at (x, y)."""

    def press(self, keys: list[str]) -> None:
        """Press a combination of canonical keys (modifiers first), release in reverse."""

    def type_ascii(self, text: str) -> None:
        """Type printable ASCII text with key events."""

    def close(self) -> None:
        """Release connections."""


def drag_path(start: tuple[int, int], end: tuple[int, int], steps: int) -> list[tuple[int, int]]:
    """The ``steps`` points after ``start`` on the way to ``end`` (the last is ``end``)."""
    steps = max(1, steps)
    return [
        (round(start[0] + (end[0] - start[0]) * i / steps),
         round(start[1] + (end[1] - start[1]) * i / steps))
        for i in range(1, steps + 1)
    ]


class XdotoolBackend:
    """One ``xdotool`` process per action, its commands chained on one command line.

    ``mousemove --sync`` is avoided: it blocks for many seconds when the pointer
    is already at the target. The server applies XTEST requests in order anyway.
    """

    name = "xdotool"

    def __init__(self, env: Mapping[str, str], type_delay_ms: int = 8) -> None:
        self.env = dict(env)
        self.type_delay_ms = type_delay_ms

    def run(self, *args: str, timeout: float = 30.0, stdin: str | None = None) -> None:
        """Run ``xdotool ARGS`` (``stdin`` fed to it) and map failures to DriverError."""
        try:
            done = subprocess.run(["xdotool", *args], env=self.env, capture_output=True,
                                  text=True, timeout=timeout, input=stdin)
        except FileNotFoundError as exc:
            raise MissingToolError("xdotool is not installed: apt-get install xdotool") from exc
        except subprocess.TimeoutExpired as exc:
            raise DriverError(f"xdotool {' '.join(args)} timed out after {timeout:g}s") from exc
        if done.returncode != 0:
            raise DriverError(f"xdotool {' '.join(args)} failed: {done.stderr.strip()}")

    def close(self) -> None:
        """Nothing to release: every action is its own process."""

    def move(self, x: int, y: int) -> None:
        """Put the pointer at (x, y)."""
        self.run("mousemove", str(x), str(y))

    def click(self, x: int, y: int, button: Button = "left", count: int = 1) -> None:
        """Click ``count`` times at (x, y)."""
        # xdotool sleeps --delay (default 100 ms) after every click, the last one too.
        delay = int(DOUBLE_CLICK_INTERVAL * 1000) if count > 1 else 0
        self.run("mousemove", str(x), str(y), "click", "--repeat", str(count),
                 "--delay", str(delay), str(_X_BUTTONS[button]))

    def drag(self, start: tuple[int, int], end: tuple[int, int], steps: int) -> None:
        """Press, move in steps with short pauses (so apps see motion), release."""
        args = ["mousemove", str(start[0]), str(start[1]), "mousedown", "1"]
        for x, y in drag_path(start, end, steps):
            args += ["sleep", f"{DRAG_STEP_DELAY:g}", "mousemove", str(x), str(y)]
        self.run(*args, "sleep", f"{DRAG_STEP_DELAY:g}", "mouseup", "1")

    def scroll(self, x: int, y: int, direction: Literal["up", "down"], clicks: int) -> None:
        """Wheel clicks are buttons 4 (up) and 5 (down) on X11."""
        self.run("mousemove", str(x), str(y), "click", "--repeat", str(clicks),
                 "--delay", "10", "4" if direction == "up" else "5")

    def press(self, keys: list[str]) -> None:
        """``xdotool key ctrl+shift+t``."""
        self.run("key", "--clearmodifiers", xdotool_combo(keys))

    def type_ascii(self, text: str) -> None:
        """``xdotool type`` with a small per-key delay so no app drops characters.

        The text goes in on stdin (``--file -``), never on the command line, where
        any process could read it (``ps``, /proc/PID/cmdline): it may be a password.
        """
        self.run("type", "--delay", str(self.type_delay_ms), "--file", "-", stdin=text)
