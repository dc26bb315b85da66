"""Qwen-VL's ``smart_resize``: the image size a Qwen2.5-VL/Qwen3-VL processor really sees.

UI-TARS-1.5 and Qwen2.5-VL answer in absolute pixels of the image *after* the
processor resized it (both sides multiples of ``factor``, the area within
``[min_pixels, max_pixels]``, the aspect ratio kept as closely as possible),
not of the screenshot that was sent. A click is mapped back with
``x_screen = x / W' * W``. Getting ``W'`` wrong by one factor step moves clicks
by a few pixels, so the arithmetic here follows the published function
exactly, including Python's ``round`` (halves to even): a port that rounds
halves up computes other sizes (reported against UI-TARS-desktop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError

MAX_RATIO = 200


@dataclass(frozen=True)
class ResizeRule:
    """One family's processor settings: patch factor and pixel bounds."""

    factor: int
    min_pixels: int
    max_pixels: int

    def size(self, width: int, height: int) -> tuple[int, int]:
        """``(W', H')`` of a ``width`` x ``height`` image (note: width first)."""
        h, w = smart_resize(height, width, self.factor, self.min_pixels, self.max_pixels)
        return w, h

    def with_max_pixels(self, max_pixels: int | None) -> ResizeRule:
        """The same rule with the server's ``max_pixels`` (None: unchanged)."""
        if not max_pixels:
            return self
        return ResizeRule(self.factor, self.min_pixels, max_pixels)


#: Qwen2.5-VL's processor (qwen-vl-utils): 14 px patches merged 2x2; 4..16384 blocks.
QWEN25VL = ResizeRule(factor=28, min_pixels=4 * 28 * 28, max_pixels=16384 * 28 * 28)
#: UI-TARS-1.5's published action parser: as Qwen2.5-VL but at least 100 blocks.
UI_TARS = ResizeRule(factor=28, min_pixels=100 * 28 * 28, max_pixels=16384 * 28 * 28)
#: Qwen3-VL's processor: 16 px patches merged 2x2, so a factor of 32.
QWEN3VL = ResizeRule(factor=32, min_pixels=4 * 32 * 32, max_pixels=16384 * 32 * 32)


def smart_resize(height: int, width: int, factor: int, min_pixels: int,
                 max_pixels: int) -> tuple[int, int]:
    """``(H', W')``: the processor's size for an image of ``height`` x ``width``.

    Each side is rounded to the nearest multiple of ``factor`` (at least one
    factor); if the area then exceeds ``max_pixels`` both sides shrink by the
    same ratio and round down, if it falls under ``min_pixels`` they grow and
    round up.
    """
    if height <= 0 or width <= 0:
        raise ConfigError(f"cannot resize an image of {width}x{height} pixels")
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ConfigError(f"the screenshot {width}x{height} is too elongated for Qwen-VL's "
                          f"processor (aspect ratio over {MAX_RATIO})")
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w
