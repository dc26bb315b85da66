"""The replay log format: written step by step, readable after a crash, strict about versions."""

import json

import pytest

from guiagent.actions import LeftClick, Point
from guiagent.errors import LogFormatError
from guiagent.geometry import ScreenFrame, Size
from guiagent.runlog import RunLog, RunRecord, StepRecord, read_run


def make_log(tmp_path, steps=3, finish=True):
    log = RunLog(tmp_path / "run", RunRecord(task="t"))
    frame = ScreenFrame(screenshot=Size(width=100, height=50), surface=Size(width=200, height=100))
    for i in range(1, steps + 1):
        shot = log.save_screenshot(i, b"fake-jpeg", "jpg")
        log.append_step(StepRecord(index=i, started_at=0.0, screenshot=shot, frame=frame,
                                   action=LeftClick(start_box=Point(x=500, y=500)),
                                   executed=[frame.resolve(500, 500)],
                                   timings={"model": 0.5, "execute": 0.1}))
    if finish:
        log.finish("done")
    return log


def test_run_json_exists_while_running_and_after(tmp_path):
    log = make_log(tmp_path, finish=False)
    log.flush()  # run.json is rewritten on the log's writer thread, off the step's path
    running = json.loads((log.dir / "run.json").read_text())
    assert running["outcome"] == "running" and running["totals"]["steps"] == 3
    log.finish("done")
    record, steps = read_run(log.dir)
    assert record.outcome == "done" and record.ended_at is not None
    assert record.totals.phases["model"] == pytest.approx(1.5)
    assert [s.index for s in steps] == [1, 2, 3]
    assert steps[0].executed[0].surface.x == 100
    assert (log.dir / steps[0].screenshot).read_bytes() == b"fake-jpeg"


def test_truncated_last_line_is_tolerated(tmp_path):
    log = make_log(tmp_path)
    path = log.dir / "steps.jsonl"
    path.write_text(path.read_text() + '{"index": 4, "started_at": 0.0, "scre')
    _, steps = read_run(log.dir)
    assert len(steps) == 3


def test_corrupted_middle_line_names_file_and_line(tmp_path):
    log = make_log(tmp_path)
    path = log.dir / "steps.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = "{not json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LogFormatError, match=r"steps\.jsonl:2: corrupted"):
        read_run(log.dir)


def test_unknown_version_is_refused(tmp_path):
    log = make_log(tmp_path)
    data = json.loads((log.dir / "run.json").read_text())
    data["format_version"] = 99
    (log.dir / "run.json").write_text(json.dumps(data))
    with pytest.raises(LogFormatError, match="version 99"):
        read_run(log.dir)


def test_missing_run_dir(tmp_path):
    with pytest.raises(LogFormatError, match="no run.json"):
        read_run(tmp_path / "nowhere")
