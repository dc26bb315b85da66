"""How many visual tokens a model family makes of an image: one rule per family.

Every family guiagent speaks cuts an image into square blocks after resizing it
to multiples of the block side ("smart resize"), and each block becomes one
token in the prompt. The families differ only in the numbers:

* GLM-4.1V / 4.5V / 4.6V: 14 px patches merged 2x2, so 28 px blocks; the cap
  applies to 2 x h x w (an image counts as two temporal frames), 9,633,792 in
  the published processor configs: 1280x720 gives 1,196 tokens, 1920x1080 2,691.
* Qwen2.5-VL (and UI-TARS-1.5, which is built on it): 28 px blocks, at least
  3,136 and at most 12,845,056 pixels: 1920x1080 becomes 1932x1092, 2,691 tokens.
* Qwen3-VL: 16 px patches merged 2x2, so 32 px blocks, at least 4,096 and at most
  16,777,216 pixels: 1280x720 becomes 1280x704 (22.5 rounds to 22), 880 tokens.

Sizes round with Python's ``round`` (halves to even), as the processors do.
The rule is chosen by the protocol name recorded in run.json (:func:`rule_for`);
names no family claims fall back to GLM's, guiagent's default model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .protocols.coordinates import smart_resize


@dataclass(frozen=True)
class VisualTokenRule:
    """One family's image processor, reduced to what decides the token count."""

    family: str
    block: int
    min_pixels: int
    max_pixels: int
    #: The pixel budget counts this many frames of the image (GLM: 2, Qwen: 1).
    frames: int = 1
    #: A side under one block first scales the image up to a block (GLM's processor does).
    upscale_small: bool = False

    def resized(self, width: int, height: int) -> tuple[int, int]:
        """The (width, height) the processor resizes an image to.

        GLM's budget on frames x h x w is Qwen's on h x w with the bounds divided
        by the frames, so both are :func:`~guiagent.protocols.coordinates.smart_resize`.
        """
        b = self.block
        width, height = max(1, width), max(1, height)
        if self.upscale_small and (height < b or width < b):
            scale = max(b / height, b / width)
            width, height = int(width * scale), int(height * scale)
        h, w = smart_resize(height, width, b, self.min_pixels // self.frames,
                            self.max_pixels // self.frames, max_ratio=math.inf)
        return w, h

    def tokens(self, width: int, height: int) -> int:
        """Visual tokens of one image of this size."""
        w, h = self.resized(width, height)
        return (w // self.block) * (h // self.block)


GLM = VisualTokenRule("glm", block=28, min_pixels=112 * 112, max_pixels=9_633_792, frames=2,
                      upscale_small=True)
QWEN25_VL = VisualTokenRule("qwen2.5-vl", block=28, min_pixels=4 * 28 * 28,
                            max_pixels=16384 * 28 * 28)
QWEN3_VL = VisualTokenRule("qwen3-vl", block=32, min_pixels=4 * 32 * 32,
                           max_pixels=16384 * 32 * 32)

#: Protocol-name prefixes (lower case, "-", "_" and "." removed) and the rule they use.
_PREFIXES: tuple[tuple[str, VisualTokenRule], ...] = (
    ("qwen3", QWEN3_VL),
    ("qwen25", QWEN25_VL),
    ("qwen2", QWEN25_VL),
    ("uitars", QWEN25_VL),
    ("glm", GLM),
)


def rule_for(protocol: str | None) -> VisualTokenRule:
    """The rule of the family a protocol name belongs to (GLM's when none claims it)."""
    key = (protocol or "").lower().replace("-", "").replace("_", "").replace(".", "")
    for prefix, rule in _PREFIXES:
        if key.startswith(prefix):
            return rule
    return GLM


def visual_tokens(protocol: str | None, sizes: Iterable[tuple[int, int]]) -> int:
    """Visual tokens of every image of one request, by the protocol's family rule."""
    rule = rule_for(protocol)
    return sum(rule.tokens(w, h) for w, h in sizes)
