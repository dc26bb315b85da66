"""The Ray backend: same results as the local backend, run folders shipped home, two nodes used.

One local Ray (2 logical CPUs) serves the module; the two-node test replaces it
with a cluster on 127.0.0.1 built by Ray's own ``ray.cluster_utils.Cluster``.
Episodes are MiniWoB++ click tasks answered by a stand-in that reads the
screenshots it is sent (OCR, colours), so results are real and deterministic
(seeded problems, no randomness in the stand-in).
"""

import json
import sys

import pytest
import ray

from guiagent.errors import ConfigError
from guiagent.eval.backends import LocalBackend
from guiagent.eval.episode import EpisodeSpec, EvalSettings
from guiagent.eval.miniwob import load_suite
from guiagent.eval.tasks import select_tasks
from guiagent.model import ModelSettings
from guiagent.testing.miniwob_policy import MiniwobPolicy
from guiagent.testing.model_server import GlmModelServer

# Ray's node start-up may drop Popen handles of processes it keeps running (a ResourceWarning
# when collected): Ray's business, not a leak of ours, and only GC timing decides when it shows.
pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::ResourceWarning")]

TASKS = ["click-button", "click-color", "click-checkboxes"]


@pytest.fixture(scope="module")
def policy_server():
    with GlmModelServer(MiniwobPolicy()) as server:
        yield server


@pytest.fixture(scope="module")
def settings(policy_server):
    return EvalSettings(model=ModelSettings(base_url=policy_server.base_url, timeout=30))


@pytest.fixture
def local_ray():
    """The module's local Ray (started on first use; the cluster test may have replaced it)."""
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 _node_ip_address="127.0.0.1")
    yield ray


@pytest.fixture(scope="module", autouse=True)
def _shutdown_ray():
    yield
    if ray.is_initialized():
        ray.shutdown()


def _specs(out, names, repeats=1):
    tasks = select_tasks(load_suite(), names)
    return [EpisodeSpec(task=t, repeat=r, out_dir=out) for t in tasks for r in range(repeats)]


def _verdict(check):
    return check.passed, {k: v for k, v in check.found.items() if k != "reward"}


def _run(backend, specs):
    results = []
    backend.run(specs, results.append)
    return {(r.task, r.repeat): r for r in results}


def test_ray_gives_the_same_per_task_results_as_local(tmp_path, settings, local_ray):
    from guiagent.eval.ray_backend import RayBackend

    local = _run(LocalBackend(settings, workers=1), _specs(tmp_path / "local", TASKS))
    remote = _run(RayBackend(settings, workers=2), _specs(tmp_path / "ray", TASKS))
    assert local.keys() == remote.keys() == {(name, 0) for name in TASKS}
    for key, want in local.items():
        got = remote[key]
        assert (got.success, got.outcome, got.steps) == (want.success, want.outcome, want.steps), key
        # the page's own verdict, minus the time-decayed reward (it depends on how long a step took)
        assert [_verdict(c) for c in got.checks] == [_verdict(c) for c in want.checks], key
        assert got.extra["ray_node"]
        # the run folder came home: log, screenshots and report, where results.jsonl says
        run_dir = tmp_path / "ray" / got.run_dir
        record = json.loads((run_dir / "run.json").read_text())
        assert record["totals"]["steps"] == got.steps
        assert len(list((run_dir / "screenshots").iterdir())) == got.steps
        assert (run_dir / "report.html").is_file()
        episode = json.loads((run_dir.parent / "episode.json").read_text())
        assert episode["extra"]["ray_node"] == got.extra["ray_node"]
    assert local[("click-button", 0)].success and not local[("click-checkboxes", 0)].success
    assert ray.is_initialized(), "a Ray the backend did not start must be left running"


def test_two_node_cluster_runs_episodes_on_both_nodes(tmp_path, settings):
    from ray.cluster_utils import Cluster

    from guiagent.eval.ray_backend import RayBackend

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        specs = _specs(tmp_path, ["click-button", "click-link"])
        results = _run(RayBackend(settings, workers=2, address=cluster.address), specs)
        assert len(results) == 2
        used = {r.extra["ray_node"] for r in results.values()}
        assert len(used) == 2, used
        for spec in specs:
            result = results[(spec.task.id, spec.repeat)]
            assert result.error is None, result.error
            assert (tmp_path / result.run_dir / "run.json").is_file()
            assert (spec.episode_dir / "episode.json").is_file()
        assert not ray.is_initialized(), "the backend shuts down the connection it opened"
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


def test_missing_ray_is_a_config_error_naming_the_extra(monkeypatch, settings):
    from guiagent.eval.ray_backend import RayBackend

    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` sees when it is not installed
    with pytest.raises(ConfigError, match=r"pip install 'guiagent\[ray\]'"):
        RayBackend(settings, workers=2)


SUITE = """\
- id: wedged
  instruction: Wait.
  url: "about:blank"
  time_limit: 1
  setup:
    - python: helpers:forever
  evaluate:
    - python: helpers:always
- id: local-check
  instruction: Report done.
  url: "about:blank"
  setup:
    - python: helpers:instruction
  evaluate:
    - python: helpers:always
"""

HELPERS = '''\
import time


def forever(ctx):
    time.sleep(3600)


def instruction(ctx):
    return "Report done (from helpers.py on the worker)."


def always(ctx):
    return True, "helpers.py ran on the worker"
'''


def test_suite_modules_travel_and_a_wedged_episode_is_stopped(tmp_path, settings, local_ray):
    """helpers.py beside the suite reaches the worker; an episode past its deadline loses its actor."""
    from guiagent.eval.ray_backend import RayBackend
    from guiagent.eval.tasks import load_suite_path

    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "tasks.yaml").write_text(SUITE)
    (suite / "helpers.py").write_text(HELPERS)
    tasks = load_suite_path(suite / "tasks.yaml")
    specs = [EpisodeSpec(task=t, repeat=1, out_dir=tmp_path / "out") for t in tasks]
    quick = settings.model_copy(update={"infra_retries": 0})
    results = _run(RayBackend(quick, workers=2, grace_seconds=2), specs)
    wedged, done = results[("wedged", 1)], results[("local-check", 1)]
    assert wedged.error_kind == "infra" and "did not finish within its time limit" in wedged.error
    assert done.success, done
    assert done.checks[0].found == "helpers.py ran on the worker"
    record = json.loads((tmp_path / "out" / done.run_dir / "run.json").read_text())
    assert record["task"] == "Report done (from helpers.py on the worker)."


def test_policy_and_secrets_files_reach_the_worker_as_private_copies(tmp_path, settings):
    """Workers share no disk: the driver reads --policy/--secrets-file, each actor writes its own copy."""
    from guiagent.eval.ray_backend import EpisodeActor, RayBackend

    policy, secrets = tmp_path / "policy.yaml", tmp_path / "secrets.env"
    policy.write_text("deny_keys: [ctrl+q]\n")
    secrets.write_text("PIN=4242\n")
    backend = RayBackend(settings.model_copy(update={"policy": policy, "secrets_file": secrets}))
    shipped = backend._setting_files()
    actor = EpisodeActor(settings, {}, shipped)  # what a Ray worker builds from them
    try:
        copy = actor.worker.settings.policy
        assert copy != policy and copy.read_text() == "deny_keys: [ctrl+q]\n"
        assert actor.worker.settings.secrets_file.read_text() == "PIN=4242\n"
        assert copy.stat().st_mode & 0o777 == 0o600
    finally:
        actor.close()
    assert not copy.exists()
    missing = RayBackend(settings.model_copy(update={"policy": tmp_path / "nope.yaml"}))
    with pytest.raises(ConfigError, match="cannot read --policy"):
        missing._setting_files()
