"""A real OpenAI-compatible HTTP server on 127.0.0.1 that plays GLM-4.1V.

Tests and demos point the real ``openai`` client at it, so image encoding,
the request layout and answer parsing all run for real; only the answers are
scripted (a list) or computed (a function of the request, e.g. from element
positions or OCR of the screenshot it received).

A request with ``stream: true`` is answered as vLLM does: server-sent events of
``chat.completion.chunk`` objects (the thought in ``reasoning_content`` deltas
when ``reasoning_field`` is on), a usage chunk when ``stream_options.include_usage``
asks for one, then ``data: [DONE]``. ``stream_mode`` plays servers that do not
stream: ``"ignore"`` answers with one JSON body, ``"reject"`` with HTTP 400.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Flask, Response, jsonify, request
from PIL import Image

from ..geometry import Size
from ..imaging import visual_tokens
from ..model import DEFAULT_MODEL
from ..protocols.base import message_parts
from ..serving import ThreadedWsgiServer


@dataclass
class ModelRequest:
    """One chat-completions request as the server received it, decoded."""

    body: dict[str, Any]
    text: str
    images: list[Image.Image]
    image_mimes: list[str]
    index: int

    @property
    def task(self) -> str:
        """The task line of a GLM pc-protocol prompt."""
        after = self.text.split("# Task", 1)[-1]
        return after.split("# History", 1)[0].strip()

    @property
    def step(self) -> int:
        """How many ``step N:`` history lines precede this request, plus one."""
        return self.text.count("\nstep ") + (1 if self.text.startswith("step ") else 0) + 1


@dataclass
class Reply:
    """A full answer: content, optional separate reasoning, and how to deliver it."""

    content: str
    reasoning: str | None = None
    finish_reason: str = "stop"
    status: int = 200          # non-200 answers with an error body (429, 500, ...)
    delay: float = 0.0         # seconds to wait before answering (timeouts)
    raw_body: str | None = None  # send this body verbatim (malformed JSON, ...)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After, Content-Length
    drop_connection: bool = False  # close the socket without answering
    chunk_delay: float = 0.0   # seconds between streamed chunks
    cut_stream_after: int | None = None  # streamed: close the socket after this many chunks
    before_finish: Callable[[], None] | None = None  # streamed: called before the last chunk


Responder = Callable[[ModelRequest], "str | Reply"]


def glm_answer(call: str, *, explanation: str = "", thinking: str = "I look at the screen.",
               memory: Any = None, boxed: bool = True, think_inline: bool = True) -> str:
    """Format an answer exactly as GLM-4.1V writes one."""
    action = f"<|begin_of_box|>{call}<|end_of_box|>" if boxed else call
    mem = json.dumps(memory if memory is not None else [], ensure_ascii=False)
    body = f"{explanation}\n{action}\nMemory:\n{mem}".lstrip("\n")
    head = f"<think>{thinking}</think>" if think_inline else ""
    return f"{head}<answer>{body}</answer>"


@dataclass
class GlmModelServer:
    """Serve scripted or computed GLM-format answers over real HTTP.

    ``responder`` is a list of answers (used in order; the last repeats) or a
    function of the :class:`ModelRequest`. Every request is kept in ``requests``.
    """

    responder: Responder | Iterable[str | Reply]
    model: str = DEFAULT_MODEL
    host: str = "127.0.0.1"
    port: int = 0
    reasoning_field: bool = False   # move <think> into reasoning_content, as a reasoning parser does
    #: Report ``completion_tokens_details.reasoning_tokens`` (the thought's share), as some servers do.
    reasoning_tokens: bool = False
    stream_mode: Literal["sse", "ignore", "reject"] = "sse"  # how stream=true is answered
    max_model_len: int | None = None  # listed in /v1/models, as vLLM does
    requests: list[ModelRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not callable(self.responder):
            script = list(self.responder)
            if not script:
                raise ValueError("a scripted GlmModelServer needs at least one answer")
            counter = itertools.count()
            self._respond: Responder = lambda req: script[min(next(counter), len(script) - 1)]
        else:
            self._respond = self.responder
        self._lock = threading.Lock()
        self._server: ThreadedWsgiServer | None = None

    @property
    def base_url(self) -> str:
        """The URL to give the client: ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> GlmModelServer:
        """Start serving in a background thread."""
        self._server = ThreadedWsgiServer(self._app(), self.host, self.port,
                                          name="glm-model-server").start()
        self.port = self._server.port
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> GlmModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _app(self) -> Flask:
        app = Flask("guiagent-glm-model-server")

        @app.get("/v1/models")
        def models() -> Response:
            entry: dict[str, Any] = {"id": self.model, "object": "model"}
            if self.max_model_len is not None:
                entry["max_model_len"] = self.max_model_len
            return jsonify({"object": "list", "data": [entry]})

        @app.post("/v1/chat/completions")
        def completions() -> Response:
            body = request.get_json(force=True)
            with self._lock:
                req = decode_request(body, len(self.requests))
                self.requests.append(req)
            if body.get("stream") and self.stream_mode == "reject":
                return Response(json.dumps({"error": {
                    "message": "stream=true is not supported by this server", "code": 400}}),
                    status=400, mimetype="application/json")
            reply = self._respond(req)
            reply = Reply(content=reply) if isinstance(reply, str) else reply
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop_connection:
                request.environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            if reply.raw_body is not None:
                resp = Response(reply.raw_body, status=reply.status, mimetype="application/json")
            elif reply.status != 200:
                resp = Response(json.dumps({"error": {"message": reply.content,
                                                      "code": reply.status}}),
                                status=reply.status, mimetype="application/json")
            elif body.get("stream") and self.stream_mode == "sse":
                sock = request.environ.get("werkzeug.socket")
                resp = Response(self._events(req, reply, sock), mimetype="text/event-stream")
            else:
                resp = jsonify(self._completion(req, reply))
            resp.headers.update(reply.headers)
            return resp

        return app

    def _message(self, req: ModelRequest, reply: Reply) -> tuple[str, str | None]:
        """The content and reasoning_content this deployment would send."""
        content, reasoning = reply.content, reply.reasoning
        if self.reasoning_field and reasoning is None and "</think>" in content:
            head, _, content = content.partition("</think>")
            reasoning = head.replace("<think>", "").strip()
        if req.body.get("skip_special_tokens", True) is not False:  # vLLM strips special tokens
            content = content.replace("<|begin_of_box|>", "").replace("<|end_of_box|>", "")
        return content, reasoning

    def _usage(self, req: ModelRequest, reply: Reply) -> dict[str, Any]:
        """Usage as vLLM would count it, roughly: GLM-4.1V's visual tokens per image, ~4 chars a token."""
        prompt_tokens = len(req.text) // 4 + sum(
            visual_tokens(Size(width=im.width, height=im.height)) for im in req.images)
        completion_tokens = max(1, len(reply.content) // 4)
        usage: dict[str, Any] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                 "total_tokens": prompt_tokens + completion_tokens}
        if self.reasoning_tokens:
            thought = (reply.reasoning or "") + reply.content.partition("</think>")[0] \
                if "</think>" in reply.content else (reply.reasoning or "")
            usage["completion_tokens_details"] = {
                "reasoning_tokens": min(completion_tokens, len(thought.replace("<think>", "")) // 4)}
        return usage

    def _completion(self, req: ModelRequest, reply: Reply) -> dict[str, Any]:
        content, reasoning = self._message(req, reply)
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reasoning is not None:
            message["reasoning_content"] = reasoning
        return {
            "id": f"chatcmpl-{req.index}", "object": "chat.completion",
            "created": int(time.time()), "model": req.body.get("model", self.model),
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
            "usage": self._usage(req, reply),
        }

    def _events(self, req: ModelRequest, reply: Reply, sock: Any) -> Iterator[str]:
        """The reply as server-sent ``chat.completion.chunk`` events, a few words each."""
        content, reasoning = self._message(req, reply)
        head = {"id": f"chatcmpl-{req.index}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": req.body.get("model", self.model)}
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"reasoning_content": piece} for piece in _pieces(reasoning or "")]
        deltas += [{"content": piece} for piece in _pieces(content)]
        chunks = [{**head, "choices": [{"index": 0, "delta": d, "finish_reason": None}]}
                  for d in deltas]
        chunks.append({**head, "choices": [{"index": 0, "delta": {},
                                            "finish_reason": reply.finish_reason}]})
        if (req.body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**head, "choices": [], "usage": self._usage(req, reply)})
        for n, chunk in enumerate(chunks):
            if reply.cut_stream_after is not None and n >= reply.cut_stream_after:
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
                return
            if n and reply.chunk_delay:
                time.sleep(reply.chunk_delay)
            if chunk["choices"] and chunk["choices"][0]["finish_reason"] and reply.before_finish:
                reply.before_finish()
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"


def _pieces(text: str, words: int = 3) -> list[str]:
    """``text`` cut into pieces of a few words (with their spacing), as tokens arrive."""
    parts = re.findall(r"\s*\S+\s*|\s+", text)
    return ["".join(parts[i:i + words]) for i in range(0, len(parts), words)]


def decode_request(body: dict[str, Any], index: int) -> ModelRequest:
    """Decode the images and text of a chat-completions body."""
    texts, images, mimes = message_parts(body.get("messages", []))
    return ModelRequest(body=body, text="\n".join(texts), images=images, image_mimes=mimes,
                        index=index)
