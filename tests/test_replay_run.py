"""Replays in real headless Chromium: recorded actions, model cassettes, divergence, failed runs."""

import json
import subprocess
import sys
import threading

import pytest
from contact_plan import CONTACT_PLAN, CONTACT_TASK, assert_contact_row
from flask import Flask, redirect, request
from PIL import Image
from werkzeug.serving import make_server

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient, PlaywrightDriver
from guiagent.protocols.glm41v_pc import Glm41vPcProtocol
from guiagent.replay import (
    CassetteModelClient,
    render_report,
    replay_actions,
    replay_with_model_log,
)
from guiagent.runlog import read_run
from guiagent.testing import ClickOn, Finish, GlmModelServer, Reply, TypeText, plan_answers

pytestmark = pytest.mark.browser


def record(url, answers, run_dir, task):
    with GlmModelServer(answers) as server:
        driver = PlaywrightDriver(url)
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=run_dir, max_steps=30))
        with driver:
            return agent.run(task)


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "guiagent.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=240, env=env)


@pytest.fixture(scope="module")
def contact_run(web_sandbox, tmp_path_factory):
    url = web_sandbox.url + "/contact"
    answers = plan_answers(url, CONTACT_PLAN)  # measures the page by filling it in once
    web_sandbox.reset()
    result = record(url, answers, tmp_path_factory.mktemp("rec") / "run", CONTACT_TASK)
    assert result.outcome == "done", result.error
    assert len(web_sandbox.submissions("contact")) == 1
    return result.run_dir


# -- a tiny two-page site whose second page can change its layout ------------------------------

START = """<!doctype html><title>Start</title><body style="font-family:sans-serif;margin:40px">
<h1>Step one</h1><p>Press continue to open the form.</p>
<a id="continue" href="/next" style="display:inline-block;padding:14px 28px;background:#2563eb;
color:white;text-decoration:none;border-radius:6px">Continue</a></body>"""
FORM = """<!doctype html><title>Form</title><body style="font-family:sans-serif;margin:40px">
{banner}<h1>Your name</h1><form method="post" action="/save">
<input id="name" name="name" style="font-size:20px;width:320px">
<button id="save" style="font-size:20px">Save</button></form></body>"""
BANNER = ('<div style="height:260px;background:#7c3aed;color:white;font-size:40px;padding:30px">'
          'Our new design: read this first!</div>')


class Site:
    def __init__(self):
        self.variant, self.saved = "a", []
        app = Flask("replay-test-site")
        app.add_url_rule("/", "start", lambda: START)
        app.add_url_rule("/next", "next", lambda: FORM.format(
            banner=BANNER if self.variant == "b" else ""))
        app.add_url_rule("/save", "save", self._save, methods=["POST"])
        app.add_url_rule("/done", "done", lambda: "<h1>Saved.</h1>")
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _save(self):
        self.saved.append(request.form["name"])
        return redirect("/done")


SITE_PLAN = [ClickOn("#continue", "Continue"), ClickOn("#name", "name field"), TypeText("Grace"),
             ClickOn("#save", "Save"), Finish()]


@pytest.fixture(scope="module")
def site():
    s = Site()
    yield s
    s.server.shutdown()


@pytest.fixture(scope="module")
def site_run(site, tmp_path_factory):
    site.variant = "a"
    answers = plan_answers(site.url, SITE_PLAN)
    site.saved = []
    result = record(site.url, answers, tmp_path_factory.mktemp("site") / "run",
                    "Enter the name Grace and save.")
    assert result.outcome == "done" and site.saved == ["Grace"], result.error
    return result.run_dir


# -- tests -------------------------------------------------------------------------------------

def test_replay_reproduces_the_contact_submission(sandbox, contact_run, tmp_path):
    out = tmp_path / "replay"
    proc = cli("replay", contact_run, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "reproduced" in proc.stderr
    rows = sandbox.submissions("contact")
    assert len(rows) == 1
    assert_contact_row(rows[0])
    record, steps = read_run(out)
    recorded_record, recorded = read_run(contact_run)
    assert record.kind == "replay" and record.outcome == "done"
    assert record.extra["replay"]["reproduced"] is True
    assert [s.call for s in steps] == [s.call for s in recorded]
    # every fresh screen was compared before its action, and matched the recording
    compared = record.extra["replay"]["compared"]
    assert [c["step"] for c in compared] == [s.index for s in recorded]
    assert all(c["score"] <= 0.02 for c in compared)
    # the replay acted on the same pixels as the recording
    for new, old in zip(steps, recorded, strict=True):
        assert [p.surface for p in new.executed] == [p.surface for p in old.executed]


def test_model_from_log_reproduces_without_a_model_server(sandbox, contact_run, tmp_path):
    out = tmp_path / "cassette"
    env = {**__import__("os").environ, "GUIAGENT_MODEL_URL": "http://127.0.0.1:9/v1"}
    proc = cli("replay", contact_run, "--model-from-log", "--out", out, env=env)
    assert proc.returncode == 0, proc.stderr
    rows = sandbox.submissions("contact")
    assert len(rows) == 1
    assert_contact_row(rows[0])
    record, steps = read_run(out)
    _, recorded = read_run(contact_run)
    assert record.kind == "replay" and record.outcome == "done"
    assert record.model["base_url"].startswith("cassette:")
    assert record.extra["replay"]["mode"] == "model-from-log"
    # the agent loop really ran: it built the same prompts and parsed the same actions
    assert [s.request.prompt for s in steps] == [s.request.prompt for s in recorded]
    assert [s.action for s in steps] == [s.action for s in recorded]


def test_cassette_reports_a_changed_prompt(sandbox, contact_run, tmp_path):
    cassette = CassetteModelClient(contact_run)
    driver = PlaywrightDriver(read_run(contact_run)[0].driver["url"])
    protocol = Glm41vPcProtocol(tips="Never use the newsletter checkbox.")
    with driver:
        result = Agent(driver, cassette, protocol=protocol,
                       config=AgentConfig(run_dir=tmp_path / "run")).run(CONTACT_TASK)
    assert result.outcome == "done"
    prompts = [m for m in cassette.mismatches if m.kind == "prompt"]
    assert [m.step for m in prompts] == list(range(1, len(result.steps) + 1))
    assert "+Never use the newsletter checkbox." in prompts[0].detail
    assert len(sandbox.submissions("contact")) == 1


@pytest.mark.parametrize("mode", ["actions", "model-from-log"])
def test_replay_on_a_changed_page_stops_at_the_changed_step(site, site_run, tmp_path, mode):
    site.variant, site.saved = "b", []
    out = tmp_path / mode
    try:
        proc = cli("replay", site_run, "--out", out,
                   *(["--model-from-log"] if mode == "model-from-log" else []))
    finally:
        site.variant = "a"
    assert proc.returncode == 1, proc.stderr
    assert "diverged at step 2" in proc.stderr
    record, steps = read_run(out)
    replay = record.extra["replay"]
    assert record.outcome == "diverged" and replay["diverged_at"] == 2
    assert [s.index for s in steps] == [1, 2]
    assert [c["diverged"] for c in replay["compared"]] == [False, True]
    evidence = replay["compared"][1]["evidence"]
    assert set(evidence) == {"recorded", "replayed", "diff"}
    for rel in evidence.values():
        with Image.open(out / rel) as image:
            assert image.size == (1280, 720)
    assert site.saved == []  # the actions after the divergence never ran
    html = render_report(out)  # the replay's report shows the evidence
    assert "Where the replay diverged" in html
    for name in ("recorded", "replayed", "diff"):
        assert f'alt="{name} screenshot of step 2"' in html


def test_failed_run_replays_up_to_the_failure(site, tmp_path):
    site.variant = "a"
    answers = plan_answers(site.url, SITE_PLAN)
    site.saved = []
    script = [*answers[:2], Reply(content="server exploded", status=500)]
    result = record(site.url, script, tmp_path / "failed", "Enter the name Grace and save.")
    assert result.outcome == "error" and len(result.steps) == 3
    for mode in ("actions", "model-from-log"):
        replay = (replay_actions(result.run_dir, out=tmp_path / mode) if mode == "actions" else
                  replay_with_model_log(result.run_dir, out=tmp_path / mode))
        assert replay.reproduced, replay.mismatches
        assert replay.outcome == "error"
        record_, steps = read_run(tmp_path / mode)
        assert record_.outcome == "error" and len(steps) == 3
        assert steps[2].action is None
    assert site.saved == []


def test_refused_action_is_skipped_as_in_the_recording(site, tmp_path):
    from guiagent import ActionRefusedError, AgentHooks

    class RefuseTyping(AgentHooks):
        def before_action(self, step, action, observation):
            if action.action == "type" and step.index == 3:
                raise ActionRefusedError("typing is not allowed here")

    site.variant = "a"
    answers = plan_answers(site.url, SITE_PLAN)
    site.saved = []
    answers = [*answers[:3], answers[2], *answers[3:]]  # the model types again after the refusal
    with GlmModelServer(answers) as server:
        driver = PlaywrightDriver(site.url)
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "rec"), hooks=[RefuseTyping()])
        with driver:
            result = agent.run("Enter the name Grace and save.")
    assert result.outcome == "done" and site.saved == ["Grace"]
    assert result.steps[2].result == "refused"
    site.saved = []
    report = replay_actions(result.run_dir, out=tmp_path / "replay")
    assert report.reproduced, report.mismatches
    assert site.saved == ["Grace"]  # typed once, as in the recording
    _, steps = read_run(tmp_path / "replay")
    assert steps[2].result.startswith("refused in the recording")
    assert json.loads((tmp_path / "replay" / "run.json").read_text())["outcome"] == "done"

    # With the recorded answers, the refusal is repeated and the next prompt tells the model.
    site.saved = []
    report = replay_with_model_log(result.run_dir, out=tmp_path / "cassette")
    assert report.reproduced, report.mismatches
    assert site.saved == ["Grace"]
    _, steps = read_run(tmp_path / "cassette")
    assert steps[2].result == "refused"
    assert "refused and not executed: typing is not allowed here" in steps[3].request.prompt


def test_the_cassette_follows_the_agents_step_not_the_prompt_layout(contact_run, tmp_path):
    """A family whose prompt has no ``step N:`` lines still gets each step's recorded answer."""
    _, recorded = read_run(contact_run)
    cassette = CassetteModelClient(contact_run)
    third = recorded[2]
    with Image.open(contact_run / third.screenshot) as shot:
        cassette.at_step(3, shot.convert("RGB"))
    reply = cassette.complete([{"role": "system", "content": "Another family's layout."},
                               {"role": "user", "content": [{"type": "text", "text": "Go."}]}])
    assert reply.content == third.attempts[0].content
    assert cassette.used == {3: 1} and cassette.differences[3].score == 0
    assert [m.kind for m in cassette.mismatches] == ["prompt"]
