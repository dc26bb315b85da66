"""Untrusted text on the terminal stays text: no rich markup, no hyperlinks, no escape codes."""

import io
import json
import subprocess
import sys

from rich.console import Console

from guiagent.cli.progress import ConsoleProgress
from guiagent.runlog import ErrorInfo, RunLog, RunRecord, StepRecord
from guiagent.testing import GlmModelServer, glm_answer

HOSTILE = "Delete [/s] [/quote] [link=https://evil.example]x[/link] :smile: \x1b]8;;https://e\x07"


def cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "guiagent.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=120, **kwargs)


def assert_inert(text):
    assert "[/s] [/quote] [link=https://evil.example]x[/link] :smile:" in text
    assert "\x1b]8;" not in text and "\x07" not in text  # no terminal hyperlink, no bell
    assert "\\x1b]8;;https://e\\x07" in text  # the control codes are shown, not sent


def test_progress_prints_hostile_step_text_as_text():
    buffer = io.StringIO()
    progress = ConsoleProgress(Console(file=buffer, force_terminal=True, width=400))
    progress.on_step_end(StepRecord(index=1, started_at=0, call=f"left_click(element_info='{HOSTILE}')",
                                    error=ErrorInfo(type="DriverError", message=HOSTILE)))
    assert_inert(buffer.getvalue())


def test_run_with_hostile_answer_and_task_finishes_and_reports(tmp_path):
    calls = [f"left_click(start_box='[10,10]', element_info='{HOSTILE[:40]}')",
             "answer(content='[/quote] done')"]
    with GlmModelServer([glm_answer(c) for c in calls]) as server:
        proc = cli("run", f"Task {HOSTILE[:20]}", "--url", "about:blank", "--model-url",
                   server.base_url, "--out", tmp_path / "run", "--unattended")
    assert proc.returncode == 0, proc.stderr
    assert "[/quote] done" in proc.stdout
    assert "Delete [/s] [/quote]" in proc.stderr
    assert (tmp_path / "run" / "report.html").is_file()


def test_runs_listing_shows_hostile_tasks_as_text(tmp_path):
    log = RunLog(tmp_path / "runs" / "a", RunRecord(task=HOSTILE))
    log.finish("done")
    broken = tmp_path / "runs" / "b [red]x"
    broken.mkdir()
    (broken / "run.json").write_text(json.dumps({"format_version": 1, "task": 3}))
    proc = cli("runs", tmp_path / "runs", env={"COLUMNS": "400", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert_inert(proc.stdout)
    assert "b [red]x" in proc.stderr


def test_skill_list_and_check_print_hostile_skill_files_as_text(tmp_path):
    skills = tmp_path / "skills"
    skills.mkdir()
    (skills / "evil.yaml").write_text(
        "name: evil\ndescription: " + json.dumps(HOSTILE) + "\nsteps:\n  - wait: 1\n")
    (skills / "broken [b].yaml").write_text("name: [/b]\n")
    proc = cli("skill", "list", "--path", skills)
    assert proc.returncode == 0, proc.stderr
    assert_inert(proc.stdout)
    proc = cli("skill", "check", skills / "broken [b].yaml")
    assert proc.returncode == 2 and "broken [b].yaml" in proc.stderr
