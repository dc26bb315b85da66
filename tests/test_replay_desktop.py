"""Replaying a desktop run on a fresh Xvfb: the same clicks and text reach the probe window."""

import subprocess
import sys

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.drivers.desktop import DesktopDriver
from guiagent.runlog import read_run
from guiagent.sandboxes.desktop import DesktopSandbox, launch_probe
from guiagent.testing import GlmModelServer, glm_answer

pytestmark = pytest.mark.desktop

TEXT = "hello from the log"


def presses(probe):
    return [(e["x"], e["y"]) for e in probe.events() if e["event"] == "press"]


def test_desktop_run_replays_on_a_fresh_display(tmp_path):
    with DesktopSandbox(size="1280x720") as sandbox:
        probe = launch_probe(sandbox, tmp_path / "rec.jsonl")
        left, top, width, height = probe.ready()["text_box"]
        x, y = round((left + width / 2) / 1.28), round((top + height / 2) / 0.72)
        answers = [glm_answer(f"left_click(start_box='[{x},{y}]', element_info='text box')"),
                   glm_answer(f"type(content='{TEXT}')"), glm_answer("DONE()")]
        with GlmModelServer(answers) as server:
            driver = DesktopDriver(display=sandbox.display, backend="xdotool")
            agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url,
                                                                 retries=0)),
                          config=AgentConfig(run_dir=tmp_path / "run"))
            with driver:
                result = agent.run("Type a greeting into the text box.")
        assert result.outcome == "done", result.error
        probe.wait_for(lambda ev: any(e.get("text") == TEXT for e in ev))
        recorded_presses = presses(probe)
        assert probe.text() == TEXT

    with DesktopSandbox(size="1280x720") as sandbox:
        probe = launch_probe(sandbox, tmp_path / "replay.jsonl")
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "replay", str(tmp_path / "run"),
             "--desktop", "--display", sandbox.display, "--out", str(tmp_path / "replay")],
            capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        probe.wait_for(lambda ev: any(e.get("text") == TEXT for e in ev))
        assert probe.text() == TEXT
        assert presses(probe) == recorded_presses
    record, steps = read_run(tmp_path / "replay")
    assert record.kind == "replay" and record.outcome == "done"
    assert record.driver["name"] == "desktop" and record.driver["display"] == sandbox.display
    assert len(steps) == 3


def test_a_step_no_application_took_replays_as_such_and_the_replay_goes_on(tmp_path):
    """The recording's key met an empty desktop (not taken) and the run went on; so does the replay."""
    answers = [glm_answer("key(keys='ctrl+s')"), glm_answer("DONE()")]
    with DesktopSandbox(size="640x480") as sandbox, GlmModelServer(answers) as server:
        driver = DesktopDriver(display=sandbox.display, input_timeout=0.2)
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run", handle_signals=False))
        with driver:
            assert agent.run("Save").outcome == "done"
    assert read_run(tmp_path / "run")[1][0].result == "not taken"
    with DesktopSandbox(size="640x480") as sandbox:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "replay", str(tmp_path / "run"),
             "--desktop", "--display", sandbox.display, "--out", str(tmp_path / "replay")],
            capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    record, steps = read_run(tmp_path / "replay")
    assert record.outcome == "done" and [s.result for s in steps][:1] == ["not taken"]
    assert record.extra["replay"]["mismatches"] == []
