"""A step's history thumbnail, made on a worker thread while the model is asked.

The half-size copy GLM-4.1V gets of a previous screenshot needs the
screenshot decoded, resized and encoded again (9 ms at 1280x720, twice that
at 1920x1080). Nothing needs it before the next request, so it is started as
soon as the screenshot is taken and runs while the request is in flight (Pillow
releases the GIL while it decodes, resizes and encodes). The decoded image is
kept on the :class:`~guiagent.drivers.base.Observation`, so stuck detection
reuses it instead of decoding again.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from .drivers.base import Observation
from .imaging import data_url, encode_image, half_size


def make_thumbnail(obs: Observation, image_format: str, quality: int) -> str:
    """The half-size history image of ``obs`` as a data URL."""
    return data_url(encode_image(half_size(obs.pil()), image_format, quality),
                    "image/png" if image_format == "png" else "image/jpeg")


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
