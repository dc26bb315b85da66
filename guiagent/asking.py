"""One step's conversation with the model: ask, continue a cut-off thought, re-ask.

Transport faults are retried inside the client; what reaches here is an answer,
or a :class:`~guiagent.errors.ModelConnectionError` once those retries are spent (recorded as a
failed attempt, then raised to end the run). An answer can still be unusable:

* the model thought until the token budget ran out (``finish_reason`` length,
  no ``</think>``): as the GLM-4.1V authors do, the thought is closed with
  ``</think><answer>`` and sent back as an assistant prefix that the server
  continues (``continue_final_message``), with the answer's own smaller budget;
* it is empty, cut off, or holds no action: the model is asked again, told what
  was wrong (``correction=``), at most ``max_reasks`` times.

Every request is one :class:`~guiagent.runlog.Attempt` on the step, in order;
``step.extra["attempt_kinds"]`` says which were re-asks and continuations.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import ModelError, ModelResponseError
from .model import ModelClient, ModelReply
from .protocols.base import HistoryEntry, ProtocolAdapter
from .protocols.glm41v_parse import ParsedAnswer
from .runlog import Attempt, ErrorInfo, RequestSummary, StepRecord

CONTINUE_BODY = {"continue_final_message": True, "add_generation_prompt": False}

#: Receives each streamed piece of a step's reply: ``(step, kind, text)``.
StepDeltaSink = Callable[[StepRecord, str, str], None]


def stopped_while_thinking(reply: ModelReply) -> bool:
    """True when the token limit ended the reply before the thought was closed."""
    text = reply.content or ""
    return (reply.finish_reason == "length" and "</think>" not in text
            and "<answer>" not in text and bool(text.strip() or reply.reasoning))


def continuation_prefix(reply: ModelReply) -> str:
    """The assistant prefix that closes the thought: ``<think>...</think><answer>``."""
    thought = (reply.reasoning or "") + (reply.content or "").replace("<think>", "")
    return f"<think>{thought}</think><answer>"


def correction_for(exc: ModelResponseError, reply: ModelReply) -> str:
    """What to tell the model about its unusable answer."""
    if not (reply.content or "").strip() and not reply.reasoning:
        return "your reply was empty."
    if reply.finish_reason == "length":
        return ("your reply was cut off at the token limit before it gave a complete action; "
                "think briefly and give the action early.")
    return f"{exc}."


class Asker:
    """Gets one usable answer for a step, or records why there is none."""

    def __init__(self, model: ModelClient, protocol: ProtocolAdapter, max_reasks: int,
                 on_delta: StepDeltaSink | None = None) -> None:
        self.model = model
        self.protocol = protocol
        self.max_reasks = max_reasks
        #: Streamed pieces go here (the client is given ``on_delta`` only when this is set).
        self.on_delta = on_delta

    def ask(self, step: StepRecord, task: str, image_url: str, image_bytes: int,
            history: list[HistoryEntry], memory: Any,
            timings: dict[str, float]) -> ParsedAnswer | None:
        """Ask until an answer parses; None (with ``step.error``) when re-asks run out."""
        correction: str | None = None
        for _ in range(self.max_reasks + 1):
            t0 = time.perf_counter()
            request = self.protocol.build_request(task, image_url, history, memory,
                                                  correction=correction)
            _add(timings, "request_build", t0)
            step.request = RequestSummary(prompt=request.prompt, images=request.images,
                                          image_bytes=image_bytes)
            kind = "reask" if correction else "ask"
            reply = self._complete(step, request.messages, kind, timings)
            attempt, content, reasoning = step.attempts[-1], reply.content, reply.reasoning
            if stopped_while_thinking(reply) and self.model.settings.continue_thinking:
                prefix = continuation_prefix(reply)
                messages = [*request.messages, {"role": "assistant", "content": prefix}]
                reply = self._complete(step, messages, "continue", timings,
                                       max_tokens=self.model.settings.answer_max_tokens,
                                       extra_body=CONTINUE_BODY)
                attempt, content, reasoning = step.attempts[-1], prefix + reply.content, None
            t0 = time.perf_counter()
            try:
                return self.protocol.parse(content, reasoning)
            except ModelResponseError as exc:
                attempt.error = ErrorInfo.of(exc)
                correction = correction_for(exc, reply)
            finally:
                _add(timings, "parse", t0)
        step.error = step.attempts[-1].error
        return None

    def _complete(self, step: StepRecord, messages: list[dict[str, Any]], kind: str,
                  timings: dict[str, float], **extra: Any) -> ModelReply:
        """One request (with the client's own retries), recorded as an attempt."""
        kinds = step.extra.setdefault("attempt_kinds", [])
        t0 = time.perf_counter()
        if self.on_delta is not None:
            sink = self.on_delta
            extra["on_delta"] = lambda kind, text: sink(step, kind, text)
        try:
            reply = self.model.complete(messages, **extra)
        except ModelError as exc:
            step.attempts.append(Attempt(error=ErrorInfo.of(exc),
                                         seconds=round(time.perf_counter() - t0, 4),
                                         transport_errors=getattr(exc, "transport_errors", [])))
            kinds.append(kind)
            step.error = ErrorInfo.of(exc)
            raise
        finally:
            _add(timings, "model", t0)
        step.attempts.append(Attempt(content=reply.content, reasoning=reply.reasoning,
                                     finish_reason=reply.finish_reason, usage=reply.usage,
                                     seconds=reply.seconds,
                                     first_token_seconds=reply.first_token_seconds,
                                     tokens_per_second=reply.tokens_per_second,
                                     transport_errors=reply.transport_errors))
        kinds.append(kind)
        step.usage = step.usage + reply.usage
        return reply


def _add(timings: dict[str, float], phase: str, t0: float) -> None:
    timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - t0
