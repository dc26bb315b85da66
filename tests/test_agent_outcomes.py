"""How runs end: DONE, FAIL, answer, max steps, max time; hooks see every step."""

import json
import subprocess
import sys

import pytest

from guiagent import Agent, AgentConfig, AgentHooks, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.errors import ActionRefusedError
from guiagent.runlog import read_run
from guiagent.testing import GlmModelServer, glm_answer

pytestmark = pytest.mark.browser
PAGE = "data:text/html,<input id=q autofocus><p>There are 7 apples.</p>"


def run(answers, tmp_path, **config):
    with GlmModelServer(answers) as server, PlaywrightDriver(PAGE, settle_ms=0) as driver:
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run", **config))
        result = agent.run("Count the apples")
        typed = driver.page.input_value("#q")
    return result, typed


def test_answer_ends_the_run(tmp_path):
    result, _ = run([glm_answer("answer(content='7')")], tmp_path)
    assert (result.outcome, result.answer, result.succeeded) == ("answered", "7", True)
    assert read_run(result.run_dir)[0].answer == "7"


def test_fail_ends_the_run(tmp_path):
    result, _ = run([glm_answer("FAIL()")], tmp_path)
    assert result.outcome == "failed" and not result.succeeded


def test_max_steps(tmp_path):
    result, typed = run([glm_answer("type(content='a')")], tmp_path, max_steps=3)
    assert result.outcome == "max_steps"
    assert typed == "aaa"
    assert len(read_run(result.run_dir)[1]) == 3


def test_max_seconds(tmp_path):
    # One more 'a' in a field is below the stuck detector's screen tolerance; this test is
    # about the clock, so the detector is off (else 5 fast steps end the run as "stuck").
    result, typed = run([glm_answer("type(content='a')")], tmp_path, max_seconds=0.5, max_steps=500,
                        stuck_warn_after=None, stuck_stop_after=None)
    assert result.outcome == "max_time"
    assert 1 <= len(typed) < 500


def test_hooks_see_steps_and_can_refuse(tmp_path):
    seen = []

    class Refuser(AgentHooks):
        def before_action(self, step, action, observation):
            if action.action == "type" and action.content == "no":
                raise ActionRefusedError("typing 'no' is not allowed")

        def on_step_end(self, step):
            seen.append((step.index, step.action.action if step.action else None, step.result))

    answers = [glm_answer("type(content='no')"), glm_answer("type(content='yes')"),
               glm_answer("DONE()")]
    with GlmModelServer(answers) as server, PlaywrightDriver(PAGE, settle_ms=0) as driver:
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run"), hooks=[Refuser()])
        result = agent.run("Type yes")
        assert driver.page.input_value("#q") == "yes"
    assert result.outcome == "done"
    assert seen == [(1, "type", "refused"), (2, "type", "typed 3 characters"), (3, "DONE", "")]
    # The refusal is recorded and shown to the model in the next request.
    steps = read_run(result.run_dir)[1]
    assert steps[0].error.type == "ActionRefusedError"
    assert "typing 'no' is not allowed" in server.requests[1].text


def test_cli_exit_status_1_when_not_done(tmp_path):
    with GlmModelServer([glm_answer("FAIL()")]) as server:
        proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "run", "x", "--url", PAGE,
                               "--model-url", server.base_url, "--out", str(tmp_path / "r")],
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert json.loads((tmp_path / "r" / "run.json").read_text())["outcome"] == "failed"


def test_cli_smaller_png_screenshots_keep_clicks_exact(tmp_path):
    page = ("data:text/html,<body style='margin:0;height:100vh'><script>document.onclick = "
            "e => document.title = e.clientX + ',' + e.clientY</script></body>")
    answers = [glm_answer("left_click(start_box='[250,750]')"), glm_answer("DONE()")]
    with GlmModelServer(answers) as server:
        proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "run", "x", "--url", page,
                               "--model-url", server.base_url, "--out", str(tmp_path / "r"),
                               "--image-format", "png", "--max-pixels", str(640 * 360)],
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert server.requests[0].images[0].size == (640, 360)
    assert server.requests[0].image_mimes[0] == "image/png"
    steps = read_run(tmp_path / "r")[1]
    assert steps[0].screenshot.endswith(".png")
    assert steps[0].executed[0].screenshot.rounded() == (160, 270)
    assert steps[1].title == "320,540"  # the page saw the click at the right CSS pixel
