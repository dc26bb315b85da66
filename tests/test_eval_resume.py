"""--resume after a SIGKILL of ``guiagent eval``: the rest runs, nothing is lost or run twice."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from guiagent.testing.model_server import glm_answer

sys.path.insert(0, str(Path(__file__).parent))
from conftest import interruptible  # noqa: E402
from eval_standin import plan_server  # noqa: E402

GUIAGENT = str(Path(sys.executable).with_name("guiagent"))

pytestmark = pytest.mark.browser


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def descendants(pid):
    """Every process below ``pid`` (the fork server, the workers it forked, their browsers)."""
    found, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        found.extend(kids)
        todo.extend(kids)
    return found


def alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


SUITE = """\
- id: tab-along
  instruction: Press tab twice, then you are done.
  url: "{sandbox}/contact"
  evaluate:
    - url: {matches: "/contact$"}
- id: no-pizza
  instruction: Order a pizza on this site.
  url: "{sandbox}/"
  evaluate:
    - infeasible: true
"""


def test_resume_after_sigkill(tmp_path):
    tab = glm_answer("key(keys='tab')")
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    out = tmp_path / "out"
    with plan_server({"Press tab": [tab, tab, glm_answer("DONE()")], "pizza": [glm_answer("FAIL()")]},
                     delay=0.3) as server:
        args = [GUIAGENT, "eval", str(suite), "--model-url", server.base_url, "--repeat", "3",
                "--workers", "2", "--out", str(out)]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: len(lines(out / "results.jsonl")) >= 2 or proc.poll() is not None, 180,
                     "two finished episodes")
            assert proc.poll() is None, "the suite finished before it could be killed"
            workers = descendants(proc.pid)
            assert len(workers) >= 2
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stderr.close()
        # The workers (and their browsers) die with it: nothing keeps writing into the episode
        # folders.
        wait_for(lambda: not any(alive(w) for w in workers), 30, "the workers to exit")
        before = {(r["task"], r["repeat"]): r for r in lines(out / "results.jsonl")}
        assert 2 <= len(before) < 6
        with open(out / "results.jsonl", "a") as f:
            f.write('{"task": "tab-along", "rep')  # a line torn by the kill
        requests_before = len(server.requests)
        resumed = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        assert f"{6 - len(before)} to run" in resumed.stderr
    after = lines(out / "results.jsonl")
    keys = Counter((r["task"], r["repeat"]) for r in after)
    assert set(keys) == {(t, k) for t in ("tab-along", "no-pizza") for k in range(1, 4)}
    assert max(keys.values()) == 1, keys  # no episode twice
    for key, old in before.items():  # the finished ones were kept, not re-run
        new = next(r for r in after if (r["task"], r["repeat"]) == key)
        assert new["finished_at"] == old["finished_at"]
    assert all(r["success"] for r in after)
    assert len(server.requests) > requests_before
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["episodes"], summary["succeeded"]) == (6, 6)
    for r in after:
        assert json.loads((out / r["run_dir"] / "run.json").read_text())["outcome"] in ("done", "failed")
    assert os.path.exists(out / "report.html")


def test_ctrl_c_stops_and_resume_finishes(tmp_path):
    tab = glm_answer("key(keys='tab')")
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    out = tmp_path / "out"
    with plan_server({"Press tab": [tab, tab, glm_answer("DONE()")], "pizza": [glm_answer("FAIL()")]},
                     delay=0.3) as server:
        args = [GUIAGENT, "eval", str(suite), "--model-url", server.base_url, "--repeat", "2",
                "--out", str(out)]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                preexec_fn=interruptible)
        try:
            wait_for(lambda: len(lines(out / "results.jsonl")) >= 1 or proc.poll() is not None, 180,
                     "a finished episode")
            assert proc.poll() is None, "the suite finished before Ctrl-C"
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 130, stderr
        assert "run again with --resume" in stderr and "Traceback" not in stderr
        before = lines(out / "results.jsonl")
        assert 1 <= len(before) < 4
        resumed = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
    after = lines(out / "results.jsonl")
    assert sorted((r["task"], r["repeat"]) for r in after) == [
        ("no-pizza", 1), ("no-pizza", 2), ("tab-along", 1), ("tab-along", 2)]
    assert after[:len(before)] == before
