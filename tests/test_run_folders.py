"""Run folders are untrusted: writes never follow links, and two runs never share a folder."""

import os
import subprocess
import sys

import pytest

from guiagent import Agent, AgentConfig, ModelSettings, OpenAIChatClient
from guiagent.drivers.scripted import ScriptedDriver
from guiagent.errors import ConfigError
from guiagent.runlog import RunLog, RunRecord, StepRecord, read_run
from guiagent.testing import GlmModelServer, glm_answer

CALLS = ["left_click(start_box='[100,100]')", "wait()", "DONE()"]


def run_agent(run_dir, calls=CALLS, overwrite=False):
    with GlmModelServer([glm_answer(c) for c in calls]) as server:
        agent = Agent(ScriptedDriver("640x360"),
                      OpenAIChatClient(ModelSettings(base_url=server.base_url, retries=0)),
                      config=AgentConfig(run_dir=run_dir, overwrite=overwrite))
        return agent.run("Click.")


def cli(*args):
    return subprocess.run([sys.executable, "-m", "guiagent.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_view_does_not_write_through_linked_report_or_gif(tmp_path):
    result = run_agent(tmp_path / "run")
    victims = {name: tmp_path / f"victim-{name}" for name in ("report.html", "run.gif")}
    for name, victim in victims.items():
        victim.write_text("precious")
        os.symlink(victim, result.run_dir / name)
    proc = cli("view", result.run_dir, "--gif")
    assert proc.returncode == 0, proc.stderr
    for name, victim in victims.items():
        assert victim.read_text() == "precious", name
        assert not (result.run_dir / name).is_symlink()
    assert (result.run_dir / "report.html").read_text().startswith("<!")
    assert (result.run_dir / "run.gif").read_bytes()[:3] == b"GIF"


def test_runlog_never_writes_through_leftover_links(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "screenshots").mkdir(parents=True)
    victims = []
    for rel in ("run.json.tmp", "screenshots/step-0001.png", "steps.jsonl", "run.json"):
        victim = tmp_path / f"victim-{len(victims)}"
        victim.write_text("precious")
        os.symlink(victim, run_dir / rel)
        victims.append(victim)
    result = run_agent(run_dir, overwrite=True)
    assert result.outcome == "done"
    assert all(v.read_text() == "precious" for v in victims)
    record, steps = read_run(run_dir)
    assert [s.index for s in steps] == [1, 2, 3]
    assert not (run_dir / "screenshots" / "step-0001.png").is_symlink()


def test_save_file_stays_inside_the_run(tmp_path):
    log = RunLog(tmp_path / "run", RunRecord(task="t"))
    with pytest.raises(ConfigError, match="inside the run folder"):
        log.save_file("../escape.png", b"x")
    with pytest.raises(ConfigError, match="inside the run folder"):
        log.save_file(str(tmp_path / "abs.png"), b"x")
    log.finish("done")
    assert not (tmp_path / "escape.png").exists()


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    first = run_agent(tmp_path / "run")
    assert first.outcome == "done"
    with pytest.raises(ConfigError, match="not empty.*--overwrite"):
        run_agent(tmp_path / "run", calls=["DONE()"])
    _, steps = read_run(tmp_path / "run")
    assert [s.index for s in steps] == [1, 2, 3]  # untouched
    again = run_agent(tmp_path / "run", calls=["DONE()"], overwrite=True)
    assert again.outcome == "done"
    _, steps = read_run(tmp_path / "run")
    assert [s.index for s in steps] == [1]
    assert sorted(p.name for p in (tmp_path / "run" / "screenshots").iterdir()) == [
        steps[0].screenshot.split("/")[-1]]


def test_empty_folder_is_fine(tmp_path):
    (tmp_path / "run").mkdir()
    log = RunLog(tmp_path / "run", RunRecord(task="t"))
    log.append_step(StepRecord(index=1, started_at=0.0))
    log.finish("done")
    assert read_run(tmp_path / "run")[0].outcome == "done"


def test_cli_refuses_out_into_a_non_empty_folder(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with GlmModelServer([glm_answer("DONE()")]) as server:
        proc = cli("run", "Nothing.", "--url", "about:blank", "--model-url", server.base_url,
                   "--out", out)
    assert proc.returncode == 2
    assert "not empty" in proc.stderr and "--overwrite" in proc.stderr
    assert not (out / "run.json").exists() and (out / "notes.txt").read_text() == "mine"
