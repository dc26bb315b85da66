"""A step's history thumbnail, made on a worker thread while the model is asked.

The half-size copy GLM-4.1V gets of a previous screenshot needs the
screenshot decoded, resized and encoded again (9 ms at 1280x720, twice that
at 1920x1080). Nothing needs it before the next request, so it is started as
soon as the screenshot is taken and runs while the request is in flight (Pillow
releases the GIL while it decodes, resizes and encodes). A JPEG screenshot is
decoded straight at half scale (libjpeg's DCT scaling), never at full size.
"""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor

from PIL import Image

from .drivers.base import Observation
from .imaging import data_url, encode_image, half_size


def make_thumbnail(obs: Observation, image_format: str, quality: int) -> str:
    """The half-size history image of ``obs`` as a data URL."""
    return data_url(encode_image(_half(obs), image_format, quality),
                    "image/png" if image_format == "png" else "image/jpeg")


def _half(obs: Observation) -> Image.Image:
    """The half-size image; a JPEG not decoded yet is decoded at half scale (DCT scaling).

    libjpeg decodes straight to 1/2 size at a fraction of a full decode and resize.
    """
    if obs.image is None and obs.mime == "image/jpeg" and obs.data is not None:
        image = Image.open(io.BytesIO(obs.data))
        full = image.size
        image.draft("RGB", (full[0] // 2, full[1] // 2))
        image.load()
        wanted = (max(1, full[0] // 2), max(1, full[1] // 2))
        return image if image.size == wanted else image.resize(wanted, Image.Resampling.BILINEAR)
    return half_size(obs.pil())


class ThumbnailMaker:
    """Starts a thumbnail for each step's observation; hands it over when the step ends."""

    def __init__(self, image_format: str, quality: int) -> None:
        self.image_format, self.quality = image_format, quality
        self._pool: ThreadPoolExecutor | None = None
        self._started: tuple[Observation, Future[str]] | None = None

    def start(self, obs: Observation) -> None:
        """Begin making the thumbnail of ``obs`` in the background."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guiagent-thumbnail")
        self._started = (obs, self._pool.submit(make_thumbnail, obs, self.image_format,
                                                self.quality))

    def take(self, obs: Observation) -> str:
        """The thumbnail of ``obs`` (made now if it was not started)."""
        started, self._started = self._started, None
        if started is not None and started[0] is obs:
            return started[1].result()
        return make_thumbnail(obs, self.image_format, self.quality)

    def close(self) -> None:
        """Stop the worker thread."""
        self._started = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
