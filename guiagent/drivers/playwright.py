"""PlaywrightDriver: a real Chromium page driven by real mouse and keyboard events.

Every action goes through ``page.mouse`` and ``page.keyboard`` (never
``element.fill``), so pages see what a person would produce: date, time and
number inputs take typed keys, listeners fire in order. Native ``<select>``
popups are replaced by an in-page list (``select_shim.js``) because headless
Chromium does not deliver clicks to them.
"""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

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
from ..allowlist import AllowList
from ..errors import ActionRefusedError, ConfigError, DriverError
from ..geometry import ScreenFrame, Size
from ..keys import parse_combo
from .allow_proxy import AllowListProxy
from .base import ActionResult, BaseDriver, Observation
from .browser import acquire_playwright, launch_chromium, release_playwright

_PW_KEYS = {
    "ctrl": "Control", "shift": "Shift", "alt": "Alt", "meta": "Meta", "enter": "Enter",
    "tab": "Tab", "space": " ", "backspace": "Backspace", "delete": "Delete", "escape": "Escape",
    "insert": "Insert", "up": "ArrowUp", "down": "ArrowDown", "left": "ArrowLeft",
    "right": "ArrowRight", "home": "Home", "end": "End", "pageup": "PageUp",
    "pagedown": "PageDown", "capslock": "CapsLock", "printscreen": "PrintScreen",
    "menu": "ContextMenu", **{f"f{i}": f"F{i}" for i in range(1, 13)},
}
WHEEL_CLICK_PX = 100  # one wheel notch in Chromium
CAPTURE_TRIES = 3
_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def playwright_combo(keys: str) -> str:
    """``ctrl+shift+t`` -> ``Control+Shift+T``-style string for ``keyboard.press``."""
    return "+".join(_PW_KEYS.get(k, k) for k in parse_combo(keys))


class PlaywrightDriver(BaseDriver):
    """Drives one Chromium page through Playwright's sync API."""

    name = "playwright"

    def __init__(self, url: str | None = None, *, viewport: Size | str = "1280x720",
                 headless: bool = True, device_scale_factor: float = 1.0,
                 screenshot_scale: str = "css", image_format: str = "jpeg", jpeg_quality: int = 85,
                 executable_path: str | None = None, settle_ms: int = 50,
                 wait_seconds: float = 5.0, allow_domains: list[str] | None = None,
                 browser: Any = None) -> None:
        self.url = url
        #: Hosts the browser may reach at all (an :mod:`~guiagent.allowlist`); empty: any.
        #: Enforced by a local proxy every request passes (:mod:`.allow_proxy`).
        self.allow_domains = list(allow_domains or [])
        try:
            AllowList(self.allow_domains)
        except ValueError as exc:
            raise ConfigError(f"allow_domains: {exc}") from exc
        self.network_filter: AllowListProxy | None = None
        self.viewport = Size.parse(viewport) if isinstance(viewport, str) else viewport
        self.headless = headless
        self.device_scale_factor = device_scale_factor
        if screenshot_scale not in ("css", "device"):
            raise DriverError("screenshot_scale must be 'css' or 'device'")
        self.screenshot_scale = screenshot_scale
        self.image_format = "jpeg" if image_format in ("jpeg", "jpg") else "png"
        self.jpeg_quality = jpeg_quality
        self.executable_path = executable_path
        self.settle_ms = settle_ms
        self.wait_seconds = wait_seconds
        self._pw: Any = None
        self._navigating = False
        self._browser: Any = None
        #: A browser someone else launched and owns (an evaluation worker's): this driver
        #: only opens and closes its own context in it.
        self.shared_browser = browser
        self.context: Any = None
        self.page: Any = None

    def describe(self) -> dict:
        """Settings for run.json."""
        return {"name": self.name, "url": self.url, "viewport": str(self.viewport),
                "headless": self.headless, "device_scale_factor": self.device_scale_factor,
                "screenshot_scale": self.screenshot_scale, "image_format": self.image_format,
                **({"allow_domains": self.allow_domains} if self.allow_domains else {})}

    def start(self) -> None:
        """Launch the browser and open ``url``."""
        if self.page is not None:
            return
        from playwright.sync_api import Error as PwError

        try:
            extra_args = []
            if self.allow_domains:
                self.network_filter = AllowListProxy(AllowList(self.allow_domains)).start()
                extra_args = self.network_filter.chromium_args()
            if self.shared_browser is not None and not self.allow_domains:
                browser = self.shared_browser  # the network filter needs launch flags: own browser
            else:
                self._pw = acquire_playwright()
                browser = self._browser = launch_chromium(self._pw, headless=self.headless,
                                                          executable_path=self.executable_path,
                                                          extra_args=extra_args)
            self.context = browser.new_context(
                viewport={"width": self.viewport.width, "height": self.viewport.height},
                device_scale_factor=self.device_scale_factor)
            shim = resources.files("guiagent.drivers").joinpath("select_shim.js").read_text("utf-8")
            self.context.add_init_script(shim)
            self.context.on("page", self._on_new_page)
            self.context.on("request", self._on_request)
            self.page = self.context.new_page()
            if self.url:
                self.page.goto(self.url, wait_until="load")
        except PwError as exc:
            self.close()
            raise DriverError(f"cannot start the browser or open {self.url}: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def _on_new_page(self, page: Any) -> None:
        self.page = page  # popups and target=_blank links: follow them like a person would

    def close(self) -> None:
        """Close the browser (only the context of a shared one) and stop Playwright."""
        if self.shared_browser is not None and self.context is not None:
            try:
                self.context.close()
            except Exception:  # noqa: BLE001,S110 - best effort on shutdown (a crashed browser)
                pass
        if self._browser is not None:
            try:
                self._browser.close()
            except Exception:  # noqa: BLE001,S110 - best effort on shutdown
                pass
        if self._pw is not None:
            release_playwright()
        if self.network_filter is not None:
            self.network_filter.close()
            self.network_filter = None
        self._pw = self._browser = self.context = self.page = None

    def _require_page(self) -> Any:
        if self.page is None:
            raise DriverError("the browser is not started: call start() or use the driver "
                              "as a context manager")
        return self.page

    def observe(self) -> Observation:
        """Screenshot of the viewport, with URL and title."""
        page = self._require_page()
        t0 = time.perf_counter()
        kwargs: dict[str, Any] = {"type": self.image_format, "scale": self.screenshot_scale}
        if self.image_format == "jpeg":
            kwargs["quality"] = self.jpeg_quality
        for attempt in range(CAPTURE_TRIES):
            try:
                data = page.screenshot(**kwargs)
                title = page.title()
                break
            except Exception as exc:  # noqa: BLE001 - Playwright's Error, or a closed page
                # Right after a navigation Chromium may not have painted the new document yet
                # ("Unable to capture screenshot", ~1 in 5 here); a moment later it has.
                if attempt + 1 == CAPTURE_TRIES or page.is_closed():
                    raise DriverError(f"cannot capture the page: {exc}") from exc
                page.wait_for_timeout(100)
        scale = self.device_scale_factor if self.screenshot_scale == "device" else 1.0
        shot = Size(width=round(self.viewport.width * scale), height=round(self.viewport.height * scale))
        frame = ScreenFrame(screenshot=shot, surface=self.viewport,
                            device_scale_factor=self.device_scale_factor)
        return Observation(frame=frame, data=data, mime=f"image/{self.image_format}",
                           url=page.url, title=title, capture_seconds=time.perf_counter() - t0)

    def act(self, action: Action, frame: ScreenFrame) -> ActionResult:
        """Execute one action with real input events."""
        done = self.act_without_screen(action)
        if done is not None:
            return done
        page = self._require_page()
        mouse, keyboard = page.mouse, page.keyboard
        self._navigating = False
        try:
            if isinstance(action, LeftDrag):
                a, b = frame.resolve(action.start_box.x, action.start_box.y), frame.resolve(
                    action.end_box.x, action.end_box.y)
                mouse.move(a.surface.x, a.surface.y)
                mouse.down()
                mouse.move(b.surface.x, b.surface.y, steps=12)
                mouse.up()
                result = ActionResult(points=[a, b], detail="dragged")
            elif isinstance(action, LeftClick | RightClick | MiddleClick | LeftDoubleClick | Hover):
                p = frame.resolve(action.start_box.x, action.start_box.y)
                if isinstance(action, Hover):
                    mouse.move(p.surface.x, p.surface.y)
                else:
                    button = {"right_click": "right", "middle_click": "middle"}.get(action.action, "left")
                    count = 2 if isinstance(action, LeftDoubleClick) else 1
                    mouse.move(p.surface.x, p.surface.y)
                    mouse.click(p.surface.x, p.surface.y, button=button, click_count=count)
                result = ActionResult(points=[p], detail=action.action)
            elif isinstance(action, Scroll):
                p = frame.resolve(action.start_box.x, action.start_box.y)
                mouse.move(p.surface.x, p.surface.y)
                sign = 1 if action.direction == "down" else -1
                for _ in range(action.step):
                    mouse.wheel(0, sign * WHEEL_CLICK_PX)
                page.evaluate(_TWO_FRAMES)  # wheel scrolling lands asynchronously
                result = ActionResult(points=[p], detail=f"scrolled {action.direction} {action.step}")
            elif isinstance(action, Key):
                keyboard.press(playwright_combo(action.keys))
                result = ActionResult(detail=f"pressed {action.keys}")
            elif isinstance(action, Type):
                keyboard.type(action.content)
                result = ActionResult(detail=f"typed {len(action.content)} characters")
            else:  # pragma: no cover - the union is exhaustive
                raise ActionRefusedError(f"the browser driver cannot execute {action.action}")
        except (ActionRefusedError, DriverError):
            raise
        except Exception as exc:  # noqa: BLE001 - Playwright's Error
            raise DriverError(f"{action.action} failed in the browser: {exc}") from exc
        self._settle()
        return result

    def _settle(self) -> None:
        """Let what the action triggered finish before the next capture.

        Two animation frames cover re-renders; a short pause lets a click start
        its navigation; only when one started do we wait for the new page to load.
        """
        page = self.page
        try:
            page.evaluate(_TWO_FRAMES)
            if self.settle_ms:
                page.wait_for_timeout(self.settle_ms)
            if self._navigating:
                page.wait_for_load_state("load", timeout=10_000)
        except Exception:  # noqa: BLE001,S110 - a page still loading is not an error of the action
            pass
        finally:
            self._navigating = False

    def _on_request(self, req: Any) -> None:
        if req.is_navigation_request() and req.frame == req.frame.page.main_frame:
            self._navigating = True
