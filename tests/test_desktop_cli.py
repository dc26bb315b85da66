"""``guiagent sandbox desktop``: prints its display, serves it, tears down on a signal."""

import signal
import subprocess
import sys
import time

import pytest
import typer
from typer.testing import CliRunner

from guiagent.cli.sandbox_desktop import register
from guiagent.sandboxes.desktop import display_processes

pytestmark = pytest.mark.desktop

STANDALONE = [sys.executable, "-m", "guiagent.cli.sandbox_desktop", "desktop"]


def start(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([*STANDALONE, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("DISPLAY=:"), proc.stderr.read()
    return proc, line.partition("=")[2]


def wait_gone(display: str, timeout: float = 5.0) -> list:
    deadline = time.monotonic() + timeout
    while (left := display_processes(display)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def wait_for_xterm(display: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", "xterm"],
                             env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True).stdout
        if out.strip():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_runs_command_until_signal_then_leaves_nothing(sig):
    proc, display = start("--size", "1024x768", "--", "xterm", "-geometry", "40x10")
    try:
        geometry = subprocess.run(["xdotool", "getdisplaygeometry"],
                                  env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
                                  capture_output=True, text=True).stdout.split()
        assert geometry == ["1024", "768"]
        assert wait_for_xterm(display)
        names = {argv[0].rsplit("/", 1)[-1] for _, argv in display_processes(display)}
        assert {"Xvfb", "openbox", "xterm"} <= names
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert wait_gone(display) == []


def test_registers_on_a_sandbox_group_and_rejects_a_bad_size():
    app = typer.Typer()
    sandbox_app = typer.Typer()
    app.add_typer(sandbox_app, name="sandbox")
    register(sandbox_app)
    runner = CliRunner()
    help_text = runner.invoke(app, ["sandbox", "desktop", "--help"]).output
    assert "--size" in help_text and "--display" in help_text
    result = runner.invoke(app, ["sandbox", "desktop", "--size", "huge", "--", "xterm"])
    assert result.exit_code == 1
    assert "bad screen size" in result.output
