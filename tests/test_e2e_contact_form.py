"""End to end: each protocol's stand-in model drives the real browser through the sandbox form."""

import json
import subprocess
import sys

import pytest
from contact_plan import CONTACT_PLAN, CONTACT_TASK, assert_contact_row
from PIL import Image

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.geometry import Size
from guiagent.protocols.registry import available_protocols
from guiagent.replay.diff import image_difference
from guiagent.runlog import read_run
from guiagent.testing import GlmModelServer, plan_intentions, standin, standin_server
from guiagent.testing.standins import STANDINS, IntendedAction

pytestmark = pytest.mark.browser

FINISHED = {"glm41v-web": "answered"}


@pytest.fixture(scope="module")
def contact_plan(web_sandbox):
    return plan_intentions(web_sandbox.url + "/contact", CONTACT_PLAN)


@pytest.fixture(scope="module")
def contact_answers(contact_plan):
    return [standin("glm41v-pc").answer(i, Size(width=1280, height=720)) for i in contact_plan]


@pytest.mark.parametrize("protocol", available_protocols())
def test_agent_fills_contact_form(protocol, sandbox, contact_plan, tmp_path):
    if protocol not in STANDINS:
        pytest.fail(f"protocol {protocol!r} has no stand-in model: add one to "
                    "guiagent/testing/standins (see its docstring)")
    with standin_server(protocol, contact_plan) as server:
        driver = PlaywrightDriver(sandbox.url + "/contact")
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      protocol=protocol, config=AgentConfig(run_dir=tmp_path / "run", max_steps=30))
        with driver:
            result = agent.run(CONTACT_TASK)
            assert "Thank you" in driver.page.inner_text("body")
    finished = FINISHED.get(protocol, "done")  # the web protocol ends with ANSWER
    assert result.outcome == finished, result.error
    rows = sandbox.submissions("contact")
    assert len(rows) == 1
    assert_contact_row(rows[0])

    # The log holds every step, the model's point and the executed pixel point.
    record, steps = read_run(result.run_dir)
    assert record.outcome == finished and record.totals.steps == len(contact_plan)
    assert record.protocol == protocol
    click = steps[0]
    assert click.action.action == "left_click"
    p = click.executed[0]
    assert p.model.x == click.action.start_box.x
    assert abs(p.surface.x - p.model.x / 1000 * 1280) < 1
    assert abs(p.surface.x - contact_plan[0].at[0] * 1280) <= 1.5  # where the field is
    assert (result.run_dir / click.screenshot).stat().st_size > 1000
    # The step that sent the form (and only it) records the page's own load time, within execute.
    loaded = [s for s in steps if "page_load" in s.timings]
    assert len(loaded) == 1, [s.timings for s in steps]
    assert 0 < loaded[0].timings["page_load"] <= loaded[0].timings["execute"]

    if protocol == "glm45v":
        # History screenshots at half size at their steps, the current one last, full size.
        first, later = server.requests[0], server.requests[5]
        assert [im.size for im in first.images] == [(1280, 720)]
        assert [im.size for im in later.images] == [(640, 360)] * 4 + [(1280, 720)]
        assert later.text.count("Screenshot:(Omitted in context.)") == 1
        assert later.body["skip_special_tokens"] is False
        assert "chat_template_kwargs" not in later.body  # thinking: the server's default
    if protocol == "glm41v-web":
        # One marked screenshot per request, the element list, and the log keeps that image.
        later = server.requests[3]
        assert [im.size for im in later.images] == [(1280, 720)]
        assert '<input> "Email address";' in later.text and "1.Thought:" in later.text
        with Image.open(result.run_dir / steps[3].screenshot) as logged:
            assert image_difference(logged.convert("RGB"), later.images[0]).score == 0
        typed = next(s for s in steps if s.extra.get("then"))
        assert [a["action"] for a in typed.extra["then"]] == ["key", "key", "type", "key"]
        assert typed.call == "Type [5]; [Ada Lovelace]" and typed.result.endswith("pressed enter")
    if protocol == "glm41v-pc":
        # The request layout: current image full size first, then at most four half-size
        # previous ones, and the task in the text.
        first, later = server.requests[0], server.requests[5]
        assert [im.size for im in first.images] == [(1280, 720)]
        assert [im.size for im in later.images] == [(1280, 720)] + [(640, 360)] * 4
        assert later.body["skip_special_tokens"] is False
        assert CONTACT_TASK in later.text and "step 5:" in later.text


def test_cli_run_fills_contact_form(sandbox, contact_answers, tmp_path):
    out = tmp_path / "cli-run"
    with GlmModelServer(contact_answers) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", CONTACT_TASK,
             "--url", sandbox.url + "/contact", "--model-url", server.base_url,
             "--out", str(out), "--max-steps", "30"],
            capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert_contact_row(sandbox.submissions("contact")[0])
    run = json.loads((out / "run.json").read_text())
    assert run["outcome"] == "done"
    assert len((out / "steps.jsonl").read_text().splitlines()) == len(contact_answers)
    report = (out / "report.html").read_text()
    assert f"report: {out / 'report.html'}" in proc.stderr
    assert report.count('data-step="') == len(contact_answers) and "Ada Lovelace" in report


def test_cli_unreachable_model_exits_2_and_writes_run_json(sandbox, tmp_path):
    out = tmp_path / "no-model"
    proc = subprocess.run(
        [sys.executable, "-m", "guiagent.cli.main", "run", "Say hi",
         "--url", sandbox.url + "/contact", "--model-url", "http://127.0.0.1:9/v1",
         "--retries", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "http://127.0.0.1:9/v1" in proc.stderr and "vllm serve" in proc.stderr
    run = json.loads((out / "run.json").read_text())
    assert run["outcome"] == "error"
    assert run["error"]["type"] == "ModelConnectionError"


def test_cli_usage_error_exits_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "run", "x"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--url" in proc.stderr


@pytest.mark.parametrize("protocol", ["glm45v", "glm41v-web"])
def test_cli_run_with_protocol_fills_contact_form(protocol, sandbox, contact_plan, tmp_path):
    out = tmp_path / "cli-run"
    with standin_server(protocol, contact_plan) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", CONTACT_TASK, "--protocol", protocol,
             "--url", sandbox.url + "/contact", "--model-url", server.base_url,
             "--out", str(out), "--max-steps", "30"],
            capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert f"protocol: {protocol} (--protocol)" in proc.stderr
    assert_contact_row(sandbox.submissions("contact")[0])
    run = json.loads((out / "run.json").read_text())
    assert run["protocol"] == protocol and run["outcome"] == FINISHED.get(protocol, "done")


@pytest.mark.parametrize("protocol,value,code,body", [
    ("glm45v", "off", 0, {"enable_thinking": False}),  # "on": see test_protocol_glm45v.py
    ("glm41v-pc", "off", 2, None),
])
def test_cli_thinking_switch(protocol, value, code, body, sandbox, tmp_path):
    done = [IntendedAction("done", say="Nothing to do.")]
    with standin_server(protocol, done) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "run", "Look at the page.",
             "--protocol", protocol, "--thinking", value, "--url", sandbox.url + "/contact",
             "--model-url", server.base_url, "--out", str(tmp_path / "run")],
            capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    if body is None:
        assert "the glm41v-pc protocol has no thinking switch" in proc.stderr
        assert server.requests == []
    else:
        assert server.requests[0].body["chat_template_kwargs"] == body
