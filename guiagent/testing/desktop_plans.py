"""A stand-in GLM-4.1V for LibreOffice tasks that looks at the screenshot it receives.

Desktop evaluation tests need a model that really operates Calc and Writer:
a constant script would pass whatever the screen showed. This policy reads
the task text for what to do (the table, the numbers, the paragraphs, the file
name), and reads each screenshot by OCR (tesseract, through
:mod:`guiagent.skills.ocr`) for where to click and whether a dialog has opened
yet; while the dialog it needs is not on screen it answers ``WAIT()`` as the
model would, and ``FAIL()`` after too many waits. Its place in the plan
travels in the model's own ``Memory`` list, which the agent sends back every
step, so one server serves many parallel episodes without session state.

``wrong`` makes it a fallible model on purpose: a wrong episode types one
value off (a number plus one, a word with a typo) and still reports DONE, so
suites see failures that only the checks of the saved file can catch.

Serve it for ``guiagent eval office --model-url ...``::

    python -m guiagent.testing.desktop_plans --port 8765 [--wrong-rate 0.2]
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from PIL import Image

from .model_server import ModelRequest, glm_answer

#: How many WAIT() answers a plan may give in a row before it answers FAIL().
MAX_WAITS = 12


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


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


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


# -- the policy ------------------------------------------------------------------------------
def _memory(req: ModelRequest) -> dict:
    """The plan state this policy left in the model memory the agent sent back."""
    tail = req.text.rsplit("\nMemory:\n", 1)
    if len(tail) < 2:
        return {}
    try:
        memory = json.loads(tail[1].split("\n", 1)[0])
    except json.JSONDecodeError:
        return {}
    if isinstance(memory, list) and memory and isinstance(memory[0], dict):
        return memory[0]
    return {}


@dataclass
class DesktopPolicy:
    """Responder for :class:`~guiagent.testing.GlmModelServer` that operates LibreOffice.

    ``wrong_rate`` (0..1) picks the episodes it gets wrong by a hash of the task
    text, so reruns agree; ``wrong_tasks`` names plans it always gets wrong.
    """

    wrong_rate: float = 0.0
    wrong_tasks: frozenset[str] = frozenset()
    max_waits: int = MAX_WAITS
    served: list[str] = field(default_factory=list)

    def is_wrong(self, plan: Plan, task: str) -> bool:
        """Whether this task's episodes are the ones to get wrong."""
        if plan.name in self.wrong_tasks:
            return True
        digest = int(hashlib.sha256(task.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        return digest < self.wrong_rate

    def __call__(self, req: ModelRequest) -> str:
        """The next answer for this request's task, screen and remembered plan position."""
        task = req.task
        plan = plan_for(task)
        if plan is None:
            return glm_answer("FAIL()", explanation="I do not know how to do this task.")
        wrong = self.is_wrong(plan, task)
        steps = make_mistake(plan.steps) if wrong else plan.steps
        state = _memory(req)
        position, waits = int(state.get("step", 0)), int(state.get("waits", 0))

        def answer(call: str, why: str, advance: bool) -> str:
            memory = [{"plan": plan.name, "step": position + (1 if advance else 0),
                       "waits": 0 if advance else waits + 1}]
            self.served.append(call)
            return glm_answer(call, explanation=why, memory=memory)

        if position >= len(steps):
            return answer("DONE()", "The file is saved; the task is complete.", False)
        step = steps[position]
        image = req.images[0]
        if isinstance(step, Finish) and step.gone and on_screen(image, step.gone):
            if waits >= self.max_waits:
                return answer("FAIL()", f"{' '.join(step.gone)} does not go away.", False)
            return answer("WAIT()", f"I wait for {' '.join(step.gone)} to close.", False)
        if isinstance(step, Finish) and step.title and not title_shows(image, step.title):
            if waits >= self.max_waits:
                return answer("FAIL()", f"the title bar never showed {step.title}.", False)
            return answer("WAIT()", f"I wait for the title bar to show {step.title}.", False)
        if isinstance(step, Press) and step.when and not on_screen(image, step.when):
            if waits >= self.max_waits:
                return answer("FAIL()", f"{' '.join(step.when)} never appeared.", False)
            return answer("WAIT()", f"I wait for {' '.join(step.when)} to appear.", False)
        if isinstance(step, ClickText):
            box = find_phrase(image, step.text, step.exclude)
            if box is None:
                if waits >= self.max_waits:
                    return answer("FAIL()", f"I cannot find {step.note}.", False)
                return answer("WAIT()", f"I look for {step.note}.", False)
            x = round((box[0] + box[2]) / 2 / image.width * 1000)
            y = round((box[1] + box[3]) / 2 / image.height * 1000)
            return answer(f"left_click(start_box='[{x},{y}]', element_info={_quote(step.note)})",
                          f"I click {step.note}.", True)
        if isinstance(step, Type):
            return answer(f"type(content={_quote(step.text)})", "I type the value.", True)
        if isinstance(step, Press):
            return answer(f"key(keys={_quote(step.keys)})", f"I press {step.keys}.", True)
        return answer(step.call, "The task is complete.", True)


def main(argv: list[str] | None = None) -> None:
    """Serve the policy on 127.0.0.1 until Ctrl-C."""
    import argparse
    import threading

    from .model_server import GlmModelServer

    parser = argparse.ArgumentParser(description="Stand-in GLM-4.1V for LibreOffice tasks.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--wrong-rate", type=float, default=0.0)
    parser.add_argument("--wrong-task", action="append", default=[],
                        help="a plan name to always get wrong (calc-table, calc-sum, ...)")
    args = parser.parse_args(argv)
    policy = DesktopPolicy(wrong_rate=args.wrong_rate, wrong_tasks=frozenset(args.wrong_task))
    with GlmModelServer(policy, port=args.port) as server:
        print(f"{server.base_url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
