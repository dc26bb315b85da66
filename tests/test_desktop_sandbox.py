"""DesktopSandbox: a real Xvfb comes up, serves clients, and leaves nothing behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guiagent.errors import ConfigError
from guiagent.sandboxes.desktop import (
    DesktopSandbox,
    display_processes,
    free_displays,
    window_geometry,
)
from guiagent.sandboxes.desktop.xvfb import display_in_use, parse_display

pytestmark = pytest.mark.desktop


def wait_gone(display: str, timeout: float = 5.0) -> list:
    deadline = time.monotonic() + timeout
    while (left := display_processes(display)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def geometry(env) -> str:
    return subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_starts_on_a_free_display_with_the_requested_size():
    with DesktopSandbox(size="1024x768") as sandbox:
        assert sandbox.display.startswith(":")
        assert sandbox.env["DISPLAY"] == sandbox.display
        assert geometry(sandbox.env) == "1024 768"
        assert str(sandbox.size) == "1024x768"
        assert display_in_use(parse_display(sandbox.display))
        wm = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=sandbox.env,
                            capture_output=True, text=True).stdout
        assert "window id" in wm
        display = sandbox.display
    assert wait_gone(display) == []
    assert not display_in_use(parse_display(display))


def test_two_sandboxes_get_different_displays():
    with DesktopSandbox(size="640x480") as one, DesktopSandbox(size="800x600") as two:
        assert one.display != two.display
        assert geometry(one.env) == "640 480"
        assert geometry(two.env) == "800 600"


def test_explicit_display_and_busy_display():
    number = free_displays()[-1]
    with DesktopSandbox(display=f":{number}", window_manager=None) as sandbox:
        assert sandbox.display == f":{number}"
        with pytest.raises(ConfigError, match="in use"):
            DesktopSandbox(display=f":{number}").start()


def test_apps_and_launch_end_with_the_sandbox_even_when_they_escape_their_group():
    escaped = "setsid sleep 600 & sleep 600"
    with DesktopSandbox(apps=[["xterm"]]) as sandbox:
        sandbox.wait_for_window(class_="xterm", timeout=10)
        shell = sandbox.launch(["sh", "-c", escaped])
        probe = sandbox.launch([sys.executable, "-c", "import time; time.sleep(600)"])
        time.sleep(0.3)
        names = {Path(argv[0]).name for _, argv in display_processes(sandbox.display)}
        assert {"Xvfb", "openbox", "xterm", "sleep"} <= names
        display = sandbox.display
    assert shell.poll() is not None and probe.poll() is not None
    assert wait_gone(display) == []


def test_window_geometry_is_the_client_area(tmp_path):
    with DesktopSandbox() as sandbox:
        proc = sandbox.launch(["xterm", "-geometry", "40x10+100+80"])
        window = sandbox.wait_for_window(pid=proc.pid, timeout=10)
        left, top, width, height = window_geometry(sandbox.env, window)
        assert left >= 100 and top >= 80 and width > 100 and height > 50


def test_close_twice_and_launch_after_close():
    sandbox = DesktopSandbox(window_manager=None).start()
    sandbox.close()
    sandbox.close()
    with pytest.raises(Exception, match="not running"):
        sandbox.launch(["xterm"])


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError):
        DesktopSandbox(size="big")
    with pytest.raises(ConfigError):
        DesktopSandbox(display="nope")
    with pytest.raises(ConfigError):
        DesktopSandbox(monitors=["left half"])
    with DesktopSandbox(window_manager=None) as sandbox, pytest.raises(ConfigError):
        sandbox.launch(["no-such-program-xyz"])


def test_sandbox_in_a_killed_owner_is_cleaned_by_sigterm(tmp_path):
    """A script owning a sandbox, stopped by SIGTERM through its context manager."""
    script = tmp_path / "owner.py"
    script.write_text(
        "import signal, sys, time\n"
        "from guiagent.sandboxes.desktop import DesktopSandbox\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
        "with DesktopSandbox(apps=[['xterm']]) as s:\n"
        "    print(s.display, flush=True)\n"
        "    time.sleep(600)\n"
    )
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
    display = owner.stdout.readline().strip()
    assert display.startswith(":")
    owner.send_signal(signal.SIGTERM)
    assert owner.wait(timeout=20) == 0
    owner.stdout.close()
    assert wait_gone(display) == []
