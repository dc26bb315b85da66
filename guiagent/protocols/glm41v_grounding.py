"""GLM-4.1V's grounding query: "where is X in this image?" without the agent loop.

Facts followed (docs/protocol.md): asked to locate a description in the image
and give its bounding box, the model answers ``[[x1,y1,x2,y2]]`` in thousandths
of the image's width and height, inside ``<|begin_of_box|>...<|end_of_box|>``
in the ``<answer>`` part. Servers that skip special tokens drop the markers,
and answers vary (a flat ``[x1,y1,x2,y2]``, a point, prose around it), so the
parser looks inside the markers first and then for the first box in the text.
"""

from __future__ import annotations

import re

from ..errors import ModelResponseError
from ..geometry import Size
from .base import ChatRequest, GroundingAnswer
from .glm41v_parse import BEGIN_BOX, END_BOX, split_answer

PROMPT = (
    "Locate {description} in the image and give its bounding box. Answer with the box "
    "as [[x1,y1,x2,y2]]: the top-left and bottom-right corners, in thousandths of the "
    "image's width and height (integers from 0 to 1000)."
)
_NUM = r"-?\d+(?:\.\d+)?"
_BOX_RE = re.compile(rf"\[\s*\[?\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*\]?\s*\]")
_POINT_RE = re.compile(rf"\[\s*\[?\s*({_NUM})\s*,\s*({_NUM})\s*\]?\s*\]")


class Glm41vGrounding:
    """GLM-4.1V's grounding query as the protocol contract's :class:`GroundingQuery`."""

    def request(self, description: str, image_url: str, screenshot: Size) -> ChatRequest:
        """The screenshot, then the question (the size plays no part: boxes are thousandths)."""
        return grounding_request(description, image_url)

    def parse(self, content: str, reasoning: str | None = None) -> GroundingAnswer:
        """The box in thousandths of the image."""
        return parse_grounding(content, reasoning)


def grounding_request(description: str, image_url: str) -> ChatRequest:
    """One user message: the screenshot, then the question."""
    prompt = PROMPT.format(description=description.strip())
    content = [{"type": "image_url", "image_url": {"url": image_url}},
               {"type": "text", "text": prompt}]
    return ChatRequest(messages=[{"role": "user", "content": content}], prompt=prompt,
                       images=[{"role": "current"}])


def parse_grounding(content: str, reasoning: str | None = None) -> GroundingAnswer:
    """Read the box (thousandths); raise ModelResponseError (with the raw text) if there is none."""
    thinking, answer = split_answer(content, reasoning)
    places = []
    boxed = re.search(re.escape(BEGIN_BOX) + r"(.*?)" + re.escape(END_BOX), answer, re.DOTALL)
    if boxed:
        places.append(boxed.group(1))
    places.append(answer)
    for text in places:
        match = _BOX_RE.search(text)
        if match:
            x1, y1, x2, y2 = (float(v) for v in match.groups())
            x1, x2 = sorted((x1, x2))
            y1, y2 = sorted((y1, y2))
            return _checked(GroundingAnswer(x1, y1, x2, y2, thinking, answer), content)
        match = _POINT_RE.search(text)
        if match:
            x, y = (float(v) for v in match.groups())
            return _checked(GroundingAnswer(x, y, x, y, thinking, answer), content)
    raise ModelResponseError("the grounding answer holds no box: expected [[x1,y1,x2,y2]] in "
                             "thousandths of the image", raw=content)


def _checked(box: GroundingAnswer, raw: str) -> GroundingAnswer:
    if not all(0 <= v <= 1000 for v in (box.x1, box.y1, box.x2, box.y2)):
        raise ModelResponseError(f"the grounding box [[{box.x1:g},{box.y1:g},{box.x2:g},"
                                 f"{box.y2:g}]] lies outside 0..1000", raw=raw)
    return box
