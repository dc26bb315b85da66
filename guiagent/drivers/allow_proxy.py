"""A local filtering proxy that Chromium is forced through: the allow list at the network.

Why a proxy (and not Playwright's routes or Chromium's ``--host-resolver-rules``):
a route handler sees only the first request of a navigation, not its redirect
hops, so a 302 from an allowed host reached the disallowed one. Resolver rules
see every host, but only host names: not ports (``127.0.0.1:8000`` allowed,
``127.0.0.1:9000`` not), not IP literals, and they say nothing about what was
refused. A proxy sees every connection the browser's network stack opens,
each redirect hop included, with its host and port, and can tell the guard
what it refused.

Chromium is launched with ``--proxy-server`` pointing here and
``--proxy-bypass-list=<-loopback>`` (otherwise localhost and 127.0.0.1 skip
the proxy), WebRTC limited to proxied connections, and every name mapped to
"not found" for anything that would resolve hosts itself (defence in depth:
the proxy resolves names, the browser never needs to).

Plain ``http://`` requests arrive in absolute form and are forwarded with
``Connection: close`` (one request per connection, so a kept-alive
connection cannot carry a later request to another host); ``https://``,
``ws://`` and ``wss://`` arrive as ``CONNECT host:port`` and are tunnelled.
A refused request gets a 403 from the proxy and never opens a connection to
its host.
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..allowlist import AllowList

MAX_HEAD = 64 * 1024
CONNECT_TIMEOUT = 10.0
_HOP_HEADERS = (b"connection", b"proxy-connection", b"keep-alive", b"proxy-authorization")


@dataclass(frozen=True)
class BlockedRequest:
    """A request the proxy refused: what it can know of it (tunnels have no path)."""

    scheme: str
    host: str
    port: int
    path: str = ""

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = {"http": 80, "https": 443}.get(self.scheme)
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"


class AllowListProxy:
    """Forwards what the allow list allows, refuses the rest; see the module docstring.

    ``allow`` may be replaced while running (the guard sets its policy's list).
    ``blocked`` lists refused requests; :meth:`take_blocked` empties it.
    """

    def __init__(self, allow: AllowList) -> None:
        self.allow = allow
        self.blocked: list[BlockedRequest] = []
        self._changed = threading.Condition()
        self._sockets: set[socket.socket] = set()
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> AllowListProxy:
        """Listen on an ephemeral port of 127.0.0.1 in a background thread."""
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler, bind_and_activate=True)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="guiagent-allow-proxy",
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        assert self._server is not None, "start() the proxy first"
        return int(self._server.server_address[1])

    def chromium_args(self) -> list[str]:
        """Launch flags that send every connection of Chromium through this proxy."""
        return [f"--proxy-server=http://127.0.0.1:{self.port}",
                "--proxy-bypass-list=<-loopback>",
                "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]

    def close(self) -> None:
        """Stop listening and cut every open connection."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._changed:
            open_sockets, self._sockets = list(self._sockets), set()
        for sock in open_sockets:
            _close(sock)

    def __enter__(self) -> AllowListProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what was refused ------------------------------------------------------------------

    def take_blocked(self) -> list[BlockedRequest]:
        """The requests refused since the last call."""
        with self._changed:
            taken, self.blocked = self.blocked, []
        return taken

    def wait_blocked(self, predicate: Any, timeout: float = 10.0) -> bool:
        """Wait until a refused request satisfies ``predicate`` (tests use this)."""
        with self._changed:
            return self._changed.wait_for(lambda: any(predicate(b) for b in self.blocked), timeout)

    def _refuse(self, client: socket.socket, request: BlockedRequest) -> None:
        with self._changed:
            self.blocked.append(request)
            self._changed.notify_all()
        body = (f"guiagent refused this request: {request.host} is not on this run's allow list "
                f"({self.allow}).\n").encode()
        _send(client, b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
                      b"X-Guiagent-Blocked: allow-list\r\nConnection: close\r\n"
                      b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    # --- one client connection -------------------------------------------------------------

    def _handle(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        self._track(client)
        try:
            client.settimeout(30)
            head, rest = _read_head(client)
            if head is None:
                return
            line, _, headers = head.partition(b"\r\n")
            try:
                method, target, version = line.decode("latin-1").split(" ", 2)
            except ValueError:
                _send(client, b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                return
            if method.upper() == "CONNECT":
                upstream = self._tunnel(client, target)
            else:
                upstream = self._forward(client, method, target, version, headers, rest)
            if upstream is not None:
                client.settimeout(None)
                upstream.settimeout(None)
                _pipe(client, upstream, rewrite_response=method.upper() != "CONNECT")
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    self._untrack(sock)
                    _close(sock)

    def _tunnel(self, client: socket.socket, target: str) -> socket.socket | None:
        host, port = _split_host_port(target, 443)
        if host is None or not self.allow.allows_host(host, port):
            self._refuse(client, BlockedRequest("https", host or target, port))
            return None
        upstream = self._connect(client, host, port)
        if upstream is not None:
            _send(client, b"HTTP/1.1 200 Connection established\r\n\r\n")
        return upstream

    def _forward(self, client: socket.socket, method: str, target: str, version: str,
                 headers: bytes, rest: bytes) -> socket.socket | None:
        parts = urlsplit(target)
        try:
            host, port = parts.hostname, parts.port or 80
        except ValueError:
            host, port = None, 80
        if parts.scheme.lower() != "http" or not host:
            _send(client, b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
            return None
        if not self.allow.allows_host(host, port):
            self._refuse(client, BlockedRequest("http", host, port, parts.path or "/"))
            return None
        upstream = self._connect(client, host, port)
        if upstream is None:
            return None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = [h for h in headers.split(b"\r\n")
                if h and h.split(b":", 1)[0].strip().lower() not in _HOP_HEADERS]
        head = b"\r\n".join([f"{method} {path} {version}".encode("latin-1"), *kept,
                             b"Connection: close", b"", b""])
        upstream.sendall(head + rest)
        return upstream

    def _connect(self, client: socket.socket, host: str, port: int) -> socket.socket | None:
        try:
            upstream = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
        except OSError:
            _send(client, b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                          b"Connection: close\r\n\r\n")
            return None
        self._track(upstream)
        return upstream

    def _track(self, sock: socket.socket) -> None:
        with self._changed:
            self._sockets.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._changed:
            self._sockets.discard(sock)


def _split_host_port(target: str, default: int) -> tuple[str | None, int]:
    parts = urlsplit("//" + target)
    try:
        return parts.hostname, parts.port or default
    except ValueError:
        return None, default


def _read_head(sock: socket.socket) -> tuple[bytes | None, bytes]:
    """Read up to the blank line ending a request head; (None, b'') if it never comes."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD:
            return None, b""
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _close_response_head(head: bytes) -> bytes:
    """A response head that tells the browser not to reuse this connection."""
    lines = head.split(b"\r\n")
    if b" 101 " in lines[0] + b" ":  # a protocol switch keeps its connection
        return head
    kept = [h for h in lines[1:] if h.split(b":", 1)[0].strip().lower() not in _HOP_HEADERS]
    return b"\r\n".join([lines[0], *kept, b"Connection: close"])


def _pipe(client: socket.socket, upstream: socket.socket, *, rewrite_response: bool) -> None:
    """Copy bytes both ways until both sides are done."""
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, upstream)
    sel.register(upstream, selectors.EVENT_READ, client)
    pending: bytearray | None = bytearray() if rewrite_response else None
    open_sides = 2
    try:
        while open_sides:
            for key, _ in sel.select():
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                sink: socket.socket = key.data
                try:
                    data = source.recv(65536)
                except OSError:
                    data = b""
                if source is upstream and pending is not None and data:
                    pending += data
                    if b"\r\n\r\n" not in pending:
                        if len(pending) > MAX_HEAD:
                            return
                        continue
                    head, _, body = bytes(pending).partition(b"\r\n\r\n")
                    data, pending = _close_response_head(head) + b"\r\n\r\n" + body, None
                if not data:
                    sel.unregister(source)
                    open_sides -= 1
                    if source is upstream or rewrite_response:
                        # The response is complete, or the browser hung up on a forwarded
                        # request: nothing more can usefully pass either way.
                        return
                    try:
                        sink.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                sink.sendall(data)
    finally:
        sel.close()


def _send(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
