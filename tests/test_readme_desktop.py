"""The README's desktop command lines, run exactly as printed (through bash, in a fresh folder).

Lines are read from README.md's "Command line" block, so editing an example
without keeping it working fails here. The model server is the GLM-format
stand-in (the README points at a model with GUIAGENT_MODEL_URL); display :99
is a sandbox this test starts, as `guiagent sandbox desktop` would on a fresh
machine.
"""

from __future__ import annotations

import csv
import fcntl
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guiagent.errors import ConfigError
from guiagent.runlog import read_run
from guiagent.sandboxes.desktop import DesktopSandbox, display_processes
from guiagent.testing import GlmModelServer, glm_answer

pytestmark = [pytest.mark.desktop, pytest.mark.office]
README = Path(__file__).resolve().parents[1] / "README.md"
BIN = str(Path(sys.executable).parent)  # where the `guiagent` script of this environment is


def command_lines() -> list[str]:
    """Desktop example lines of the Command line block, comments stripped.

    Synopsis lines (optional parts in brackets, alternatives with ``|``) are not
    examples to paste; the command they show is tested in its own file.
    """
    block = README.read_text(encoding="utf-8").split("## Command line", 1)[1]
    block = block.split("```bash", 1)[1].split("```", 1)[0]
    lines = []
    for line in block.splitlines():
        line = re.sub(r"\s+# .*$", "", line).strip()
        if re.search(r" \[--|\] \| ", line):
            continue
        if line.startswith("printf ") or (line.startswith("guiagent ") and "desktop" in line):
            lines.append(line)
    return lines


def line(word: str) -> str:
    (found,) = [x for x in command_lines() if word in x]
    return found


def bash(command: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900):
    full = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **(env or {})}
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=timeout)


def test_the_readme_shows_the_desktop_examples_tested_here():
    assert len(command_lines()) == 5, command_lines()


def test_calc_skill_example_as_printed(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    target = Path("/tmp/fruit.xlsx")
    # The README's path is shared by every checkout on the machine: one run at a time.
    with open("/tmp/guiagent-readme-fruit.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        target.unlink(missing_ok=True)
        made = bash(line("printf"), tmp_path)
        assert made.returncode == 0
        proc = bash(line("calc_table_to_xlsx"), tmp_path)
        found_rows = _sheet_rows(openpyxl, target) if proc.returncode == 0 else None
    assert proc.returncode == 0, proc.stderr[-3000:]
    with (tmp_path / "fruit.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert found_rows == [rows[0]] + [[r[0], int(r[1]), float(r[2])] for r in rows[1:]]
    assert "verify.1" in proc.stderr and "the sheet is as expected" in proc.stderr


def _sheet_rows(openpyxl, path: Path) -> list[list[object]]:
    return [[c.value for c in row] for row in openpyxl.load_workbook(path).active.iter_rows()]


def test_writer_run_example_as_printed(tmp_path):
    """The app is started and ready before the first screenshot: the first paste is read."""

    def respond(request):
        if request.step == 1:
            return glm_answer("type(content='Grüße')")
        return glm_answer("DONE()")

    with GlmModelServer(respond) as server:
        proc = bash(line("--writer"), tmp_path, {"GUIAGENT_MODEL_URL": server.base_url})
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    record, steps = read_run(run_dir)
    assert record.outcome == "done"
    assert steps[0].error is None and "the application read them" in (steps[0].result or "")


def sandbox_on_99(timeout: float = 300.0) -> DesktopSandbox:
    """Display :99 as the README assumes; other tests may hold it for a while."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return DesktopSandbox(display=":99").start()
        except ConfigError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_display_run_example_as_printed(tmp_path):
    sandbox = sandbox_on_99()
    try:
        sandbox.launch(["xterm"])
        sandbox.wait_for_window(class_="xterm", timeout=120)
        with GlmModelServer(lambda request: glm_answer("DONE()")) as server:
            proc = bash(line("--display :99"), tmp_path, {"GUIAGENT_MODEL_URL": server.base_url})
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert server.requests[0].images[0].size == (1280, 720)
    finally:
        sandbox.close()


def test_sandbox_example_as_printed(tmp_path):
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    proc = subprocess.Popen(["bash", "-c", f"exec {line('sandbox desktop')}"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("DISPLAY=:"), proc.stderr.read()
        display = first.partition("=")[2]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(
                argv[0].endswith("xterm") for _, argv in display_processes(display)):
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert display_processes(display) == []
