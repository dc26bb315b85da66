"""Where a skill needs the model: agent steps and model grounding, with and without a server."""

import json
import subprocess
import sys
import textwrap

import pytest
from pages.server import PageServer

from guiagent import ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.errors import ModelRequiredError
from guiagent.runlog import read_run
from guiagent.skills import parse_skill, run_skill
from guiagent.testing import ClickOn, Finish, GlmModelServer, TypeText, plan_answers

pytestmark = pytest.mark.browser

GOAL = ("Fill in the email address ada@example.org and the message Hello, accept the terms "
        "and send the form.")
AGENT_SKILL = textwrap.dedent(f"""
    name: contact_with_agent
    description: Type the name, let the model do the rest.
    parameters:
      name: {{type: string}}
    steps:
      - type: {{into: Full name, text: "{{{{ name }}}}"}}
      - agent: "{GOAL}"
      - wait_for: {{text: Thank you, timeout: 10}}
""")
REST_OF_FORM = [ClickOn("#email", "Email"), TypeText("ada@example.org"),
                ClickOn("#message", "Message"), TypeText("Hello"),
                ClickOn("#terms", "terms"), ClickOn("#send", "Send"), Finish()]


def skill_run(skill_file, url, out, *extra):
    return subprocess.run(
        [sys.executable, "-m", "guiagent.cli.main", "skill", "run", str(skill_file),
         "--url", url, "--param", "name=Grace Hopper", "--out", str(out), *extra],
        capture_output=True, text=True, timeout=240)


def test_agent_step_without_a_model_fails_there_clearly(sandbox, tmp_path):
    skill_file = tmp_path / "contact_with_agent.yaml"
    skill_file.write_text(AGENT_SKILL)
    proc = skill_run(skill_file, sandbox.url + "/contact", tmp_path / "run")
    assert proc.returncode == 2
    assert "step 2 (agent)" in proc.stderr and "needs a model" in proc.stderr
    assert "--model-url" in proc.stderr
    record, steps = read_run(tmp_path / "run")
    assert record.outcome == "error" and record.error.type == "ModelRequiredError"
    # The step before it ran: the name was typed, nothing was sent.
    assert [s.call for s in steps[:2]][1] == "type(content='Grace Hopper')"
    assert sandbox.submissions() == []


def test_agent_step_with_a_model_server_completes_the_skill(sandbox, tmp_path):
    skill_file = tmp_path / "contact_with_agent.yaml"
    skill_file.write_text(AGENT_SKILL)
    answers = plan_answers(sandbox.url + "/contact", REST_OF_FORM)
    with GlmModelServer(answers) as server:
        proc = skill_run(skill_file, sandbox.url + "/contact", tmp_path / "run",
                         "--model-url", server.base_url, "--show-thinking")
    assert proc.returncode == 0, proc.stderr
    thoughts = [line for line in proc.stderr.splitlines() if line.startswith("thinking (step ")]
    assert len(thoughts) == len(answers)  # --show-thinking: each agent step's streamed thought
    data = sandbox.submissions("contact")[0]["data"]
    assert (data["full_name"], data["email"], data["message"], data["terms"]) == (
        "Grace Hopper", "ada@example.org", "Hello", True)
    assert server.requests[0].task == GOAL
    record, steps = read_run(tmp_path / "run")
    assert record.outcome == "done" and record.totals.model_requests == len(answers)
    kinds = [s.extra["kind"] for s in steps]
    assert kinds == ["type", "type"] + ["agent"] * len(answers) + ["wait_for"]
    assert all((tmp_path / "run" / s.screenshot).exists() for s in steps)
    sub = json.loads((tmp_path / "run" / steps[2].extra["agent_run"] / "run.json").read_text())
    assert sub["outcome"] == "done"


ICON_SKILL = textwrap.dedent("""
    name: open_settings
    steps:
      - click: {description: the round gear icon button}
      - wait_for: Settings opened
""")


def test_model_grounding_finds_what_dom_and_ocr_cannot(tmp_path):
    with PageServer() as pages:
        url = pages.url + "/icons.html"
        with PlaywrightDriver(url) as probe:
            box = probe.page.locator("#gear").bounding_box()
        x1, y1 = round(box["x"] / 1.28), round(box["y"] / 0.72)
        x2, y2 = round((box["x"] + box["width"]) / 1.28), round((box["y"] + box["height"]) / 0.72)
        answer = (f"<think>The gear is near the top.</think><answer>"
                  f"<|begin_of_box|>[[{x1},{y1},{x2},{y2}]]<|end_of_box|></answer>")
        with GlmModelServer([answer]) as server, PlaywrightDriver(url) as driver:
            model = OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0))
            result = run_skill(parse_skill(ICON_SKILL), driver, model=model,
                               run_dir=tmp_path / "run")
            assert driver.page.inner_text("#status") == "Settings opened"
    assert result.outcome == "done", result.error
    request = server.requests[0]
    assert "the round gear icon button" in request.text and "[[x1,y1,x2,y2]]" in request.text
    assert [im.size for im in request.images] == [(1280, 720)]
    _, steps = read_run(tmp_path / "run")
    grounding = steps[0].extra["grounding"]
    assert grounding["grounder"] == "model" and grounding["box"]["x1"] == x1
    assert [m["grounder"] for m in steps[0].extra["misses"]] == ["dom", "ocr"]
    assert steps[0].attempts[0].content.startswith("<think>")


def test_model_grounding_without_a_model_says_so(tmp_path):
    with PageServer() as pages, PlaywrightDriver(pages.url + "/icons.html") as driver:
        result = run_skill(parse_skill(ICON_SKILL), driver, run_dir=tmp_path / "run")
        assert driver.page.inner_text("#status") == "Nothing yet"
    assert result.outcome == "failed"
    assert "model: unavailable: no model configured" in result.record.error.message
    assert not isinstance(result.error, ModelRequiredError)
