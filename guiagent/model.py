"""Model clients: how guiagent reaches an OpenAI-compatible server (vLLM first).

:class:`ModelClient` is the plug-in point (one method); :class:`OpenAIChatClient`
is the implementation over the ``openai`` SDK. The SDK's own retries are off:
retries here are explicit, bounded, logged, and translated into guiagent's errors.

Transport faults (refused connection, timeout, dropped or malformed response,
HTTP 429 and 5xx) are retried here with backoff (honouring ``Retry-After``);
every failed try is kept in :attr:`ModelReply.transport_errors`, or in
:attr:`ModelConnectionError.transport_errors` once the retries are spent.
Answers that arrive but hold no action are the agent's business (it re-asks).
"""

from __future__ import annotations

import os
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import openai
from pydantic import BaseModel, Field

from .errors import ConfigError, ModelConnectionError

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

    @property
    def first_max_tokens(self) -> int:
        """The budget of a step's first generation."""
        return self.thinking_max_tokens or self.max_tokens

    @classmethod
    def from_env(cls, **overrides: Any) -> ModelSettings:
        """Settings from GUIAGENT_MODEL_URL / GUIAGENT_MODEL / GUIAGENT_API_KEY, then overrides."""
        values: dict[str, Any] = {}
        for key, env in (("base_url", "GUIAGENT_MODEL_URL"), ("model", "GUIAGENT_MODEL"),
                         ("api_key", "GUIAGENT_API_KEY")):
            if os.environ.get(env):
                values[key] = os.environ[env]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class TokenUsage(BaseModel):
    """Tokens of one request, as the server reported them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class ModelReply(BaseModel):
    """One completed answer."""

    content: str
    reasoning: str | None = None
    finish_reason: str | None = None
    usage: TokenUsage = TokenUsage()
    seconds: float = 0.0
    #: Seconds from sending the request to the first streamed token (None: not streamed).
    first_token_seconds: float | None = None
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

    def complete(self, messages: list[dict[str, Any]], **extra: Any) -> ModelReply:
        """Ask once, retrying transport faults (see the module docstring) with backoff.

        ``extra`` may set ``temperature``, ``max_tokens`` and ``extra_body``.
        """
        s = self.settings
        body: dict[str, Any] = {"skip_special_tokens": False}
        body.update(extra.pop("extra_body", None) or {})
        temperature = extra.pop("temperature", s.temperature)
        max_tokens = extra.pop("max_tokens", s.first_max_tokens)
        errors: list[str] = []
        for attempt in range(s.retries + 1):
            start = time.perf_counter()
            try:
                resp = self._client.chat.completions.create(
                    model=s.model, messages=messages,  # type: ignore[arg-type]
                    temperature=temperature, max_tokens=max_tokens, extra_body=body,
                )
                return _reply(resp, time.perf_counter() - start, attempt + 1, errors)
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


def _reply(resp: Any, seconds: float, attempts: int, errors: list[str]) -> ModelReply:
    """Read a chat completion defensively: servers omit or null any field."""
    try:
        choice = resp.choices[0] if resp.choices else None
        msg = getattr(choice, "message", None)
        if choice is None or msg is None:
            raise MalformedResponse("the response has no choices[0].message")
        content = msg.content if isinstance(msg.content, str) else ""
        reasoning = getattr(msg, "reasoning_content", None) or getattr(msg, "reasoning", None)
        usage = TokenUsage()
        if resp.usage is not None:
            usage = TokenUsage(prompt_tokens=resp.usage.prompt_tokens or 0,
                               completion_tokens=resp.usage.completion_tokens or 0,
                               total_tokens=resp.usage.total_tokens or 0)
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
