"""Replaying a run folder that may come from someone else: guarded, never blind, never $DISPLAY."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import sys
import threading

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.errors import ConfigError
from guiagent.replay import driver_for_run, replay_actions, replay_with_model_log
from guiagent.runlog import RunLog, RunRecord
from guiagent.testing import GlmModelServer, glm_answer

# Each button reports its press with a synchronous request, so it has arrived when the click returns.
PAGE = b"""<!doctype html><title>Shop</title><body style="margin:0">
<script>function hit(p) { const x = new XMLHttpRequest(); x.open("GET", p, false); x.send(); }</script>
<button onclick="hit('/next')" style="position:absolute;left:100px;top:100px;width:200px;height:60px">
Next</button>
<button onclick="hit('/bought')" style="position:absolute;left:500px;top:100px;width:200px;height:60px">
Buy now</button></body>"""
NEXT, BUY = "[156,180]", "[468,180]"


@pytest.fixture(scope="module")
def shop():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = PAGE if self.path == "/" else b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", hits
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def recorded(shop, tmp_path_factory):
    """A run recorded without a guard: it pressed Next, then Buy now."""
    from guiagent.drivers.playwright import PlaywrightDriver

    url, hits = shop
    answers = [glm_answer(f"left_click(start_box='{NEXT}', element_info='Next')"),
               glm_answer(f"left_click(start_box='{BUY}', element_info='')"), glm_answer("DONE()")]
    with GlmModelServer(answers) as server, PlaywrightDriver(url) as driver:
        agent = Agent(driver, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path_factory.mktemp("rec") / "run"))
        result = agent.run("Buy it.")
    assert result.outcome == "done" and hits.count("/bought") == 1
    return result.run_dir


def counts(hits):
    return hits.count("/next"), hits.count("/bought")


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["actions", "model-from-log"])
def test_replay_applies_the_guard(recorded, shop, tmp_path, mode):
    _, hits = shop
    before = counts(hits)
    replay = replay_actions if mode == "actions" else replay_with_model_log
    report = replay(recorded, out=tmp_path / "replay")
    assert counts(hits) == (before[0] + 1, before[1])  # Next pressed again, Buy now refused
    assert not report.reproduced
    text = (tmp_path / "replay" / "steps.jsonl").read_text()
    assert "needs a person's confirmation" in text


def blind_copy(recorded, tmp_path, screenshot):
    copy = tmp_path / "copy"
    shutil.copytree(recorded, copy)
    lines = (copy / "steps.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["screenshot"] = screenshot
    (copy / "steps.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    return copy


@pytest.mark.browser
@pytest.mark.parametrize("screenshot", [None, "../../../../../etc/hostname", "missing.jpg"])
def test_blind_steps_are_not_executed_without_force(recorded, shop, tmp_path, screenshot):
    _, hits = shop
    copy = blind_copy(recorded, tmp_path, screenshot)
    before = counts(hits)
    report = replay_actions(copy, out=tmp_path / "replay")
    assert counts(hits) == before
    assert report.mismatches[0].kind == "blind" and report.outcome == "error"
    assert "--force" in report.summary


@pytest.mark.browser
def test_force_executes_blind_steps_and_the_cli_takes_the_options(recorded, shop, tmp_path):
    _, hits = shop
    copy = blind_copy(recorded, tmp_path, None)
    before = counts(hits)
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "replay", str(copy),
                           "--force", "--unattended", "--out", str(tmp_path / "forced")],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1, proc.stderr  # not reproduced: Buy now was refused
    assert counts(hits) == (before[0] + 1, before[1])
    assert "refused" in proc.stderr and "needs a person's confirmation" in proc.stderr


def test_desktop_replay_needs_an_explicit_display(tmp_path, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")  # a real desktop, as far as the replay knows
    record = RunRecord(task="t", driver={"name": "desktop", "display": ":0"})
    with pytest.raises(ConfigError, match="needs --display"):
        driver_for_run(record, desktop=True)
    assert driver_for_run(record, desktop=True, display=":77").display == ":77"
    RunLog(tmp_path / "run", record).finish("done")
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "replay",
                           str(tmp_path / "run"), "--desktop"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "needs --display" in proc.stderr


def test_replay_refuses_a_denied_combination(tmp_path):
    """A recording that pressed ctrl+alt+backspace (no guard then) is not repeated by a replay."""
    from guiagent.drivers.scripted import ScriptedDriver

    answers = [glm_answer("key(keys='ctrl+alt+backspace')"), glm_answer("DONE()")]
    recording = ScriptedDriver("640x360", static=True)
    with GlmModelServer(answers) as server:
        agent = Agent(recording, OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=tmp_path / "run"))
        assert agent.run("Restart X.").outcome == "done"
    assert [a.keys for a in recording.actions] == ["ctrl+alt+backspace"]
    replaying = ScriptedDriver("640x360", static=True)
    report = replay_actions(tmp_path / "run", replaying, out=tmp_path / "replay")
    assert replaying.actions == []
    assert report.mismatches[0].kind == "refused" and "not allowed" in report.mismatches[0].detail
