"""Model clients: how guiagent reaches an OpenAI-compatible server (vLLM first).

:class:`ModelClient` is the plug-in point (one method); :class:`OpenAIChatClient`
is the implementation over the ``openai`` SDK. The SDK's own retries are off:
retries here are explicit, bounded, logged, and translated into guiagent's errors.
"""

from __future__ import annotations

import os
import random
import time
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
    """Where the model is and how to ask it."""

    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL
    api_key: str = "EMPTY"
    timeout: float = Field(default=300.0, gt=0)
    retries: int = Field(default=3, ge=0)
    backoff: float = Field(default=0.5, ge=0)
    temperature: float = 0.001
    max_tokens: int = Field(default=8192, gt=0)

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
    transport_attempts: int = 1
    transport_errors: list[str] = []


class ModelClient(Protocol):
    """Anything that answers chat messages."""

    settings: ModelSettings

    def complete(self, messages: list[dict[str, Any]], **extra: Any) -> ModelReply:
        """Send the messages; return the answer or raise a ModelError."""


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
        """Ask once, retrying connection errors, timeouts, 429 and 5xx with backoff."""
        s = self.settings
        body: dict[str, Any] = {"skip_special_tokens": False}
        body.update(extra.pop("extra_body", {}) or {})
        errors: list[str] = []
        for attempt in range(s.retries + 1):
            start = time.perf_counter()
            try:
                resp = self._client.chat.completions.create(
                    model=s.model, messages=messages,  # type: ignore[arg-type]
                    temperature=extra.pop("temperature", s.temperature),
                    max_tokens=extra.pop("max_tokens", s.max_tokens),
                    extra_body=body,
                )
            except (openai.APIConnectionError, openai.RateLimitError,
                    openai.InternalServerError) as exc:
                errors.append(f"{type(exc).__name__}: {_short(exc)}")
                if attempt < s.retries:
                    time.sleep(s.backoff * (2 ** attempt) * (0.5 + random.random()))
                    continue
                raise ModelConnectionError(_unreachable(s, errors), base_url=s.base_url) from exc
            except openai.APIStatusError as exc:
                raise ModelConnectionError(
                    f"the model server at {s.base_url} refused the request "
                    f"(HTTP {exc.status_code}): {_short(exc)}. Check the model name "
                    f"{s.model!r} and the API key.", base_url=s.base_url) from exc
            seconds = time.perf_counter() - start
            if not resp.choices:
                raise ModelConnectionError(f"the model server at {s.base_url} sent no choices",
                                           base_url=s.base_url)
            choice = resp.choices[0]
            msg = choice.message
            reasoning = getattr(msg, "reasoning_content", None) or getattr(msg, "reasoning", None)
            usage = TokenUsage()
            if resp.usage is not None:
                usage = TokenUsage(prompt_tokens=resp.usage.prompt_tokens or 0,
                                   completion_tokens=resp.usage.completion_tokens or 0,
                                   total_tokens=resp.usage.total_tokens or 0)
            return ModelReply(content=msg.content or "", reasoning=reasoning,
                              finish_reason=choice.finish_reason, usage=usage, seconds=seconds,
                              transport_attempts=attempt + 1, transport_errors=errors)
        raise AssertionError("unreachable")  # pragma: no cover


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def _unreachable(s: ModelSettings, errors: list[str]) -> str:
    return (f"cannot reach the model server at {s.base_url} after {len(errors)} attempt(s) "
            f"(last: {errors[-1]}).\n{VLLM_HINT}")
