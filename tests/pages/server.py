"""A tiny HTTP server for the test pages that records every form POST.

The web sandbox has its own forms; these pages are built differently on
purpose (table layouts, aria-label only, placeholder only, ...) to show that a
skill written for one form fills another by its labels.
"""

from __future__ import annotations

import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

PAGES = Path(__file__).parent


class PageServer:
    """Serves tests/pages on 127.0.0.1 and keeps each POST body as a dict of lists."""

    def __init__(self) -> None:
        self.posts: list[dict[str, list[str]]] = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(PAGES), **kwargs)

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode("utf-8")
                server.posts.append(parse_qs(body, keep_blank_values=True))
                page = b"<!doctype html><title>Received</title><h1>Thanks, we got it</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
