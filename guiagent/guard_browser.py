"""The browser side of the action guard: allowed domains and the text under a point.

Kept apart from :mod:`guiagent.guard` because it speaks Playwright (through a
driver's ``page`` and ``context`` attributes, when it has them) while the
policy itself does not care which driver runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .actions import Action, Key, LeftClick, LeftDoubleClick, LeftDrag, MiddleClick, RightClick
from .geometry import ScreenFrame

_PRESSING = (LeftClick, LeftDoubleClick, RightClick, MiddleClick, LeftDrag)

# The label of what a click at (x, y) would hit, or of the focused element: the nearest
# interactive ancestor's text, else only the element's own text (never a whole page's).
_TEXT_JS = """([x, y, focused]) => {
  const el = focused ? document.activeElement : document.elementFromPoint(x, y);
  if (!el) return "";
  const target = el.closest("button,a,[role=button],[role=link],[role=menuitem],[role=option]," +
                            "input,label,summary,option,select");
  const label = (e) => (e.innerText || e.value || e.getAttribute("aria-label") ||
                        e.getAttribute("title") || e.getAttribute("alt") || "");
  if (target) return label(target).trim().slice(0, 200);
  const own = Array.from(el.childNodes).filter((n) => n.nodeType === 3)
    .map((n) => n.textContent).join(" ");
  return (own || el.getAttribute("aria-label") || "").trim().slice(0, 200);
}"""


def _normal(domain: str) -> tuple[str, str]:
    """``https://Example.com:8080/x`` -> (``example.com``, ``8080``)."""
    d = domain.strip().lower()
    if "//" not in d:
        d = "//" + d
    parts = urlsplit(d)
    return (parts.hostname or ""), (str(parts.port) if parts.port else "")


def domain_allowed(url: str | None, domains: list[str]) -> bool:
    """True when ``url`` is on one of ``domains`` (or a subdomain), or the list is empty."""
    if not domains or not url:
        return True
    parts = urlsplit(url)
    if parts.scheme == "about":
        return True
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return False
    host = (parts.hostname or "").lower()
    port = str(parts.port) if parts.port else ""
    for entry in domains:
        allowed, allowed_port = _normal(entry)
        if allowed_port and allowed_port != port:
            continue
        if host == allowed or host.endswith("." + allowed):
            return True
    return False


def element_text(page: Any, action: Action, frame: ScreenFrame) -> str:
    """Text of the element a pressing action targets ('' when unknown or not applicable)."""
    focused = isinstance(action, Key) and action.keys in ("enter", "space")
    x = y = 0.0
    if isinstance(action, _PRESSING):
        p = frame.resolve(action.start_box.x, action.start_box.y).surface
        x, y = p.x, p.y
    elif not focused:
        return ""
    try:
        return str(page.evaluate(_TEXT_JS, [x, y, focused]) or "")
    except Exception:  # noqa: BLE001 - a page in mid-navigation has no answer; '' is safe
        return ""


class BrowserWatch:
    """Keeps a Playwright page on the allowed domains."""

    def __init__(self, driver: Any, domains: list[str]) -> None:
        self.driver = driver
        self.domains = domains
        self.blocked: list[str] = []
        self.last_allowed: str | None = None

    @classmethod
    def attach(cls, driver: Any, domains: list[str]) -> BrowserWatch | None:
        """Watch ``driver`` if it is a browser and domains are restricted; else None."""
        if not domains or getattr(driver, "page", None) is None:
            return None
        watch = cls(driver, domains)
        context = getattr(driver, "context", None)
        if context is not None and hasattr(context, "route"):
            context.route("**/*", watch._route)
        return watch

    def _route(self, route: Any) -> None:
        request = route.request
        if request.is_navigation_request() and not domain_allowed(request.url, self.domains):
            self.blocked.append(request.url)
            route.abort("blockedbyclient")
        else:
            route.fallback()

    def seen(self, url: str | None) -> None:
        """Remember ``url`` as the page to return to, if it is allowed."""
        if url and domain_allowed(url, self.domains) and not url.startswith("about:"):
            self.last_allowed = url

    def enforce(self) -> list[str]:
        """Report blocked navigations; bring a page that left the domains back. Returns notes."""
        allowed = ", ".join(self.domains)
        notes = [f"the browser did not open {url}: this task may only visit {allowed}."
                 for url in dict.fromkeys(self.blocked)]
        self.blocked.clear()
        page = self.driver.page
        if page is None:
            return notes
        if notes:  # an aborted navigation leaves Chromium's error page behind, once it loads
            _quietly(lambda: page.wait_for_load_state("load", timeout=5_000))
        left = current_url(page)
        if domain_allowed(left, self.domains):
            return notes
        _quietly(lambda: page.go_back(wait_until="load", timeout=10_000))
        if not domain_allowed(current_url(page), self.domains) and self.last_allowed:
            _quietly(lambda: page.goto(self.last_allowed, wait_until="load", timeout=10_000))
        if not notes:
            notes.append(f"the page went to {left}, outside the allowed domains ({allowed}).")
        notes.append(f"The browser went back to {current_url(page)}.")
        return notes


def current_url(page: Any) -> str:
    """The URL the page really shows (``page.url`` can lag behind an error page)."""
    try:
        return str(page.evaluate("location.href"))
    except Exception:  # noqa: BLE001 - mid-navigation: Playwright's idea of it will do
        return str(page.url)


def _quietly(call: Any) -> None:
    try:
        call()
    except Exception:  # noqa: BLE001,S110 - best effort; the caller reports where the page is
        pass
