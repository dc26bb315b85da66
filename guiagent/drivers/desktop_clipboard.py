"""The X11 clipboard through xclip or xsel, for typing text that keys cannot carry.

Key events cannot reliably deliver non-ASCII text (pyautogui drops it
silently), so ``type`` puts such text on the CLIPBOARD selection and pastes
it, as GLM-4.1V's authors do. Both tools fork a background owner that serves
the selection until another client takes it, so their output must not be
captured through a pipe (the call would wait for the child to exit); the
content is read back to be sure the owner is serving before paste is pressed.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Mapping

from ..errors import ConfigError, DriverError

_COMMANDS = {
    "xclip": (["xclip", "-selection", "clipboard", "-in"],
              ["xclip", "-selection", "clipboard", "-out"]),
    "xsel": (["xsel", "--clipboard", "--input"], ["xsel", "--clipboard", "--output"]),
}


class MissingToolError(DriverError, ConfigError):
    """A program or Python extra the desktop driver needs is not installed."""


class Clipboard:
    """Set and read the CLIPBOARD selection of one display."""

    def __init__(self, env: Mapping[str, str], tool: str | None = None) -> None:
        self.env = dict(env)
        tool = tool or next((t for t in _COMMANDS if shutil.which(t)), None)
        if tool is None:
            raise MissingToolError(
                "typing non-ASCII text needs a clipboard tool: apt-get install xclip (or xsel)"
            )
        if tool not in _COMMANDS:
            raise ConfigError(f"unknown clipboard tool {tool!r}: use xclip or xsel")
        self.tool = tool

    def get(self, timeout: float = 30.0) -> str:
        """Current clipboard text ('' when empty)."""
        try:
            done = subprocess.run(_COMMANDS[self.tool][1], env=self.env, capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise DriverError(f"{self.tool} did not return the clipboard in {timeout:g}s") from exc
        return done.stdout.decode("utf-8", errors="replace") if done.returncode == 0 else ""

    def set(self, text: str, timeout: float = 30.0) -> None:
        """Own the clipboard with ``text`` and wait until it is served back intact."""
        try:
            done = subprocess.run(
                _COMMANDS[self.tool][0], input=text.encode("utf-8"), env=self.env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise DriverError(f"{self.tool} did not take the clipboard in {timeout:g}s") from exc
        except FileNotFoundError as exc:
            raise MissingToolError(f"{self.tool} vanished: apt-get install {self.tool}") from exc
        if done.returncode != 0:
            raise DriverError(f"{self.tool} could not set the clipboard (exit "
                              f"{done.returncode}); is DISPLAY={self.env.get('DISPLAY')} up?")
        deadline = time.monotonic() + timeout
        while self.get() != text:
            if time.monotonic() > deadline:
                raise DriverError(f"the clipboard did not hold the text after {timeout:g}s")
            time.sleep(0.02)
