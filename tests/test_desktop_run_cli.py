"""`guiagent run --desktop` with no --display runs in a fresh sandbox desktop and cleans it up."""

import json
import os
import subprocess
import sys
import time

import pytest

from guiagent.sandboxes.desktop.probe import ProbeLog
from guiagent.sandboxes.desktop.procs import display_processes
from guiagent.testing import GlmModelServer, glm_answer

pytestmark = pytest.mark.desktop
TEXT = "Grüße aus guiagent — 日本"


@pytest.mark.parametrize("backend", ["pyautogui", "xdotool"])
def test_cli_desktop_run_in_sandbox(tmp_path, backend):
    log = tmp_path / "probe.jsonl"
    probe = ProbeLog(log)

    def respond(request):
        if request.step == 1:  # wait for the app's window, as the model would with WAIT()
            deadline = time.time() + 30
            while probe.ready() is None and time.time() < deadline:
                time.sleep(0.1)
            left, top, width, height = probe.ready()["text_box"]
            w, h = request.images[0].size
            x, y = round((left + width / 2) / w * 1000), round((top + height / 2) / h * 1000)
            return glm_answer(f"left_click(start_box='[{x},{y}]', element_info='text box')")
        if request.step == 2:
            return glm_answer(f"type(content='{TEXT}')")
        return glm_answer("DONE()")

    out = tmp_path / "run"
    app = f"{sys.executable} -m guiagent.sandboxes.desktop.probe_app --log {log}"
    with GlmModelServer(respond) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Write the greeting", "--desktop",
             "--app", app, "--viewport", "1024x768", "--model-url", server.base_url,
             "--input", backend, "--out", str(out)],
            capture_output=True, text=True, timeout=400)
    ended = time.time()
    assert proc.returncode == 0, proc.stderr
    assert probe.text() == TEXT
    run = json.loads((out / "run.json").read_text())
    assert run["driver"]["name"] == "desktop" and run["outcome"] == "done"
    assert run["driver"]["backend"] == backend
    step = json.loads((out / "steps.jsonl").read_text().splitlines()[0])
    assert step["frame"]["screenshot"] == {"width": 1024, "height": 768}
    # Only what was started before the CLI ended: on a busy machine another session's
    # sandbox may take the freed display number at once.
    assert [p for p in display_processes(run["driver"]["display"])
            if started_at(p[0]) < ended] == []


def started_at(pid: int) -> float:
    """A process's start time (epoch seconds), from /proc (infinity once it is gone)."""
    try:
        ticks = int(open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[19])
    except OSError:
        return float("inf")
    boot = next(float(line.split()[1]) for line in open("/proc/stat") if line.startswith("btime"))
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def test_cli_unknown_input_backend_is_a_usage_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "guiagent.cli.main", "run", "x", "--desktop", "--display", ":1",
         "--input", "robot", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "unknown desktop backend 'robot'" in proc.stderr
