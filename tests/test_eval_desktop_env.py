"""The desktop episode environment: own display, files in the work folder, apps up, nothing left."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from guiagent.errors import ConfigError, EnvironmentStartError
from guiagent.eval.desktop_env import AppLaunch, DesktopEnv, place_files
from guiagent.sandboxes.desktop import display_processes, find_windows

pytestmark = pytest.mark.desktop
SUITES = Path(__file__).resolve().parent.parent / "guiagent" / "eval" / "suites"


def episode(tmp_path, apps, files=(), size="1280x720"):
    spec = SimpleNamespace(apps=list(apps), files=list(files), size=size, wait_for=None)
    task = SimpleNamespace(id="t", desktop=spec, instruction="do it")
    return SimpleNamespace(task=task, work_dir=tmp_path / "work", run_dir=tmp_path / "run",
                           display=None, env=None, downloads_dir=None)


def leftovers(display: str) -> list:
    """Processes of that display other than this test process (pyautogui sets our DISPLAY)."""
    deadline = time.monotonic() + 5
    while (left := [p for p in display_processes(display) if p[0] != os.getpid()]) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_app_entries():
    assert AppLaunch.parse("calc") == AppLaunch(office="calc")
    assert AppLaunch.parse("writer 'my letter.docx'") == AppLaunch(office="writer",
                                                                     document="my letter.docx")
    assert AppLaunch.parse(["xterm", "-e", "top"]) == AppLaunch(command=("xterm", "-e", "top"))
    assert AppLaunch.parse("xterm -fa Mono") == AppLaunch(command=("xterm", "-fa", "Mono"))
    with pytest.raises(ConfigError, match="one document at most"):
        AppLaunch.parse("calc a.xlsx b.xlsx")
    with pytest.raises(ConfigError, match="empty entry"):
        AppLaunch.parse("  ")


def test_files_cannot_leave_the_suite_or_the_work_folder(tmp_path):
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "a.txt").write_text("A")
    (tmp_path / "secret.txt").write_text("S")
    work = tmp_path / "work"
    work.mkdir()
    assert place_files([{"from": "a.txt", "to": "sub/b.txt"}], tmp_path / "suite", work) == [
        (work / "sub" / "b.txt").resolve()]
    assert (work / "sub" / "b.txt").read_text() == "A"
    with pytest.raises(ConfigError, match="leads outside"):
        place_files([{"from": "../secret.txt"}], tmp_path / "suite", work)
    with pytest.raises(ConfigError, match="leads outside"):
        place_files([{"from": "a.txt", "to": "../../x.txt"}], tmp_path / "suite", work)
    with pytest.raises(ConfigError, match="does not exist"):
        place_files([{"from": "missing.xlsx"}], tmp_path / "suite", work)


def test_episode_gets_its_own_display_files_and_app_and_leaves_nothing(tmp_path):
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "data.txt").write_text("hello")
    log = tmp_path / "probe.jsonl"
    ctx = episode(tmp_path, [[sys.executable, "-m", "guiagent.sandboxes.desktop.probe_app",
                              "--log", str(log)]], files=[{"from": "data.txt"}], size="800x600")
    first, second = DesktopEnv(source_dir=tmp_path / "suite"), DesktopEnv()
    driver = first.start(ctx)
    try:
        first.begin(ctx)
        assert (tmp_path / "work" / "data.txt").read_text() == "hello"
        assert log.exists()  # the app is up (its window mapped) before the agent starts
        assert driver.observe().image.size == (800, 600)
        other = second.start(episode(tmp_path / "2", [], size="640x480"))
        assert second.begin(episode(tmp_path / "2", [])) is None  # no apps: nothing to wait for
        assert other.display != driver.display  # parallel episodes never share a display
        assert find_windows(first.sandbox.env, class_="guiagent-probe")
        displays = (driver.display, other.display)
    finally:
        first.close()
        second.close()
        first.close()  # idempotent
    for display in displays:
        assert leftovers(display) == []


def test_a_display_that_does_not_start_is_an_infrastructure_error(tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "Xvfb").write_text("#!/bin/sh\necho 'Fatal server error: no screens' >&2\nexit 1\n")
    (fake / "Xvfb").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    with pytest.raises(EnvironmentStartError, match="X display did not start"):
        DesktopEnv().start(episode(tmp_path, []))


def test_an_app_that_never_shows_a_window_is_an_infrastructure_error(tmp_path):
    env = DesktopEnv(app_timeout=1.0)
    ctx = episode(tmp_path, [["sleep", "30"]])
    env.start(ctx)
    try:
        with pytest.raises(EnvironmentStartError, match="apps did not start"):
            env.begin(ctx)
    finally:
        env.close()
    assert env.sandbox is None


def test_a_document_not_in_the_work_folder_is_a_task_error(tmp_path):
    env, ctx = DesktopEnv(), episode(tmp_path, ["calc nothing.xlsx"])
    env.start(ctx)
    try:
        with pytest.raises(ConfigError, match="not in the work folder"):
            env.begin(ctx)
    finally:
        env.close()


@pytest.mark.office
def test_calc_opens_the_placed_workbook_and_teardown_ends_libreoffice(tmp_path):
    ctx = episode(tmp_path, ["calc budget.xlsx"], files=[{"from": "office-files/budget.xlsx"}])
    env = DesktopEnv(source_dir=SUITES)
    env.start(ctx)
    try:
        env.begin(ctx)
        sandbox_env = env.sandbox.env
        assert find_windows(sandbox_env, name="budget.xlsx")
        display = ctx.display
        soffice = [p for p in display_processes(display) if "soffice" in " ".join(p[1])]
        assert soffice, "LibreOffice runs on the episode's display"
        environ = Path(f"/proc/{soffice[0][0]}/environ").read_bytes().split(b"\0")
        assert f"HOME={tmp_path / 'work'}".encode() in environ  # Save As opens in the work folder
    finally:
        env.close()
    assert leftovers(display) == []


@pytest.mark.parametrize("desktop, message", [
    ('{apps: ["calc a.xlsx b.xlsx"]}', "give one document at most"),
    ("{apps: [[]]}", "a command is a non-empty list"),
    ("{size: 12x}", "bad screen size '12x'"),
])
def test_bad_desktop_sections_are_refused_when_the_file_loads(desktop, message):
    from guiagent.errors import TaskFileError
    from guiagent.eval.tasks import parse_tasks

    with pytest.raises(TaskFileError, match=message) as info:
        parse_tasks(f"- id: t\n  instruction: x\n  desktop: {desktop}\n  evaluate:\n    - file: a.txt\n",
                    "suite.yaml")
    assert "suite.yaml:3" in str(info.value)
