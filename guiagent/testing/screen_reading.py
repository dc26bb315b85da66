"""Read a screenshot the way the stand-in policy needs: phrases, buttons, fields, table cells.

The stand-in policy server must act from the pixels it receives, never from a
DOM. Tesseract reads dark text on light ground in one polarity-free pass, but
misses white labels on coloured buttons, so buttons are found separately: solid,
saturated rectangles, each label read from its own crop (fast, one line). A
field is the bordered box right under its label. A table cell is the phrase in
a row whose left edge sits in a header's column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from ..skills.ocr import OcrLine, TextMatch, match_text, read_box, read_lines

Box = tuple[float, float, float, float]
SATURATION_MIN, VALUE_MIN = 110, 110   # HSV bytes: a coloured button, not navy text or grey borders
BUTTON_MIN_W, BUTTON_MIN_H, BUTTON_FILL = 48, 18, 0.6
GRID = 4                                  # button search runs on a 1/4 size mask


class NotOnScreen(LookupError):
    """What the plan wants to act on cannot be read on this screenshot."""


class NotYet(NotOnScreen):
    """What the plan waits for (a dialog, a saved document's title) has not appeared yet.

    The policy answers ``WAIT()`` instead of scrolling: on a desktop, scrolling
    would move the document under the dialog that is still opening.
    """


@dataclass
class Screen:
    """One screenshot and what has been read from it (each reading done at most once)."""

    image: Image.Image
    _lines: list[OcrLine] | None = None
    _buttons: list[OcrLine] | None = None
    _gray: list[OcrLine] | None = None
    seen: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        """Screenshot width in pixels."""
        return self.image.width

    @property
    def height(self) -> int:
        """Screenshot height in pixels."""
        return self.image.height

    def lines(self) -> list[OcrLine]:
        """Phrases read by tesseract (binarised, so light text on dark reads too)."""
        if self._lines is None:
            os.environ.setdefault("OMP_THREAD_LIMIT", "1")
            self._lines = read_lines(self.image, binarise=True, psm=11)
        return self._lines

    def gray_lines(self) -> list[OcrLine]:
        """A second, plain greyscale reading: what the binarised one garbled (text next to a
        coloured block) it often reads; done only when asked for text the first one missed."""
        if self._gray is None:
            self._gray = read_lines(self.image, binarise=False, psm=11)
        return self._gray

    def lines_in(self, box: Box) -> list[OcrLine]:
        """Phrases inside one region (an open list), read from its crop at double size."""
        left, top = max(0, int(box[0])), max(0, int(box[1]))
        crop = self.image.crop((left, top, min(self.width, int(box[2])), min(self.height, int(box[3]))))
        out = []
        for ln in read_lines(crop, scale=2, psm=6):
            out.append(OcrLine(words=[(w, (b[0] + left, b[1] + top, b[2] + left, b[3] + top), c)
                                      for w, b, c in ln.words]))
        return out

    def buttons(self) -> list[OcrLine]:
        """Coloured buttons (and a highlighted list item), each as a phrase with the button's box."""
        if self._buttons is None:
            self._buttons = []
            for box in coloured_boxes(self.image):
                # Inset past the grid's slack and the rounded corners, which read as "|".
                inner = (box[0] + GRID + 2, box[1] + GRID, box[2] - GRID - 2, box[3] - GRID)
                label = read_box(self.image, inner).strip(" |[]()")
                if label:
                    self._buttons.append(OcrLine(words=[(label, box, 90.0)]))
        return self._buttons

    def find(self, text: str, *, nth: int | None = None, below: Box | None = None,
             row: Box | None = None, left_in: tuple[float, float] | None = None,
             buttons_only: bool = False, region: Box | None = None) -> TextMatch:
        """Where ``text`` is on screen; buttons are read only when the phrases miss it.

        The best reading wins (ties: the first in reading order); ``nth`` picks
        among the good readings in reading order instead. ``below`` keeps
        matches under a box, ``row`` those on that box's row, ``left_in`` those
        whose left edge lies in that range of x. ``region`` reads only that part
        of the screen, on its own.
        """
        def keep(m: TextMatch) -> bool:
            cy = (m.box[1] + m.box[3]) / 2
            if below is not None and cy <= below[3]:
                return False
            if left_in is not None and not left_in[0] <= m.box[0] <= left_in[1]:
                return False
            return row is None or row[1] - 4 <= cy <= row[3] + 4

        sources: list[Callable[[], list[OcrLine]]]
        if region is not None:
            sources = [lambda: self.lines_in(region)]
        elif buttons_only:
            sources = [self.buttons]
        else:
            sources = [self.lines, self.buttons, self.gray_lines]
        found: list[TextMatch] = []
        for source in sources:
            found += [m for m in match_text(source(), text) if keep(m)]
            found.sort(key=lambda m: (round(_cy(m.box) / 8), m.box[0]))
            best = max((m.score for m in found), default=0.0)
            if nth is None and best >= 0.9:
                return next(m for m in found if m.score >= best - 0.01)
            good = [m for m in found if m.score >= max(0.9, best - 0.05)]
            if nth is not None and len(good) >= nth:
                return good[nth - 1]
        if found and nth is None:
            return max(found, key=lambda m: m.score)
        self.seen = [ln.text for ln in (self._lines or []) + (self._buttons or [])]
        raise NotOnScreen(f"cannot read {text!r} on the screen")

    def find_all(self, text: str) -> list[TextMatch]:
        """Every good reading of ``text`` (phrases, else buttons, else the greyscale reading)."""
        for source in (self.lines, self.buttons, self.gray_lines):
            found = [m for m in match_text(source(), text) if m.score >= 0.9]
            if found:
                return sorted(found, key=lambda m: (round(_cy(m.box) / 8), m.box[0]))
        raise NotOnScreen(f"cannot read {text!r} on the screen")

    def field_below(self, label: Box) -> Box:
        """The bordered input box right under a label: top and bottom border found in the pixels,
        the right end where the top border stops."""
        gray = self.image.convert("L")
        x = min(self.width - 1, int(label[0]) + 12)
        top = bottom = None
        for y in range(int(label[3]) + 1, min(self.height, int(label[3]) + 40)):
            if gray.getpixel((x, y)) < 225:  # type: ignore[operator]
                if top is None:
                    top = y
                elif y - top > 8:
                    bottom = y
                    break
        if top is None:
            raise NotOnScreen("no field under its label")
        right = x
        while right + 1 < self.width and gray.getpixel((right + 1, top)) < 225:  # type: ignore[operator]
            right += 1
        return (label[0], top, max(right, label[0] + 40), bottom or top + 30)

    def cell(self, row_text: str, column: str) -> str:
        """The text in the row that shows ``row_text``, in the column headed ``column``.

        The header is the nearest reading of ``column`` above the row (a search
        form's label of the same name sits higher up).
        """
        for rowm in self.find_all(row_text):  # the same text may also sit in the search box
            heads = [m for m in match_text(self.lines(), column)
                     if _cy(m.box) < rowm.box[1] and m.score >= 0.9]
            if not heads:
                continue
            head = max(heads, key=lambda m: (_cy(m.box), m.score))
            headers = sorted((ln for ln in self.lines() if abs(_cy(ln.box) - _cy(head.box)) < 6),
                             key=lambda ln: ln.box[0])
            right = min((ln.box[0] for ln in headers if ln.box[0] > head.box[2]), default=self.width)
            parts = [ln.text for ln in self.lines() if abs(_cy(ln.box) - _cy(rowm.box)) < 8
                     and head.box[0] - 8 <= ln.box[0] < right - 4]
            if parts:
                return " ".join(parts)
        raise NotOnScreen(f"nothing in column {column!r} on a row of {row_text!r}")

    def beside(self, label: str) -> str:
        """The phrase right of ``label`` on its row (a value in a two-column list)."""
        head = self.find(label)
        right = sorted((ln for ln in self.lines() if abs(_cy(ln.box) - _cy(head.box)) < 6
                        and ln.box[0] > head.box[2] + 2), key=lambda ln: ln.box[0])
        if not right:
            raise NotOnScreen(f"nothing to the right of {label!r}")
        return right[0].text

    def search(self, pattern: str) -> re.Match[str]:
        """The first phrase matching a regular expression."""
        for ln in self.lines():
            m = re.search(pattern, ln.text)
            if m:
                return m
        raise NotOnScreen(f"no text on screen matches {pattern!r}")


def _cy(box: Box) -> float:
    return (box[1] + box[3]) / 2


def coloured_boxes(image: Image.Image) -> list[Box]:
    """Solid saturated rectangles at least a small button's size, in screenshot pixels.

    Works on a quarter-size mask with a plain flood fill: a 320x180 grid is
    cheap in pure Python and a button is many cells wide.
    """
    small = image.convert("HSV").resize((image.width // GRID, image.height // GRID),
                                        Image.Resampling.BOX)
    w, h = small.size
    px = small.load()
    assert px is not None
    mask = [[False] * w for _ in range(h)]
    for y in range(h):
        for x in range(w):
            _, s, v = px[x, y]  # type: ignore[misc]
            mask[y][x] = s >= SATURATION_MIN and v >= VALUE_MIN
    boxes: list[Box] = []
    for y0 in range(h):
        for x0 in range(w):
            if not mask[y0][x0]:
                continue
            stack, cells = [(x0, y0)], 0
            mask[y0][x0] = False
            x1 = x2 = x0
            y1 = y2 = y0
            while stack:
                x, y = stack.pop()
                cells += 1
                x1, x2, y1, y2 = min(x1, x), max(x2, x), min(y1, y), max(y2, y)
                for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                    if 0 <= nx < w and 0 <= ny < h and mask[ny][nx]:
                        mask[ny][nx] = False
                        stack.append((nx, ny))
            bw, bh = (x2 - x1 + 1) * GRID, (y2 - y1 + 1) * GRID
            if bw >= BUTTON_MIN_W and bh >= BUTTON_MIN_H and \
                    cells >= BUTTON_FILL * (x2 - x1 + 1) * (y2 - y1 + 1):
                boxes.append((x1 * GRID, y1 * GRID, (x2 + 1) * GRID, (y2 + 1) * GRID))
    return boxes
