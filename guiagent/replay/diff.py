"""How different two screenshots look: the test a replay runs before every action.

The metric is the share of the screen that changed, measured on a coarse
grayscale grid. Both images are reduced to ``GRID_WIDTH`` cells across with a
box filter (each cell is the mean of about 10x10 pixels of a 1280-wide
screenshot), so JPEG noise and anti-aliasing average out, while a moved
button, a new banner or a different page changes whole cells. A cell counts as
changed when its mean brightness moved by more than ``CELL_TOLERANCE`` of 255
(3%: a white card on a light gray page is only ~11 apart, and must count).
The score is the fraction of changed cells, 0.0 (same) to 1.0 (all changed),
which reads directly as "3% of the screen differs". Measured on the sandbox
contact form: the same screen replayed 0.0, a focus ring 0.8%, a typed name
0.2%, an opened dropdown 3.3%, another page 25%; hence the 2% default.

Why not a perceptual hash (``imagehash``)? Its pHash ranks the same cases in
the same order (0, 2, 0, 12 and 30 bits of 64), but a count of bits has no
area meaning to set a threshold by, it cannot say where the screens differ
(the diff image needs a pixel comparison anyway), and it would add scipy and
PyWavelets as dependencies. This needs nothing beyond Pillow.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageOps
from pydantic import BaseModel

GRID_WIDTH = 128
CELL_TOLERANCE = 8
PIXEL_TOLERANCE = 40
DEFAULT_THRESHOLD = 0.02


class DiffResult(BaseModel):
    """How much of the screen differs between a recorded and a fresh screenshot."""

    score: float
    """Fraction of grid cells whose brightness changed by more than the tolerance."""
    mean: float
    """Mean absolute brightness difference of the grid, 0..1."""
    grid: tuple[int, int]
    """Cells across and down that were compared."""

    def over(self, threshold: float) -> bool:
        """True when the screens differ more than ``threshold`` allows."""
        return self.score > threshold

    def describe(self) -> str:
        """A one-line summary for people."""
        return f"{self.score:.1%} of the screen differs (mean change {self.mean:.1%})"


def _grid(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return image.convert("L").resize(size, Image.Resampling.BOX)


def grid_size(image: Image.Image) -> tuple[int, int]:
    """The comparison grid for an image: ``GRID_WIDTH`` across, height by aspect ratio."""
    width, height = image.size
    return GRID_WIDTH, max(1, round(GRID_WIDTH * height / width))


def image_difference(recorded: Image.Image, fresh: Image.Image) -> DiffResult:
    """Compare two screenshots; sizes may differ (the recorded one may have been scaled)."""
    size = grid_size(recorded)
    delta = ImageChops.difference(_grid(recorded, size), _grid(fresh, size))
    histogram = delta.histogram()
    cells = size[0] * size[1]
    changed = sum(histogram[CELL_TOLERANCE + 1:])
    mean = sum(value * count for value, count in enumerate(histogram)) / cells / 255
    return DiffResult(score=round(changed / cells, 5), mean=round(mean, 5), grid=size)


def diff_image(recorded: Image.Image, fresh: Image.Image) -> Image.Image:
    """The fresh screenshot dimmed to gray, with the pixels that changed painted red."""
    fresh = fresh.convert("RGB")
    if recorded.size != fresh.size:
        recorded = recorded.resize(fresh.size, Image.Resampling.BILINEAR)
    delta = ImageChops.difference(recorded.convert("L"), fresh.convert("L"))
    mask = delta.point(lambda v: 255 if v > PIXEL_TOLERANCE else 0)
    background = Image.blend(ImageOps.grayscale(fresh).convert("RGB"),
                             Image.new("RGB", fresh.size, "white"), 0.55)
    red = Image.new("RGB", fresh.size, (220, 20, 60))
    return Image.composite(red, background, mask)
