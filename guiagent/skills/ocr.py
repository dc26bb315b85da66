"""OCR of screenshots with tesseract: words grouped into the phrases a screen shows.

Tesseract reads dark text on light ground well and misses light text on
coloured buttons and text inside framed widgets; no single setting reads a
whole screen, so several passes (a polarity-free binarised copy where pixels
far from their local mean become ink, a doubled copy, another page
segmentation mode) are tried in turn, each only when the ones before did not
find what was asked. ``OMP_THREAD_LIMIT=1`` is set because
tesseract's threads only slow it down on small images (0.4 s instead of ~1 s).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import cast

from PIL import Image, ImageChops, ImageFilter

from ..errors import ConfigError

#: OCR passes tried in turn until the wanted text is found: (binarise, scale, page
#: segmentation mode). Measured on browser forms and LibreOffice dialogs: no single
#: setting reads everything, these five together read every label tried.
PASSES: tuple[tuple[bool, int, int], ...] = (
    (False, 1, 11), (True, 1, 11), (False, 2, 11), (False, 1, 3), (True, 1, 3),
)
OCR_HINT = ("OCR needs tesseract: apt install tesseract-ocr, and pip install 'guiagent[ocr]'")


@dataclass
class OcrLine:
    """One phrase on screen: words on a row with small gaps, box in screenshot pixels."""

    words: list[tuple[str, tuple[float, float, float, float], float]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The phrase."""
        return " ".join(w for w, _, _ in self.words)

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Union of the word boxes."""
        return span_box(self.words)

    @property
    def confidence(self) -> float:
        """Mean tesseract confidence, 0..1."""
        return sum(c for _, _, c in self.words) / max(1, len(self.words)) / 100


def span_box(words: list[tuple[str, tuple[float, float, float, float], float]]
             ) -> tuple[float, float, float, float]:
    """The box around some words."""
    return (min(b[0] for _, b, _ in words), min(b[1] for _, b, _ in words),
            max(b[2] for _, b, _ in words), max(b[3] for _, b, _ in words))


def _tesseract():  # noqa: ANN202 - the pytesseract module
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        import pytesseract
    except ImportError as exc:
        raise ConfigError(f"pytesseract is not installed. {OCR_HINT}") from exc
    return pytesseract


def binarised(image: Image.Image, radius: int = 20, threshold: int = 60) -> Image.Image:
    """Ink where a pixel differs strongly from its neighbourhood, whatever the polarity."""
    gray = image.convert("L")
    mean = gray.filter(ImageFilter.BoxBlur(radius))
    diff = ImageChops.difference(gray, mean)
    return diff.point(lambda v: 0 if v > threshold else 255)


def read_lines(image: Image.Image, *, binarise: bool = False, scale: int = 1,
               psm: int = 11) -> list[OcrLine]:
    """OCR one image into phrases (reading order), boxes in the image's pixels."""
    pytesseract = _tesseract()
    src = binarised(image) if binarise else image.convert("L")
    if scale != 1:
        src = src.resize((src.width * scale, src.height * scale), Image.Resampling.BICUBIC)
    try:
        data = pytesseract.image_to_data(src, output_type=pytesseract.Output.DICT,
                                         config=f"--psm {psm}")
    except pytesseract.TesseractNotFoundError as exc:
        raise ConfigError(f"the tesseract program is missing. {OCR_HINT}") from exc
    words = []
    for i, text in enumerate(data["text"]):
        text = text.strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        x, y = data["left"][i] / scale, data["top"][i] / scale
        w, h = data["width"][i] / scale, data["height"][i] / scale
        words.append((text, (x, y, x + w, y + h), conf))
    return group_words(words)


def read_box(image: Image.Image, box: tuple[float, float, float, float]) -> str:
    """The single line of text inside ``box``, thresholded at its mid grey, dark on light.

    Reads what whole-screen passes miss, such as white text on a coloured button.
    """
    pytesseract = _tesseract()
    left, top, right, bottom = box
    crop = image.convert("L").crop((round(left), round(top), round(right), round(bottom)))
    low, high = cast(tuple[int, int], crop.getextrema())  # one band: (min, max)
    if high - low < 40:
        return ""
    mid = (low + high) / 2
    bw = crop.point(lambda v: 255 if v > mid else 0)
    if sum(bw.histogram()[:128]) > bw.width * bw.height / 2:  # mostly dark: light text
        bw = bw.point(lambda v: 255 - v)
    bw = bw.resize((bw.width * 2, bw.height * 2), Image.Resampling.NEAREST)
    try:
        return pytesseract.image_to_string(bw, config="--psm 7").strip()
    except pytesseract.TesseractNotFoundError as exc:
        raise ConfigError(f"the tesseract program is missing. {OCR_HINT}") from exc


def group_words(words: list[tuple[str, tuple[float, float, float, float], float]]
                ) -> list[OcrLine]:
    """Join words that sit on one row with at most about a character's gap.

    Heights are compared with the smaller of the two, so a bogus tall box
    (a border read as ``|``) does not glue two rows of a list together.
    """
    lines: list[OcrLine] = []
    for word in sorted(words, key=lambda w: (w[1][0])):
        _, (x1, y1, x2, y2), _ = word
        h, cy = y2 - y1, (y1 + y2) / 2
        for line in lines:
            heights = sorted(b[3] - b[1] for _, b, _ in line.words)
            centres = sorted((b[1] + b[3]) / 2 for _, b, _ in line.words)
            lh, lcy = heights[len(heights) // 2], centres[len(centres) // 2]
            small = min(h, lh)
            if abs(lcy - cy) < small * 0.5 and -small < x1 - line.box[2] < small * 1.3:
                line.words.append(word)
                break
        else:
            lines.append(OcrLine(words=[word]))
    lines.sort(key=lambda ln: (round(ln.box[1] / 8), ln.box[0]))
    return lines


def normalise(text: str) -> str:
    """Lower case, letters and digits only, single spaces: what fuzzy matching compares."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


@dataclass
class TextMatch:
    """Where some text was read on screen and how similar it is to what was asked."""

    text: str
    box: tuple[float, float, float, float]
    score: float
    line: OcrLine


def match_text(lines: list[OcrLine], wanted: str, *, threshold: float = 0.8) -> list[TextMatch]:
    """Best match per phrase at or above ``threshold``, best first.

    Every run of consecutive words of about the wanted length is compared, so
    "Email" is found inside "Email address"; a whole-phrase match scores
    slightly higher than a match inside a longer phrase.
    """
    target = normalise(wanted)
    if not target:
        return []
    n = len(target.split())
    found = []
    for line in lines:
        best: TextMatch | None = None
        words = line.words
        for size in range(max(1, n - 1), n + 2):
            for start in range(0, max(1, len(words) - size + 1)):
                span = words[start:start + size]
                if not span:
                    continue
                text = " ".join(w for w, _, _ in span)
                score = SequenceMatcher(None, normalise(text), target).ratio()
                if len(span) < len(words):
                    score *= 0.97
                if best is None or score > best.score:
                    best = TextMatch(text=text, box=span_box(span), score=score, line=line)
        if best is not None and best.score >= threshold:
            found.append(best)
    found.sort(key=lambda m: -m.score)
    return found
