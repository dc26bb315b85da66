"""The Driver contract: observe the screen, act on it.

A driver is anything with ``start``, ``observe``, ``act`` and ``close``; the
agent loop, skills and replay use nothing else. ``act`` receives the frame of
the observation the model saw, because the model's coordinates are relative to
that screenshot and to nothing newer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from PIL import Image
from pydantic import BaseModel

from ..actions import Action, Answer, Done, Fail, Type, Wait
from ..geometry import ResolvedPoint, ScreenFrame, Size
from ..imaging import EXTENSION, MIME, decode_image, encode_image, fit_size


@dataclass
class Observation:
    """What a driver saw: the screenshot, how it maps to the surface, and context.

    A driver may hand over a decoded ``image``, the encoded ``data`` as captured
    (with ``mime``), or both; each form is produced from the other at most once.
    """

    frame: ScreenFrame
    image: Image.Image | None = None
    data: bytes | None = None
    mime: str = "image/png"
    url: str | None = None
    title: str | None = None
    captured_at: float = field(default_factory=time.time)
    capture_seconds: float = 0.0
    #: Decoding happens once even when a worker thread (history thumbnail) and the
    #: step (stuck detection) ask at the same time.
    _decoding: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                      compare=False)

    def __post_init__(self) -> None:
        if self.image is None and self.data is None:
            raise ValueError("an Observation needs an image or encoded data")

    def pil(self) -> Image.Image:
        """The decoded screenshot."""
        if self.image is None:
            with self._decoding:
                if self.image is None:
                    assert self.data is not None
                    self.image = decode_image(self.data)
        return self.image

    def encoded(self, fmt: str = "jpeg", quality: int = 85) -> tuple[bytes, str]:
        """The screenshot's bytes and MIME type, re-encoding only if the format differs."""
        mime = MIME[fmt.lower()]
        if self.data is None or self.mime != mime:
            self.data, self.mime = encode_image(self.pil(), fmt, quality), mime
        return self.data, self.mime

    @property
    def extension(self) -> str:
        """File extension matching ``mime``."""
        return EXTENSION.get(self.mime, "png")

    def fitted(self, max_pixels: int | None) -> Observation:
        """A copy scaled down to at most ``max_pixels``, with the frame updated to match."""
        size = fit_size(self.frame.screenshot, max_pixels)
        if size == self.frame.screenshot:
            return self
        image = self.pil().resize((size.width, size.height), Image.Resampling.LANCZOS)
        frame = self.frame.model_copy(update={"screenshot": Size(width=size.width, height=size.height)})
        return Observation(
            frame=frame, image=image, url=self.url, title=self.title,
            captured_at=self.captured_at, capture_seconds=self.capture_seconds,
        )


def described(action: Action) -> str:
    """The action for an error message: a ``type()`` shows how much, never what, it types."""
    if isinstance(action, Type):
        return f"type(<{len(action.content)} characters>)"
    return action.to_call()


def without_typed_text(action: Action, message: str) -> str:
    """``message`` (a driver or library error) with the text a ``type()`` was typing removed.

    Typed text may be a password (a secret's value, substituted just before the
    driver); driver errors are logged and shown to the model, so they never hold it,
    in any encoding (:mod:`guiagent.redaction`). Text under 3 characters cannot be
    told apart from the rest of a message: then only the first line's error kind is kept.
    """
    from ..redaction import Redactor

    if not isinstance(action, Type) or not action.content:
        return message
    if len(action.content) < 3:
        head = (message.splitlines() or [""])[0]
        return f"{head.split(':', 1)[0]}: (the message is hidden: it may quote the typed text)"
    return Redactor({action.content: f"<{len(action.content)} typed characters>"}).text(message)


class ActionResult(BaseModel):
    """What a driver did for one action, in pixels; recorded on the step."""

    points: list[ResolvedPoint] = []
    detail: str = ""
    #: Seconds a new document the action started took to load (from its navigation's start to
    #: ``load``): the site's and the browser's time, not the framework's. Recorded as the
    #: step's ``page_load`` timing, part of ``execute``.
    page_load: float = 0.0


@runtime_checkable
class Driver(Protocol):
    """A screen the agent can look at and act on."""

    name: str

    def start(self) -> None:
        """Acquire resources (browser, display); idempotent."""

    def observe(self) -> Observation:
        """Capture the current screen."""

    def act(self, action: Action, frame: ScreenFrame) -> ActionResult:
        """Execute one action whose points refer to ``frame``; raise DriverError on failure."""

    def close(self) -> None:
        """Release everything; safe to call twice."""

    def describe(self) -> dict:
        """Settings worth recording in run.json."""


class BaseDriver:
    """Shared plumbing: context manager and the actions that need no screen."""

    name = "base"
    wait_seconds: float = 5.0

    def start(self) -> None:  # pragma: no cover - overridden
        """Acquire resources."""

    def close(self) -> None:  # pragma: no cover - overridden
        """Release resources."""

    def __enter__(self):  # noqa: ANN204
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> dict:
        """Settings worth recording in run.json."""
        return {"name": self.name}

    def act_without_screen(self, action: Action) -> ActionResult | None:
        """Handle WAIT and the terminal actions; None for actions that need the screen."""
        if isinstance(action, Wait):
            time.sleep(self.wait_seconds)
            return ActionResult(detail=f"waited {self.wait_seconds:g}s")
        if isinstance(action, Done | Fail | Answer):
            return ActionResult(detail="nothing to execute")
        return None
