"""Bundled web skills in real Chromium, checked on what the servers recorded; no model."""

import json

import pytest
from pages.server import PageServer

from guiagent import PlaywrightDriver
from guiagent.errors import TargetNotFoundError
from guiagent.runlog import read_run
from guiagent.skills import find_skill, parse_skill, run_skill

pytestmark = pytest.mark.browser

RECORD = {
    "Full name": "Ada Lovelace",
    "Email address": "ada@example.org",
    "Topic": "Billing",
    "Preferred date": "2026-12-24",
    "Message": "Please send the invoice for Müller & Co. — €42, thanks!",
    "Preferred contact": "Phone",
    "I accept the terms": True,
    "Subscribe to newsletter": False,
}


def test_login_skill_signs_in_and_keeps_the_password_out_of_the_log(sandbox, tmp_path):
    with PlaywrightDriver(sandbox.url + "/login") as driver:
        result = run_skill(find_skill("login"), driver,
                           {"username": "demo", "password": "demo123", "expect": "Welcome"},
                           run_dir=tmp_path / "run")
        assert "Welcome, demo" in driver.page.inner_text("body")
    assert result.outcome == "done", result.error
    assert [r["data"] for r in sandbox.submissions("login")] == [
        {"username": "demo", "success": True}]
    record, steps = read_run(tmp_path / "run")
    assert record.kind == "skill" and record.outcome == "done"
    assert record.extra["skill"]["params"]["password"] == "***"
    logged = (tmp_path / "run" / "steps.jsonl").read_text() + (tmp_path / "run" / "run.json").read_text()
    assert "demo123" not in logged and "{{secret:password}}" in logged
    clicks = [s for s in steps if s.action is not None and s.action.action == "left_click"]
    assert [s.extra["grounding"]["grounder"] for s in clicks] == ["dom", "dom", "dom"]
    # The executed pixel is inside the element the DOM reported.
    box = clicks[0].extra["grounding"]["box"]
    point = clicks[0].executed[0].model
    assert box["x1"] <= point.x <= box["x2"] and box["y1"] <= point.y <= box["y2"]


def test_login_with_a_wrong_password_fails_at_the_check(sandbox, tmp_path):
    with PlaywrightDriver(sandbox.url + "/login") as driver:
        result = run_skill(find_skill("login"), driver,
                           {"username": "demo", "password": "nope", "expect": "Welcome"},
                           run_dir=tmp_path / "run")
    assert result.outcome == "failed"
    assert "'Welcome' is not visible" in result.record.error.message
    assert "Invalid username or password" in result.record.error.message
    assert sandbox.submissions("login")[0]["data"]["success"] is False


def test_fill_web_form_fills_the_sandbox_contact_form(sandbox, tmp_path):
    with PlaywrightDriver(sandbox.url + "/contact") as driver:
        result = run_skill(find_skill("fill_web_form"), driver,
                           {"record": RECORD, "submit": "Send message", "expect": "Thank you"},
                           run_dir=tmp_path / "run")
    assert result.outcome == "done", result.error
    assert result.steps[-1].extra.get("verify") == "ok"  # the confirmation, read back at the end
    rows = sandbox.submissions("contact")
    assert len(rows) == 1
    assert rows[0]["data"] == {
        "full_name": "Ada Lovelace", "email": "ada@example.org", "topic": "Billing",
        "preferred_date": "2026-12-24", "message": RECORD["Message"],
        "preferred_contact": "Phone", "terms": True, "newsletter": False}


def test_fields_below_the_fold_are_scrolled_to_with_the_wheel(sandbox, tmp_path):
    with PlaywrightDriver(sandbox.url + "/contact", viewport="1280x360") as driver:
        result = run_skill(find_skill("fill_web_form"), driver,
                           {"record": RECORD, "submit": "Send message", "expect": "Thank you"},
                           run_dir=tmp_path / "run")
    assert result.outcome == "done", result.error
    assert sandbox.submissions("contact")[0]["data"]["preferred_contact"] == "Phone"
    assert any(s.action is not None and s.action.action == "scroll" for s in result.steps)


def test_fill_web_form_fills_a_differently_built_form(tmp_path):
    """Same record, other markup: table cells as labels, aria-label, aria-labelledby,
    placeholder only, a radiogroup, wrapping labels, a pre-checked box, other order."""
    with PageServer() as server, PlaywrightDriver(server.url + "/feedback.html") as driver:
        result = run_skill(find_skill("fill_web_form"), driver,
                           {"record": RECORD, "submit": "Send message", "expect": "Thanks"},
                           run_dir=tmp_path / "run")
        assert result.outcome == "done", result.error
        assert len(server.posts) == 1
        post = server.posts[0]
    assert post == {"msg": [RECORD["Message"]], "subject": ["billing"], "company": [""],
                    "fullname": ["Ada Lovelace"], "mail": ["ada@example.org"],
                    "when": ["2026-12-24"], "via": ["phone"], "phone_number": [""],
                    "agree": ["on"]}  # "news" was checked and is now unchecked: absent
    _, steps = read_run(tmp_path / "run")
    how = " | ".join(s.extra.get("grounding", {}).get("how", "") for s in steps)
    for strategy in ("visual label", "placeholder", "label (exact) 'Email address'",
                     "choice 'Phone' of group"):
        assert strategy in how


def test_params_file_and_cli_run(sandbox, tmp_path):
    import subprocess
    import sys

    record = tmp_path / "record.json"
    record.write_text(json.dumps(RECORD, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "cli-run"
    proc = subprocess.run(
        [sys.executable, "-m", "guiagent.cli.main", "skill", "run", "fill_web_form",
         "--url", sandbox.url + "/contact", "--params-file", str(record),
         "--param", "submit=Send message", "--out", str(out)],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "model: none" in proc.stderr and "dom: label (exact) 'Full name'" in proc.stderr
    assert sandbox.submissions("contact")[0]["data"]["full_name"] == "Ada Lovelace"
    assert json.loads((out / "run.json").read_text())["kind"] == "skill"


def test_ocr_grounds_text_the_dom_does_not_have(tmp_path):
    skill = parse_skill("name: canvas\nsteps:\n  - click: Continue\n  - wait_for: Clicked Continue\n")
    with PageServer() as server, PlaywrightDriver(server.url + "/canvas.html") as driver:
        result = run_skill(skill, driver, run_dir=tmp_path / "run")
        assert driver.page.inner_text("#result") == "Clicked Continue"
    assert result.outcome == "done", result.error
    _, steps = read_run(tmp_path / "run")
    grounding = steps[0].extra["grounding"]
    assert grounding["grounder"] == "ocr" and grounding["matched"] == "Continue"
    assert steps[0].extra["misses"][0]["grounder"] == "dom"


def test_missing_target_fails_listing_what_was_seen(sandbox, tmp_path):
    skill = parse_skill("name: missing\nsteps:\n  - click: {text: Launch rocket, role: button}\n")
    with PlaywrightDriver(sandbox.url + "/contact") as driver:
        result = run_skill(skill, driver, run_dir=tmp_path / "run")
    assert result.outcome == "failed"
    assert isinstance(result.error, TargetNotFoundError)
    message = result.record.error.message
    assert message.startswith("step 1 (click): could not find button 'Launch rocket'")
    assert "dom: not found" in message and 'button "Send message"' in message
    assert 'label "Full name"' in message and "ocr: not found" in message
    assert "--model-url" in message
    assert sandbox.submissions() == []


def test_ambiguous_target_fails_listing_the_candidates(sandbox, tmp_path):
    skill = parse_skill("name: vague\nsteps:\n  - click: Sign\n")
    with PlaywrightDriver(sandbox.url + "/contact") as driver:
        result = run_skill(skill, driver, run_dir=tmp_path / "run")
        assert driver.page.url.endswith("/contact")  # nothing was clicked
    message = result.record.error.message
    assert result.outcome == "failed" and "ambiguous: 2 elements" in message
    assert "'Sign in'" in message and "'Sign up'" in message
