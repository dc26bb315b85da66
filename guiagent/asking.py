"""One step's conversation with the model: ask, continue a cut-off thought, re-ask.

Transport faults are retried inside the client; what reaches here is an answer,
or a :class:`~guiagent.errors.ModelConnectionError` once those retries are spent (recorded as a
failed attempt, then raised to end the run). An answer can still be unusable:

* the model thought until the token budget ran out: the protocol says how to
  close the thought (:meth:`~guiagent.protocols.base.ProtocolAdapter.continuation`;
  GLM-4.1V's is ``</think><answer>``), which is sent back as an assistant prefix that
  the server continues (``continue_final_message``), with the answer's own smaller budget;
* it is empty, cut off, or holds no action: the model is asked again, told what
  was wrong (``correction=``), at most ``max_reasks`` times.

Every request is one :class:`~guiagent.runlog.Attempt` on the step, in order;
``step.extra["attempt_kinds"]`` says which were re-asks and continuations.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .errors import ModelError, ModelResponseError
from .model import ModelClient, ModelReply
from .protocols.base import ParsedAnswer, ProtocolAdapter, StepInput
from .runlog import Attempt, ErrorInfo, RequestSummary, StepRecord
from .stream_redaction import RedactedDeltas
from .tokens import image_sizes

CONTINUE_BODY = {"continue_final_message": True, "add_generation_prompt": False}

#: Receives each streamed piece of a step's reply: ``(step, kind, text)``.
StepDeltaSink = Callable[[StepRecord, str, str], None]


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

    def ask(self, step: StepRecord, given: StepInput, image_bytes: int,
            timings: dict[str, float]) -> ParsedAnswer | None:
        """Ask until an answer parses; None (with ``step.error``) when re-asks run out."""
        correction: str | None = None
        for _ in range(self.max_reasks + 1):
            t0 = time.perf_counter()
            request = self.protocol.build_request(replace(given, correction=correction))
            _add(timings, "request_build", t0)
            step.request = RequestSummary(prompt=request.prompt, images=request.images,
                                          image_bytes=image_bytes)
            kind = "reask" if correction else "ask"
            body = request.extra_body
            reply = self._complete(step, request.messages, kind, timings,
                                   **({"extra_body": body} if body else {}))
            attempt, content, reasoning = step.attempts[-1], reply.content, reply.reasoning
            prefix = self.protocol.continuation(reply) \
                if self.model.settings.continue_thinking else None
            if prefix is not None:
                messages = [*request.messages, {"role": "assistant", "content": prefix}]
                reply = self._complete(step, messages, "continue", timings,
                                       max_tokens=self.model.settings.answer_max_tokens,
                                       extra_body={**body, **CONTINUE_BODY})
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
            if isinstance(self.on_delta, RedactedDeltas):  # the reply is over: its held tail
                self.on_delta.flush()
        step.attempts.append(Attempt(content=reply.content, reasoning=reply.reasoning,
                                     finish_reason=reply.finish_reason, usage=reply.usage,
                                     seconds=reply.seconds,
                                     first_token_seconds=reply.first_token_seconds,
                                     tokens_per_second=reply.tokens_per_second,
                                     image_sizes=image_sizes(messages),
                                     transport_errors=reply.transport_errors))
        kinds.append(kind)
        step.usage = step.usage + reply.usage
        return reply


def _add(timings: dict[str, float], phase: str, t0: float) -> None:
    timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - t0
