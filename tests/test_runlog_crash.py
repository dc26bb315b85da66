"""The run log survives SIGKILL with every finished step, and its slow writes leave the step."""

import json
import os
import signal
import subprocess
import sys

from guiagent.replay import list_runs
from guiagent.replay.report import render_report
from guiagent.runlog import RunLog, RunRecord, StepRecord, read_run
from guiagent.secrets import Redactor

WRITER = """
import sys, time
from guiagent.runlog import RunLog, RunRecord, StepRecord
log = RunLog(sys.argv[1], RunRecord(task="crash me"))
index = 0
while True:
    index += 1
    log.append_step(StepRecord(index=index, started_at=time.time(), answer_text="x" * 2000))
    print(index, flush=True)  # the step is finished: append_step returned
"""


def test_sigkill_leaves_every_finished_step(tmp_path):
    run_dir = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(run_dir)], stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout is not None
    finished = 0
    for line in child.stdout:
        finished = int(line)
        if finished >= 40:
            break
    os.kill(child.pid, signal.SIGKILL)  # mid-way through the next steps
    child.wait()
    child.stdout.close()
    record, steps = read_run(run_dir)  # readable: run.json and steps.jsonl
    assert record.task == "crash me" and record.outcome == "running"
    indexes = [s.index for s in steps]
    assert indexes[:finished] == list(range(1, finished + 1))
    # Listings and the report do not call a killed run "running" for ever.
    (listed,) = list_runs(tmp_path).runs
    assert listed.outcome == "interrupted"
    assert 'id="outcome">interrupted<' in render_report(run_dir)


def test_a_run_whose_process_lives_or_ran_elsewhere_stays_running(tmp_path):
    records = {"mine": RunRecord(task="still going"),  # this process: alive
               "other": RunRecord(task="another machine's", pid=1 << 22, boot_id="0-another-boot"),
               "hostile": RunRecord(task="pid -1", pid=-1),
               "huge": RunRecord(task="pid 2**70", pid=1 << 70)}
    for name, record in records.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text(record.model_dump_json())
        (tmp_path / name / "steps.jsonl").write_text("")
    assert {r.task: r.outcome for r in list_runs(tmp_path).runs} == {
        "still going": "running", "another machine's": "running", "pid -1": "running",
        "pid 2**70": "running"}


def test_finish_leaves_run_json_with_the_totals_of_every_step(tmp_path):
    log = RunLog(tmp_path / "run", RunRecord(task="t"))
    for index in range(1, 31):
        log.append_step(StepRecord(index=index, started_at=0.0, timings={"capture": 0.01}))
    log.finish("done")
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["outcome"] == "done"
    assert record["totals"]["steps"] == 30
    assert record["totals"]["phases"]["capture"] == 0.3


def test_fast_path_still_drops_url_credentials_and_secrets(tmp_path):
    log = RunLog(tmp_path / "run", RunRecord(task="t"))
    step = StepRecord(index=1, started_at=0.0, url="http://ada:pw@example.org/x")
    log.append_step(step)
    assert step.url == "http://example.org/x"  # redacted in place, as before
    log.finish("done")
    secret_log = RunLog(tmp_path / "run2", RunRecord(task="t"),
                        redactor=Redactor({"hunter2": "<secret:pw>"}))
    secret_log.append_step(StepRecord(index=1, started_at=0.0, answer_text="typed hunter2"))
    secret_log.finish("done")
    text = (tmp_path / "run2" / "steps.jsonl").read_text()
    assert "hunter2" not in text and "<secret:pw>" in text


def test_fast_path_redacts_credentials_next_to_control_characters(tmp_path):
    log = RunLog(tmp_path / "run", RunRecord(task="t"))
    step = StepRecord(index=1, started_at=0.0, answer_text="see http://ad\x01a:pw@example.org/ and "
                                                           "mail ada@example.org")
    log.append_step(step)
    log.finish("done")
    text = (tmp_path / "run" / "steps.jsonl").read_text()
    assert "pw@" not in text and "ada@example.org" in text
