"""Which hosts a browser may reach: allow-list entries, parsed and matched in one place.

The guard (a page's location), the network proxy (every request and tunnel)
and the policy file's validation all use these rules, so they cannot
disagree. An entry is a host name, subdomains included (``example.org`` also
allows ``shop.example.org``), or an IP address (only itself), each with an
optional port (``127.0.0.1:8000``) and an ignored scheme and path
(``https://example.org/x`` means ``example.org``). ``*.example.org`` and
``.example.org`` mean ``example.org``. Internationalised names are compared in
their punycode form (``bücher.example`` is ``xn--bcher-kva.example``), the
form browsers put on the wire. An empty entry, a bare ``*`` or anything
without a host is an error, never "allow everything".
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
_HOST_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$")


def normal_host(host: str) -> str:
    """Lower-case ASCII form of a host: IDN labels as punycode, no trailing dot, IPs canonical.

    Raises ValueError for something that is not a host name or address.
    """
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name:
        raise ValueError("empty host")
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"{host!r} is not a valid internationalised host name: {exc}") from exc
    if not _HOST_RE.match(name) or ".." in name:
        raise ValueError(f"{host!r} is not a host name")
    return name


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class AllowEntry:
    """One parsed entry: a host (and its subdomains unless it is an IP) on a port or any."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> AllowEntry:
        """``https://Bücher.example:8443/x`` -> AllowEntry('xn--bcher-kva.example', 8443)."""
        raw = str(text).strip()
        if raw.startswith("*."):
            raw = raw[2:]
        elif raw.startswith("."):
            raw = raw[1:]
        if not raw or raw in ("*", "//"):
            raise ValueError(f"{text!r} names no host; an allow-list entry is a domain such as "
                             "example.org or a host:port such as 127.0.0.1:8000")
        parts = urlsplit(raw if "//" in raw else "//" + raw)
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"{text!r} has an invalid port") from exc
        netloc_host = parts.netloc.rsplit("@", 1)[-1]
        if netloc_host.startswith("["):
            netloc_host = netloc_host[: netloc_host.find("]") + 1]
        elif port is not None or netloc_host.endswith(":"):
            netloc_host = netloc_host.rsplit(":", 1)[0]
        try:
            host = normal_host(netloc_host)
        except ValueError as exc:
            raise ValueError(f"{text!r}: {exc}; an allow-list entry is a domain such as "
                             "example.org or a host:port such as 127.0.0.1:8000") from exc
        return cls(host, port)

    def matches(self, host: str, port: int | None) -> bool:
        """True for ``host`` (already :func:`normal_host`) on ``port`` (None: unknown)."""
        if self.port is not None and self.port != port:
            return False
        if host == self.host:
            return True
        return not _is_ip(self.host) and not _is_ip(host) and host.endswith("." + self.host)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port is not None else host


class AllowList:
    """A parsed allow list; an empty one allows everything.

    ``strict`` raises ValueError for an invalid entry; otherwise invalid entries
    are dropped, and a list of only invalid entries allows nothing (not everything).
    """

    def __init__(self, entries: list[str] | tuple[str, ...] = (), *, strict: bool = True) -> None:
        self.entries: list[AllowEntry] = []
        for entry in entries:
            try:
                self.entries.append(AllowEntry.parse(entry))
            except ValueError:
                if strict:
                    raise
        self.restricts = bool(entries)

    def allows_host(self, host: str, port: int | None) -> bool:
        """True when ``host:port`` is on the list (or the list is empty)."""
        if not self.restricts:
            return True
        try:
            name = normal_host(host)
        except ValueError:
            return False
        return any(e.matches(name, port) for e in self.entries)

    def allows_url(self, url: str | None) -> bool:
        """True when a page at ``url`` is allowed: ``about:`` pages always, http(s)/ws(s) by host.

        Other schemes (``file:``, ``data:``, ``chrome-error:``) are not allowed on a restricted list.
        """
        if not self.restricts or not url:
            return True
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "about":
            return True
        if scheme not in DEFAULT_PORTS:
            return False
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError:
            return False
        return self.allows_host(parts.hostname or "", port)

    def __str__(self) -> str:
        return ", ".join(str(e) for e in self.entries)


def url_for_note(url: str) -> str:
    """Scheme, host, port and path of ``url``: no user info, query or fragment (they may hold secrets)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unreadable address)"
    if ":" in host:
        host = f"[{host}]"
    if not parts.scheme or not host:
        return f"{parts.scheme}:" if parts.scheme else "(an address without a host)"
    return f"{parts.scheme}://{host}{port}{parts.path}"
