"""Infrastructure errors are retried from scratch and reported apart from the agent's failures."""

import itertools
import json
import os
import signal

import pytest

from guiagent.eval.episode import EpisodeSpec, EvalSettings, Worker, run_episode
from guiagent.eval.results import summarize
from guiagent.eval.tasks import parse_tasks
from guiagent.model import ModelSettings
from guiagent.testing.model_server import GlmModelServer, Reply, glm_answer

pytestmark = pytest.mark.browser

TASKS = parse_tasks("""\
- id: pizza
  instruction: Order a pizza on this site.
  url: "{sandbox}/"
  evaluate: [{infeasible: true}]
- id: broken-setup
  instruction: Anything.
  url: "{sandbox}/"
  setup: [{python: "no_such_module_here:prepare"}]
  evaluate: [{infeasible: true}]
""", "inline.yaml")


def failing_first(n):
    """A model server that answers 503 to the first ``n`` requests, then FAIL()."""
    counter = itertools.count()
    return GlmModelServer(lambda req: Reply("overloaded", status=503) if next(counter) < n
                          else glm_answer("FAIL()"))


@pytest.fixture
def worker_for(shared_browser):
    workers = []

    def make(server, retries):
        settings = EvalSettings(model=ModelSettings(base_url=server.base_url, retries=0),
                                infra_retries=retries)
        worker = Worker(settings)
        worker.browser = shared_browser  # share the module's Chromium
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker._scratch.cleanup()


def test_a_model_server_failing_once_is_retried_and_the_episode_counts(tmp_path, worker_for):
    with failing_first(1) as server:
        result = run_episode(EpisodeSpec(TASKS[0], 1, tmp_path), worker_for(server, retries=2))
    assert (result.success, result.attempts, result.error_kind, result.outcome) == (True, 2, None, "failed")
    # The folder holds the successful attempt only.
    run = json.loads((tmp_path / result.run_dir / "run.json").read_text())
    assert run["outcome"] == "failed" and run["error"] is None
    assert json.loads((tmp_path / "episodes" / "pizza-r1" / "episode.json").read_text())["attempts"] == 2


def test_a_model_server_failing_beyond_the_retries_is_an_infra_error(tmp_path, worker_for):
    with failing_first(100) as server:
        result = run_episode(EpisodeSpec(TASKS[0], 1, tmp_path), worker_for(server, retries=1))
        assert len(server.requests) == 2  # one request per attempt (the client itself retries 0 times)
    assert (result.success, result.attempts, result.error_kind, result.category) == (False, 2, "infra", "infra")
    assert "attempt 1:" in result.error and "attempt 2:" in result.error and "503" in result.error
    summary = summarize([result])
    assert summary["infra_errors"] == 1 and summary["failure_categories"] == {"infra": 1}


def test_a_crashed_browser_is_infra_and_the_retry_gets_a_new_one(tmp_path, worker_for, shared_browser):
    cdp = shared_browser.get().new_browser_cdp_session()
    processes = cdp.send("SystemInfo.getProcessInfo")["processInfo"]
    (pid,) = [p["id"] for p in processes if p["type"] == "browser"]
    click = glm_answer("left_click(start_box='[500,500]', element_info='page')")

    def crash_then_fail(req):
        if req.index == 0:
            os.kill(pid, signal.SIGKILL)  # the browser dies under the agent
            return click
        return glm_answer("FAIL()")

    with GlmModelServer(crash_then_fail) as server:
        worker = worker_for(server, retries=1)
        launches = shared_browser.launches
        result = run_episode(EpisodeSpec(TASKS[0], 1, tmp_path), worker)
    assert (result.success, result.attempts, result.outcome) == (True, 2, "failed"), result.error
    assert shared_browser.launches == launches + 1
    assert shared_browser.get().is_connected()


def test_a_broken_setup_is_a_task_error_not_retried(tmp_path, worker_for):
    with failing_first(0) as server:
        result = run_episode(EpisodeSpec(TASKS[1], 1, tmp_path), worker_for(server, retries=2))
        assert server.requests == []
    assert (result.error_kind, result.category, result.attempts) == ("task", "task_error", 1)
    assert "no_such_module_here" in result.error


WEDGED_SUITE = """\
- id: wedged
  instruction: Anything.
  url: "{sandbox}/"
  time_limit: 1
  setup: [{python: "hang:forever"}]
  evaluate: [{infeasible: true}]
- id: pizza-1
  instruction: Order a pizza on this site.
  url: "{sandbox}/"
  evaluate: [{infeasible: true}]
- id: pizza-2
  instruction: Order a pizza here.
  url: "{sandbox}/"
  evaluate: [{infeasible: true}]
"""


def test_a_wedged_worker_is_stopped_and_the_rest_runs_on(tmp_path):
    import time

    from guiagent.eval.backends import LocalBackend
    from guiagent.eval.tasks import load_suite

    (tmp_path / "hang.py").write_text("import time\n\ndef forever(ctx):\n    time.sleep(3600)\n")
    (tmp_path / "suite.yaml").write_text(WEDGED_SUITE)
    tasks = load_suite(str(tmp_path / "suite.yaml"))
    results = []
    with failing_first(0) as server:
        settings = EvalSettings(model=ModelSettings(base_url=server.base_url), infra_retries=0)
        backend = LocalBackend(settings, workers=2, grace_seconds=2)
        t0 = time.monotonic()
        backend.run([EpisodeSpec(t, 1, tmp_path / "out") for t in tasks], results.append)
        elapsed = time.monotonic() - t0
    by = {r.task: r for r in results}
    assert sorted(by) == ["pizza-1", "pizza-2", "wedged"] and len(results) == 3
    assert (by["wedged"].error_kind, by["wedged"].outcome) == ("infra", "max_time")
    assert "did not finish within 3 s" in by["wedged"].error
    # The worker said where it hung before it was stopped (in the task's own sleep, or, on a
    # loaded machine, still starting its browser: either way inside the episode).
    assert "episodes/wedged-r1/stacks.txt" in by["wedged"].error
    stacks = (tmp_path / "out" / "episodes" / "wedged-r1" / "stacks.txt").read_text()
    assert "in run_episode" in stacks and "in _run_in_worker" in stacks
    assert by["pizza-1"].success and by["pizza-2"].success
    assert elapsed < 120
