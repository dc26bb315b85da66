"""A stand-in GLM-4.1V for MiniWoB++ click tasks, computing each answer from the screenshot.

It reads the instruction from the prompt and the screen from the image it was
sent (never from the page's DOM), so the whole loop runs for real: OCR
(tesseract) finds a quoted word ("Click on the "Yes" button.", "Click on the
link "nam".", "Click button ONE."), a named colour is found by its pixels
("Click on the olive colored box."). It answers ``DONE()`` once the task area
no longer shows the yellow instruction bar (the page ended the episode), and
``FAIL()`` when it cannot find its target. ``wrong_rate`` makes it click
another word instead, for a deterministic share of instructions (hashed), so
suites see real negative rewards too. Everything it cannot solve (checkboxes,
menus, drags, ...) ends without a reward: real failures, not scripted ones.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

from PIL import Image, ImageColor

from .model_server import ModelRequest, Reply, glm_answer

_QUERY_YELLOW = (255, 255, 0)
_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")
_COLOR = re.compile(r"Click on the (\w+) colored box", re.IGNORECASE)
_BUTTON_WORD = re.compile(r"^Click button (\w+)\.?$")


def _close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=False))


def query_bar_height(image: Image.Image) -> int | None:
    """Rows of the yellow instruction bar at the top, or None when it is not shown."""
    rgb = image.convert("RGB")
    x = rgb.width - 2  # the bar's right edge: the instruction's text never reaches it
    if not _close(rgb.getpixel((x, 2)), _QUERY_YELLOW, 40):  # type: ignore[arg-type]
        return None
    y = 2
    while y < rgb.height and _close(rgb.getpixel((x, y)), _QUERY_YELLOW, 40):  # type: ignore[arg-type]
        y += 1
    return y


@dataclass(frozen=True)
class Word:
    """One OCR'd word and its centre in screenshot pixels."""

    text: str
    x: int
    y: int
    box: tuple[int, int, int, int] = (0, 0, 0, 0)


def ocr_words(image: Image.Image, top: int) -> list[Word]:
    """Words below ``top``: first with grey borders dropped (buttons), then plain greyscale."""
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    area = image.convert("L").crop((0, top, image.width, image.height))
    words: list[Word] = []
    seen: set[tuple[str, int, int]] = set()
    for variant in (area.point(lambda v: 255 if v > 100 else 0), area):
        data = pytesseract.image_to_data(variant, config="--psm 11",
                                         output_type=pytesseract.Output.DICT)
        for i, raw in enumerate(data["text"]):
            text = raw.strip().strip(".,:;!?\"'|")
            if not text:
                continue
            x = data["left"][i] + data["width"][i] // 2
            y = top + data["top"][i] + data["height"][i] // 2
            key = (text, x // 10, y // 10)
            if key not in seen:
                seen.add(key)
                left, upper = data["left"][i], top + data["top"][i]
                words.append(Word(text, x, y, (left, upper, left + data["width"][i],
                                               upper + data["height"][i])))
    return words


def looks(image: Image.Image, word: Word) -> tuple[int, ...]:
    """How a word is drawn: its ink colour and the colour just outside its box (link, button, text)."""
    rgb = image.convert("RGB")
    left, upper, right, lower = word.box
    pixels = [rgb.getpixel((x, y)) for x in range(left, max(left + 1, right))
              for y in range(upper, max(upper + 1, lower))]
    ink = min(pixels, key=lambda p: sum(p))  # type: ignore[arg-type]
    around = rgb.getpixel((max(0, left - 3), min(rgb.height - 1, (upper + lower) // 2)))
    return (*ink, *around)  # type: ignore[misc]


def colour_centre(image: Image.Image, name: str, top: int, tolerance: int = 40) -> tuple[int, int] | None:
    """Centre of the pixels below ``top`` that have the named CSS colour (None if too few)."""
    try:
        want = ImageColor.getrgb(name)[:3]
    except ValueError:
        return None
    rgb = image.convert("RGB")
    xs, ys, step = [], [], 3
    for y in range(top, rgb.height, step):
        for x in range(0, rgb.width, step):
            if _close(rgb.getpixel((x, y)), want, tolerance):  # type: ignore[arg-type]
                xs.append(x)
                ys.append(y)
    if len(xs) < 20:
        return None
    return sorted(xs)[len(xs) // 2], sorted(ys)[len(ys) // 2]


@dataclass
class MiniwobPolicy:
    """Responder for :class:`~guiagent.testing.model_server.GlmModelServer`."""

    wrong_rate: float = 0.0
    delay: float = 0.0

    def wrong(self, instruction: str) -> bool:
        """Whether this instruction gets a deliberately wrong click (stable across runs)."""
        digest = hashlib.sha256(instruction.encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < self.wrong_rate

    def __call__(self, req: ModelRequest) -> Reply:
        """Answer one request (the GlmModelServer responder interface)."""
        return Reply(content=self.answer(req.task, req.images[0]), delay=self.delay)

    def answer(self, instruction: str, image: Image.Image) -> str:
        """The GLM-format answer for this instruction and screenshot."""
        top = query_bar_height(image)
        if top is None:
            return glm_answer("DONE()", explanation="The task area shows the episode has ended.")
        point = self._target(instruction, image, top)
        if point is None:
            return glm_answer("FAIL()", explanation="I cannot find what the task asks for.")
        x, y = round(point[0] / image.width * 1000), round(point[1] / image.height * 1000)
        return glm_answer(f"left_click(start_box='[{x},{y}]', element_info='target')",
                          explanation="I click the target.")

    def _target(self, instruction: str, image: Image.Image, top: int) -> tuple[int, int] | None:
        colour = _COLOR.search(instruction)
        if colour:
            return colour_centre(image, colour.group(1).lower(), top)
        quoted = _QUOTED.findall(instruction)
        word = _BUTTON_WORD.match(instruction)
        target = quoted[-1] if quoted else (word.group(1) if word else None)
        if target is None:
            return None
        words = ocr_words(image, top)
        found = next((w for exact in (True, False) for w in words
                      if (w.text == target if exact else w.text.lower() == target.lower())), None)
        if found is not None and self.wrong(instruction):
            # a plausible mistake: another word drawn like the target (another link, button)
            want = looks(image, found)
            others = [w for w in words if w.text.lower() != target.lower()]
            if not others:
                return None
            found = min(others, key=lambda w: sum(abs(a - b) for a, b in zip(looks(image, w), want,
                                                                             strict=True)))
        return (found.x, found.y) if found is not None else None
