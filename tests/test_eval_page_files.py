"""Evaluation tasks that upload a declared file and check a downloaded one, through the CLI.

The site on 127.0.0.1 records what it received; the stand-in model's answers are measured
on the same pages (the file picker overlay included).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from page_events_site import REPORT_CSV, EventsSite

from guiagent.errors import ConfigError
from guiagent.eval.envs import copy_downloads
from guiagent.eval.tasks import parse_tasks
from guiagent.testing.model_server import GlmModelServer, ModelRequest, Reply
from guiagent.testing.page_plan import ClickOn, Finish, plan_answers

pytestmark = pytest.mark.browser

UPLOAD_TASK = "Send cv.pdf as your CV."
EXPORT_TASK = "Export the records."


@pytest.fixture(scope="module")
def site():
    with EventsSite() as running:
        yield running


def test_upload_declared_in_the_task_and_download_checked_in_the_work_folder(site, tmp_path):
    suite_dir = tmp_path / "suite"
    suite_dir.mkdir()
    cv = suite_dir / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4 task file\x00")
    (suite_dir / "tasks.yaml").write_text(f"""
- id: upload-cv
  instruction: {UPLOAD_TASK}
  url: "{site.url}/upload"
  upload_files: [cv.pdf]
  evaluate:
    - dom: {{selector: "p", text: "Received"}}
- id: export
  instruction: {EXPORT_TASK}
  url: "{site.url}/download-plain"
  evaluate:
    - file: {{path: records.csv, contains: "7,Ada"}}
""")
    plans = {
        UPLOAD_TASK: plan_answers(site.url + "/upload", [
            ClickOn("#file"), ClickOn("[data-guiagent-file='0']", "cv.pdf"), ClickOn("#send"),
            Finish()], upload_files=[cv]),
        EXPORT_TASK: plan_answers(site.url + "/download-plain", [ClickOn("#dl"), Finish()]),
    }
    site.reset()

    def respond(req: ModelRequest) -> Reply:
        answers = next(a for task, a in plans.items() if task in req.task)
        return Reply(content=answers[min(req.step, len(answers)) - 1])

    out = tmp_path / "out"
    with GlmModelServer(respond) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "guiagent.cli.main", "eval", str(suite_dir / "tasks.yaml"),
             "--model-url", server.base_url, "--out", str(out), "--workers", "1"],
            capture_output=True, text=True, timeout=240, env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    results = {r["task"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert results["upload-cv"]["success"], results["upload-cv"]["checks"]
    assert site.uploads == [("cv.pdf", cv.read_bytes())]
    assert results["export"]["success"], results["export"]["checks"]
    [work_copy] = out.glob("**/work/records.csv")
    assert work_copy.read_bytes() == REPORT_CSV


def test_upload_files_must_stay_beside_the_suite(tmp_path):
    [task] = parse_tasks("""
- id: sneaky
  instruction: Upload it.
  url: http://127.0.0.1:9/
  upload_files: [../../etc/passwd]
  evaluate: [{infeasible: true}]
""", str(tmp_path / "tasks.yaml"))
    with pytest.raises(ConfigError, match="leads outside the suite's folder"):
        task.suite_file(task.upload_files[0], "upload file")


def test_downloads_copied_without_links_or_overwrites(tmp_path):
    downloads, work = tmp_path / "downloads", tmp_path / "work"
    downloads.mkdir()
    work.mkdir()
    (downloads / "report.csv").write_text("new")
    (downloads / "kept.txt").write_text("download")
    (work / "kept.txt").write_text("the task's own")
    (tmp_path / "secret").write_text("secret")
    (downloads / "link.txt").symlink_to(tmp_path / "secret")
    copied = copy_downloads(downloads, work)
    assert [p.name for p in copied] == ["report.csv"]
    assert (work / "kept.txt").read_text() == "the task's own"
    assert not (work / "link.txt").exists()
    assert copy_downloads(Path(tmp_path / "missing"), work) == []
