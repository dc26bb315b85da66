"""Bundled desktop skills on a real Xvfb desktop with LibreOffice; checked on the saved files."""

import shutil
import subprocess
import sys

import pytest

from guiagent.runlog import read_run
from guiagent.sandboxes.desktop import DesktopSandbox
from guiagent.skills import find_skill, run_skill

pytestmark = [pytest.mark.desktop, pytest.mark.office]

CSV = """Fruit,Qty,Price
Apple,3,1.5
Apricot,12,0.25
App,7,2
Total,=SUM(B2:B4),
"""


@pytest.fixture
def office(tmp_path):
    """A desktop with a LibreOffice app (``calc`` or ``writer``) open on a new document."""
    sandboxes = []

    def start(app):
        if shutil.which("soffice") is None:
            pytest.skip("LibreOffice is not installed")
        sandbox = DesktopSandbox().start()
        sandboxes.append(sandbox)
        profile = tmp_path / f"profile-{app}"
        sandbox.launch(["soffice", f"-env:UserInstallation=file://{profile}", f"--{app}",
                        "--norestore", "--nologo"])
        sandbox.wait_for_window(class_="libreoffice", timeout=300)
        return sandbox

    yield start
    for sandbox in sandboxes:
        sandbox.close()


def test_calc_table_to_xlsx_saves_the_table(office, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from guiagent.drivers.desktop import DesktopDriver

    sandbox = office("calc")
    (tmp_path / "table.csv").write_text(CSV, encoding="utf-8")
    target = tmp_path / "out" / "fruit.xlsx"
    target.parent.mkdir()
    with DesktopDriver(display=sandbox.display, backend="xdotool") as driver:
        result = run_skill(find_skill("calc_table_to_xlsx"), driver,
                           {"table": str(tmp_path / "table.csv"), "path": str(target)},
                           run_dir=tmp_path / "run")
    assert result.outcome == "done", result.record.error
    sheet = openpyxl.load_workbook(target).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Fruit", "Qty", "Price"], ["Apple", 3, 1.5], ["Apricot", 12, 0.25], ["App", 7, 2],
        ["Total", "=SUM(B2:B4)", None]]
    assert openpyxl.load_workbook(target, data_only=True).active["B5"].value == 22
    # The file type was chosen by reading the dialog with OCR.
    _, steps = read_run(tmp_path / "run")
    grounded = [s.extra["grounding"] for s in steps if "grounding" in s.extra]
    assert [g["grounder"] for g in grounded] == ["ocr", "ocr"]
    assert "xlsx" in grounded[1]["matched"].lower()


def test_write_text_file_from_the_cli(office, tmp_path):
    sandbox = office("writer")
    target = tmp_path / "note.txt"
    text = "Shopping list\nApples and pears\nCafé au lait — 2 cups"
    proc = subprocess.run(
        [sys.executable, "-m", "guiagent.cli.main", "skill", "run", "write_text_file",
         "--desktop", "--display", sandbox.display, "--param", f"text={text}",
         "--param", f"path={target}", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert target.read_text(encoding="utf-8-sig").splitlines() == text.splitlines()
    record, _ = read_run(tmp_path / "run")
    assert record.driver["name"] == "desktop" and record.outcome == "done"
