"""The desktop driver: screenshots with mss, input with pyautogui or xdotool, on X11.

Coordinates go one way only: the model's point is resolved through the frame
of the observation it saw (``frame.resolve``) and the *global* pixel is
clicked, so a monitor or region that does not start at (0, 0) and a
downscaled screenshot both land where the model pointed.

Text is pasted through the clipboard, the way GLM-4.1V's authors implement
``type``: key events cannot carry characters outside the keymap, and typed
one key at a time, text races with the autocompletion of fields such as
LibreOffice's file name box, which swallowed a letter of a typed path in our
tests. ``type_mode="keys"`` types single-line printable ASCII as key events
(for apps that refuse paste, such as terminals) and pastes the rest. With
python-xlib the driver owns the clipboard itself and waits until the app has
read the text (:mod:`.desktop_selection`); without it, xclip/xsel and a pause.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Literal, Protocol

from PIL import Image

from ..actions import (
    Action,
    Hover,
    Key,
    LeftClick,
    LeftDoubleClick,
    LeftDrag,
    MiddleClick,
    RightClick,
    Scroll,
    Type,
)
from ..errors import ActionRefusedError, ConfigError, DriverError, InputNotTakenError
from ..geometry import XY, ResolvedPoint, ScreenFrame, Size
from ..keys import MODIFIERS, parse_combo
from .base import ActionResult, BaseDriver, Observation, described, without_typed_text
from .desktop_clipboard import Clipboard, MissingToolError
from .desktop_input import Button, InputBackend, XdotoolBackend
from .desktop_pyautogui import PyAutoGuiBackend
from .desktop_selection import MAX_BYTES, SelectionOwner, xlib_available
from .desktop_targets import InputTargets

Region = tuple[int, int, int, int]
PASTE_SETTLE_SECONDS = 0.15
#: How long a paste may take before the driver reports that no application read the text.
PASTE_TIMEOUT_SECONDS = 10.0
#: How long a key waits for a focused window, and a click for a window at its point.
INPUT_TIMEOUT_SECONDS = 5.0
if TYPE_CHECKING:
    from mss.screenshot import ScreenShot

_Click = LeftClick | RightClick | MiddleClick | LeftDoubleClick
_CLICKS: dict[type[_Click], tuple[Button, int]] = {
    LeftClick: ("left", 1), RightClick: ("right", 1), MiddleClick: ("middle", 1),
    LeftDoubleClick: ("left", 2),
}


class _Capture(Protocol):
    """What the driver uses of an mss screenshot object (``mss.MSS``; ``MSSBase`` before mss 10)."""

    @property
    def monitors(self) -> list[dict[str, Any]]: ...

    def grab(self, monitor: dict[str, int], /) -> ScreenShot: ...

    def close(self) -> None: ...


def _is_key_typable(text: str) -> bool:
    """Single-line printable ASCII: what key events deliver on any keymap."""
    return text.isascii() and all(" " <= ch <= "~" for ch in text)


class DesktopDriver(BaseDriver):
    """Observe and act on an X11 display (a real desktop or a DesktopSandbox)."""

    name = "desktop"

    def __init__(
        self,
        display: str | None = None,
        monitor: int = 1,
        region: Region | None = None,
        backend: Literal["pyautogui", "xdotool"] = "pyautogui",
        screenshot_scale: float = 1.0,
        *,
        drag_steps: int = 10,
        type_mode: Literal["paste", "keys"] = "paste",
        paste_keys: str = "ctrl+v",
        settle_seconds: float = 0.0,
        clipboard: Literal["auto", "xlib", "xclip", "xsel"] = "auto",
        paste_timeout: float = PASTE_TIMEOUT_SECONDS,
        input_timeout: float = INPUT_TIMEOUT_SECONDS,
        check_input: bool = True,
    ) -> None:
        if backend not in ("pyautogui", "xdotool"):
            raise ConfigError(f"unknown desktop backend {backend!r}: use pyautogui or xdotool")
        if not 0 < screenshot_scale <= 1:
            raise ConfigError("screenshot_scale must be in (0, 1]: screenshots are only shrunk")
        if type_mode not in ("paste", "keys"):
            raise ConfigError(f"unknown type_mode {type_mode!r}: use paste or keys")
        if clipboard not in ("auto", "xlib", "xclip", "xsel"):
            raise ConfigError(f"unknown clipboard {clipboard!r}: use auto, xlib, xclip or xsel")
        if clipboard == "xlib" and not xlib_available():
            raise MissingToolError("clipboard='xlib' needs python-xlib: pip install 'guiagent[desktop]'")
        if region is not None and (len(region) != 4 or region[2] <= 0 or region[3] <= 0):
            raise ConfigError("region must be (left, top, width, height) with a positive size")
        self.display = display
        self.monitor = monitor
        self.region = tuple(region) if region is not None else None
        self.backend_name = backend
        self.screenshot_scale = screenshot_scale
        self.drag_steps = drag_steps
        self.type_mode = type_mode
        self.paste_keys = parse_combo(paste_keys)
        self.settle_seconds = settle_seconds
        self.clipboard = clipboard
        self._own_clipboard = clipboard == "xlib" or (clipboard == "auto" and xlib_available())
        self.paste_timeout = paste_timeout
        self.input_timeout = input_timeout
        # Refuse input nobody would take (needs python-xlib; see desktop_targets).
        self.check_input = check_input and xlib_available()
        self._targets: InputTargets | None = None
        self._sct: _Capture | None = None
        self._backend: InputBackend | None = None
        self._clipboard: Clipboard | None = None
        self._owner: SelectionOwner | None = None
        self._area: dict[str, int] | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        """Connect to the display and pick the captured area; idempotent."""
        if self._sct is not None:
            return
        self.display = self.display or os.environ.get("DISPLAY")
        if not self.display:
            raise ConfigError(
                "no X display: set DISPLAY, pass display=':N', or start a sandbox with "
                "`guiagent sandbox desktop`"
            )
        try:
            import mss
        except ImportError as exc:  # pragma: no cover - mss is a core dependency
            raise MissingToolError("mss is missing: pip install mss") from exc
        factory = getattr(mss, "MSS", None) or mss.mss
        try:
            self._sct = factory(display=self.display)
            monitors = self._sct.monitors
        except Exception as exc:
            self._sct = None
            raise DriverError(f"cannot capture X display {self.display}: {exc}") from exc
        self._area = self._pick_area(monitors)
        env = {**os.environ, "DISPLAY": self.display}
        self._backend = (XdotoolBackend(env) if self.backend_name == "xdotool"
                         else PyAutoGuiBackend(self.display))

    def close(self) -> None:
        """Drop the capture connection; safe to call twice."""
        if self._sct is not None:
            try:
                self._sct.close()
            except Exception:  # noqa: BLE001 - the server may already be gone
                pass
        self._sct = None
        if self._backend is not None:
            self._backend.close()
        self._backend = None
        if self._owner is not None:
            self._owner.stop()
        self._owner = None
        if self._targets is not None:
            self._targets.close()
        self._targets = None

    def describe(self) -> dict:
        """Settings worth recording in run.json."""
        return {
            "name": self.name, "display": self.display, "monitor": self.monitor,
            "region": list(self.region) if self.region else None, "area": self._area,
            "backend": self.backend_name, "screenshot_scale": self.screenshot_scale,
            "type_mode": self.type_mode,
            "clipboard": self.clipboard, "check_input": self.check_input,
        }

    def _pick_area(self, monitors: list[dict[str, int]]) -> dict[str, int]:
        screen = monitors[0]
        if self.region is not None:
            left, top, width, height = self.region
            if (left < screen["left"] or top < screen["top"]
                    or left + width > screen["left"] + screen["width"]
                    or top + height > screen["top"] + screen["height"]):
                raise ConfigError(f"region {self.region} lies outside the screen "
                                  f"{screen['width']}x{screen['height']}")
            return {"left": left, "top": top, "width": width, "height": height}
        if not 0 <= self.monitor < len(monitors):
            listing = ", ".join(
                f"{i}: {m['width']}x{m['height']}+{m['left']}+{m['top']}"
                for i, m in enumerate(monitors)
            )
            raise ConfigError(f"no monitor {self.monitor} on {self.display}; "
                              f"available (0 = all): {listing}")
        m = monitors[self.monitor]
        return {k: int(m[k]) for k in ("left", "top", "width", "height")}

    # -- observe -----------------------------------------------------------
    def observe(self) -> Observation:
        """Grab the monitor or region; the frame maps its pixels back to the screen."""
        self.start()
        assert self._sct is not None and self._area is not None
        t0 = time.perf_counter()
        try:
            shot = self._sct.grab(self._area)
        except Exception as exc:
            raise DriverError(f"screen capture of {self.display} failed: {exc}") from exc
        image = Image.frombytes("RGB", shot.size, shot.raw, "raw", "BGRX")  # no bytes() copy
        if self.screenshot_scale != 1:
            size = (max(1, round(shot.width * self.screenshot_scale)),
                    max(1, round(shot.height * self.screenshot_scale)))
            image = image.resize(size, Image.Resampling.BILINEAR)
        frame = ScreenFrame(
            screenshot=Size(width=image.width, height=image.height),
            surface=Size(width=self._area["width"], height=self._area["height"]),
            origin=XY(x=self._area["left"], y=self._area["top"]),
        )
        return Observation(frame=frame, image=image, capture_seconds=time.perf_counter() - t0)

    # -- act ---------------------------------------------------------------
    def act(self, action: Action, frame: ScreenFrame) -> ActionResult:
        """Execute one action whose points refer to ``frame``."""
        done = self.act_without_screen(action)
        if done is not None:
            return done
        self.start()
        backend = self._backend
        assert backend is not None
        try:
            result = self._dispatch(backend, action, frame)
        except DriverError as exc:
            message = without_typed_text(action, str(exc))
            if message == str(exc):
                raise
            raise DriverError(message) from None
        except Exception as exc:  # pyautogui and Xlib raise their own types
            raise DriverError(without_typed_text(
                action, f"{backend.name} failed on {described(action)}: {exc}")) from None
        if self.settle_seconds:
            time.sleep(self.settle_seconds)
        return result

    def _dispatch(self, backend: InputBackend, action: Action, frame: ScreenFrame) -> ActionResult:
        if isinstance(action, _Click):
            button, count = _CLICKS[type(action)]
            point = frame.resolve(action.start_box.x, action.start_box.y)
            self._require_window_at(point, "click")
            backend.click(*point.global_.rounded(), button=button, count=count)
            return _result([point], f"{button} x{count} via {backend.name}")
        if isinstance(action, Hover):
            point = frame.resolve(action.start_box.x, action.start_box.y)
            backend.move(*point.global_.rounded())
            return _result([point], f"moved via {backend.name}")
        if isinstance(action, LeftDrag):
            start = frame.resolve(action.start_box.x, action.start_box.y)
            end = frame.resolve(action.end_box.x, action.end_box.y)
            self._require_window_at(start, "drag")
            backend.drag(start.global_.rounded(), end.global_.rounded(), self.drag_steps)
            return _result([start, end], f"dragged in {self.drag_steps} steps")
        if isinstance(action, Scroll):
            point = frame.resolve(action.start_box.x, action.start_box.y)
            self._require_window_at(point, "scroll")
            backend.scroll(*point.global_.rounded(), direction=action.direction,
                           clicks=action.step)
            return _result([point], f"{action.step} wheel clicks {action.direction}")
        if isinstance(action, Key):
            return self._press(backend, parse_combo(action.keys))
        if isinstance(action, Type):
            return self._type(backend, action.content)
        raise ActionRefusedError(f"the desktop driver cannot execute {action.to_call()}")

    def _press(self, backend: InputBackend, keys: list[str]) -> ActionResult:
        if len(keys) == 1 and len(keys[0]) == 1 and not keys[0].isascii():
            return self._type(backend, keys[0])  # a lone non-ASCII "key" is text
        if any(len(k) == 1 and not k.isascii() for k in keys) and set(keys) & MODIFIERS:
            raise ActionRefusedError(f"cannot combine modifiers with non-ASCII keys: {keys}")
        self._require_focus(f"the key {'+'.join(keys)}")
        backend.press(keys)
        return ActionResult(detail=f"pressed {'+'.join(keys)} via {backend.name}")

    def _type(self, backend: InputBackend, text: str) -> ActionResult:
        if not text:
            return ActionResult(detail="nothing to type")
        self._require_focus(f"typing {len(text)} chars")
        if self.type_mode == "keys" and _is_key_typable(text):
            backend.type_ascii(text)
            return ActionResult(detail=f"typed {len(text)} chars as keys via {backend.name}")
        if self._own_clipboard and len(text.encode("utf-8")) <= MAX_BYTES:
            return self._paste_owned(backend, text)
        if self._clipboard is None:
            tool = None if self.clipboard in ("auto", "xlib") else self.clipboard
            self._clipboard = Clipboard({**os.environ, "DISPLAY": self.display or ""}, tool)
        self._clipboard.set(text)
        backend.press(self.paste_keys)
        # The app fetches the selection after the key; give it time before the clipboard
        # can change again, or a quick second type() could paste the newer text twice.
        time.sleep(PASTE_SETTLE_SECONDS)
        return ActionResult(
            detail=f"pasted {len(text)} chars via {self._clipboard.tool} and "
                   f"{'+'.join(self.paste_keys)}"
        )

    def _paste_owned(self, backend: InputBackend, text: str) -> ActionResult:
        """Offer the text on the clipboard, press paste, wait until the app has read it."""
        if self._owner is None:
            self._owner = SelectionOwner(self.display or "").start()
        offer = self._owner.offer(text)
        offer.arm()
        backend.press(self.paste_keys)
        keys = "+".join(self.paste_keys)
        if not offer.served.wait(self.paste_timeout):
            offer.withdraw()  # a late read must not enter the text after we report it lost
            raise InputNotTakenError(
                f"pressed {keys} with {len(text)} chars on the clipboard, but no application "
                f"read them in {self.paste_timeout:g}s, so nothing was typed: focus a text "
                "field, or wait until the application has finished starting")
        # The app has the text; it may still be inserting it while it handles the next keys
        # (LibreOffice's clipboard wait dispatches them), so give it a moment before those.
        time.sleep(PASTE_SETTLE_SECONDS)
        return ActionResult(detail=f"pasted {len(text)} chars with {keys}; the application read "
                                   f"them as {offer.targets_served[0]}")

    # -- is anybody there? ------------------------------------------------------
    def _input_targets(self) -> InputTargets | None:
        if not self.check_input:
            return None
        if self._targets is None:
            self._targets = InputTargets(self.display or "")
        return self._targets

    def _require_focus(self, what: str) -> None:
        """Wait briefly for a client window to have the keyboard focus, else refuse."""
        targets = self._input_targets()
        if targets is None or targets.wait_focus(self.input_timeout):
            return
        raise InputNotTakenError(
            f"no application window has the keyboard focus on {self.display} (waited "
            f"{self.input_timeout:g}s), so {what} would go nowhere and was not sent: open or "
            "click the application's window first, or wait until it has started")

    def _require_window_at(self, point: ResolvedPoint, what: str) -> None:
        """Wait briefly for a window to be mapped at the point, else refuse."""
        targets = self._input_targets()
        if targets is None:
            return
        x, y = point.global_.rounded()
        if targets.wait_window_at(x, y, self.input_timeout):
            return
        raise InputNotTakenError(
            f"no window is mapped at ({x}, {y}) on {self.display} (waited "
            f"{self.input_timeout:g}s), so the {what} would hit the bare desktop and was not "
            "sent: wait until the application's window is shown")


def _result(points: list[ResolvedPoint], detail: str) -> ActionResult:
    return ActionResult(points=points, detail=detail)
