"""Model grounding: ask the model where the target is, when DOM and OCR could not say.

One request per target, with the current screenshot and the protocol's grounding
query (:attr:`~guiagent.protocols.base.ProtocolAdapter.grounding`; GLM-4.1V's asks
for a box in thousandths). A family without one never grounds. Each request is kept as an
:class:`~guiagent.runlog.Attempt` so the skill's log counts model usage like an
agent run does. An unreachable server is an error of the run, not a miss.
"""

from __future__ import annotations

import time

from ..drivers.base import Driver, Observation
from ..errors import ModelResponseError
from ..imaging import data_url
from ..model import ModelClient
from ..protocols.base import ProtocolAdapter
from ..runlog import Attempt, ErrorInfo
from ..tokens import image_sizes
from .grounding import Box, Grounding, Miss
from .target import Purpose, Target


class ModelGrounder:
    """Grounds targets with the model's box answer; absent model -> always a miss."""

    name = "model"
    costly = True  # asked only once the screen had time to settle

    def __init__(self, model: ModelClient | None, protocol: ProtocolAdapter, *,
                 image_format: str = "jpeg", jpeg_quality: int = 85) -> None:
        self.model = model
        self.protocol = protocol
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
        grounding = self.protocol.grounding
        if grounding is None:
            return Miss(grounder=self.name, reason=f"unavailable: the {self.protocol.name} "
                                                   "protocol has no grounding query")
        data, mime = obs.encoded(self.image_format, self.jpeg_quality)
        query = target.model_query()
        screenshot = obs.frame.screenshot
        request = grounding.request(query, data_url(data, mime), screenshot)
        t0 = time.perf_counter()
        try:
            body = request.extra_body
            reply = self.model.complete(request.messages, **({"extra_body": body} if body else {}))
        finally:
            self.seconds += time.perf_counter() - t0
        attempt = Attempt(content=reply.content, reasoning=reply.reasoning,
                          finish_reason=reply.finish_reason, usage=reply.usage,
                          seconds=reply.seconds, first_token_seconds=reply.first_token_seconds,
                          image_sizes=image_sizes(request.messages),
                          transport_errors=reply.transport_errors)
        self.attempts.append(attempt)
        try:
            answer = grounding.parse(reply.content, reply.reasoning)
        except ModelResponseError as exc:
            attempt.error = ErrorInfo.of(exc)
            return Miss(grounder=self.name, reason=f"no box in the answer: {exc}",
                        seen=[repr(reply.content[-200:])])
        convention = self.protocol.coordinates  # the box in thousandths of the screenshot
        top_left = convention.to_normalised(answer.x1, answer.y1, screenshot)
        bottom_right = convention.to_normalised(answer.x2, answer.y2, screenshot)
        box = Box(x1=top_left.x, y1=top_left.y, x2=bottom_right.x, y2=bottom_right.y)
        return Grounding(grounder="model", target=target.summary(), box=box, confidence=None,
                         matched=query, how="grounding query")
