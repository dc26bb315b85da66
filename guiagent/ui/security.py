"""Who may use the UI: the Host check, the URL token, and same-origin state changes.

The UI starts runs and clicks on other people's screens, so every request
passes three checks (an ASGI middleware, before any route):

* **Host** (DNS rebinding): a page on ``evil.example`` that re-points its name
  at 127.0.0.1 sends ``Host: evil.example``; only the names the server was bound
  to are accepted (a wildcard bind, 0.0.0.0 or ::, accepts any name: the token
  protects it).
* **Token**, when bound to anything but loopback: a random token printed with
  the URL. It is compared in constant time; opening a page with ``?token=``
  turns it into an HttpOnly, SameSite=Strict cookie and redirects to the URL
  without it, so it leaves the address bar (scripts may pass it on API calls).
* **CSRF**: a state-changing request (anything but GET/HEAD) must come from the
  UI's own origin (``Origin`` equal to ``http://`` + Host) and carry the
  ``X-Guiagent`` header, which a cross-site form cannot send and a cross-site
  fetch cannot send without a CORS preflight that is never granted.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
CSRF_HEADER = "x-guiagent"


def is_loopback(host: str) -> bool:
    """True for the names that only this machine reaches without a token: 127.0.0.1, ::1."""
    return host in LOOPBACK_NAMES


def is_wildcard(host: str) -> bool:
    """True for 0.0.0.0 and :: (every interface)."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def new_token() -> str:
    """A fresh random token for the URL."""
    return secrets.token_urlsafe(24)


def host_header(host: str, port: int) -> str:
    """How a browser writes ``host:port`` in the Host header (IPv6 in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def allowed_hosts(host: str, port: int) -> set[str] | None:
    """The Host headers to accept when bound to ``host``; None accepts any (wildcard binds)."""
    if is_wildcard(host):
        return None
    names = {host}
    if host in LOOPBACK_NAMES:
        names |= LOOPBACK_NAMES
    return {host_header(n, port) for n in names}


class AccessGuard:
    """ASGI middleware applying the three checks to every HTTP request."""

    def __init__(self, app: ASGIApp, *, hosts: set[str] | None, token: str | None,
                 cookie_name: str) -> None:
        self.app, self.hosts, self.token, self.cookie_name = app, hosts, token, cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a refused request here; hand the others to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if self.hosts is not None and host not in self.hosts:
            await _plain(send, 421, "This server does not answer for that host name. Open the "
                                    "URL guiagent printed.")
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = query.pop("token", None)
        if self.token is not None:
            if given is not None and self._matches(given):
                path = str(scope.get("path", "/"))
                page = path == "/" or path.startswith("/live/")
                if page and scope["method"] in ("GET", "HEAD"):  # a cookie, out of the URL bar
                    await self._set_cookie_and_redirect(scope, send, query)
                    return
            elif not self._matches(self._cookie(headers)):
                await _plain(send, 403, "This UI needs its token: open the full URL guiagent "
                                        "printed (it ends in ?token=...).")
                return
        if scope["method"] not in ("GET", "HEAD"):
            if headers.get("origin") != f"http://{host}" or headers.get(CSRF_HEADER) != "1":
                await _plain(send, 403, "State-changing requests must come from the UI's own page.")
                return
        await self.app(scope, receive, send)

    def _matches(self, value: str | None) -> bool:
        assert self.token is not None
        return value is not None and hmac.compare_digest(value.encode(), self.token.encode())

    def _cookie(self, headers: dict[str, str]) -> str | None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is no cookie
            return None
        morsel = jar.get(self.cookie_name)
        return morsel.value if morsel is not None else None

    async def _set_cookie_and_redirect(self, scope: Scope, send: Send, query: dict[str, str]) -> None:
        path = "/" + str(scope.get("path", "/")).lstrip("/")  # never "//host": no open redirect
        location = quote(path, safe="/") + (f"?{urlencode(query)}" if query else "")
        cookie = f"{self.cookie_name}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode("latin-1")),
                                (b"set-cookie", cookie.encode("latin-1")),
                                (b"cache-control", b"no-store"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
