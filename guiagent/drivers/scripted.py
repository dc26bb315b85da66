"""ScriptedDriver: a fake screen that draws its own screenshots and records every action.

Like ``httpx.MockTransport``, it lets a test (or a user trying a prompt, a hook
or a model server) run the whole agent loop without a browser or a display:
each ``observe`` returns a generated image, each ``act`` resolves the action's
points exactly as a real driver would (so off-screen points are refused the
same way) and appends the action to :attr:`ScriptedDriver.actions`.

By default the screen changes after every executed action (it shows a counter);
``static=True`` keeps it the same, as a GUI that ignores the agent would.
``screens`` replaces the drawing with your own function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image, ImageDraw

from ..actions import Action, LeftDrag
from ..errors import DriverError
from ..geometry import ScreenFrame, Size
from .base import ActionResult, BaseDriver, Observation

ScreenFn = Callable[[int, list[Action]], Image.Image]


class ScriptedDriver(BaseDriver):
    """A driver with a generated screen; ``actions`` lists what it was asked to do."""

    name = "scripted"

    def __init__(self, size: Size | str = "1280x720", *, static: bool = False,
                 screens: ScreenFn | None = None, url: str | None = None,
                 title: str = "Scripted screen", wait_seconds: float = 0.0,
                 image_format: str = "png") -> None:
        self.size = Size.parse(size) if isinstance(size, str) else size
        self.static = static
        self.screens = screens
        self.url = url
        self.title = title
        self.wait_seconds = wait_seconds
        self.image_format = image_format
        self.actions: list[Action] = []
        self.started = False
        self.closed = False
        self.observations = 0

    def describe(self) -> dict[str, Any]:
        """Settings for run.json."""
        return {"name": self.name, "size": str(self.size), "static": self.static}

    def start(self) -> None:
        """Nothing to acquire; remembers that it was started."""
        self.started = True
        self.closed = False

    def close(self) -> None:
        """Nothing to release; safe to call twice."""
        self.closed = True

    def observe(self) -> Observation:
        """A generated screenshot of ``size`` pixels."""
        if not self.started or self.closed:
            raise DriverError("the scripted driver is not started: call start() or use it "
                              "as a context manager")
        self.observations += 1
        image = self.screens(self.observations, self.actions) if self.screens else self._draw()
        frame = ScreenFrame(screenshot=Size(width=image.width, height=image.height),
                            surface=self.size)
        return Observation(frame=frame, image=image, url=self.url, title=self.title)

    def act(self, action: Action, frame: ScreenFrame) -> ActionResult:
        """Resolve the action's points like a real driver, then record it."""
        done = self.act_without_screen(action)
        if done is not None:
            if not action.terminal:
                self.actions.append(action)
            return done
        points = []
        start = getattr(action, "start_box", None)
        if start is not None:
            points.append(frame.resolve(start.x, start.y))
        if isinstance(action, LeftDrag):
            points.append(frame.resolve(action.end_box.x, action.end_box.y))
        self.actions.append(action)
        content = getattr(action, "content", None)
        detail = f"typed {len(content)} characters" if content is not None else action.action
        return ActionResult(points=points, detail=detail)

    def _draw(self) -> Image.Image:
        """A plain screen; unless static, it shows how many actions ran so far."""
        count = 0 if self.static else len(self.actions)
        shade = 230 - (count * 37) % 120
        image = Image.new("RGB", (self.size.width, self.size.height), (shade, shade, 240))
        draw = ImageDraw.Draw(image)
        draw.rectangle((20, 20, self.size.width // 2, 80), fill=(40, 40, 60))
        draw.text((30, 40), f"{self.title}: {count} action(s)", fill=(255, 255, 255))
        return image
