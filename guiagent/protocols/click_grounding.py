"""Grounding for families without a grounding query of their own: ask them to click it.

UI-TARS-1.5, Qwen2.5-VL, Qwen3-VL and the generic JSON mode have no separate
"where is X?" format in guiagent; what each of them does answer faithfully is
its own step format. So the question goes out as a one-step task, ``Click
<description>.``, in the family's usual request (same prompt, tool and
coordinate convention), and the click's point is the answer: a box of zero
size in the family's coordinates, which skills map like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ModelResponseError
from ..geometry import Size
from .base import ChatRequest, GroundingAnswer, StepInput


class ClickGrounding:
    """A grounding query made of one step of the family's own protocol."""

    def __init__(self, make_protocol: Callable[[], Any]) -> None:
        # A protocol of its own: a family may keep per-request state (the pointer),
        # which a grounding question must not disturb in the run's protocol.
        self._make = make_protocol
        self._protocol: Any = None

    def _family(self) -> Any:
        if self._protocol is None:
            self._protocol = self._make()
        return self._protocol

    def request(self, description: str, image_url: str, screenshot: Size) -> ChatRequest:
        """The family's first-step request for the task ``Click <description>.``."""
        task = f"Click {description.strip().rstrip('.')}."
        return self._family().build_request(StepInput(task=task, image_url=image_url,
                                                      screenshot=screenshot))

    def parse(self, content: str, reasoning: str | None = None) -> GroundingAnswer:
        """The point of the answer's action; ModelResponseError when it has none."""
        parsed = self._family().parse(content, reasoning)
        point = getattr(parsed.action, "start_box", None)
        if point is None:
            raise ModelResponseError(f"the answer's action {parsed.call[:100]!r} has no point: "
                                     "expected a click on the element", raw=content)
        return GroundingAnswer(point.x, point.y, point.x, point.y, thinking=parsed.thinking,
                               answer_text=parsed.answer_text)
