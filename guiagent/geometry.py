"""Coordinate frames: from the model's 0-1000 space to the pixels that get clicked.

Wrong-place clicks are the most reported bug of GUI agents, and they come from
mixing up four spaces. A :class:`ScreenFrame` names them once, per observation:

* **model**: thousandths of the screenshot the model saw (GLM-4.1V "pc" protocol);
* **screenshot**: pixels of that image, after any resize done to save tokens;
* **surface**: the points the driver addresses (CSS pixels of a page, X11 screen
  points of a monitor), with ``origin`` locating the surface in the global space
  (a second monitor starts at x=1920, say);
* **device**: physical pixels, ``surface * device_scale_factor``.

Every executed point is recorded as a :class:`ResolvedPoint` holding all four,
so a replay log shows the point the model predicted and the point executed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .errors import OffScreenError

MODEL_SCALE = 1000


class Size(BaseModel):
    """A width and height in some unit of a frame."""

    model_config = ConfigDict(frozen=True)
    width: int = Field(gt=0)
    height: int = Field(gt=0)

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"

    @classmethod
    def parse(cls, text: str) -> Size:
        """Read ``'1280x720'``."""
        w, _, h = text.lower().partition("x")
        return cls(width=int(w), height=int(h))


class XY(BaseModel):
    """A point in one space; floats so that nothing is rounded twice."""

    model_config = ConfigDict(frozen=True)
    x: float
    y: float

    def rounded(self) -> tuple[int, int]:
        """Integer pixel coordinates."""
        return round(self.x), round(self.y)


class ResolvedPoint(BaseModel):
    """One point of an action in every space; what the replay log records."""

    model: XY
    screenshot: XY
    surface: XY
    global_: XY = Field(alias="global")
    device: XY

    model_config = ConfigDict(populate_by_name=True, frozen=True)


class ScreenFrame(BaseModel):
    """How one observed screenshot maps onto the surface the driver acts on."""

    model_config = ConfigDict(frozen=True)

    screenshot: Size
    surface: Size
    origin: XY = XY(x=0, y=0)
    device_scale_factor: float = Field(default=1.0, gt=0)

    def resolve(self, x: float, y: float) -> ResolvedPoint:
        """Map a model point to every space, refusing points off the screen."""
        if not (0 <= x <= MODEL_SCALE and 0 <= y <= MODEL_SCALE):
            raise OffScreenError(
                f"point [{x:g},{y:g}] is outside the screenshot: the model's coordinates must "
                f"lie in 0..{MODEL_SCALE} (thousandths of a {self.screenshot} image)"
            )
        fx, fy = x / MODEL_SCALE, y / MODEL_SCALE
        # 1000 is the far edge; clamp to the last pixel so it stays on screen.
        sx = min(fx * self.screenshot.width, self.screenshot.width - 1)
        sy = min(fy * self.screenshot.height, self.screenshot.height - 1)
        px = min(fx * self.surface.width, self.surface.width - 1)
        py = min(fy * self.surface.height, self.surface.height - 1)
        return ResolvedPoint(
            model=XY(x=x, y=y),
            screenshot=XY(x=round(sx, 2), y=round(sy, 2)),
            surface=XY(x=round(px, 2), y=round(py, 2)),
            global_=XY(x=round(px + self.origin.x, 2), y=round(py + self.origin.y, 2)),
            device=XY(
                x=round(px * self.device_scale_factor, 2),
                y=round(py * self.device_scale_factor, 2),
            ),
        )

    def to_model(self, screenshot_x: float, screenshot_y: float) -> XY:
        """Express a screenshot pixel in the model's space (used by test models and skills)."""
        return XY(
            x=round(screenshot_x / self.screenshot.width * MODEL_SCALE),
            y=round(screenshot_y / self.screenshot.height * MODEL_SCALE),
        )

    def surface_to_model(self, surface_x: float, surface_y: float) -> XY:
        """Express a surface point (CSS px, screen point) in the model's space."""
        return XY(
            x=round(surface_x / self.surface.width * MODEL_SCALE),
            y=round(surface_y / self.surface.height * MODEL_SCALE),
        )
