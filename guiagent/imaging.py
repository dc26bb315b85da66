"""Screenshot encoding: done once per image, never per request.

The screenshot a driver captures is kept in its captured encoding and sent to
the model as is; the half-size copy used as history is made once, when its
step ends, and reused for the next four requests.
"""

from __future__ import annotations

import base64
import io
from dataclasses import replace

from PIL import Image

from .geometry import Size
from .visual_tokens import GLM

MIME = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}
EXTENSION = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def encode_image(image: Image.Image, fmt: str = "jpeg", quality: int = 85) -> bytes:
    """Encode a PIL image as PNG or JPEG bytes."""
    buf = io.BytesIO()
    fmt = fmt.lower()
    if fmt in ("jpeg", "jpg"):
        image.convert("RGB").save(buf, format="JPEG", quality=quality)
    elif fmt == "png":
        image.save(buf, format="PNG", compress_level=1)
    else:
        image.save(buf, format=fmt.upper())
    return buf.getvalue()


def decode_image(data: bytes) -> Image.Image:
    """Decode image bytes into a loaded PIL image."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def data_url(data: bytes, mime: str) -> str:
    """A ``data:`` URL the OpenAI-compatible API accepts as ``image_url``."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def half_size(image: Image.Image) -> Image.Image:
    """The 50% x 50% copy GLM-4.1V expects for previous screenshots."""
    w, h = image.size
    return image.resize((max(1, w // 2), max(1, h // 2)), Image.Resampling.BILINEAR)


def fit_size(size: Size, max_pixels: int | None) -> Size:
    """The largest size with the same aspect ratio and at most ``max_pixels`` pixels."""
    if not max_pixels or size.width * size.height <= max_pixels:
        return size
    scale = (max_pixels / (size.width * size.height)) ** 0.5
    return Size(width=max(1, int(size.width * scale)), height=max(1, int(size.height * scale)))


#: GLM-4.1V's image processor: 14 px patches merged 2x2, so one visual token per 28x28 block.
VISUAL_BLOCK = GLM.block
#: The family's published processor cap on 2 x height x width (an image is two temporal frames).
GLM41V_MAX_PIXELS = GLM.max_pixels


def visual_tokens(size: Size, max_pixels: int = GLM41V_MAX_PIXELS) -> int:
    """How many visual tokens GLM-4.1V's processor makes of an image of this size.

    1280x720 gives 1,196; other families' rules are in :mod:`guiagent.visual_tokens`.
    """
    rule = GLM if max_pixels == GLM.max_pixels else replace(GLM, max_pixels=max_pixels)
    return rule.tokens(size.width, size.height)
