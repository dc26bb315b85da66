"""How a person would do a LibreOffice task, read from its instruction: plans for the stand-in.

Desktop evaluation tests need a model that really operates Calc and Writer:
a constant script would pass whatever the screen showed. :func:`plan_for`
reads the task text for what to do (the table, the numbers, the paragraphs,
the file name) and returns the steps; the screen is read only when a step is
carried out (:mod:`.office_plans` hands the steps to the stand-in policy
server): OCR (tesseract, through :mod:`guiagent.skills.ocr`) finds where to
click, whether a dialog has opened, whether the title bar shows the saved name.
:func:`make_mistake` gives the same plan with one value typed wrong, for tests
that need a DONE whose saved file is wrong.

Serve the plans (with the web suite's) for ``guiagent eval office --model-url ...``::

    python -m guiagent.testing.policy_server --port 8765 [--wrong-rate 0.2]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from PIL import Image


# -- plan steps ------------------------------------------------------------------------
@dataclass(frozen=True)
class Type:
    """Paste text into the focused cell or document."""

    text: str


@dataclass(frozen=True)
class Press:
    """Press keys, once every phrase of ``when`` can be read on screen."""

    keys: str
    when: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClickText:
    """Click the phrase ``text`` where OCR reads it (the topmost reading not in ``exclude``)."""

    text: str
    note: str
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finish:
    """End the episode once ``title`` is in the title bar and ``gone`` is no longer on screen.

    A person says "done" when the saved document's name is in the title bar, or
    the "Keep current format" dialog has closed, not the moment they pressed Enter.
    """

    call: str = "DONE()"
    title: str | None = None
    gone: tuple[str, ...] = ()


Step = Type | Press | ClickText | Finish


@dataclass
class Plan:
    """The steps for one task, found from its instruction."""

    name: str
    steps: list[Step]


# -- reading the screen -------------------------------------------------------------------
def find_phrase(image: Image.Image, text: str, exclude: Iterable[str] = ()
                ) -> tuple[float, float, float, float] | None:
    """Box of the topmost OCR reading of ``text`` whose line holds none of ``exclude``."""
    from ..skills.ocr import PASSES, match_text, normalise, read_lines

    banned = [normalise(x) for x in exclude]
    for binarise, scale, psm in PASSES:
        lines = read_lines(image, binarise=binarise, scale=scale, psm=psm)
        hits = [m for m in match_text(lines, text, threshold=0.85)
                if not any(b in normalise(m.line.text) for b in banned)]
        if hits:
            return min(hits, key=lambda m: m.box[1]).box
    return None


#: Openbox's title bar on a 720-pixel-high screen; white text on a blue gradient.
TITLE_BAR_HEIGHT = 18
_TITLE_THRESHOLDS = (220, 200)


def title_bar_readings(image: Image.Image) -> list[str]:
    """The window title as OCR reads it: the bright text alone, enlarged, dark on light.

    The general passes lose white text on the gradient of the title bar, which is
    where a person looks to see that a document was saved under its new name.
    """
    from ..skills.ocr import _tesseract

    pytesseract = _tesseract()
    height = max(8, round(TITLE_BAR_HEIGHT * image.height / 720))
    strip = image.convert("L").crop((0, 0, image.width, height))
    readings = []
    for threshold in _TITLE_THRESHOLDS:
        bw = strip.point(lambda v, t=threshold: 0 if v > t else 255)
        bw = bw.resize((bw.width * 3, bw.height * 3), Image.Resampling.LANCZOS)
        readings.append(pytesseract.image_to_string(bw, config="--psm 7").strip())
    return readings


def title_shows(image: Image.Image, text: str, threshold: float = 0.8) -> bool:
    """True when the title bar reads ``text`` (fuzzily: OCR mixes up l, I and 1)."""
    from difflib import SequenceMatcher

    want = text.casefold()
    for reading in title_bar_readings(image):
        got = reading.casefold()
        for start in range(max(1, len(got) - len(want) + 1)):
            window = got[start:start + len(want)]
            if SequenceMatcher(None, window, want).ratio() >= threshold:
                return True
    return False


def on_screen(image: Image.Image, words: tuple[str, ...]) -> bool:
    """True when every phrase of ``words`` is read somewhere on screen."""
    return all(find_phrase(image, w) is not None for w in words)


# -- building plans from instructions ----------------------------------------------------
_SAVE_TYPES = {".xlsx": "Excel 2007-365", ".docx": "Word 2007-365"}


def save_as(filename: str) -> list[Step]:
    """Save As by keyboard into the dialog's folder; pick the file type for non-ODF files.

    The dialog's name field is not selected when it opens (hence ctrl+a). For
    .xlsx/.docx the type list is opened with alt+down and the type clicked where
    OCR reads it; Enter then saves and Enter again keeps the format in the
    "Keep current format" dialog, whose default button is the foreign format.
    """
    stem, dot, suffix = filename.rpartition(".")
    suffix = f"{dot}{suffix}".lower()
    steps: list[Step] = [Press("ctrl+shift+s"), Press("ctrl+a", when=("File name",))]
    if suffix not in _SAVE_TYPES:
        return steps + [Type(filename), Press("enter"), Finish(title=filename)]
    return steps + [
        Type(stem), Press("tab"), Press("alt+down"),
        ClickText(_SAVE_TYPES[suffix], note=f"{_SAVE_TYPES[suffix]} in the file type list",
                  exclude=("template", "macro")),
        Press("enter", when=("File name",)),
        Press("enter", when=("Use", "ODF")),
        Finish(title=filename, gone=("Use", "ODF")),
    ]


def keep_format_save(suffix: str) -> list[Step]:
    """Ctrl+S on a foreign-format file, then keep its format in the dialog."""
    if suffix in (".odt", ".ods"):
        return [Press("ctrl+s"), Finish()]
    return [Press("ctrl+s"), Press("enter", when=("Use", "ODF")), Finish(gone=("Use", "ODF"))]


def _cells(rows: list[list[str]]) -> list[Step]:
    """Type a table from the current cell: Tab between cells, Enter at a row's end."""
    steps: list[Step] = []
    for row in rows:
        for i, cell in enumerate(row):
            steps += [Type(cell), Press("enter" if i == len(row) - 1 else "tab")]
    return steps


_FILE = r"(?P<file>[\w.-]+\.(?:xlsx|ods|docx|odt))"
PlanBuilder = Callable[[re.Match[str]], list[Step]]


def _table_plan(m: re.Match[str]) -> list[Step]:
    rows = [[c.strip() for c in line.split("|")] for line in m.group("table").strip().splitlines()
            if "|" in line]
    return _cells(rows) + save_as(m.group("file"))


def _numbers_plan(m: re.Match[str]) -> list[Step]:
    numbers = re.findall(r"-?\d+(?:\.\d+)?", m.group("numbers"))
    first, last = m.group("first").upper(), m.group("target").upper()
    column = re.match(r"[A-Z]+", first)
    assert column is not None
    steps = [s for n in numbers for s in (Type(n), Press("enter"))]
    return steps + [Type(f"=SUM({first}:{column.group(0)}{int(last[len(column.group(0)):]) - 1})"),
                    Press("enter")] + save_as(m.group("file"))


def _edit_cell_plan(m: re.Match[str]) -> list[Step]:
    label, value = m.group("label"), m.group("value")
    total_label, total_cell = m.group("total_label"), m.group("total_cell").upper()
    row = int(total_cell[1:])
    return [
        ClickText(label, note=f"the {label} cell"), Press("right"), Type(value), Press("enter"),
        Press("ctrl+home"), *[Press("down")] * (row - 1), Type(total_label), Press("tab"),
        Type(f"=SUM(B2:B{row - 1})"), Press("enter"),
        *keep_format_save(".xlsx"),
    ]


def _paragraphs_plan(m: re.Match[str]) -> list[Step]:
    texts = re.findall(r'"([^"]+)"', m.group("quoted"))
    steps: list[Step] = []
    for i, text in enumerate(texts):
        steps += [Type(text)] + ([Press("enter")] if i < len(texts) - 1 else [])
    return steps + save_as(m.group("file"))


def _append_paragraph_plan(m: re.Match[str]) -> list[Step]:
    suffix = "." + m.group("file").rsplit(".", 1)[1].lower()
    return [Press("ctrl+end"), Press("enter"), Type(m.group("text")), *keep_format_save(suffix)]


#: (name, instruction pattern, builder): the first pattern found in the task text wins.
PLANS: list[tuple[str, re.Pattern[str], PlanBuilder]] = [
    ("calc-table", re.compile(r"enter this table.*?:\s*\n(?P<table>(?:[^\n]*\|[^\n]*\n)+)"
                              r".*?save it.*?as " + _FILE, re.I | re.S), _table_plan),
    ("calc-sum", re.compile(r"enter the numbers (?P<numbers>[\d.,\s-]+(?:and\s+[\d.-]+)?) into "
                            r"cells (?P<first>[A-Z]+\d+)\b.*?formula into (?P<target>[A-Z]+\d+)"
                            r".*?as " + _FILE, re.I | re.S), _numbers_plan),
    ("calc-edit", re.compile(r"change the cost of (?P<label>\w+) to (?P<value>[\d.]+), write "
                             r"(?P<total_label>\w+) into cell A\d+ and .*? into "
                             r"(?P<total_cell>B\d+)", re.I | re.S), _edit_cell_plan),
    ("writer-paragraphs", re.compile(r"write (?:the paragraph|\w+ paragraphs)(?P<quoted>.*?)"
                                     r"save it.*?as " + _FILE, re.I | re.S), _paragraphs_plan),
    ("writer-append", re.compile(r'^' + _FILE + r' is open in Writer\. Add the sentence '
                                 r'"(?P<text>[^"]+)"', re.I | re.S), _append_paragraph_plan),
]


def plan_for(task: str) -> Plan | None:
    """The plan for a task text, or None when no plan knows it."""
    for name, pattern, build in PLANS:
        match = pattern.search(task)
        if match:
            return Plan(name, build(match))
    return None


def make_mistake(steps: list[Step]) -> list[Step]:
    """The same plan with one value typed wrong: the first number plus one, else a typo."""
    out = list(steps)
    for i, step in enumerate(out):
        if isinstance(step, Type) and re.fullmatch(r"-?\d+", step.text):
            out[i] = replace(step, text=str(int(step.text) + 1))
            return out
    for i, step in enumerate(out):
        if isinstance(step, Type) and len(step.text) > 3 and not step.text.startswith("="):
            out[i] = replace(step, text=step.text[:-2] + step.text[-1] + step.text[-2])
            return out
    return out
