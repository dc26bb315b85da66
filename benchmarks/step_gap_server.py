"""The instant fake model of the side-by-side benchmark, in its own process.

Serves the OpenAI chat-completions API on 127.0.0.1 and answers at once from a
script the benchmark posts before each episode (``POST /script``: a list of
answer contents, or ``{"mode": "browser-use", "plan": [...]}`` to compute
browser-use's JSON answers from the element indexes in its prompt). It records,
for every request, when it had fully arrived and when the answer was sent, so
the *gap* between one answer and the next request -- everything an agent
framework does between two model calls -- is measured the same way for every
contender (``GET /gaps``). The web sandbox runs in this process too, so the
process under test holds only the agent.

Run by ``step_overhead.py --side-by-side``; prints ``READY <model_url> <sandbox_url>``.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class State:
    """The current episode's script and timestamps (one episode at a time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.script: Any = []
        self.count = 0
        self.arrived: list[float] = []
        self.sent: list[float] = []

    def reset(self, script: Any) -> None:
        with self.lock:
            self.script, self.count, self.arrived, self.sent = script, 0, [], []

    def gaps(self) -> list[float]:
        with self.lock:
            return [self.arrived[i + 1] - self.sent[i] for i in range(min(len(self.sent),
                                                                           len(self.arrived) - 1))]


STATE = State()


def browser_use_answer(plan: list[dict], step: int, prompt: str) -> str:
    """browser-use's structured answer for plan step ``step``, indexes read from its prompt.

    A plan step is ``{"click": "id-or-name"}``, ``{"type": "id-or-name", "text": ...}`` or
    ``{"done": "text"}``; the element is found in the prompt's ``[index]<tag ...>`` lines
    by its ``id=`` or ``name=`` attribute.
    """
    item = plan[min(step, len(plan) - 1)]

    def index_of(key: str) -> int:
        for match in re.finditer(r"\[(\d+)\]<[^\n]*?\b(?:id|name)=['\"]?" + re.escape(key)
                                 + r"\b", prompt):
            return int(match.group(1))
        for match in re.finditer(r"\[(\d+)\][^\n]*" + re.escape(key), prompt):
            return int(match.group(1))
        return 1

    if "click" in item:
        action = {"click": {"index": index_of(item["click"])}}
    elif "type" in item:
        action = {"input": {"index": index_of(item["type"]), "text": item["text"], "clear": True}}
    else:
        action = {"done": {"text": item["done"], "success": True}}
    return json.dumps({"thinking": "Next field.", "evaluation_previous_goal": "Success",
                       "memory": f"step {step + 1}", "next_goal": "Continue the form.",
                       "action": [action]})


def prompt_text(body: dict) -> str:
    parts = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return "\n".join(parts)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        # As uvicorn (vLLM's server) does: without TCP_NODELAY the body, written after the
        # headers, can wait for the client's delayed ACK (~40 ms on Linux), and that wait
        # landed in some gaps of every contender.
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self) -> None:  # noqa: N802
        if self.path.endswith("/models"):
            self._send({"object": "list", "data": [{"id": "fake", "object": "model"}]})
        else:
            self._send({"gaps": STATE.gaps(), "requests": len(STATE.arrived)})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == "/script":
            STATE.reset(body)
            self._send({"ok": True})
            return
        arrived = time.monotonic()
        with STATE.lock:
            step = STATE.count
            STATE.count += 1
            STATE.arrived.append(arrived)
            script = STATE.script
        if isinstance(script, dict):
            content = browser_use_answer(script["plan"], step, prompt_text(body))
        else:
            content = script[min(step, len(script) - 1)]
        self._send({
            "id": f"chatcmpl-{step}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050}})
        with STATE.lock:
            STATE.sent.append(time.monotonic())


def main() -> None:
    from guiagent.sandboxes.web import WebSandbox

    with WebSandbox() as sandbox:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(f"READY http://127.0.0.1:{server.server_address[1]}/v1 {sandbox.url}", flush=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stdin.read()  # until the benchmark closes our stdin
        server.shutdown()


if __name__ == "__main__":
    main()
