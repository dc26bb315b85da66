"""The browser side of the action guard: allowed domains and the text under a point.

Kept apart from :mod:`guiagent.guard` because it speaks Playwright (through a
driver's ``page`` and ``context`` attributes, when it has them) while the
policy itself does not care which driver runs.
"""

from __future__ import annotations

from typing import Any

from .actions import Action
from .allowlist import AllowList, url_for_note
from .errors import ConfigError
from .geometry import ScreenFrame
from .guard_dom import PRESSING, describe_pressed


def domain_allowed(url: str | None, domains: list[str]) -> bool:
    """True when ``url`` is on one of ``domains`` (or a subdomain), or the list is empty.

    Matching follows :mod:`guiagent.allowlist`; invalid entries match nothing.
    """
    return AllowList(domains, strict=False).allows_url(url)


def element_text(page: Any, action: Action, frame: ScreenFrame) -> str:
    """What a pressing action targets in ``page`` ('' when unknown or not applicable).

    See :mod:`guiagent.guard_dom`: the element under a click, or the focused
    control for Enter/Space in any form, by accessible name and visible text.
    """
    at = None
    if isinstance(action, PRESSING):
        p = frame.resolve(action.start_box.x, action.start_box.y).surface
        at = (p.x, p.y)
    return describe_pressed(page, action, at)


class BrowserWatch:
    """Reports what the allow list refused and keeps a Playwright page on the allowed domains.

    The refusing itself happens in the network: the driver's
    :class:`~guiagent.drivers.allow_proxy.AllowListProxy`, which every request of
    the browser passes (redirect hops, subresources, workers and popups included).
    This class turns what was refused into notes for the model, and brings back
    a page left showing an error page for a refused address.
    """

    def __init__(self, driver: Any, domains: list[str], network: Any) -> None:
        self.driver = driver
        self.domains = domains
        self.allow = AllowList(domains, strict=False)
        self.network = network
        self.blocked: list[str] = []
        self.last_allowed: str | None = None

    @classmethod
    def attach(cls, driver: Any, domains: list[str]) -> BrowserWatch | None:
        """Watch ``driver`` if it is a browser and domains are restricted; else None.

        Raises ConfigError for a browser started without the network filter: an
        allow list that only watched the page could be bypassed by a redirect.
        """
        if not domains or getattr(driver, "page", None) is None:
            return None
        network = getattr(driver, "network_filter", None)
        if network is None:
            raise ConfigError(
                "this browser was started without the allow list at the network, so a redirect "
                "could reach another host: create it with PlaywrightDriver(..., allow_domains=[...]) "
                "or call ActionGuard.prepare(driver) before starting it (guiagent run does)")
        watch = cls(driver, domains, network)
        network.allow = watch.allow
        context = getattr(driver, "context", None)
        if context is not None and hasattr(context, "on"):
            context.on("request", watch._on_request)
        return watch

    def _on_request(self, request: Any) -> None:
        # Navigations, redirect hops included (Playwright reports each hop as a request);
        # the proxy refuses them, this only remembers them for the model's note.
        if request.is_navigation_request() and not self.allow.allows_url(request.url):
            self.blocked.append(request.url)

    def seen(self, url: str | None) -> None:
        """Remember ``url`` as the page to return to, if it is allowed."""
        if url and self.allow.allows_url(url) and not url.startswith("about:"):
            self.last_allowed = url

    def refused_requests(self) -> list[str]:
        """Every request the network filter refused since the last call (scheme, host, path)."""
        return list(dict.fromkeys(str(b) for b in self.network.take_blocked()))

    def enforce(self) -> list[str]:
        """Report blocked navigations; bring a page that left the domains back. Returns notes.

        Notes name addresses by scheme, host and path only: a query may hold a secret.
        """
        allowed = ", ".join(self.domains)
        notes = [f"the browser did not open {url}: this task may only visit {allowed}."
                 for url in dict.fromkeys(url_for_note(u) for u in self.blocked)]
        self.blocked.clear()
        page = self.driver.page
        if page is None:
            return notes
        if notes:  # a refused navigation leaves an error page behind, once it loads
            _quietly(lambda: page.wait_for_load_state("load", timeout=5_000))
        left = current_url(page)
        if self.allow.allows_url(left):
            return notes
        shown = _shown_url(page, left)
        _quietly(lambda: page.go_back(wait_until="load", timeout=10_000))
        if not self.allow.allows_url(current_url(page)) and self.last_allowed:
            _quietly(lambda: page.goto(self.last_allowed, wait_until="load", timeout=10_000))
        if not notes:
            notes.append(f"the page went to {url_for_note(shown)}, outside the "
                         f"allowed domains ({allowed}).")
        notes.append(f"The browser went back to {url_for_note(current_url(page))}.")
        return notes


def _shown_url(page: Any, fallback: str) -> str:
    """The address an error page stands for (``location`` there is chrome-error://)."""
    url = str(getattr(page, "url", "") or "")
    return fallback if fallback.startswith(("http:", "https:")) or not url else url


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
