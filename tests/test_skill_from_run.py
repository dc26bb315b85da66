"""From a recorded agent run to a skill that runs again without the model."""

import re
import subprocess
import sys

import pytest
import yaml
from contact_plan import CONTACT_PLAN, CONTACT_TASK, CONTACT_VALUES

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.runlog import read_run
from guiagent.testing import GlmModelServer, plan_answers

pytestmark = pytest.mark.browser


def cli(*args):
    return subprocess.run([sys.executable, "-m", "guiagent.cli.main", *args],
                          capture_output=True, text=True, timeout=240)


@pytest.fixture
def recorded_run(sandbox, tmp_path):
    """A successful model-driven run of the contact form (then the sandbox is emptied)."""
    answers = plan_answers(sandbox.url + "/contact", CONTACT_PLAN)
    with GlmModelServer(answers) as server, PlaywrightDriver(sandbox.url + "/contact") as driver:
        model = OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0))
        result = Agent(driver, model, config=AgentConfig(run_dir=tmp_path / "agent-run")).run(
            CONTACT_TASK)
    assert result.outcome == "done", result.error
    sandbox.reset()
    return result.run_dir


def test_from_run_makes_a_skill_that_reproduces_the_submission(sandbox, recorded_run, tmp_path):
    skill_file = tmp_path / "skills" / "contact.yaml"
    proc = cli("skill", "from-run", str(recorded_run), "-o", str(skill_file))
    assert proc.returncode == 0, proc.stderr
    assert sandbox.submissions() == []  # describing the run submitted nothing
    skill = yaml.safe_load(skill_file.read_text(encoding="utf-8"))
    assert skill["name"] == "contact" and skill["description"] == CONTACT_TASK

    # Typed text found in the task became parameters; nothing refers to pixels.
    assert {k: v["default"] for k, v in skill["parameters"].items()} == {
        "full_name": "Ada Lovelace", "email_address": "ada@example.org", "topic": "Billing"}
    text = skill_file.read_text(encoding="utf-8")
    assert "start_box" not in text and not re.search(r"\[\d+,\s*\d+", text)
    kinds = [next(iter(step)) for step in skill["steps"]]
    assert kinds == ["type", "type", "select", "type", "type", "click", "click", "click",
                     "wait_for"]
    assert skill["steps"][0]["type"]["into"]["label"] == "Full name"
    assert skill["steps"][2]["select"] == {
        "field": {"label": "Topic", "description": "dropdown"}, "option": "{{ topic }}"}
    assert skill["steps"][7]["click"]["text"] == "Send message"

    # Run it without a model: the same submission, except the name given as a parameter.
    out = tmp_path / "skill-run"
    proc = cli("skill", "run", str(skill_file), "--url", sandbox.url + "/contact",
               "--param", "full_name=Grace Hopper", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = sandbox.submissions("contact")
    assert len(rows) == 1
    assert rows[0]["data"] == {**CONTACT_VALUES, "full_name": "Grace Hopper",
                               "terms": True, "newsletter": False}
    record, steps = read_run(out)
    assert record.kind == "skill" and record.totals.model_requests == 0
    assert {s.extra["grounding"]["grounder"] for s in steps if "grounding" in s.extra} == {"dom"}


def test_from_run_refuses_a_failed_run(tmp_path, recorded_run):
    run_json = recorded_run / "run.json"
    run_json.write_text(run_json.read_text().replace('"outcome": "done"', '"outcome": "failed"'))
    proc = cli("skill", "from-run", str(recorded_run), "-o", str(tmp_path / "x.yaml"))
    assert proc.returncode == 2
    assert "only a successful run can become a skill" in proc.stderr
    assert not (tmp_path / "x.yaml").exists()
