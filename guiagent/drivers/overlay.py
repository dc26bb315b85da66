"""The overlay surface: where a held dialog or a file chooser is shown and answered.

While Chromium holds a JavaScript dialog open, the page's main thread is
blocked: it cannot be drawn, evaluated or screenshotted. So the overlay lives
on guiagent's own page (a separate browser context with no network), the same
size as the site's viewport, showing the last screenshot of the site with the
dialog or the file picker on top (``page_overlay.js``). The driver routes the
model's clicks and keys there while something is pending, and reads the answer
back. File choosers use the same surface, so a page's script can neither see
nor forge the picker.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from .page_files import UploadFile
from .page_records import human_size

_SCRIPT = resources.files("guiagent.drivers").joinpath("page_overlay.js").read_text("utf-8")
_ACCEPTS_AT = """([x, y]) => {
  const el = document.elementFromPoint(x, y);
  const b = el && el.closest('[data-guiagent-button]');
  return b ? b.getAttribute('data-guiagent-button') === 'accept' : false;
}"""


@dataclass
class Pending:
    """A dialog (``dialog``) or a file chooser (``chooser``) waiting for the model."""

    kind: str  # alert, confirm, prompt, beforeunload, file
    message: str = ""
    default_value: str = ""
    url: str = ""
    dialog: Any = None
    chooser: Any = None
    files: list[UploadFile] = field(default_factory=list)

    def spec(self, background: str | None) -> dict[str, Any]:
        """What page_overlay.js draws for this."""
        origin = urlsplit(self.url).netloc or "This page"
        ok = {"label": "OK", "accept": True, "primary": True}
        cancel = {"label": "Cancel", "accept": False}
        spec: dict[str, Any] = {"kind": self.kind, "background": background,
                                "title": f"{origin} says", "message": self.message,
                                "buttons": [cancel, ok], "enterAccepts": True}
        if self.kind == "alert":
            spec["buttons"] = [ok]
        elif self.kind == "prompt":
            spec["input"] = self.default_value
        elif self.kind == "beforeunload":
            spec.update(title="Leave site?", message="Changes you made may not be saved.",
                        buttons=[cancel, {**ok, "label": "Leave"}])
        elif self.kind == "file":
            many = " (one at a time)" if self.chooser is not None and self.chooser.is_multiple() else ""
            spec.update(title=f"Choose a file to upload{many}", message="",
                        files=[{"name": f.name, "size": human_size(f.size)} for f in self.files],
                        buttons=[cancel], enterAccepts=False)
        return spec

    def describe(self) -> str:
        """A sentence for the model's next prompt."""
        if self.kind == "file":
            names = ", ".join(f.name for f in self.files) or "none are declared"
            return (f"The page opened a file chooser; it is shown on the screen. Click the file "
                    f"to upload ({names}) or Cancel.")
        what = {"alert": "an alert", "confirm": "a confirmation dialog",
                "prompt": "a prompt dialog", "beforeunload": "a 'leave this page?' dialog"}
        answer = ("click OK (or press Enter)" if self.kind == "alert" else
                  "type the answer, then click OK or press Enter; Cancel or Escape declines"
                  if self.kind == "prompt" else "click OK or Cancel")
        return (f"The page opened {what.get(self.kind, 'a dialog')} saying {self.message[:300]!r}; "
                f"it is shown on the screen and holds the page until answered: {answer}.")


class OverlaySurface:
    """guiagent's own page in the same browser, where :class:`Pending` things are drawn."""

    def __init__(self, browser: Any, viewport: dict[str, int], device_scale_factor: float) -> None:
        self._browser = browser
        self._viewport = viewport
        self._scale = device_scale_factor
        self._context: Any = None
        self.page: Any = None

    def show(self, pending: Pending, background: bytes | None, mime: str) -> None:
        """Draw ``pending`` over the ``background`` screenshot."""
        if self.page is None:
            self._context = self._browser.new_context(viewport=self._viewport,
                                                      device_scale_factor=self._scale,
                                                      java_script_enabled=True)
            self._context.route("**/*", lambda route: route.abort())  # the overlay needs no network
            self.page = self._context.new_page()
        url = (f"data:{mime};base64," + base64.b64encode(background).decode("ascii")
               if background else None)
        self.page.set_content("<!doctype html><title>guiagent</title><body></body>")
        self.page.add_script_tag(content=_SCRIPT)
        self.page.evaluate("(spec) => window.__guiagentShowOverlay(spec)", pending.spec(url))
        self.page.wait_for_function("() => !document.querySelector('img') || "
                                    "document.querySelector('img').complete")

    def answer(self) -> dict[str, Any] | None:
        """The model's answer so far: ``{"accept": bool, "text": str|None, "file": int}``."""
        got = self.page.evaluate("() => window.__guiagentAnswer")
        return got if isinstance(got, dict) else None

    def accepts_at(self, x: float, y: float) -> bool:
        """Whether a click at (x, y) would press the accepting button."""
        return bool(self.page.evaluate(_ACCEPTS_AT, [x, y]))

    def close(self) -> None:
        """Drop the overlay's context."""
        if self._context is not None:
            try:
                self._context.close()
            except Exception:  # noqa: BLE001,S110 - best effort on shutdown
                pass
        self._context = self.page = None
