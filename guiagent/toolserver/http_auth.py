"""A bearer token in front of ``guiagent mcp --http``: whoever reaches the port could drive the screen.

MCP clients send fixed headers per server (``Authorization: Bearer ...`` is
what Claude Code, VS Code and Cursor take), so a static token fits better than
the SDK's OAuth resource-server support, which needs an authorization server.
Bound to a non-loopback address, the server always asks for a token (a random
one unless ``--token`` gives one); on loopback only when one is given.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

ASGIApp = Any


class BearerTokenGate:
    """ASGI middleware: HTTP requests without ``Authorization: Bearer <token>`` get 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Pass lifespan events and authorised requests on; answer the rest with 401."""
        if scope["type"] != "http":  # lifespan: the session manager starts and stops here
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                given = value
                break
        if not hmac.compare_digest(given, self._expected):
            body = json.dumps({"error": "unauthorized", "error_description":
                               "send the token guiagent mcp printed: Authorization: Bearer <token>"
                               }).encode()
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="guiagent-mcp"')]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def serve_http(server: Any, host: str, port: int, token: str | None, log_level: str = "warning") -> None:
    """Serve the MCP server's streamable-HTTP app at ``/mcp`` (behind the token when given)."""
    import anyio
    import uvicorn

    app = server.streamable_http_app(host=host)
    if token:
        app = BearerTokenGate(app, token)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level)
    anyio.run(uvicorn.Server(config).serve)
