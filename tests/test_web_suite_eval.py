"""The bundled web suite end to end: ``guiagent eval web`` against the stand-in policy server.

With no wrong answers every task must succeed: that proves each task is
solvable through the pixels alone and each of its checks is right. With a
seeded wrong-answer rate the same run shows real failures, scored 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guiagent.eval.tasks import load_suite
from guiagent.testing.policy_server import policy_server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]  # ~1.5 min on 2 idle cores


def run_eval(tmp_path: Path, url: str, *args: str, env: dict[str, str] | None = None,
             ) -> tuple[list[dict], dict]:
    """``guiagent eval web`` as a user runs it (4 workers unless ``args`` say otherwise)."""
    out = tmp_path / "results"
    env = os.environ | {"OMP_THREAD_LIMIT": "1"} | (env or {})
    # --time-limit: an episode takes seconds; a wedged one is stopped after 150 + 60 s and its
    # worker's stacks land in the episode folder (failures() prints them) instead of the test
    # timing out with nothing to show.
    proc = subprocess.run([sys.executable, "-m", "guiagent.cli.main", "eval", "web", "--workers", "4",
                           "--model-url", url, "--retries", "0", "--time-limit", "150",
                           "--out", str(out), *args],
                          capture_output=True, text=True, timeout=1200, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:] + stacks(out)
    # Deleting and placing orders need a person's yes by default; the suite's own policy (the
    # throwaway sandbox) lets them through unless --policy says otherwise.
    assert "policy: the web suite's own" in proc.stderr
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert (out / "report.html").is_file()
    return results, json.loads((out / "summary.json").read_text())


def stacks(out: Path) -> str:
    """The stacks of workers stopped as wedged, to tell where an episode hung."""
    return "".join(f"\n--- {path}\n{path.read_text()[-6000:]}"
                   for path in sorted(out.glob("episodes/*/stacks.txt")))


def failures(results: list[dict], out: Path | None = None) -> str:
    return "\n".join(f"{r['task']}: {r['outcome']} {r.get('error')} "
                     f"{[c for c in r['checks'] if not c['passed']]} run {r['run_dir']}"
                     for r in results if not r["success"]) + (stacks(out) if out else "")


def test_every_web_task_succeeds_with_a_faultless_policy(tmp_path: Path) -> None:
    with policy_server() as server:
        results, summary = run_eval(tmp_path, server.base_url)
    ids = {t.id for t in load_suite("web")}
    assert {r["task"] for r in results} == ids and len(results) == len(ids)
    assert all(r["success"] for r in results), failures(results, tmp_path / "results")
    assert summary["success_rate"] == 1.0
    by_id = {r["task"]: r for r in results}
    assert by_id["no-pizza"]["outcome"] == "failed"        # FAIL on an infeasible task scores 1
    assert by_id["order-total"]["outcome"] == "answered"
    assert all(c["passed"] for r in results for c in r["checks"])


WRONG_TASKS = ["order-delete", "order-cancel", "settings-notifications", "balance-due",
               "no-pizza", "export-orders-pdf", "profile-phone", "order-add-note"]
WRONG = {"wrong_rate": 0.35, "seed": 3}


@pytest.fixture(scope="module")
def wrong_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], dict, set[str]]:
    """The local run of some tasks against a policy that errs on about a third of its answers."""
    with policy_server(**WRONG) as server:  # type: ignore[arg-type]
        results, summary = run_eval(tmp_path_factory.mktemp("local"), server.base_url,
                                    *[a for t in WRONG_TASKS for a in ("--task", t)])
        wrong = {d.task for d in server.responder.decisions if d.wrong}
    return results, summary, wrong


def test_wrong_answers_are_scored_as_failures(wrong_run: tuple[list[dict], dict, set[str]]) -> None:
    results, summary, wrong = wrong_run
    assert len(results) == len(WRONG_TASKS)
    failed = [r for r in results if not r["success"]]
    assert failed and len(failed) < len(WRONG_TASKS), failures(results)
    assert summary["succeeded"] == len(WRONG_TASKS) - len(failed)
    # every failure is the agent's (a wrong action), with the failing check as evidence
    for r in failed:
        assert r["error_kind"] != "infra", r
        assert any(not c["passed"] for c in r["checks"]), r
    # a DONE whose checks fail scores 0
    assert any(r["outcome"] == "done" for r in failed), failures(results)
    instructions = {t.id: " ".join(t.instruction.split()) for t in load_suite("web")}
    assert {r["task"] for r in failed} <= {t for t, i in instructions.items() if i in wrong}


def test_ray_backend_gives_the_same_per_task_results(
        wrong_run: tuple[list[dict], dict, set[str]], tmp_path: Path) -> None:
    with policy_server(**WRONG) as server:  # type: ignore[arg-type]
        # RAY_ADDRESS=local: a Ray of its own, even when another one runs on this machine
        results, _ = run_eval(tmp_path, server.base_url, "--backend", "ray",
                              *[a for t in WRONG_TASKS for a in ("--task", t)],
                              env={"RAY_ADDRESS": "local"})
    local = {r["task"]: (r["success"], r["outcome"], r["steps"]) for r in wrong_run[0]}
    assert {r["task"]: (r["success"], r["outcome"], r["steps"]) for r in results} == local
    assert all((tmp_path / "results" / r["run_dir"] / "run.json").is_file() for r in results)
