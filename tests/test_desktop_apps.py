"""Apps are ready before work starts: launched, window mapped, idle and focused, or a clear error."""

import shlex
import sys
import time

import pytest

from guiagent.drivers.desktop_targets import InputTargets
from guiagent.errors import AppNotReadyError, ConfigError
from guiagent.sandboxes.desktop import (
    AppSpec,
    DesktopSandbox,
    WindowMatch,
    display_processes,
    find_or_start_app,
    start_app,
    wait_for_app_window,
)
from guiagent.sandboxes.desktop.probe import ProbeLog

pytestmark = pytest.mark.desktop


def probe_command(log, delay=0.0):
    probe = f"{shlex.quote(sys.executable)} -m guiagent.sandboxes.desktop.probe_app --log {log}"
    return ["sh", "-c", f"sleep {delay}; exec {probe}"] if delay else shlex.split(probe)


@pytest.fixture(scope="module")
def sandbox():
    with DesktopSandbox(size="800x600") as sandbox:
        yield sandbox


def focused(display):
    targets = InputTargets(display)
    try:
        return targets.focused_client()
    finally:
        targets.close()


def test_a_slow_app_is_waited_for_until_its_window_is_ready(tmp_path):
    """A wrapper sleeps before exec (as a loaded machine would delay the app): no early return."""
    with DesktopSandbox(size="800x600") as sandbox:
        log = tmp_path / "probe.jsonl"
        spec = AppSpec(command=probe_command(log, delay=3), window=WindowMatch(class_="probe"))
        t0 = time.monotonic()
        app = sandbox.start_app(spec)
        assert time.monotonic() - t0 >= 3
        assert app.window.wm_class[-1].lower().endswith("probe")
        assert app.window.title == "guiagent probe"
        assert ProbeLog(log).ready() is not None  # the window had drawn itself
        assert focused(sandbox.display) is not None


def test_an_app_that_exits_fails_at_once_with_its_output(sandbox):
    spec = AppSpec(command=["sh", "-c", "echo no such document >&2; exit 3"],
                   window=WindowMatch(title="never"), timeout=120)
    t0 = time.monotonic()
    with pytest.raises(AppNotReadyError, match="exited with status 3.*no such document"):
        start_app(spec, sandbox=sandbox)
    assert time.monotonic() - t0 < 60


def test_a_window_that_never_shows_is_a_clear_timeout(sandbox):
    spec = AppSpec(command="sleep 30", window=WindowMatch(class_="nothing-like-this"),
                   timeout=1)
    with pytest.raises(AppNotReadyError, match=r"sleep 30 is not ready: waited 1s .*\(class ~ 'nothing-like-this'\)"):
        start_app(spec, sandbox=sandbox)


def test_an_unknown_program_and_a_bad_pattern_are_config_errors(sandbox):
    with pytest.raises(ConfigError, match="no such program"):
        start_app(AppSpec(command="no-such-program-xyz"), sandbox=sandbox)
    with pytest.raises(ValueError, match="bad regular expression"):
        WindowMatch(title="(unclosed")


def test_on_a_display_an_open_window_is_used_and_a_started_app_is_stopped(tmp_path):
    with DesktopSandbox(size="800x600") as sandbox:
        spec = AppSpec(command=probe_command(tmp_path / "a.jsonl"), window=WindowMatch(
            class_="probe"))
        started = start_app(spec, display=sandbox.display)  # as for --display: not the sandbox's
        assert started.process is not None and started.process.poll() is None
        again = find_or_start_app(spec, sandbox.display)
        assert again.process is None and again.window.id == started.window.id
        started.stop()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
                "probe_app" in " ".join(argv) for _, argv in display_processes(sandbox.display)):
            time.sleep(0.1)
        assert not any("probe_app" in " ".join(argv)
                       for _, argv in display_processes(sandbox.display))
        with pytest.raises(AppNotReadyError, match="waited 0.5s"):
            wait_for_app_window(sandbox.display, WindowMatch(class_="probe"), timeout=0.5)
