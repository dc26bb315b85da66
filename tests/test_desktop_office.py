"""End to end on LibreOffice: a GLM-format model server drives Calc and Writer.

The real Agent, the real OpenAI client and the real DesktopDriver run against
a real LibreOffice on Xvfb. The fake model is scripted, but it looks: steps
that point at something find it by OCR (tesseract) on the very screenshot the
server received, and turn the pixel into the model's 0-1000 space, so
capture, encoding, grounding and coordinate mapping are all exercised. Before
keys that need a dialog, it checks the dialog is on screen and answers
``WAIT()`` otherwise, as the model would.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.drivers.desktop import DesktopDriver
from guiagent.runlog import read_run
from guiagent.sandboxes.desktop import DesktopSandbox
from guiagent.sandboxes.desktop.office import start_office
from guiagent.testing import GlmModelServer, ModelRequest, glm_answer

pytestmark = [pytest.mark.desktop, pytest.mark.office]
pytesseract = pytest.importorskip("pytesseract")
openpyxl = pytest.importorskip("openpyxl")
if shutil.which("tesseract") is None:
    pytest.skip("tesseract is not installed", allow_module_level=True)
os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # 0.4 s instead of ~1 s per image here

OCR_SCALE = 2
OCR_THRESHOLD = 160


# -- OCR grounding -------------------------------------------------------------
Box = tuple[int, int, int, int]  # left, top, right, bottom in screenshot pixels


@dataclass
class Line:
    words: list[tuple[str, Box]]

    def box_of(self, wanted: list[str]) -> Box:
        """Bounding box of just the wanted words (a line may run on into a neighbour)."""
        boxes = [b for w, b in self.words if _norm(w) in wanted] or [b for _, b in self.words]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))


def _norm(word: str) -> str:
    return word.lower().strip(".:,;()")


def ocr_lines(image: Image.Image) -> list[Line]:
    """Text lines with word boxes; the image is enlarged because UI fonts are small."""
    big = ImageOps.grayscale(image).resize(
        (image.width * OCR_SCALE, image.height * OCR_SCALE), Image.Resampling.LANCZOS)
    # Black on white: JPEG noise and the light greys of dialogs hide words otherwise.
    # (Light text on a selection's dark blue is lost; steps avoid relying on it.)
    big = big.point(lambda v: 255 if v > OCR_THRESHOLD else 0)
    data = pytesseract.image_to_data(big, config="--psm 11",
                                     output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], Line] = {}
    for i, word in enumerate(data["text"]):
        if not word.strip():
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        left, top = data["left"][i] // OCR_SCALE, data["top"][i] // OCR_SCALE
        box = (left, top, left + data["width"][i] // OCR_SCALE,
               top + data["height"][i] // OCR_SCALE)
        lines.setdefault(key, Line([])).words.append((word, box))
    return list(lines.values())


def find_words(image: Image.Image, *words: str, exclude: tuple[str, ...] = ()) -> Box | None:
    """Box of the topmost line holding every word (case-insensitive) and none of ``exclude``."""
    wanted = [_norm(w) for w in words]
    hits = []
    for line in ocr_lines(image):
        text = [_norm(w) for w, _ in line.words]
        if all(w in text for w in wanted) and not any(
                x.lower() in " ".join(text) for x in exclude):
            hits.append(line.box_of(wanted))
    return min(hits, key=lambda b: b[1]) if hits else None


def model_point(req: ModelRequest, box: Box) -> str:
    """``[x,y]`` of a box's centre in thousandths of the screenshot the server received."""
    width, height = req.images[0].size
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return f"[{round(x / width * 1000)},{round(y / height * 1000)}]"


# -- a scripted model that looks ----------------------------------------------------
@dataclass
class Step:
    """One planned answer: a fixed call, or a call computed from the screenshot.

    ``when`` must find its words on screen first (else the model answers WAIT()).
    """

    call: str | Callable[[ModelRequest], str | None]
    when: tuple[str, ...] = ()
    note: str = ""


class LookingModel:
    """Responder for GlmModelServer walking through a plan, waiting when it must."""

    def __init__(self, plan: list[Step], max_waits: int = 12) -> None:
        self.plan, self.position, self.waits, self.max_waits = plan, 0, 0, max_waits
        self.grounded: list[tuple[str, str]] = []

    def __call__(self, req: ModelRequest) -> str:
        if self.position >= len(self.plan):
            return glm_answer("DONE()", explanation="The task is complete.")
        step = self.plan[self.position]
        screen = req.images[0]
        if step.when and find_words(screen, *step.when) is None:
            return self._wait(f"I do not see {' '.join(step.when)} yet.")
        call = step.call(req) if callable(step.call) else step.call
        if call is None:
            return self._wait(f"I cannot find the target of: {step.note}")
        self.position += 1
        if callable(step.call):
            self.grounded.append((step.note, call))
        return glm_answer(call, explanation=step.note)

    def _wait(self, why: str) -> str:
        self.waits += 1
        if self.waits > self.max_waits:
            return glm_answer("FAIL()", explanation=why)
        return glm_answer("WAIT()", explanation=why)


def click_on(*words: str, note: str, exclude: tuple[str, ...] = ()) -> Step:
    def call(req: ModelRequest) -> str | None:
        box = find_words(req.images[0], *words, exclude=exclude)
        if box is None:
            return None
        return f"left_click(start_box='{model_point(req, box)}', element_info='{note}')"

    return Step(call, note=note)


def key(keys: str, when: tuple[str, ...] = ()) -> Step:
    return Step(f"key(keys='{keys}')", when=when)


def type_(text: str) -> Step:
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return Step(f"type(content='{escaped}')")


def run_agent(sandbox: DesktopSandbox, plan: list[Step], task: str, run_dir: Path):
    model = LookingModel(plan)
    driver = DesktopDriver(display=sandbox.display)
    driver.wait_seconds = 1.0
    config = AgentConfig(run_dir=run_dir, max_steps=len(plan) + 20, stuck_warn_after=None,
                         stuck_stop_after=None, handle_signals=False)
    with GlmModelServer(model) as server, driver:
        client = OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0))
        result = Agent(driver, client, config=config).run(task)
    return result, model, server


def wait_for_file(path: Path, timeout: float = 20.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            time.sleep(0.5)  # let the writer finish
            return True
        time.sleep(0.2)
    return False


# -- Calc ----------------------------------------------------------------------------
def calc_plan(target: Path) -> list[Step]:
    cells = [("Fruit", "tab"), ("Count", "enter"), ("Äpfel", "tab"), ("3", "enter"),
             ("Birnen", "tab"), ("4", "enter"), ("Total", "enter")]
    plan: list[Step] = []
    for text, move in cells:
        plan += [type_(text), key(move)]
    plan += [
        click_on("Count", note="the Count header cell B1"),
        key("down"), key("down"), key("down"),
        type_("=SUM(B2:B3)"), key("enter"),
        key("ctrl+shift+s"),
        key("ctrl+a", when=("File", "name")),
        type_(str(target.with_suffix(""))),
        key("tab"),
        key("alt+down"),
        click_on("Excel", "2007-365", exclude=("template", "macro"),
                 note="Excel 2007-365 (.xlsx) in the file type list"),
        key("enter", when=("File", "name")),  # the list closed on the click; Enter saves
        # "Confirm File Format": the focused default button keeps Excel 2007-365.
        key("enter", when=("Use", "ODF")),
    ]
    return plan


def test_agent_fills_and_saves_a_calc_sheet_as_xlsx(tmp_path):
    target = tmp_path / "fruit.xlsx"
    with DesktopSandbox(size="1280x720") as sandbox:
        start_office(sandbox, "calc")
        result, model, server = run_agent(
            sandbox, calc_plan(target),
            f"Enter the fruit table with a total and save it as {target}", tmp_path / "run")
        assert wait_for_file(target), f"no {target}; outcome {result.outcome}: {result.error}"
    assert result.outcome == "done", result.error
    sheet = openpyxl.load_workbook(target).active
    assert [[c.value for c in row] for row in sheet.iter_rows(max_row=3, max_col=2)] == [
        ["Fruit", "Count"], ["Äpfel", 3], ["Birnen", 4]]
    assert sheet["A4"].value == "Total"
    assert str(sheet["B4"].value).upper() == "=SUM(B2:B3)"
    computed = openpyxl.load_workbook(target, data_only=True).active["B4"].value
    assert computed in (7, None)  # LibreOffice stores the cached value

    # Grounded clicks landed where OCR saw the text: B1 is column B, row 1.
    assert [note for note, _ in model.grounded][0] == "the Count header cell B1"
    _, steps = read_run(result.run_dir)
    clicks = [s for s in steps if s.action is not None and s.action.action == "left_click"]
    first = clicks[0].executed[0]
    assert 127 <= first.global_.x <= 215 and 143 <= first.global_.y <= 158
    assert all(im.size == (1280, 720) for im in (r.images[0] for r in server.requests))


# -- Writer --------------------------------------------------------------------------
PARAGRAPH = "Grüße aus Köln: naïve Café-Preise, 5 € pro Tasse, Ærø und 日本語."


def writer_plan(target: Path) -> list[Step]:
    return [
        type_(PARAGRAPH),
        click_on("File", note="the File menu"),
        click_on("Save", "As...", exclude=("remote", "copy", "template"),
                 note="Save As... in the File menu"),
        key("ctrl+a", when=("File", "name")),
        type_(str(target.with_suffix(""))),
        key("enter"),
    ]


def odt_text(path: Path) -> str:
    with zipfile.ZipFile(path) as odt:
        xml = odt.read("content.xml").decode("utf-8")
    body = xml.split("<office:text", 1)[1]
    return re.sub(r"<[^>]+>", "", body)


def test_agent_writes_a_unicode_paragraph_in_writer(tmp_path):
    target = tmp_path / "note.odt"
    with DesktopSandbox(size="1280x720") as sandbox:
        start_office(sandbox, "writer")
        result, model, _ = run_agent(sandbox, writer_plan(target),
                                     f"Write the paragraph and save it as {target}",
                                     tmp_path / "run")
        assert wait_for_file(target), f"no {target}; outcome {result.outcome}: {result.error}"
    assert result.outcome == "done", result.error
    assert PARAGRAPH in odt_text(target)
    assert [note for note, _ in model.grounded] == ["the File menu", "Save As... in the File menu"]
