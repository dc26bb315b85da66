"""``guiagent eval`` end to end: the issue's example suite against a stand-in model over real HTTP."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from guiagent.cli.main import app
from guiagent.testing.model_server import glm_answer

sys.path.insert(0, str(Path(__file__).parent))
from eval_standin import CONTACT_TASK, contact_answers, plan_server  # noqa: E402

EXAMPLE = Path(__file__).parent / "suites" / "issue_example.yaml"
GUIAGENT = str(Path(sys.executable).with_name("guiagent"))

SCORING = """\
- id: lazy-contact
  instruction: Claim that you sent the contact form.
  url: "{sandbox}/contact"
  tags: [forms]
  evaluate:
    - sql: {query: "select count(*) from submissions where form = 'contact'", expect: [[1]]}
- id: pizza-done
  instruction: Claim that you ordered a pizza.
  url: "{sandbox}/"
  tags: [infeasible]
  evaluate:
    - infeasible: true
"""


@pytest.fixture(scope="module")
def standin():
    done = [glm_answer("DONE()", explanation="All done.")]
    with plan_server({CONTACT_TASK: contact_answers(), "Claim that": done}) as server:
        yield server


def read_results(out):
    return {(r["task"], r["repeat"]): r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}


@pytest.mark.browser
def test_issue_example_suite_end_to_end_with_two_workers(tmp_path, standin):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "example.yaml").write_text(EXAMPLE.read_text())
    (suite / "scoring.yaml").write_text(SCORING)
    out = tmp_path / "out"
    proc = subprocess.run([GUIAGENT, "eval", str(suite), "--model-url", standin.base_url,
                           "--workers", "2", "--out", str(out)], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr
    results = read_results(out)
    assert set(results) == {("contact-basic", 1), ("no-pizza", 1), ("lazy-contact", 1), ("pizza-done", 1)}
    contact = results[("contact-basic", 1)]
    assert contact["success"] and contact["outcome"] == "done" and contact["steps"] == 11
    assert [c["passed"] for c in contact["checks"]] == [True, True]
    assert "Thank you, Ada Lovelace" in contact["checks"][1]["found"]["text"]
    # The sandbox database of the episode holds exactly the agent's submission.
    import sqlite3
    db = out / "episodes" / "contact-basic-r1" / "sandbox.sqlite3"
    row = sqlite3.connect(db).execute("select json_extract(data, '$.full_name'), "
                                      "json_extract(data, '$.topic') from submissions").fetchall()
    assert row == [("Ada Lovelace", "Billing")]
    # An infeasible task answered FAIL scores 1; DONE with failing checks scores 0.
    assert results[("no-pizza", 1)]["success"] and results[("no-pizza", 1)]["outcome"] == "failed"
    lazy = results[("lazy-contact", 1)]
    assert lazy["outcome"] == "done" and not lazy["success"] and lazy["category"] == "checks_failed"
    assert lazy["checks"][0]["found"] == [[0]]
    assert results[("pizza-done", 1)]["category"] == "missed_infeasible"
    for r in results.values():
        assert (out / r["run_dir"] / "report.html").is_file()
        assert r["tokens"] > 0 and r["seconds"] > 0
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["episodes"], summary["succeeded"], summary["success_rate"]) == (4, 2, 0.5)
    assert summary["protocol"] == "glm41v-pc" and "protocol: glm41v-pc (from the model name" in \
        " ".join(proc.stderr.split())
    assert summary["failure_categories"] == {"checks_failed": 1, "missed_infeasible": 1}
    assert summary["per_tag"]["forms"]["succeeded"] == 0
    assert summary["per_task"]["contact-basic"]["ci95"][1] == 1.0
    assert (out / "report.html").is_file()
    assert "success: 2/4" in proc.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, message", [
    (["no-such-suite"], "no suite 'no-such-suite'"),
    ([str(EXAMPLE), "--task", "zzz*"], "no task of suite"),
    ([str(EXAMPLE), "--backend", "carrier-pigeon"], "--backend must be local or ray"),
])
def test_config_errors_exit_2(args, message, standin, tmp_path):
    result = CliRunner().invoke(app, ["eval", *args, "--model-url", standin.base_url,
                                      "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "o").exists()


def test_bad_suite_file_and_unreachable_server_exit_2(tmp_path, standin):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x\n  instruction: y\n  url: u\n  evaluate:\n    - sql: {query: 1}\n")
    result = CliRunner().invoke(app, ["eval", str(bad), "--model-url", standin.base_url])
    assert result.exit_code == 2 and "bad.yaml:5" in result.output
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = CliRunner().invoke(app, ["eval", str(EXAMPLE), "--model-url", url, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "unreachable" in result.output


@pytest.mark.browser
def test_allow_domain_keeps_the_episode_on_its_sandbox(tmp_path, standin):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eval", str(EXAMPLE), "--task", "contact-basic", "--model-url",
                                      standin.base_url, "--allow-domain", "example.org", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (r,) = read_results(out).values()
    assert r["success"], r
    run = json.loads((out / r["run_dir"] / "run.json").read_text())
    allowed = run["driver"]["allow_domains"]
    assert allowed[0] == "example.org" and allowed[1].startswith("127.0.0.1:")


@pytest.mark.browser
def test_a_suite_where_every_episode_hit_infrastructure_exits_3(tmp_path):
    from guiagent.testing.model_server import GlmModelServer, Reply

    out = tmp_path / "out"
    with GlmModelServer(lambda req: Reply("overloaded", status=503)) as server:
        result = CliRunner().invoke(app, ["eval", str(EXAMPLE), "--task", "no-pizza", "--model-url",
                                          server.base_url, "--retries", "0", "--infra-retries", "0",
                                          "--out", str(out)])
    assert result.exit_code == 3, result.output
    assert "nothing was measured" in result.output
    (r,) = read_results(out).values()
    assert r["error_kind"] == "infra"
    assert json.loads((out / "summary.json").read_text())["infra_errors"] == 1
