"""From a recorded agent run to a skill that runs again without the model."""

import json
import re
import subprocess
import sys

import pytest
import yaml
from contact_plan import CONTACT_PLAN, CONTACT_TASK, CONTACT_VALUES

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.runlog import read_run
from guiagent.skills.from_run import skill_from_run
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


def test_desktop_runs_are_described_by_ocr_of_the_recorded_screenshots(recorded_run, tmp_path):
    """Without a page to ask (a desktop run), each click is named by the words the recorded
    screenshot shows at the point: the phrase under it, on its row, or the label above."""
    run_json = recorded_run / "run.json"
    record = json.loads(run_json.read_text())
    record["driver"]["name"] = "desktop"
    run_json.write_text(json.dumps(record))
    skill = yaml.safe_load(skill_from_run(recorded_run, name="desktop_contact"))
    targets = []
    for step in skill["steps"]:
        kind, spec = next(iter(step.items()))
        if kind in ("click", "type") and (spec.get("into") if kind == "type" else spec):
            target = spec["into"] if kind == "type" else spec
            targets.append(target.get("text"))
    assert targets[:2] == ["Full name", "Email address"]  # labels above empty fields
    assert "Billing" in targets                          # a list item, text left of the click
    assert "Phone" in targets and "Message" in targets   # a radio's label, a text area's label
    assert targets[-1] == "Send message"                 # light text on a coloured button
    assert set(skill["parameters"]) == {"full_name", "email_address"}
