"""`guiagent skill run --desktop --app`, `wait_for: {window:}`, `verify:`, and clear errors.

The app is the Tk input probe (it logs every text change as JSON), so these run
in seconds without LibreOffice; the office skills have their own tests.
"""

import json
import shlex
import subprocess
import sys

import pytest

from guiagent.runlog import read_run
from guiagent.skills.verify import compare_sheet, compare_text

CLI = [sys.executable, "-m", "guiagent.cli.main"]
PROBE = f"{shlex.quote(sys.executable)} -m guiagent.sandboxes.desktop.probe_app"

SKILL = """\
name: probe_note
description: Type a note into the probe's text box.
parameters:
  note: {type: string}
  log: {type: string}
  expect: {type: string}
app:
  command: COMMAND
  window: {class: probe}
steps:
  - wait_for: {window: {class: probe}, timeout: 120}
  - type: "{{ note }}"
verify:
  - file: {path: "{{ log }}", text_contains: "{{ expect }}", timeout: 3}
"""


def cli(*args, cwd=None, timeout=300):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)


def probe_skill(tmp_path):
    log = tmp_path / "probe.jsonl"
    skill = tmp_path / "probe_note.yaml"
    skill.write_text(SKILL.replace("COMMAND", json.dumps(f"{PROBE} --log {log}")), encoding="utf-8")
    return skill, log


@pytest.mark.desktop
def test_skill_app_is_started_waited_for_and_its_effect_verified(tmp_path):
    skill, log = probe_skill(tmp_path)
    proc = cli("skill", "run", str(skill), "--desktop", "-p", "note=Grüße, Köln",
               "-p", f"log={log}", "-p", "expect=Grüße, Köln", "--out", str(tmp_path / "run"))
    assert proc.returncode == 0, proc.stderr
    assert "ready: 'guiagent probe'" in proc.stderr
    record, steps = read_run(tmp_path / "run")
    assert record.outcome == "done"
    assert steps[0].extra["window"].startswith("'guiagent probe'")
    assert steps[-1].extra == {"skill_step": "verify.1", "kind": "verify", "verify": "ok"}


@pytest.mark.desktop
def test_a_verify_mismatch_fails_the_run_with_what_was_found(tmp_path):
    skill, log = probe_skill(tmp_path)
    proc = cli("skill", "run", str(skill), "--desktop", "-p", "note=pears",
               "-p", f"log={log}", "-p", "expect=apples", "--out", str(tmp_path / "run"))
    assert proc.returncode == 1, proc.stderr
    assert "outcome: failed" in proc.stderr
    assert "does not contain 'apples'" in proc.stderr
    assert "Traceback" not in proc.stderr
    record, _ = read_run(tmp_path / "run")
    assert record.outcome == "failed" and record.error.type == "VerificationError"


@pytest.mark.desktop
@pytest.mark.parametrize(("app", "status", "message"), [
    ("no-such-program-xyz --calc", 2, "cannot launch 'no-such-program-xyz'"),
    ("sh -c 'echo profile is locked >&2; exit 3'", 1, "exited with status 3"),
], ids=["missing", "exits"])
def test_an_app_that_cannot_start_is_one_clear_error(tmp_path, app, status, message):
    skill, log = probe_skill(tmp_path)
    proc = cli("skill", "run", str(skill), "--desktop", "--app", app, "-p", "note=x",
               "-p", f"log={log}", "-p", "expect=x", "--out", str(tmp_path / "run"))
    assert proc.returncode == status, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    if status == 1:
        assert "profile is locked" in proc.stderr and "Nothing was run" in proc.stderr


@pytest.mark.desktop
def test_a_key_nobody_takes_fails_the_step_after_its_retries(tmp_path):
    """No app on the desktop: the key is refused twice (retries: 1), the run fails, not done."""
    skill = tmp_path / "keys.yaml"
    skill.write_text("name: keys\nsteps:\n  - {key: ctrl+home, retries: 1}\n", encoding="utf-8")
    proc = cli("skill", "run", str(skill), "--desktop", "--out", str(tmp_path / "run"))
    assert proc.returncode == 1, proc.stderr
    assert "outcome: failed" in proc.stderr and "tried 2 times" in proc.stderr
    assert "no application window has the keyboard focus" in proc.stderr
    record, steps = read_run(tmp_path / "run")
    assert record.outcome == "failed"
    assert [s.error.type for s in steps] == ["InputNotTakenError", "InputNotTakenError"]


def test_app_without_desktop_is_a_usage_error(tmp_path):
    proc = cli("run", "task", "--url", "http://127.0.0.1:9", "--app", "xterm",
               "--out", str(tmp_path / "run"))
    assert proc.returncode == 2 and "add --desktop" in proc.stderr


@pytest.mark.desktop
def test_an_unexpected_bug_leaves_a_traceback_file_not_a_dump(tmp_path):
    """A bug in a step handler: one line on the terminal, the traceback in the run folder."""
    skill = tmp_path / "keys.yaml"
    skill.write_text("name: keys\nsteps:\n  - key: ctrl+home\n", encoding="utf-8")
    out = tmp_path / "run"
    code = (
        "import sys\n"
        "from guiagent.skills import steps\n"
        "def broken(ctx, step):\n"
        "    raise RuntimeError('boom in a handler')\n"
        "steps.HANDLERS['key'] = broken\n"
        "from guiagent.cli.main import main\n"
        f"sys.argv = ['guiagent', 'skill', 'run', {str(skill)!r}, '--desktop', '--app',"
        f" {PROBE + ' --log ' + str(tmp_path / 'p.jsonl')!r}, '--out', {str(out)!r}]\n"
        "main()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "unexpected RuntimeError: boom in a handler" in proc.stderr
    assert f"The traceback is in {out / 'traceback.txt'}" in proc.stderr
    assert "Traceback (most recent call last)" not in proc.stderr
    saved = (out / "traceback.txt").read_text()
    assert "Traceback (most recent call last)" in saved and "boom in a handler" in saved
    record, _ = read_run(out)
    assert record.outcome == "error"  # never "done"


def test_sheet_comparison_shows_lost_rows_as_a_diff():
    table = [["Fruit", "Qty", "Price"], ["apple", "3", "1.5"], ["pear", "5", "0.75"],
             ["kiwi", "12", "0.2"], ["Total", "=SUM(B2:B4)", ""]]
    found = [["Fruit", "Qty", "Price"], ["apple", 3, 1.5], ["pear", 5, 0.75], ["kiwi", 12, 0.2],
             ["Total", "=SUM(B2:B4)", None], [None, None, None]]
    assert compare_sheet(found, table) is None
    lost = [["pear", 5, 0.75], ["kiwi", 12, 0.2]]  # what issue 12's run saved, reported "done"
    diff = compare_sheet(lost, table)
    assert diff is not None
    assert "-['Fruit', 'Qty', 'Price']" in diff and "-['apple', '3', '1.5']" in diff
    assert compare_sheet([["apple", 3.5]], [["apple", "3"]]) is not None


def test_text_comparison_ignores_line_endings_and_a_bom():
    assert compare_text("\ufeffa\r\nb\r\n", "a\nb") is None
    diff = compare_text("a\nc\n", "a\nb")
    assert diff is not None and "-b" in diff and "+c" in diff
