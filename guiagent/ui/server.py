"""Serving the UI with uvicorn: in the foreground (``guiagent ui``) or from a thread (``run --live``).

The socket is bound here (as :mod:`guiagent.serving` does for the WSGI
servers), so a taken port is an ``OSError`` the command reports, and port 0
picks a free one. The access checks of :mod:`.security` wrap the app.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import uvicorn

from .app import build_app
from .runs import RunManager
from .security import AccessGuard, allowed_hosts, host_header, is_loopback, new_token


class UiServer:
    """The UI for the runs under ``root``, bound to ``host:port`` (port 0: any free one)."""

    def __init__(self, root: Path | RunManager, host: str = "127.0.0.1", port: int = 0, *,
                 token: str | None = None, single_run: str | None = None) -> None:
        self.manager = root if isinstance(root, RunManager) else RunManager(Path(root))
        self.host, self.port = host, port
        #: Required whenever the server is reachable from other machines.
        self.token = token or (None if is_loopback(host) else new_token())
        self.single_run = single_run
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """The address to open (with the token when one is needed)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        path = f"/live/{self.single_run}" if self.single_run else "/"
        return f"http://{host_header(host, self.port)}{path}" + (
            f"?token={self.token}" if self.token else "")

    def bind(self) -> UiServer:
        """Bind the socket (OSError when the port is taken) and build the server."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._socket = socket.create_server((self.host, self.port), family=family)
        self.port = self._socket.getsockname()[1]
        app = AccessGuard(build_app(self.manager, single_run=self.single_run),
                          hosts=allowed_hosts(self.host, self.port), token=self.token,
                          cookie_name=f"guiagent_ui_{self.port}")
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                ws="none", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C / SIGTERM; then stop the runs started here."""
        if self._server is None:
            self.bind()
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self.manager.stop_all()
            self._socket.close()

    def start(self) -> UiServer:
        """Serve from a daemon thread; returns once the server accepts connections."""
        if self._server is None:
            self.bind()
        assert self._server is not None and self._socket is not None
        server, sock = self._server, self._socket
        self._thread = threading.Thread(target=lambda: server.run(sockets=[sock]),
                                        name="guiagent-ui", daemon=True)
        self._thread.start()
        while not server.started and self._thread.is_alive():
            self._thread.join(0.02)
        return self

    def stop(self) -> None:
        """Stop the runs started here, end the pages' event streams, and stop serving."""
        self.manager.stop_all()
        for run in self.manager.live():
            run.hub.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> UiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
