"""In-process server for the web sandbox.

Tests and benchmarks need a real HTTP origin a browser can load, but must not
depend on a separately started process or a fixed port. ``WebSandbox`` runs the
Flask app on a werkzeug server in a daemon thread, on a free port by default,
and reads results straight from SQLite so verification never goes through the
UI under test.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from guiagent.serving import ThreadedWsgiServer

from . import records, store
from .app import FORMS, create_app

__all__ = ["FORMS", "WebSandbox", "create_app"]

FORM_PATHS = {"contact": "/contact", "login": "/login", "signup": "/signup",
              "account": "/account"}


class WebSandbox:
    """A running copy of the sandbox web app; use as a context manager.

    ``port=0`` lets the OS pick a free port (see ``url`` after ``start``).
    ``db_path=None`` uses a temporary database that is deleted on ``stop``;
    an explicit path is kept so results survive the server.
    """

    def __init__(
        self,
        port: int = 0,
        db_path: str | Path | None = None,
        host: str = "127.0.0.1",
        *,
        username: str = "demo",
        password: str = "demo123",
        log_requests: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.log_requests = log_requests
        self._db_path: Path | None = Path(db_path) if db_path is not None else None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._server: ThreadedWsgiServer | None = None
        self.url = ""

    @property
    def db_path(self) -> Path:
        """Path of the SQLite file; only known once a temporary one has been created."""
        if self._db_path is None:
            raise RuntimeError("WebSandbox has no database yet: call start() first")
        return self._db_path

    @property
    def running(self) -> bool:
        """Whether the server thread is serving requests."""
        return self._server is not None and self._server.running

    def form_urls(self) -> dict[str, str]:
        """Absolute URL of each form page, keyed by form name."""
        return {name: self.url + path for name, path in FORM_PATHS.items()}

    def start(self) -> WebSandbox:
        """Bind the port and serve in a background thread; returns self for chaining."""
        if self.running:
            return self
        if self._db_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="guiagent-web-")
            self._db_path = Path(self._tmpdir.name) / "submissions.sqlite3"
        try:
            app = create_app(self._db_path, username=self.username, password=self.password)
            server = ThreadedWsgiServer(app, self.host, self.port, name="guiagent-web-sandbox",
                                        log_requests=self.log_requests).start()
        except BaseException:
            self._cleanup_tmp()
            raise
        self._server, self.port = server, server.port
        self.url = server.origin
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and delete a temporary database. Idempotent."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._cleanup_tmp()

    def _cleanup_tmp(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
            self._db_path = None

    def submissions(self, form: str | None = None) -> list[dict[str, Any]]:
        """Stored submissions (oldest first), optionally only for ``form``.

        Each item is ``{"id", "form", "created_at", "data"}``; see ``app`` for
        how field values, in particular checkboxes, appear in ``data``.
        """
        return store.list_submissions(self.db_path, form)

    def reset(self) -> None:
        """Delete all stored submissions (ids restart at 1) and restore the demo data."""
        store.clear(self.db_path)
        records.reset(self.db_path)

    def seed(self, table: str, rows: list[dict[str, Any]]) -> list[int]:
        """Add rows to ``customers``, ``orders``, ``settings`` or ``submissions`` (see ``records.seed``)."""
        return records.seed(self.db_path, table, rows)

    def __enter__(self) -> WebSandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self.running else "stopped"
        return f"WebSandbox({state})"
