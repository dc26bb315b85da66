"""Model grounding: ask GLM-4.1V where the target is, when DOM and OCR could not say.

One request per target, with the current screenshot and the grounding query of
:mod:`guiagent.protocols.glm41v_grounding`. Each request is kept as an
:class:`~guiagent.runlog.Attempt` so the skill's log counts model usage like an
agent run does. An unreachable server is an error of the run, not a miss.
"""

from __future__ import annotations

import time

from ..drivers.base import Driver, Observation
from ..errors import ModelResponseError
from ..imaging import data_url
from ..model import ModelClient
from ..protocols.glm41v_grounding import grounding_request, parse_grounding
from ..runlog import Attempt, ErrorInfo
from .grounding import Box, Grounding, Miss
from .target import Purpose, Target


class ModelGrounder:
    """Grounds targets with the model's box answer; absent model -> always a miss."""

    name = "model"
    costly = True  # asked only once the screen had time to settle

    def __init__(self, model: ModelClient | None, *, image_format: str = "jpeg",
                 jpeg_quality: int = 85) -> None:
        self.model = model
        self.image_format = image_format
        self.jpeg_quality = jpeg_quality
        self.attempts: list[Attempt] = []
        self.seconds = 0.0

    def drain(self) -> tuple[list[Attempt], float]:
        """The requests made since the last call, and their time, for the step record."""
        out, seconds = self.attempts, self.seconds
        self.attempts, self.seconds = [], 0.0
        return out, seconds

    def locate(self, target: Target, purpose: Purpose, obs: Observation,
               driver: Driver) -> Grounding | Miss:
        """Ask the model for the target's box."""
        if self.model is None:
            return Miss(grounder=self.name, reason="unavailable: no model configured")
        data, mime = obs.encoded(self.image_format, self.jpeg_quality)
        query = target.model_query()
        request = grounding_request(query, data_url(data, mime))
        t0 = time.perf_counter()
        try:
            reply = self.model.complete(request.messages)
        finally:
            self.seconds += time.perf_counter() - t0
        attempt = Attempt(content=reply.content, reasoning=reply.reasoning,
                          finish_reason=reply.finish_reason, usage=reply.usage,
                          seconds=reply.seconds, transport_errors=reply.transport_errors)
        self.attempts.append(attempt)
        try:
            answer = parse_grounding(reply.content, reply.reasoning)
        except ModelResponseError as exc:
            attempt.error = ErrorInfo.of(exc)
            return Miss(grounder=self.name, reason=f"no box in the answer: {exc}",
                        seen=[repr(reply.content[-200:])])
        box = Box(x1=answer.x1, y1=answer.y1, x2=answer.x2, y2=answer.y2)
        return Grounding(grounder="model", target=target.summary(), box=box, confidence=None,
                         matched=query, how="grounding query")
