"""guiagent.serving.ThreadedWsgiServer: our sandboxes' and stand-in models' HTTP server."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from guiagent.serving import ThreadedWsgiServer


def _nodelay(environ, start_response):
    conn = environ["werkzeug.socket"]
    value = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(value).encode()]


@pytest.mark.parametrize("log_requests", [False, True])
def test_connections_send_without_waiting_for_a_delayed_ack(log_requests):
    # werkzeug writes the headers, then the body: without TCP_NODELAY the body can wait
    # ~40 ms for the client's delayed ACK, inside every page load of the sandbox.
    server = ThreadedWsgiServer(_nodelay, log_requests=log_requests).start()
    try:
        with urllib.request.urlopen(server.origin + "/", timeout=10) as resp:  # noqa: S310
            assert resp.read() != b"0"
    finally:
        server.stop()


def test_a_taken_port_raises_instead_of_exiting():
    first = ThreadedWsgiServer(_nodelay).start()
    try:
        with pytest.raises(OSError):
            ThreadedWsgiServer(_nodelay, port=first.port).start()
    finally:
        first.stop()
