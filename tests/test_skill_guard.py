"""A skill's own steps pass the action guard, as the model's actions do (a skill file is someone else's text)."""

import json
import subprocess
import sys

import pytest
from pages.server import PageServer

from guiagent import PlaywrightDriver
from guiagent.guard import ActionGuard, GuardPolicy
from guiagent.runlog import read_run
from guiagent.skills import parse_skill, run_skill

pytestmark = pytest.mark.browser

DELETE = "name: wipe\nsteps:\n  - click: Say hello\n  - click: Delete account\n"


def test_a_skill_click_that_needs_confirmation_is_refused_when_unattended(tmp_path):
    skill = tmp_path / "wipe.yaml"
    skill.write_text(DELETE)
    out = tmp_path / "run"
    with PageServer() as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "skill", "run", str(skill), "--url",
             server.url + "/danger.html", "--unattended", "--out", str(out)],
            capture_output=True, text=True, timeout=180)
        assert server.posts == []  # the account was not deleted
    assert proc.returncode == 1, proc.stderr
    assert "refused" in proc.stderr and "confirmation" in proc.stderr
    record, steps = read_run(out)
    assert record.outcome == "failed"
    assert steps[0].result != "refused"
    assert steps[-1].result == "refused" and steps[-1].extra["guard"]["confirm"] == r"\bdelete\b"


def test_a_skill_key_the_policy_denies_is_not_pressed_and_a_confirmed_click_runs(tmp_path):
    skill = parse_skill("name: zap\nsteps:\n  - click: Say hello\n  - key: ctrl+alt+backspace\n")
    with PageServer() as server, PlaywrightDriver(server.url + "/danger.html") as driver:
        result = run_skill(skill, driver, run_dir=tmp_path / "zap", hooks=[ActionGuard()])
        assert driver.page.inner_text("#out") == "Hello pressed"
        asked = []
        confirmed = run_skill(parse_skill(DELETE), driver, run_dir=tmp_path / "wipe",
                              hooks=[ActionGuard(GuardPolicy(), confirm=lambda q: asked.append(q) or True)])
        driver.page.wait_for_url("**/submit")  # the form's POST was answered (the click returns first)
        assert [p["what"] for p in server.posts] == [["account"]]
    assert result.outcome == "failed" and "ctrl+alt+backspace is not allowed" in result.record.error.message
    _, steps = read_run(tmp_path / "zap")
    assert steps[-1].result == "refused" and steps[-1].action.keys == "ctrl+alt+backspace"
    assert confirmed.outcome == "done", confirmed.error
    assert len(asked) == 1 and "Delete account" in asked[0]
    _, steps = read_run(tmp_path / "wipe")
    assert steps[-1].extra["guard"]["confirmed"] is True
    assert json.loads((tmp_path / "wipe" / "run.json").read_text())["outcome"] == "done"
