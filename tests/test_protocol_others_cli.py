"""`guiagent run --protocol X` fills and submits the sandbox contact form against X's stand-in."""

import json
import subprocess
import sys

import pytest
from contact_plan import CONTACT_PLAN, CONTACT_TASK, assert_contact_row

from guiagent.testing import plan_intentions, standin_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def contact_plan(web_sandbox):
    return plan_intentions(web_sandbox.url + "/contact", CONTACT_PLAN)


@pytest.mark.parametrize(("protocol", "model"), [
    (None, "ByteDance-Seed/UI-TARS-1.5-7B"),  # ui-tars, chosen from the served model's name
    ("ui-tars", None),
    ("qwen25vl", None),
    ("qwen3vl", None),
    ("json", None),
])
def test_cli_run_with_each_protocol(protocol, model, sandbox, contact_plan, tmp_path):
    out = tmp_path / "run"
    family = protocol or "ui-tars"
    with standin_server(family, contact_plan) as server:
        args = [sys.executable, "-m", "guiagent.cli.main", "run", CONTACT_TASK,
                "--url", sandbox.url + "/contact", "--model-url", server.base_url,
                "--out", str(out), "--max-steps", "30"]
        args += ["--protocol", protocol] if protocol else ["--model", model]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert family in proc.stderr + proc.stdout
    rows = sandbox.submissions("contact")
    assert len(rows) == 1
    assert_contact_row(rows[0])
    run = json.loads((out / "run.json").read_text())
    assert run["outcome"] == "done" and run["protocol"] == family
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    assert len(steps) == len(contact_plan)
    if family in ("ui-tars", "qwen25vl"):  # answers in pixels: the raw points are kept
        raw = steps[0]["extra"]["raw_points"]["start_box"]
        point = steps[0]["action"]["start_box"]  # normalised: thousandths of the screenshot
        # 1280x720 is seen as 1288x728 by both families' processors.
        assert point["x"] == pytest.approx(raw["x"] / 1288 * 1000, abs=0.01)
        assert point["y"] == pytest.approx(raw["y"] / 728 * 1000, abs=0.01)
