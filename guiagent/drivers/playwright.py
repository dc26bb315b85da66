"""PlaywrightDriver: a real Chromium page driven by real mouse and keyboard events.

Every action goes through Playwright's mouse and keyboard (never
``element.fill``), so pages see what a person would produce: date, time and
number inputs take typed keys, listeners fire in order. Native ``<select>``
popups are replaced by an in-page list (``select_shim.js``) because headless
Chromium does not deliver clicks to them. What headless Chromium draws nowhere
else is made visible too: JavaScript dialogs and file choosers are held and
shown on an overlay the model answers (:mod:`.overlay`), downloads are saved
into the run, new tabs are followed (:mod:`.page_events`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from ..actions import Action, Key, Scroll, Type
from ..allowlist import AllowList
from ..errors import ConfigError, DriverError, PageNotRespondingError
from ..geometry import ScreenFrame, Size
from ..keys import parse_combo
from .allow_proxy import AllowListProxy
from .base import ActionResult, BaseDriver, Observation, without_typed_text
from .browser import acquire_playwright, launch_chromium, release_playwright
from .capture import ScreenCapture
from .held_input import DialogSignal, call_bounded, perform, run_until_held
from .overlay import OverlaySurface
from .page_events import PageEventsMixin
from .page_files import declared_uploads
from .settle import (
    EXPECTED_EVENT_TIMEOUT_S,
    SETTLE_JS,
    aborted_navigation,
    settle_page,
    wait_for_event,
    wait_for_new_document,
)

_PW_KEYS = {
    "ctrl": "Control", "shift": "Shift", "alt": "Alt", "meta": "Meta", "enter": "Enter",
    "tab": "Tab", "space": " ", "backspace": "Backspace", "delete": "Delete", "escape": "Escape",
    "insert": "Insert", "up": "ArrowUp", "down": "ArrowDown", "left": "ArrowLeft",
    "right": "ArrowRight", "home": "Home", "end": "End", "pageup": "PageUp",
    "pagedown": "PageDown", "capslock": "CapsLock", "printscreen": "PrintScreen",
    "menu": "ContextMenu", **{f"f{i}": f"F{i}" for i in range(1, 13)},
}
CAPTURE_TRIES = 3


#: How long one input may take before the page counts as not responding (s; typing adds
#: 50 ms per character).
INPUT_TIMEOUT_S = 30.0
#: How long the page may take to say how long it took to load (s).
PAGE_LOAD_ASK_S = 1.0
_PAGE_LOAD_MS = """() => { const n = performance.getEntriesByType('navigation')[0];
  return n ? (n.loadEventEnd || performance.now()) - n.startTime : null; }"""


def playwright_combo(keys: str) -> str:
    """``ctrl+shift+t`` -> ``Control+Shift+T``-style string for ``keyboard.press``."""
    return "+".join(_PW_KEYS.get(k, k) for k in parse_combo(keys))


class PlaywrightDriver(PageEventsMixin, BaseDriver):
    """Drives one Chromium page through Playwright's sync API.

    ``upload_files`` are the only files a file chooser offers (``--upload-file``);
    ``http_credentials`` (``{"username", "password", "origin"}``) answers HTTP auth.
    """

    name = "playwright"

    def __init__(self, url: str | None = None, *, viewport: Size | str = "1280x720",
                 headless: bool = True, device_scale_factor: float = 1.0,
                 screenshot_scale: str = "css", image_format: str = "jpeg", jpeg_quality: int = 85,
                 executable_path: str | None = None, settle_ms: int = 0,
                 cdp_capture: bool = True,
                 wait_seconds: float = 5.0, upload_files: Sequence[str | Path] | None = None,
                 http_credentials: dict[str, str] | None = None,
                 allow_domains: list[str] | None = None, browser: Any = None,
                 input_timeout: float = INPUT_TIMEOUT_S) -> None:
        self.url = url
        #: Seconds an input may take before the page counts as not responding (a script that
        #: never yields holds Chromium's acknowledgement of the event for ever).
        self.input_timeout = input_timeout
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
        #: Capture through CDP's Page.captureScreenshot (:mod:`.capture`, faster) instead of
        #: Playwright's screenshot, which remains the fallback when CDP fails or times out.
        #: Its frames show what the settled action did (tests/test_capture_fresh.py).
        self.cdp_capture = cdp_capture
        self.wait_seconds = wait_seconds
        self.uploads = declared_uploads(list(upload_files or []))
        self.http_credentials = http_credentials
        self._pw: Any = None
        self._navigating = self._popup_expected = False
        self._page_before: Any = None
        #: Main-frame commits so far (``framenavigated``), and the count when the action began.
        self._commits = self._commits_before = 0
        #: Iframes of the page whose document was replaced since the action began.
        self._frames_committed: set[Any] = set()
        #: Main-frame navigations that ended without a document (a 204 answer), likewise.
        self._aborts = self._aborts_before = 0
        self._browser: Any = None
        #: A browser someone else launched and owns (an evaluation worker's): this driver
        #: only opens and closes its own context in it.
        self.shared_browser = browser
        self.context: Any = None
        self._page: Any = None
        self._signal: DialogSignal | None = None
        self.overlay: OverlaySurface | None = None
        self._last_shot: tuple[bytes, str] | None = None
        self._screens = ScreenCapture()
        #: What the page said when the last action settled (:func:`.settle.settle_page`).
        self.last_settle: dict[str, Any] = {}
        self._last_title = ""
        self.reset_page_events()

    @property
    def page(self) -> Any:
        """The page the model sees: the site's, or the overlay while a dialog or chooser waits."""
        if self._shown is not None and self.overlay is not None and self.overlay.page is not None:
            return self.overlay.page
        return self._page

    @page.setter
    def page(self, value: Any) -> None:
        self._page = value

    @property
    def site_page(self) -> Any:
        """The site's active page (tab), even while the overlay is shown."""
        return self._page

    def describe(self) -> dict:
        """Settings for run.json."""
        out: dict[str, Any] = {"name": self.name, "url": self.url, "viewport": str(self.viewport),
               "headless": self.headless, "device_scale_factor": self.device_scale_factor,
               "screenshot_scale": self.screenshot_scale, "image_format": self.image_format,
               **({"allow_domains": self.allow_domains} if self.allow_domains else {})}
        if self.uploads:
            out["upload_files"] = [f.name for f in self.uploads]
        if self.http_credentials:
            out["http_auth"] = self.http_credentials.get("origin") or "any site"
        return out

    def start(self) -> None:
        """Launch the browser and open ``url``."""
        if self._page is not None:
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
            viewport = {"width": self.viewport.width, "height": self.viewport.height}
            options: dict[str, Any] = {"viewport": viewport, "accept_downloads": True,
                                       "device_scale_factor": self.device_scale_factor}
            if self.http_credentials:
                options["http_credentials"] = self.http_credentials
            self.context = browser.new_context(**options)
            shim = resources.files("guiagent.drivers").joinpath("select_shim.js").read_text("utf-8")
            self.context.add_init_script(shim)
            self.context.add_init_script(resources.files("guiagent.drivers").joinpath(
                "popup_watch.js").read_text("utf-8"))
            self.context.add_init_script(SETTLE_JS)
            self.context.on("page", self._on_new_page)
            self.context.on("request", self._on_request)
            self.context.on("requestfailed", self._on_request_failed)
            first = self.context.new_page()
            self._on_new_page(first)
            self._signal = DialogSignal(first)
            self.overlay = OverlaySurface(browser, viewport, self.device_scale_factor)
            if self.url:
                first.goto(self.url, wait_until="load")
        except PwError as exc:
            self.close()
            raise DriverError(f"cannot start the browser or open {self.url}: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the browser (only the contexts of a shared one) and stop Playwright."""
        if self.overlay is not None:
            self.overlay.close()
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
        self._pw = self._browser = self.context = self._page = self.overlay = None
        self.reset_page_events()

    def _require_page(self) -> Any:
        if self._page is None:
            raise DriverError("the browser is not started: call start() or use the driver "
                              "as a context manager")
        return self._page

    def _capture_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"type": self.image_format, "scale": self.screenshot_scale,
                                  "timeout": 10_000}
        if self.image_format == "jpeg":
            kwargs["quality"] = self.jpeg_quality
        return kwargs

    def observe(self) -> Observation:
        """Screenshot of the viewport (or of the overlay, while one waits), with URL and title."""
        page = self._require_page()
        t0 = time.perf_counter()
        kwargs = self._capture_kwargs()
        self.show_pending()
        for attempt in range(CAPTURE_TRIES):
            if self._shown is not None and self.overlay is not None:
                data, title = self.overlay.page.screenshot(**kwargs), self._last_title
                break
            try:
                data, title = self._capture(page, kwargs)
                self._last_shot, self._last_title = (data, f"image/{self.image_format}"), title
                break
            except Exception as exc:  # noqa: BLE001 - Playwright's Error, or a closed page
                # Right after a navigation Chromium may not have painted the new document yet
                # ("Unable to capture screenshot", ~1 in 5 here); a moment later it has.
                # A dialog opened by a timer freezes the page: show it instead.
                if self.show_pending():
                    continue
                if attempt + 1 == CAPTURE_TRIES or page.is_closed():
                    raise DriverError(f"cannot capture the page: {exc}") from exc
                page.wait_for_timeout(100)
        scale = self.device_scale_factor if self.screenshot_scale == "device" else 1.0
        shot = Size(width=round(self.viewport.width * scale), height=round(self.viewport.height * scale))
        frame = ScreenFrame(screenshot=shot, surface=self.viewport,
                            device_scale_factor=self.device_scale_factor)
        return Observation(frame=frame, data=data, mime=f"image/{self.image_format}",
                           url=page.url, title=title, capture_seconds=time.perf_counter() - t0)

    def _capture(self, page: Any, kwargs: dict[str, Any]) -> tuple[bytes, str]:
        """The viewport and title as captured by Chromium (:mod:`.capture`), else by Playwright."""
        if self.cdp_capture and self.device_scale_factor == 1:
            captured = self._screens.capture(page, self.image_format, self.jpeg_quality)
            if captured is not None:
                return captured
        return page.screenshot(**kwargs), page.title()

    def act(self, action: Action, frame: ScreenFrame) -> ActionResult:
        """Execute one action with real input events (on the overlay while one waits)."""
        done = self.act_without_screen(action)
        if done is not None:
            return done
        page = self._require_page()
        if self._shown is not None:
            return self.act_on_overlay(action, frame)
        if isinstance(action, Key) and parse_combo(action.keys) in (["alt", "left"], ["alt", "right"]):
            return self.history(action.keys)
        make, result = perform(action, frame)
        self._navigating = False
        self._popup_expected = False
        self._page_before = page
        self._commits_before, self._aborts_before = self._commits, self._aborts
        self._frames_committed = set()
        assert self._signal is not None
        self._signal.rearm()
        started = time.perf_counter()
        limit = self.input_timeout + (len(action.content) * 0.05 if isinstance(action, Type) else 0)
        try:
            self._held = run_until_held(page, make, self._signal, limit)
        except Exception as exc:  # noqa: BLE001 - Playwright's Error
            raise DriverError(without_typed_text(
                action, f"{action.action} failed in the browser: {exc}")) from None
        if self._held is not None and not self._signal.future.done():  # no dialog: a hung page
            self._held.cancel()
            self._held = None
            raise PageNotRespondingError(
                f"{action.action}: the page did not take the input within {limit:g} s: its "
                "script keeps the browser busy (the page stopped responding); the input may "
                "still arrive if it recovers. Reload it or open another page.")
        if self._held is None:
            result.page_load = self._settle(wheel=isinstance(action, Scroll), since=started)
        if self.show_pending() and self._shown is not None:
            result.detail += f"; the page opened a {self._shown.kind} dialog" if \
                self._shown.kind != "file" else "; the page opened a file chooser"
        return result

    def _settle(self, *, wheel: bool = False, since: float | None = None) -> float:
        """Let what the action started finish before the next capture (:mod:`.settle`); how long
        the page took to load a new document the action started (a navigation or a new tab), by
        its own Navigation Timing, at most the time since ``since`` (the input's start).

        The page tells, in one round trip, when the work the action started is
        done (at once when there is none); a new tab it asked for is waited for,
        and a navigation until the new document has loaded. A form submission
        counts from its submit event, before its request leaves (settle_watch.js).
        ``settle_ms`` (0 by default) adds a pause after the page's answer, for
        pages that change by means the watcher cannot see (a Web Worker, a
        server push).
        """
        page, page_load = self._page, 0.0
        since = time.perf_counter() if since is None else since
        try:
            state = self.last_settle = settle_page(page, self._signal, wheel=wheel)
            if self.settle_ms:  # before the navigation checks: a late navigation request lands here
                page.wait_for_timeout(self.settle_ms)
            asked = not self._pending and (self._popup_expected or bool(state.get("opened")))
            if asked and self._page is self._page_before:
                # a new tab is coming but its page object has not arrived yet
                self.context.wait_for_event("page", timeout=5_000)
            documents = self._documents_started(state)
            try:
                self._wait_for_documents(page, documents)
            finally:
                page_load = max((self._page_load_seconds(d) for d in documents), default=0.0)
            expect = tuple(state.get("expect") or ())
            if expect and not self._pending and not self._downloads:
                wait_for_event(page, expect, EXPECTED_EVENT_TIMEOUT_S)
        except Exception:  # noqa: BLE001,S110 - a page still loading is not an error of the action
            pass
        finally:
            self._navigating = self._popup_expected = False
        return min(page_load, time.perf_counter() - since)

    def _documents_started(self, state: dict[str, Any]) -> list[Any]:
        """The documents the action started, to wait for: ``None`` for the page's own (a new
        tab's first, or a navigation's), else the iframes that navigate."""
        frames = state.pop("frames_navigating", None) or []  # frames are not for last_settle
        if self._page is not self._page_before:
            return [None]
        if self._pending:
            return []
        return [None] if self._navigating or state["navigating"] else frames

    def _wait_for_documents(self, page: Any, documents: list[Any]) -> None:
        for document in documents:
            if document is not None:  # an iframe
                wait_for_new_document(page, committed=document in self._frames_committed,
                                      frame=document)
            elif self._page is not self._page_before:  # a new tab: wait for its first page
                self._page.wait_for_load_state("load", timeout=10_000)
            else:
                wait_for_new_document(page, committed=self._commits != self._commits_before,
                                      aborted=self._aborts != self._aborts_before)

    def _page_load_seconds(self, frame: Any = None) -> float:
        """How long the current document (of the page, or of its iframe ``frame``) took from its
        navigation's start to ``load`` (or to now, still loading), by its own Navigation Timing:
        the site's and the browser's time. 0 when it cannot tell (the caller bounds it: the
        page's own script could say anything)."""
        target = frame or self._page
        try:  # bounded: a page that spins after load must not hold the step
            said = call_bounded(self._page, target._impl_obj.evaluate(_PAGE_LOAD_MS, None),
                                PAGE_LOAD_ASK_S)
        except Exception:  # noqa: BLE001 - the document went away meanwhile, or no answer
            return 0.0
        return max(0.0, float(said)) / 1000 if isinstance(said, (int, float)) else 0.0

    def _on_frame_navigated(self, frame: Any) -> None:
        if frame.page is not self._page:
            return
        if frame.parent_frame is None:
            self._commits += 1
        else:
            self._frames_committed.add(frame)

    def _on_request_failed(self, req: Any) -> None:
        try:
            if req.frame.page is self._page and aborted_navigation(req):
                self._aborts += 1
        except Exception:  # noqa: BLE001,S110 - a request of a frame already gone
            pass

    def _on_request(self, req: Any) -> None:
        try:
            if not req.is_navigation_request():
                return
            frame = req.frame  # raises for a popup's first navigation: it has no frame yet
            main = frame.page.main_frame if frame.page is not None else None
        except Exception:  # noqa: BLE001 - Playwright's Error: a new tab is navigating
            self._navigating = self._popup_expected = True
            return
        if frame != main:
            return
        if frame.page == self._page:
            self._navigating = True
        elif id(frame.page) not in self._attached:  # a new tab, before its "page" event
            self._navigating = self._popup_expected = True
