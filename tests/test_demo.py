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
