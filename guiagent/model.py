"""Model clients: how guiagent reaches an OpenAI-compatible server (vLLM first).

:class:`ModelClient` is the plug-in point (one method); :class:`OpenAIChatClient`
is the implementation over the ``openai`` SDK. The SDK's own retries are off:
retries here are explicit, bounded, logged, and translated into guiagent's errors.

Transport faults (refused connection, timeout, dropped or malformed response,
HTTP 429 and 5xx) are retried here with backoff (honouring ``Retry-After``);
every failed try is kept in :attr:`ModelReply.transport_errors`, or in
:attr:`ModelConnectionError.transport_errors` once the retries are spent.
Answers that arrive but hold no action are the agent's business (it re-asks).

Replies are streamed (``stream=True``, usage in the last chunk): each piece of
thinking and answer goes to the caller's ``on_delta`` as it arrives, and the
reply records the time to first token and the generation speed. A server that
answers a streamed request with one JSON body, or refuses ``stream`` outright,
is asked without streaming from then on (the client remembers it).
"""

from __future__ import annotations

import json
import os
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import openai
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, Field

from .errors import ConfigError, ModelConnectionError
from .streaming import DeltaSink, StreamError, byte_lines, read_stream, sse_chunks

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
DEFAULT_MODEL = "zai-org/GLM-4.1V-9B-Thinking"
VLLM_HINT = (
    "Start GLM-4.1V with vLLM, e.g.\n"
    "  vllm serve zai-org/GLM-4.1V-9B-Thinking --port 8000 "
    "--limit-mm-per-prompt '{\"image\":5}' --max-model-len 32768\n"
    "then pass --model-url http://HOST:8000/v1 (or set GUIAGENT_MODEL_URL)."
)


class ModelSettings(BaseModel):
    """Where the model is and how to ask it.

    Token budgets: the first generation of a step (thinking, then the answer)
    may use ``thinking_max_tokens`` (``max_tokens`` when unset). If the model is
    still thinking when that runs out, the agent closes the thought and asks for
    the answer alone with at most ``answer_max_tokens`` more.
    """

    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL
    api_key: str = "EMPTY"
    timeout: float = Field(default=300.0, gt=0)
    retries: int = Field(default=3, ge=0)
    backoff: float = Field(default=0.5, ge=0)
    max_retry_wait: float = Field(default=60.0, ge=0)
    temperature: float = 0.001
    max_tokens: int = Field(default=8192, gt=0)
    thinking_max_tokens: int | None = Field(default=None, gt=0)
    answer_max_tokens: int = Field(default=1024, gt=0)
    continue_thinking: bool = True
    #: Ask for streamed replies (pieces as they come, time to first token); servers
    #: that do not stream are detected and asked the plain way.
    stream: bool = True
    #: USD per million prompt / generated tokens, for cost figures (None: no price given).
    price_in: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    price_out: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @property
    def first_max_tokens(self) -> int:
        """The budget of a step's first generation."""
        return self.thinking_max_tokens or self.max_tokens

    @classmethod
    def from_env(cls, **overrides: Any) -> ModelSettings:
        """Settings from GUIAGENT_MODEL_URL / _MODEL / _API_KEY / _PRICE_IN / _PRICE_OUT, then overrides."""
        values: dict[str, Any] = {}
        for key, env in (("base_url", "GUIAGENT_MODEL_URL"), ("model", "GUIAGENT_MODEL"),
                         ("api_key", "GUIAGENT_API_KEY"), ("price_in", "GUIAGENT_PRICE_IN"),
                         ("price_out", "GUIAGENT_PRICE_OUT")):
            if os.environ.get(env):
                values[key] = os.environ[env]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class TokenUsage(BaseModel):
    """Tokens of one request, as the server reported them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    #: ``completion_tokens_details.reasoning_tokens``: None when the server did not say.
    reasoning_tokens: int | None = None

    def __add__(self, other: TokenUsage) -> TokenUsage:
        reasoning = None if self.reasoning_tokens is None and other.reasoning_tokens is None \
            else (self.reasoning_tokens or 0) + (other.reasoning_tokens or 0)
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            reasoning_tokens=reasoning,
        )


def usage_of(raw: Any) -> TokenUsage:
    """Read an OpenAI ``usage`` object defensively (servers omit or null any field)."""
    if raw is None:
        return TokenUsage()
    details = getattr(raw, "completion_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None) if details is not None else None
    return TokenUsage(prompt_tokens=_count(getattr(raw, "prompt_tokens", 0)),
                      completion_tokens=_count(getattr(raw, "completion_tokens", 0)),
                      total_tokens=_count(getattr(raw, "total_tokens", 0)),
                      reasoning_tokens=_count(reasoning) if reasoning is not None else None)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class ModelReply(BaseModel):
    """One completed answer."""

    content: str
    reasoning: str | None = None
    finish_reason: str | None = None
    usage: TokenUsage = TokenUsage()
    seconds: float = 0.0
    #: Seconds from sending the request to the first streamed token (None: not streamed).
    first_token_seconds: float | None = None
    #: Completion tokens per second after the first one (None: not streamed, or unknown).
    tokens_per_second: float | None = None
    transport_attempts: int = 1
    transport_errors: list[str] = []


class ModelClient(Protocol):
    """Anything that answers chat messages."""

    settings: ModelSettings

    def complete(self, messages: list[dict[str, Any]], **extra: Any) -> ModelReply:
        """Send the messages; return the answer or raise a ModelError."""


class MalformedResponse(Exception):
    """The server answered 200 with a body that is not a chat completion (internal)."""


# Faults worth another try: the next one may well succeed.
_RETRIABLE = (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError,
              MalformedResponse)


class OpenAIChatClient:
    """A client for any OpenAI-compatible chat-completions server."""

    def __init__(self, settings: ModelSettings | None = None) -> None:
        self.settings = settings or ModelSettings()
        if not self.settings.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"model URL {self.settings.base_url!r} must start with http:// or https://")
        self._client = openai.OpenAI(
            base_url=self.settings.base_url, api_key=self.settings.api_key,
            timeout=self.settings.timeout, max_retries=0,
        )
        #: Whether requests are streamed; turned off for good when the server does not stream.
        self.streaming = self.settings.stream
        #: Why streaming was turned off (None: it was not).
        self.stream_refusal: str | None = None

    def complete(self, messages: list[dict[str, Any]], *, on_delta: DeltaSink | None = None,
                 **extra: Any) -> ModelReply:
        """Ask once, retrying transport faults (see the module docstring) with backoff.

        ``extra`` may set ``temperature``, ``max_tokens`` and ``extra_body``;
        ``on_delta(kind, text)`` gets each streamed piece ("thinking" or "answer").
        """
        s = self.settings
        body: dict[str, Any] = {"skip_special_tokens": False}
        body.update(extra.pop("extra_body", None) or {})
        args = {"model": s.model, "messages": messages, "extra_body": body,
                "temperature": extra.pop("temperature", s.temperature),
                "max_tokens": extra.pop("max_tokens", s.first_max_tokens)}
        errors: list[str] = []
        for attempt in range(s.retries + 1):
            start = time.perf_counter()
            try:
                return self._ask(args, start, on_delta, attempt + 1, errors)
            except (*_RETRIABLE, ValueError) as exc:  # ValueError: a body that is not JSON
                fault = exc if isinstance(exc, _RETRIABLE) else MalformedResponse(
                    f"the response body is not JSON ({exc})")
                wait = _retry_wait(exc, s, attempt)
                errors.append(_describe(fault, time.perf_counter() - start,
                                       wait if attempt < s.retries else None, s))
                if attempt < s.retries:
                    time.sleep(wait)
                    continue
                raise ModelConnectionError(_gave_up(fault, s, errors), base_url=s.base_url,
                                           transport_errors=errors) from exc
            except openai.APIStatusError as exc:  # 4xx other than 429: retrying will not help
                errors.append(_describe(exc, time.perf_counter() - start, None, s))
                raise ModelConnectionError(
                    f"the model server at {s.base_url} refused the request "
                    f"(HTTP {exc.status_code}): {_short(exc)}. Check the model name "
                    f"{s.model!r} and the API key.", base_url=s.base_url,
                    transport_errors=errors) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _ask(self, args: dict[str, Any], start: float, on_delta: DeltaSink | None,
             attempts: int, errors: list[str]) -> ModelReply:
        """One request: streamed while the server streams, else plain."""
        if self.streaming:
            streamed = self._client.chat.completions.with_streaming_response.create
            try:
                with streamed(**args, stream=True, stream_options={"include_usage": True}) as resp:
                    return self._read(resp.http_response, start, on_delta, attempts, errors)
            except openai.APIStatusError as exc:
                if not refuses_streaming(exc):
                    raise
                errors.append(_describe(exc, time.perf_counter() - start, None, self.settings)
                              + "; asked again without streaming")
                self.stop_streaming(f"the server refused stream=true (HTTP {exc.status_code})")
                start = time.perf_counter()
        resp = self._client.chat.completions.create(**args)
        return _reply(resp, time.perf_counter() - start, attempts, errors)

    def _read(self, http: Any, start: float, on_delta: DeltaSink | None, attempts: int,
              errors: list[str]) -> ModelReply:
        """Read a streamed response (or the one JSON body of a server that ignored stream)."""
        if "event-stream" not in http.headers.get("content-type", ""):
            data = json.loads(b"".join(_transport_faults(lambda: [http.read()], http)))
            self.stop_streaming("the server answered a streamed request with one JSON body")
            if not isinstance(data, dict):
                raise MalformedResponse("the response body is not a JSON object")
            return _reply(ChatCompletion.construct(**data), time.perf_counter() - start,
                          attempts, errors)
        try:
            lines = byte_lines(_transport_faults(http.iter_bytes, http))
            got = read_stream(sse_chunks(lines), start, on_delta)
        except StreamError as exc:
            raise MalformedResponse(f"the stream carried an error: {exc}") from exc
        seconds = time.perf_counter() - start
        if got.finish_reason is None and not (got.content or got.reasoning):
            raise MalformedResponse(f"the stream ended without a reply ({got.chunks} chunk(s), "
                                    f"no text, no finish_reason)")
        usage = usage_of(CompletionUsage.construct(**got.usage) if got.usage else None)
        return ModelReply(content=got.content, reasoning=got.reasoning,
                          finish_reason=got.finish_reason, usage=usage, seconds=seconds,
                          first_token_seconds=got.first_token_seconds,
                          tokens_per_second=decode_speed(usage.completion_tokens, seconds,
                                                         got.first_token_seconds),
                          transport_attempts=attempts, transport_errors=errors)

    def stop_streaming(self, reason: str) -> None:
        """Ask without streaming from now on (the server does not stream), and say why."""
        self.streaming = False
        self.stream_refusal = reason


def _transport_faults(read: Any, http: Any) -> Any:
    """Iterate ``read()``, turning the HTTP library's read errors into the SDK's own.

    The SDK maps them for requests it reads itself; a stream read here raises the
    transport's exceptions (httpx or httpx2, by openai version), told apart by name.
    """
    try:
        yield from read()
    except Exception as exc:
        names = {cls.__name__ for cls in type(exc).__mro__}
        if "TimeoutException" in names:
            raise openai.APITimeoutError(request=http.request) from exc
        if names & {"TransportError", "RequestError", "StreamError", "SSLError"}:
            raise openai.APIConnectionError(request=http.request) from exc
        raise


def refuses_streaming(exc: openai.APIStatusError) -> bool:
    """Whether an error answer is a refusal of ``stream`` itself (then ask plainly)."""
    return exc.status_code == 501 or (
        exc.status_code in (400, 405, 415, 422) and "stream" in str(exc).lower())


def decode_speed(completion_tokens: int, seconds: float,
                 first_token_seconds: float | None) -> float | None:
    """Tokens per second after the first token (as vLLM's benchmarks time output tokens)."""
    if first_token_seconds is None or completion_tokens < 2 or seconds <= first_token_seconds:
        return None
    return round((completion_tokens - 1) / (seconds - first_token_seconds), 2)


def _reply(resp: Any, seconds: float, attempts: int, errors: list[str]) -> ModelReply:
    """Read a chat completion defensively: servers omit or null any field."""
    try:
        choice = resp.choices[0] if resp.choices else None
        msg = getattr(choice, "message", None)
        if choice is None or msg is None:
            raise MalformedResponse("the response has no choices[0].message")
        content = msg.content if isinstance(msg.content, str) else ""
        reasoning = getattr(msg, "reasoning_content", None) or getattr(msg, "reasoning", None)
        usage = usage_of(resp.usage)
        return ModelReply(content=content, reasoning=reasoning if isinstance(reasoning, str) else None,
                          finish_reason=choice.finish_reason, usage=usage, seconds=seconds,
                          transport_attempts=attempts, transport_errors=errors)
    except (AttributeError, TypeError, IndexError, ValueError) as exc:
        if isinstance(exc, MalformedResponse):
            raise
        raise MalformedResponse(f"the response is not a chat completion ({exc})") from exc


def _retry_wait(exc: Exception, s: ModelSettings, attempt: int) -> float:
    """Seconds before the next try: the server's Retry-After if it sent one, else backoff."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    wait: float | None = None
    if headers.get("retry-after-ms"):
        try:
            wait = float(headers["retry-after-ms"]) / 1000
        except ValueError:
            wait = None
    elif headers.get("retry-after"):
        value = headers["retry-after"]
        try:
            wait = float(value)
        except ValueError:
            try:
                wait = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError):
                wait = None
    if wait is None:
        wait = s.backoff * (2 ** attempt) * (0.5 + random.random())  # noqa: S311 - jitter
    return max(0.0, min(wait, s.max_retry_wait))


def _describe(exc: Exception, seconds: float, wait: float | None, s: ModelSettings) -> str:
    """One line per failed try, as recorded in the run log."""
    if isinstance(exc, openai.APITimeoutError):
        what = f"APITimeoutError: no answer within {s.timeout:g}s"
    elif isinstance(exc, openai.APIStatusError):
        what = f"{type(exc).__name__}: HTTP {exc.status_code}: {_short(exc)}"
    else:
        what = f"{type(exc).__name__}: {_short(exc)}"
    then = f"; retried after {wait:.2f}s" if wait is not None and wait > 0 else ""
    return f"{what} (after {seconds:.2f}s{then})"


def _gave_up(exc: Exception, s: ModelSettings, errors: list[str]) -> str:
    """The final error: what kept failing and what to do about it."""
    tries = f"{len(errors)} attempt(s)"
    if isinstance(exc, openai.APITimeoutError):
        return (f"the model server at {s.base_url} did not answer within {s.timeout:g}s "
                f"({tries}). Raise --timeout, lower --thinking-tokens, or check the server's load.")
    if isinstance(exc, openai.RateLimitError):
        return (f"the model server at {s.base_url} kept answering HTTP 429 Too Many Requests "
                f"({tries}). Run fewer agents at once or raise --retries.")
    if isinstance(exc, openai.InternalServerError):
        return (f"the model server at {s.base_url} kept failing with HTTP {exc.status_code} "
                f"({tries}; last: {_short(exc)}). Check the server's log: it may be out of "
                f"memory, still loading, or the prompt may exceed --max-model-len.")
    if isinstance(exc, MalformedResponse):
        return (f"the model server at {s.base_url} sent responses that are not chat "
                f"completions ({tries}; last: {exc}). Is it an OpenAI-compatible "
                f"/v1 endpoint?")
    return (f"cannot reach the model server at {s.base_url} after {tries} "
            f"(last: {errors[-1]}).\n{VLLM_HINT}")


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
