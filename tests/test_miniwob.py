"""MiniWoB++ tasks from the miniwob package, scored by the page's own reward.

The stand-in model reads only the screenshots it is sent (OCR and colours), so
successes, wrong clicks (reward -1) and tasks it cannot do (no reward) are all
real outcomes of the page.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from guiagent.errors import ConfigError
from guiagent.eval.episode import EpisodeSpec, EvalSettings, Worker, run_episode
from guiagent.eval.miniwob import load_suite, task_name, task_names
from guiagent.eval.tasks import load_suite as load_named_suite
from guiagent.eval.tasks import select_tasks
from guiagent.model import ModelSettings
from guiagent.testing.miniwob_policy import MiniwobPolicy
from guiagent.testing.model_server import GlmModelServer

GUIAGENT = str(Path(sys.executable).with_name("guiagent"))


def test_suite_lists_the_packages_tasks_by_name():
    tasks = load_named_suite("miniwob")
    assert [t.id for t in tasks] == task_names()
    clicks = [t.id for t in select_tasks(tasks, ["click-*"])]
    assert {"click-button", "click-link", "click-color", "click-checkboxes"} <= set(clicks)
    assert all(name.startswith("click-") for name in clicks)
    assert len(tasks) > 100


def test_unknown_task_name_is_a_config_error():
    task = load_suite()[0].model_copy(update={"id": "no-such-task", "extra": {}})
    with pytest.raises(ConfigError, match="no task 'no-such-task'"):
        task_name(task)


@pytest.fixture(scope="module")
def worker():
    worker = Worker(EvalSettings())
    yield worker
    worker.close()


def _episode(tmp_path, worker, server, name, repeat=0):
    worker.settings = EvalSettings(model=ModelSettings(base_url=server.base_url, timeout=30))
    task = select_tasks(load_suite(), [name])[0]
    return run_episode(EpisodeSpec(task=task, repeat=repeat, out_dir=tmp_path), worker)


@pytest.mark.browser
def test_solved_tasks_score_by_the_pages_reward(tmp_path, worker):
    with GlmModelServer(MiniwobPolicy()) as server:
        results = {name: _episode(tmp_path, worker, server, name)
                   for name in ("click-button", "click-link", "click-color", "click-test-2", "click-checkboxes")}
        first_prompt = server.requests[0].text
    for name in ("click-button", "click-link", "click-color", "click-test-2"):
        result = results[name]
        assert result.success, (name, result)
        assert result.outcome == "done" and result.steps == 1 and result.error is None
        evidence = result.checks[0].found
        assert evidence["done"] and evidence["raw_reward"] == 1.0 and 0 < evidence["reward"] <= 1
    # the instruction came from the page, not the placeholder
    assert "Click on the" in first_prompt and "read from the MiniWoB" not in first_prompt
    unsolved = results["click-checkboxes"]
    assert not unsolved.success and unsolved.outcome == "failed"
    assert unsolved.checks[0].found["done"] is False
    # the agent saw the 160x210 task area at 3x, and nothing beside it
    run_dir = tmp_path / results["click-button"].run_dir
    step = json.loads((run_dir / "steps.jsonl").read_text().splitlines()[0])
    with Image.open(run_dir / step["screenshot"]) as shot:
        assert shot.size == (480, 630)


@pytest.mark.browser
def test_a_wrong_click_gets_the_pages_negative_reward(tmp_path, worker):
    with GlmModelServer(MiniwobPolicy(wrong_rate=1.0)) as server:
        result = _episode(tmp_path, worker, server, "click-link")
    assert not result.success
    assert result.outcome == "done"  # the page ended the episode ...
    assert result.checks[0].found["raw_reward"] == -1.0  # ... with its own verdict
    assert result.category == "checks_failed"


@pytest.mark.browser
def test_cli_runs_miniwob_click_tasks_scored_by_reward(tmp_path):
    out = tmp_path / "out"
    with GlmModelServer(MiniwobPolicy()) as server:
        proc = subprocess.run([GUIAGENT, "eval", "miniwob", "--task", "click-b*", "--task", "click-link",
                               "--model-url", server.base_url, "--workers", "2", "--out", str(out)],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = {r["task"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert set(rows) == {"click-button", "click-button-sequence", "click-link"}
    assert rows["click-button"]["success"] and rows["click-link"]["success"]
    assert rows["click-button"]["checks"][0]["found"]["raw_reward"] == 1.0
    assert not rows["click-button-sequence"]["success"]  # two clicks in order: beyond the stand-in
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 3 and summary["succeeded"] == 2
    assert (out / "report.html").is_file()
    assert (out / rows["click-link"]["run_dir"] / "report.html").is_file()


def test_missing_miniwob_package_is_a_config_error_naming_the_extra(monkeypatch):
    import importlib.util

    from typer.testing import CliRunner

    from guiagent.cli.main import app

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "miniwob" else real(name, *a))
    result = CliRunner().invoke(app, ["eval", "miniwob", "--model-url", "http://127.0.0.1:9/v1"])
    assert result.exit_code == 2
    assert "pip install 'guiagent[miniwob]'" in result.output
