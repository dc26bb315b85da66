"""Interrupts and crashes: Ctrl-C/SIGTERM finish the action then stop; SIGKILL leaves a valid log."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from guiagent import Agent, AgentConfig, AgentHooks, ModelSettings, OpenAIChatClient
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.runlog import read_run
from guiagent.testing import ClickOn, Finish, GlmModelServer, TypeText, glm_answer, plan_answers

CLICK = glm_answer("left_click(start_box='[500,500]', element_info='OK')")


class Gate:
    """A responder that holds request number ``hold`` until released."""

    def __init__(self, answers, hold):
        self.answers, self.hold = answers, hold
        self.arrived, self.released = threading.Event(), threading.Event()

    def __call__(self, req):
        if req.index == self.hold:
            self.arrived.set()
            self.released.wait(120)
        return self.answers[min(req.index, len(self.answers) - 1)]


def test_request_stop_ends_the_run_after_the_current_action(tmp_path):
    class StopInStepTwo(AgentHooks):
        def on_step_start(self, index, observation):
            if index == 2:
                agent.request_stop("test asked to stop")

    driver = ScriptedDriver("640x360")
    with GlmModelServer([CLICK]) as server:
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run"), hooks=[StopInStepTwo()])
        result = agent.run("Press OK forever.")
    record, steps = read_run(result.run_dir)
    assert result.outcome == record.outcome == "interrupted"
    assert record.error.message == "test asked to stop: stopped after step 2"
    assert len(steps) == 2 and len(driver.actions) == 2 and len(server.requests) == 2


@pytest.fixture(scope="module")
def contact_answers(web_sandbox):
    return plan_answers(web_sandbox.url + "/contact",
                        [ClickOn("#full_name", "Full name"), TypeText("Ada"), Finish()])


@pytest.mark.browser
@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_signal_ends_cli_run_after_the_current_action(sandbox, contact_answers, tmp_path, how):
    out = tmp_path / "run"
    gate = Gate(contact_answers, hold=1)
    with GlmModelServer(gate) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Type the name.",
             "--url", sandbox.url + "/contact", "--model-url", server.base_url, "--out", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            assert gate.arrived.wait(120), "the run never reached step 2"
            if how == "sigterm":
                proc.send_signal(signal.SIGTERM)
            else:  # a terminal's Ctrl-C: SIGINT to the whole process group, browser included
                os.killpg(proc.pid, signal.SIGINT)
        finally:
            gate.released.set()
            _, stderr = proc.communicate(timeout=120)
    name = "SIGTERM" if how == "sigterm" else "SIGINT"
    assert f"{name} received; stopping after the current action" in stderr
    assert proc.returncode == 1, stderr
    record, steps = read_run(out)
    assert record.outcome == "interrupted"
    assert record.error.message == f"{name} received: stopped after step 2"
    assert len(server.requests) == 2 and len(steps) == 2
    assert steps[1].action.action == "type" and steps[1].result == "typed 3 characters"
    assert json.loads((out / "run.json").read_text())["ended_at"] is not None


KILLED_RUN = textwrap.dedent("""
    import sys
    from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
    from guiagent.drivers.scripted import ScriptedDriver
    client = OpenAIChatClient(ModelSettings(base_url=sys.argv[1], retries=0))
    Agent(ScriptedDriver("640x360"), client,
          config=AgentConfig(run_dir=sys.argv[2], max_steps=20)).run("Press OK forever.")
""")


def test_sigkill_leaves_a_readable_log(tmp_path):
    out = tmp_path / "run"
    gate = Gate([CLICK], hold=3)
    with GlmModelServer(gate) as server:
        proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, server.base_url, str(out)])
        try:
            assert gate.arrived.wait(120), "the run never reached step 4"
            proc.kill()
            proc.wait(60)
        finally:
            gate.released.set()
    record, steps = read_run(out)
    assert record.outcome == "running"  # nobody could write the end
    assert [s.index for s in steps] == [1, 2, 3]
    assert all(s.action.action == "left_click" and s.executed for s in steps)
    # A kill in the middle of writing a line leaves a partial last line: still readable.
    lines = (out / "steps.jsonl").read_text().splitlines(keepends=True)
    with open(out / "steps.jsonl", "a") as f:
        f.write(lines[-1][: len(lines[-1]) // 2])
    _, steps = read_run(out)
    assert [s.index for s in steps] == [1, 2, 3]
