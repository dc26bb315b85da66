"""Serve a WSGI app from a background thread: the web sandbox and the test model server.

Both must run inside a test or a CLI command without a separate process, on a
free port by default, quietly, and must stop cleanly. werkzeug does the HTTP;
this module only binds the socket itself (when werkzeug binds a port that is
taken, it prints to stderr and calls ``sys.exit(1)``, which a library must
not do) and owns the thread.
"""

from __future__ import annotations

import functools
import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _Handler(WSGIRequestHandler):
    """werkzeug's handler on a socket with TCP_NODELAY, as production servers (uvicorn,
    nginx) set it: werkzeug writes the headers and then the body, and without it the body
    could wait for the client's delayed ACK (~40 ms on Linux) before it left."""

    def setup(self) -> None:
        """Set TCP_NODELAY on the connection."""
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):  # not a TCP socket
            pass


class _QuietHandler(_Handler):
    """Request handler that drops werkzeug's per-request access log lines."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class ThreadedWsgiServer:
    """A WSGI app served by werkzeug (one thread per request) from a daemon thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, *,
                 name: str = "guiagent-server", log_requests: bool = False) -> None:
        self.app, self.host, self.port, self.name = app, host, port, name
        self.log_requests = log_requests
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the server thread is serving requests."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def origin(self) -> str:
        """``http://host:port`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ThreadedWsgiServer:
        """Bind (OSError if the port is taken) and serve; ``port`` is then the bound one."""
        if self.running:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.create_server((self.host, self.port), family=family) as sock:
            self.port = sock.getsockname()[1]
            self._server = make_server(
                self.host, self.port, self.app, threaded=True, fd=sock.fileno(),
                request_handler=_Handler if self.log_requests else _QuietHandler,
            )  # werkzeug dups the descriptor, so closing ours is fine
        # A short poll interval: stop() waits up to one interval (werkzeug's default 0.5 s
        # made every evaluation episode's sandbox take half a second to stop).
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, name=self.name,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket. Idempotent."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
