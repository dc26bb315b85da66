"""The office suite: its tasks, the screen-reading stand-in, and episodes end to end on LibreOffice."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from guiagent.eval.checks import load_file_options
from guiagent.eval.tasks import load_suite
from guiagent.testing import ModelRequest, office_plans
from guiagent.testing.desktop_plans import Type, make_mistake, plan_for
from guiagent.testing.policy_server import MAX_WAITS, Policy, load_plans, normalise_task, policy_server

GUIAGENT = str(Path(sys.executable).with_name("guiagent"))
PLAN_OF = {"calc-table-xlsx": "calc-table", "calc-sum-formula": "calc-sum",
           "calc-edit-budget": "calc-edit", "writer-paragraph-odt": "writer-paragraphs",
           "writer-letter-docx": "writer-paragraphs", "writer-append-memo": "writer-append"}


def test_office_suite_is_bundled_and_every_task_has_a_plan():
    tasks = load_suite("office")
    assert [t.id for t in tasks] == list(PLAN_OF)
    options = load_file_options()
    for task in tasks:
        assert task.kind == "desktop" and task.desktop is not None
        for check in task.evaluate:
            for spec in [c.file for c in getattr(check, "any", [check])]:
                assert set(spec.options) <= set(options), task.id
        plan = plan_for(task.instruction)
        assert plan is not None and plan.name == PLAN_OF[task.id], task.id
        for item in task.desktop.files:
            assert (task.base_dir / item.from_).is_file()


def test_the_plans_read_their_values_from_the_instruction():
    (table,) = [t for t in load_suite("office") if t.id == "calc-table-xlsx"]
    typed = [s.text for s in plan_for(table.instruction).steps if isinstance(s, Type)]
    assert typed == ["Fruit", "Count", "Apples", "3", "Pears", "4", "fruit"]
    other = table.instruction.replace("Pears | 4", "Plums | 9").replace("fruit.xlsx", "f2.xlsx")
    typed = [s.text for s in plan_for(other).steps if isinstance(s, Type)]
    assert typed == ["Fruit", "Count", "Apples", "3", "Plums", "9", "f2"]
    assert plan_for("Order a pizza.") is None
    wrong = [s.text for s in make_mistake(plan_for(table.instruction).steps) if isinstance(s, Type)]
    assert wrong[3] == "4"  # the first number is off by one


def request(task: str, history: list[str]) -> ModelRequest:
    steps = "".join(f"step {i}: {h}\n" for i, h in enumerate(history, start=1))
    text = f"# Task\n{task}\n\n# History\n{steps}Memory:\n[]"
    return ModelRequest(body={}, text=text, images=[Image.new("RGB", (1280, 720), "white")],
                        image_mimes=["image/png"], index=0)


def test_the_policy_server_waits_for_what_a_desktop_step_needs():
    (memo,) = [t for t in load_suite("office") if t.id == "writer-append-memo"]
    policy = Policy(load_plans())
    first = policy(request(memo.instruction, [])).content
    assert "key(keys='ctrl+end')" in first and "(plan step 1 of 6)" in first
    done = ["I press ctrl+end. (plan step 1 of 6)", "I press enter. (plan step 2 of 6)",
            "I type it. (plan step 3 of 6)", "I press ctrl+s. (plan step 4 of 6)"]
    third = policy(request(memo.instruction, done[:2])).content
    assert "type(content='Please lock all doors.')" in third
    # Enter only once the keep-format dialog can be read: on a blank screen the model waits
    # (not scroll, which would move the document), and gives up after MAX_WAITS.
    waiting = policy(request(memo.instruction, done)).content
    assert "WAIT()" in waiting and "plan step" not in waiting.split("</think>")[1]
    gave_up = policy(request(memo.instruction, done + ["WAIT()"] * MAX_WAITS)).content
    assert "FAIL()" in gave_up


@pytest.mark.desktop
@pytest.mark.office
def test_office_tasks_end_to_end_scored_on_the_saved_files(tmp_path):
    """Two workers, real LibreOffice, the CLI: two tasks done right, one DONE with a wrong file."""
    out = tmp_path / "out"
    plans = office_plans.plans()
    (memo,) = [t for t in load_suite("office") if t.id == "writer-append-memo"]
    plans[memo.instruction] = office_plans.intentions(  # this model types a sentence wrong
        make_mistake(plan_for(memo.instruction).steps))
    with policy_server({normalise_task(k): v for k, v in plans.items()}) as server:
        proc = subprocess.run(
            [GUIAGENT, "eval", "office", "--model-url", server.base_url, "--workers", "2",
             "--task", "writer-paragraph-odt", "--task", "calc-edit-budget",
             "--task", "writer-append-memo", "--out", str(out)],
            capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {r["task"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert set(results) == {"writer-paragraph-odt", "calc-edit-budget", "writer-append-memo"}
    for name in ("writer-paragraph-odt", "calc-edit-budget"):
        assert results[name]["success"], results[name]
        assert results[name]["error_kind"] is None
    budget = results["calc-edit-budget"]["checks"][0]["found"]["cells"]
    assert budget == {"A2": "Rent", "B2": 900, "B3": 350, "B4": 150, "A5": "Total", "B5": 1400}
    # The file itself, as the agent left it in the episode's work folder.
    import openpyxl
    saved = out / "episodes" / "calc-edit-budget-r1" / "work" / "budget.xlsx"
    assert openpyxl.load_workbook(saved)["Budget"]["B5"].value.upper() == "=SUM(B2:B4)"
    # The model said DONE, but the saved memo is wrong: the episode scores 0, with evidence.
    memo = results["writer-append-memo"]
    assert memo["outcome"] == "done" and not memo["success"]
    assert memo["category"] == "checks_failed"
    found = memo["checks"][0]["found"]["paragraphs"]
    assert found[:2] == ["Memo", "The office is closed on Friday."]
    assert re.fullmatch(r"Please lock all door\.s", found[2])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 3 and summary["succeeded"] == 2
