"""`guiagent demo`: the first command of the README works with nothing but Chromium."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.browser


def test_demo_fills_the_form_without_a_model_and_leaves_a_log(tmp_path):
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"run log: {out}" in proc.stdout
    submission = json.loads(proc.stdout.split("submission recorded by the sandbox:")[1])
    assert submission["form"] == "contact"
    assert submission["data"]["full_name"] == "Ada Lovelace"
    assert submission["data"]["newsletter"] is True and submission["data"]["terms"] is True
    run = json.loads((out / "run.json").read_text())
    assert run["kind"] == "skill" and run["outcome"] == "done" and run["model"] == {}
    steps = (out / "steps.jsonl").read_text().splitlines()
    assert len(steps) == run["totals"]["steps"] > 10
    if "report: " in proc.stdout:  # written when the replay package is installed
        assert (out / "report.html").stat().st_size > 10_000


def test_agent_demo_drives_the_loop_through_the_stand_in_model_server(tmp_path):
    out = tmp_path / "demo-agent"
    proc = subprocess.run(
        [sys.executable, "-m", "guiagent.cli.main", "demo", "--agent", "--out", str(out)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "scripted stand-in" in proc.stderr and "POST /v1/chat" not in proc.stderr
    submission = json.loads(proc.stdout.split("submission recorded by the sandbox:")[1])
    assert submission["id"] == 1  # the script was measured on another sandbox
    assert submission["data"]["full_name"] == "Ada Lovelace"
    assert submission["data"]["preferred_contact"] == "Phone"
    run = json.loads((out / "run.json").read_text())
    assert run["kind"] == "agent" and run["outcome"] == "done"
    assert run["protocol"] == "glm41v-pc" and run["model"]["base_url"].startswith("http://127.0.0.1:")
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    assert steps[0]["attempts"][0]["content"].startswith("<think>")
    assert steps[-1]["action"]["action"] == "DONE"
